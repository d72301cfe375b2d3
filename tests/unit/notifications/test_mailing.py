"""E-mail of notifications: who gets which mail when, in which words, and never twice.

The service's real handlers and ``mailing.tick`` on a real database; the transport is a
recorder (or the real Maildir), identity's ``mail_profiles`` a table of the access
table's people.
"""

from __future__ import annotations

import email
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from parvis_contracts import events as ev
from parvis_contracts.context import KIND_ANONYMOUS, Caller
from parvis_contracts.errors import ValidationFailed
from services.notifications import mailing, unsubscribe
from services.notifications.mail import MaildirTransport, Outcome, Transport
from services.notifications.models import AccountMail, MailQueued, MailSent, Subject

from .test_notifications_rules import comment, post

PROFILES = {
    "p-manager": {"email": "manon@acme.test", "display_name": "Manon", "language": "en", "time_zone": None},
    "p-member": {"email": "louise@acme.test", "display_name": "Louise", "language": "fr", "time_zone": None},
    "p-other": {
        "email": "olivia@acme.test",
        "display_name": "Olivia",
        "language": "fr",
        "time_zone": "Europe/Paris",
    },
    "p-guest": {"email": "gus@partner.test", "display_name": "Gus", "language": "de", "time_zone": None},
}


class Recorder(Transport):
    """Keeps what it is given; ``refuse`` maps a recipient to "temporary" or "permanent"."""

    def __init__(self):
        super().__init__("Parvis <no-reply@parvis.test>")
        self.mails = []
        self.refuse = {}

    def send_many(self, mails):
        accepted, permanent, temporary = [], {}, {}
        for mail in mails:
            how = self.refuse.get(mail.to)
            if how == "temporary":
                temporary[mail.message_id] = "451 try later"
            elif how == "permanent":
                permanent[mail.message_id] = "550 no such user"
            else:
                self.mails.append(mail)
                accepted.append(mail.message_id)
        return Outcome(tuple(accepted), permanent, temporary)


@pytest.fixture
def transport():
    return Recorder()


@pytest.fixture
def profiles():
    return {pid: {**p, "active": True} for pid, p in PROFILES.items()}


@pytest.fixture
def tick(world, clock, transport, profiles):
    def run(quote=True, through=None):
        ctx = mailing.Context(
            now=clock(),
            transport=through or transport,
            profiles=lambda ids: {i: profiles[i] for i in ids if i in profiles},
            base_url="https://parvis.test",
            quote=quote,
        )
        return mailing.tick(world.session(), ctx)

    return run


def mention(world, post_id="post-1", who=None):
    return post(world, world.member, post_id=post_id, mentions=[who or world.other_member])


def to(transport, address):
    return [m for m in transport.mails if m.to == address]


def test_a_mention_is_mailed_at_once_in_the_recipients_language_with_a_one_click_unsubscribe(
    world, tick, transport
):
    mention(world)
    tick()
    (mail,) = to(transport, "olivia@acme.test")
    assert mail.language == "fr"
    assert mail.subject == "Louise vous a mentionné dans une publication · Community A"
    assert "« Hello »" in mail.text and "https://parvis.test/posts/post-1" in mail.text
    assert "Ouvrir dans Parvis" in mail.html and "<img" not in mail.html
    assert mail.unsubscribe_url.startswith("https://parvis.test/api/v1/notifications/unsubscribe/u1.")
    assert "https://parvis.test/mail/unsubscribe/u1." in mail.text
    # the author is never told of their own post
    assert to(transport, "louise@acme.test") == []


def test_with_the_title_only_policy_the_content_never_leaves(world, tick, transport):
    mention(world)
    tick(quote=False)
    (mail,) = to(transport, "olivia@acme.test")
    assert "Hello" not in mail.text and "Hello" not in mail.html
    assert "https://parvis.test/posts/post-1" in mail.text


def test_immediate_mails_are_two_minutes_apart_and_gather_what_came_meanwhile(world, tick, transport, clock):
    mention(world, "post-1")
    tick()
    mention(world, "post-2")
    mention(world, "post-3")
    clock.advance(seconds=60)
    tick()
    assert len(to(transport, "olivia@acme.test")) == 1
    clock.advance(seconds=61)
    tick()
    first, second = to(transport, "olivia@acme.test")
    assert second.subject == "2 nouvelles notifications"
    assert "post-2" in second.text and "post-3" in second.text


def test_nobody_is_mailed_while_active_in_the_app(world, tick, transport, clock):
    world.unread(world.other_member)  # the bell of a page: she is here
    mention(world)
    tick()
    assert to(transport, "olivia@acme.test") == []
    clock.advance(minutes=11)
    tick()
    assert len(to(transport, "olivia@acme.test")) == 1


def test_what_was_read_in_the_app_or_can_no_longer_be_read_is_not_mailed(world, tick, transport, clock):
    world.unread(world.other_member)
    mention(world, "post-1")
    mention(world, "post-2")
    mention(world, "post-3")
    (read_it, *_rest) = [i for i in world.inbox(world.other_member) if i["post_id"] == "post-1"]
    world.svc(world.other_member).mark_read(read_it["id"])
    world.event(ev.FEED_POST_DELETED, post_id="post-2", community_id="A", author_id=world.member.user_id)
    clock.advance(minutes=11)
    tick()
    (mail,) = to(transport, "olivia@acme.test")
    assert "post-3" in mail.text and "post-1" not in mail.text and "post-2" not in mail.text

    world.unread(world.other_member)
    mention(world, "post-4")
    world.deliver(ev.COMMUNITIES_MEMBER_REMOVED, {"community_id": "A", "user_id": "p-other"})
    clock.advance(minutes=11)
    tick()
    assert len(to(transport, "olivia@acme.test")) == 1  # nothing about A any more


def test_a_redelivered_event_is_one_mail(world, tick, transport):
    body = mention(world)
    world.redeliver(ev.FEED_POST_CREATED, body)
    tick()
    tick()
    assert len(to(transport, "olivia@acme.test")) == 1


def test_digests_go_out_at_the_persons_local_hour_and_never_stops_the_queue(world, tick, transport, clock):
    svc = world.svc(world.other_member)
    assert svc.get_mail_preferences()["frequencies"]["mention"] == "immediately"
    svc.set_mail_preferences({"mention": "daily"})
    manager = world.svc(world.manager)
    manager.set_mail_preferences({"mention": "never"})
    post(world, world.member, mentions=[world.other_member, world.manager])
    tick()  # 09:00 UTC: schedules Olivia's digest for 08:00 in Paris, 06:00 UTC tomorrow
    assert transport.mails == []
    clock.now = datetime(2026, 6, 2, 5, 59, tzinfo=UTC)
    tick()
    assert transport.mails == []
    clock.now = datetime(2026, 6, 2, 6, 0, 1, tzinfo=UTC)
    tick()
    (digest,) = transport.mails
    assert digest.to == "olivia@acme.test"
    assert digest.subject == "Votre résumé du jour : 1 notification"
    with world.session() as session:
        assert session.scalars(select(MailQueued)).all() == []


def test_next_digest_follows_daylight_saving_and_the_weekday():
    winter = datetime(2026, 1, 12, 12, 0, tzinfo=UTC)  # a Monday
    assert mailing.next_digest(winter, "Europe/Paris", "daily") == datetime(2026, 1, 13, 7, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 13, 12, 0, tzinfo=UTC)
    assert mailing.next_digest(summer, "Europe/Paris", "daily") == datetime(2026, 7, 14, 6, 0, tzinfo=UTC)
    assert mailing.next_digest(winter, "Asia/Singapore", "weekly") == datetime(2026, 1, 19, 0, 0, tzinfo=UTC)
    assert mailing.next_digest(winter, None, "daily") == datetime(2026, 1, 13, 8, 0, tzinfo=UTC)


def test_a_temporary_failure_is_tried_again_with_the_same_message_id_and_a_permanent_one_is_not(
    world, tick, transport, clock
):
    transport.refuse["olivia@acme.test"] = "temporary"
    transport.refuse["manon@acme.test"] = "permanent"
    post(world, world.member, mentions=[world.other_member, world.manager])
    tick()
    assert transport.mails == []
    del transport.refuse["olivia@acme.test"], transport.refuse["manon@acme.test"]
    clock.advance(seconds=61)
    tick()
    (mail,) = transport.mails
    assert mail.to == "olivia@acme.test"
    with world.session() as session:
        states = {row.recipient_id: (row.state, row.attempts) for row in session.scalars(select(MailSent))}
    assert states == {"p-other": ("sent", 2), "p-manager": ("failed", 1)}


def test_a_mail_claimed_and_never_confirmed_is_not_sent_twice(world, tick, transport, clock):
    class Crash(Transport):
        def send_many(self, mails):
            raise SystemExit("the process died mid-send")

    mention(world)
    with pytest.raises(SystemExit):
        tick(through=Crash("x <x@parvis.test>"))
    clock.advance(minutes=6)
    tick()
    tick()
    assert to(transport, "olivia@acme.test") == []
    with world.session() as session:
        assert [row.state for row in session.scalars(select(MailSent))] == ["failed"]


def test_through_the_maildir_an_interrupted_mail_is_sent_again_once(world, tick, clock, tmp_path):
    maildir = MaildirTransport(tmp_path / "mail", "Parvis <no-reply@parvis.test>")
    mention(world)
    tick(through=maildir)
    with world.session() as session:
        # as if the process died after the Maildir took it, before the row said so
        session.execute(MailSent.__table__.update().values(state="claimed"))
        session.commit()
    clock.advance(minutes=6)
    tick(through=maildir)
    tick(through=maildir)
    delivered = list((tmp_path / "mail" / "new").iterdir())
    assert len(delivered) == 1
    message = email.message_from_bytes(delivered[0].read_bytes())
    assert message["To"] == "olivia@acme.test"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_unsubscribe_link_stops_that_kind_without_signing_in_and_a_tampered_one_changes_nothing(
    world, tick, transport, clock
):
    mention(world)
    tick()
    (mail,) = transport.mails
    token = mail.unsubscribe_url.rsplit("/", 1)[1]
    anonymous = world.svc(Caller(kind=KIND_ANONYMOUS))
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (tampered, token.replace("mention", "like"), "u1.x.all.y", ""):
        with pytest.raises(ValidationFailed):
            anonymous.unsubscribe(bad)
    assert world.svc(world.other_member).get_mail_preferences()["frequencies"]["mention"] == "immediately"
    assert anonymous.unsubscribe(token) == {"kinds": ["mention"]}
    assert world.svc(world.other_member).get_mail_preferences()["frequencies"]["mention"] == "never"
    mention(world, "post-2")
    clock.advance(minutes=3)
    tick()
    assert len(transport.mails) == 1


def test_unsubscribe_tokens_name_one_person_and_scope():
    token = unsubscribe.token("p-1", "like")
    assert unsubscribe.read(token) == ("p-1", "like")
    assert unsubscribe.read(unsubscribe.token("p-1", "all")) == ("p-1", "all")
    with pytest.raises(ValueError):
        unsubscribe.token("p-1", "everything")


def test_a_frequency_out_of_range_is_refused_and_nothing_changes(world):
    svc = world.svc(world.other_member)
    for bad in ({"mention": "hourly"}, {"nonsense": "daily"}, {}):
        with pytest.raises(ValidationFailed):
            svc.set_mail_preferences(bad)
    assert svc.get_mail_preferences()["frequencies"]["mention"] == "immediately"


def test_a_password_reset_is_mailed_once_and_its_token_leaves_the_database(world, tick, transport):
    data = {
        "user_id": "p-other",
        "email": "olivia@acme.test",
        "display_name": "Olivia",
        "language": "es",
        "token": "tok-123",
        "expires_at": "2026-06-01T09:30:00+00:00",
    }
    body = world.event(ev.IDENTITY_PASSWORD_RESET_REQUESTED, **data)
    world.redeliver(ev.IDENTITY_PASSWORD_RESET_REQUESTED, body)
    tick()
    tick()
    (mail,) = transport.mails
    assert mail.subject == "Restablecer su contraseña de Parvis"
    assert "https://parvis.test/password-reset/tok-123" in mail.text
    assert mail.unsubscribe_url is None
    with world.session() as session:
        (row,) = session.scalars(select(AccountMail))
        assert row.state == "sent" and row.data == {}


def test_an_invitation_to_the_network_is_mailed_with_its_link(world, tick, transport):
    world.event(
        ev.IDENTITY_PERSON_INVITED,
        user_id="p-new",
        email="new@partner.test",
        display_name="Nina",
        language="de",
        token="inv-9",
        expires_at="2026-06-08T09:00:00+00:00",
        guest=True,
        org_name="Partner GmbH",
        invited_by="p-admin",
        invited_by_name="Ada",
    )
    tick()
    (mail,) = transport.mails
    assert mail.subject == "Ada lädt Sie zu Parvis ein"
    assert "Partner GmbH" in mail.text and "https://parvis.test/invitations/inv-9" in mail.text


def test_erasure_takes_the_persons_mail_queue_and_settings(world, tick, transport):
    world.svc(world.other_member).set_mail_preferences({"like": "weekly"})
    mention(world)
    world.event(ev.IDENTITY_USER_ERASED, user_id="p-other", org_id="org-host", guest=False)
    tick()
    assert transport.mails == []
    with world.session() as session:
        assert session.scalars(select(MailQueued)).all() == []
    assert world.svc(world.other_member).get_mail_preferences()["frequencies"]["like"] == "daily"


def test_a_deactivated_or_erased_recipient_gets_no_mail(world, tick, transport, profiles):
    profiles["p-other"]["active"] = False
    mention(world)
    tick()
    assert transport.mails == []
    with world.session() as session:
        assert [row.state for row in session.scalars(select(MailSent))] == ["void"]


def test_a_comment_on_a_followed_post_reaches_its_author_with_the_comments_words(world, tick, transport):
    post(world, world.other_member)
    comment(world, world.member)
    tick()
    (mail,) = to(transport, "olivia@acme.test")
    assert "Louise a commenté une publication que vous suivez" in mail.text


def test_a_mail_quotes_mentions_as_names_and_erasure_takes_what_names_or_was_written_by_the_person(
    world, tick, transport, clock
):
    world.event(
        ev.FEED_POST_CREATED,
        post_id="post-9",
        community_id="A",
        author_id=world.member.user_id,
        kind="message",
        mentions=[world.other_member.user_id],
        body="Bonjour @[Olivia O.](p-other), le rapport ?",
        revision=1,
    )
    tick()
    (mail,) = to(transport, "olivia@acme.test")
    assert "« Bonjour @Olivia O., le rapport ? »" in mail.text and "](p-other)" not in mail.text
    world.event(ev.IDENTITY_USER_ERASED, user_id="p-other", org_id="org-host", guest=False)
    with world.session() as session:
        assert session.get(Subject, ("post", "post-9")).excerpt is None


def test_identity_not_answering_leaves_the_queue_for_the_next_tick(world, tick, transport, clock, profiles):
    mention(world)
    ctx = mailing.Context(
        now=clock(),
        transport=transport,
        profiles=lambda ids: (_ for _ in ()).throw(TimeoutError("identity is not answering")),
        base_url="https://parvis.test",
        quote=True,
    )
    with pytest.raises(TimeoutError):
        mailing.tick(world.session(), ctx)
    with world.session() as session:
        assert session.scalars(select(MailSent)).all() == []
        assert len(session.scalars(select(MailQueued)).all()) == 1
    tick()
    assert len(to(transport, "olivia@acme.test")) == 1


def test_a_tick_still_running_makes_the_next_one_return_at_once(world, monkeypatch):
    """nameko's timer does not wait for the previous worker: ticks must not pile up and
    take the workers the event handlers need."""
    from services.notifications import service

    ran = []
    monkeypatch.setattr(mailing, "tick", lambda session, ctx: ran.append(ctx.now) or {})
    with service.SENDING:
        world.svc().send_mail()
    assert ran == []
    world.svc().send_mail()
    assert len(ran) == 1


def test_an_identity_that_does_not_answer_ends_the_tick_instead_of_holding_it_for_ever(world, monkeypatch):
    """nameko's RPC proxy waits for ever: a stopped identity would keep the tick (and the
    service's own stop, which waits for its workers) waiting."""
    import eventlet

    from parvis_contracts.errors import Unavailable
    from services.notifications import service

    monkeypatch.setattr(service, "PROFILES_TIMEOUT", 0.05)
    worker = world.svc()
    worker.identity.mail_profiles.side_effect = lambda **kwargs: eventlet.sleep(5)
    with pytest.raises(Unavailable):
        worker._mail_profiles(["p-other"])
    assert worker._mail_profiles([]) == {}

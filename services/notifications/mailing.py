"""E-mail of notifications: who gets which mail when, sent at most once.

* :func:`enqueue` (from :func:`deliver.deliver`, in the event's transaction): each new
  notification waits in ``mail_queue`` with its recipient's frequency for its kind
  (``mail_preferences``, else the kind's default); "never" queues nothing.
* :func:`seen` (from the bell and the page): the person is active in the app; no
  immediate mail goes to someone seen in the last ``PARVIS_MAIL_ACTIVE_MINUTES`` (they
  see it there).
* :func:`tick` (the service's timer): immediate mails, at most one per person within
  :func:`immediate_gap` (what came meanwhile goes in the next one); daily and weekly
  digests at the person's local hour (``PARVIS_MAIL_DIGEST_HOUR``, their time zone from
  identity); password resets and invitations (``account_mails``) at once.

A mail lists only what its recipient may still read and has not read: a notification
read in the app, or gone (the content deleted or hidden, the person removed from the
community, the community archived into secrecy) leaves the mail, and a mail left with
nothing is not sent. Each mail is claimed under its Message-ID (``mail_sent``, committed)
before it goes, and confirmed after: a crash in between never sends it twice (a claim
left unconfirmed is given up, except through a transport that recognises its own
Message-IDs — the Maildir — which sends it again safely). A temporary failure (4xx, no
connection) is tried again later with the same Message-ID; a permanent one (5xx) is not.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from parvis_contracts import settings as table
from parvis_contracts.vocabulary import MAIL_DEFAULT_FREQUENCY

from . import compose
from .limits import FAN_OUT_BATCH
from .mail import MaildirTransport, Outcome, Transport
from .models import (
    MEMBERSHIP,
    AccountMail,
    MailPerson,
    MailPreference,
    MailQueued,
    MailSent,
    Notification,
    Subject,
)
from .visibility import visible_to_recipients

log = logging.getLogger(__name__)

#: a person's presence is written at most this often (the bell is asked on every page)
SEEN_EVERY = timedelta(minutes=1)
#: a claim not confirmed after this long was interrupted (the process died mid-send)
CLAIM_TIMEOUT = timedelta(minutes=5)
#: waits before the next attempt after a temporary failure; then it is given up
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
#: recipients looked at per tick and frequency (the rest come at the next tick)
PER_TICK = 200
DIGESTS = ("daily", "weekly")
DOMAIN = "parvis.notifications"


def immediate_gap() -> timedelta:
    """At most one immediate mail per person within this (``PARVIS_MAIL_GAP_SECONDS``)."""
    return timedelta(seconds=table.value("PARVIS_MAIL_GAP_SECONDS"))


# --- preferences ---------------------------------------------------------------------------


def frequencies(session, user_ids: list[str], kind: str) -> dict[str, str]:
    """Each person's frequency for ``kind``."""
    chosen = dict(
        session.execute(
            select(MailPreference.user_id, MailPreference.frequency).where(
                MailPreference.kind == kind, MailPreference.user_id.in_(user_ids)
            )
        ).all()
    )
    default = MAIL_DEFAULT_FREQUENCY.get(kind, "never")
    return {user_id: chosen.get(user_id, default) for user_id in user_ids}


def preferences(session, user_id: str) -> dict[str, str]:
    """The person's frequency of every kind (their choice, else the default)."""
    chosen = dict(
        session.execute(
            select(MailPreference.kind, MailPreference.frequency).where(MailPreference.user_id == user_id)
        ).all()
    )
    return {kind: chosen.get(kind, default) for kind, default in MAIL_DEFAULT_FREQUENCY.items()}


def set_preferences(session, user_id: str, changes: dict[str, str]) -> dict[str, str]:
    """Set the frequencies of ``changes`` (kind -> frequency, both checked by the caller's
    schema); a kind set to "never" leaves the queue at once."""
    for kind, frequency in changes.items():
        row = session.get(MailPreference, (user_id, kind))
        if row is None:
            session.add(MailPreference(user_id=user_id, kind=kind, frequency=frequency))
        else:
            row.frequency = frequency
    session.flush()
    stopped = [kind for kind, frequency in changes.items() if frequency == "never"]
    if stopped:
        of_kind = select(Notification.id).where(
            Notification.recipient_id == user_id, Notification.kind.in_(stopped)
        )
        session.execute(delete(MailQueued).where(MailQueued.notification_id.in_(of_kind)))
    return preferences(session, user_id)


# --- the queue -----------------------------------------------------------------------------


def enqueue(session, now: datetime, kind: str, rows: list[dict]) -> None:
    """Queue the mail of new notifications ``rows`` (``id``, ``recipient_id``) of ``kind``."""
    if not rows:
        return
    chosen = frequencies(session, [row["recipient_id"] for row in rows], kind)
    queued = [
        {
            "notification_id": row["id"],
            "recipient_id": row["recipient_id"],
            "frequency": chosen[row["recipient_id"]],
            "queued_at": now,
        }
        for row in rows
        if chosen[row["recipient_id"]] != "never"
    ]
    if queued:
        session.execute(insert(MailQueued), queued)


def seen(session, user_id: str, now: datetime) -> bool:
    """Note that the person is using the app; True when a row changed (commit it)."""
    person = session.get(MailPerson, user_id)
    if person is None:
        session.add(MailPerson(user_id=user_id, last_seen_at=now))
        return True
    if person.last_seen_at is None or person.last_seen_at <= now - SEEN_EVERY:
        person.last_seen_at = now
        return True
    return False


# --- when digests are due ------------------------------------------------------------------


def next_digest(now: datetime, time_zone: str | None, frequency: str) -> datetime:
    """The next ``PARVIS_MAIL_DIGEST_HOUR`` o'clock after ``now`` in ``time_zone`` (on
    ``PARVIS_MAIL_DIGEST_WEEKDAY`` for a weekly digest), in UTC."""
    try:
        zone = ZoneInfo(time_zone or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    hour = table.value("PARVIS_MAIL_DIGEST_HOUR") % 24
    local = now.astimezone(zone)
    day = local.date()
    while True:
        candidate = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
        if candidate > local and (
            frequency == "daily" or candidate.weekday() == table.value("PARVIS_MAIL_DIGEST_WEEKDAY") % 7
        ):
            return candidate.astimezone(UTC)
        day += timedelta(days=1)


# --- sending -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What a tick works with: the time, where mails go, who people are, the public address."""

    now: datetime
    transport: Transport
    #: person ids -> identity's mail profiles (``mail_profiles``), absent for the erased
    profiles: Callable[[list[str]], dict]
    base_url: str
    quote: bool


def base_url() -> str:
    """The network's address for links in mails (``PARVIS_PUBLIC_URL``, else the launcher's gateway)."""
    public = table.value("PARVIS_PUBLIC_URL")
    return (public or f"http://localhost:{table.value('PARVIS_PORT')}").rstrip("/")


def message_id(recipient_id: str, notification_ids: list[str]) -> str:
    digest = hashlib.sha256("\n".join([recipient_id, *sorted(notification_ids)]).encode()).hexdigest()
    return f"{digest[:40]}@{DOMAIN}"


def tick(session, ctx: Context) -> dict:
    """One look at everything that may be due; answers how many mails went (by frequency)."""
    _give_up_unconfirmed(session, ctx)
    sent = {"account": _account_mails(session, ctx)}
    due = {"immediately": _due_immediately(session, ctx.now)}
    due.update({frequency: _due_digest(session, ctx, frequency) for frequency in DIGESTS})
    retries = _due_retries(session, ctx.now)
    people = sorted({p for ids in due.values() for p in ids} | {r.recipient_id for r in retries})
    if not people:
        return sent
    # who they are and who acted, asked before anything is claimed: identity not answering
    # leaves the queue as it was, for the next tick. Plain lookups by key, in chunks: a
    # queue that grew faster than the database's statistics must not change the plan
    ids = list(session.scalars(select(MailQueued.notification_id).where(MailQueued.recipient_id.in_(people))))
    ids += [i for row in retries for i in row.notification_ids]
    actors = set()
    for start in range(0, len(ids), FAN_OUT_BATCH):
        chunk = ids[start : start + FAN_OUT_BATCH]
        for acted in session.scalars(select(Notification.actor_ids).where(Notification.id.in_(chunk))):
            actors.update(a for a in acted or () if a)
    profiles = _profiles(ctx, sorted(set(people) | actors))
    claimed = _claim(session, ctx.now, due)
    for row in retries:
        row.state = "claimed"
        claimed.append(row)
    session.commit()
    sent.update(_send(session, ctx, claimed, profiles))
    return sent


#: people asked of identity per call (it takes at most 1,000)
PROFILES_PER_CALL = 500


def _profiles(ctx: Context, person_ids: list[str]) -> dict:
    found = {}
    for start in range(0, len(person_ids), PROFILES_PER_CALL):
        found.update(ctx.profiles(person_ids[start : start + PROFILES_PER_CALL]) or {})
    return found


def _due_immediately(session, now: datetime) -> list[str]:
    p, active = MailPerson, timedelta(minutes=table.value("PARVIS_MAIL_ACTIVE_MINUTES"))
    query = (
        select(MailQueued.recipient_id)
        .outerjoin(p, p.user_id == MailQueued.recipient_id)
        .where(
            MailQueued.frequency == "immediately",
            or_(p.last_mail_at.is_(None), p.last_mail_at <= now - immediate_gap()),
            or_(p.last_seen_at.is_(None), p.last_seen_at <= now - active),
        )
        .distinct()
        .limit(PER_TICK)
    )
    return list(session.scalars(query))


def _due_digest(session, ctx: Context, frequency: str) -> list[str]:
    """Those whose digest is due; a person without a schedule yet gets one (from their
    time zone) and waits for it."""
    column = MailPerson.next_daily_at if frequency == "daily" else MailPerson.next_weekly_at
    waiting = select(MailQueued.recipient_id).where(MailQueued.frequency == frequency).distinct()
    rows = session.execute(
        select(MailQueued.recipient_id, column)
        .outerjoin(MailPerson, MailPerson.user_id == MailQueued.recipient_id)
        .where(MailQueued.recipient_id.in_(waiting), or_(column.is_(None), column <= ctx.now))
        .distinct()
        .limit(PER_TICK)
    ).all()
    unscheduled = [row[0] for row in rows if row[1] is None]
    if unscheduled:
        zones = _profiles(ctx, unscheduled)
        for user_id in unscheduled:
            _schedule(session, user_id, frequency, ctx.now, (zones.get(user_id) or {}).get("time_zone"))
        session.commit()
    return [row[0] for row in rows if row[1] is not None]


def _schedule(session, user_id: str, frequency: str, now: datetime, time_zone: str | None) -> None:
    person = session.get(MailPerson, user_id)
    if person is None:
        person = MailPerson(user_id=user_id)
        session.add(person)
    setattr(person, f"next_{frequency}_at", next_digest(now, time_zone, frequency))


def _due_retries(session, now: datetime) -> list[MailSent]:
    return list(
        session.scalars(
            select(MailSent)
            .where(MailSent.state == "retry", MailSent.next_attempt_at <= now)
            .order_by(MailSent.next_attempt_at)
            .limit(PER_TICK)
        )
    )


def _claim(session, now: datetime, due: dict[str, list[str]]) -> list[MailSent]:
    """Take the queued notifications of the due people (frequency -> people) into one
    claimed mail each, in a few statements whatever their number; none when another
    sender took some of them first (it sends them; the rest wait for the next tick)."""
    waiting: dict[tuple[str, str], list[str]] = {}
    for frequency, people in due.items():
        if not people:
            continue
        rows = session.execute(
            select(MailQueued.recipient_id, MailQueued.notification_id).where(
                MailQueued.frequency == frequency, MailQueued.recipient_id.in_(people)
            )
        )
        for recipient_id, notification_id in rows:
            waiting.setdefault((recipient_id, frequency), []).append(notification_id)
    if not waiting:
        return []
    ids = [i for group in waiting.values() for i in group]
    claims = [
        MailSent(
            message_id=message_id(recipient_id, group),
            recipient_id=recipient_id,
            frequency=frequency,
            notification_ids=sorted(group),
            state="claimed",
            attempts=0,
            created_at=now,
        )
        for (recipient_id, frequency), group in waiting.items()
    ]
    try:
        with session.begin_nested():
            taken = 0
            for start in range(0, len(ids), FAN_OUT_BATCH):
                chunk = ids[start : start + FAN_OUT_BATCH]
                taken += session.execute(
                    delete(MailQueued).where(MailQueued.notification_id.in_(chunk))
                ).rowcount
            if taken != len(ids):
                raise _Taken
            session.add_all(claims)
            _mailed_at(session, now, [c.recipient_id for c in claims if c.frequency == "immediately"])
            session.flush()
    except (_Taken, IntegrityError):
        return []
    return claims


class _Taken(Exception):
    """Another sender claimed (some of) the same notifications first."""


def _mailed_at(session, now: datetime, people: list[str]) -> None:
    """``last_mail_at`` of ``people`` is now (a row for those who have none yet)."""
    if not people:
        return
    known = set(session.scalars(select(MailPerson.user_id).where(MailPerson.user_id.in_(people))))
    session.execute(update(MailPerson).where(MailPerson.user_id.in_(known)).values(last_mail_at=now))
    session.add_all(MailPerson(user_id=p, last_mail_at=now) for p in people if p not in known)


def mail_items(session, claims: list[MailSent]) -> dict[str, list[dict]]:
    """Recipient -> the notifications of their mail they may still read and have not read
    (of a kind they still want by mail), newest first; one query for every claim."""
    ids = [i for claim in claims for i in claim.notification_ids]
    people = sorted({claim.recipient_id for claim in claims})
    if not ids:
        return {}
    source, rule = visible_to_recipients()
    source = source.outerjoin(
        Subject, and_(Subject.kind == Notification.subject_kind, Subject.id == Notification.subject_id)
    )
    stopped = set(
        session.execute(
            select(MailPreference.user_id, MailPreference.kind).where(
                MailPreference.user_id.in_(people), MailPreference.frequency == "never"
            )
        ).all()
    )
    found: dict[str, list[dict]] = {}
    for start in range(0, len(ids), FAN_OUT_BATCH):
        rows = session.execute(
            select(Notification, MEMBERSHIP.communities.c.name, Subject.excerpt)
            .select_from(source)
            .where(
                rule, Notification.id.in_(ids[start : start + FAN_OUT_BATCH]), Notification.read_at.is_(None)
            )
        ).all()
        for n, name, excerpt in rows:
            if (n.recipient_id, n.kind) in stopped:
                continue
            found.setdefault(n.recipient_id, []).append(
                {
                    "id": n.id,
                    "kind": n.kind,
                    "community_id": n.community_id,
                    "community_name": name,
                    "subject_kind": n.subject_kind,
                    "subject_id": n.subject_id,
                    "post_id": n.post_id,
                    "actor_ids": list(n.actor_ids or []),
                    "actor_count": n.actor_count,
                    "excerpt": excerpt,
                    "updated_at": n.updated_at,
                }
            )
    for items in found.values():
        items.sort(key=lambda item: (item["updated_at"], item["id"]), reverse=True)
    return found


def _send(session, ctx: Context, claimed: list[MailSent], profiles: dict) -> dict:
    """Compose and send the claimed mails (``profiles``: of their recipients and actors);
    record what became of each."""
    mails, counts = [], {}
    names = {pid: profile.get("display_name") for pid, profile in profiles.items()}
    every = mail_items(session, claimed)
    for claim in claimed:
        profile = profiles.get(claim.recipient_id)
        wanted = set(claim.notification_ids)
        items = [item for item in every.get(claim.recipient_id, ()) if item["id"] in wanted]
        if profile is None or not profile.get("active") or not profile.get("email") or not items:
            claim.state, claim.reason = "void", "nothing left to tell, or nobody to tell"
            continue
        recipient = compose.Recipient(
            user_id=claim.recipient_id,
            email=profile["email"],
            display_name=profile.get("display_name") or "",
            language=profile.get("language"),
            time_zone=profile.get("time_zone"),
        )
        mails.append(
            compose.notifications_mail(
                recipient,
                items,
                names,
                frequency=claim.frequency,
                base_url=ctx.base_url,
                quote=ctx.quote,
                message_id=claim.message_id,
            )
        )
        if claim.frequency in DIGESTS:
            _schedule(session, claim.recipient_id, claim.frequency, ctx.now, recipient.time_zone)
    session.commit()
    outcome = ctx.transport.send_many(mails) if mails else Outcome()
    by_id = {claim.message_id: claim for claim in claimed}
    for mail in mails:
        claim = by_id[mail.message_id]
        _settle(claim, outcome, ctx.now)
        if claim.state == "sent":
            counts[claim.frequency] = counts.get(claim.frequency, 0) + 1
    session.commit()
    return counts


def _settle(row, outcome: Outcome, now: datetime) -> None:
    """The row of a mail (``MailSent`` or ``AccountMail``) after its attempt."""
    key = row.message_id
    row.attempts += 1
    if key in outcome.accepted:
        row.state = "sent"
        if isinstance(row, MailSent):
            row.sent_at = now
    elif key in outcome.temporary and row.attempts <= len(RETRY_AFTER):
        row.state, row.next_attempt_at = "retry", now + RETRY_AFTER[row.attempts - 1]
        _reason(row, outcome.temporary[key])
    else:
        row.state = "failed"
        _reason(row, outcome.permanent.get(key) or outcome.temporary.get(key) or "not delivered")


def _reason(row, reason: str) -> None:
    if isinstance(row, MailSent):
        row.reason = reason[:300]


def _give_up_unconfirmed(session, ctx: Context) -> None:
    """Claims left by a sender that died mid-send: sent again through a transport that
    recognises its Message-IDs, else given up (never sent twice)."""
    again = isinstance(ctx.transport, MaildirTransport)
    stale = ctx.now - CLAIM_TIMEOUT
    for model in (MailSent, AccountMail):
        if again:
            values = {"state": "retry", "next_attempt_at": ctx.now}
        else:
            values = {"state": "failed"}
            if model is AccountMail:
                values["data"] = {}
        done = session.execute(
            update(model).where(model.state == "claimed", model.created_at <= stale).values(**values)
        )
        if done.rowcount:
            log.warning(
                "%s %s mail(s) claimed and never confirmed: %s",
                done.rowcount,
                model.__tablename__,
                values["state"],
            )
    session.commit()


# --- account mails -------------------------------------------------------------------------


def queue_account_mail(session, now: datetime, data: dict, kind: str) -> None:
    """A password reset or invitation to send (``data``: identity's event); one mail per
    token, however often the event comes."""
    key = f"{hashlib.sha256(data['token'].encode()).hexdigest()[:40]}@{DOMAIN}"
    if session.get(AccountMail, key) is None:
        session.add(
            AccountMail(
                message_id=key,
                user_id=data["user_id"],
                kind=kind,
                data=data,
                state="pending",
                attempts=0,
                created_at=now,
            )
        )


def _account_mails(session, ctx: Context) -> int:
    rows = list(
        session.scalars(
            select(AccountMail)
            .where(
                or_(
                    AccountMail.state == "pending",
                    and_(AccountMail.state == "retry", AccountMail.next_attempt_at <= ctx.now),
                )
            )
            .order_by(AccountMail.created_at)
            .limit(PER_TICK)
        )
    )
    if not rows:
        return 0
    for row in rows:
        row.state = "claimed"
    session.commit()
    mails = [
        compose.account_mail(row.kind, row.data, base_url=ctx.base_url, message_id=row.message_id)
        for row in rows
    ]
    outcome = ctx.transport.send_many(mails)
    for row in rows:
        _settle(row, outcome, ctx.now)
        if row.state in ("sent", "failed"):
            row.data = {}  # the link's token leaves this database with the mail
    session.commit()
    return len(outcome.accepted)


def forget(session, person_id: str) -> None:
    """Erasure: the person's mail settings, queue and records."""
    for model, column in (
        (MailPreference, MailPreference.user_id),
        (MailPerson, MailPerson.user_id),
        (MailQueued, MailQueued.recipient_id),
        (MailSent, MailSent.recipient_id),
        (AccountMail, AccountMail.user_id),
    ):
        session.execute(delete(model).where(column == person_id))

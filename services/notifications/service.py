"""Entrypoints of the notifications service: load input, authorise, delegate, dump output.

The rules of who is told what live in ``notify`` (one function per event) and ``deliver``
(the writing, batched and grouped); a person's side — the page, the count, marking read,
follows and levels — in ``inbox``. Every RPC is the caller's own: there is no call that
reads someone else's notifications. The interface is documented in
docs/services/notifications.md.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

import eventlet
from nameko.timer import timer

from parvis_contracts import events as ev
from parvis_contracts import settings
from parvis_contracts.clock import Clock
from parvis_contracts.db import Database
from parvis_contracts.entrypoints import CurrentCaller, SystemRpcProxy, dump, rpc, transactional
from parvis_contracts.errors import Unavailable
from parvis_contracts.handlers import _session_of, idempotent_handler, told_by
from parvis_contracts.health import PlatformEntrypoints
from parvis_contracts.membership import MembershipEventHandlers, viewer_of
from parvis_contracts.metrics import Metrics
from parvis_contracts.privacy import PersonDataEntrypoints
from parvis_contracts.schemas import load

from . import inbox, mail, mailing, notify, privacy, unsubscribe
from . import schemas as s
from .limits import KINDS
from .models import MEMBERSHIP, metadata

log = logging.getLogger(__name__)

#: held while this process's mail sender works (one tick at a time; other replicas race
#: safely: a mail is claimed once, ``mailing``)
SENDING = threading.Lock()
#: seconds the mail sender waits for identity's mail_profiles
PROFILES_TIMEOUT = 10


class NotificationsService(PersonDataEntrypoints, MembershipEventHandlers, PlatformEntrypoints):
    name = "notifications"
    person_data = privacy  # export_person_data, on_user_erased (GDPR)
    membership_model = MEMBERSHIP

    db = Database(metadata)
    caller = CurrentCaller()
    metrics = Metrics()
    clock = Clock()
    #: identity's addresses, languages and time zones for the mails (the sender's timer only)
    identity = SystemRpcProxy("identity")

    # --- what tells whom (docs/services/notifications.md, "Events consumed") ---------------

    on_post_created = told_by(ev.FEED_POST_CREATED, notify.post_created)
    on_post_updated = told_by(ev.FEED_POST_UPDATED, notify.post_updated)
    on_post_deleted = told_by(ev.FEED_POST_DELETED, notify.forget_subject_of, "post")
    on_comment_created = told_by(ev.FEED_COMMENT_CREATED, notify.comment_created)
    on_comment_updated = told_by(ev.FEED_COMMENT_UPDATED, notify.comment_updated)
    on_comment_deleted = told_by(ev.FEED_COMMENT_DELETED, notify.forget_subject_of, "comment")
    on_post_liked = told_by(ev.FEED_POST_LIKED, notify.liked)
    on_comment_liked = told_by(ev.FEED_COMMENT_LIKED, notify.liked)
    on_answer_accepted = told_by(ev.FEED_ANSWER_ACCEPTED, notify.answer_accepted)
    on_content_reported = told_by(ev.FEED_CONTENT_REPORTED, notify.content_reported)
    on_content_hidden = told_by(ev.FEED_CONTENT_HIDDEN, notify.content_hidden)
    on_announcement_reminded = told_by(ev.FEED_ANNOUNCEMENT_REMINDED, notify.announcement_reminded)
    on_document_created = told_by(ev.DOCUMENTS_DOCUMENT_CREATED, notify.document_created)
    on_document_version_added = told_by(ev.DOCUMENTS_DOCUMENT_VERSION_ADDED, notify.document_version_added)
    on_document_deleted = told_by(ev.DOCUMENTS_DOCUMENT_DELETED, notify.forget_subject_of, "document")
    on_page_created = told_by(ev.DOCUMENTS_PAGE_CREATED, notify.page_created)
    on_page_updated = told_by(ev.DOCUMENTS_PAGE_UPDATED, notify.page_updated)
    on_page_deleted = told_by(ev.DOCUMENTS_PAGE_DELETED, notify.forget_subject_of, "page")
    on_join_requested = told_by(ev.COMMUNITIES_JOIN_REQUESTED, notify.join_requested)
    on_join_approved = told_by(ev.COMMUNITIES_JOIN_APPROVED, notify.join_decided, "join_approved")
    on_join_refused = told_by(ev.COMMUNITIES_JOIN_REFUSED, notify.join_decided, "join_refused")
    on_invitation_sent = told_by(ev.COMMUNITIES_INVITATION_SENT, notify.invitation_sent)

    # --- account mails: a password reset, an invitation to the network ------------------

    on_password_reset_requested = told_by(
        ev.IDENTITY_PASSWORD_RESET_REQUESTED, mailing.queue_account_mail, "password_reset"
    )
    on_person_invited = told_by(ev.IDENTITY_PERSON_INVITED, mailing.queue_account_mail, "invitation")

    @idempotent_handler(ev.COMMUNITIES_MEMBER_ADDED)
    def on_member_added(self, envelope):
        """The read model, and a pending invitation to the community settled."""
        session = _session_of(self)
        MEMBERSHIP.apply(session, envelope, ev.COMMUNITIES_MEMBER_ADDED)
        notify.member_joined(session, datetime.fromisoformat(envelope.occurred_at), envelope.data)

    # --- a person's notifications --------------------------------------------------------

    def _viewer(self):
        return viewer_of(self.caller)

    def _seen(self, viewer) -> None:
        """The person is in the app: no immediate mail while they are (PARVIS_MAIL_ACTIVE_MINUTES)."""
        if mailing.seen(self.db, viewer.id, self.clock()):
            self.db.commit()

    @rpc
    @transactional
    def list_notifications(self, limit=20, cursor=None, unread_only=False):
        data = load(s.PageArgs(), {"limit": limit, "cursor": cursor, "unread_only": unread_only})
        viewer = self._viewer()
        result = dump(s.NotificationPageSchema, inbox.page(self.db, viewer, **data))
        self._seen(viewer)
        return result

    @rpc
    @transactional
    def unread_count(self):
        viewer = self._viewer()
        result = dump(s.UnreadSchema, {"unread": inbox.unread_count(self.db, viewer)})
        self._seen(viewer)
        return result

    @rpc
    @transactional
    def mark_read(self, notification_id):
        data = load(s.NotificationIdIn(), {"notification_id": notification_id})
        result = inbox.mark_read(self.db, self._viewer(), self.clock(), **data)
        self.db.commit()
        return dump(s.NotificationSchema, result)

    @rpc
    @transactional
    def mark_all_read(self):
        marked = inbox.mark_all_read(self.db, self._viewer(), self.clock())
        self.db.commit()
        return dump(s.MarkedSchema, {"marked": marked})

    # --- follows and levels --------------------------------------------------------------

    @rpc
    @transactional
    def get_follow(self, target_kind, target_id):
        data = load(s.TargetIn(), {"target_kind": target_kind, "target_id": target_id})
        return dump(
            s.FollowSchema, inbox.following(self.db, self._viewer(), data["target_kind"], data["target_id"])
        )

    @rpc
    @transactional
    def set_follow(self, target_kind, target_id, following):
        data = load(
            s.FollowIn(), {"target_kind": target_kind, "target_id": target_id, "following": following}
        )
        result = inbox.set_following(
            self.db, self._viewer(), self.clock(), data["target_kind"], data["target_id"], data["following"]
        )
        self.db.commit()
        return dump(s.FollowSchema, result)

    @rpc
    @transactional
    def get_community_level(self, community_id):
        data = load(s.CommunityIn(), {"community_id": community_id})
        return dump(s.LevelSchema, inbox.level(self.db, self._viewer(), **data))

    @rpc
    @transactional
    def set_community_level(self, community_id, level):
        data = load(s.LevelIn(), {"community_id": community_id, "level": level})
        result = inbox.set_level(self.db, self._viewer(), data["community_id"], data["level"])
        self.db.commit()
        return dump(s.LevelSchema, result)

    # --- e-mail --------------------------------------------------------------------------

    @rpc
    @transactional
    def get_mail_preferences(self):
        return dump(s.MailPreferencesSchema, {"frequencies": mailing.preferences(self.db, self._viewer().id)})

    @rpc
    @transactional
    def set_mail_preferences(self, frequencies):
        data = load(s.MailPreferencesIn(), {"frequencies": frequencies})
        result = mailing.set_preferences(self.db, self._viewer().id, data["frequencies"])
        self.db.commit()
        return dump(s.MailPreferencesSchema, {"frequencies": result})

    @rpc(anonymous=True)
    @transactional
    def unsubscribe(self, token):
        """A mail's one-click link: the token is the authority (no sign-in)."""
        data = load(s.UnsubscribeIn(), {"token": token})
        user_id, scope = unsubscribe.read(data["token"])
        kinds = list(KINDS) if scope == unsubscribe.ALL else [scope]
        mailing.set_preferences(self.db, user_id, dict.fromkeys(kinds, "never"))
        self.db.commit()
        return dump(s.UnsubscribedSchema, {"kinds": kinds})

    @timer(interval=settings.value("PARVIS_MAIL_TICK"))
    def send_mail(self):
        """Immediate mails, digests and account mails that are due (mailing.tick).

        nameko's timer starts a worker at every interval, finished or not: a tick still
        running makes the next one return at once (:data:`SENDING`), so slow ticks never
        pile up and take the workers the event handlers need."""
        if not SENDING.acquire(blocking=False):
            return
        try:
            self._send_mail()
        finally:
            SENDING.release()

    def _mail_profiles(self, person_ids: list[str]) -> dict:
        """identity's answer within PROFILES_TIMEOUT seconds: nameko's RPC proxy waits for
        ever, and a tick waiting for an identity that stopped would never end (nor would the
        service's own stop, which waits for its workers)."""
        if not person_ids:
            return {}
        with eventlet.Timeout(PROFILES_TIMEOUT, Unavailable("identity did not answer in time")):
            return self.identity.mail_profiles(person_ids=person_ids)

    def _send_mail(self):
        ctx = mailing.Context(
            now=self.clock(),
            transport=mail.transport(),
            profiles=self._mail_profiles,
            base_url=mailing.base_url(),
            quote=settings.value("PARVIS_MAIL_CONTENT") != "title",
        )
        try:
            sent = mailing.tick(self.db, ctx)
        except Exception:
            self.db.rollback()
            log.exception("the mail sender failed; it looks again at the next tick")
            return
        for kind, count in sent.items():
            if count:
                log.info("sent %s %s mail(s)", count, kind)

"""Exchanges, queues and bindings of the platform, declared before any event flows.

Every event handler of every service is listed in :data:`SUBSCRIPTIONS`. The
launcher (and each outbox relay, before its first publish) declares all of
them, so an event is never published to an exchange with no queue bound yet.
A handler that is not listed refuses to start: the list cannot drift.

Handler queues dead-letter to ``parvis.dlx`` -> ``parvis.dead-letters``.
"""
from __future__ import annotations

from dataclasses import dataclass

from kombu import Exchange, Queue

from . import events as ev
from .config import env

DLX_NAME = "parvis.dlx"
DLQ_NAME = "parvis.dead-letters"


@dataclass(frozen=True)
class Subscription:
    event: ev.EventType
    service: str
    method: str

    @property
    def queue_name(self) -> str:
        # the same name nameko gives a SERVICE_POOL event handler queue
        return f"evt-{self.event.source}-{self.event.name}--{self.service}.{self.method}"


SUBSCRIPTIONS: list[Subscription] = [
    # identity keeps who-shares-a-community-with-whom for the guest directory rule
    Subscription(ev.COMMUNITIES_MEMBER_ADDED, "identity", "on_member_added"),
    Subscription(ev.COMMUNITIES_MEMBER_REMOVED, "identity", "on_member_removed"),
    # feed keeps its own read model of communities and membership (no RPC per timeline read)
    Subscription(ev.COMMUNITIES_COMMUNITY_CREATED, "feed", "on_community_created"),
    Subscription(ev.COMMUNITIES_COMMUNITY_UPDATED, "feed", "on_community_updated"),
    Subscription(ev.COMMUNITIES_COMMUNITY_ARCHIVED, "feed", "on_community_archived"),
    Subscription(ev.COMMUNITIES_COMMUNITY_REOPENED, "feed", "on_community_reopened"),
    Subscription(ev.COMMUNITIES_MEMBER_ADDED, "feed", "on_member_added"),
    Subscription(ev.COMMUNITIES_MEMBER_REMOVED, "feed", "on_member_removed"),
    Subscription(ev.COMMUNITIES_MEMBER_ROLE_CHANGED, "feed", "on_member_role_changed"),
    # translation drops the cached translations of edited or deleted posts and comments
    Subscription(ev.FEED_POST_UPDATED, "translation", "on_post_updated"),
    Subscription(ev.FEED_POST_DELETED, "translation", "on_post_deleted"),
    Subscription(ev.FEED_COMMENT_UPDATED, "translation", "on_comment_updated"),
    Subscription(ev.FEED_COMMENT_DELETED, "translation", "on_comment_deleted"),
    # translation pre-translates new content into the languages of the community's members:
    # it keeps the membership read model and people's preferred languages
    Subscription(ev.FEED_POST_CREATED, "translation", "on_post_created"),
    Subscription(ev.FEED_COMMENT_CREATED, "translation", "on_comment_created"),
    Subscription(ev.DOCUMENTS_PAGE_CREATED, "translation", "on_page_created"),
    Subscription(ev.DOCUMENTS_PAGE_UPDATED, "translation", "on_page_updated"),
    Subscription(ev.DOCUMENTS_PAGE_DELETED, "translation", "on_page_deleted"),
    Subscription(ev.IDENTITY_USER_CREATED, "translation", "on_user_created"),
    Subscription(ev.IDENTITY_USER_LANGUAGE_CHANGED, "translation", "on_user_language_changed"),
    Subscription(ev.IDENTITY_USER_ERASED, "translation", "on_user_erased"),
    Subscription(ev.COMMUNITIES_COMMUNITY_CREATED, "translation", "on_community_created"),
    Subscription(ev.COMMUNITIES_COMMUNITY_UPDATED, "translation", "on_community_updated"),
    Subscription(ev.COMMUNITIES_COMMUNITY_ARCHIVED, "translation", "on_community_archived"),
    Subscription(ev.COMMUNITIES_COMMUNITY_REOPENED, "translation", "on_community_reopened"),
    Subscription(ev.COMMUNITIES_MEMBER_ADDED, "translation", "on_member_added"),
    Subscription(ev.COMMUNITIES_MEMBER_REMOVED, "translation", "on_member_removed"),
    Subscription(ev.COMMUNITIES_MEMBER_ROLE_CHANGED, "translation", "on_member_role_changed"),
    # documents keeps the same read model (parvis_contracts.membership) for its access checks
    Subscription(ev.COMMUNITIES_COMMUNITY_CREATED, "documents", "on_community_created"),
    Subscription(ev.COMMUNITIES_COMMUNITY_UPDATED, "documents", "on_community_updated"),
    Subscription(ev.COMMUNITIES_COMMUNITY_ARCHIVED, "documents", "on_community_archived"),
    Subscription(ev.COMMUNITIES_COMMUNITY_REOPENED, "documents", "on_community_reopened"),
    Subscription(ev.COMMUNITIES_MEMBER_ADDED, "documents", "on_member_added"),
    Subscription(ev.COMMUNITIES_MEMBER_REMOVED, "documents", "on_member_removed"),
    Subscription(ev.COMMUNITIES_MEMBER_ROLE_CHANGED, "documents", "on_member_role_changed"),
    # privacy: an erased person's memberships, likes, reads and mentions are forgotten
    # (translation's on_user_erased is listed above)
    Subscription(ev.IDENTITY_USER_ERASED, "communities", "on_user_erased"),
    Subscription(ev.IDENTITY_USER_ERASED, "feed", "on_user_erased"),
    Subscription(ev.IDENTITY_USER_ERASED, "documents", "on_user_erased"),
]


def event_exchange(source: str) -> Exchange:
    # identical to nameko's get_event_exchange so both can declare it
    return Exchange(f"{source}.events", type="topic", durable=True, auto_delete=False,
                    delivery_mode=2)


def queue_type_arguments() -> dict:
    """``{"x-queue-type": ...}`` from ``PARVIS_QUEUE_TYPE`` ("quorum" in a RabbitMQ cluster).

    The type of a queue is fixed when it is declared (a policy cannot change it), so every
    durable queue of the services carries it: handler queues, the dead-letter queue and each
    service's RPC queue (``rpc-<service>``, see :mod:`parvis_contracts.entrypoints`). Reply
    queues of RPC clients are per process and expiring: they stay classic. Unset: classic
    queues, as before (a queue's type cannot change without deleting it).
    """
    queue_type = env("PARVIS_QUEUE_TYPE")
    return {"x-queue-type": queue_type} if queue_type else {}


def queue_arguments() -> dict:
    args = {"x-dead-letter-exchange": DLX_NAME}
    args.update(queue_type_arguments())
    return args


def handler_queue(sub: Subscription) -> Queue:
    return Queue(sub.queue_name, exchange=event_exchange(sub.event.source),
                 routing_key=sub.event.name, durable=True, auto_delete=False,
                 queue_arguments=queue_arguments())


def dead_letter_queue() -> Queue:
    return Queue(DLQ_NAME, exchange=Exchange(DLX_NAME, type="topic", durable=True),
                 routing_key="#", durable=True, queue_arguments=queue_type_arguments() or None)


def find_subscription(event: ev.EventType, service: str, method: str) -> Subscription | None:
    for sub in SUBSCRIPTIONS:
        if (sub.event, sub.service, sub.method) == (event, service, method):
            return sub
    return None


def declare_topology(connection) -> None:
    """Declare every exchange, queue and binding of the platform (idempotent)."""
    channel = connection.default_channel
    dead_letter_queue()(channel).declare()
    for source in {sub.event.source for sub in SUBSCRIPTIONS} | set(_sources()):
        event_exchange(source)(channel).declare()
    for sub in SUBSCRIPTIONS:
        handler_queue(sub)(channel).declare()


def _sources():
    return {value.source for value in vars(ev).values() if isinstance(value, ev.EventType)}

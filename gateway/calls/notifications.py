"""Notifications, as the gateway asks them: the caller's page, count and marks; follows
each community's level, and how often mails come. Every operation is the caller's own
(there is no call about someone else's notifications); the unsubscribe link of a mail is
the one that needs no sign-in (its token names the person)."""

from __future__ import annotations

from . import UNANSWERED, operations, page_kwargs
from .identity import people_cards

operation = operations("notifications")


@operation
def list_notifications(args: dict) -> dict:
    return {**page_kwargs(args), "unread_only": bool(args.get("unread_only"))}


@operation
def unread_count() -> dict:
    return {}


@operation
def mark_read(notification_id: str) -> dict:
    return {"notification_id": notification_id}


@operation
def mark_all_read() -> dict:
    return {}


@operation
def get_follow(target_kind: str, target_id: str) -> dict:
    return {"target_kind": target_kind, "target_id": target_id}


@operation
def set_follow(target_kind: str, target_id: str, following: bool) -> dict:
    return {"target_kind": target_kind, "target_id": target_id, "following": following}


@operation
def get_community_level(community_id: str) -> dict:
    return {"community_id": community_id}


@operation
def set_community_level(community_id: str, level: str) -> dict:
    return {"community_id": community_id, "level": level}


@operation
def get_mail_preferences() -> dict:
    return {}


@operation
def set_mail_preferences(frequencies: dict) -> dict:
    return {"frequencies": frequencies}


@operation(anonymous=True)
def unsubscribe(token: str) -> dict:
    """A mail's one-click link: the signed token is the credential (no sign-in)."""
    return {"token": token}


def with_actors(page: dict) -> dict:
    """The page plus ``people``: the cards of its actors, as the reader may see them."""
    ids = [actor for item in page.get("items") or [] for actor in item.get("actor_ids") or [] if actor]
    return {**page, "people": people_cards(ids)}


def bell() -> int | None:
    """The caller's unread count for the page header; None when the service is not
    answering (the page renders without it)."""
    try:
        return unread_count()["unread"]
    except UNANSWERED:
        return None

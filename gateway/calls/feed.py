"""Feed, as the gateway asks it: walls, posts, comments, likes, reads, lists and reports.

Each function is one operation of the feed service (see :mod:`gateway.calls`): its body
turns the gateway's arguments into the method's keyword arguments. Listings take the
query arguments the API and the pages share (``limit``, ``cursor``, filters) and name
them as the service does.
"""

from __future__ import annotations

from . import keyed, operations, page_kwargs

operation = operations("feed")


# --- lists of posts ---------------------------------------------------------------------


@operation
def home_timeline(args: dict) -> dict:
    """The caller's home timeline; its first page (no cursor) records the visit."""
    return page_kwargs(args)


@operation
def community_wall(community_id: str, args: dict) -> dict:
    """A community's wall, newest first: ``kind``, ``unanswered``, ``limit``, ``cursor``."""
    kwargs = {"community_id": community_id, **page_kwargs(args)}
    if args.get("kind"):
        kwargs["kind"] = args["kind"]
    if args.get("unanswered"):
        kwargs["unanswered"] = True
    return kwargs


@operation
def hashtag_posts(tag: str, args: dict) -> dict:
    return {"tag": tag, **page_kwargs(args)}


@operation
def mentions_of_me(args: dict) -> dict:
    return page_kwargs(args)


@operation
def unread_announcements(community_id: str | None = None, limit: int = 10) -> dict:
    """The caller's must-read announcements not acknowledged yet (of one community, or of all
    of theirs): pinned on the wall and on home until read."""
    kwargs: dict = {"limit": limit}
    if community_id:
        kwargs["community_id"] = community_id
    return kwargs


@operation
def author_posts(author_id: str, limit: int = 5) -> dict:
    """A person's latest posts that the caller may read (their profile's recent activity)."""
    return {"author_id": author_id, "limit": limit}


# --- posts ------------------------------------------------------------------------------


@operation
def create_post(
    community_id: str,
    body: str,
    kind: str,
    language: str | None,
    attachments: list,
    idempotency_key: str | None = None,
) -> dict:
    return {
        "community_id": community_id,
        "body": body,
        "kind": kind,
        "language": language,
        "attachments": attachments,
        **keyed(idempotency_key),
    }


@operation
def get_post(post_id: str) -> dict:
    return {"post_id": post_id}


@operation
def edit_post(post_id: str, **changes) -> dict:
    """``body`` and, only when given, ``language`` and ``attachments``."""
    return {"post_id": post_id, **changes}


@operation
def delete_post(post_id: str) -> dict:
    return {"post_id": post_id}


@operation
def post_versions(post_id: str) -> dict:
    return {"post_id": post_id}


@operation
def accept_answer(post_id: str, comment_id: str | None) -> dict:
    return {"post_id": post_id, "comment_id": comment_id}


@operation
def mark_announcement_read(post_id: str) -> dict:
    return {"post_id": post_id}


@operation
def announcement_reads(post_id: str) -> dict:
    return {"post_id": post_id}


@operation
def remind_announcement(post_id: str) -> dict:
    """Remind the members who have not read an announcement (at most once a day)."""
    return {"post_id": post_id}


# --- likes ------------------------------------------------------------------------------


@operation
def like_post(post_id: str, idempotency_key: str | None = None) -> dict:
    return {"post_id": post_id, **keyed(idempotency_key)}


@operation
def unlike_post(post_id: str) -> dict:
    return {"post_id": post_id}


@operation
def like_comment(comment_id: str, idempotency_key: str | None = None) -> dict:
    return {"comment_id": comment_id, **keyed(idempotency_key)}


@operation
def unlike_comment(comment_id: str) -> dict:
    return {"comment_id": comment_id}


@operation
def post_likers(post_id: str, args: dict) -> dict:
    return {"post_id": post_id, **page_kwargs(args)}


# --- comments ---------------------------------------------------------------------------


@operation
def list_comments(post_id: str, args: dict) -> dict:
    return {"post_id": post_id, **page_kwargs(args)}


@operation
def create_comment(
    post_id: str,
    body: str,
    parent_id: str | None = None,
    language: str | None = None,
    idempotency_key: str | None = None,
) -> dict:
    return {
        "post_id": post_id,
        "body": body,
        "parent_id": parent_id,
        "language": language,
        **keyed(idempotency_key),
    }


@operation
def get_comment(comment_id: str) -> dict:
    return {"comment_id": comment_id}


@operation
def edit_comment(comment_id: str, **changes) -> dict:
    """``body`` and, only when given, ``language``."""
    return {"comment_id": comment_id, **changes}


@operation
def delete_comment(comment_id: str) -> dict:
    return {"comment_id": comment_id}


@operation
def comment_versions(comment_id: str) -> dict:
    return {"comment_id": comment_id}


# --- reports ----------------------------------------------------------------------------


@operation
def report_content(target_type: str, target_id: str, reason: str) -> dict:
    return {"target_type": target_type, "target_id": target_id, "reason": reason}


@operation
def report_queue(community_id: str, status: str, args: dict) -> dict:
    return {"community_id": community_id, "status": status, **page_kwargs(args)}


@operation
def resolve_report(report_id: str, action: str) -> dict:
    return {"report_id": report_id, "action": action}

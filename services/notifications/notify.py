"""Who is told what: one function per event the service listens to.

Each takes the handler's session, the event's time and its payload (validated by the
contracts' schema of that event), keeps the ``subjects`` and ``follows`` the event implies,
and writes notifications through :func:`deliver.deliver`. Mentioned people are told of the
mention only (not also of the comment or the announcement that holds it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update

from .deliver import About, deliver, unread_changed
from .limits import EXCERPT_KEPT
from .models import MEMBERSHIP, Follow, Notification, NotificationActor, Subject

# --- what exists, and who follows it -----------------------------------------------------


def remember_subject(
    session, kind: str, subject_id: str, community_id: str, author_id, post_id, at, excerpt=None
) -> Subject:
    """The subject, created at its first event; ``excerpt`` (what a mail may quote: the
    text's start, a title, a name) follows its edits."""
    subject = session.get(Subject, (kind, subject_id))
    if subject is None:
        subject = Subject(
            kind=kind,
            id=subject_id,
            community_id=community_id,
            author_id=author_id,
            post_id=post_id,
            created_at=at,
        )
        session.add(subject)
    if excerpt:
        subject.excerpt = excerpt[:EXCERPT_KEPT]
    session.flush()
    return subject


def auto_follow(session, now: datetime, user_id: str, kind: str, target_id: str, community_id: str) -> None:
    """Follow what one wrote or commented on, unless one chose otherwise before."""
    if session.get(Follow, (user_id, kind, target_id)) is None:
        session.add(
            Follow(
                user_id=user_id,
                target_kind=kind,
                target_id=target_id,
                community_id=community_id,
                active=True,
                origin="auto",
                updated_at=now,
            )
        )
        session.flush()


def created_at(session, kind: str, subject_id: str, default: datetime) -> datetime:
    """When the subject was created (``default`` for one this service has not heard of)."""
    subject = session.get(Subject, (kind, subject_id))
    return subject.created_at if subject is not None else default


def followers(session, kind: str, target_id: str) -> list[str]:
    return list(
        session.scalars(
            select(Follow.user_id).where(
                Follow.target_kind == kind, Follow.target_id == target_id, Follow.active.is_(True)
            )
        )
    )


def forget_subject(session, kind: str, subject_id: str) -> None:
    """Content deleted: what told of it goes, with what it was and who followed it."""
    _forget_notifications(session, kind, subject_id)
    if kind == "post":
        session.execute(delete(Subject).where(Subject.post_id == subject_id))
    session.execute(delete(Subject).where(Subject.kind == kind, Subject.id == subject_id))
    session.execute(delete(Follow).where(Follow.target_kind == kind, Follow.target_id == subject_id))


def forget_subject_of(session, now: datetime, data: dict, kind: str) -> None:
    """``<kind>_deleted``: the event names the content by ``<kind>_id``."""
    forget_subject(session, kind, data[f"{kind}_id"])


def _forget_notifications(session, kind: str, subject_id: str) -> None:
    """The notifications about a subject (a post's: also those about its comments)."""
    n = Notification
    if kind == "post":
        about = or_(n.post_id == subject_id, (n.subject_kind == "post") & (n.subject_id == subject_id))
    else:
        about = (n.subject_kind == kind) & (n.subject_id == subject_id)
    rows = session.execute(select(n.id, n.recipient_id, n.read_at).where(about)).all()
    # an open page's bell counts one less for those who had not read it
    unread_changed(session, [row.recipient_id for row in rows if row.read_at is None])
    ids = [row.id for row in rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(delete(NotificationActor).where(NotificationActor.notification_id.in_(chunk)))
        session.execute(delete(Notification).where(Notification.id.in_(chunk)))


# --- posts and comments --------------------------------------------------------------------


def _mentions(session, now, about_post: dict, kind: str, subject_id: str, post_id: str, at, author_id) -> set:
    """Tell the people the text mentions (every member with ``@community``) -> who they are."""
    mentioned = set(about_post.get("mentions") or ())
    if about_post.get("community_mentioned"):
        mentioned |= set(MEMBERSHIP.member_ids(session, about_post["community_id"]))
    if mentioned:
        about = About(
            "mention",
            f"mention:{kind}:{subject_id}",
            about_post["community_id"],
            kind,
            subject_id,
            post_id,
            at,
        )
        deliver(session, now, about, mentioned, author_id, once=True)
    return mentioned


def post_created(session, now: datetime, data: dict) -> None:
    post_id, community_id, author_id = data["post_id"], data["community_id"], data["author_id"]
    subject = remember_subject(
        session, "post", post_id, community_id, author_id, post_id, now, data.get("body")
    )
    auto_follow(session, now, author_id, "post", post_id, community_id)
    mentioned = _mentions(session, now, data, "post", post_id, post_id, subject.created_at, author_id)
    members = [m for m in MEMBERSHIP.member_ids(session, community_id) if m not in mentioned]
    if data.get("kind") == "announcement":
        about = About(
            "announcement",
            f"announcement:{post_id}",
            community_id,
            "post",
            post_id,
            post_id,
            subject.created_at,
        )
        deliver(session, now, about, members, author_id, once=True)
    else:
        about = About(
            "post",
            f"post:{community_id}",
            community_id,
            "community",
            community_id,
            post_id,
            subject.created_at,
        )
        deliver(session, now, about, members, author_id, levels=("all",))


def post_updated(session, now: datetime, data: dict) -> None:
    """An edit: people it newly mentions are told (the others were, once)."""
    post_id = data["post_id"]
    subject = remember_subject(
        session, "post", post_id, data["community_id"], data["author_id"], post_id, now, data.get("body")
    )
    _mentions(session, now, data, "post", post_id, post_id, subject.created_at, data["author_id"])


def comment_created(session, now: datetime, data: dict) -> None:
    comment_id, post_id, community_id = data["comment_id"], data["post_id"], data["community_id"]
    author_id = data["author_id"]
    subject = remember_subject(
        session, "comment", comment_id, community_id, author_id, post_id, now, data.get("body")
    )
    mentioned = _mentions(session, now, data, "comment", comment_id, post_id, subject.created_at, author_id)
    audience = [f for f in followers(session, "post", post_id) if f not in mentioned]
    post_at = created_at(session, "post", post_id, subject.created_at)
    about = About("comment", f"comment:post:{post_id}", community_id, "post", post_id, post_id, post_at)
    deliver(session, now, about, audience, author_id)
    auto_follow(session, now, author_id, "post", post_id, community_id)


def comment_updated(session, now: datetime, data: dict) -> None:
    comment_id, post_id = data["comment_id"], data["post_id"]
    subject = remember_subject(
        session,
        "comment",
        comment_id,
        data["community_id"],
        data["author_id"],
        post_id,
        now,
        data.get("body"),
    )
    _mentions(session, now, data, "comment", comment_id, post_id, subject.created_at, data["author_id"])


def liked(session, now: datetime, data: dict) -> None:
    """A like: the author of the post or comment, gathered per liked content."""
    post_id, comment_id = data["post_id"], data.get("comment_id")
    kind, subject_id = ("comment", comment_id) if comment_id else ("post", post_id)
    at = created_at(session, kind, subject_id, now)
    about = About("like", f"like:{kind}:{subject_id}", data["community_id"], kind, subject_id, post_id, at)
    deliver(session, now, about, [data["author_id"]], data["liker_id"])


def answer_accepted(session, now: datetime, data: dict) -> None:
    comment_id = data["comment_id"]
    at = created_at(session, "comment", comment_id, now)
    about = About(
        "answer_accepted",
        f"answer:{comment_id}",
        data["community_id"],
        "comment",
        comment_id,
        data["post_id"],
        at,
    )
    deliver(session, now, about, [data["comment_author_id"]], data["accepted_by"], once=True)


def announcement_reminded(session, now: datetime, data: dict) -> None:
    """The members who had not read an announcement, reminded by a manager (gathered with
    an unread reminder of the same announcement)."""
    post_id, community_id = data["post_id"], data["community_id"]
    at = created_at(session, "post", post_id, now)
    about = About("announcement_reminder", f"reminder:{post_id}", community_id, "post", post_id, post_id, at)
    deliver(session, now, about, data["user_ids"], data["by"])


def content_reported(session, now: datetime, data: dict) -> None:
    """The community's managers (whatever their level), gathered per community; the link
    is the community's queue of reports, where the report is."""
    tell_managers(
        session, now, _community("content_reported", data["community_id"], now), data["reporter_id"]
    )


def content_hidden(session, now: datetime, data: dict) -> None:
    """A moderator hid a post or a comment: what told of it goes (its subject and follows
    stay: restored, it is told of again from then on)."""
    kind, target_id = data["target_type"], data["target_id"]
    _forget_notifications(session, kind, target_id)


# --- documents and pages -------------------------------------------------------------------


def document_created(session, now: datetime, data: dict) -> None:
    remember_subject(
        session,
        "document",
        data["document_id"],
        data["community_id"],
        data["author_id"],
        None,
        now,
        data["name"],
    )
    auto_follow(session, now, data["author_id"], "document", data["document_id"], data["community_id"])


def document_version_added(session, now: datetime, data: dict) -> None:
    document_id = data["document_id"]
    subject = remember_subject(
        session, "document", document_id, data["community_id"], data["author_id"], None, now, data["name"]
    )
    about = About(
        "document_version",
        f"document:{document_id}",
        data["community_id"],
        "document",
        document_id,
        None,
        subject.created_at,
    )
    deliver(session, now, about, followers(session, "document", document_id), data["author_id"])


def page_created(session, now: datetime, data: dict) -> None:
    remember_subject(
        session, "page", data["page_id"], data["community_id"], data["author_id"], None, now, data["title"]
    )
    auto_follow(session, now, data["author_id"], "page", data["page_id"], data["community_id"])


def page_updated(session, now: datetime, data: dict) -> None:
    page_id = data["page_id"]
    subject = remember_subject(
        session, "page", page_id, data["community_id"], data["author_id"], None, now, data["title"]
    )
    about = About(
        "page_updated", f"page:{page_id}", data["community_id"], "page", page_id, None, subject.created_at
    )
    deliver(session, now, about, followers(session, "page", page_id), data["author_id"])
    auto_follow(session, now, data["author_id"], "page", page_id, data["community_id"])


# --- membership ----------------------------------------------------------------------------


def _community(kind: str, community_id: str, now: datetime, group: str | None = None) -> About:
    return About(kind, f"{kind}:{group or community_id}", community_id, "community", community_id, None, now)


def join_requested(session, now: datetime, data: dict) -> None:
    """The community's managers, gathered: "Ana and 2 others ask to join"."""
    tell_managers(session, now, _community("join_request", data["community_id"], now), data["user_id"])


def tell_managers(session, now: datetime, about: About, actor_id: str) -> None:
    """The community's managers, whatever their level (``deliver`` keeps the managers of
    the members for a managers' kind)."""
    everyone = MEMBERSHIP.member_ids(session, about.community_id)
    deliver(session, now, about, everyone, actor_id, levels=("all", "highlights", "none"))


def join_decided(session, now: datetime, data: dict, kind: str) -> None:
    """``join_approved`` or ``join_refused``: the person who asked."""
    about = _community(kind, data["community_id"], now)
    deliver(session, now, about, [data["user_id"]], data["by"], members_only=False)


def invitation_sent(session, now: datetime, data: dict) -> None:
    about = _community("invitation", data["community_id"], now)
    deliver(session, now, about, [data["user_id"]], data["by"], members_only=False)


def member_joined(session, now: datetime, data: dict) -> None:
    """Once a member, an invitation or a request to join is settled: marked read."""
    settled = session.execute(
        update(Notification)
        .where(
            Notification.recipient_id == data["user_id"],
            Notification.community_id == data["community_id"],
            Notification.kind == "invitation",
            Notification.read_at.is_(None),
        )
        .values(read_at=now)
    )
    if settled.rowcount:
        unread_changed(session, [data["user_id"]])

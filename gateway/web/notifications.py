"""Notifications in the web UI: the bell on every page, the list, opening one, marking all
read, and how much one hears of each community.

The bell's count is asked when the page is rendered (:func:`bell_count`, a template
global): it is right at every page load without JavaScript. Opening a notification is a
form (POST): it marks it read, then leads to what it is about.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from marshmallow import ValidationError

from parvis_contracts.vocabulary import NOTIFICATION_LEVELS

from ..api.schemas import PageQuerySchema
from ..calls import UNANSWERED, communities, notifications, parallel
from .common import next_url, query_args, raise_failed

notifications_web = Blueprint("notifications_web", __name__)


def bell_count() -> int | None:
    """The signed-in person's unread count (None signed out, or the service not answering)."""
    if not g.get("principal"):
        return None
    if "bell_count" not in g:
        g.bell_count = notifications.bell()
    return g.bell_count


def who(item: dict, people: dict) -> str:
    """ "Lucia", "Lucia and Marc", "Lucia and 3 others"; "someone" for a person the reader
    may not see or a former member."""
    names = [(people.get(a) or {}).get("display_name") if a else None for a in item.get("actor_ids") or []]
    names = [n or _("someone") for n in names]
    count = max(item.get("actor_count") or 0, len(names))
    if not names:
        return ""
    if count == 1:
        return names[0]
    if count == 2 and len(names) >= 2:
        return _("%(first)s and %(second)s", first=names[0], second=names[1])
    return _("%(first)s and %(count)s others", first=names[0], count=count - 1)


def sentence(item: dict, people: dict) -> str:
    """What happened, in the reader's language (the verb agrees with how many acted)."""
    name, n = who(item, people), max(item.get("actor_count") or 0, 1)
    kind, on_comment = item["kind"], item.get("subject_kind") == "comment"
    if kind == "mention" and on_comment:
        return ngettext(
            "%(who)s mentioned you in a comment", "%(who)s mentioned you in a comment", n, who=name
        )
    if kind == "like" and on_comment:
        return ngettext("%(who)s liked your comment", "%(who)s liked your comment", n, who=name)
    sentences = {
        "mention": lambda: ngettext(
            "%(who)s mentioned you in a post", "%(who)s mentioned you in a post", n, who=name
        ),
        "like": lambda: ngettext("%(who)s liked your post", "%(who)s liked your post", n, who=name),
        "comment": lambda: ngettext(
            "%(who)s commented on a post you follow", "%(who)s commented on a post you follow", n, who=name
        ),
        "answer_accepted": lambda: ngettext(
            "%(who)s accepted your answer", "%(who)s accepted your answer", n, who=name
        ),
        "announcement": lambda: ngettext(
            "%(who)s published an announcement", "%(who)s published an announcement", n, who=name
        ),
        "announcement_reminder": lambda: ngettext(
            "%(who)s reminds you to read an announcement",
            "%(who)s remind you to read an announcement",
            n,
            who=name,
        ),
        "post": lambda: ngettext("%(who)s posted", "%(who)s posted", n, who=name),
        "document_version": lambda: ngettext(
            "%(who)s added a version of a document you follow",
            "%(who)s added a version of a document you follow",
            n,
            who=name,
        ),
        "page_updated": lambda: ngettext(
            "%(who)s updated a page you follow", "%(who)s updated a page you follow", n, who=name
        ),
        "join_request": lambda: ngettext("%(who)s asked to join", "%(who)s asked to join", n, who=name),
        "invitation": lambda: ngettext(
            "%(who)s invited you to join", "%(who)s invited you to join", n, who=name
        ),
        "content_reported": lambda: _("Content was reported to the moderators"),
        "join_approved": lambda: _("Your request to join was approved"),
        "join_refused": lambda: _("Your request to join was declined"),
    }
    return sentences.get(kind, lambda: _("Something new"))()


def target(item: dict) -> str:
    """Where a notification leads."""
    kind, subject, community_id = item["kind"], item.get("subject_kind"), item["community_id"]
    if item.get("post_id") and kind != "post":
        return url_for("wall.post_page", post_id=item["post_id"])
    if subject == "document":
        return url_for("documents_web.document", document_id=item["subject_id"])
    if subject == "page":
        return url_for("documents_web.page", page_id=item["subject_id"])
    if kind == "content_reported":
        return url_for("wall.report_queue", community_id=community_id)
    if kind == "join_request":
        return url_for("community.manage", community_id=community_id)
    if kind == "invitation":
        return url_for("community.directory")
    return url_for("community.page", community_id=community_id)


@notifications_web.route("/notifications")
def inbox():
    args = query_args()
    try:
        query = PageQuerySchema().load({k: v for k, v in args.items() if k in ("cursor",)})
    except ValidationError:
        query = {"limit": 20}
    query["unread_only"] = args.get("unread") == "1"
    page = notifications.with_actors(notifications.list_notifications(query))
    people = page.get("people") or {}
    items = [{**item, "sentence": sentence(item, people), "target": target(item)} for item in page["items"]]
    extra = {"unread": "1"} if query["unread_only"] else {}
    return render_template(
        "notifications/inbox.html",
        items=items,
        unread_only=query["unread_only"],
        next_url=next_url("notifications_web.inbox", extra, page),
    )


@notifications_web.route("/notifications/<string:notification_id>/open", methods=["POST"])
def open_one(notification_id):
    item = notifications.mark_read(notification_id)
    return redirect(target(item))


@notifications_web.route("/notifications/read-all", methods=["POST"])
def read_all():
    notifications.mark_all_read()
    flash(_("All your notifications are marked read."), "success")
    return redirect(url_for("notifications_web.inbox"))


@notifications_web.route("/notifications/settings", methods=["GET", "POST"])
def settings():
    """Per community: every new post, highlights (the default) or nothing."""
    if request.method == "POST":
        community_id = request.form.get("community_id") or ""
        level = request.form.get("level")
        if level not in NOTIFICATION_LEVELS:
            flash(_("Choose one of the levels offered."), "error")
            return redirect(url_for("notifications_web.settings")), 303
        notifications.set_community_level(community_id, level)
        flash(_("Your choice is saved."), "success")
        return redirect(url_for("notifications_web.settings"))
    mine = communities.memberships_of()
    ids = [m["community_id"] for m in mine.get("items") or []]
    found = parallel(**{cid: notifications.get_community_level.pending(cid) for cid in ids}) if ids else {}
    rows = []
    for membership in mine.get("items") or []:
        level = found.get(membership["community_id"])
        if isinstance(level, UNANSWERED):
            raise_failed(found, membership["community_id"])
        if isinstance(level, BaseException):
            continue  # left or archived into secrecy meanwhile
        rows.append({**membership, "level": level["level"]})
    return render_template("notifications/settings.html", rows=rows, levels=NOTIFICATION_LEVELS)

"""Notifications in the web UI: the bell on every page, the list, opening one, marking all
read, and how much one hears of each community.

The bell's count is asked when the page is rendered (:func:`bell_count`, a template
global): it is right at every page load without JavaScript. Opening a notification is a
form (POST): it marks it read, then leads to what it is about.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import get_translations, lazy_gettext
from flask_babel import gettext as _
from marshmallow import ValidationError

from parvis_contracts import notification_words as words
from parvis_contracts import settings as settings_table
from parvis_contracts.errors import ValidationFailed
from parvis_contracts.vocabulary import MAIL_FREQUENCIES, NOTIFICATION_LEVELS

from .. import auth
from ..api.schemas import PageQuerySchema
from ..calls import UNANSWERED, communities, notifications, parallel
from .common import next_url, query_args, raise_failed

notifications_web = Blueprint("notifications_web", __name__)

#: what each kind is called on the settings page (in the order shown)
KIND_NAMES = {
    "mention": lazy_gettext("Mentions of me"),
    "comment": lazy_gettext("Comments on posts I follow"),
    "like": lazy_gettext("Likes of what I wrote"),
    "answer_accepted": lazy_gettext("My answers accepted"),
    "announcement": lazy_gettext("Announcements"),
    "announcement_reminder": lazy_gettext("Reminders of unread announcements"),
    "post": lazy_gettext("New posts (communities where I hear everything)"),
    "document_version": lazy_gettext("New versions of documents I follow"),
    "page_updated": lazy_gettext("Changes to pages I follow"),
    "invitation": lazy_gettext("Invitations to communities"),
    "join_approved": lazy_gettext("My join requests approved"),
    "join_refused": lazy_gettext("My join requests declined"),
    "join_request": lazy_gettext("Join requests (communities I manage)"),
    "content_reported": lazy_gettext("Reported content (communities I manage)"),
}
FREQUENCY_NAMES = {
    "immediately": lazy_gettext("At once"),
    "daily": lazy_gettext("Daily digest"),
    "weekly": lazy_gettext("Weekly digest"),
    "never": lazy_gettext("Never"),
}


def bell_count() -> int | None:
    """The signed-in person's unread count (None signed out, or the service not answering)."""
    if not g.get("principal"):
        return None
    if "bell_count" not in g:
        g.bell_count = notifications.bell()
    return g.bell_count


def sentence(item: dict, people: dict) -> str:
    """What happened, in the reader's language (the wording is the mails' too)."""
    names = [(people.get(a) or {}).get("display_name") if a else None for a in item.get("actor_ids") or []]
    return words.sentence(item, names, get_translations())


def target(item: dict) -> str:
    """Where a notification leads (under the site's root)."""
    return request.script_root + words.target_path(item)


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
    return render_template(
        "notifications/settings.html",
        rows=rows,
        levels=NOTIFICATION_LEVELS,
        mail=notifications.get_mail_preferences()["frequencies"],
        kind_names=KIND_NAMES,
        frequency_names=FREQUENCY_NAMES,
        digest_hour=settings_table.value("PARVIS_MAIL_DIGEST_HOUR") % 24,
    )


@notifications_web.route("/notifications/settings/mail", methods=["POST"])
def mail_settings():
    """How often each kind comes by e-mail (one form for all kinds)."""
    chosen = {
        kind: request.form.get(f"mail-{kind}") for kind in KIND_NAMES if request.form.get(f"mail-{kind}")
    }
    if not chosen or any(value not in MAIL_FREQUENCIES for value in chosen.values()):
        flash(_("Choose one of the frequencies offered."), "error")
        return redirect(url_for("notifications_web.settings")), 303
    notifications.set_mail_preferences(chosen)
    flash(_("Your choice is saved."), "success")
    return redirect(url_for("notifications_web.settings"))


@notifications_web.route("/mail/unsubscribe/<string:token>", methods=["GET", "POST"])
@auth.public
def unsubscribe(token):
    """The unsubscribe link in a mail's footer: a page that asks (a mail scanner following
    links changes nothing), then stops those mails, signed in or not."""
    if request.method == "GET":
        return render_template("notifications/unsubscribe.html", token=token, done=None)
    try:
        done = notifications.unsubscribe(token)
    except ValidationFailed:
        return render_template("notifications/unsubscribe.html", token=token, done=None, invalid=True), 422
    names = [str(KIND_NAMES[kind]) for kind in done["kinds"] if kind in KIND_NAMES]
    return render_template("notifications/unsubscribe.html", token=token, done=names)

"""Web pages of the wall beyond the community page: a post on its own, editing with
history, deleting comments, reports and the managers' queue, hashtag and mention
lists, community settings and the Markdown preview (server-rendered, no inline script).

Editing someone else's text is refused here even to moderators: they hide
(through the report queue) or delete, they do not put words in others' mouths.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from parvis_contracts import limits, markdown
from parvis_contracts.errors import Conflict, Forbidden, NotFound, Unavailable, ValidationFailed

from .. import auth, rpc
from ..api.schemas import COMMUNITY_KINDS, COMMUNITY_VISIBILITIES, CommunityUpdateSchema, PageQuerySchema
from ..calls.identity import people_cards
from .communities import (
    ATTACHMENTS_MAX,
    attachable_call,
    attachable_documents,
    attachment_refusal,
    attachments_from_form,
    language_from_form,
)

wall_web = Blueprint("wall", __name__)

LIST_PAGE = 20
COMMENTS_ON_POST_PAGE = 100
BODY_MAX = limits.POST_BODY_MAX
REASON_MAX = limits.REPORT_REASON_MAX
REPORT_STATUSES = ("open", "hidden", "restored")


# ------------------------------------------------------------------ helpers


def _me() -> str | None:
    return (g.get("principal") or {}).get("id")


def _is_employee() -> bool:
    return not (g.get("principal") or {}).get("guest")


def _raise_failed(results: dict, *names: str) -> None:
    for name in names:
        if isinstance(results.get(name), BaseException):
            raise results[name]


def _back(default: str) -> str:
    from . import safe_next

    return safe_next(request.form.get("next"), default)


def _field_errors(exc) -> dict:
    from . import field_errors

    return field_errors(exc)


def _can_moderate(community: dict) -> bool:
    """Managers, and admins who can read the community (the feed's own rule)."""
    return community.get("my_role") == "manager" or (auth.is_admin() and community.get("access") == "full")


def _post_url(post: dict) -> str:
    return url_for("wall.post_page", post_id=post["id"])


def _wall_url(community_id: str, post_id: str) -> str:
    return url_for("community.page", community_id=community_id) + f"#post-{post_id}"


def _body_from_form() -> tuple[str, str | None]:
    """The posted Markdown and a problem with it (translated), if any."""
    body = (request.form.get("body") or "").strip()
    if not body:
        return body, _("Write something first.")
    if len(body) > BODY_MAX:
        return body, _("The text is too long (at most %(num)s characters).", num=BODY_MAX)
    return body, None


def _refusal_message(exc) -> str:
    """A translated reason why the service refused a text."""
    if "mentions" in _field_errors(exc):
        return _("You can only mention people who can see this community.")
    return _("What you wrote cannot be saved: please check it.")


def _page_args() -> tuple[dict, dict]:
    """(query args without the empty ones and lang, RPC paging kwargs)."""
    args = {k: v for k, v in request.args.items() if v not in ("", None) and k != "lang"}
    try:
        query = PageQuerySchema().load({k: v for k, v in args.items() if k in ("limit", "cursor")})
    except ValidationError:
        abort(400)
    kwargs = {"limit": min(query.get("limit") or LIST_PAGE, 100)}
    if query.get("cursor"):
        kwargs["cursor"] = query["cursor"]
    return args, kwargs


def _next_url(endpoint: str, args: dict, page: dict, **values) -> str | None:
    if not page.get("next_cursor"):
        return None
    next_args = {k: v for k, v in args.items() if k != "cursor"}
    return url_for(endpoint, **values, **next_args, cursor=page["next_cursor"])


def _threads(comments: list) -> list:
    replies: dict = {}
    for comment in comments:
        if comment.get("parent_id"):
            replies.setdefault(comment["parent_id"], []).append(comment)
    return [(c, replies.get(c["id"], [])) for c in comments if not c.get("parent_id")]


# ------------------------------------------------------------------ one post


@wall_web.route("/posts/<string:post_id>")
def post_page(post_id):
    post = rpc.call("feed", "get_post", post_id=post_id)
    results = rpc.call_parallel(
        {
            "community": ("communities", "get_community", {"community_id": post["community_id"]}),
            "comments": ("feed", "list_comments", {"post_id": post_id, "limit": COMMENTS_ON_POST_PAGE}),
        }
    )
    _raise_failed(results, "community", "comments")
    community = results["community"]
    comments = results["comments"].get("items") or []
    people = people_cards([post.get("author_id")] + [c.get("author_id") for c in comments])
    return render_template(
        "feed/post.html",
        post=post,
        community=community,
        threads={post["id"]: _threads(comments)},
        people=people,
        me=_me(),
        can_moderate=_can_moderate(community),
        is_employee=_is_employee(),
    )


# ------------------------------------------------------------------ edit and history


def _require_author(item: dict) -> None:
    if item.get("author_id") != _me():
        raise Forbidden("Only the author can edit this text.")


def _edit_changes(form, with_attachments: bool) -> dict:
    """The language (always in the form) and, when the form showed the list, the
    attachments (an empty selection removes them all)."""
    changes = {"language": language_from_form(form)}
    if with_attachments and form.get("attachments_shown") == "1":
        changes["attachments"] = attachments_from_form(form)
    return changes


@wall_web.route("/posts/<string:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id):
    post = rpc.call("feed", "get_post", post_id=post_id)
    _require_author(post)
    attachable = attachable_documents(
        rpc.call_parallel({"docs": attachable_call(post["community_id"])}).get("docs"),
        keep=post.get("attachments") or [],
    )
    error, status, body = None, 200, post.get("body") or ""
    language = post.get("language") or ""
    attached_ids = [a.get("id") for a in post.get("attachments") or []]
    if request.method == "POST":
        body, error = _body_from_form()
        language = language_from_form(request.form) or ""
        attached_ids = attachments_from_form(request.form)
        if not error:
            try:
                rpc.call(
                    "feed",
                    "edit_post",
                    post_id=post_id,
                    body=body,
                    **_edit_changes(request.form, with_attachments=True),
                )
            except (ValidationFailed, ValidationError, NotFound, Unavailable) as exc:
                error = attachment_refusal(exc)
                if error is None and isinstance(exc, (NotFound, Unavailable)):
                    raise
                error = error or _refusal_message(exc)
            except (Forbidden, Conflict):
                flash(_("You are not allowed to do this."), "error")
                return redirect(_wall_url(post["community_id"], post_id))
            else:
                flash(_("Your changes are saved."), "success")
                return redirect(_back(_wall_url(post["community_id"], post_id)))
        status = 422
    return render_template(
        "feed/edit.html",
        item=post,
        item_type="post",
        body=body,
        error=error,
        language_value=language,
        attachable=attachable,
        attached_ids=attached_ids,
        attachments_max=ATTACHMENTS_MAX,
        action=url_for("wall.edit_post", post_id=post_id),
        cancel=_wall_url(post["community_id"], post_id),
    ), status


@wall_web.route("/comments/<string:comment_id>/edit", methods=["GET", "POST"])
def edit_comment(comment_id):
    comment = rpc.call("feed", "get_comment", comment_id=comment_id)
    _require_author(comment)
    back = _wall_url(comment["community_id"], comment["post_id"])
    error, status, body = None, 200, comment.get("body") or ""
    language = comment.get("language") or ""
    if request.method == "POST":
        body, error = _body_from_form()
        language = language_from_form(request.form) or ""
        if not error:
            try:
                rpc.call(
                    "feed",
                    "edit_comment",
                    comment_id=comment_id,
                    body=body,
                    **_edit_changes(request.form, with_attachments=False),
                )
            except (ValidationFailed, ValidationError) as exc:
                error = _refusal_message(exc)
            except (Forbidden, Conflict):
                flash(_("You are not allowed to do this."), "error")
                return redirect(back)
            else:
                flash(_("Your changes are saved."), "success")
                return redirect(_back(back))
        status = 422
    return render_template(
        "feed/edit.html",
        item=comment,
        item_type="comment",
        body=body,
        error=error,
        language_value=language,
        attachable=[],
        attached_ids=[],
        attachments_max=ATTACHMENTS_MAX,
        action=url_for("wall.edit_comment", comment_id=comment_id),
        cancel=back,
    ), status


def _history(item: dict, item_type: str, versions: dict):
    items = list(reversed(versions.get("items") or []))  # newest first
    people = people_cards([item.get("author_id")] + [v.get("replaced_by") for v in items])
    return render_template("feed/history.html", item=item, item_type=item_type, versions=items, people=people)


@wall_web.route("/posts/<string:post_id>/history")
def post_history(post_id):
    results = rpc.call_parallel(
        {
            "post": ("feed", "get_post", {"post_id": post_id}),
            "versions": ("feed", "post_versions", {"post_id": post_id}),
        }
    )
    _raise_failed(results, "post", "versions")
    return _history(results["post"], "post", results["versions"])


@wall_web.route("/comments/<string:comment_id>/history")
def comment_history(comment_id):
    results = rpc.call_parallel(
        {
            "comment": ("feed", "get_comment", {"comment_id": comment_id}),
            "versions": ("feed", "comment_versions", {"comment_id": comment_id}),
        }
    )
    _raise_failed(results, "comment", "versions")
    return _history(results["comment"], "comment", results["versions"])


# ------------------------------------------------------------------ delete a comment


@wall_web.route("/comments/<string:comment_id>/delete", methods=["POST"])
def delete_comment(comment_id):
    comment = rpc.call("feed", "get_comment", comment_id=comment_id)  # 404 if not visible
    back = _wall_url(comment["community_id"], comment["post_id"])
    try:
        rpc.call("feed", "delete_comment", comment_id=comment_id)
    except (Forbidden, Conflict):
        flash(_("You are not allowed to do this."), "error")
    else:
        flash(_("Comment deleted."), "success")
    return redirect(_back(back))


# ------------------------------------------------------------------ reports


@wall_web.route("/<any(posts, comments):kind>/<string:target_id>/report", methods=["POST"])
def report(kind, target_id):
    target_type = "post" if kind == "posts" else "comment"
    reason = " ".join((request.form.get("reason") or "").split())[:REASON_MAX]
    if not reason:
        reason = _("No reason given.")
    if target_type == "post":
        target = rpc.call("feed", "get_post", post_id=target_id)  # 404 if not visible
        back = _wall_url(target["community_id"], target["id"])
    else:
        target = rpc.call("feed", "get_comment", comment_id=target_id)
        back = _wall_url(target["community_id"], target["post_id"])
    try:
        rpc.call("feed", "report_content", target_type=target_type, target_id=target_id, reason=reason)
    except Conflict:
        flash(_("You have already reported this."), "error")
    except (Forbidden, ValidationFailed):
        flash(_("You are not allowed to do this."), "error")
    else:
        flash(_("Thank you: the managers of the community will look at it."), "success")
    return redirect(_back(back))


@wall_web.route("/communities/<string:community_id>/reports")
def report_queue(community_id):
    status = request.args.get("status") or "open"
    if status not in REPORT_STATUSES:
        status = "open"
    args, kwargs = _page_args()
    results = rpc.call_parallel(
        {
            "community": ("communities", "get_community", {"community_id": community_id}),
            "reports": ("feed", "report_queue", {"community_id": community_id, "status": status, **kwargs}),
        }
    )
    _raise_failed(results, "community", "reports")  # a plain member: 403, an outsider: 404
    community = results["community"]
    page = results["reports"]
    items = page.get("items") or []
    people = people_cards([r.get("reporter_id") for r in items] + [r.get("target_author_id") for r in items])
    return render_template(
        "communities/reports.html",
        community=community,
        reports=items,
        people=people,
        status=status,
        statuses=REPORT_STATUSES,
        next_url=_next_url("wall.report_queue", args, page, community_id=community_id),
        tab="reports",
        is_manager=community.get("my_role") == "manager",
        can_moderate=True,
        me=_me(),
        is_employee=_is_employee(),
    )


@wall_web.route("/reports/<string:report_id>/<any(hide, restore):action>", methods=["POST"])
def resolve_report(report_id, action):
    community_id = (request.form.get("community_id") or "").strip()
    default = url_for("wall.report_queue", community_id=community_id) if community_id else url_for("web.home")
    try:
        rpc.call("feed", "resolve_report", report_id=report_id, action=action)
    except (Forbidden, Conflict, ValidationFailed):
        flash(_("You are not allowed to do this."), "error")
    else:
        flash(
            _("The content is hidden.") if action == "hide" else _("The content is visible again."), "success"
        )
    return redirect(_back(default))


# ------------------------------------------------------------------ hashtags, mentions


@wall_web.route("/tags/<string:tag>")
def tag_page(tag):
    args, kwargs = _page_args()
    try:
        page = rpc.call("feed", "hashtag_posts", tag=tag, **kwargs)
    except ValidationFailed:
        return render_template(
            "feed/list.html",
            heading="#" + tag,
            list_kind="tag",
            posts=[],
            people={},
            next_url=None,
            invalid=True,
            tag=tag,
        ), 422
    posts = page.get("items") or []
    clean_tag = tag.strip().lstrip("#").casefold()
    return render_template(
        "feed/list.html",
        heading="#" + clean_tag,
        list_kind="tag",
        posts=posts,
        people=people_cards(p.get("author_id") for p in posts),
        next_url=_next_url("wall.tag_page", args, page, tag=tag),
        invalid=False,
        tag=clean_tag,
    )


@wall_web.route("/mentions")
def mentions():
    args, kwargs = _page_args()
    page = rpc.call("feed", "mentions_of_me", **kwargs)
    posts = page.get("items") or []
    return render_template(
        "feed/list.html",
        heading=_("Mentions of me"),
        list_kind="mentions",
        posts=posts,
        people=people_cards(p.get("author_id") for p in posts),
        next_url=_next_url("wall.mentions", args, page),
        invalid=False,
        tag=None,
    )


# ------------------------------------------------------------------ community settings


def _settings_values(community: dict) -> dict:
    return {
        "name": community.get("name") or "",
        "description": community.get("description") or "",
        "kind": community.get("kind") or "",
        "visibility": community.get("visibility") or "",
        "languages": ", ".join(community.get("languages") or []),
        "newcomers_see_history": bool(community.get("newcomers_see_history")),
    }


def _settings_changes(form) -> dict:
    from . import split_list

    raw = {
        "name": " ".join((form.get("name") or "").split()),
        "description": (form.get("description") or "").strip(),
        "kind": form.get("kind") or "",
        "visibility": form.get("visibility") or "",
        "languages": [lang.lower() for lang in split_list(form.get("languages"))],
        "newcomers_see_history": form.get("newcomers_see_history") == "true",
    }
    return CommunityUpdateSchema().load(raw)


@wall_web.route("/communities/<string:community_id>/settings", methods=["GET", "POST"])
def settings(community_id):
    community = rpc.call("communities", "get_community", community_id=community_id)
    if community.get("access") != "full" or not _can_moderate(community):
        raise Forbidden("Only the community's managers can do this.")
    errors, status = {}, 200
    values = _settings_values(community)
    if request.method == "POST" and request.form.get("picture_action") in ("upload", "remove"):
        from parvis_contracts.errors import PayloadTooLarge

        from ..api import community_pictures as pictures

        try:
            if request.form["picture_action"] == "upload":
                pictures.store_picture(community_id)
                flash(_("The community's picture is saved."), "success")
            else:
                pictures.clear_picture(community_id)
                flash(_("The community's picture is removed."), "success")
        except PayloadTooLarge:
            flash(
                _(
                    "This image is too large (at most %(size)s MB).",
                    size=round(pictures.photos.max_bytes() / (1024 * 1024), 1),
                ),
                "error",
            )
        except ValidationFailed:
            flash(_("Choose a PNG, JPEG, GIF or WebP image."), "error")
        except (Forbidden, Conflict):
            flash(_("You are not allowed to do this."), "error")
        return redirect(url_for("wall.settings", community_id=community_id))
    if request.method == "POST":
        values = {
            **request.form.to_dict(),
            "newcomers_see_history": request.form.get("newcomers_see_history") == "true",
        }
        try:
            changes = _settings_changes(request.form)
            rpc.call("communities", "update_community", community_id=community_id, changes=changes)
        except (ValidationError, ValidationFailed) as exc:
            # the service names its fields under "changes": changes_name -> name
            errors = {key.removeprefix("changes_"): value for key, value in _field_errors(exc).items()}
            status = 422
            flash(_("Some fields need your attention."), "error")
        except (Forbidden, Conflict):
            errors, status = {}, 403
            flash(_("You are not allowed to do this."), "error")
        else:
            flash(_("Settings saved."), "success")
            return redirect(url_for("wall.settings", community_id=community_id))
    return render_template(
        "communities/settings.html",
        community=community,
        values=values,
        errors=errors,
        kinds=COMMUNITY_KINDS,
        visibilities=COMMUNITY_VISIBILITIES,
        tab="settings",
        is_manager=community.get("my_role") == "manager",
        can_moderate=True,
        me=_me(),
        is_employee=_is_employee(),
    ), status


# ------------------------------------------------------------------ Markdown preview


@wall_web.route("/preview", methods=["POST"])
def preview():
    """The sanitised HTML of the posted Markdown.

    With ``partial=1`` (the composer's script) only the HTML fragment comes back;
    without script, a page shows the preview and the text, ready to publish.
    """
    from . import safe_next

    body, error = _body_from_form()
    html = markdown.to_html(body) if not error else ""
    if request.form.get("partial") == "1":
        if error:
            return render_template("feed/_preview.html", html="", error=error), 422
        return render_template("feed/_preview.html", html=html, error=None)
    target = safe_next(request.form.get("target"), "")
    if not target:
        abort(400)
    hidden = {
        name: request.form.get(name)
        for name in ("kind", "community_id", "parent_id", "language")
        if request.form.get(name)
    }
    return render_template(
        "feed/preview.html", html=html, body=body, error=error, target=target, hidden=hidden
    ), 422 if error else 200


__all__ = ["wall_web"]

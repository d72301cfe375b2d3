"""Web pages of communities and their walls (server-rendered, no inline script)."""

from __future__ import annotations

from babel import Locale
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from parvis_contracts import limits
from parvis_contracts.errors import Conflict, Forbidden, NotFound, Unavailable, ValidationFailed
from parvis_contracts.schemas import LANGUAGES
from parvis_contracts.vocabulary import MEMBER_ROLES

from .. import rpc
from ..api.communities import list_kwargs
from ..api.organisations import as_items
from ..api.schemas import (
    COMMUNITY_KINDS,
    COMMUNITY_VISIBILITIES,
    CommunityCreateSchema,
    CommunityQuerySchema,
    WallQuerySchema,
)
from ..calls.identity import people_cards
from .forms import form_key

community_web = Blueprint("community", __name__)

WALL_PAGE = 20
COMMENTS_PER_POST = 50
#: documents offered by the composer's "Attach documents" list (the most recent first)
ATTACHABLE_DOCUMENTS = 50
ATTACHMENTS_MAX = limits.ATTACHMENTS_MAX
UI_LANGUAGES = ("en", "fr", "es", "de")


def _field_errors(exc) -> dict:
    from . import field_errors

    return field_errors(exc)


def _split(text: str | None) -> list[str]:
    from . import split_list

    return split_list(text)


def _raise_failed(results: dict, *names: str) -> None:
    for name in names:
        if isinstance(results.get(name), BaseException):
            raise results[name]


def _back(default: str) -> str:
    from . import safe_next

    return safe_next(request.form.get("next"), default)


def _me() -> str | None:
    return (g.get("principal") or {}).get("id")


def _is_employee() -> bool:
    return not (g.get("principal") or {}).get("guest")


def _flash_refusal(exc) -> None:
    if isinstance(exc, (ValidationFailed, ValidationError)):
        flash(_("What you wrote cannot be saved: please check it."), "error")
    elif isinstance(exc, Conflict):
        flash(_("This is not possible in the current state of the community."), "error")
    else:
        flash(_("You are not allowed to do this."), "error")


def _attempt(call, success: str | None = None) -> bool:
    """Run a write; flash success or the refusal (404 still goes to the 404 page)."""
    try:
        call()
    except (ValidationFailed, ValidationError, Conflict, Forbidden) as exc:
        _flash_refusal(exc)
        return False
    if success:
        flash(success, "success")
    return True


# ------------------------------------------------------------------ language and attachments
# of posts and comments (the composer, the comment forms, the edit forms)


def _language_names() -> dict:
    """Every ISO 639-1 language, named in the reader's language."""
    try:
        names = Locale.parse(g.get("lang") or "en").languages
    except Exception:  # an unknown locale: English names
        names = Locale("en").languages
    return {code: names.get(code) or code for code in LANGUAGES}


def default_post_language() -> str:
    """What the Language select of a new post or comment starts on: the signed-in
    person's preferred language ('' — undetermined — when they have none)."""
    code = ((g.get("principal") or {}).get("preferred_language") or "").lower()
    return code if code in LANGUAGES else ""


def post_language_choices(community=None, chosen: str | None = None) -> dict:
    """``{"likely": [(code, name)], "others": [(code, name)]}``: the chosen and preferred
    languages, the community's and the interface's first, then every other one."""
    names = _language_names()
    first = [chosen, default_post_language(), *((community or {}).get("languages") or []), *UI_LANGUAGES]
    likely = [code for code in dict.fromkeys(c for c in first if c) if code in names]
    others = sorted((c for c in names if c not in likely), key=lambda c: names[c].casefold())
    return {"likely": [(c, names[c]) for c in likely], "others": [(c, names[c]) for c in others]}


@community_web.app_context_processor
def _post_form_helpers() -> dict:
    return {"post_language_choices": post_language_choices, "default_post_language": default_post_language}


def language_from_form(form) -> str | None:
    """The posted language: a code, or None for "undetermined" (the service checks it)."""
    return (form.get("language") or "").strip().lower() or None


def attachments_from_form(form) -> list[str]:
    return [i for i in dict.fromkeys(v.strip() for v in form.getlist("attachments")) if i]


def attachable_call(community_id: str) -> tuple:
    """The RPC (for ``rpc.call_parallel``) that lists what the composer may attach."""
    return ("documents", "list_folder", {"community_id": community_id})


def attachable_documents(result, keep: list | None = None) -> list[dict]:
    """The root folder's documents, most recent first, at most ``ATTACHABLE_DOCUMENTS``
    (none when the documents service did not answer), plus ``keep`` (already attached)."""
    docs = [] if isinstance(result, BaseException) or not result else list(result.get("documents") or [])
    docs.sort(key=lambda d: d.get("updated_at") or d.get("created_at") or "", reverse=True)
    docs = docs[:ATTACHABLE_DOCUMENTS]
    seen = {d.get("id") for d in docs}
    return [*docs, *(a for a in keep or [] if a.get("id") not in seen)]


def attachment_refusal(exc) -> str | None:
    """A translated message when the refusal is about the attachments, else None."""
    details = getattr(exc, "details", None) or {}
    if isinstance(exc, Unavailable):
        return _("Documents cannot be attached right now: please try again later.")
    if isinstance(exc, NotFound) and details.get("field") == "attachments":
        return _("A document cannot be attached: it no longer exists or you cannot see it.")
    if isinstance(exc, (ValidationFailed, ValidationError)) and "attachments" in (
        getattr(exc, "messages", None) or details
    ):
        return _("You can attach at most %(num)s documents.", num=ATTACHMENTS_MAX)
    return None


# ------------------------------------------------------------------ directory


def _create_form_data(form) -> dict:
    raw = {
        "name": " ".join((form.get("name") or "").split()),
        "kind": form.get("kind") or "",
        "visibility": form.get("visibility") or "open",
        "description": (form.get("description") or "").strip(),
    }
    languages = [lang.lower() for lang in _split(form.get("languages"))]
    if languages:
        raw["languages"] = languages
    return CommunityCreateSchema().load(raw)


@community_web.route("/communities", methods=["GET", "POST"])
def directory():
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            created = rpc.call("communities", "create_community", **_create_form_data(request.form))
        except (ValidationError, ValidationFailed) as exc:
            errors, status = _field_errors(exc), 422
            flash(_("The community was not created."), "error")
        else:
            flash(_("Community created."), "success")
            return redirect(url_for("community.page", community_id=created["id"]))
    # the search form's fields are the API's query parameters (CommunityQuerySchema): an
    # unknown or invalid one answers 422 with its errors and no list, never everyone's
    args = {k: v for k, v in request.args.items() if v not in ("", None) and k != "lang"}
    search_errors, calls = {}, {"invitations": ("communities", "my_invitations", {})}
    try:
        calls["page"] = ("communities", "list_communities", list_kwargs(CommunityQuerySchema().load(args)))
    except ValidationError as exc:
        search_errors = _field_errors(exc)
    results = rpc.call_parallel(calls)
    if isinstance(results.get("page"), ValidationFailed):  # e.g. a cursor it did not give
        search_errors = _field_errors(results.pop("page"))
    _raise_failed(results, "page", "invitations")
    page = results.get("page")
    if search_errors:
        status = 422
    next_url = None
    if page and page.get("next_cursor"):
        next_args = {k: v for k, v in args.items() if k != "cursor"}
        next_url = url_for("community.directory", **next_args, cursor=page["next_cursor"])
    return render_template(
        "communities/directory.html",
        page=page,
        args=args,
        invitations=results["invitations"].get("items") or [],
        errors=errors,
        search_errors=search_errors,
        values=values,
        next_url=next_url,
        kinds=COMMUNITY_KINDS,
        visibilities=COMMUNITY_VISIBILITIES,
        can_create=_is_employee(),
    ), status


@community_web.route(
    "/communities/<string:community_id>/invitation/<any(accept, decline):action>", methods=["POST"]
)
def answer_invitation(community_id, action):
    method = "accept_invitation" if action == "accept" else "decline_invitation"
    done = _attempt(
        lambda: rpc.call("communities", method, community_id=community_id),
        _("Welcome to the community!") if action == "accept" else _("Invitation declined."),
    )
    if done and action == "accept":
        return redirect(url_for("community.page", community_id=community_id))
    return redirect(url_for("community.directory"))


# ------------------------------------------------------------------ community page


def _comments_by_post(posts: list) -> dict:
    calls = {
        post["id"]: ("feed", "list_comments", {"post_id": post["id"], "limit": COMMENTS_PER_POST})
        for post in posts
        if post.get("comment_count")
    }
    results = rpc.call_parallel(calls) if calls else {}
    comments = {}
    for post_id, result in results.items():
        comments[post_id] = [] if isinstance(result, BaseException) else result.get("items") or []
    return comments


def _threads(comments: list) -> list:
    """Top-level comments, each followed by its replies: ``[(comment, [replies])]``."""
    replies: dict = {}
    for comment in comments:
        if comment.get("parent_id"):
            replies.setdefault(comment["parent_id"], []).append(comment)
    return [(c, replies.get(c["id"], [])) for c in comments if not c.get("parent_id")]


def _load_community(community_id: str, extra: dict | None = None) -> dict:
    calls = {"community": ("communities", "get_community", {"community_id": community_id})}
    calls.update(extra or {})
    results = rpc.call_parallel(calls)
    _raise_failed(results, "community")  # invisible: the same 404 as an unknown id
    return results


@community_web.route("/communities/<string:community_id>")
def page(community_id):
    args = {k: v for k, v in request.args.items() if v not in ("", None) and k != "lang"}
    try:
        query = WallQuerySchema().load(args)
    except ValidationError:
        query, args = {"limit": WALL_PAGE}, {}
    wall_kwargs = {"community_id": community_id, "limit": WALL_PAGE}
    for name in ("kind", "cursor"):
        if query.get(name):
            wall_kwargs[name] = query[name]
    if query.get("unanswered"):
        wall_kwargs["unanswered"] = True
    results = _load_community(
        community_id,
        {"wall": ("feed", "community_wall", wall_kwargs), "attachable": attachable_call(community_id)},
    )
    community = results["community"]
    wall = results["wall"]
    if isinstance(wall, BaseException):
        if community.get("access") == "full" and not isinstance(wall, NotFound):
            raise wall
        wall = None  # metadata only (or the feed has not heard of it yet)
    posts = (wall or {}).get("items") or []
    comments = _comments_by_post(posts)
    ids = [p.get("author_id") for p in posts]
    ids += [c.get("author_id") for items in comments.values() for c in items]
    people = people_cards(ids)
    next_url = None
    if wall and wall.get("next_cursor"):
        next_args = {k: v for k, v in args.items() if k != "cursor"}
        next_url = url_for(
            "community.page", community_id=community_id, **next_args, cursor=wall["next_cursor"]
        )
    is_manager = community.get("my_role") == "manager"
    return render_template(
        "communities/page.html",
        community=community,
        wall=wall,
        posts=posts,
        threads={k: _threads(v) for k, v in comments.items()},
        people=people,
        next_url=next_url,
        args=args,
        tab="wall",
        is_manager=is_manager,
        can_moderate=is_manager or _is_admin_member(community),
        me=_me(),
        is_employee=_is_employee(),
        attachable=attachable_documents(results.get("attachable")),
        attachments_max=ATTACHMENTS_MAX,
    )


def _is_admin_member(community: dict) -> bool:
    from .. import auth

    return auth.is_admin() and bool(community.get("my_role"))


@community_web.route("/communities/<string:community_id>/members")
def members(community_id):
    results = _load_community(
        community_id,
        {"members": ("communities", "list_members", {"community_id": community_id, "limit": 100})},
    )
    _raise_failed(results, "members")
    community = results["community"]
    items = results["members"].get("items") or []
    return render_template(
        "communities/members.html",
        community=community,
        members=items,
        people=people_cards(m["user_id"] for m in items),
        tab="members",
        is_manager=community.get("my_role") == "manager",
        me=_me(),
        is_employee=_is_employee(),
    )


@community_web.route("/communities/<string:community_id>/manage")
def manage(community_id):
    q = (request.args.get("q") or "").strip()[:120]
    extra = {
        "requests": ("communities", "list_join_requests", {"community_id": community_id}),
        "orgs": ("identity", "list_organisations", {}),
    }
    if q:
        extra["search"] = ("identity", "search_people", {"query": q, "limit": 20})
    results = _load_community(community_id, extra)
    _raise_failed(results, "requests")
    community = results["community"]
    requests_ = results["requests"].get("items") or []
    orgs = [] if isinstance(results["orgs"], BaseException) else as_items(results["orgs"])
    search = results.get("search")
    found = [] if not search or isinstance(search, BaseException) else search.get("items") or []
    return render_template(
        "communities/manage.html",
        community=community,
        join_requests=requests_,
        people=people_cards(r["user_id"] for r in requests_),
        orgs=[o for o in orgs if not o.get("is_host")],
        q=q,
        found=found,
        tab="manage",
        is_manager=True,
        me=_me(),
        is_employee=_is_employee(),
    )


# ------------------------------------------------------------------ community actions


def _to_page(community_id):
    return redirect(_back(url_for("community.page", community_id=community_id)))


@community_web.route("/communities/<string:community_id>/join", methods=["POST"])
def join(community_id):
    _attempt(
        lambda: rpc.call("communities", "join_community", community_id=community_id),
        _("Welcome to the community!"),
    )
    return _to_page(community_id)


@community_web.route("/communities/<string:community_id>/leave", methods=["POST"])
def leave(community_id):
    if _attempt(
        lambda: rpc.call("communities", "leave_community", community_id=community_id),
        _("You left the community."),
    ):
        return redirect(url_for("community.directory"))
    return _to_page(community_id)


@community_web.route("/communities/<string:community_id>/request", methods=["POST"])
def request_to_join(community_id):
    message = (request.form.get("message") or "").strip()[:500] or None
    _attempt(
        lambda: rpc.call("communities", "request_to_join", community_id=community_id, message=message),
        _("Your request is sent to the managers."),
    )
    return redirect(_back(url_for("community.directory")))


def _to_manage(community_id):
    return redirect(_back(url_for("community.manage", community_id=community_id)))


@community_web.route("/communities/<string:community_id>/invite", methods=["POST"])
def invite(community_id):
    person_id = (request.form.get("person_id") or "").strip()
    if not person_id:
        flash(_("Choose a person to invite."), "error")
    else:
        try:
            rpc.call("communities", "invite", community_id=community_id, person_id=person_id)
        except NotFound:
            rpc.call("communities", "get_community", community_id=community_id)  # 404 if hidden
            flash(_("This person does not exist or you cannot see them."), "error")
        except (ValidationFailed, Conflict, Forbidden) as exc:
            _flash_refusal(exc)
        else:
            flash(_("Invitation sent."), "success")
    return _to_manage(community_id)


@community_web.route(
    "/communities/<string:community_id>/requests/<string:user_id>/<any(approve, refuse):action>",
    methods=["POST"],
)
def answer_request(community_id, user_id, action):
    method = "approve_join_request" if action == "approve" else "refuse_join_request"
    _attempt(
        lambda: rpc.call("communities", method, community_id=community_id, user_id=user_id),
        _("Request approved.") if action == "approve" else _("Request refused."),
    )
    return _to_manage(community_id)


@community_web.route("/communities/<string:community_id>/allowed-organisations", methods=["POST"])
def allowed_organisations(community_id):
    org_ids = [o for o in request.form.getlist("org_id") if o][:200]
    _attempt(
        lambda: rpc.call(
            "communities", "update_community", community_id=community_id, changes={"allowed_org_ids": org_ids}
        ),
        _("Settings saved."),
    )
    return _to_manage(community_id)


@community_web.route("/communities/<string:community_id>/<any(archive, reopen):action>", methods=["POST"])
def archive(community_id, action):
    method = "archive_community" if action == "archive" else "reopen_community"
    _attempt(
        lambda: rpc.call("communities", method, community_id=community_id),
        _("The community is archived.") if action == "archive" else _("The community is open again."),
    )
    return _to_page(community_id)


@community_web.route("/communities/<string:community_id>/members/<string:user_id>/role", methods=["POST"])
def member_role(community_id, user_id):
    role = request.form.get("role")
    if role not in MEMBER_ROLES:
        flash(_("What you wrote cannot be saved: please check it."), "error")
    else:
        _attempt(
            lambda: rpc.call(
                "communities", "set_member_role", community_id=community_id, user_id=user_id, role=role
            ),
            _("Role saved."),
        )
    return redirect(url_for("community.members", community_id=community_id))


@community_web.route("/communities/<string:community_id>/members/<string:user_id>/remove", methods=["POST"])
def remove_member(community_id, user_id):
    _attempt(
        lambda: rpc.call("communities", "remove_member", community_id=community_id, user_id=user_id),
        _("Member removed."),
    )
    return redirect(url_for("community.members", community_id=community_id))


# ------------------------------------------------------------------ wall actions


@community_web.route("/communities/<string:community_id>/posts", methods=["POST"])
def create_post(community_id):
    body = (request.form.get("body") or "").strip()
    kind = request.form.get("kind") or "message"
    if not body:
        flash(_("Write something first."), "error")
    else:
        try:
            rpc.call(
                "feed",
                "create_post",
                community_id=community_id,
                body=body,
                kind=kind,
                language=language_from_form(request.form),
                attachments=attachments_from_form(request.form),
                idempotency_key=form_key(),
            )
        except (ValidationFailed, ValidationError, Conflict, Forbidden, NotFound, Unavailable) as exc:
            message = attachment_refusal(exc)
            if message:
                flash(message, "error")
            elif isinstance(exc, (NotFound, Unavailable)):
                raise
            else:
                _flash_refusal(exc)
        else:
            flash(_("Published."), "success")
    return _to_page(community_id)


def _post_community(post_id: str) -> str:
    return (request.form.get("community_id") or "").strip()


def _back_to_post(post_id: str):
    community_id = _post_community(post_id)
    if community_id:
        default = url_for("community.page", community_id=community_id) + f"#post-{post_id}"
    else:
        default = url_for("web.home")
    return redirect(_back(default))


@community_web.route("/posts/<string:post_id>/comments", methods=["POST"])
def comment(post_id):
    body = (request.form.get("body") or "").strip()
    parent_id = request.form.get("parent_id") or None
    if not body:
        flash(_("Write something first."), "error")
    else:
        _attempt(
            lambda: rpc.call(
                "feed",
                "create_comment",
                post_id=post_id,
                body=body,
                parent_id=parent_id,
                language=language_from_form(request.form),
                idempotency_key=form_key(),
            ),
            _("Comment published."),
        )
    return _back_to_post(post_id)


@community_web.route("/posts/<string:post_id>/<any(like, unlike):action>", methods=["POST"])
def like(post_id, action):
    method = "like_post" if action == "like" else "unlike_post"
    _attempt(lambda: rpc.call("feed", method, post_id=post_id))
    return _back_to_post(post_id)


@community_web.route("/comments/<string:comment_id>/<any(like, unlike):action>", methods=["POST"])
def like_comment(comment_id, action):
    method = "like_comment" if action == "like" else "unlike_comment"
    _attempt(lambda: rpc.call("feed", method, comment_id=comment_id))
    return _back_to_post(request.form.get("post_id") or "")


@community_web.route("/posts/<string:post_id>/accept", methods=["POST"])
def accept_answer(post_id):
    comment_id = request.form.get("comment_id") or None
    _attempt(
        lambda: rpc.call("feed", "accept_answer", post_id=post_id, comment_id=comment_id),
        _("Answer accepted.") if comment_id else _("Accepted answer cleared."),
    )
    return _back_to_post(post_id)


@community_web.route("/posts/<string:post_id>/read", methods=["POST"])
def mark_read(post_id):
    _attempt(lambda: rpc.call("feed", "mark_announcement_read", post_id=post_id), _("Marked as read."))
    return _back_to_post(post_id)


@community_web.route("/posts/<string:post_id>/delete", methods=["POST"])
def delete_post(post_id):
    _attempt(lambda: rpc.call("feed", "delete_post", post_id=post_id), _("Post deleted."))
    return _back_to_post(post_id)


@community_web.route("/posts/<string:post_id>/likes")
def likers(post_id):
    results = rpc.call_parallel(
        {
            "post": ("feed", "get_post", {"post_id": post_id}),
            "likers": ("feed", "post_likers", {"post_id": post_id, "limit": 100}),
        }
    )
    _raise_failed(results, "post", "likers")
    items = results["likers"].get("items") or []
    return render_template(
        "feed/likers.html",
        post=results["post"],
        likers=items,
        people=people_cards(i["user_id"] for i in items),
    )


@community_web.route("/posts/<string:post_id>/reads")
def reads(post_id):
    results = rpc.call_parallel(
        {
            "post": ("feed", "get_post", {"post_id": post_id}),
            "reads": ("feed", "announcement_reads", {"post_id": post_id}),
        }
    )
    _raise_failed(results, "post", "reads")
    data = results["reads"]
    ids = [r["user_id"] for r in data.get("read") or []] + list(data.get("unread") or [])
    return render_template("feed/reads.html", post=results["post"], reads=data, people=people_cards(ids))


# ------------------------------------------------------------------ home timeline


def home_timeline() -> dict:
    """The first page of the home timeline with its authors' cards (for the home page)."""
    timeline = rpc.call("feed", "home_timeline", limit=WALL_PAGE)
    posts = timeline.get("items") or []
    return {"timeline": timeline, "posts": posts, "people": people_cards(p.get("author_id") for p in posts)}


__all__ = ["community_web", "home_timeline"]

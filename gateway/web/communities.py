"""Communities: the directory (and creating one), a community's page with its wall, its
members, its management (join requests, invitations, guests' organisations), joining and
leaving, archiving, and its settings (server-rendered, no inline script)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from parvis_contracts.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, ValidationFailed
from parvis_contracts.vocabulary import MEMBER_ROLES

from .. import auth
from ..api.schemas import (
    COMMUNITY_KINDS,
    COMMUNITY_VISIBILITIES,
    CommunityCreateSchema,
    CommunityQuerySchema,
    CommunityUpdateSchema,
    WallQuerySchema,
)
from ..calls import communities, feed, identity, parallel
from ..calls.identity import people_cards
from ..files import photos, pictures
from .common import (
    back,
    community_web,
    field_errors,
    is_employee,
    languages_from_form,
    me,
    next_url,
    query_args,
    raise_failed,
    threads,
    wall_web,
)
from .reading import link_cards
from .wall import (
    ATTACHMENTS_MAX,
    WALL_PAGE,
    answered_items,
    attachable_call,
    attachable_documents,
    attempt,
    can_moderate,
    comments_by_post,
    flash_refusal,
)

COMMENTS_PER_POST = 50


# ------------------------------------------------------------------ directory


def _create_form_data(form) -> dict:
    raw = {
        "name": " ".join((form.get("name") or "").split()),
        "kind": form.get("kind") or "",
        "visibility": form.get("visibility") or "open",
        "description": (form.get("description") or "").strip(),
    }
    languages = languages_from_form(form)
    if languages:
        raw["languages"] = languages
    return CommunityCreateSchema().load(raw)


@community_web.route("/communities", methods=["GET", "POST"])
def directory():
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        values = {**request.form.to_dict(), "languages": languages_from_form(request.form)}
        try:
            created = communities.create_community(**_create_form_data(request.form))
        except (ValidationError, ValidationFailed) as exc:
            errors, status = field_errors(exc), 422
            flash(_("The community was not created."), "error")
        else:
            flash(_("Community created."), "success")
            return redirect(url_for("community.page", community_id=created["id"]))
    # the search form's fields are the API's query parameters (CommunityQuerySchema): an
    # unknown or invalid one answers 422 with its errors and no list, never everyone's
    args = query_args()
    search_errors, calls = {}, {"invitations": communities.my_invitations.pending()}
    try:
        calls["page"] = communities.list_communities.pending(CommunityQuerySchema().load(args))
    except ValidationError as exc:
        search_errors = field_errors(exc)
    results = parallel(**calls)
    if isinstance(results.get("page"), ValidationFailed):  # e.g. a cursor it did not give
        search_errors = field_errors(results.pop("page"))
    raise_failed(results, "page", "invitations")
    page = results.get("page")
    if search_errors:
        status = 422
    return render_template(
        "communities/directory.html",
        page=page,
        args=args,
        invitations=results["invitations"].get("items") or [],
        errors=errors,
        search_errors=search_errors,
        values=values,
        next_url=next_url("community.directory", args, page),
        kinds=COMMUNITY_KINDS,
        visibilities=COMMUNITY_VISIBILITIES,
        can_create=is_employee(),
    ), status


@community_web.route(
    "/communities/<string:community_id>/invitation/<any(accept, decline):action>", methods=["POST"]
)
def answer_invitation(community_id, action):
    answer = communities.accept_invitation if action == "accept" else communities.decline_invitation
    done = attempt(
        lambda: answer(community_id),
        _("Welcome to the community!") if action == "accept" else _("Invitation declined."),
    )
    if done and action == "accept":
        return redirect(url_for("community.page", community_id=community_id))
    return redirect(url_for("community.directory"))


# ------------------------------------------------------------------ community page


def _load_community(community_id: str, **extra) -> dict:
    results = parallel(community=communities.get_community.pending(community_id), **extra)
    raise_failed(results, "community")  # invisible: the same 404 as an unknown id
    return results


@community_web.route("/communities/<string:community_id>")
def page(community_id):
    args = query_args()
    try:
        query = WallQuerySchema().load(args)
    except ValidationError:
        query, args = {"limit": WALL_PAGE}, {}
    results = _load_community(
        community_id,
        wall=feed.community_wall.pending(community_id, {**query, "limit": WALL_PAGE}),
        attachable=attachable_call(community_id),
        pinned=feed.unread_announcements.pending(community_id),
    )
    community = results["community"]
    wall = results["wall"]
    if isinstance(wall, BaseException):
        if community.get("access") == "full" and not isinstance(wall, NotFound):
            raise wall
        wall = None  # metadata only (or the feed has not heard of it yet)
    posts = (wall or {}).get("items") or []
    # must-read announcements not acknowledged yet: pinned above the wall (members only)
    pinned = [] if wall is None else answered_items(results.get("pinned"))
    comments = comments_by_post(posts, COMMENTS_PER_POST)
    ids = [p.get("author_id") for p in posts + pinned]
    ids += [c.get("author_id") for items in comments.values() for c in items]
    is_manager = community.get("my_role") == "manager"
    return render_template(
        "communities/page.html",
        community=community,
        wall=wall,
        posts=posts,
        pinned=pinned,
        cards=link_cards([*posts, *pinned, *(c for items in comments.values() for c in items)]),
        threads={k: threads(v) for k, v in comments.items()},
        people=people_cards(ids),
        next_url=next_url("community.page", args, wall, community_id=community_id),
        args=args,
        tab="wall",
        is_manager=is_manager,
        can_moderate=is_manager or (auth.is_admin() and bool(community.get("my_role"))),
        me=me(),
        is_employee=is_employee(),
        attachable=attachable_documents(results.get("attachable")),
        attachments_max=ATTACHMENTS_MAX,
    )


@community_web.route("/communities/<string:community_id>/members")
def members(community_id):
    results = _load_community(
        community_id, members=communities.list_members.pending(community_id, {"limit": 100})
    )
    raise_failed(results, "members")
    community = results["community"]
    items = results["members"].get("items") or []
    return render_template(
        "communities/members.html",
        community=community,
        members=items,
        people=people_cards(m["user_id"] for m in items),
        tab="members",
        is_manager=community.get("my_role") == "manager",
        me=me(),
        is_employee=is_employee(),
    )


@community_web.route("/communities/<string:community_id>/manage")
def manage(community_id):
    q = (request.args.get("q") or "").strip()[:120]
    extra = {
        "requests": communities.list_join_requests.pending(community_id),
        "orgs": identity.list_organisations.pending(),
    }
    if q:
        extra["search"] = identity.search_people.pending({"q": q, "limit": 20})
    results = _load_community(community_id, **extra)
    raise_failed(results, "requests")
    community = results["community"]
    requests_ = results["requests"].get("items") or []
    orgs = [] if isinstance(results["orgs"], BaseException) else results["orgs"]
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
        me=me(),
        is_employee=is_employee(),
    )


# ------------------------------------------------------------------ community actions


def _to_page(community_id):
    return redirect(back(url_for("community.page", community_id=community_id)))


@community_web.route("/communities/<string:community_id>/join", methods=["POST"])
def join(community_id):
    attempt(lambda: communities.join_community(community_id), _("Welcome to the community!"))
    return _to_page(community_id)


@community_web.route("/communities/<string:community_id>/leave", methods=["POST"])
def leave(community_id):
    if attempt(lambda: communities.leave_community(community_id), _("You left the community.")):
        return redirect(url_for("community.directory"))
    return _to_page(community_id)


@community_web.route("/communities/<string:community_id>/request", methods=["POST"])
def request_to_join(community_id):
    message = (request.form.get("message") or "").strip()[:500] or None
    attempt(
        lambda: communities.request_to_join(community_id, message), _("Your request is sent to the managers.")
    )
    return redirect(back(url_for("community.directory")))


def _to_manage(community_id):
    return redirect(back(url_for("community.manage", community_id=community_id)))


@community_web.route("/communities/<string:community_id>/invite", methods=["POST"])
def invite(community_id):
    person_id = (request.form.get("person_id") or "").strip()
    if not person_id:
        flash(_("Choose a person to invite."), "error")
    else:
        try:
            communities.invite(community_id, person_id)
        except NotFound:
            communities.get_community(community_id)  # 404 if hidden
            flash(_("This person does not exist or you cannot see them."), "error")
        except (ValidationFailed, Conflict, Forbidden) as exc:
            flash_refusal(exc)
        else:
            flash(_("Invitation sent."), "success")
    return _to_manage(community_id)


@community_web.route(
    "/communities/<string:community_id>/requests/<string:user_id>/<any(approve, refuse):action>",
    methods=["POST"],
)
def answer_request(community_id, user_id, action):
    answer = communities.approve_join_request if action == "approve" else communities.refuse_join_request
    attempt(
        lambda: answer(community_id, user_id),
        _("Request approved.") if action == "approve" else _("Request refused."),
    )
    return _to_manage(community_id)


@community_web.route("/communities/<string:community_id>/allowed-organisations", methods=["POST"])
def allowed_organisations(community_id):
    org_ids = [o for o in request.form.getlist("org_id") if o][:200]
    attempt(
        lambda: communities.update_community(community_id, {"allowed_org_ids": org_ids}), _("Settings saved.")
    )
    return _to_manage(community_id)


@community_web.route("/communities/<string:community_id>/<any(archive, reopen):action>", methods=["POST"])
def archive(community_id, action):
    change = communities.archive_community if action == "archive" else communities.reopen_community
    attempt(
        lambda: change(community_id),
        _("The community is archived.") if action == "archive" else _("The community is open again."),
    )
    return _to_page(community_id)


@community_web.route("/communities/<string:community_id>/members/<string:user_id>/role", methods=["POST"])
def member_role(community_id, user_id):
    role = request.form.get("role")
    if role not in MEMBER_ROLES:
        flash(_("What you wrote cannot be saved: please check it."), "error")
    else:
        attempt(lambda: communities.set_member_role(community_id, user_id, role), _("Role saved."))
    return redirect(url_for("community.members", community_id=community_id))


@community_web.route("/communities/<string:community_id>/members/<string:user_id>/remove", methods=["POST"])
def remove_member(community_id, user_id):
    attempt(lambda: communities.remove_member(community_id, user_id), _("Member removed."))
    return redirect(url_for("community.members", community_id=community_id))


# ------------------------------------------------------------------ settings


def _settings_values(community: dict) -> dict:
    return {
        "name": community.get("name") or "",
        "description": community.get("description") or "",
        "kind": community.get("kind") or "",
        "visibility": community.get("visibility") or "",
        "languages": list(community.get("languages") or []),
        "newcomers_see_history": bool(community.get("newcomers_see_history")),
    }


def _settings_changes(form) -> dict:
    raw = {
        "name": " ".join((form.get("name") or "").split()),
        "description": (form.get("description") or "").strip(),
        "kind": form.get("kind") or "",
        "visibility": form.get("visibility") or "",
        "languages": languages_from_form(form),
        "newcomers_see_history": form.get("newcomers_see_history") == "true",
    }
    return CommunityUpdateSchema().load(raw)


def _change_picture(community_id: str):
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
                size=round(photos.max_bytes() / (1024 * 1024), 1),
            ),
            "error",
        )
    except ValidationFailed:
        flash(_("Choose a PNG, JPEG, GIF or WebP image."), "error")
    except (Forbidden, Conflict):
        flash(_("You are not allowed to do this."), "error")
    return redirect(url_for("wall.settings", community_id=community_id))


@wall_web.route("/communities/<string:community_id>/settings", methods=["GET", "POST"])
def settings(community_id):
    community = communities.get_community(community_id)
    if community.get("access") != "full" or not can_moderate(community):
        raise Forbidden("Only the community's managers can do this.")
    errors, status = {}, 200
    values = _settings_values(community)
    if request.method == "POST" and request.form.get("picture_action") in ("upload", "remove"):
        return _change_picture(community_id)
    if request.method == "POST":
        values = {
            **request.form.to_dict(),
            "languages": languages_from_form(request.form),
            "newcomers_see_history": request.form.get("newcomers_see_history") == "true",
        }
        try:
            communities.update_community(community_id, _settings_changes(request.form))
        except (ValidationError, ValidationFailed) as exc:
            # the service names its fields under "changes": changes_name -> name
            errors = {key.removeprefix("changes_"): value for key, value in field_errors(exc).items()}
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
        me=me(),
        is_employee=is_employee(),
    ), status

"""The wall: home (its composer with a community picker, the must-read announcements
pinned until read, my communities and invitations beside the timeline), writing posts and
comments (the composer, its language and attachments, mentions), likes and reads, a post on
its own, editing with history, deleting comments, reports and the managers' queue, hashtag
and mention lists and the Markdown preview (server-rendered, no inline script).

Editing someone else's text is refused here even to moderators: they hide
(through the report queue) or delete, they do not put words in others' mouths.
"""

from __future__ import annotations

from babel import Locale
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from marshmallow import ValidationError

from parvis_contracts import limits, markdown
from parvis_contracts.errors import Conflict, Forbidden, NotFound, Unavailable, ValidationFailed
from parvis_contracts.schemas import LANGUAGES

from .. import auth
from ..api.schemas import PageQuerySchema
from ..calls import UNANSWERED, communities, documents, feed, parallel
from ..calls.identity import people_cards
from .common import (
    back,
    community_web,
    is_employee,
    me,
    next_url,
    query_args,
    raise_failed,
    safe_next,
    threads,
    wall_web,
    web,
)
from .forms import form_key
from .reading import link_cards

WALL_PAGE = 20
LIST_PAGE = 20
COMMENTS_ON_POST_PAGE = 100
#: documents offered by the composer's "Attach documents" list (the most recent first)
ATTACHABLE_DOCUMENTS = 50
ATTACHMENTS_MAX = limits.ATTACHMENTS_MAX
BODY_MAX = limits.POST_BODY_MAX
REASON_MAX = limits.REPORT_REASON_MAX
REPORT_STATUSES = ("open", "hidden", "restored")
UI_LANGUAGES = ("en", "fr", "es", "de")


# ------------------------------------------------------------------ the home timeline


def answered_items(result) -> list:
    """The items of a listing sent with ``calls.parallel`` (none when it failed: a page
    still renders without that part)."""
    if isinstance(result, BaseException) or not isinstance(result, dict):
        return []
    return list(result.get("items") or [])


def _my_communities(result) -> list[dict]:
    """My communities (their cards, with my role), by name, from ``memberships_of``."""
    return [
        {**(m.get("community") or {}), "my_role": m.get("role") or (m.get("community") or {}).get("my_role")}
        for m in answered_items(result)
        if m.get("community")
    ]


@web.route("/")
def home():
    """The timeline of my communities, with the composer (a community picker: those I may
    post in), must-read announcements pinned until read, and beside it my communities and
    my pending invitations. Likes and comments work in place; a service that does not
    answer leaves its part out, never the page."""
    results = parallel(
        timeline=feed.home_timeline.pending({"limit": WALL_PAGE}),
        pinned=feed.unread_announcements.pending(),
        memberships=communities.memberships_of.pending(),
        invitations=communities.my_invitations.pending(),
    )
    timeline = results["timeline"]
    if isinstance(timeline, BaseException):
        if not isinstance(timeline, (NotFound, Forbidden, *UNANSWERED)):
            raise timeline
        timeline = None  # the feed is not answering: the rest of the page still works
    posts = (timeline or {}).get("items") or []
    pinned = answered_items(results["pinned"])
    mine = _my_communities(results["memberships"])
    invitations = answered_items(results["invitations"])
    people = people_cards([p.get("author_id") for p in posts + pinned])
    home_data = None if timeline is None else {"timeline": timeline, "posts": posts, "people": people}
    return render_template(
        "home.html",
        home=home_data,
        pinned=pinned,
        people=people,
        cards=link_cards(posts + pinned),
        my_communities=mine,
        communities_by_id={c.get("id"): c for c in mine},
        post_targets=[c for c in mine if c.get("id") and not c.get("archived")],
        invitations=invitations,
        me=me(),
        is_employee=is_employee(),
        threads={},
    )


# ------------------------------------------------------------------ a person's profile: their
# communities and recent activity, as the viewer may see them


#: recent posts shown on a profile
PROFILE_POSTS = 5


def person_activity(person_id: str) -> dict:
    """``profile_communities`` (the person's communities the viewer may see them in) and
    ``profile_posts`` (their latest posts the viewer may read), each asked of its owning
    service with the viewer's rights, at once. A service not answering: that part is empty."""
    results = parallel(
        communities=communities.communities_of.pending(person_id),
        posts=feed.author_posts.pending(person_id, PROFILE_POSTS),
    )
    posts = answered_items(results["posts"])
    return {
        "profile_communities": [m.get("community") or {} for m in answered_items(results["communities"])],
        "profile_posts": posts,
        "profile_people": people_cards(p.get("author_id") for p in posts),
        "profile_cards": link_cards(posts),
    }


# ------------------------------------------------------------------ writing: language and
# attachments of posts and comments (the composer, the comment forms, the edit forms)


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


def attachable_call(community_id: str):
    """The call (for ``calls.parallel``) that lists what the composer may attach."""
    return documents.list_folder.pending(community_id)


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


def mention_refusal(exc) -> str | None:
    """A translated message naming the people a text may not mention (they cannot read the
    community), when that is why it was refused; else None."""
    details = getattr(exc, "details", None) or {}
    if not isinstance(exc, ValidationFailed) or not isinstance(details, dict) or "mentions" not in details:
        return None
    names = [str(n) for n in details.get("mention_names") or [] if n]
    if not names:
        return _("You can only mention people who can see this community.")
    return _(
        "You can only mention people who can see this community; they cannot: %(names)s.",
        names=", ".join(names),
    )


def flash_refusal(exc) -> None:
    mentions = mention_refusal(exc)
    if mentions:
        flash(mentions, "error")
    elif isinstance(exc, (ValidationFailed, ValidationError)):
        flash(_("What you wrote cannot be saved: please check it."), "error")
    elif isinstance(exc, Conflict):
        flash(_("This is not possible in the current state of the community."), "error")
    else:
        flash(_("You are not allowed to do this."), "error")


def attempt(call, success: str | None = None) -> bool:
    """Run a write; flash success or the refusal (404 still goes to the 404 page)."""
    try:
        call()
    except (ValidationFailed, ValidationError, Conflict, Forbidden) as exc:
        flash_refusal(exc)
        return False
    if success:
        flash(success, "success")
    return True


def comments_by_post(posts: list, per_post: int) -> dict:
    """The first comments of each post that has some, asked all at once."""
    calls = {
        post["id"]: feed.list_comments.pending(post["id"], {"limit": per_post})
        for post in posts
        if post.get("comment_count")
    }
    results = parallel(**calls) if calls else {}
    return {
        post_id: [] if isinstance(result, BaseException) else result.get("items") or []
        for post_id, result in results.items()
    }


# ------------------------------------------------------------------ writing on a wall


def _to_wall(community_id: str):
    return redirect(back(url_for("community.page", community_id=community_id)))


@community_web.route("/communities/<string:community_id>/posts", methods=["POST"])
def create_post(community_id):
    _publish(community_id)
    return _to_wall(community_id)


@wall_web.route("/compose", methods=["POST"])
def compose():
    """Home's composer: the community is chosen in the form (one the person may post in;
    the feed decides, as for a wall's own composer)."""
    community_id = (request.form.get("community_id") or "").strip()
    if not community_id:
        flash(_("Choose a community to post in."), "error")
    else:
        _publish(community_id)
    return redirect(back(url_for("web.home")))


def _publish(community_id: str) -> None:
    """Publish the posted form on a community's wall; flash the outcome."""
    body = (request.form.get("body") or "").strip()
    kind = request.form.get("kind") or "message"
    if not body:
        flash(_("Write something first."), "error")
    else:
        try:
            feed.create_post(
                community_id,
                body,
                kind,
                language_from_form(request.form),
                attachments_from_form(request.form),
                idempotency_key=form_key(),
            )
        except (ValidationFailed, ValidationError, Conflict, Forbidden, NotFound, Unavailable) as exc:
            message = attachment_refusal(exc)
            if message:
                flash(message, "error")
            elif isinstance(exc, (NotFound, Unavailable)):
                raise
            else:
                flash_refusal(exc)
        else:
            flash(_("Published."), "success")


def _back_to_post(post_id: str):
    community_id = (request.form.get("community_id") or "").strip()
    if community_id:
        default = url_for("community.page", community_id=community_id) + f"#post-{post_id}"
    else:
        default = url_for("web.home")
    return redirect(back(default))


@community_web.route("/posts/<string:post_id>/comments", methods=["POST"])
def comment(post_id):
    body = (request.form.get("body") or "").strip()
    parent_id = request.form.get("parent_id") or None
    if not body:
        flash(_("Write something first."), "error")
    else:
        attempt(
            lambda: feed.create_comment(
                post_id,
                body,
                parent_id=parent_id,
                language=language_from_form(request.form),
                idempotency_key=form_key(),
            ),
            _("Comment published."),
        )
    return _back_to_post(post_id)


@community_web.route("/posts/<string:post_id>/<any(like, unlike):action>", methods=["POST"])
def like(post_id, action):
    attempt(lambda: (feed.like_post if action == "like" else feed.unlike_post)(post_id))
    return _back_to_post(post_id)


@community_web.route("/comments/<string:comment_id>/<any(like, unlike):action>", methods=["POST"])
def like_comment(comment_id, action):
    attempt(lambda: (feed.like_comment if action == "like" else feed.unlike_comment)(comment_id))
    return _back_to_post(request.form.get("post_id") or "")


@community_web.route("/posts/<string:post_id>/accept", methods=["POST"])
def accept_answer(post_id):
    comment_id = request.form.get("comment_id") or None
    attempt(
        lambda: feed.accept_answer(post_id, comment_id),
        _("Answer accepted.") if comment_id else _("Accepted answer cleared."),
    )
    return _back_to_post(post_id)


@community_web.route("/posts/<string:post_id>/read", methods=["POST"])
def mark_read(post_id):
    attempt(lambda: feed.mark_announcement_read(post_id), _("Marked as read."))
    return _back_to_post(post_id)


@community_web.route("/posts/<string:post_id>/delete", methods=["POST"])
def delete_post(post_id):
    attempt(lambda: feed.delete_post(post_id), _("Post deleted."))
    return _back_to_post(post_id)


@community_web.route("/posts/<string:post_id>/likes")
def likers(post_id):
    results = parallel(
        post=feed.get_post.pending(post_id), likers=feed.post_likers.pending(post_id, {"limit": 100})
    )
    raise_failed(results, "post", "likers")
    items = results["likers"].get("items") or []
    return render_template(
        "feed/likers.html",
        post=results["post"],
        likers=items,
        people=people_cards(i["user_id"] for i in items),
    )


@community_web.route("/posts/<string:post_id>/reads")
def reads(post_id):
    results = parallel(post=feed.get_post.pending(post_id), reads=feed.announcement_reads.pending(post_id))
    raise_failed(results, "post", "reads")
    data = results["reads"]
    ids = [r["user_id"] for r in data.get("read") or []] + list(data.get("unread") or [])
    return render_template("feed/reads.html", post=results["post"], reads=data, people=people_cards(ids))


@community_web.route("/posts/<string:post_id>/remind", methods=["POST"])
def remind(post_id):
    sent = feed.remind_announcement(post_id)
    if sent["reminded"]:
        count = sent["reminded"]
        flash(ngettext("%(num)s member was reminded.", "%(num)s members were reminded.", count), "success")
    else:
        flash(_("A reminder already went out today: one a day at most."), "error")
    return redirect(url_for("community.reads", post_id=post_id))


# ------------------------------------------------------------------ one post


def can_moderate(community: dict) -> bool:
    """Managers, and admins who can read the community (the feed's own rule)."""
    return community.get("my_role") == "manager" or (auth.is_admin() and community.get("access") == "full")


def _wall_url(community_id: str, post_id: str) -> str:
    return url_for("community.page", community_id=community_id) + f"#post-{post_id}"


@wall_web.route("/posts/<string:post_id>")
def post_page(post_id):
    post = feed.get_post(post_id)
    results = parallel(
        community=communities.get_community.pending(post["community_id"]),
        comments=feed.list_comments.pending(post_id, {"limit": COMMENTS_ON_POST_PAGE}),
    )
    raise_failed(results, "community", "comments")
    community = results["community"]
    comments = results["comments"].get("items") or []
    people = people_cards([post.get("author_id")] + [c.get("author_id") for c in comments])
    return render_template(
        "feed/post.html",
        post=post,
        community=community,
        threads={post["id"]: threads(comments)},
        people=people,
        cards=link_cards([post, *comments]),
        me=me(),
        can_moderate=can_moderate(community),
        is_employee=is_employee(),
    )


# ------------------------------------------------------------------ edit and history


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
    return mention_refusal(exc) or _("What you wrote cannot be saved: please check it.")


def _require_author(item: dict) -> None:
    if item.get("author_id") != me():
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
    post = feed.get_post(post_id)
    _require_author(post)
    attachable = attachable_documents(
        parallel(docs=attachable_call(post["community_id"])).get("docs"),
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
                feed.edit_post(post_id, body=body, **_edit_changes(request.form, with_attachments=True))
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
                return redirect(back(_wall_url(post["community_id"], post_id)))
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
    comment = feed.get_comment(comment_id)
    _require_author(comment)
    back_to = _wall_url(comment["community_id"], comment["post_id"])
    error, status, body = None, 200, comment.get("body") or ""
    language = comment.get("language") or ""
    if request.method == "POST":
        body, error = _body_from_form()
        language = language_from_form(request.form) or ""
        if not error:
            try:
                feed.edit_comment(
                    comment_id, body=body, **_edit_changes(request.form, with_attachments=False)
                )
            except (ValidationFailed, ValidationError) as exc:
                error = _refusal_message(exc)
            except (Forbidden, Conflict):
                flash(_("You are not allowed to do this."), "error")
                return redirect(back_to)
            else:
                flash(_("Your changes are saved."), "success")
                return redirect(back(back_to))
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
        cancel=back_to,
    ), status


def _history(item: dict, item_type: str, versions: dict):
    items = list(reversed(versions.get("items") or []))  # newest first
    people = people_cards([item.get("author_id")] + [v.get("replaced_by") for v in items])
    return render_template("feed/history.html", item=item, item_type=item_type, versions=items, people=people)


@wall_web.route("/posts/<string:post_id>/history")
def post_history(post_id):
    results = parallel(post=feed.get_post.pending(post_id), versions=feed.post_versions.pending(post_id))
    raise_failed(results, "post", "versions")
    return _history(results["post"], "post", results["versions"])


@wall_web.route("/comments/<string:comment_id>/history")
def comment_history(comment_id):
    results = parallel(
        comment=feed.get_comment.pending(comment_id), versions=feed.comment_versions.pending(comment_id)
    )
    raise_failed(results, "comment", "versions")
    return _history(results["comment"], "comment", results["versions"])


@wall_web.route("/comments/<string:comment_id>/delete", methods=["POST"])
def delete_comment(comment_id):
    comment = feed.get_comment(comment_id)  # 404 if not visible
    back_to = _wall_url(comment["community_id"], comment["post_id"])
    try:
        feed.delete_comment(comment_id)
    except (Forbidden, Conflict):
        flash(_("You are not allowed to do this."), "error")
    else:
        flash(_("Comment deleted."), "success")
    return redirect(back(back_to))


# ------------------------------------------------------------------ reports


@wall_web.route("/<any(posts, comments):kind>/<string:target_id>/report", methods=["POST"])
def report(kind, target_id):
    target_type = "post" if kind == "posts" else "comment"
    reason = " ".join((request.form.get("reason") or "").split())[:REASON_MAX]
    if not reason:
        reason = _("No reason given.")
    if target_type == "post":
        target = feed.get_post(target_id)  # 404 if not visible
        back_to = _wall_url(target["community_id"], target["id"])
    else:
        target = feed.get_comment(target_id)
        back_to = _wall_url(target["community_id"], target["post_id"])
    try:
        feed.report_content(target_type, target_id, reason)
    except Conflict:
        flash(_("You have already reported this."), "error")
    except (Forbidden, ValidationFailed):
        flash(_("You are not allowed to do this."), "error")
    else:
        flash(_("Thank you: the managers of the community will look at it."), "success")
    return redirect(back(back_to))


def _page_args() -> tuple[dict, dict]:
    """(query args without the empty ones and lang, paging arguments)."""
    args = query_args()
    try:
        query = PageQuerySchema().load({k: v for k, v in args.items() if k in ("limit", "cursor")})
    except ValidationError:
        abort(400)
    paging = {"limit": min(query.get("limit") or LIST_PAGE, 100)}
    if query.get("cursor"):
        paging["cursor"] = query["cursor"]
    return args, paging


@wall_web.route("/communities/<string:community_id>/reports")
def report_queue(community_id):
    status = request.args.get("status") or "open"
    if status not in REPORT_STATUSES:
        status = "open"
    args, paging = _page_args()
    results = parallel(
        community=communities.get_community.pending(community_id),
        reports=feed.report_queue.pending(community_id, status, paging),
    )
    raise_failed(results, "community", "reports")  # a plain member: 403, an outsider: 404
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
        next_url=next_url("wall.report_queue", args, page, community_id=community_id),
        tab="reports",
        is_manager=community.get("my_role") == "manager",
        can_moderate=True,
        me=me(),
        is_employee=is_employee(),
    )


@wall_web.route("/reports/<string:report_id>/<any(hide, restore):action>", methods=["POST"])
def resolve_report(report_id, action):
    community_id = (request.form.get("community_id") or "").strip()
    default = url_for("wall.report_queue", community_id=community_id) if community_id else url_for("web.home")
    try:
        feed.resolve_report(report_id, action)
    except (Forbidden, Conflict, ValidationFailed):
        flash(_("You are not allowed to do this."), "error")
    else:
        flash(
            _("The content is hidden.") if action == "hide" else _("The content is visible again."), "success"
        )
    return redirect(back(default))


# ------------------------------------------------------------------ hashtags, mentions


@wall_web.route("/tags/<string:tag>")
def tag_page(tag):
    args, paging = _page_args()
    try:
        page = feed.hashtag_posts(tag, paging)
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
        cards=link_cards(posts),
        people=people_cards(p.get("author_id") for p in posts),
        next_url=next_url("wall.tag_page", args, page, tag=tag),
        invalid=False,
        tag=clean_tag,
    )


@wall_web.route("/mentions")
def mentions():
    args, paging = _page_args()
    page = feed.mentions_of_me(paging)
    posts = page.get("items") or []
    return render_template(
        "feed/list.html",
        heading=_("Mentions of me"),
        list_kind="mentions",
        posts=posts,
        cards=link_cards(posts),
        people=people_cards(p.get("author_id") for p in posts),
        next_url=next_url("wall.mentions", args, page),
        invalid=False,
        tag=None,
    )


# ------------------------------------------------------------------ Markdown preview


@wall_web.route("/preview", methods=["POST"])
def preview():
    """The sanitised HTML of the posted Markdown.

    With ``partial=1`` (the composer's script) only the HTML fragment comes back;
    without script, a page shows the preview and the text, ready to publish.
    """
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

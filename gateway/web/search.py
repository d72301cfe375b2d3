"""Search in the web UI: the box in the top bar of every page (``base.html``, a GET form to
``/search``) and the results page: a tab per kind, each result linking to what it is, its
snippet with the matching words highlighted and its community (a person: their job and
organisation; a community: its kind, size and whether it is archived), older results by
cursor, the help on the operators, and a link to the expertise finder for the same words.

A hit's snippet comes as plain text and the ranges the service marked
(:func:`gateway.calls.search.highlights`): :func:`marked` escapes every piece of the text,
then wraps the marked ones in ``<mark>``, so nothing anyone wrote becomes markup. The query
is read with the API's own schema (``SearchQuerySchema``): what the page refuses, the API
refuses too, with the same limits as the service.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import lazy_gettext
from markupsafe import Markup, escape
from marshmallow import ValidationError

from parvis_contracts import limits
from parvis_contracts.errors import ValidationFailed
from parvis_contracts.vocabulary import SEARCH_KINDS

from ..api.schemas import SearchQuerySchema
from ..calls import search
from .common import next_url

search_web = Blueprint("search_web", __name__)


def init_search_web(app) -> None:
    app.register_blueprint(search_web)
    # the top bar's box states the limit the service keeps (base.html)
    app.jinja_env.globals["search_query_max"] = limits.SEARCH_QUERY_MAX


#: the tabs, a kind each, after "All"
TAB_NAMES = {
    "post": lazy_gettext("Posts"),
    "comment": lazy_gettext("Comments"),
    "page": lazy_gettext("Pages"),
    "document": lazy_gettext("Documents"),
    "person": lazy_gettext("People"),
    "community": lazy_gettext("Communities"),
}
#: what a result is, in front of it
KIND_LABELS = {
    "post": lazy_gettext("A post"),
    "comment": lazy_gettext("A comment"),
    "page": lazy_gettext("A wiki page"),
    "document": lazy_gettext("A document"),
    "person": lazy_gettext("A person"),
    "community": lazy_gettext("A community"),
}
#: the arguments of the page that are the search's (the interface's ``lang`` is not)
ARGUMENTS = ("q", "kinds", "community_id", "language", "cursor")


def marked(snippet: str, ranges: list) -> Markup:
    """``snippet`` as HTML: every piece escaped, each ``[start, end)`` of ``ranges`` in a
    ``<mark>``."""
    out, at = [], 0
    for start, end in ranges:
        if start < at or end <= start:
            continue  # out of order or empty: the service never sends one
        out.append(escape(snippet[at:start]))
        out.append(Markup("<mark>%s</mark>") % snippet[start:end])
        at = end
    out.append(escape(snippet[at:]))
    return Markup("").join(out)


def target(hit: dict) -> str:
    """Where a result leads: the post (a comment's, at the comment), the page, the document,
    the person's profile, the community."""
    kind = hit["kind"]
    if kind == "person":
        return url_for("web.person", person_id=hit["id"])
    if kind == "community":
        return url_for("community.page", community_id=hit["id"])
    if kind == "post":
        return url_for("wall.post_page", post_id=hit["id"])
    if kind == "comment":
        return url_for("wall.post_page", post_id=hit["post_id"]) + f"#comment-{hit['id']}"
    if kind == "page":
        return url_for("documents_web.page", page_id=hit["id"])
    return url_for("documents_web.document", document_id=hit["id"])


def _asked() -> dict:
    """The search's arguments as the query string gave them (``kinds`` as a list)."""
    asked = {}
    for name in ARGUMENTS:
        if name == "kinds":
            values = [v for v in request.args.getlist("kinds") if v]
            if values:
                asked["kinds"] = values
        elif request.args.get(name):
            asked[name] = request.args[name]
    return asked


def _tabs(asked: dict) -> list[dict]:
    """The tab of all kinds, then one per kind: the same search with that ``kinds``, from its
    first page."""
    base = {k: v for k, v in asked.items() if k not in ("kinds", "cursor")}
    current = asked.get("kinds") if len(asked.get("kinds") or []) == 1 else None
    tabs = [{"kind": None, "name": lazy_gettext("All"), "url": url_for("search_web.results", **base)}]
    tabs += [
        {"kind": kind, "name": TAB_NAMES[kind], "url": url_for("search_web.results", **base, kinds=kind)}
        for kind in SEARCH_KINDS
    ]
    for tab in tabs:
        tab["current"] = (tab["kind"] is None and not asked.get("kinds")) or (
            current is not None and [tab["kind"]] == current
        )
    return tabs


@search_web.route("/search")
def results():
    asked = _asked()
    query = (asked.get("q") or "").strip()
    # what the page echoes: printable, and no longer than a query may be
    shown = "".join(c for c in query if c.isprintable())[: limits.SEARCH_QUERY_MAX]
    context = {
        "query": shown,
        "search_query": shown,  # the top bar's box keeps it (base.html)
        "items": [],
        "tabs": _tabs(asked),
        "next_url": None,
        "refused": False,
        "query_max": limits.SEARCH_QUERY_MAX,
        "words_max": limits.SEARCH_QUERY_WORDS_MAX,
        "kind_labels": KIND_LABELS,
        "community_id": asked.get("community_id"),
        "everywhere_url": None,
        # the same words asked of the expertise finder (a skill is at most that long)
        "experts_url": (
            url_for("experts_web.finder", skill=shown[: limits.EXPERT_SKILL_MAX]) if shown else None
        ),
    }
    if asked.get("community_id"):
        context["everywhere_url"] = url_for(
            "search_web.results", **{k: v for k, v in asked.items() if k not in ("community_id", "cursor")}
        )
    if not query:  # the page itself: the box and the help
        return render_template("search/results.html", **context)
    try:
        args = SearchQuerySchema().load({**asked, "q": query})
        page = search.search(args)
    except (ValidationError, ValidationFailed):
        # too long, too many words, nothing to look for, a NUL byte, a forged filter or cursor
        return render_template("search/results.html", **{**context, "refused": True}), 422
    items = [
        {**hit, "html": marked(hit["snippet"], hit["highlights"]), "url": target(hit)}
        for hit in page["items"]
    ]
    link_args = {k: v for k, v in asked.items() if k != "cursor"}
    link_args["q"] = query
    return render_template(
        "search/results.html",
        **{**context, "items": items, "next_url": next_url("search_web.results", link_args, page)},
    )

"""The expertise finder in the web UI: "Who knows about X?" (``/people/experts``).

A GET form (the API's own query schema, ``ExpertsQuerySchema``: what the page refuses, the
API refuses too): the skill, then the filters (country, a language they speak, organisation,
one of my communities), each field labelled, usable with the keyboard alone, without a
script. The results: each person with their card and why they are listed, the service's
structured reasons worded here in the reader's language (:func:`reason_text`: "3 accepted
answers about “hydraulic brakes”"), then "More people" by cursor. The skill box offers the
known skills (a ``datalist``: those of the skill asked, server-side; ``experts.js`` fills it
as one types, from ``GET /api/v1/people/skills``); no result offers the suggestions as
links ("Did you mean").

Linked from the people page and from the search results page ("Who knows about …?").
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from marshmallow import ValidationError

from parvis_contracts import limits
from parvis_contracts.errors import ValidationFailed

from ..api.schemas import ExpertsQuerySchema
from ..calls import UNANSWERED, communities, identity, parallel, search
from .common import field_errors, next_url, query_args, raise_failed

experts_web = Blueprint("experts_web", __name__)

#: the form's fields (and the page's query arguments), in order
FIELDS = ("skill", "country", "language", "org_id", "community_id")


def init_experts_web(app) -> None:
    app.register_blueprint(experts_web)


def reason_text(reason: dict, topic: str) -> str:
    """One of the service's reasons, worded (``topic``: the skill asked)."""
    kind, count = reason.get("kind"), reason.get("count") or 0
    if kind == "skill":
        return _("Declares the skill “%(skill)s”", skill=reason.get("skill") or topic)
    if kind == "accepted_answers":
        return ngettext(
            "%(num)d accepted answer about “%(topic)s”",
            "%(num)d accepted answers about “%(topic)s”",
            count,
            topic=topic,
        )
    if kind == "posts":
        return ngettext(
            "%(num)d post about “%(topic)s”", "%(num)d posts about “%(topic)s”", count, topic=topic
        )
    if kind == "comments":
        return ngettext(
            "%(num)d comment about “%(topic)s”", "%(num)d comments about “%(topic)s”", count, topic=topic
        )
    if kind == "pages":
        return ngettext(
            "%(num)d wiki page about “%(topic)s”", "%(num)d wiki pages about “%(topic)s”", count, topic=topic
        )
    if kind == "documents":
        return ngettext(
            "%(num)d document about “%(topic)s”", "%(num)d documents about “%(topic)s”", count, topic=topic
        )
    return ""


def _choices() -> dict:
    """The organisations and my communities the filters offer (a page without them still
    works: the filters are then left out)."""
    found = parallel(
        orgs=identity.list_organisations.pending(),
        mine=communities.list_communities.pending({"mine": True, "limit": 100}),
    )
    orgs = found["orgs"] if not isinstance(found["orgs"], BaseException) else []
    mine = found["mine"] if not isinstance(found["mine"], BaseException) else {}
    for name in ("orgs", "mine"):
        if isinstance(found[name], BaseException) and not isinstance(found[name], UNANSWERED):
            raise found[name]
    return {"orgs": orgs, "my_communities": (mine or {}).get("items") or []}


@experts_web.route("/people/experts")
def finder():
    args = {k: v for k, v in query_args().items() if k in (*FIELDS, "cursor")}
    skill = (args.get("skill") or "").strip()
    shown = "".join(c for c in skill if c.isprintable())[: limits.EXPERT_SKILL_MAX]
    context = {
        "args": args,
        "skill": shown,
        "page": None,
        "items": [],
        "errors": {},
        "next_url": None,
        "suggestions": [],
        "suggestion_links": [],
        "skill_max": limits.EXPERT_SKILL_MAX,
        **_choices(),
    }
    if not skill:  # the form alone
        return render_template("experts/finder.html", **context)
    try:
        query = ExpertsQuerySchema().load({**args, "skill": skill})
    except ValidationError as exc:
        return render_template("experts/finder.html", **{**context, "errors": field_errors(exc)}), 422
    found = parallel(
        page=search.find_experts.pending(query),
        suggestions=search.suggest_skills.pending(skill[: limits.SKILL_PREFIX_MAX], 8),
    )
    if isinstance(found["page"], ValidationFailed):  # nothing to look for, a forged cursor
        return render_template(
            "experts/finder.html", **{**context, "errors": field_errors(found["page"])}
        ), 422
    raise_failed(found, "page")
    page = found["page"]
    suggestions = found["suggestions"] if not isinstance(found["suggestions"], BaseException) else {}
    items = [
        {
            **item,
            "url": url_for("web.person", person_id=item["id"]),
            "why": [reason_text(reason, shown) for reason in item.get("reasons") or []],
        }
        for item in page["items"]
    ]
    link_args = {k: v for k, v in args.items() if k != "cursor"}
    offered = [s["skill"] for s in (suggestions or {}).get("items") or []]
    return render_template(
        "experts/finder.html",
        **{
            **context,
            "page": page,
            "items": items,
            "suggestions": offered,
            "suggestion_links": [
                (other, url_for("experts_web.finder", **{**link_args, "skill": other}))
                for other in offered
                if other != skill.lower()
            ],
            "next_url": next_url("experts_web.finder", link_args, page),
        },
    )

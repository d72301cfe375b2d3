"""Search, as the gateway asks it: one page of what the caller may read that matches a query,
and the expertise finder (people who know about a skill, the skills known as one types).

The search service decides everything (what matches, who may read it, the order, the
snippets); here the gateway's query arguments become the method's, and each hit's snippet
is split into its plain text and the ranges the service marked (:func:`highlights`), the
shape both the API and the results page use. Nothing is remembered: a search is asked anew
each time.
"""

from __future__ import annotations

from parvis_contracts.vocabulary import SEARCH_MARKS

from . import operations, page_kwargs

operation = operations("search")

MARK_START, MARK_END = SEARCH_MARKS


def highlights(snippet: str) -> tuple[str, list[list[int]]]:
    """``snippet`` without its markers, and the ``[start, end)`` ranges (in code points of
    that plain text) each marked pair held. A marker out of place (an end with no start, a
    start inside a match) is dropped; a match left open ends with the snippet."""
    plain: list[str] = []
    ranges: list[list[int]] = []
    start = None
    length = 0
    for character in snippet or "":
        if character == MARK_START:
            if start is None:
                start = length
        elif character == MARK_END:
            if start is not None:
                if length > start:
                    ranges.append([start, length])
                start = None
        else:
            plain.append(character)
            length += 1
    if start is not None and length > start:
        ranges.append([start, length])
    return "".join(plain), ranges


def _shaped(page: dict) -> dict:
    items = []
    for hit in page.get("items") or []:
        text, marked = highlights(hit.get("snippet") or "")
        items.append({**hit, "snippet": text, "highlights": marked})
    return {"items": items, "next_cursor": page.get("next_cursor")}


@operation(shape=_shaped)
def search(args: dict) -> dict:
    """``args``: the API's query arguments (``q``, and ``kinds``, ``community_id``,
    ``language``, ``limit``, ``cursor`` when given)."""
    kwargs = {"query": args["q"], **page_kwargs(args)}
    for name in ("kinds", "community_id", "language"):
        if args.get(name):
            kwargs[name] = args[name]
    return kwargs


# --- the expertise finder ---------------------------------------------------------------------


@operation
def find_experts(args: dict) -> dict:
    """``args``: the API's query arguments (``skill``, and ``country``, ``language``,
    ``org_id``, ``community_id``, ``limit``, ``cursor`` when given)."""
    kwargs = {"skill": args["skill"], **page_kwargs(args)}
    for name in ("country", "language", "org_id", "community_id"):
        if args.get(name):
            kwargs[name] = args[name]
    return kwargs


@operation
def suggest_skills(prefix: str, limit: int = 10) -> dict:
    """The known skills starting as ``prefix`` does (a typo forgiven), of people the caller
    may see."""
    return {"prefix": prefix, "limit": limit}

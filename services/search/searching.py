"""A person's search: the query parsed, asked of the index with their reading rights in it,
every hit checked again, the page shaped for the boundary schema (a person's hit with what
their card shows, a community's with its kind, size and what the viewer sees of it)."""

from __future__ import annotations

from dataclasses import asdict

from parvis_contracts.membership import Viewer

from . import communities, people, text, visibility
from .engines import index_for


def search(session, viewer: Viewer, query: str, kinds, community_id, language, cursor, limit: int) -> dict:
    parsed = text.parse(query)
    page = index_for(session).search(
        parsed,
        visibility.ReadableBy(viewer),
        kinds=kinds,
        community_id=community_id,
        language=language,
        cursor=cursor,
        limit=limit,
    )
    kept = visibility.recheck(session, viewer, page.hits, parsed)
    cards = people.cards(session, [k.hit.id for k in kept if k.hit.kind == "person"])
    counts = communities.member_counts(session, [k.hit.id for k in kept if k.hit.kind == "community"])
    items = []
    for found in kept:
        hit = found.hit
        item = asdict(hit)
        if hit.kind == "person":
            card = cards.get(hit.id)
            if card is None:
                continue
            item.update(
                community_id=None,
                community_name=None,
                title=card["display_name"],
                person={k: v for k, v in card.items() if k != "sort_name"},
            )
        elif hit.kind == "community":
            community = found.community
            if found.level != visibility.FULL:
                # the name only: the description is for those who may read the community
                item["snippet"] = text.snippet(hit.title, parsed.marks(hit.stemmed_as), hit.stemmed_as)
            item.update(
                community_name=community.name,
                access=found.level,
                community={
                    "kind": community.kind,
                    "visibility": community.visibility,
                    "archived": community.archived,
                    "member_count": counts.get(hit.id, 0),
                },
            )
        else:
            item["community_name"] = found.community.name
        items.append(item)
    return {"items": items, "next_cursor": page.next_cursor}

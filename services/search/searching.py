"""A person's search: the query parsed, asked of the index with their reading rights in it,
every hit checked again, the page shaped for the boundary schema."""

from __future__ import annotations

from dataclasses import asdict

from parvis_contracts.membership import Viewer

from . import text, visibility
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
    kept = visibility.recheck(session, viewer, page.hits)
    items = [{**asdict(hit), "community_name": community.name} for hit, community in kept]
    return {"items": items, "next_cursor": page.next_cursor}

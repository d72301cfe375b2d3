"""Privacy (GDPR): what the search index holds about one person, and their erasure.

The index holds copies: of texts the feed and the documents own and export themselves, and
of the person's searchable profile (identity's). Export (the person themself or a network
admin) lists what the index holds as theirs — kind, id, community, language and dates of
what they wrote, not the texts (their owners export those), and the copy of their profile.

On ``identity.user_erased`` the index does what the owners do (services/feed/privacy.py,
services/documents/privacy.py): what the person wrote is KEPT and stays searchable, since
the community's conversation and bank stay whole, but no indexed thing names them as its
author any more, and a mention of them (``@[Name](<id>)``) becomes ``@[Former member](<id>)``
in the kept text and in the terms, so their name no longer finds it. Handling the event
twice finds nothing left to change. Their profile leaves the index for good: the row of
``search_people`` becomes a tombstone holding nothing of them (so a late ``profile_changed``
does not bring them back), their skills go, their row of ``search_items`` too.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from parvis_contracts.privacy import iso, require_self_or_admin

from . import people
from .engines import index_for
from .limits import CONTENT_KINDS
from .models import SearchItem


def export(session, caller, person_id: str) -> dict:
    require_self_or_admin(caller, person_id)
    items = session.scalars(
        select(SearchItem)
        .where(
            SearchItem.author_id == person_id,
            SearchItem.removed.is_(False),
            SearchItem.kind.in_(CONTENT_KINDS),
        )
        .order_by(SearchItem.created_at, SearchItem.kind, SearchItem.item_id)
    )
    return {
        "service": "search",
        "person_id": person_id,
        "indexed": [
            {
                "kind": i.kind,
                "id": i.item_id,
                "community_id": i.community_id,
                "language": i.language,
                "created_at": iso(i.created_at),
                "updated_at": iso(i.updated_at),
                "hidden": bool(i.hidden),
            }
            for i in items
        ],
        "profile": people.export(session, person_id),
    }


def forget_person(session, person_id: str) -> dict:
    """No commit: the handler commits with the processed-event mark."""
    # the profile first: the engine's erasure then merges its segments (SQLite) without it
    forgotten = people.forget(session, person_id, datetime.now(UTC))
    return {**index_for(session).forget_person(person_id), **forgotten}

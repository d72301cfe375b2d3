"""The search index behind one interface (:class:`Index`), on the service's own database.

The engine is the database's: SQLite FTS5 (the embedded default) or PostgreSQL full-text
search, chosen by the dialect of the service's database URL (``PARVIS_SEARCH_DB_URL``), so
a laptop and production run the same service. Both index the same terms, stemmed in
Python (``services.search.text``), and the unit tests run the same cases on both.
"""

from __future__ import annotations

from .base import APPLIED, STALE, Hit, Index, Item, Page, Readable
from .postgresql import PostgresIndex
from .sqlite import Fts5Index

ENGINES: dict[str, type[Index]] = {"sqlite": Fts5Index, "postgresql": PostgresIndex}


def index_for(session) -> Index:
    """The index of the session's database."""
    dialect = session.get_bind().dialect.name
    try:
        return ENGINES[dialect](session)
    except KeyError:
        raise RuntimeError(f"no search engine for the {dialect} dialect") from None


__all__ = ["APPLIED", "ENGINES", "STALE", "Hit", "Index", "Item", "Page", "Readable", "index_for"]

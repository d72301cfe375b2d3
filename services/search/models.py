"""Tables of the search service (its own database; nobody else reads it).

* the read model of communities and membership (``parvis_contracts.membership``), fed by
  the communities events: who may read what, in the query itself;
* ``search_items``: one row per searchable thing (a post, a comment, a page, a document by
  its name), fed by the feed and documents events: where it is, who wrote it, its text as
  received and the terms the engines index (``services.search.text``). A deleted thing
  stays as a *tombstone* (``removed``, its text and terms emptied), so a late ``created``
  or ``updated`` event does not bring it back; a hidden one keeps its text (a moderator
  may restore it: the event says no more than that) but not its terms.

The engine's own objects are made with the table, by the dialect (``ENGINE_DDL``), both by
``metadata.create_all`` (the listeners below) and by the migration that creates the table:

* SQLite: ``search_fts``, an FTS5 table over ``search_items``' terms (external content,
  ``seq`` as its rowid), kept current by three triggers, so any change of the terms (an
  edit, a hide, an erasure) reaches it in the same transaction;
* PostgreSQL: ``ix_search_items_document``, a GIN index on the weighted ``tsvector`` of
  the terms ('simple' configuration: the terms are stemmed already).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, Boolean, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from parvis_contracts.db import UtcDateTime, infrastructure_tables
from parvis_contracts.membership import MembershipReadModel


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
infrastructure_tables(metadata)
MEMBERSHIP = MembershipReadModel(metadata)


class SearchItem(Base):
    """A post, comment, page or document as the index knows it."""

    __tablename__ = "search_items"
    __table_args__ = (
        UniqueConstraint("kind", "item_id", name="uq_search_items_item"),
        Index("ix_search_items_post", "post_id"),
        Index("ix_search_items_author", "author_id"),
    )

    #: the engine's row number (FTS5's rowid: an INTEGER PRIMARY KEY, which VACUUM keeps)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(12))
    item_id: Mapped[str] = mapped_column(String(64))
    community_id: Mapped[str] = mapped_column(String(64))
    #: None once the author's account was erased
    author_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: a comment's post (None for the others)
    post_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: the language the text is written in (the primary subtag of the event's), if known
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    #: how the terms were stemmed: a language of ``limits.STEMMERS`` or ``limits.UNSTEMMED``
    stemmed_as: Mapped[str] = mapped_column(String(10))
    #: a page's title, a document's name ("" for posts and comments)
    title: Mapped[str] = mapped_column(Text)
    #: the text as received (Markdown; "" for documents until their text is extracted)
    body: Mapped[str] = mapped_column(Text)
    #: what the engines match: the stems of the title and of the text ("" when hidden)
    title_terms: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text)
    #: when it was created (the newcomers' rule reads it) and last changed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: the source's revision (a post's or page's, a document's version): an older event
    #: changes nothing
    revision: Mapped[int] = mapped_column(Integer)
    hidden: Mapped[bool] = mapped_column(Boolean)
    #: the accepted answer of its question
    accepted: Mapped[bool] = mapped_column(Boolean)
    #: a tombstone: deleted at the source
    removed: Mapped[bool] = mapped_column(Boolean)


# --- the engines' objects --------------------------------------------------------------------

FTS_TABLE = "search_fts"
#: the weighted document PostgreSQL matches (the GIN index is on exactly this expression)
PG_DOCUMENT = (
    "(setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, terms), 'B'))"
)

#: the statements that make an engine's objects after ``search_items``, by dialect
ENGINE_DDL = {
    "sqlite": (
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title_terms, terms, stemmed_as, "
        "content='search_items', content_rowid='seq', tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER search_items_fts_insert AFTER INSERT ON search_items BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, title_terms, terms, stemmed_as) "
        "VALUES (new.seq, new.title_terms, new.terms, new.stemmed_as); END",
        f"CREATE TRIGGER search_items_fts_delete AFTER DELETE ON search_items BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title_terms, terms, stemmed_as) "
        "VALUES ('delete', old.seq, old.title_terms, old.terms, old.stemmed_as); END",
        f"CREATE TRIGGER search_items_fts_update AFTER UPDATE OF title_terms, terms, stemmed_as "
        f"ON search_items BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title_terms, terms, stemmed_as) "
        "VALUES ('delete', old.seq, old.title_terms, old.terms, old.stemmed_as); "
        f"INSERT INTO {FTS_TABLE}(rowid, title_terms, terms, stemmed_as) "
        "VALUES (new.seq, new.title_terms, new.terms, new.stemmed_as); END",
    ),
    "postgresql": (f"CREATE INDEX ix_search_items_document ON search_items USING gin ({PG_DOCUMENT})",),
}
#: what goes before the table is dropped (the triggers and the index go with it)
ENGINE_DROP = {"sqlite": (f"DROP TABLE IF EXISTS {FTS_TABLE}",), "postgresql": ()}

for _dialect, _statements in ENGINE_DDL.items():
    for _statement in _statements:
        event.listen(SearchItem.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))
for _dialect, _statements in ENGINE_DROP.items():
    for _statement in _statements:
        event.listen(SearchItem.__table__, "before_drop", DDL(_statement).execute_if(dialect=_dialect))

"""Tables of the search service (its own database; nobody else reads it).

* the read model of communities and membership (``parvis_contracts.membership``), fed by
  the communities events: who may read what, in the query itself;
* ``search_items``: one row per searchable thing (a post, a comment, a page, a document by
  its name, fed by the feed and documents events; a person, fed by identity's
  ``profile_changed``; a community, fed by the communities events): where it is, who wrote
  it, its text as received and the terms the engines index (``services.search.text``). A
  deleted thing stays as a *tombstone* (``removed``, its text and terms emptied), so a
  late ``created`` or ``updated`` event does not bring it back; a hidden one keeps its
  text (a moderator may restore it: the event says no more than that) but not its terms.
  ``restricted`` and ``restricted_terms`` hold what only employees may match and read (a
  person's employees-only fields): a guest's query never looks at that column;
* ``search_people``, ``search_skills``, ``search_skill_grams``, ``search_organisations``:
  what a person's hit and the expertise finder show and filter on (name, job, country,
  languages, organisation, skills), the trigrams of every known skill (suggestions that
  forgive a typo), the organisations' names (identity's organisation events).

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

from sqlalchemy import DDL, JSON, Boolean, Index, Integer, String, Text, UniqueConstraint, event
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
    #: what only employees may read and match (a person's employees-only fields): the plain
    #: text, and its terms (a guest's query never looks at them)
    restricted: Mapped[str] = mapped_column(Text, default="", server_default="")
    restricted_terms: Mapped[str] = mapped_column(Text, default="", server_default="")


class SearchPerson(Base):
    """A person as identity's last ``profile_changed`` told it (what their hit shows and
    the expertise finder filters on); an erased person stays as a tombstone with nothing
    of them, so a late event does not bring them back."""

    __tablename__ = "search_people"
    __table_args__ = (
        Index("ix_search_people_active_sort", "active", "sort_name", "user_id"),
        Index("ix_search_people_org", "org_id"),
    )

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(64))
    guest: Mapped[bool] = mapped_column(Boolean)
    #: in the directory now (an active account)
    active: Mapped[bool] = mapped_column(Boolean)
    display_name: Mapped[str] = mapped_column(String(200))
    #: the name case-folded: the finder's order after the score
    sort_name: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    department: Mapped[str | None] = mapped_column(String(200), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    #: the language the profile's texts are stemmed in (the person's preferred language)
    preferred_language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    #: ",en,fr," (a portable LIKE filters by language)
    languages_text: Mapped[str] = mapped_column(String(400), default=",")
    skills: Mapped[list] = mapped_column(JSON, default=list)
    #: the texts the person's row of ``search_items`` is made of again when their
    #: organisation is renamed (education: only when shown to employees or to everyone)
    about: Mapped[str | None] = mapped_column(Text, nullable=True)
    education: Mapped[str | None] = mapped_column(Text, nullable=True)
    education_visibility: Mapped[str] = mapped_column(String(10), default="private")
    #: the version of the profile applied (an older event changes nothing)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: the account was erased: nothing of the person is kept, no event brings them back
    erased: Mapped[bool] = mapped_column(Boolean, default=False)


class PersonSkill(Base):
    """One declared skill of one person (as identity normalised it: "excel")."""

    __tablename__ = "search_skills"
    __table_args__ = (
        Index("ix_search_skills_skill", "skill"),
        Index("ix_search_skills_folded", "folded"),
    )

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    skill: Mapped[str] = mapped_column(String(80), primary_key=True)
    #: accents folded, words separated by one space ("mecanique auto")
    folded: Mapped[str] = mapped_column(String(80))


class SkillGram(Base):
    """A trigram of a known skill's folded form: the candidates of a suggestion."""

    __tablename__ = "search_skill_grams"

    gram: Mapped[str] = mapped_column(String(12), primary_key=True)
    skill: Mapped[str] = mapped_column(String(80), primary_key=True)


class SearchOrganisation(Base):
    """An organisation's name, as identity's newest event about it told it."""

    __tablename__ = "search_organisations"

    org_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


# --- the engines' objects --------------------------------------------------------------------

FTS_TABLE = "search_fts"
#: the columns of ``search_items`` FTS5 indexes, in this order (bm25 weighs them so)
FTS_COLUMNS = ("title_terms", "terms", "stemmed_as", "restricted_terms")
_FTS_COLUMNS = ", ".join(FTS_COLUMNS)


def _fts_values(row: str) -> str:
    return ", ".join(f"{row}.{name}" for name in FTS_COLUMNS)


#: the weighted document PostgreSQL matches (the GIN index is on exactly this expression):
#: the title 'A', the text 'B', what only employees may match 'C'
PG_DOCUMENT = (
    "(setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, terms), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, restricted_terms), 'C'))"
)

#: the statements that make an engine's objects after ``search_items``, by dialect
ENGINE_DDL = {
    "sqlite": (
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({_FTS_COLUMNS}, "
        "content='search_items', content_rowid='seq', tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER search_items_fts_insert AFTER INSERT ON search_items BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, {_FTS_COLUMNS}) VALUES (new.seq, {_fts_values('new')}); END",
        f"CREATE TRIGGER search_items_fts_delete AFTER DELETE ON search_items BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_FTS_COLUMNS}) "
        f"VALUES ('delete', old.seq, {_fts_values('old')}); END",
        f"CREATE TRIGGER search_items_fts_update AFTER UPDATE OF {_FTS_COLUMNS} "
        f"ON search_items BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_FTS_COLUMNS}) "
        f"VALUES ('delete', old.seq, {_fts_values('old')}); "
        f"INSERT INTO {FTS_TABLE}(rowid, {_FTS_COLUMNS}) VALUES (new.seq, {_fts_values('new')}); END",
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

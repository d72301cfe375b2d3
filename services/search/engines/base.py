"""The one interface of the index (:class:`Index`) and what both engines share.

Writes are the same on both engines: they change ``search_items`` (with Core statements,
each in the caller's transaction, never committed here) and the engine's own objects
follow (the FTS5 triggers, the PostgreSQL expression index). A search is one SELECT:
the engine says how a query matches and how well (:meth:`SqlIndex._match`, leaving out
what only employees may match when the caller's :class:`Readable` says so); the rest —
who may read what (the caller's :class:`Readable`, by kind), kinds, community, language,
the ranking's boosts, the keyset cursor and the snippets — is written once, here. The
expertise finder's evidence (:meth:`SqlIndex.evidence`) is the same SELECT, grouped.

Ranking: the engine's score (FTS5's bm25, PostgreSQL's ts_rank_cd; a title counts
``TITLE_WEIGHT`` times a body), times ``ACCEPTED_BOOST`` for a question's accepted
answer and ``EXACT_TITLE_BOOST`` for a title that is exactly the query's words. The
order is (rank descending, kind, id); the cursor is that key of the last hit. A rank
depends on the whole index (how rare each word is): a page asked after the index
changed may repeat or miss a hit at its edge, never fail.

What this room must not touch: the membership rules (the caller hands them in), the
events, the service.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import and_, case, insert, literal, not_, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from parvis_contracts import cursors
from parvis_contracts.privacy import anonymise_mentions

from .. import text
from ..limits import ACCEPTED_BOOST, CONTENT_KINDS, EXACT_TITLE_BOOST, UNSTEMMED
from ..models import SearchItem

APPLIED = "applied"
STALE = "stale"


@dataclass(frozen=True)
class Item:
    """Something to index, as its event tells it."""

    kind: str
    id: str
    community_id: str
    author_id: str | None
    created_at: datetime
    updated_at: datetime
    body: str = ""
    title: str = ""
    language: str | None = None
    post_id: str | None = None
    revision: int = 0
    #: what only employees may read and match (a person's employees-only fields)
    restricted: str = ""
    #: None: as it is (moderation decides for posts and comments); True or False: set so
    #: (a person who is not active, an erased one)
    hidden: bool | None = None


@dataclass(frozen=True)
class Hit:
    kind: str
    id: str
    community_id: str
    post_id: str | None
    author_id: str | None
    language: str | None
    title: str
    #: plain text around the match, the matching words between ``limits.MARK_START`` and
    #: ``limits.MARK_END``
    snippet: str
    created_at: datetime
    updated_at: datetime
    accepted: bool
    rank: float
    #: the date the newcomers' rule reads: the item's own, a comment's post's
    thread_at: datetime
    #: what the hit's check reads again (not shown): the title's terms and how they were
    #: stemmed (a community whose name only the viewer may see is found by its name alone)
    title_terms: str = ""
    stemmed_as: str = ""


@dataclass(frozen=True)
class Page:
    hits: list[Hit]
    next_cursor: str | None


class Readable(Protocol):
    """Who may read what, as one SELECT applies it (``services.search.visibility``)."""

    #: the viewer may match and read what only employees may (``restricted_terms``)
    restricted: bool

    def join(self, source, community_id):
        """``source`` outer-joined with what the rule reads about the community
        ``community_id`` (a person's row has none)."""

    def clause(self, item, created_at, title_match, whole_match):
        """The WHERE clause: the viewer may read the row of ``item`` (``search_items``),
        created then, and the query matches what they may read of it: ``whole_match`` (no
        excluded phrase in it; the required ones matched already) for what they read whole,
        ``title_match`` (the query on the title alone) for a community whose name only they
        see."""


class Index(ABC):
    """The search index of one database session (see :func:`~services.search.engines.index_for`)."""

    @abstractmethod
    def upsert(self, item: Item) -> str:
        """Index ``item`` (``APPLIED``), unless it was deleted or what is indexed is of a
        later revision (``STALE``)."""

    @abstractmethod
    def remove(self, kind: str, item_id: str, community_id: str, at: datetime) -> None:
        """The thing was deleted: it leaves the index for good (a tombstone)."""

    @abstractmethod
    def remove_where(self, at: datetime, **match) -> int:
        """Every thing whose columns equal ``match`` (``kind``, ``post_id``, ``community_id``)
        leaves the index for good; how many did."""

    @abstractmethod
    def set_hidden(self, kind: str, item_id: str, community_id: str, hidden: bool, at: datetime) -> None:
        """A moderator hid (or restored) the thing: it is not found while hidden."""

    @abstractmethod
    def mark_accepted(self, post_id: str, comment_id: str, community_id: str, at: datetime) -> None:
        """``comment_id`` is the accepted answer of the question ``post_id`` (and no other)."""

    @abstractmethod
    def forget_person(self, person_id: str) -> dict:
        """The person's account was erased: no thing names them as its author, and their
        name leaves the texts that mention them."""

    @abstractmethod
    def search(
        self,
        query: text.Query,
        readable: Readable,
        kinds=None,
        community_id: str | None = None,
        language: str | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page:
        """The things matching ``query`` that ``readable`` lets through, best first."""

    @abstractmethod
    def evidence(self, query: text.Query, readable: Readable, limit: int) -> list:
        """The posts, comments, pages and documents matching ``query`` that ``readable``
        lets through and that have an author, best first, at most ``limit``: rows of
        ``(kind, item_id, author_id, post_id, accepted)``."""

    @abstractmethod
    def accepted_answers(self, post_ids) -> list:
        """The accepted answers of the questions ``post_ids`` (found, neither deleted nor
        hidden) that have an author: rows of ``(item_id, author_id, post_id)``."""


# --- the shared implementation ----------------------------------------------------------------


def _indexed(title: str, body: str, stemmed_as: str, restricted: str = "") -> dict:
    return {
        "title_terms": text.terms(title, stemmed_as),
        "terms": text.terms(text.plain(body), stemmed_as),
        "restricted_terms": text.terms(restricted, stemmed_as),
    }


_BLANK = {"title_terms": "", "terms": "", "restricted_terms": ""}
_TOMBSTONE = {
    "removed": True,
    "hidden": False,
    "accepted": False,
    "author_id": None,
    "title": "",
    "body": "",
    "restricted": "",
    **_BLANK,
}


def decode_cursor(cursor: str) -> tuple[float, str, str]:
    rank, kind, item_id = cursors.decode(cursor, (float, str, str), "the search")
    return rank, kind, item_id


class SqlIndex(Index):
    """The writes, the filters, the ranking's boosts and the paging of both engines."""

    t = SearchItem.__table__

    def __init__(self, session):
        self.session = session

    # --- writing ----------------------------------------------------------------------------

    def _key(self, kind: str, item_id: str):
        return and_(self.t.c.kind == kind, self.t.c.item_id == item_id)

    def _removed(self, kind: str, item_id) -> bool:
        found = self.session.execute(select(self.t.c.removed).where(self._key(kind, item_id))).scalar()
        return bool(found)

    def _insert(self, values: dict) -> bool:
        """Insert a row; False when a concurrent handler inserted it first."""
        try:
            with self.session.begin_nested():
                self.session.execute(insert(self.t).values(**values))
            return True
        except IntegrityError:
            return False

    def _placeholder(self, kind, item_id, community_id, at, **flags) -> dict:
        """A row for a thing whose ``created`` event has not come yet (a flag came first)."""
        return {
            "kind": kind,
            "item_id": item_id,
            "community_id": community_id,
            "author_id": None,
            "post_id": None,
            "language": None,
            "stemmed_as": UNSTEMMED,
            "title": "",
            "body": "",
            "restricted": "",
            **_BLANK,
            "created_at": at,
            "updated_at": at,
            "revision": 0,
            "hidden": False,
            "accepted": False,
            "removed": False,
            **flags,
        }

    def upsert(self, item: Item) -> str:
        t = self.t
        stemmed_as = text.stemmed_as(item.language)
        values = {
            "community_id": item.community_id,
            "author_id": item.author_id,
            "post_id": item.post_id,
            "language": text.primary_language(item.language),
            "stemmed_as": stemmed_as,
            "title": item.title,
            "body": item.body,
            "restricted": item.restricted,
            "updated_at": item.updated_at,
            "revision": item.revision,
        }
        if item.hidden is not None:
            values["hidden"] = item.hidden
        if item.kind == "comment" and self._removed("post", item.post_id):
            # the post was deleted: its comments went with it, a late one too
            self.remove(item.kind, item.id, item.community_id, item.updated_at)
            return STALE
        for _ in range(2):
            row = self.session.execute(
                select(t.c.created_at, t.c.revision, t.c.hidden, t.c.removed).where(
                    self._key(item.kind, item.id)
                )
            ).first()
            if row is None:
                fresh = self._placeholder(item.kind, item.id, item.community_id, item.created_at)
                indexed = (
                    _BLANK if item.hidden else _indexed(item.title, item.body, stemmed_as, item.restricted)
                )
                if self._insert({**fresh, **values, **indexed}):
                    return APPLIED
                continue  # inserted meanwhile: compare again
            if row.removed or item.revision < row.revision:
                return STALE
            hidden = row.hidden if item.hidden is None else item.hidden
            indexed = _BLANK if hidden else _indexed(item.title, item.body, stemmed_as, item.restricted)
            done = self.session.execute(
                update(t)
                .where(self._key(item.kind, item.id), t.c.revision <= item.revision, t.c.removed.is_(False))
                .values(**values, **indexed, created_at=min(row.created_at, item.created_at))
            )
            return APPLIED if done.rowcount else STALE
        raise RuntimeError("could not index the item")  # pragma: no cover

    def remove(self, kind: str, item_id: str, community_id: str, at: datetime) -> None:
        for _ in range(2):
            done = self.session.execute(
                update(self.t).where(self._key(kind, item_id)).values(**_TOMBSTONE, updated_at=at)
            )
            if done.rowcount or self._insert(
                self._placeholder(kind, item_id, community_id, at, removed=True)
            ):
                return

    def remove_where(self, at: datetime, **match) -> int:
        t = self.t
        allowed = {"kind", "post_id", "community_id"}
        if not match or set(match) - allowed:
            raise ValueError(f"remove_where matches on {sorted(allowed)}")
        where = [t.c[name] == value for name, value in match.items()]
        done = self.session.execute(
            update(t).where(*where, t.c.removed.is_(False)).values(**_TOMBSTONE, updated_at=at)
        )
        return done.rowcount or 0

    def set_hidden(self, kind: str, item_id: str, community_id: str, hidden: bool, at: datetime) -> None:
        t = self.t
        for _ in range(2):
            row = self.session.execute(
                select(t.c.title, t.c.body, t.c.restricted, t.c.stemmed_as, t.c.removed).where(
                    self._key(kind, item_id)
                )
            ).first()
            if row is None:
                if self._insert(self._placeholder(kind, item_id, community_id, at, hidden=hidden)):
                    return
                continue
            if row.removed:
                return
            indexed = _BLANK if hidden else _indexed(row.title, row.body, row.stemmed_as, row.restricted)
            self.session.execute(update(t).where(self._key(kind, item_id)).values(hidden=hidden, **indexed))
            return

    def mark_accepted(self, post_id: str, comment_id: str, community_id: str, at: datetime) -> None:
        t = self.t
        self.session.execute(
            update(t)
            .where(
                t.c.kind == "comment",
                t.c.post_id == post_id,
                t.c.item_id != comment_id,
                t.c.accepted.is_(True),
            )
            .values(accepted=False)
        )
        for _ in range(2):
            done = self.session.execute(
                update(t).where(self._key("comment", comment_id)).values(accepted=True, post_id=post_id)
            )
            if done.rowcount or self._insert(
                self._placeholder("comment", comment_id, community_id, at, accepted=True, post_id=post_id)
            ):
                return

    def forget_person(self, person_id: str) -> dict:
        t = self.t
        authored = self.session.execute(
            update(t).where(t.c.author_id == person_id).values(author_id=None)
        ).rowcount
        mentioning = self.session.execute(
            select(t.c.seq, t.c.title, t.c.body, t.c.restricted, t.c.stemmed_as, t.c.hidden).where(
                t.c.body.contains(f"]({person_id})", autoescape=True)
            )
        ).all()
        rewritten = 0
        for row in mentioning:
            body = anonymise_mentions(row.body, person_id)
            if body == row.body:
                continue
            indexed = _BLANK if row.hidden else _indexed(row.title, body, row.stemmed_as, row.restricted)
            self.session.execute(update(t).where(t.c.seq == row.seq).values(body=body, **indexed))
            rewritten += 1
        return {"authored": authored or 0, "mentions_rewritten": rewritten}

    # --- searching -----------------------------------------------------------------------------

    @abstractmethod
    def _match(self, branches: tuple[text.Branch, ...], restricted: bool = False):
        """(FROM clause holding ``search_items``, WHERE clause of the match of the required
        phrases, score: higher is better) for the query's branches; ``restricted``: match
        what only employees may (``restricted_terms``) too."""

    @abstractmethod
    def _holds_excluded(self, branches: tuple[text.Branch, ...], restricted: bool = False):
        """WHERE clause: the row holds an excluded phrase of its branch (None: the query
        excludes nothing)."""

    def title_match(self, branches: tuple[text.Branch, ...]):
        """True when the query matches the title's terms alone (a row stemmed as one of a
        branch's languages holds every required phrase of it, and no excluded one): what a
        viewer who may only see a community's name finds it by. Terms are stems of letters
        and digits separated by one space, so a phrase is a LIKE between spaces (no
        wildcard can be in one); the same on both engines."""
        t = self.t
        padded = literal(" ") + t.c.title_terms + literal(" ")

        def holds(phrase):
            return padded.like(f"% {' '.join(phrase)} %")

        return or_(
            *(
                and_(
                    t.c.stemmed_as.in_(b.languages),
                    *(holds(p) for p in b.required),
                    *(~holds(p) for p in b.excluded),
                )
                for b in branches
            )
        )

    def search(
        self,
        query: text.Query,
        readable: Readable,
        kinds=None,
        community_id: str | None = None,
        language: str | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page:
        statement = self.statement(query, readable, kinds, community_id, language, cursor, limit)
        rows = self.session.execute(statement).all()
        more = len(rows) > limit
        rows = rows[:limit]
        restricted = bool(getattr(readable, "restricted", False))
        hits = [self._hit(row, query, restricted) for row in rows]
        last = rows[-1] if rows and more else None
        return Page(hits, cursors.encode(float(last.rank), last.kind, last.item_id) if last else None)

    def _found(self, query: text.Query, readable: Readable, kinds):
        """What every search and the evidence share: (FROM, WHERE clauses, rank, the date
        the newcomers' rule reads) of the things matching ``query`` that ``readable`` lets
        through."""
        t = self.t
        post = t.alias("thread_post")
        branches = query.branches()
        restricted = bool(getattr(readable, "restricted", False))
        source, matches, score = self._match(branches, restricted)
        excluded = self._holds_excluded(branches, restricted)
        # what a viewer reading the thing matches: the required phrases, none excluded
        whole = true() if excluded is None else not_(excluded)
        exact_title = or_(
            *(and_(t.c.stemmed_as.in_(b.languages), t.c.title_terms == b.title) for b in branches)
        )
        rank = (
            score
            * case((and_(t.c.kind == "comment", t.c.accepted.is_(True)), ACCEPTED_BOOST), else_=literal(1.0))
            * case((and_(t.c.title_terms != "", exact_title), EXACT_TITLE_BOOST), else_=literal(1.0))
        )
        thread_at = case((t.c.kind == "comment", post.c.created_at), else_=t.c.created_at)
        source = source.outerjoin(
            post, and_(t.c.kind == "comment", post.c.kind == "post", post.c.item_id == t.c.post_id)
        )
        source = readable.join(source, t.c.community_id)
        where = [
            matches,
            t.c.removed.is_(False),
            t.c.hidden.is_(False),
            # a comment is found while its post is (indexed, neither deleted nor hidden)
            or_(
                t.c.kind != "comment",
                and_(post.c.seq.is_not(None), post.c.removed.is_(False), post.c.hidden.is_(False)),
            ),
            readable.clause(t, thread_at, self.title_match(branches), whole),
        ]
        if kinds:
            where.append(t.c.kind.in_(list(kinds)))
        return source, where, rank, thread_at

    def statement(
        self, query: text.Query, readable: Readable, kinds, community_id, language, cursor, limit: int
    ):
        """The SELECT of :meth:`search` (one row more than ``limit``: is there a next page?)."""
        t = self.t
        source, where, rank, thread_at = self._found(query, readable, kinds)
        q = (
            select(
                t.c.kind,
                t.c.item_id,
                t.c.community_id,
                t.c.post_id,
                t.c.author_id,
                t.c.language,
                t.c.stemmed_as,
                t.c.title,
                t.c.title_terms,
                t.c.body,
                t.c.restricted,
                t.c.created_at,
                t.c.updated_at,
                t.c.accepted,
                thread_at.label("thread_at"),
                rank.label("rank"),
            )
            .select_from(source)
            .where(*where)
        )
        if community_id is not None:
            q = q.where(t.c.community_id == community_id)
        if language is not None:
            q = q.where(t.c.language == language)
        if cursor:
            after, kind, item_id = decode_cursor(cursor)
            q = q.where(
                or_(
                    rank < after,
                    and_(rank == after, or_(t.c.kind > kind, and_(t.c.kind == kind, t.c.item_id > item_id))),
                )
            )
        return q.order_by(rank.desc(), t.c.kind, t.c.item_id).limit(limit + 1)

    def evidence(self, query: text.Query, readable: Readable, limit: int) -> list:
        t = self.t
        source, where, rank, _ = self._found(query, readable, CONTENT_KINDS)
        statement = (
            select(t.c.kind, t.c.item_id, t.c.author_id, t.c.post_id, t.c.accepted)
            .select_from(source)
            .where(*where, t.c.author_id.is_not(None))
            .order_by(rank.desc(), t.c.kind, t.c.item_id)
            .limit(limit)
        )
        return self.session.execute(statement).all()

    def accepted_answers(self, post_ids) -> list:
        t = self.t
        found = []
        ids = sorted(set(post_ids))
        for at in range(0, len(ids), 500):  # bounded IN lists
            found += self.session.execute(
                select(t.c.item_id, t.c.author_id, t.c.post_id).where(
                    t.c.kind == "comment",
                    t.c.post_id.in_(ids[at : at + 500]),
                    t.c.accepted.is_(True),
                    t.c.removed.is_(False),
                    t.c.hidden.is_(False),
                    t.c.author_id.is_not(None),
                )
            ).all()
        return found

    @staticmethod
    def _hit(row, query: text.Query, restricted: bool = False) -> Hit:
        shown = text.plain(row.body) or row.title
        if restricted and row.restricted:
            shown = f"{shown} · {row.restricted}" if shown else row.restricted
        return Hit(
            kind=row.kind,
            id=row.item_id,
            community_id=row.community_id,
            post_id=row.post_id,
            author_id=row.author_id,
            language=row.language,
            title=row.title,
            snippet=text.snippet(shown, query.marks(row.stemmed_as), row.stemmed_as),
            created_at=row.created_at,
            updated_at=row.updated_at,
            accepted=bool(row.accepted),
            rank=float(row.rank),
            thread_at=row.thread_at,
            title_terms=row.title_terms,
            stemmed_as=row.stemmed_as,
        )

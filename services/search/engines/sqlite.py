"""The embedded engine: SQLite FTS5 (the standard library's SQLite), for one-command runs.

``search_fts`` (``services.search.models``) indexes the terms of ``search_items`` by their
``seq``; a query is one FTS5 expression in which every word is a quoted string, so nothing
a person typed is read as FTS5 syntax. Its exclusions (``-word``) are a second expression,
the rows holding one (``_holds_excluded``): who may read what decides where an exclusion
is looked for (a community whose name only the viewer sees: in its name only). Each branch
of the query (a group of languages, ``text.Query.branches``) asks the rows stemmed as one of
its languages:

    (stemmed_as : ("fr" OR "it") AND {title_terms terms} : ("livraison" AND "retard"))

For a viewer who may match what only employees may (a person's employees-only fields), the
column filter is ``{title_terms terms restricted_terms}``; for a guest it never names that
column. Ranked by ``bm25`` with a title counting ``TITLE_WEIGHT`` times the body (the
``stemmed_as`` column counts for nothing, ``restricted_terms`` as much as the body).

FTS5 keeps a replaced row's old terms in its segments (``search_fts_data``), cancelled by a
delete marker, until segments merge: an erasure merges them all at once (``optimize``), so
the erased person's name leaves the engine's own tables too, not only ``search_items``.
"""

from __future__ import annotations

from sqlalchemy import bindparam, column, func, literal_column, select, table
from sqlalchemy import text as sql

from .. import text
from ..limits import TITLE_WEIGHT
from ..models import FTS_TABLE
from .base import SqlIndex


def _phrase(phrase: tuple[str, ...]) -> str:
    # a stem is letters and digits only (text.TOKEN): never a quote, never an operator
    return '"' + " ".join(phrase) + '"'


def _branch(branch: text.Branch, restricted: bool, phrases, joined: str) -> str:
    languages = " OR ".join(f'"{tag}"' for tag in branch.languages)
    wanted = f" {joined} ".join(_phrase(p) for p in phrases)
    columns = "title_terms terms restricted_terms" if restricted else "title_terms terms"
    return f"(stemmed_as : ({languages}) AND {{{columns}}} : ({wanted}))"


def expression(branches: tuple[text.Branch, ...], restricted: bool = False) -> str:
    """The FTS5 query of the branches' required phrases (``restricted``: in what only
    employees may match too)."""
    return " OR ".join(_branch(b, restricted, b.required, "AND") for b in branches)


def excluded_expression(branches: tuple[text.Branch, ...], restricted: bool = False) -> str | None:
    """The FTS5 query of the rows holding an excluded phrase of their branch (None: the
    query excludes nothing)."""
    found = [_branch(b, restricted, b.excluded, "OR") for b in branches if b.excluded]
    return " OR ".join(found) or None


class Fts5Index(SqlIndex):
    def _match(self, branches, restricted=False):
        fts = table(FTS_TABLE, column("rowid"))
        name = literal_column(FTS_TABLE)
        source = fts.join(self.t, self.t.c.seq == fts.c.rowid)
        matches = name.op("MATCH")(bindparam("fts_query", expression(branches, restricted)))
        # bm25 is lower for a better match: its opposite ranks like ts_rank_cd; the weights
        # follow models.FTS_COLUMNS (title, text, stemmed_as, what only employees match)
        score = -func.bm25(name, TITLE_WEIGHT, 1.0, 0.0, 1.0)
        return source, matches, score

    def _holds_excluded(self, branches, restricted=False):
        excluded = excluded_expression(branches, restricted)
        if excluded is None:
            return None
        # a query of its own on the FTS5 table (MATCH cannot stand under an OR or a NOT)
        fts = table(FTS_TABLE, column("rowid"))
        holding = select(fts.c.rowid).where(
            literal_column(FTS_TABLE).op("MATCH")(bindparam("fts_excluded", excluded))
        )
        return self.t.c.seq.in_(holding)

    def forget_person(self, person_id: str) -> dict:
        done = super().forget_person(person_id)
        # an erasure is rare: the whole index is rewritten once, without the old terms
        self.session.execute(sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES('optimize')"))
        return done

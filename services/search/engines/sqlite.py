"""The embedded engine: SQLite FTS5 (the standard library's SQLite), for one-command runs.

``search_fts`` (``services.search.models``) indexes the terms of ``search_items`` by their
``seq``; a query is one FTS5 expression in which every word is a quoted string, so nothing
a person typed is read as FTS5 syntax. Each branch of the query (a group of languages,
``text.Query.branches``) asks the rows stemmed as one of its languages:

    (stemmed_as : ("fr" OR "it") AND {title_terms terms} : ((("livraison") AND ("retard"))))

Ranked by ``bm25`` with a title counting ``TITLE_WEIGHT`` times the body (the
``stemmed_as`` column counts for nothing).

FTS5 keeps a replaced row's old terms in its segments (``search_fts_data``), cancelled by a
delete marker, until segments merge: an erasure merges them all at once (``optimize``), so
the erased person's name leaves the engine's own tables too, not only ``search_items``.
"""

from __future__ import annotations

from sqlalchemy import bindparam, column, func, literal_column, table
from sqlalchemy import text as sql

from .. import text
from ..limits import TITLE_WEIGHT
from ..models import FTS_TABLE
from .base import SqlIndex


def _phrase(phrase: tuple[str, ...]) -> str:
    # a stem is letters and digits only (text.TOKEN): never a quote, never an operator
    return '"' + " ".join(phrase) + '"'


def _branch(branch: text.Branch) -> str:
    languages = " OR ".join(f'"{tag}"' for tag in branch.languages)
    wanted = " AND ".join(_phrase(p) for p in branch.required)
    if branch.excluded:
        wanted = f"({wanted}) NOT ({' OR '.join(_phrase(p) for p in branch.excluded)})"
    return f"(stemmed_as : ({languages}) AND {{title_terms terms}} : ({wanted}))"


def expression(branches: tuple[text.Branch, ...]) -> str:
    """The FTS5 query of the branches."""
    return " OR ".join(_branch(b) for b in branches)


class Fts5Index(SqlIndex):
    def _match(self, branches):
        fts = table(FTS_TABLE, column("rowid"))
        name = literal_column(FTS_TABLE)
        source = fts.join(self.t, self.t.c.seq == fts.c.rowid)
        matches = name.op("MATCH")(bindparam("fts_query", expression(branches)))
        # bm25 is lower for a better match: its opposite ranks like ts_rank_cd
        score = -func.bm25(name, TITLE_WEIGHT, 1.0, 0.0)
        return source, matches, score

    def forget_person(self, person_id: str) -> dict:
        done = super().forget_person(person_id)
        # an erasure is rare: the whole index is rewritten once, without the old terms
        self.session.execute(sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES('optimize')"))
        return done

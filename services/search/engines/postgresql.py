"""The production engine: PostgreSQL full-text search.

The document is the weighted ``tsvector`` of the terms (``models.PG_DOCUMENT``: the title
'A', the body 'B', what only employees may match 'C'), made with the 'simple' configuration,
which only splits and lowercases:
the terms are stemmed already, in Python, the same as for SQLite. The GIN index is on that
very expression, which :func:`document` writes again column by column (qualified, since a
search joins ``search_items`` to itself). A query is a ``to_tsquery`` string built from the
parsed query only, each stem quoted; each branch (a group of languages) asks the rows
stemmed as one of its languages, and ranks them with ``ts_rank_cd`` (a title weighs
``TITLE_WEIGHT`` times the body, as on SQLite; normalised by the log of the length). For a
guest every lexeme of the query is limited to the weights A and B (``'word':AB``), so the
employees-only column is never matched.
"""

from __future__ import annotations

from sqlalchemy import and_, case, cast, func, literal_column, or_
from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION

from .. import text
from ..limits import TITLE_WEIGHT
from .base import SqlIndex

SIMPLE = literal_column("'simple'::regconfig")
#: ts_rank_cd's weights of the labels D, C (what only employees match), B (a body), A (a title)
WEIGHTS = literal_column(f"'{{0.1, {1 / TITLE_WEIGHT}, {1 / TITLE_WEIGHT}, 1.0}}'::float4[]")
#: ts_rank_cd's normalisation: divided by 1 + the log of the document's length
LENGTH_NORMALISATION = 1


def document(t):
    """``models.PG_DOCUMENT`` on the columns of ``t``."""
    title = func.setweight(func.to_tsvector(SIMPLE, t.c.title_terms), literal_column("'A'"))
    body = func.setweight(func.to_tsvector(SIMPLE, t.c.terms), literal_column("'B'"))
    restricted = func.setweight(func.to_tsvector(SIMPLE, t.c.restricted_terms), literal_column("'C'"))
    return title.op("||")(body).op("||")(restricted)


def _phrase(phrase: tuple[str, ...], weights: str) -> str:
    # a stem is letters and digits only (text.TOKEN): quoted, it is one lexeme
    return "(" + " <-> ".join(f"'{w}'{weights}" for w in phrase) + ")"


def tsquery(branch: text.Branch, restricted: bool = False, excluded: bool = False) -> str:
    """The ``to_tsquery`` text of one branch's required phrases (``excluded``: of any of its
    excluded ones); ``restricted``: the employees-only column may match, otherwise every
    lexeme is limited to the title and the text."""
    weights = "" if restricted else ":AB"
    if excluded:
        return " | ".join(_phrase(p, weights) for p in branch.excluded)
    return " & ".join(_phrase(p, weights) for p in branch.required)


class PostgresIndex(SqlIndex):
    def _match(self, branches, restricted=False):
        t = self.t
        doc = document(t)
        asked = [(b, func.to_tsquery(SIMPLE, tsquery(b, restricted))) for b in branches]
        matches = or_(*(and_(t.c.stemmed_as.in_(b.languages), doc.op("@@")(q)) for b, q in asked))
        score = case(
            *(
                (t.c.stemmed_as.in_(b.languages), func.ts_rank_cd(WEIGHTS, doc, q, LENGTH_NORMALISATION))
                for b, q in asked
            ),
            else_=0.0,
        )
        return t, matches, cast(score, DOUBLE_PRECISION)

    def _holds_excluded(self, branches, restricted=False):
        t = self.t
        doc = document(t)
        found = [
            and_(
                t.c.stemmed_as.in_(b.languages),
                doc.op("@@")(func.to_tsquery(SIMPLE, tsquery(b, restricted, True))),
            )
            for b in branches
            if b.excluded
        ]
        return or_(*found) if found else None

"""Keyset pagination on (timestamp, id): never OFFSET, no gap and no duplicate.

A cursor is ``[timestamp, id, *extra]`` in the one codec (``parvis_contracts.cursors``);
it is opaque to callers and checked when it comes back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_

from parvis_contracts import cursors


def encode(stamp: datetime, row_id: str, *extra) -> str:
    return cursors.encode(stamp, row_id, *extra)


def decode(cursor: str) -> tuple[datetime, str, list]:
    stamp, row_id, *extra = cursors.decode(cursor, (datetime, str), "the feed", extra=True)
    return stamp, row_id, extra


def keyset(query, stamp_col, id_col, limit: int, cursor: str | None, newest_first: bool):
    """Order ``query`` by (stamp, id) and apply the cursor; fetch one extra row."""
    extra: list = []
    if cursor:
        stamp, row_id, extra = decode(cursor)
        if newest_first:
            query = query.where(or_(stamp_col < stamp, and_(stamp_col == stamp, id_col < row_id)))
        else:
            query = query.where(or_(stamp_col > stamp, and_(stamp_col == stamp, id_col > row_id)))
    if newest_first:
        query = query.order_by(stamp_col.desc(), id_col.desc())
    else:
        query = query.order_by(stamp_col.asc(), id_col.asc())
    return query.limit(limit + 1), extra


def split(rows: list, limit: int, key, *extra) -> tuple[list, str | None]:
    """Cut the extra row off and make the next cursor from the last kept one."""
    more = len(rows) > limit
    rows = rows[:limit]
    if not more or not rows:
        return rows, None
    stamp, row_id = key(rows[-1])
    return rows, encode(stamp, row_id, *extra)

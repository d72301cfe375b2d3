"""Keyset pagination on (timestamp, id): never OFFSET, no gap and no duplicate.

A cursor is ``base64url(json([iso timestamp, id, *extra]))``; it is opaque to
callers and checked when it comes back.
"""
from __future__ import annotations

import base64
import json
from datetime import datetime

from sqlalchemy import and_, or_

from parvis_contracts.errors import ValidationFailed


def encode(stamp: datetime, row_id: str, *extra) -> str:
    raw = json.dumps([stamp.isoformat(), row_id, *extra], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(cursor: str) -> tuple[datetime, str, list]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, row_id, *extra = json.loads(raw)
        if not isinstance(stamp, str) or not isinstance(row_id, str):
            raise ValueError
        parsed = datetime.fromisoformat(stamp)
        if parsed.tzinfo is None:
            raise ValueError
        return parsed, row_id, extra
    except (ValueError, TypeError):
        raise ValidationFailed("The request is not valid.",
                               {"cursor": ["This cursor is not one the feed gave."]}) from None


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

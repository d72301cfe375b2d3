"""The one keyset cursor codec: ``base64url(json([value, ...]))``, opaque to callers.

A listing encodes the sort key of its last row (``encode(stamp, row_id)``) and decodes
what comes back with the types it expects (``decode(cursor, (datetime, str), "the feed")``);
a cursor of another shape, or garbage, is a 422 naming the listing, never a 500.
Datetimes travel as ISO 8601 with their offset (naive ones are refused).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from .errors import ValidationFailed


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def encode(*values) -> str:
    raw = json.dumps([_plain(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _typed(value, kind):
    if kind is datetime:
        if not isinstance(value, str):
            raise ValueError("not a timestamp")
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("a naive timestamp")
        return parsed
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("not an integer")
        return value
    if not isinstance(value, kind):
        raise ValueError(f"not a {kind.__name__}")
    return value


def refuse(source: str):
    """The one answer to a cursor that is not one ``source`` gave (a 422)."""
    raise ValidationFailed(
        "The request is not valid.", {"cursor": [f"This cursor is not one {source} gave."]}
    )


def decode(cursor: str, shape: tuple, source: str, extra: bool = False) -> list:
    """The values of ``cursor``, checked against ``shape`` (a type per value).

    ``extra=True`` lets further values follow the typed ones (returned as they are).
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if (
            not isinstance(values, list)
            or len(values) < len(shape)
            or (not extra and len(values) != len(shape))
        ):
            raise ValueError("wrong shape")
        typed = [_typed(v, kind) for v, kind in zip(values, shape, strict=False)]
        return typed + values[len(shape) :]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        refuse(source)

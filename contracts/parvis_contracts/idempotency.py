"""Idempotency keys for writes: a retried request has the effect of one.

A client that does not know whether a write happened (the connection broke, the
gateway answered 503/504 while the service was restarting) sends the same request
again with the same ``Idempotency-Key`` header. The service that owns the write
keeps, *in the same transaction as the write*, one row per (caller, key): the
operation, a fingerprint of the request and the answer it gave. Then:

* the same key again with the same request: the stored answer, nothing written;
* the same key with another request (other operation or payload): ``ValidationFailed``
  (422) on ``idempotency_key``, nothing written;
* two copies racing (the first still in flight when the retry arrives): the second's
  insert of the key row fails on the primary key, its transaction rolls back and it
  answers the first one's stored answer.

A request that failed stored nothing (its transaction rolled back): retrying it runs
it again. Keys expire after ``PARVIS_IDEMPOTENCY_TTL`` seconds (24 h by default):
an expired row is ignored, and every keyed write deletes a bounded batch of expired
rows (the sweep is lazy, no timer needed).

In an entrypoint::

    return idempotency.once(self.db, viewer.id, "feed.create_post", idempotency_key,
                            data, self.clock(),
                            action=lambda: dump(s.PostSchema, posts.create(...)),
                            render=lambda item: dump(s.PostSchema, item))

and in the domain function, just before its ``session.commit()``::

    idempotency.record(session, post.id, item)      # a no-op without a key

A replay returns the stored answer without running the domain function, so without
re-checking access: it only ever gives a caller the answer that caller already got.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import JSON, Column, Index, MetaData, String, Table, Text, cast, delete, insert, select
from sqlalchemy.exc import IntegrityError

from . import settings
from .errors import ValidationFailed

TABLE = "idempotency_keys"
#: 1 to 128 printable ASCII characters (space to tilde)
KEY_RE = re.compile(r"^[\x20-\x7e]{1,128}\Z")
KEY_MAX = 128
DEFAULT_TTL = settings.default("PARVIS_IDEMPOTENCY_TTL")
#: expired rows deleted by one keyed write
SWEEP_BATCH = 100
_CLAIM = "parvis_idempotency_claim"


def ttl_seconds() -> int:
    return max(60, settings.value("PARVIS_IDEMPOTENCY_TTL"))


def idempotency_table(metadata: MetaData) -> Table:
    """Add the ``idempotency_keys`` table to a service's metadata."""
    from .db import UtcDateTime

    return Table(
        TABLE,
        metadata,
        Column("caller_id", String(64), primary_key=True),
        Column("idem_key", String(KEY_MAX), primary_key=True),
        Column("operation", String(80), nullable=False),
        Column("fingerprint", String(64), nullable=False),
        Column("result_id", String(64), nullable=False),
        Column("result", JSON, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )


def key_error(message: str = "An idempotency key is 1 to 128 printable ASCII characters."):
    return ValidationFailed("The request is not valid.", {"idempotency_key": [message]})


def check_key(key) -> str:
    """The key, or ``ValidationFailed`` on ``idempotency_key``."""
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise key_error()
    return key


def fingerprint(operation: str, request: dict) -> str:
    """A digest of what the request asks (the same request gives the same digest)."""
    text = json.dumps(
        {"op": operation, "request": request}, sort_keys=True, default=str, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Claim:
    table: Table
    caller_id: str
    key: str
    operation: str
    fingerprint: str
    now: datetime
    render: Callable[[dict], dict]


def _table(session) -> Table:
    metadata = session.outbox_table.metadata if session.outbox_table is not None else None
    if metadata is None or TABLE not in metadata.tables:
        raise RuntimeError("the service's metadata lacks idempotency_table()")
    return metadata.tables[TABLE]


def _cutoff(now: datetime) -> datetime:
    return now - timedelta(seconds=ttl_seconds())


def lookup(session, caller_id: str, key: str, now: datetime):
    """The live row of (caller, key), or None (absent or expired)."""
    t = _table(session)
    return (
        session.execute(
            select(t).where(t.c.caller_id == caller_id, t.c.idem_key == key, t.c.created_at >= _cutoff(now))
        )
        .mappings()
        .first()
    )


def known(session, caller_id: str, key, operation: str, now: datetime) -> bool:
    """Whether ``key`` already recorded an ``operation`` of this caller (a retry)."""
    if key is None:
        return False
    row = lookup(session, caller_id, check_key(key), now)
    return row is not None and row["operation"] == operation


def _replay(row, operation: str, digest: str) -> dict:
    if row["operation"] != operation or row["fingerprint"] != digest:
        raise key_error("This idempotency key was already used for a different request.")
    return row["result"]


def once(
    session,
    caller_id: str,
    operation: str,
    key,
    request: dict,
    now: datetime,
    action: Callable[[], dict],
    render: Callable[[dict], dict] = lambda item: item,
    on_replay: Callable[[], None] | None = None,
):
    """Run ``action`` at most once per (caller, key); a retry gets the stored answer.

    ``action`` must call :func:`record` before it commits. Without a key, it just runs.
    """
    if key is None:
        return action()
    check_key(key)
    digest = fingerprint(operation, request)
    row = lookup(session, caller_id, key, now)
    if row is not None:
        result = _replay(row, operation, digest)
        session.rollback()  # end the read transaction
        if on_replay:
            on_replay()
        return result
    session.info[_CLAIM] = Claim(_table(session), caller_id, key, operation, digest, now, render)
    try:
        return action()
    except IntegrityError:
        # a copy of this request committed first: answer what it answered
        session.rollback()
        row = lookup(session, caller_id, key, now)
        if row is None:
            raise
        result = _replay(row, operation, digest)
        session.rollback()
        if on_replay:
            on_replay()
        return result
    finally:
        session.info.pop(_CLAIM, None)


def record(session, result_id: str, item: dict) -> None:
    """Keep the answer of the keyed write in progress, in its transaction (call it just
    before the commit). Without a key (no claim), nothing."""
    claim: Claim | None = session.info.pop(_CLAIM, None)
    if claim is None:
        return
    t, cutoff = claim.table, _cutoff(claim.now)
    expired = session.execute(
        select(t.c.caller_id, t.c.idem_key)
        .where(t.c.created_at < cutoff)
        .order_by(t.c.created_at)
        .limit(SWEEP_BATCH)
    ).all()
    for caller_id, key in expired:
        session.execute(
            delete(t).where(t.c.caller_id == caller_id, t.c.idem_key == key, t.c.created_at < cutoff)
        )
    session.execute(
        delete(t).where(t.c.caller_id == claim.caller_id, t.c.idem_key == claim.key, t.c.created_at < cutoff)
    )
    session.execute(
        insert(t).values(
            caller_id=claim.caller_id,
            idem_key=claim.key,
            operation=claim.operation,
            fingerprint=claim.fingerprint,
            result_id=str(result_id),
            result=claim.render(item),
            created_at=claim.now,
        )
    )


def sweep(session, now: datetime, batch: int = SWEEP_BATCH) -> int:
    """Delete up to ``batch`` expired keys and commit (for maintenance jobs and tests)."""
    t, cutoff = _table(session), _cutoff(now)
    keys = session.execute(
        select(t.c.caller_id, t.c.idem_key)
        .where(t.c.created_at < cutoff)
        .order_by(t.c.created_at)
        .limit(batch)
    ).all()
    for caller_id, key in keys:
        session.execute(
            delete(t).where(t.c.caller_id == caller_id, t.c.idem_key == key, t.c.created_at < cutoff)
        )
    session.commit()
    return len(keys)


def forget_person(session, person_id: str) -> int:
    """An erased person's keys, and every stored answer that names them (a mention in
    someone else's post): deleted, no commit. Their retries then run again, as after expiry.
    Returns how many rows went."""
    t = _table(session)
    gone = session.execute(delete(t).where(t.c.caller_id == person_id)).rowcount or 0
    needle = f"]({person_id})"
    mentioning = session.execute(
        select(t.c.caller_id, t.c.idem_key).where(cast(t.c.result, Text).contains(needle, autoescape=True))
    ).all()
    for caller_id, key in mentioning:
        session.execute(delete(t).where(t.c.caller_id == caller_id, t.c.idem_key == key))
    return gone + len(mentioning)


__all__ = [
    "KEY_RE",
    "check_key",
    "fingerprint",
    "forget_person",
    "idempotency_table",
    "known",
    "once",
    "record",
    "sweep",
    "ttl_seconds",
]

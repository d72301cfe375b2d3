"""Periodic work of the documents service (a nameko ``timer``; safe on every replica).

* ``purge_bin``: documents in the bin for more than ``BIN_DAYS`` days lose their
  rows (document and versions); their bytes become unreferenced.
* ``sweep_staged``: staged uploads older than ``GRACE_SECONDS`` (an upload the
  gateway never finished nor discarded) are discarded.
* ``sweep_blobs``: a blob no version references and older than the grace period
  is first recorded in ``orphan_blobs``; a later sweep, at least the grace period
  later, deletes it if it is still unreferenced. The delete happens while this
  transaction holds the ``orphan_blobs`` row, the row every upload deletes before
  committing its bytes (see ``bank._store_bytes``): an upload of the same bytes
  racing the sweep either waits for it (and stores its own copy) or wins.

Every step works in bounded batches and may be repeated: running it twice, or on
two replicas at once, changes nothing more than running it once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, OperationalError

from .bank import bin_limit
from .models import Document, DocumentVersion, OrphanBlob

GRACE_SECONDS = 3600
BATCH = 200
SCAN_CHUNK = 500


def purge_bin(session, now: datetime, batch: int = BATCH) -> int:
    ids = list(
        session.scalars(
            select(Document.id)
            .where(Document.deleted_at.is_not(None), Document.deleted_at <= bin_limit(now))
            .order_by(Document.deleted_at)
            .limit(batch)
        )
    )
    if not ids:
        return 0
    session.execute(delete(DocumentVersion).where(DocumentVersion.document_id.in_(ids)))
    session.execute(delete(Document).where(Document.id.in_(ids), Document.deleted_at.is_not(None)))
    session.commit()
    return len(ids)


def sweep_staged(store, batch: int = BATCH, grace: int = GRACE_SECONDS) -> int:
    keys = list(islice(store.staged_older_than(grace), batch))
    for key in keys:
        store.discard(key)
    return len(keys)


def _as_datetime(mtime) -> datetime:
    if isinstance(mtime, datetime):
        return mtime if mtime.tzinfo else mtime.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(mtime), tz=UTC)


def _referenced(session, digests) -> set[str]:
    return set(
        session.scalars(
            select(DocumentVersion.sha256).distinct().where(DocumentVersion.sha256.in_(list(digests)))
        )
    )


def delete_orphans(session, store, now: datetime, batch: int = BATCH, grace: int = GRACE_SECONDS) -> int:
    """Delete the blobs recorded as orphans at least ``grace`` seconds ago, if still so."""
    cutoff = now - timedelta(seconds=grace)
    digests = list(
        session.scalars(
            select(OrphanBlob.sha256)
            .where(OrphanBlob.first_seen_at <= cutoff)
            .order_by(OrphanBlob.first_seen_at)
            .limit(batch)
        )
    )
    session.rollback()
    deleted = 0
    for digest in digests:
        try:
            taken = session.execute(delete(OrphanBlob).where(OrphanBlob.sha256 == digest))
            if taken.rowcount == 1 and not _referenced(session, [digest]):
                store.delete(digest)
                deleted += 1
            session.commit()
        except OperationalError:  # lock timeout: try again at the next sweep
            session.rollback()
    return deleted


def record_orphans(session, store, now: datetime, limit: int = 5 * BATCH, grace: int = GRACE_SECONDS) -> int:
    """Record blobs older than ``grace`` that no version references (at most ``limit``)."""
    cutoff = now - timedelta(seconds=grace)
    recorded = 0
    chunk: list[str] = []

    def flush(chunk) -> int:
        refs = _referenced(session, chunk)
        known = set(session.scalars(select(OrphanBlob.sha256).where(OrphanBlob.sha256.in_(chunk))))
        new = [d for d in chunk if d not in refs and d not in known][: limit - recorded]
        for digest in new:
            session.add(OrphanBlob(sha256=digest, first_seen_at=now))
        try:
            session.commit()
        except IntegrityError:  # another replica recorded them first
            session.rollback()
            return 0
        return len(new)

    for digest, mtime in store.list_blobs():
        if recorded >= limit:
            break
        if _as_datetime(mtime) > cutoff:
            continue
        chunk.append(digest)
        if len(chunk) >= SCAN_CHUNK:
            recorded += flush(chunk)
            chunk = []
    if chunk and recorded < limit:
        recorded += flush(chunk)
    return recorded


def run(session, store, now: datetime) -> dict:
    """One maintenance pass; returns what it did (logged by the timer)."""
    return {
        "purged": purge_bin(session, now),
        "staged_discarded": sweep_staged(store),
        "blobs_deleted": delete_orphans(session, store, now),
        "orphans_recorded": record_orphans(session, store, now),
    }

"""The text inside documents, for search: a queue of versions, one capped process a file.

Every new version is ``pending`` (``DocumentVersion.text_status``), written in the
transaction of its upload. A nameko ``timer`` of the service (``extract_text``) calls
:func:`tick`, which takes the oldest pending version that is its document's latest (a
live document: one in the bin waits, and is read if restored), reads its text in a
separate process (:func:`run_extractor`, the program ``extractor.py``), records what came
of it and emits ``documents.document_text_extracted`` through the outbox, with the text
(at most ``PARVIS_DOCUMENTS_TEXT_MAX_CHARS`` characters), its status, the reason and the
text's language. The bytes never leave the service: the search service gets the text.

Why a queue in the table, read by a timer, rather than a handler of our own
``document_version_added``: the work to do is a column written with the upload, so
nothing is lost if the process stops, and nothing is to consume from our own exchange (no
queue, binding or broker permission more); one extraction at a time per process (the
timer's lock, :data:`service.EXTRACTING`), so a burst of uploads waits in the table
instead of taking every worker and core; and the versions stored before this existed are
read the same way (the migration left each document's latest version pending).

The process is the wall between a hostile file and the service: it limits its own address
space, CPU seconds and output size before reading (``extractor.limit_self``), runs with no
environment, in a new session, on a temporary copy of the file, and is killed after
``PARVIS_DOCUMENTS_TEXT_MAX_SECONDS`` of wall-clock time. A file over
``PARVIS_DOCUMENTS_TEXT_MAX_BYTES`` is not even copied. Whatever happens, the version gets
a status (``vocabulary.DOCUMENT_TEXT_STATUSES``) and a reason, and the event goes: a file
whose text could not be read is found by its name only, and the reason is noted.

Several replicas share the queue: a version is *claimed* by a compare-and-set on its
``text_attempts`` (``text_claimed_at`` the time), so two replicas never read the same
version at once; a claim older than :func:`lease` (its process died with the replica) is
taken again, and a version claimed ``MAX_ATTEMPTS`` times without an end is ``failed``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, or_, select, update

from parvis_contracts import events as ev
from parvis_contracts import limits, settings, vocabulary

from . import extractor
from .models import TEXT_PENDING, TEXT_SKIPPED, Document, DocumentVersion

log = logging.getLogger(__name__)

#: the program the extraction process runs (by its path: ``python -I`` adds no directory)
EXTRACTOR = Path(extractor.__file__).resolve()

#: content types whose text is read -> the extractor's kind (``filetypes`` records every
#: text file, Markdown and CSV included, as ``text/plain``)
KINDS = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "text/plain": "text",
}

#: versions one tick reads at most (the next tick goes on)
BATCH = 20
#: seconds after which a tick takes no more versions (the next tick goes on): a stopping
#: service waits for its running tick, at most this and one extraction's time cap
TICK_BUDGET = 10.0
#: extractions of one version that may start without ending before it is ``failed``
MAX_ATTEMPTS = 3
#: bytes of the extraction process's errors kept for the log
ERRORS_LOGGED = 2000
#: bytes of the answer beyond the text's own (status, reason, language, JSON's quotes)
ANSWER_OVERHEAD = 64 * 1024
_LANGUAGE = re.compile(r"[a-z]{2}")


@dataclass(frozen=True)
class Caps:
    """What one extraction may take (the ``PARVIS_DOCUMENTS_TEXT_*`` settings)."""

    max_bytes: int
    max_unpacked: int
    max_pages: int
    max_seconds: int
    max_chars: int
    memory_mb: int
    languages: tuple[str, ...] = ()

    @property
    def output_bytes(self) -> int:
        # JSON escapes a character in at most six bytes ("\\u0001"); UTF-8 needs at most four
        return self.max_chars * 6 + ANSWER_OVERHEAD

    def for_extractor(self, kind: str) -> dict:
        return {
            "kind": kind,
            "max_chars": self.max_chars,
            "max_pages": self.max_pages,
            "max_unpacked": self.max_unpacked,
            "memory_bytes": self.memory_mb * 1024 * 1024,
            "cpu_seconds": self.max_seconds,
            "output_bytes": self.output_bytes,
            "languages": list(self.languages),
        }


def current_caps() -> Caps:
    return Caps(
        max_bytes=settings.value("PARVIS_DOCUMENTS_TEXT_MAX_BYTES"),
        max_unpacked=settings.value("PARVIS_DOCUMENTS_TEXT_MAX_UNPACKED"),
        max_pages=settings.value("PARVIS_DOCUMENTS_TEXT_MAX_PAGES"),
        max_seconds=max(1, settings.value("PARVIS_DOCUMENTS_TEXT_MAX_SECONDS")),
        max_chars=max(0, min(settings.value("PARVIS_DOCUMENTS_TEXT_MAX_CHARS"), limits.DOCUMENT_TEXT_MAX)),
        memory_mb=settings.value("PARVIS_DOCUMENTS_TEXT_MAX_MEMORY_MB"),
        languages=tuple(settings.value("PARVIS_DOCUMENTS_TEXT_LANGUAGES")),
    )


def lease(caps: Caps) -> timedelta:
    """How long a claim holds: the copy of the file, the process's time, and a margin."""
    return timedelta(seconds=2 * caps.max_seconds + 120)


@dataclass(frozen=True)
class Outcome:
    """What became of a version's text (``status`` one of ``DOCUMENT_TEXT_STATUSES``)."""

    status: str
    reason: str = ""
    text: str = ""
    language: str | None = None


# --- one file ----------------------------------------------------------------------------------


def extract_blob(store, sha256: str, size: int, content_type: str, caps: Caps) -> Outcome:
    """The text of the stored bytes ``sha256`` (of type ``content_type``), within ``caps``."""
    kind = KINDS.get(content_type)
    if kind is None:
        return Outcome("unsupported", f"the text of {content_type} files is not read")
    if size > caps.max_bytes:
        return Outcome("too_large", f"{size} bytes, more than {caps.max_bytes}")
    with tempfile.TemporaryDirectory(prefix="parvis-text-") as workdir:
        source = Path(workdir) / "file"
        copied = 0
        with open(source, "wb") as fh:
            for chunk in store.open_range(sha256):
                copied += len(chunk)
                if copied > caps.max_bytes:
                    return Outcome("too_large", f"more than {caps.max_bytes} bytes")
                fh.write(chunk)
        return run_extractor(source, kind, caps, Path(workdir))


def run_extractor(source: Path, kind: str, caps: Caps, workdir: Path) -> Outcome:
    """Run the extraction process on the file ``source`` and read its answer."""
    answer, errors = workdir / "answer.json", workdir / "errors.txt"
    argv = [sys.executable, "-I", str(EXTRACTOR), json.dumps(caps.for_extractor(kind))]
    with open(source, "rb") as stdin, open(answer, "wb") as stdout, open(errors, "wb") as stderr:
        process = subprocess.Popen(
            argv,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env={},
            cwd=workdir,
            close_fds=True,
            start_new_session=True,
        )
        try:
            code = process.wait(timeout=caps.max_seconds)
        except BaseException as exc:  # the time cap (or the worker itself stopped): killed
            _kill(process)
            if not isinstance(exc, subprocess.TimeoutExpired):
                raise
            return Outcome("failed", f"stopped after {caps.max_seconds} s (the time cap)")
    outcome = _answer(code, answer, caps)
    if outcome.status == "failed":
        log.warning(
            "text extraction of a %s failed: %s; %s",
            kind,
            outcome.reason,
            _tail(errors) or "nothing on its standard error",
        )
    return outcome


def _kill(process) -> None:
    """Kill the process and its session (not reaped yet: its group id is still its own)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not refused
        log.error("the text extraction process %s did not stop", process.pid)


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - ERRORS_LOGGED))
            return fh.read().decode("utf-8", errors="replace").strip()
    except OSError:
        return ""


def _answer(code: int, answer: Path, caps: Caps) -> Outcome:
    """The outcome of an extraction process that ended with ``code``."""
    if code == extractor.MEMORY_EXIT:
        return Outcome("too_large", f"needs more than {caps.memory_mb} MiB of memory")
    if code == -signal.SIGXCPU:
        return Outcome("failed", f"used more than {caps.max_seconds} s of CPU (the time cap)")
    if code == -signal.SIGKILL:  # not ours (the wall-clock kill is told above): the system's
        return Outcome("failed", "killed by the system (out of memory?)")
    if code == -signal.SIGXFSZ:
        return Outcome("failed", "its answer was larger than the output cap")
    if code < 0:
        return Outcome("failed", f"the reader crashed (signal {-code})")
    if code != 0:
        return Outcome("failed", f"the reader ended with status {code}")
    try:
        with open(answer, "rb") as fh:
            found = json.loads(fh.read(caps.output_bytes + 1).decode("utf-8"))
    except (OSError, ValueError):
        return Outcome("failed", "the reader gave no answer")
    return _checked(found, caps)


def _checked(found, caps: Caps) -> Outcome:
    """The extraction process's answer, checked like any input."""
    if not isinstance(found, dict) or found.get("status") not in vocabulary.DOCUMENT_TEXT_STATUSES:
        return Outcome("failed", "the reader gave no answer")
    status = found["status"]
    text = found.get("text") if isinstance(found.get("text"), str) else ""
    if status not in ("extracted", "truncated"):
        text = ""
    text = extractor.clean(text)
    if len(text) > caps.max_chars:
        text, status = text[: caps.max_chars], "truncated"
    language = found.get("language")
    language = language if isinstance(language, str) and _LANGUAGE.fullmatch(language) else None
    reason = found.get("reason") if isinstance(found.get("reason"), str) else ""
    return Outcome(status, reason[:300], text, language)


# --- the queue -------------------------------------------------------------------------------------


def _next(session, now: datetime, caps: Caps) -> DocumentVersion | None:
    """The oldest pending version that is its live document's latest and nobody holds."""
    v = DocumentVersion
    return session.scalars(
        select(v)
        .join(Document, and_(Document.id == v.document_id, Document.version == v.number))
        .where(
            v.text_status == TEXT_PENDING,
            Document.deleted_at.is_(None),
            or_(v.text_claimed_at.is_(None), v.text_claimed_at < now - lease(caps)),
        )
        .order_by(v.created_at, v.document_id)
        .limit(1)
    ).first()


def _claim(session, version: DocumentVersion, now: datetime) -> int | None:
    """Take the version (committed); its attempt number, or None when another took it."""
    seen = version.text_attempts
    done = session.execute(
        update(DocumentVersion)
        .where(
            DocumentVersion.document_id == version.document_id,
            DocumentVersion.number == version.number,
            DocumentVersion.text_status == TEXT_PENDING,
            DocumentVersion.text_attempts == seen,
        )
        .values(text_claimed_at=now, text_attempts=seen + 1)
    )
    if done.rowcount != 1:
        session.rollback()
        return None
    session.commit()
    return seen + 1


def _finish(session, key: tuple[str, int], attempt: int, outcome: Outcome) -> bool:
    """Record the outcome and emit the event (committed); False when the claim was lost."""
    version = session.get(DocumentVersion, key, populate_existing=True)
    if version is None or version.text_status != TEXT_PENDING or version.text_attempts != attempt:
        session.rollback()
        return False
    doc = session.get(Document, version.document_id)
    version.text_status, version.text_reason = outcome.status, outcome.reason
    version.text_claimed_at = None
    session.emit(
        ev.DOCUMENTS_DOCUMENT_TEXT_EXTRACTED,
        {
            "document_id": doc.id,
            "community_id": doc.community_id,
            "version": version.number,
            "name": doc.name,
            "author_id": version.author_id,
            "content_type": version.content_type,
            "status": outcome.status,
            "reason": outcome.reason,
            "text": outcome.text,
            "language": outcome.language,
        },
    )
    session.commit()
    return True


def skip_older(session, document_id: str, number: int) -> None:
    """Version ``number`` was just added: the pending versions before it will never be read
    (in the caller's transaction)."""
    session.execute(
        update(DocumentVersion)
        .where(
            DocumentVersion.document_id == document_id,
            DocumentVersion.number < number,
            DocumentVersion.text_status == TEXT_PENDING,
        )
        .values(text_status=TEXT_SKIPPED, text_reason=f"version {number} came before it was read")
    )


def extract_next(session, store, clock, caps: Caps) -> str | None:
    """Read the next version of the queue: its status, ``"raced"`` when another replica took
    it, None when the queue is empty."""
    version = _next(session, clock(), caps)
    if version is None:
        session.rollback()
        return None
    key = (version.document_id, version.number)
    if version.text_attempts >= MAX_ATTEMPTS:
        outcome = Outcome("failed", f"its extraction was interrupted {version.text_attempts} times")
        # one more claim, so that the record below is ours
        attempt = _claim(session, version, clock())
        if attempt is None:
            return "raced"
        return outcome.status if _finish(session, key, attempt, outcome) else "raced"
    sha256, size, content_type = version.sha256, version.size, version.content_type
    attempt = _claim(session, version, clock())
    if attempt is None:
        return "raced"
    try:
        outcome = extract_blob(store, sha256, size, content_type, caps)
    except Exception:  # the stored bytes could not be read: noted, the version is done
        log.exception("could not read the bytes of version %s of document %s", key[1], key[0])
        outcome = Outcome("failed", "the stored file could not be read")
    return outcome.status if _finish(session, key, attempt, outcome) else "raced"


def tick(session, store, clock, caps: Caps | None = None, batch: int = BATCH, budget: float = TICK_BUDGET):
    """Read up to ``batch`` versions of the queue, for up to ``budget`` seconds; how many
    ended in each status."""
    caps = caps or current_caps()
    started = time.monotonic()
    done: Counter = Counter()
    for _ in range(batch):
        status = extract_next(session, store, clock, caps)
        if status is None:
            break
        done[status] += 1
        if time.monotonic() - started > budget:
            break
    return dict(done)

"""Unit tier for documents: the real service class, a real database, no broker.

The read model is fed exactly as in production: the inherited membership
handlers get signed ``Envelope`` message bodies. ``world`` builds the access
table's communities (A private with a guest, B private, C open, S secret) and
its people; ``world.upload`` stages bytes in the blob store the way the gateway
does, then calls the service with the staged reference.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from parvis_contracts.blobs import MemoryBlobStore
from parvis_contracts.db import session_factory
from services.documents.models import metadata
from services.documents.service import DocumentsService
from tests.support import AccessTableWorld, FakeClock, build_access_table, unit_engine

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
TEXT = "Compte rendu de la réunion\nligne 2\n".encode()


def as_dict(staged) -> dict:
    if isinstance(staged, dict):
        return dict(staged)
    return {"key": staged.key, "sha256": staged.sha256, "size": staged.size}


class World(AccessTableWorld):
    service_class = DocumentsService

    def __init__(self, Session, clock, store):
        super().__init__(Session, clock)
        self.store = store

    def dependencies(self) -> dict:
        return {"blobs": self.store}

    def stage(self, data: bytes) -> dict:
        return as_dict(self.store.stage(io.BytesIO(data), 10**9))

    def upload(self, caller, name="report.pdf", data=PDF, cid="A", folder_id=None, comment=""):
        return self.svc(caller).create_document(
            community_id=cid, folder_id=folder_id, name=name, staged=self.stage(data), comment=comment
        )

    def new_version(self, caller, document_id, data, comment="", name=None):
        return self.svc(caller).add_version(
            document_id=document_id, staged=self.stage(data), comment=comment, name=name
        )

    def read(self, sha256: str) -> bytes:
        return b"".join(self.store.open_range(sha256))


@pytest.fixture
def clock():
    return FakeClock(tick=timedelta(milliseconds=1))


@pytest.fixture
def engine(tmp_path):
    yield from unit_engine(tmp_path, "documents", metadata)


@pytest.fixture
def store():
    return MemoryBlobStore()


@pytest.fixture
def world(engine, clock, store):
    w = World(session_factory(engine, metadata), clock, store)
    w.engine = engine
    yield build_access_table(w)
    w.close()

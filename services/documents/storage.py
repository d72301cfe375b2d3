"""The blob store of the documents service, a nameko dependency.

Documents use the ``documents`` namespace of the configured store (local disk
by default, S3-compatible by configuration: ``parvis_contracts.blobs``), so the
documents sweep never touches other blobs. Unit tests inject an in-memory store.
"""

from __future__ import annotations

from nameko.extensions import DependencyProvider

NAMESPACE = "documents"


class DocumentBlobs(DependencyProvider):
    def setup(self):
        from parvis_contracts.blobs import blob_store

        self.store = blob_store(NAMESPACE)

    def get_dependency(self, worker_ctx):
        return self.store

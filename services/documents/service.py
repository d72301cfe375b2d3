"""Entrypoints of the documents service: load input, authorise, delegate, dump output.

The rules live in the domain modules (``access``, ``bank``, ``pages``,
``maintenance``, ``extraction``) and in ``parvis_contracts.membership`` (the read
model of communities and membership and its event handlers); this class only wires
them to RPC, events and the timers (maintenance, the text inside documents). The
interface is documented in docs/services/documents.md.
"""

from __future__ import annotations

import logging
import threading

from nameko.timer import timer

from parvis_contracts import idempotency, settings
from parvis_contracts.clock import Clock
from parvis_contracts.db import Database
from parvis_contracts.entrypoints import CurrentCaller, dump, rpc, transactional
from parvis_contracts.health import PlatformEntrypoints
from parvis_contracts.membership import MembershipEventHandlers
from parvis_contracts.metrics import Metrics
from parvis_contracts.privacy import PersonDataEntrypoints
from parvis_contracts.schemas import load

from . import bank, extraction, maintenance, pages, privacy
from . import schemas as s
from .access import viewer_of
from .models import MEMBERSHIP, metadata
from .storage import DocumentBlobs

log = logging.getLogger(__name__)

#: seconds between two maintenance passes (bin purge, sweep of staged and orphan blobs)
SWEEP_INTERVAL = settings.value("PARVIS_DOCUMENTS_SWEEP_INTERVAL")
#: seconds between two looks at the versions whose text is still to extract
TEXT_INTERVAL = settings.value("PARVIS_DOCUMENTS_TEXT_INTERVAL")
#: held while this process extracts text (one extraction at a time per process; other
#: replicas share the queue safely: a version is claimed once, ``extraction``)
EXTRACTING = threading.Lock()


class DocumentsService(PersonDataEntrypoints, MembershipEventHandlers, PlatformEntrypoints):
    """The communities events keep ``MEMBERSHIP`` through the inherited handlers."""

    name = "documents"
    person_data = privacy  # export_person_data, on_user_erased (GDPR)
    membership_model = MEMBERSHIP

    db = Database(metadata)
    caller = CurrentCaller()
    metrics = Metrics()
    clock = Clock()
    blobs = DocumentBlobs()

    def _viewer(self):
        return viewer_of(self.caller)

    def _with_staged(self, staged, action):
        """Run ``action``; on any failure discard the staged upload (nothing half-stored)."""
        try:
            return action()
        except BaseException:
            key = staged.get("key") if isinstance(staged, dict) else None
            if isinstance(key, str) and s.STAGED_KEY_RE.match(key):
                try:
                    self.blobs.discard(key)
                except Exception:  # the gateway discards it too; the sweep later
                    log.exception("could not discard staged upload %s", key)
            raise

    def _discard_staged(self, key):
        """A retried upload answered from its key: its bytes are already stored."""
        try:
            self.blobs.discard(key)
        except Exception:  # the sweep takes stale staged uploads later
            log.exception("could not discard staged upload %s", key)

    # --- folders -----------------------------------------------------------------

    @rpc
    @transactional
    def list_folder(self, community_id, folder_id=None):
        viewer = self._viewer()
        data = load(s.ListFolderSchema(), {"community_id": community_id, "folder_id": folder_id})
        return dump(s.FolderListingSchema, bank.list_folder(self.db, viewer, **data))

    @rpc
    @transactional
    def create_folder(self, community_id, parent_id, name):
        viewer = self._viewer()
        data = load(
            s.CreateFolderSchema(), {"community_id": community_id, "parent_id": parent_id, "name": name}
        )
        return dump(s.FolderSchema, bank.create_folder(self.db, viewer, self.clock(), **data))

    @rpc
    @transactional
    def rename_folder(self, folder_id, name):
        viewer = self._viewer()
        data = load(s.RenameFolderSchema(), {"folder_id": folder_id, "name": name})
        return dump(s.FolderSchema, bank.rename_folder(self.db, viewer, **data))

    @rpc
    @transactional
    def move_folder(self, folder_id, parent_id):
        viewer = self._viewer()
        data = load(s.MoveFolderSchema(), {"folder_id": folder_id, "parent_id": parent_id})
        return dump(s.FolderSchema, bank.move_folder(self.db, viewer, **data))

    @rpc
    @transactional
    def delete_folder(self, folder_id):
        viewer = self._viewer()
        data = load(s.FolderIdSchema(), {"folder_id": folder_id})
        return bank.delete_folder(self.db, viewer, **data)

    # --- documents ---------------------------------------------------------------

    @rpc
    @transactional
    def prepare_upload(
        self, community_id, folder_id, name, size=None, document_id=None, idempotency_key=None
    ):
        viewer = self._viewer()
        data = load(
            s.PrepareUploadSchema(),
            {
                "community_id": community_id,
                "folder_id": folder_id,
                "name": name,
                "size": size,
                "document_id": document_id,
            },
        )
        retry = document_id is None and idempotency.known(
            self.db, viewer.id, idempotency_key, "documents.create_document", self.clock()
        )
        return bank.prepare_upload(self.db, viewer, check_name=not retry, **data)

    @rpc
    @transactional
    def create_document(self, community_id, folder_id, name, staged, comment="", idempotency_key=None):
        def action():
            viewer = self._viewer()
            data = load(
                s.CreateDocumentSchema(),
                {
                    "community_id": community_id,
                    "folder_id": folder_id,
                    "name": name,
                    "staged": staged,
                    "comment": comment,
                },
            )
            # the same bytes under the same name, wherever they were staged
            asked = {**data, "staged": {k: data["staged"][k] for k in ("sha256", "size")}}
            return idempotency.once(
                self.db,
                viewer.id,
                "documents.create_document",
                idempotency_key,
                asked,
                self.clock(),
                lambda: dump(
                    s.DocumentSchema, bank.create_document(self.db, self.blobs, viewer, self.clock(), **data)
                ),
                render=lambda item: dump(s.DocumentSchema, item),
                on_replay=lambda: self._discard_staged(data["staged"]["key"]),
            )

        return self._with_staged(staged, action)

    @rpc
    @transactional
    def add_version(self, document_id, staged, comment="", name=None):
        def action():
            viewer = self._viewer()
            data = load(
                s.AddVersionSchema(),
                {"document_id": document_id, "staged": staged, "comment": comment, "name": name},
            )
            return dump(s.DocumentSchema, bank.add_version(self.db, self.blobs, viewer, self.clock(), **data))

        return self._with_staged(staged, action)

    @rpc
    @transactional
    def restore_version(self, document_id, number, comment=""):
        viewer = self._viewer()
        data = load(
            s.RestoreVersionSchema(), {"document_id": document_id, "number": number, "comment": comment}
        )
        return dump(s.DocumentSchema, bank.restore_version(self.db, viewer, self.clock(), **data))

    @rpc
    @transactional
    def get_document(self, document_id):
        viewer = self._viewer()
        data = load(s.DocumentIdSchema(), {"document_id": document_id})
        return dump(s.DocumentDetailSchema, bank.get_document(self.db, viewer, **data))

    @rpc
    @transactional
    def download_info(self, document_id, number=None):
        viewer = self._viewer()
        data = load(s.DownloadSchema(), {"document_id": document_id, "number": number})
        return dump(s.DownloadInfoSchema, bank.download_info(self.db, viewer, **data))

    @rpc
    @transactional
    def describe_documents(self, community_id, document_ids):
        viewer = self._viewer()
        data = load(s.DescribeSchema(), {"community_id": community_id, "document_ids": document_ids})
        return dump(s.DocumentSchema, bank.describe(self.db, viewer, **data), many=True)

    @rpc
    @transactional
    def rename_document(self, document_id, name):
        viewer = self._viewer()
        data = load(s.RenameDocumentSchema(), {"document_id": document_id, "name": name})
        return dump(s.DocumentSchema, bank.rename_document(self.db, self.blobs, viewer, self.clock(), **data))

    @rpc
    @transactional
    def move_document(self, document_id, folder_id):
        viewer = self._viewer()
        data = load(s.MoveDocumentSchema(), {"document_id": document_id, "folder_id": folder_id})
        return dump(s.DocumentSchema, bank.move_document(self.db, viewer, self.clock(), **data))

    @rpc
    @transactional
    def delete_document(self, document_id):
        viewer = self._viewer()
        data = load(s.DocumentIdSchema(), {"document_id": document_id})
        return dump(s.DeletedSchema, bank.delete_document(self.db, viewer, self.clock(), **data))

    @rpc
    @transactional
    def list_bin(self, community_id):
        viewer = self._viewer()
        data = load(s.CommunityIdSchema(), {"community_id": community_id})
        return dump(s.BinSchema, bank.list_bin(self.db, viewer, self.clock(), **data))

    @rpc
    @transactional
    def restore_document(self, document_id):
        viewer = self._viewer()
        data = load(s.DocumentIdSchema(), {"document_id": document_id})
        return dump(s.DocumentSchema, bank.restore_document(self.db, viewer, self.clock(), **data))

    # --- pages -------------------------------------------------------------------

    @rpc
    @transactional
    def list_pages(self, community_id):
        viewer = self._viewer()
        data = load(s.CommunityIdSchema(), {"community_id": community_id})
        return dump(s.PageListSchema, pages.list_pages(self.db, viewer, **data))

    @rpc
    @transactional
    def create_page(self, community_id, title, body):
        viewer = self._viewer()
        data = load(s.CreatePageSchema(), {"community_id": community_id, "title": title, "body": body})
        return dump(s.PageSchema, pages.create(self.db, viewer, self.clock(), **data))

    @rpc
    @transactional
    def get_page(self, page_id, revision=None):
        viewer = self._viewer()
        data = load(s.GetPageSchema(), {"page_id": page_id, "revision": revision})
        return dump(s.PageSchema, pages.get_page(self.db, viewer, **data))

    @rpc
    @transactional
    def update_page(self, page_id, title, body, base_revision, comment=""):
        viewer = self._viewer()
        data = load(
            s.UpdatePageSchema(),
            {
                "page_id": page_id,
                "title": title,
                "body": body,
                "base_revision": base_revision,
                "comment": comment,
            },
        )
        return dump(s.PageSchema, pages.update(self.db, viewer, self.clock(), **data))

    @rpc
    @transactional
    def page_history(self, page_id):
        viewer = self._viewer()
        data = load(s.PageIdSchema(), {"page_id": page_id})
        return dump(s.HistorySchema, pages.history(self.db, viewer, **data))

    @rpc
    @transactional
    def diff_page(self, page_id, from_revision, to_revision):
        viewer = self._viewer()
        data = load(
            s.DiffSchema(), {"page_id": page_id, "from_revision": from_revision, "to_revision": to_revision}
        )
        return dump(s.DiffOutSchema, pages.diff(self.db, viewer, **data))

    @rpc
    @transactional
    def delete_page(self, page_id):
        viewer = self._viewer()
        data = load(s.PageIdSchema(), {"page_id": page_id})
        return pages.remove(self.db, viewer, self.clock(), **data)

    # --- maintenance -------------------------------------------------------------

    @timer(interval=SWEEP_INTERVAL)
    def maintain(self):
        try:
            done = maintenance.run(self.db, self.blobs, self.clock())
        except Exception:
            self.db.rollback()
            log.exception("documents maintenance failed; it runs again at the next tick")
            return None
        if any(done.values()):
            log.info("documents maintenance: %s", done)
        return done

    @timer(interval=TEXT_INTERVAL)
    def extract_text(self):
        """The text of the versions waiting for it (``extraction.tick``), in a capped process
        each. nameko's timer starts a worker at every interval, finished or not: a tick still
        running makes the next one return at once (:data:`EXTRACTING`)."""
        if not EXTRACTING.acquire(blocking=False):
            return None
        try:
            done = extraction.tick(self.db, self.blobs, self.clock)
        except Exception:
            self.db.rollback()
            log.exception("text extraction failed; it looks again at the next tick")
            return None
        finally:
            EXTRACTING.release()
        if done:
            log.info("text extracted: %s", done)
        return done

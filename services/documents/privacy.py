"""Privacy (GDPR): what the documents service holds about one person.

Export (the person themself or a network admin): the folders and documents they
created, every document version they uploaded (name, size, type, comment and
the SHA-256 of the bytes, which the gateway copies into the archive under
``files/``), the pages they created and every page revision they wrote (title,
body, comment). Documents in the bin are included (marked ``deleted_at``) while
they exist.

Erasure (``identity.user_erased``): documents, versions, folders and pages are
KEPT with the person's id as uploader or author (the community's bank stays
whole); once identity has erased the person, that id resolves to identity's card
"Former member" wherever the gateway shows an uploader or an author. What the
handler changes: a mention of the person in a page (``@[Name](<id>)``, latest
text, every revision, and the outbox's copies of published page events) is
rewritten to ``@[Former member](<id>)``. Membership read-model rows are removed
by the ``member_removed`` events the communities service publishes for the
erased person. Handling the event twice finds nothing left to change.
"""

from __future__ import annotations

from sqlalchemy import select

from parvis_contracts import idempotency
from parvis_contracts.privacy import anonymise_mentions, require_self_or_admin, scrub_outbox
from parvis_contracts.privacy import iso as _iso

from .models import Document, DocumentVersion, Folder, Page, PageRevision


def export(session, caller, person_id: str) -> dict:
    require_self_or_admin(caller, person_id)
    folders = session.scalars(
        select(Folder).where(Folder.created_by == person_id).order_by(Folder.created_at, Folder.id)
    )
    documents = session.scalars(
        select(Document).where(Document.created_by == person_id).order_by(Document.created_at, Document.id)
    )
    versions = session.execute(
        select(DocumentVersion, Document)
        .join(Document, Document.id == DocumentVersion.document_id)
        .where(DocumentVersion.author_id == person_id)
        .order_by(DocumentVersion.created_at, DocumentVersion.document_id, DocumentVersion.number)
    ).all()
    pages = session.scalars(
        select(Page).where(Page.created_by == person_id).order_by(Page.created_at, Page.id)
    )
    revisions = session.execute(
        select(PageRevision, Page)
        .join(Page, Page.id == PageRevision.page_id)
        .where(PageRevision.author_id == person_id)
        .order_by(PageRevision.created_at, PageRevision.page_id, PageRevision.number)
    ).all()
    return {
        "service": "documents",
        "person_id": person_id,
        "folders_created": [
            {"id": f.id, "community_id": f.community_id, "name": f.name, "created_at": _iso(f.created_at)}
            for f in folders
        ],
        "documents_created": [
            {
                "id": d.id,
                "community_id": d.community_id,
                "name": d.name,
                "created_at": _iso(d.created_at),
                "deleted_at": _iso(d.deleted_at),
            }
            for d in documents
        ],
        "versions_uploaded": [
            {
                "document_id": v.document_id,
                "community_id": d.community_id,
                "document_name": d.name,
                "number": v.number,
                "filename": v.filename,
                "comment": v.comment,
                "size": v.size,
                "content_type": v.content_type,
                "sha256": v.sha256,
                "created_at": _iso(v.created_at),
                "document_deleted_at": _iso(d.deleted_at),
            }
            for v, d in versions
        ],
        "pages_created": [
            {
                "id": p.id,
                "community_id": p.community_id,
                "title": p.title,
                "created_at": _iso(p.created_at),
                "deleted_at": _iso(p.deleted_at),
            }
            for p in pages
        ],
        "page_revisions": [
            {
                "page_id": r.page_id,
                "community_id": p.community_id,
                "number": r.number,
                "title": r.title,
                "body": r.body,
                "comment": r.comment,
                "created_at": _iso(r.created_at),
            }
            for r, p in revisions
        ],
    }


# --- erasure -------------------------------------------------------------------------


def forget_person(session, user_id: str) -> dict:
    """Rewrite mentions of the erased person in pages (no commit); keep everything else."""
    needle = f"]({user_id})"
    rewritten = 0
    for cls in (Page, PageRevision):
        for row in session.scalars(select(cls).where(cls.body.contains(needle, autoescape=True))):
            body = anonymise_mentions(row.body, user_id)
            if body != row.body:
                row.body = body
                rewritten += 1
    return {
        "mentions_rewritten": rewritten,
        "outbox_rows": scrub_outbox(session, user_id),
        "idempotency_keys": idempotency.forget_person(session, user_id),
    }

"""What each event does to the index: one function per event, ``(session, occurred_at, data)``.

The payloads are the feed's and the documents' (``parvis_contracts.events``), validated by
the event's schema before they come here. Every function is safe to run twice and in any
order with the others of the same thing: a revision never goes back (``revision`` of posts,
comments and pages, ``version`` of documents), a deleted thing stays deleted (a tombstone),
and a flag that comes before its thing (hidden, accepted) waits for it on a placeholder.
The handlers' transaction (``idempotent_handler``) commits; nothing here does.

What the events do not carry, and so the index does not know: the creation time (the
``created`` event's own time stands for it), which answer stops being accepted (no event
when an answer is un-accepted: the flag stays until another is accepted or the comment
goes), and an order between a hide and a restore of one thing (the one handled last wins).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from .engines import Item, index_for
from .models import SearchItem


def _text_item(kind: str, item_id: str, occurred_at: datetime, data: dict, **extra) -> Item:
    return Item(
        kind=kind,
        id=item_id,
        community_id=data["community_id"],
        author_id=data["author_id"],
        created_at=occurred_at,
        updated_at=occurred_at,
        body=data.get("body") or "",
        language=data.get("language"),
        revision=data.get("revision") or 0,
        **extra,
    )


# --- feed ------------------------------------------------------------------------------------


def post_written(session, occurred_at: datetime, data: dict) -> None:
    """``post_created`` and ``post_updated``: the post's text (events older than the text in
    their payload index nothing)."""
    if data.get("body") is None:
        return
    index_for(session).upsert(_text_item("post", data["post_id"], occurred_at, data))


def post_deleted(session, occurred_at: datetime, data: dict) -> None:
    """The post leaves the index, and its comments with it (the feed shows them no more)."""
    index = index_for(session)
    index.remove("post", data["post_id"], data["community_id"], occurred_at)
    index.remove_where(occurred_at, kind="comment", post_id=data["post_id"])


def comment_written(session, occurred_at: datetime, data: dict) -> None:
    if data.get("body") is None:
        return
    item = _text_item("comment", data["comment_id"], occurred_at, data, post_id=data["post_id"])
    index_for(session).upsert(item)


def comment_deleted(session, occurred_at: datetime, data: dict) -> None:
    index_for(session).remove("comment", data["comment_id"], data["community_id"], occurred_at)


def content_moderated(session, occurred_at: datetime, data: dict, hidden: bool) -> None:
    """``content_hidden`` and ``content_restored``: a hidden post or comment is not found
    (a hidden post's comments neither); restored, its kept text is indexed again."""
    index_for(session).set_hidden(
        data["target_type"], data["target_id"], data["community_id"], hidden, occurred_at
    )


def answer_accepted(session, occurred_at: datetime, data: dict) -> None:
    index_for(session).mark_accepted(data["post_id"], data["comment_id"], data["community_id"], occurred_at)


# --- documents ----------------------------------------------------------------------------------


def page_written(session, occurred_at: datetime, data: dict) -> None:
    """``page_created`` and ``page_updated``: the latest revision's title and body."""
    index_for(session).upsert(_text_item("page", data["page_id"], occurred_at, data, title=data["title"]))


def page_deleted(session, occurred_at: datetime, data: dict) -> None:
    index_for(session).remove("page", data["page_id"], data["community_id"], occurred_at)


def _document_row(session, document_id: str):
    t = SearchItem.__table__
    return session.execute(
        select(
            t.c.revision,
            t.c.removed,
            t.c.title,
            t.c.body,
            t.c.language,
            t.c.author_id,
            t.c.created_at,
            t.c.updated_at,
        ).where(t.c.kind == "document", t.c.item_id == document_id)
    ).first()


def document_written(session, occurred_at: datetime, data: dict) -> None:
    """``document_created`` and ``document_version_added``: the document by its name, its
    author the latest version's uploader. A new version's text comes after it
    (``document_text_extracted``): until then the document is found by its name only, the
    previous version's text gone. When the text of this very version came first (the two
    events raced), it is kept. Without a text, the name's language is unknown (folded, not
    stemmed)."""
    row = _document_row(session, data["document_id"])
    kept = row is not None and row.revision == data["version"] and bool(row.body)
    item = Item(
        kind="document",
        id=data["document_id"],
        community_id=data["community_id"],
        author_id=data["author_id"],
        created_at=occurred_at,
        updated_at=occurred_at,
        title=data["name"],
        body=row.body if kept else "",
        language=row.language if kept else None,
        revision=data["version"],
    )
    index_for(session).upsert(item)


def document_text_extracted(session, occurred_at: datetime, data: dict) -> None:
    """``document_text_extracted``: the text inside the document's version ``version``
    becomes its searchable text (stemmed in the text's language, when the documents service
    recognised it), unless the index knows a later version or the document was deleted.
    A status without text (``too_large``, ``failed``...) leaves it found by its name only.
    When the text comes before the version's own event, the document is indexed from this
    one (its name and uploader are in it)."""
    row = _document_row(session, data["document_id"])
    if row is not None and (row.removed or row.revision > data["version"]):
        return
    same = row is not None and row.revision == data["version"]
    item = Item(
        kind="document",
        id=data["document_id"],
        community_id=data["community_id"],
        author_id=row.author_id if same else data["author_id"],
        created_at=row.created_at if same else occurred_at,
        updated_at=row.updated_at if same else occurred_at,
        title=row.title if same else data["name"],
        body=data.get("text") or "",
        language=data.get("language"),
        revision=data["version"],
    )
    index_for(session).upsert(item)


def document_deleted(session, occurred_at: datetime, data: dict) -> None:
    index_for(session).remove("document", data["document_id"], data["community_id"], occurred_at)

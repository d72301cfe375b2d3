"""Pages: Markdown pages of a community, with revisions, diffs and ``[[links]]``.

A page is a wiki page: any member may write a new revision (nothing is lost,
every revision stays readable); deleting a page is for its author and the
community's moderators. ``update_page`` names the revision it was based on, so
two people editing at once cannot silently overwrite each other (``Conflict``).

``[[Page title]]`` links to the page of that title in the same community
(case-insensitive); a missing page renders as a link that creates it. Links
are kept in ``page_links`` for the latest revision, which gives backlinks.
The HTML is rendered at read time (a link's target may appear later) with the
same sanitiser as posts (``parvis_contracts.markdown.to_html``).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import delete, select

from parvis_contracts import events as ev
from parvis_contracts.errors import Conflict, NotFound, ValidationFailed, not_found
from parvis_contracts.markdown import to_html

from .access import Access, Viewer, community_access, require_author_or_moderator
from .models import Page, PageLink, PageRevision, name_key

LINK_RE = re.compile(r"\[\[([^\[\]|\n]{1,200})\]\]")
# code (fenced blocks, inline spans) is left alone; links elsewhere are replaced
_CODE_OR_LINK_RE = re.compile(
    r"(?P<fence>^(?P<ticks>`{3,}|~{3,})[^\n]*\n.*?(?:^(?P=ticks)[ \t]*$|\Z))"
    r"|(?P<span>(?P<bt>`+)[^`].*?(?P=bt))"
    r"|(?P<link>\[\[(?P<title>[^\[\]|\n]{1,200})\]\])",
    re.S | re.M,
)
_MD_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")
HISTORY_LIMIT = 500


def _outside_code(body: str):
    for match in _CODE_OR_LINK_RE.finditer(body):
        if match.group("link"):
            yield match


def link_titles(body: str) -> list[str]:
    """Titles linked with ``[[...]]`` (outside code), first appearance order, no duplicates."""
    seen: dict[str, str] = {}
    for match in _outside_code(body):
        title = match.group("title").strip()
        if title and name_key(title) not in seen:
            seen[name_key(title)] = title
    return list(seen.values())


def slugify(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).casefold()
    text = re.sub(r"[^\w]+", "-", text).strip("-_")
    return text[:200] or "page"


def page_url(page_id: str) -> str:
    return f"/pages/{page_id}"


def create_url(community_id: str, title: str) -> str:
    return f"/communities/{quote(community_id, safe='')}/pages?title={quote(title, safe='')}"


def render(session, community_id: str, body: str) -> str:
    """Sanitised HTML of a page body, ``[[links]]`` resolved against the community's pages."""
    titles = link_titles(body)
    targets = {}
    if titles:
        keys = [name_key(t) for t in titles]
        targets = dict(
            session.execute(
                select(Page.live_key, Page.id).where(
                    Page.community_id == community_id, Page.live_key.in_(keys)
                )
            ).all()
        )

    def replace(match: re.Match) -> str:
        if not match.group("link"):
            return match.group(0)
        title = match.group("title").strip()
        if not title:
            return match.group(0)
        text = _MD_SPECIAL_RE.sub(r"\\\1", title)
        target = targets.get(name_key(title))
        url = page_url(target) if target else create_url(community_id, title)
        return f"[{text}](<{url}>)"

    return to_html(_CODE_OR_LINK_RE.sub(replace, body))


# --- reading ---------------------------------------------------------------------


def page_access(session, viewer: Viewer, page_id: str) -> tuple[Page, Access]:
    page = session.get(Page, page_id)
    if page is None or page.deleted_at is not None:
        raise not_found("page")
    try:
        access = community_access(session, viewer, page.community_id)
    except NotFound:
        raise not_found("page") from None
    return page, access


def _links(session, page: Page) -> list[dict]:
    rows = session.execute(
        select(PageLink.target_key, PageLink.target_title).where(PageLink.page_id == page.id)
    ).all()
    keys = [r.target_key for r in rows]
    found = (
        dict(
            session.execute(
                select(Page.live_key, Page.id).where(
                    Page.community_id == page.community_id, Page.live_key.in_(keys)
                )
            ).all()
        )
        if keys
        else {}
    )
    return sorted(
        ({"title": r.target_title, "page_id": found.get(r.target_key)} for r in rows),
        key=lambda item: item["title"].casefold(),
    )


def _backlinks(session, page: Page) -> list[dict]:
    rows = session.execute(
        select(Page.id, Page.title)
        .join(PageLink, PageLink.page_id == Page.id)
        .where(
            PageLink.community_id == page.community_id,
            PageLink.target_key == page.title_key,
            Page.deleted_at.is_(None),
            Page.id != page.id,
        )
        .order_by(Page.title_key)
    ).all()
    return [{"id": r.id, "title": r.title} for r in rows]


def _item(page: Page) -> dict:
    return {
        "id": page.id,
        "community_id": page.community_id,
        "title": page.title,
        "slug": page.slug,
        "revision": page.revision,
        "created_at": page.created_at,
        "created_by": page.created_by,
        "updated_at": page.updated_at,
        "updated_by": page.updated_by,
    }


def _full(session, page: Page, revision: PageRevision | None = None) -> dict:
    item = _item(page)
    if revision is not None and revision.number != page.revision:
        item.update(
            title=revision.title,
            body=revision.body,
            revision=revision.number,
            updated_at=revision.created_at,
            updated_by=revision.author_id,
            latest_revision=page.revision,
        )
    else:
        item.update(body=page.body, latest_revision=page.revision)
    item["html"] = render(session, page.community_id, item["body"])
    item["links"] = _links(session, page)
    item["backlinks"] = _backlinks(session, page)
    return item


def list_pages(session, viewer: Viewer, community_id: str) -> dict:
    access = community_access(session, viewer, community_id)
    pages = session.scalars(
        select(Page)
        .where(Page.community_id == community_id, Page.deleted_at.is_(None))
        .order_by(Page.title_key)
    )
    return {
        "community_id": community_id,
        "items": [_item(p) for p in pages],
        "can_write": access.is_member and not access.community.archived,
    }


def get_page(session, viewer: Viewer, page_id: str, revision: int | None = None) -> dict:
    page, _ = page_access(session, viewer, page_id)
    if revision is None:
        return _full(session, page)
    rev = session.get(PageRevision, (page.id, revision))
    if rev is None:
        raise not_found("revision")
    return _full(session, page, rev)


def history(session, viewer: Viewer, page_id: str) -> dict:
    page, _ = page_access(session, viewer, page_id)
    revisions = session.scalars(
        select(PageRevision)
        .where(PageRevision.page_id == page.id)
        .order_by(PageRevision.number.desc())
        .limit(HISTORY_LIMIT)
    )
    return {
        "page_id": page.id,
        "title": page.title,
        "latest": page.revision,
        "items": [
            {
                "number": r.number,
                "title": r.title,
                "comment": r.comment,
                "author_id": r.author_id,
                "created_at": r.created_at,
            }
            for r in revisions
        ],
    }


def diff_lines(old: str, new: str) -> list[dict]:
    """Line diff: ``equal``, ``delete`` (only in old) and ``insert`` (only in new)."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[dict] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            lines.extend({"op": "equal", "text": t} for t in a[i1:i2])
            continue
        if op in ("delete", "replace"):
            lines.extend({"op": "delete", "text": t} for t in a[i1:i2])
        if op in ("insert", "replace"):
            lines.extend({"op": "insert", "text": t} for t in b[j1:j2])
    return lines


def diff(session, viewer: Viewer, page_id: str, from_revision: int, to_revision: int) -> dict:
    page, _ = page_access(session, viewer, page_id)
    old = session.get(PageRevision, (page.id, from_revision))
    new = session.get(PageRevision, (page.id, to_revision))
    if old is None or new is None:
        raise not_found("revision")
    return {
        "page_id": page.id,
        "from": old.number,
        "to": new.number,
        "from_title": old.title,
        "to_title": new.title,
        "lines": diff_lines(old.body, new.body),
    }


# --- writing ---------------------------------------------------------------------


def _check_title(session, community_id: str, title: str, page_id: str | None = None) -> None:
    clash = session.scalar(
        select(Page.id).where(Page.community_id == community_id, Page.live_key == name_key(title))
    )
    if clash is not None and clash != page_id:
        raise Conflict(
            "A page with this title already exists in this community.",
            {"title": ["A page with this title already exists."]},
        )


def _index_links(session, page: Page) -> None:
    session.execute(delete(PageLink).where(PageLink.page_id == page.id))
    for title in link_titles(page.body):
        session.add(
            PageLink(
                page_id=page.id,
                target_key=name_key(title),
                community_id=page.community_id,
                target_title=title,
            )
        )


def event_data(page: Page, author_id: str) -> dict:
    return {
        "page_id": page.id,
        "community_id": page.community_id,
        "revision": page.revision,
        "title": page.title,
        "body": page.body,
        "author_id": author_id,
        "language": None,
    }


def create(session, viewer: Viewer, now: datetime, community_id: str, title: str, body: str) -> dict:
    access = community_access(session, viewer, community_id)
    access.require_write()
    _check_title(session, community_id, title)
    page = Page(
        community_id=community_id,
        title=title,
        title_key=name_key(title),
        live_key=name_key(title),
        slug=slugify(title),
        body=body,
        revision=1,
        created_at=now,
        created_by=viewer.id,
        updated_at=now,
        updated_by=viewer.id,
    )
    session.add(page)
    session.flush()
    session.add(
        PageRevision(
            page_id=page.id, number=1, title=title, body=body, comment="", author_id=viewer.id, created_at=now
        )
    )
    _index_links(session, page)
    session.emit(ev.DOCUMENTS_PAGE_CREATED, event_data(page, viewer.id))
    session.commit()
    return _full(session, page)


def update(
    session,
    viewer: Viewer,
    now: datetime,
    page_id: str,
    title: str,
    body: str,
    base_revision: int,
    comment: str,
) -> dict:
    page, access = page_access(session, viewer, page_id)
    access.require_write()
    if base_revision != page.revision:
        raise Conflict(
            "This page changed since you opened it: reload it and apply your changes again.",
            {"base_revision": ["Not the latest revision."], "latest": page.revision},
        )
    if title == page.title and body == page.body:
        raise ValidationFailed("Nothing changed.", {"body": ["Nothing changed."]})
    _check_title(session, page.community_id, title, page.id)
    page.revision += 1
    page.title, page.title_key, page.live_key = title, name_key(title), name_key(title)
    page.slug, page.body = slugify(title), body
    page.updated_at, page.updated_by = now, viewer.id
    session.add(
        PageRevision(
            page_id=page.id,
            number=page.revision,
            title=title,
            body=body,
            comment=comment,
            author_id=viewer.id,
            created_at=now,
        )
    )
    session.flush()
    _index_links(session, page)
    session.emit(ev.DOCUMENTS_PAGE_UPDATED, event_data(page, viewer.id))
    session.commit()
    return _full(session, page)


def remove(session, viewer: Viewer, now: datetime, page_id: str) -> dict:
    page, access = page_access(session, viewer, page_id)
    require_author_or_moderator(access, page.created_by)
    page.deleted_at, page.live_key = now, None
    session.emit(ev.DOCUMENTS_PAGE_DELETED, event_data(page, viewer.id))
    session.commit()
    return {"page_id": page.id, "deleted": True}

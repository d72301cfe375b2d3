"""What makes the wall pleasant to read, shared by every page that shows posts: times
relative to now in the reader's language (the exact time in the reader's time zone on
hover), and the cards of links to Parvis content, asked with the reader's rights.

Template globals (registered by :func:`init_reading`): ``when(value)`` and
``link_cards``' cards are read by ``feed/macros.html``. Nothing here asks a service
except through :mod:`gateway.calls` (the cards' look-ups, sent at once).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime, format_timedelta
from flask import current_app, g, request, url_for

from .. import i18n
from ..calls import communities, documents, feed, parallel

#: younger than this, a time reads "2 h ago"; older, it reads as a date
RELATIVE_FOR = timedelta(days=7)
#: cards under one post or comment, and on one page (each costs a look-up)
CARDS_PER_ITEM = 3
CARDS_PER_PAGE = 30
#: characters of a post shown as its card's title
CARD_TITLE_MAX = 90

_HREF_RE = re.compile(r'<a\s[^>]*?href="([^"]+)"')
#: the pages of Parvis content a link may point at: kind -> path pattern
CONTENT_PATHS = {
    "post": re.compile(r"^/posts/([A-Za-z0-9_-]{1,64})/?$"),
    "community": re.compile(r"^/communities/([A-Za-z0-9_-]{1,64})/?$"),
    "document": re.compile(r"^/documents/([A-Za-z0-9_-]{1,64})/?$"),
    "page": re.compile(r"^/pages/([A-Za-z0-9_-]{1,64})/?$"),
}


# ------------------------------------------------------------------ times


def reader_zone() -> ZoneInfo:
    """The signed-in reader's time zone (their profile's), else UTC."""
    name = (g.get("principal") or {}).get("time_zone")
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_moment(value) -> datetime | None:
    """A service's timestamp (ISO 8601 text or a datetime) as an aware datetime."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def relative_time(moment: datetime, now: datetime, locale: str, zone: ZoneInfo) -> str:
    """``il y a 2 h`` / ``hace 2 h`` / ``vor 2 Std.`` / ``2 hr. ago`` within a week (Babel's
    short form in the reader's language), else the date in the reader's time zone."""
    # a clock a little ahead (or the very same second): "1 s ago", never "in 3 s"
    age = max(now - moment, timedelta(seconds=1))
    if age >= RELATIVE_FOR:
        return format_date(moment.astimezone(zone), format="medium", locale=locale)
    return format_timedelta(-age, granularity="second", add_direction=True, format="short", locale=locale)


def exact_time(moment: datetime, locale: str, zone: ZoneInfo) -> str:
    """The date and time in the reader's time zone, with the zone's name."""
    return f"{format_datetime(moment, format='medium', tzinfo=zone, locale=locale)} ({zone.key})"


def when(value, now: datetime | None = None) -> dict | None:
    """What a ``<time>`` shows of a service's timestamp: ``iso`` (its ``datetime``),
    ``relative`` (its text) and ``exact`` (its title), for this request's reader."""
    moment = parse_moment(value)
    if moment is None:
        return None
    locale = g.get("lang") or i18n.DEFAULT_LANGUAGE
    zone = reader_zone()
    return {
        "iso": moment.astimezone(UTC).isoformat(),
        "relative": relative_time(moment, now or datetime.now(UTC), locale, zone),
        "exact": exact_time(moment, locale, zone),
    }


# ------------------------------------------------------------------ cards of links to Parvis


def _site_origins() -> set[str]:
    origins = {request.host_url.rstrip("/").lower()}
    public = (current_app.config.get("PUBLIC_URL") or "").rstrip("/").lower()
    if public:
        origins.add(public)
    return origins


def content_link(href: str, origins: set[str]) -> tuple[str, str] | None:
    """``(kind, id)`` when ``href`` points at a post, community, document or page of this
    site (a path, or a full address of this site), else None."""
    href = unescape(href or "").strip()
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        if f"{parts.scheme}://{parts.netloc}".lower() not in origins:
            return None
    elif not href.startswith("/") or href.startswith("//"):
        return None
    for kind, pattern in CONTENT_PATHS.items():
        match = pattern.match(parts.path)
        if match:
            return kind, match.group(1)
    return None


def linked_content(items, origins: set[str] | None = None) -> dict:
    """``item id -> [(kind, id)]``: the Parvis content each post or comment links to (its
    sanitised HTML's links; mentions and hashtags are links to people and tags, not content)."""
    origins = origins if origins is not None else _site_origins()
    found: dict = {}
    for item in items:
        targets: list = []
        for href in _HREF_RE.findall(item.get("html") or ""):
            target = content_link(href, origins)
            if target and target not in targets and target != ("post", item.get("id")):
                targets.append(target)
        if targets:
            found[item["id"]] = targets[:CARDS_PER_ITEM]
    return found


def _post_title(post: dict) -> str:
    text = re.sub(r"<[^>]+>", " ", post.get("html") or "")
    text = " ".join(unescape(text).split())
    return text if len(text) <= CARD_TITLE_MAX else text[: CARD_TITLE_MAX - 1].rstrip() + "…"


def _card(kind: str, answer: dict) -> dict | None:
    """A card from what the owning service answered to the reader, or None."""
    if kind == "post":
        return {
            "kind": kind,
            "title": _post_title(answer),
            "context": answer.get("community_name"),
            "url": url_for("wall.post_page", post_id=answer["id"]),
        }
    if kind == "community":
        if answer.get("access") != "full":
            return None  # its card only (an admin): no content, no card
        return {
            "kind": kind,
            "title": answer.get("name"),
            "context": None,
            "url": url_for("community.page", community_id=answer["id"]),
        }
    if kind == "document":
        return {
            "kind": kind,
            "title": answer.get("name"),
            "context": None,
            "url": url_for("documents_web.document", document_id=answer["id"]),
        }
    if kind == "page":
        return {
            "kind": kind,
            "title": answer.get("title"),
            "context": None,
            "url": url_for("documents_web.page", page_id=answer["id"]),
        }
    return None


def _lookup(kind: str, target_id: str):
    if kind == "post":
        return feed.get_post.pending(target_id)
    if kind == "community":
        return communities.get_community.pending(target_id)
    if kind == "document":
        return documents.get_document.pending(target_id)
    return documents.get_page.pending(target_id)


def link_cards(items) -> dict:
    """``item id -> [card]``: a card (kind, title, context, url) for each link of a post or
    comment to Parvis content that the reader may see, asked of the owning service with the
    reader's rights, every look-up at once. What the reader cannot see (or does not exist,
    or a service that does not answer) gets no card: the link stays a plain link."""
    wanted = linked_content(items)
    targets = list(dict.fromkeys(t for found in wanted.values() for t in found))[:CARDS_PER_PAGE]
    if not targets:
        return {}
    calls = {f"{kind}:{target_id}": _lookup(kind, target_id) for kind, target_id in targets}
    answers = parallel(**calls)
    cards = {}
    for (kind, target_id), name in zip(targets, calls, strict=True):
        answer = answers.get(name)
        if isinstance(answer, BaseException) or not isinstance(answer, dict) or not answer.get("id"):
            continue
        card = _card(kind, answer)
        if card and card.get("title"):
            cards[(kind, target_id)] = card
    return {
        item_id: [cards[t] for t in found if t in cards]
        for item_id, found in wanted.items()
        if any(t in cards for t in found)
    }


def init_reading(app) -> None:
    app.jinja_env.globals["when"] = when

"""Markdown to safe HTML, @mentions and #hashtags (shared by every service that renders user text).

* The Markdown source is rendered with markdown-it-py (CommonMark, raw HTML
  disabled, so ``<script>`` is shown as text) and the result is cleaned by nh3
  with an allow-list of tags and attributes: no script, no event handler
  attributes, no ``javascript:`` (or any scheme but http, https, mailto) links.
* A mention is written ``@[Display Name](person-id)``; it is rendered as a link
  to ``/people/<id>``. The ids are returned for the caller to check membership.
* A hashtag is ``#`` followed by 2 to 50 unicode letters, digits or ``_``;
  tags are indexed case-folded.
"""
from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

MENTION_RE = re.compile(r"@\[([^\[\]\n]{1,120})\]\(([A-Za-z0-9_-]{1,64})\)")
HASHTAG_RE = re.compile(r"(?<![\w#&/])#(\w{2,50})(?!\w)")
_CODE_RE = re.compile(r"`[^`]*`")
_LINK_TARGET_RE = re.compile(r"\]\([^)]*\)|<[^>\s]+>|https?://\S+")

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def mentions(source: str) -> list[str]:
    """Mentioned person ids, in order of first appearance, without duplicates."""
    seen: list[str] = []
    for match in MENTION_RE.finditer(source):
        if match.group(2) not in seen:
            seen.append(match.group(2))
    return seen


def hashtags(source: str) -> list[str]:
    """Case-folded hashtags, in order of first appearance (not in code or link targets)."""
    text = MENTION_RE.sub(" ", source)
    text = _CODE_RE.sub(" ", text)
    text = _LINK_TARGET_RE.sub(" ", text)
    seen: list[str] = []
    for match in HASHTAG_RE.finditer(text):
        tag = match.group(1).casefold()
        if tag not in seen and len(tag) <= 50:
            seen.append(tag)
    return seen


def _mention_link(match: re.Match) -> str:
    name = match.group(1).replace("\\", "").replace("*", "").replace("_", "\\_").strip()
    return f"[@{name}](/people/{match.group(2)})"


def to_html(source: str) -> str:
    """Rendered and sanitised HTML of a Markdown source (mentions become links)."""
    rendered = _md.render(MENTION_RE.sub(_mention_link, source))
    return nh3.clean(rendered, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes=URL_SCHEMES, link_rel="nofollow noopener noreferrer",
                     strip_comments=True)

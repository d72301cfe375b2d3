"""Markdown to safe HTML, @mentions and #hashtags (shared by every service that renders user text).

* The Markdown source is rendered with markdown-it-py (CommonMark, raw HTML
  disabled, so ``<script>`` is shown as text) and the result is cleaned by nh3
  with an allow-list of tags and attributes: no script, no event handler
  attributes, no ``javascript:`` (or any scheme but http, https, mailto) links.
* A mention is written ``@[Display Name](person-id)``; it is rendered as a link
  to ``/people/<id>``. The ids are returned for the caller to check membership.
* A hashtag is ``#`` followed by 2 to 50 unicode letters, digits or ``_``;
  tags are indexed case-folded, and rendered as a link to ``/tags/<tag>``
  (the case-folded tag; the text keeps the author's case). Hashtags in code
  (spans and blocks) and inside links (their text and targets) stay text.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

MENTION_RE = re.compile(r"@\[([^\[\]\n]{1,120})\]\(([A-Za-z0-9_-]{1,64})\)")
HASHTAG_RE = re.compile(r"(?<![\w#&/])#(\w{2,50})(?!\w)")

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
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


#: a mention of every member of the post's community (not part of a word, an address or a path)
COMMUNITY_MENTION_RE = re.compile(r"(?<![\w@/.])@community\b")


def mentions_community(source: str) -> bool:
    """Whether the text mentions its whole community (``@community``)."""
    return COMMUNITY_MENTION_RE.search(source or "") is not None


def hashtags(source: str) -> list[str]:
    """Case-folded hashtags, in order of first appearance: exactly those :func:`to_html`
    turns into links (not in code, not inside links or mentions)."""
    return _link_hashtags(_md.parse(MENTION_RE.sub(_mention_link, source), {}))


def _mention_link(match: re.Match) -> str:
    name = match.group(1).replace("\\", "").replace("*", "").replace("_", "\\_").strip()
    return f"[@{name}](/people/{match.group(2)})"


def tag_url(tag: str) -> str:
    """Where a hashtag links to: ``/tags/<case-folded tag>``."""
    return "/tags/" + quote(tag.casefold(), safe="")


def _hashtag_tokens(text: Token, found: list[str]) -> list[Token]:
    """A text token split into text and hashtag links (tags appended to ``found``)."""
    out: list[Token] = []
    last = 0
    for match in HASHTAG_RE.finditer(text.content):
        tag = match.group(1).casefold()
        if tag not in found:
            found.append(tag)
        if match.start() > last:
            out.append(Token("text", "", 0, content=text.content[last : match.start()]))
        out.append(Token("link_open", "a", 1, attrs={"href": tag_url(match.group(1))}))
        out.append(Token("text", "", 0, content=match.group(0)))
        out.append(Token("link_close", "a", -1))
        last = match.end()
    if not out:
        return [text]
    if last < len(text.content):
        out.append(Token("text", "", 0, content=text.content[last:]))
    return out


def _link_hashtags(tokens: list[Token]) -> list[str]:
    """Turn hashtags in plain text into links, return their case-folded tags: code is
    never a text token, and text inside a link (mentions included) is left alone."""
    found: list[str] = []
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        children: list[Token] = []
        in_link = 0
        for child in token.children:
            if child.type == "link_open":
                in_link += 1
            elif child.type == "link_close":
                in_link -= 1
            if child.type == "text" and not in_link and "#" in child.content:
                children.extend(_hashtag_tokens(child, found))
            else:
                children.append(child)
        token.children = children
    return found


def to_html(source: str) -> str:
    """Rendered and sanitised HTML of a Markdown source (mentions and hashtags
    become links)."""
    env: dict = {}
    tokens = _md.parse(MENTION_RE.sub(_mention_link, source), env)
    _link_hashtags(tokens)
    rendered = _md.renderer.render(tokens, _md.options, env)
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )

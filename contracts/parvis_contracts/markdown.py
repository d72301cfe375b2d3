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
* A bare ``http://`` or ``https://`` address in the text becomes a link (never in code,
  never inside a link); every link carries ``rel="nofollow noopener noreferrer ugc"``
  (user content: no search-engine credit, no access to the opener, and no internal
  address leaking to another site through the Referer header).
* A pasted handle ``@first.last`` (:func:`handles`) is not a mention by itself: the feed
  asks identity whom it names and writes it in the stored form (:func:`with_handles`).
"""

from __future__ import annotations

import re
import unicodedata
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
#: the ``rel`` of every link of user content
LINK_REL = "nofollow noopener noreferrer ugc"

#: a bare web address: http or https, up to a space, a quote or an angle bracket
BARE_URL_RE = re.compile(r"(?<![\w/@.])https?://[^\s<>\"'`]+", re.IGNORECASE)
#: what ends a sentence rather than an address
URL_TRAILING = ".,;:!?'\""
#: a pasted handle: ``@first.last`` (dot-separated words; not part of a word or an address)
HANDLE_RE = re.compile(
    r"(?<![\w@/.\[])@((?:[^\W_]|-)+(?:[.'_-](?:[^\W_])+)*\.(?:[^\W_]|-)+(?:[.'_-](?:[^\W_])+)*)"
)
#: code spans and fenced blocks, where nothing is a handle
CODE_RE = re.compile(r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)|`[^`\n]*`", re.DOTALL)

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
    tokens = _md.parse(MENTION_RE.sub(_mention_link, source), {})
    _link_urls(tokens)
    return _link_hashtags(tokens)


# --- pasted handles (@first.last) --------------------------------------------------------


def handle_of(display_name: str) -> str:
    """The handle a person is known by when pasted: their display name case-folded, without
    accents, its words joined by dots (``Hélène Dupont-Roy`` -> ``helene.dupont-roy``)."""
    folded = unicodedata.normalize("NFKD", display_name or "").casefold()
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return ".".join(plain.split())


def fold_handle(handle: str) -> str:
    """A typed handle as :func:`handle_of` writes them (case and accents ignored)."""
    return handle_of(handle.replace(".", " "))


def _handle_spans(source: str) -> list[re.Match]:
    """The handles of ``source``, outside code and outside ``@[Name](id)`` mentions."""
    hidden = [m.span() for m in CODE_RE.finditer(source)] + [m.span() for m in MENTION_RE.finditer(source)]
    return [
        match
        for match in HANDLE_RE.finditer(source)
        if not any(start <= match.start() < end for start, end in hidden)
    ]


def handles(source: str) -> list[str]:
    """The pasted handles (``first.last``, without the ``@``), in order, each once."""
    return list(dict.fromkeys(match.group(1) for match in _handle_spans(source or "")))


def mention_markup(name: str, person_id: str) -> str:
    """The stored form of a mention: ``@[Name](id)`` (brackets of the name dropped)."""
    clean = " ".join(re.sub(r"[\[\]\n]", " ", name or "").split())[:120] or person_id
    return f"@[{clean}]({person_id})"


def with_handles(source: str, resolved: dict) -> str:
    """``source`` with each handle of ``resolved`` (handle -> ``{"id", "display_name"}``)
    written as a mention; the others stay as they were typed."""
    out, last = [], 0
    for match in _handle_spans(source):
        person = resolved.get(match.group(1))
        if not person:
            continue
        out.append(source[last : match.start()])
        out.append(mention_markup(person.get("display_name") or "", person["id"]))
        last = match.end()
    out.append(source[last:])
    return "".join(out)


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


def _split_url(text: str) -> tuple[str, str]:
    """An address found in text, without what ends the sentence after it (a final
    period, an unbalanced closing parenthesis): ``(address, rest)``."""
    end = len(text)
    while end:
        last = text[end - 1]
        if last in URL_TRAILING or last == ")" and text[:end].count("(") < text[:end].count(")"):
            end -= 1
        else:
            break
    return text[:end], text[end:]


def _url_tokens(text: Token) -> list[Token]:
    """A text token split into text and links to the bare addresses it holds."""
    out: list[Token] = []
    last = 0
    for match in BARE_URL_RE.finditer(text.content):
        url, _rest = _split_url(match.group(0))
        if "://" not in url or url.endswith("://"):
            continue
        if match.start() > last:
            out.append(Token("text", "", 0, content=text.content[last : match.start()]))
        out.append(Token("link_open", "a", 1, attrs={"href": url}))
        out.append(Token("text", "", 0, content=url))
        out.append(Token("link_close", "a", -1))
        last = match.start() + len(url)
    if not out:
        return [text]
    if last < len(text.content):
        out.append(Token("text", "", 0, content=text.content[last:]))
    return out


def _link_urls(tokens: list[Token]) -> None:
    """Turn bare http(s) addresses in plain text into links (never in code, never inside
    a link: a Markdown link or an ``<https://...>`` autolink keeps its own)."""
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
            if child.type == "text" and not in_link and "://" in child.content:
                children.extend(_url_tokens(child))
            else:
                children.append(child)
        token.children = children


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
    """Rendered and sanitised HTML of a Markdown source (mentions, hashtags and bare
    http(s) addresses become links)."""
    env: dict = {}
    tokens = _md.parse(MENTION_RE.sub(_mention_link, source), env)
    _link_urls(tokens)
    _link_hashtags(tokens)
    rendered = _md.renderer.render(tokens, _md.options, env)
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )

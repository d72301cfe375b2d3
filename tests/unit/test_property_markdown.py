"""Property-based tests of the Markdown sanitiser (contracts/parvis_contracts/markdown.py).

For arbitrary text, including generated HTML/JS-ish fragments, the rendered HTML,
read back with an HTML parser (never a regex), holds only allow-listed elements and
attributes: no script, iframe, object, embed, style or event-handler attribute, and
no ``javascript:``/``data:``/``vbscript:`` (or any scheme but http, https, mailto)
in an ``href`` or ``src``. Rendering is deterministic, the sanitised output is a fixed
point of the sanitiser, and mentions/hashtags agree with what is linked.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parvis_contracts import markdown

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "style",
    "svg",
    "math",
    "img",
    "form",
    "input",
    "link",
    "meta",
    "base",
    "frame",
    "frameset",
    "template",
    "video",
    "audio",
    "source",
    "textarea",
    "button",
    "applet",
    "noscript",
}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "background",
    "poster",
    "srcdoc",
    "data",
}
SAFE_SCHEMES = {"http", "https", "mailto"}
SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")

# ------------------------------------------------------------------ generators

SCHEMES = st.sampled_from(
    [
        "javascript:",
        "JaVaScRiPt:",
        "java\tscript:",
        "java\nscript:",
        " javascript:",
        "\x01javascript:",
        "jav&#x09;ascript:",
        "&#106;avascript:",
        "javascript&colon;",
        "data:",
        "DATA:",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:",
        "VBScript:",
        "file:",
        "blob:",
        "http:",
        "https:",
        "mailto:",
        "//",
        "/",
        "",
    ]
)
PAYLOADS = st.sampled_from(
    [
        "alert(1)",
        "window.__xss()",
        "alert`1`",
        "%61lert(1)",
        "\\u0061lert(1)",
        "//evil.example/x.js",
        "x.png",
        "&#x61;lert(1)",
        "<b>",
        '"><script>x()</script>',
    ]
)
TAG_NAMES = st.sampled_from(
    [
        "script",
        "SCRIPT",
        "ScRiPt",
        "img",
        "svg",
        "iframe",
        "object",
        "embed",
        "style",
        "a",
        "div",
        "p",
        "math",
        "form",
        "input",
        "body",
        "details",
        "video",
        "base",
        "meta",
        "template",
        "noscript",
        "textarea",
        "xmp",
        "plaintext",
        "link",
        "frameset",
    ]
)
ATTR_NAMES = st.sampled_from(
    [
        "onerror",
        "onload",
        "ONCLICK",
        "onmouseover",
        "onfocus",
        "style",
        "href",
        "src",
        "srcdoc",
        "action",
        "formaction",
        "xlink:href",
        "background",
        "data",
        "title",
    ]
)
QUOTES = st.sampled_from(['"', "'", "", "`"])


@st.composite
def urls(draw):
    return draw(SCHEMES) + draw(PAYLOADS)


@st.composite
def html_fragments(draw):
    tag = draw(TAG_NAMES)
    attr, quote = draw(ATTR_NAMES), draw(QUOTES)
    value = draw(st.one_of(urls(), PAYLOADS))
    body = draw(st.one_of(PAYLOADS, st.text(max_size=10)))
    closing = draw(st.sampled_from([f"</{tag}>", "", f"</{tag.upper()} >", "<!--", "-->"]))
    return f"<{tag} {attr}={quote}{value}{quote}>{body}{closing}"


@st.composite
def markdown_fragments(draw):
    label = draw(st.one_of(st.text(max_size=8), PAYLOADS, html_fragments()))
    url = draw(urls())
    title = draw(st.one_of(st.just(""), st.just(' "t"'), st.just(" 'x\" onmouseover=a()'")))
    shape = draw(
        st.sampled_from(
            [
                "[{label}]({url}{title})",
                "![{label}]({url}{title})",
                "[![{label}]({url})]({url})",
                "<{url}>",
                "[{label}][ref]\n\n[ref]: {url}{title}",
                "[{label}](<{url}>)",
                "@[{label}](p-1)",
                "#{label}",
                "`{label}`",
                "```\n{label}\n```",
                "> {label}",
                "* {label}",
                "1. {label}",
                "**{label}**",
                '[x]({url} "{label}")',
                "&lt;{label}&gt;",
                "&#60;script&#62;{label}",
                "\\<{label}\\>",
            ]
        )
    )
    return shape.format(label=label, url=url, title=title)


SOURCES = st.lists(
    st.one_of(
        html_fragments(),
        markdown_fragments(),
        st.text(max_size=30),
        st.sampled_from(
            [
                "\n",
                "\n\n",
                " ",
                "\u202e",
                "\u200b",
                "\ufeff",
                "\x00",
                "&amp;",
                "&#0;",
                "&NotANamedEntity;",
                "{{7*7}}",
                "${7*7}",
            ]
        ),
    ),
    max_size=8,
).map("".join)


# ------------------------------------------------------------------ output reader


class Collector(HTMLParser):
    """Every element and attribute of a document, as a browser-ish parser reads them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_comment(self, data):
        self.comments.append(data)

    def handle_decl(self, decl):
        self.comments.append(decl)

    def handle_pi(self, data):
        self.comments.append(data)


def parse(output: str) -> Collector:
    collector = Collector()
    collector.feed(output)
    collector.close()
    return collector


def url_scheme(value: str) -> str | None:
    """The scheme a browser would see: entities decoded, ASCII whitespace and control
    characters removed (browsers strip them inside a scheme), lower-cased."""
    decoded = html.unescape(value)
    squeezed = "".join(ch for ch in decoded if ord(ch) > 0x20 and ch != "\x7f")
    match = SCHEME_RE.match(squeezed)
    # no valid scheme (WHATWG URL: a letter, then letters, digits, + - .): a relative URL
    return match.group(1).lower() if match else None


def assert_safe(output: str) -> None:
    doc = parse(output)
    assert not doc.comments, output
    for tag, attrs in doc.elements:
        assert tag not in FORBIDDEN_TAGS, output
        assert tag in markdown.ALLOWED_TAGS, output
        allowed = markdown.ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}
        for name, value in attrs:
            assert not name.startswith("on"), output
            assert name != "style", output
            assert name in allowed, (name, output)
            if name in URL_ATTRIBUTES:
                scheme = url_scheme(value or "")
                assert scheme in SAFE_SCHEMES | {None}, (scheme, output)
                assert scheme not in {"javascript", "data", "vbscript"}, output


# ------------------------------------------------------------------ properties


@SETTINGS
@given(SOURCES)
def test_rendered_html_never_carries_script_handlers_or_dangerous_urls(source):
    assert_safe(markdown.to_html(source))


@SETTINGS
@given(st.text(max_size=200))
def test_arbitrary_unicode_renders_safely(source):
    assert_safe(markdown.to_html(source))


@SETTINGS
@given(html_fragments())
def test_raw_html_is_shown_as_text_never_as_markup(fragment):
    output = markdown.to_html(fragment)
    assert_safe(output)
    # the only elements are those Markdown itself makes (a paragraph, maybe a link)
    assert {tag for tag, _ in parse(output).elements} <= {
        "p",
        "a",
        "br",
        "em",
        "strong",
        "code",
        "pre",
        "hr",
        "h1",
        "h2",
    }


@SETTINGS
@given(SOURCES)
def test_rendering_is_deterministic_and_a_fixed_point_of_the_sanitiser(source):
    first = markdown.to_html(source)
    assert markdown.to_html(source) == first
    cleaned = nh3.clean(
        first,
        tags=markdown.ALLOWED_TAGS,
        attributes=markdown.ALLOWED_ATTRIBUTES,
        url_schemes=markdown.URL_SCHEMES,
        link_rel=markdown.LINK_REL,
        strip_comments=True,
    )
    assert cleaned == first


@SETTINGS
@given(SOURCES)
def test_rendering_escaped_output_as_source_stays_safe(source):
    # output fed back in as a source (e.g. a quoted post) is text again, still safe
    assert_safe(markdown.to_html(markdown.to_html(source)))


@SETTINGS
@given(SOURCES)
def test_hashtags_and_mentions_agree_with_the_rendered_links(source):
    output = markdown.to_html(source)
    hrefs = [dict(attrs).get("href") for tag, attrs in parse(output).elements if tag == "a"]
    for tag in markdown.hashtags(source):
        assert tag == tag.casefold()
        assert markdown.tag_url(tag) in hrefs, (tag, output)
    for person_id in markdown.mentions(source):
        assert markdown.MENTION_RE.fullmatch(f"@[x]({person_id})")


@SETTINGS
@given(urls(), st.text(max_size=10))
def test_markdown_links_and_images_keep_only_safe_schemes(url, label):
    for source in (f"[{label}]({url})", f"![{label}]({url})", f"<{url}>", f"[{label}]\n\n[{label}]: {url}"):
        output = markdown.to_html(source)
        assert_safe(output)


def test_the_checker_itself_catches_what_it_should():
    """The oracle is not vacuous: each forbidden shape is caught."""
    for bad in (
        "<script>x()</script>",
        '<a href="javascript:x()">a</a>',
        '<a href="jav&#x09;ascript:x()">a</a>',
        '<p onclick="x()">a</p>',
        '<p style="color:red">a</p>',
        '<iframe src="/"></iframe>',
        '<a href="data:text/html,x">a</a>',
        "<!-- c -->",
    ):
        try:
            assert_safe(bad)
        except AssertionError:
            continue
        raise AssertionError(f"not caught: {bad}")
    assert_safe('<p><a href="https://x.example" rel="nofollow">x</a></p>')

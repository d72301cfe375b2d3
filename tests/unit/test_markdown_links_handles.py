"""The house's Markdown renderer: bare http(s) addresses become links (never in code,
never inside a link, no other scheme), every link of user content is ``nofollow noopener
noreferrer ugc``; pasted ``@first.last`` handles are found outside code and mentions."""

import pytest

from parvis_contracts import markdown

REL = 'rel="nofollow noopener noreferrer ugc"'


@pytest.mark.parametrize(
    "source, href",
    [
        ("see https://example.com/a?b=1&c=2", "https://example.com/a?b=1&amp;c=2"),
        ("see http://example.com.", "http://example.com"),
        ("(https://example.com/page)", "https://example.com/page"),
        ("wiki https://e.example/A_(b) done", "https://e.example/A_(b)"),
        ("end: https://e.example/x?y=1!", "https://e.example/x?y=1"),
        ("HTTPS://E.EXAMPLE/Upper", "HTTPS://E.EXAMPLE/Upper"),
    ],
)
def test_a_bare_address_becomes_a_link(source, href):
    html = markdown.to_html(source)
    assert f'<a href="{href}" {REL}>' in html


@pytest.mark.parametrize(
    "source",
    [
        "`https://in.code/x`",
        "```\nhttps://in.fenced/x\n```",
        "javascript://alert(1)",
        "ftp://files.example/x",
        "mailhttps://glued.example",
        "http://",
    ],
)
def test_no_link_in_code_nor_for_other_schemes(source):
    html = markdown.to_html(source)
    assert "<a " not in html


def test_an_existing_link_is_left_as_it_is_and_every_link_is_ugc():
    html = markdown.to_html("[site](https://e.example/) and <https://x.example> @[Ann](p-1)")
    assert html.count("<a ") == 3
    assert html.count(REL) == 3
    assert f'<a href="https://e.example/" {REL}>site</a>' in html


def test_an_address_with_markup_is_escaped_not_interpreted():
    html = markdown.to_html('https://e.example/"><script>alert(1)</script>')
    assert "<script>" not in html
    assert 'href="https://e.example/"' not in html or "&lt;script&gt;" in html


def test_a_hashtag_inside_an_address_is_not_a_tag():
    assert markdown.hashtags("https://e.example/page#section #real") == ["real"]
    assert "/tags/section" not in markdown.to_html("https://e.example/page#section")


def test_handles_are_found_outside_code_addresses_and_mentions():
    source = (
        "Hi @louise.bernard, @Hélène.Dupont-Roy. Not a@b.example, `@in.code`, "
        "@[Named](p-1), @community, @solo, https://e.example/@not.this"
    )
    assert markdown.handles(source) == ["louise.bernard", "Hélène.Dupont-Roy"]
    assert markdown.handles("@louise.bernard @louise.bernard") == ["louise.bernard"]


def test_handles_are_written_as_mentions_and_the_rest_stays():
    written = markdown.with_handles(
        "@ann.lee and @bob.ray, @ann.lee", {"ann.lee": {"id": "p-1", "display_name": "Ann [Lee]"}}
    )
    assert written == "@[Ann Lee](p-1) and @bob.ray, @[Ann Lee](p-1)"
    assert markdown.mentions(written) == ["p-1"]


def test_a_handle_is_a_display_name_folded():
    assert markdown.handle_of("Hélène  Dupont-Roy") == "helene.dupont-roy"
    assert markdown.handle_of("Jürgen Müller") == "jurgen.muller"
    assert markdown.fold_handle("Helene.DUPONT-Roy") == "helene.dupont-roy"
    assert markdown.mention_markup("A [b]\nc", "p-2") == "@[A b c](p-2)"

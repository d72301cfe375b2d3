"""A search snippet on its way out: the service's markers become ranges of the plain text
(the API), then escaped HTML with ``<mark>`` around the ranges only (the results page)."""

from __future__ import annotations

import pytest

from gateway.calls.search import MARK_END, MARK_START, highlights
from gateway.web.search import marked

S, E = MARK_START, MARK_END


@pytest.mark.parametrize(
    "snippet, plain, ranges",
    [
        (f"Les {S}livraisons{E} sont {S}retardées{E}", "Les livraisons sont retardées", [[4, 14], [20, 29]]),
        ("no match at all", "no match at all", []),
        ("", "", []),
        # out of place markers are dropped; a match left open ends with the snippet
        (f"a {E}b{S}{S}c{E} d", "a bc d", [[3, 4]]),
        (f"x {S}open", "x open", [[2, 6]]),
        (f"{S}{E}empty", "empty", []),
        # offsets count code points, whatever their UTF-8 or UTF-16 size
        (f"😀 {S}pare-chocs{E}", "😀 pare-chocs", [[2, 12]]),
    ],
)
def test_the_markers_become_ranges_of_the_plain_text(snippet, plain, ranges):
    assert highlights(snippet) == (plain, ranges)


def test_the_page_escapes_everything_and_marks_only_the_ranges():
    text, ranges = highlights(f'<b>2 < 3</b> & {S}"livraison"{E} <script>x</script>')
    html = str(marked(text, ranges))
    assert html == (
        "&lt;b&gt;2 &lt; 3&lt;/b&gt; &amp; <mark>&#34;livraison&#34;</mark> &lt;script&gt;x&lt;/script&gt;"
    )
    # ranges out of order or empty never break the text
    assert str(marked("abcdef", [[3, 4], [1, 2], [5, 5]])) == "abc<mark>d</mark>ef"

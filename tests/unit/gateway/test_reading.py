"""What the gateway shows of times and links: relative times in the reader's language and
time zone, and which links are to Parvis content (cards asked with the reader's rights)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gateway.web import reading

NOW = datetime(2026, 3, 12, 13, 5, tzinfo=UTC)
ZONE_UTC = ZoneInfo("UTC")
ZONE_PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    "locale, expected",
    [("fr", "il y a 2\xa0h"), ("es", "hace 2 h"), ("de", "vor 2 Std."), ("en", "2 hr. ago")],
)
def test_two_hours_ago_in_four_languages(locale, expected):
    assert reading.relative_time(NOW - timedelta(hours=2), NOW, locale, ZONE_UTC) == expected


@pytest.mark.parametrize(
    "locale, expected",
    [("fr", "il y a 5\xa0min"), ("es", "hace 5 min"), ("de", "vor 5 Min."), ("en", "5 min. ago")],
)
def test_minutes_ago_in_four_languages(locale, expected):
    assert reading.relative_time(NOW - timedelta(minutes=5), NOW, locale, ZONE_UTC) == expected


def test_older_than_a_week_reads_as_a_date_in_the_readers_time_zone():
    late = datetime(2026, 2, 28, 23, 30, tzinfo=UTC)  # already March 1st in Paris
    assert reading.relative_time(late, NOW, "en", ZONE_UTC) == "Feb 28, 2026"
    assert reading.relative_time(late, NOW, "en", ZONE_PARIS) == "Mar 1, 2026"
    assert reading.relative_time(late, NOW, "fr", ZONE_PARIS) == "1 mars 2026"


def test_a_clock_a_little_ahead_never_says_in_the_future():
    assert "ago" in reading.relative_time(NOW + timedelta(seconds=3), NOW, "en", ZONE_UTC)


def test_the_exact_time_is_in_the_readers_time_zone():
    assert reading.exact_time(NOW, "en", ZONE_PARIS) == "Mar 12, 2026, 2:05:00\u202fPM (Europe/Paris)"
    assert reading.exact_time(NOW, "de", ZONE_UTC) == "12.03.2026, 13:05:00 (UTC)"


def test_service_timestamps_are_read_as_utc():
    assert reading.parse_moment("2026-03-12T13:05:00+00:00") == NOW
    assert reading.parse_moment("2026-03-12T13:05:00") == NOW
    assert reading.parse_moment("not a date") is None
    assert reading.parse_moment(None) is None


ORIGINS = {"https://parvis.example"}


@pytest.mark.parametrize(
    "href, expected",
    [
        ("/posts/p-1", ("post", "p-1")),
        ("https://parvis.example/communities/c-1", ("community", "c-1")),
        ("HTTPS://parvis.example/documents/d-1/", ("document", "d-1")),
        ("/pages/g-1?revision=2", ("page", "g-1")),
        ("https://evil.example/posts/p-1", None),
        ("//parvis.example/posts/p-1", None),
        ("/posts/p-1/history", None),
        ("/people/u-1", None),
        ("/tags/x", None),
        ("javascript:alert(1)", None),
    ],
)
def test_which_links_are_to_parvis_content(href, expected):
    assert reading.content_link(href, ORIGINS) == expected


def test_linked_content_of_items_skips_mentions_tags_and_itself():
    items = [
        {
            "id": "p-1",
            "html": '<a href="/people/u">@U</a> <a href="/tags/t">#t</a> <a href="/posts/p-1">me</a>'
            '<a href="/posts/p-2">a</a><a href="https://parvis.example/posts/p-2">again</a>'
            '<a href="/documents/d-1">d</a><a href="/pages/g-1">g</a><a href="/communities/c-1">c</a>',
        },
        {"id": "p-3", "html": "<p>no link</p>"},
    ]
    found = reading.linked_content(items, ORIGINS)
    assert found == {"p-1": [("post", "p-2"), ("document", "d-1"), ("page", "g-1")]}  # at most 3

"""Times: 20 zones across both daylight-saving changes of 2027, and what each reader sees.

The oracle is the standard library's ``zoneinfo`` applied directly to the wall time the
organiser typed; the code under test parses, validates, stores in UTC, expands rules on the
organiser's wall clock and shows the result in another zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from parvis_contracts.errors import ValidationFailed
from services.agenda import times

#: twenty zones: both hemispheres, half and quarter hours, zones with no change at all
ZONES = (
    "Europe/Paris",
    "Europe/London",
    "Europe/Madrid",
    "Europe/Berlin",
    "Europe/Lisbon",
    "Europe/Helsinki",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/St_Johns",
    "America/Sao_Paulo",
    "America/Santiago",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Pacific/Auckland",
)
#: zones whose clocks change in 2027
CHANGING = {
    "Europe/Paris",
    "Europe/London",
    "Europe/Madrid",
    "Europe/Berlin",
    "Europe/Lisbon",
    "Europe/Helsinki",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/St_Johns",
    "America/Santiago",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Pacific/Auckland",
}


def change_days(zone_name: str, year: int = 2027) -> list[date]:
    """The days of ``year`` on which the zone's offset changes (found by the oracle)."""
    zone = ZoneInfo(zone_name)
    days, day = [], date(year, 1, 1)
    previous = datetime.combine(day, time(0), tzinfo=zone).utcoffset()
    while day.year == year:
        day += timedelta(days=1)
        offset = datetime.combine(day, time(0), tzinfo=zone).utcoffset()
        if offset != previous:
            days.append(day - timedelta(days=1))  # the change happened during the day before
        previous = offset
    return days


def oracle(wall: datetime, zone: str) -> datetime:
    return wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def test_the_zones_change_as_the_oracle_says():
    for zone in ZONES:
        assert len(change_days(zone)) == (2 if zone in CHANGING else 0), zone


@pytest.mark.parametrize("zone", ZONES)
def test_an_event_on_each_change_day_is_stored_in_utc_and_shown_in_every_zone(zone):
    days = change_days(zone) or [date(2027, 3, 28), date(2027, 10, 31)]
    for day in days:
        for hour in (10, 23):
            wall = datetime.combine(day, time(hour, 0))
            timing = times.timing(zone, wall.isoformat(), (wall + timedelta(hours=1)).isoformat(), False)
            assert times.as_utc(timing.start) == oracle(wall, zone), (zone, day, hour)
            for reader in ZONES:
                shown = times.shown_in(timing.start, reader)
                expected = oracle(wall, zone).astimezone(ZoneInfo(reader))
                assert shown["local"] == expected.replace(tzinfo=None).isoformat(timespec="seconds")
                assert shown["time_zone"] == reader
                assert shown["abbreviation"] == expected.tzname()


@pytest.mark.parametrize("zone", sorted(CHANGING))
def test_a_daily_rule_keeps_the_wall_time_across_both_changes(zone):
    for day in change_days(zone):
        start = datetime.combine(day - timedelta(days=2), time(10, 0))
        timing = times.timing(zone, start.isoformat(), (start + timedelta(hours=2)).isoformat(), False)
        rule = times.parse_rule("FREQ=DAILY;COUNT=5")
        dates = times.expand(timing, rule, [])
        assert len(dates) == 5
        for i, (begins, ends) in enumerate(dates):
            wall = start + timedelta(days=i)
            assert begins == oracle(wall, zone), (zone, i)
            assert ends == oracle(wall + timedelta(hours=2), zone)
            assert begins.astimezone(ZoneInfo(zone)).time() == time(10, 0)
        offsets = {b.astimezone(ZoneInfo(zone)).utcoffset() for b, _ in dates}
        assert len(offsets) == 2, (zone, day)  # the change is crossed, the wall time kept


@pytest.mark.parametrize("zone", sorted(CHANGING - {"America/Santiago"}))
def test_a_time_the_clocks_skip_is_refused(zone):
    """The spring change skips an hour (Santiago skips midnight: a day start, not a time typed)."""
    for day in change_days(zone):
        gap = None
        for minutes in range(0, 24 * 60, 30):
            wall = datetime.combine(day, time(0)) + timedelta(minutes=minutes)
            aware = wall.replace(tzinfo=ZoneInfo(zone))
            if aware.astimezone(UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None) != wall:
                gap = wall
                break
        if gap is None:
            continue  # the autumn change: an hour repeats, none is skipped
        with pytest.raises(ValidationFailed) as refused:
            times.timing(zone, gap.isoformat(), (gap + timedelta(hours=3)).isoformat(), False)
        assert "start" in refused.value.details


def test_paris_10_00_is_09_00_in_london_and_17_00_in_singapore_then_16_00_after_the_change():
    timing = times.timing("Europe/Paris", "2027-03-18T10:00", "2027-03-18T12:00", False)
    dates = times.expand(timing, times.parse_rule("FREQ=WEEKLY;COUNT=3"), [])
    london = [times.shown_in(b, "Europe/London")["local"][11:16] for b, _ in dates]
    singapore = [times.shown_in(b, "Asia/Singapore")["local"][11:16] for b, _ in dates]
    new_york = [times.shown_in(b, "America/New_York")["local"][11:16] for b, _ in dates]
    assert london == ["09:00", "09:00", "09:00"]
    assert singapore == ["17:00", "17:00", "16:00"]  # Paris moved to summer time on the 28th
    assert new_york == ["05:00", "05:00", "04:00"]  # New York had moved on the 14th
    assert [times.shown_in(b, "Europe/London")["abbreviation"] for b, _ in dates] == ["GMT", "GMT", "BST"]


def test_an_all_day_event_is_its_dates_in_its_zone():
    timing = times.timing("Pacific/Auckland", "2027-04-04", "2027-04-05", True)
    # the day Auckland leaves summer time lasts 25 hours: the end is the next midnight there
    assert timing.start == datetime(2027, 4, 4, tzinfo=ZoneInfo("Pacific/Auckland"))
    assert timing.end == datetime(2027, 4, 6, tzinfo=ZoneInfo("Pacific/Auckland"))
    assert times.as_utc(timing.end) - times.as_utc(timing.start) == timedelta(hours=49)


@pytest.mark.parametrize(
    ("start", "end", "zone", "field"),
    [
        ("2027-03-01T10:00", "2027-03-01T09:00", "Europe/Paris", "end"),
        ("2027-03-01T10:00", "2027-03-01T10:00", "Europe/Paris", "end"),
        ("2027-03-01T10:00", "2027-05-01T10:00", "Europe/Paris", "end"),
        ("2027-03-01T10:00", "2027-03-01T11:00", "Mars/Olympus_Mons", "time_zone"),
        ("yesterday", "2027-03-01T11:00", "Europe/Paris", "start"),
        ("2027-03-01", "2027-03-01T11:00", "Europe/Paris", "start"),
    ],
)
def test_bad_times_are_refused_naming_the_field(start, end, zone, field):
    with pytest.raises(ValidationFailed) as refused:
        times.timing(zone, start, end, False)
    assert field in refused.value.details

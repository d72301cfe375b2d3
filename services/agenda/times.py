"""Time in the agenda: wall times in IANA zones, UTC in the database, recurrence rules.

An organiser gives local wall times ("10:00") in their zone ("Europe/Paris"); the event is
stored as UTC plus the zone's name, and every reader sees it in their own zone with the
zone named. A recurring event repeats at the same *wall* time in the organiser's zone
(10:00 in Paris all year, so 09:00 in London but 08:00 UTC in summer and 09:00 in
winter): its rule is expanded in that zone by ``dateutil.rrule`` and each date converted
to UTC.

Recurrence rules are the RFC 5545 subset whose expansion is bounded and never empty
(:func:`parse_rule`): ``dateutil`` looks for a date that no calendar has (February 30th)
until the year 9999, several seconds of CPU; a rule of that subset always has its next
date within years, and at most ``limits.EVENT_OCCURRENCES_MAX`` dates are taken within
``limits.EVENT_EXPANSION_DAYS`` of its start (more: refused, never cut silently).

Nothing here touches the database or the bus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from parvis_contracts import limits
from parvis_contracts.errors import ValidationFailed
from parvis_contracts.schemas import TIME_ZONES

#: the frequencies accepted (below a day, a rule explodes: HOURLY is 8,760 dates a year)
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: the parts of a rule this subset knows (BYHOUR, BYWEEKNO, BYYEARDAY... are refused)
PARTS = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST")
INTERVAL_MAX = 99
#: the fewest days each month has (the days of a month every visited month has)
MONTH_DAYS_MIN = {1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL = re.compile(r"^(\d{8})(T(\d{6})Z?)?$")


def refuse(field: str, message: str):
    raise ValidationFailed("The request is not valid.", {field: [message]})


def zone_of(name: str | None) -> ZoneInfo:
    """The zone of an IANA name (UTC when none); an unknown name is a 422."""
    if not name:
        return ZoneInfo("UTC")
    if name not in TIME_ZONES:
        refuse("time_zone", "Not a known time zone: use an IANA name such as Europe/Paris.")
    return ZoneInfo(name)


# --- one moment -----------------------------------------------------------------------------


def parse_wall(value: str, field: str, all_day: bool) -> datetime | date:
    """``"2027-03-25T10:00"`` (a wall time: no offset) or, for an all-day event,
    ``"2027-03-25"``; a time with an offset is taken as that instant."""
    text = (value or "").strip()
    try:
        if all_day:
            return date.fromisoformat(text[:10]) if len(text) >= 10 else date.fromisoformat(text)
        if len(text) <= 10:
            refuse(field, "Give a date and a time, such as 2027-03-25T10:00.")
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        refuse(field, "Not a date and time (such as 2027-03-25T10:00).")


def localise(wall: datetime, zone: ZoneInfo, field: str) -> datetime:
    """A wall time in ``zone`` as an aware datetime; a time the zone skips (the hour lost
    when clocks go forward) is refused; an hour it repeats is its first (``fold=0``)."""
    if wall.tzinfo is not None:
        return wall.astimezone(zone)
    aware = wall.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        refuse(field, f"This time does not exist in {zone.key}: the clocks skip it (daylight saving).")
    return aware


def lenient(wall: datetime, zone: ZoneInfo) -> datetime:
    """A wall time of a recurring event in ``zone``: one the zone skips that day is moved
    forward by the gap (RFC 5545's reading: 02:30 on the spring change is 03:30)."""
    return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """Midnight at the start of ``day`` in ``zone`` (the first instant of the day, should a
    zone skip midnight)."""
    aware = datetime.combine(day, time(0), tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != aware.replace(tzinfo=None):
        aware = (aware.astimezone(UTC) + timedelta(hours=1)).astimezone(zone).replace(minute=0)
    return aware


def as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def wall_text(value: datetime | date) -> str:
    """A wall time as the API writes it: ``2027-03-25T10:00:00`` or ``2027-03-25``."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="seconds")
    return value.isoformat()


def shown_in(moment: datetime, zone_name: str | None) -> dict:
    """``moment`` (aware) as a reader in ``zone_name`` sees it, with the zone named."""
    zone = zone_of(zone_name)
    local = moment.astimezone(zone)
    offset = local.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return {
        "time_zone": zone.key,
        "local": wall_text(local),
        "abbreviation": local.tzname() or zone.key,
        "offset": f"{sign}{minutes // 60:02d}:{minutes % 60:02d}",
    }


# --- an event's timing ----------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """When an event takes place, as given and as stored."""

    zone: ZoneInfo
    all_day: bool
    #: the first occurrence, aware in ``zone``
    start: datetime
    end: datetime

    @property
    def wall_duration(self) -> timedelta:
        """The length on the wall clock (a recurring event keeps it at every date)."""
        return self.end.replace(tzinfo=None) - self.start.replace(tzinfo=None)

    def end_of(self, start: datetime) -> datetime:
        """The end of the occurrence starting at ``start`` (aware, in ``zone``)."""
        if self.all_day:
            days = (self.end.date() - self.start.date()).days
            return day_start(start.date() + timedelta(days=days), self.zone)
        return lenient(start.replace(tzinfo=None) + self.wall_duration, self.zone)


def timing(time_zone: str, start: str, end: str, all_day: bool) -> Timing:
    """The timing of an event from what the organiser typed; 422 for an end before the
    start, an unknown zone, a time the zone skips, an event longer than
    ``limits.EVENT_DURATION_MAX_DAYS``."""
    zone = zone_of(time_zone)
    first = parse_wall(start, "start", all_day)
    last = parse_wall(end, "end", all_day)
    if all_day:
        # the end is the last day (inclusive) as typed; stored as the next midnight
        if last < first:
            refuse("end", "The end comes before the start.")
        begins, ends = day_start(first, zone), day_start(last + timedelta(days=1), zone)
    else:
        begins, ends = localise(first, zone, "start"), localise(last, zone, "end")
        if ends <= begins:
            refuse("end", "The end must come after the start.")
    if ends - begins > timedelta(days=limits.EVENT_DURATION_MAX_DAYS):
        refuse("end", f"An event lasts at most {limits.EVENT_DURATION_MAX_DAYS} days.")
    return Timing(zone=zone, all_day=all_day, start=begins, end=ends)


def stored_timing(time_zone: str, starts_at: datetime, ends_at: datetime, all_day: bool) -> Timing:
    """The timing of a stored event."""
    zone = ZoneInfo(time_zone)
    return Timing(zone=zone, all_day=all_day, start=starts_at.astimezone(zone), end=ends_at.astimezone(zone))


# --- recurrence -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    text: str
    parts: dict


def _int(value: str, low: int, high: int, field: str, what: str) -> int:
    try:
        number = int(value)
    except ValueError:
        refuse(field, f"{what} must be a whole number.")
    if not low <= abs(number) <= high or number == 0:
        refuse(field, f"{what} must be between {low} and {high}.")
    return number


def _numbers(value: str, low: int, high: int, what: str, signed: bool = True) -> list[int]:
    found = []
    for item in value.split(","):
        number = _int(item, low, high, "recurrence", what)
        if number < 0 and not signed:
            refuse("recurrence", f"{what} must be between {low} and {high}.")
        found.append(number)
    return found


def parse_rule(text: str | None) -> Rule | None:
    """An RRULE of the accepted subset, normalised (parts in a fixed order, upper case), or
    None for none; a 422 naming ``recurrence`` for anything else.

    The subset: DAILY, WEEKLY, MONTHLY or YEARLY, every 1 to 99 periods, ending by COUNT
    (at most ``EVENT_OCCURRENCES_MAX``), by UNTIL or not at all (then expanded over the
    expansion window); and only BY-parts that every period it visits has (a weekday, a
    day of the month that every visited month has, a month...), so the next date is never
    further than the rule's period (a BYMONTHDAY of 29 to 31 only monthly, every month)."""
    if text is None or not str(text).strip():
        return None
    raw = str(text).strip().upper().removeprefix("RRULE:")
    parts: dict[str, str] = {}
    for piece in raw.split(";"):
        name, sep, value = piece.partition("=")
        if not sep or not value:
            refuse("recurrence", "Write the rule as NAME=VALUE parts separated by ';' (RFC 5545 RRULE).")
        if name not in PARTS:
            refuse("recurrence", f"{name} is not supported in a recurrence rule here.")
        if name in parts:
            refuse("recurrence", f"{name} is given twice.")
        parts[name] = value
    freq = parts.get("FREQ")
    if freq not in FREQUENCIES:
        refuse("recurrence", "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY.")
    interval = _int(parts.get("INTERVAL", "1"), 1, INTERVAL_MAX, "recurrence", "INTERVAL")
    if interval < 0:
        refuse("recurrence", f"INTERVAL must be between 1 and {INTERVAL_MAX}.")
    if "COUNT" in parts and "UNTIL" in parts:
        refuse("recurrence", "Give COUNT or UNTIL, not both.")
    if "COUNT" in parts:
        count = _int(parts["COUNT"], 1, 10**9, "recurrence", "COUNT")
        if count < 0:
            refuse("recurrence", "COUNT must be a positive number.")
        if count > limits.EVENT_OCCURRENCES_MAX:
            refuse(
                "recurrence",
                f"This rule repeats {count} times: an event repeats at most "
                f"{limits.EVENT_OCCURRENCES_MAX} times.",
            )
    if "UNTIL" in parts and not _UNTIL.match(parts["UNTIL"]):
        refuse("recurrence", "UNTIL must be a date (20271231) or a UTC time (20271231T235959Z).")
    if "WKST" in parts and parts["WKST"] not in WEEKDAYS:
        refuse("recurrence", "WKST must be a weekday (MO...SU).")
    months = _numbers(parts["BYMONTH"], 1, 12, "BYMONTH", signed=False) if "BYMONTH" in parts else []
    days = _byday(parts.get("BYDAY"), freq, bool(months))
    monthdays = _numbers(parts["BYMONTHDAY"], 1, 31, "BYMONTHDAY") if "BYMONTHDAY" in parts else []
    setpos = _numbers(parts["BYSETPOS"], 1, 366, "BYSETPOS") if "BYSETPOS" in parts else []
    _check_combination(freq, interval, months, days, monthdays, setpos)
    order = [name for name in PARTS if name in parts]
    normal = ";".join(f"{name}={parts[name]}" for name in order)
    if len(normal) > limits.EVENT_RRULE_MAX:
        refuse("recurrence", f"A recurrence rule has at most {limits.EVENT_RRULE_MAX} characters.")
    return Rule(text=normal, parts=parts)


def _byday(value: str | None, freq: str, with_months: bool) -> list[tuple[int | None, str]]:
    if not value:
        return []
    found = []
    for item in value.split(","):
        match = _BYDAY.match(item)
        if not match:
            refuse("recurrence", f"BYDAY {item} is not a weekday (MO, 1MO, -1FR...).")
        ordinal = int(match.group(1)) if match.group(1) else None
        if ordinal is not None:
            # the Nth weekday every visited period has: 1st to 4th and last to 4th-last of a
            # month; of a year without BYMONTH, the 1st to 52nd
            most = 52 if freq == "YEARLY" and not with_months else 4
            if freq in ("DAILY", "WEEKLY"):
                refuse("recurrence", "A weekday with a number (1MO) needs FREQ=MONTHLY or YEARLY.")
            if ordinal == 0 or abs(ordinal) > most:
                refuse(
                    "recurrence", f"BYDAY {item}: the number must be between 1 and {most} (or -1 to -{most})."
                )
        found.append((ordinal, match.group(2)))
    return found


def _check_combination(freq, interval, months, days, monthdays, setpos) -> None:
    """Refuse what could leave the rule without a date for ever (see :func:`parse_rule`)."""
    if freq == "DAILY" and interval > 1 and (days or months or monthdays):
        refuse("recurrence", "With INTERVAL above 1, a daily rule takes no BY-part.")
    if freq in ("DAILY", "WEEKLY") and (monthdays or setpos):
        refuse("recurrence", "BYMONTHDAY and BYSETPOS need FREQ=MONTHLY or YEARLY.")
    if freq == "WEEKLY" and months:
        refuse("recurrence", "BYMONTH needs FREQ=DAILY, MONTHLY or YEARLY.")
    if freq == "MONTHLY" and months:
        refuse("recurrence", "A monthly rule takes no BYMONTH: use FREQ=YEARLY with BYMONTH.")
    if monthdays and days:
        refuse("recurrence", "Give BYMONTHDAY or BYDAY, not both.")
    if monthdays:
        if freq == "MONTHLY":
            fewest = 31 if interval == 1 else 28
        else:  # yearly: the days every chosen month has (February 29th is refused)
            fewest = min(MONTH_DAYS_MIN[m] for m in months) if months else 28
        for day in monthdays:
            if abs(day) > fewest:
                refuse(
                    "recurrence",
                    f"BYMONTHDAY {day}: not every month this rule visits has that day "
                    f"(use -1 for the last day).",
                )
    if setpos:
        if freq == "YEARLY" or not days or any(ordinal is not None for ordinal, _ in days):
            refuse("recurrence", "BYSETPOS is only for a monthly rule with plain weekdays (BYDAY=MO,TU).")
        fewest = 4 * len({day for _, day in days})
        if any(abs(pos) > fewest for pos in setpos):
            refuse("recurrence", f"BYSETPOS must be between 1 and {fewest} (or -1 to -{fewest}) here.")


def until_of(rule: Rule, zone: ZoneInfo) -> datetime | None:
    value = rule.parts.get("UNTIL")
    if not value:
        return None
    match = _UNTIL.match(value)
    day = datetime.strptime(match.group(1), "%Y%m%d")
    if match.group(3):
        moment = day.replace(
            hour=int(match.group(3)[:2]), minute=int(match.group(3)[2:4]), second=int(match.group(3)[4:])
        )
        return moment.replace(tzinfo=UTC) if value.endswith("Z") else moment.replace(tzinfo=zone)
    # a date: the whole of that day, in the event's zone
    return datetime.combine(day.date(), time(23, 59, 59), tzinfo=zone)


def expand(timing_: Timing, rule: Rule | None, exceptions: list[str]) -> list[tuple[datetime, datetime]]:
    """The occurrences of an event as (start, end) in UTC, first to last, within the window;
    refused (422) when the rule yields none, or more than ``EVENT_OCCURRENCES_MAX``, or an
    exception that is not one of its dates."""
    start = timing_.start
    if rule is None:
        if exceptions:
            refuse("exceptions", "Exceptions need a recurrence rule.")
        return [(as_utc(start), as_utc(timing_.end))]
    months = [int(m) for m in rule.parts["BYMONTH"].split(",")] if "BYMONTH" in rule.parts else []
    plain_yearly = rule.parts["FREQ"] == "YEARLY" and not ({"BYDAY", "BYMONTHDAY"} & set(rule.parts))
    # a yearly rule by month alone takes the start's day in each: every month must have it
    if plain_yearly and months and start.day > min(MONTH_DAYS_MIN[m] for m in months):
        refuse("recurrence", f"Not every month of BYMONTH has a day {start.day}: add BYMONTHDAY.")
    window_end = start + timedelta(days=limits.EVENT_EXPANSION_DAYS)
    until = until_of(rule, timing_.zone)
    if until is not None and until < start:
        refuse("recurrence", "UNTIL comes before the event's start.")
    text = ";".join(f"{k}={v}" for k, v in rule.parts.items() if k != "UNTIL")
    dtstart = start.replace(tzinfo=None)  # expanded on the wall clock, localised after
    bound = min(window_end, until) if until is not None else window_end
    expanded = rrulestr(f"RRULE:{text}", dtstart=dtstart)
    walls = []
    for wall in expanded.xafter(dtstart, count=limits.EVENT_OCCURRENCES_MAX + 1, inc=True):
        moment = _wall_in(wall, timing_)
        if moment > bound:
            break
        walls.append(moment)
    if len(walls) > limits.EVENT_OCCURRENCES_MAX:
        refuse(
            "recurrence",
            f"This rule gives more than {limits.EVENT_OCCURRENCES_MAX} dates within "
            f"{limits.EVENT_EXPANSION_DAYS} days: choose a longer interval or an end.",
        )
    if not walls or walls[0] != start:
        refuse(
            "recurrence", "The event's start must be the first date of its rule (adjust BYDAY or the start)."
        )
    skipped = set(exceptions)
    known = {wall_text(_wall_key(moment, timing_)) for moment in walls}
    for exception in skipped:
        if exception not in known:
            refuse("exceptions", f"{exception} is not one of this event's dates.")
    kept = [m for m in walls if wall_text(_wall_key(m, timing_)) not in skipped]
    if not kept:
        refuse("recurrence", "This rule gives no date (after its exceptions).")
    return [(as_utc(m), as_utc(timing_.end_of(m))) for m in kept]


def _wall_in(wall: datetime, timing_: Timing) -> datetime:
    """A date of the rule (a wall time) in the event's zone."""
    if timing_.all_day:
        return day_start(wall.date(), timing_.zone)
    return lenient(wall, timing_.zone)


def _wall_key(moment: datetime, timing_: Timing):
    return moment.date() if timing_.all_day else moment


def normal_exceptions(values: list[str] | None, timing_: Timing) -> list[str]:
    """Exceptions as typed (wall times in the event's zone, or dates for an all-day event),
    written the one way :func:`expand` compares them; duplicates merged, order kept."""
    found: list[str] = []
    for value in values or []:
        parsed = parse_wall(value, "exceptions", timing_.all_day)
        if isinstance(parsed, datetime) and parsed.tzinfo is not None:
            parsed = parsed.astimezone(timing_.zone)
        text = wall_text(parsed)
        if text not in found:
            found.append(text)
    if len(found) > limits.EVENT_EXCEPTIONS_MAX:
        refuse("exceptions", f"At most {limits.EVENT_EXCEPTIONS_MAX} exceptions.")
    return found


def month_bounds(month: str, zone_name: str | None) -> tuple[datetime, datetime]:
    """``"2027-03"`` -> the first instant of that month and of the next, in the reader's zone."""
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        refuse("month", "A month is written YYYY-MM.")
    zone = zone_of(zone_name)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return as_utc(day_start(first, zone)), as_utc(day_start(following, zone))

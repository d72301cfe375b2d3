"""Throttling: a limit of attempts in a sliding window, and the 429 that says when to retry."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from parvis_contracts.errors import TooManyRequests


def refuse_beyond(times: list[datetime], limit: int, window: timedelta, now: datetime, what: str) -> None:
    """``TooManyRequests`` once ``limit`` attempts (``times``, oldest first, all within
    ``window`` of ``now``) were made; ``retry_after`` is when enough of them leave the window."""
    if len(times) < limit:
        return
    frees_at = times[len(times) - limit] + window
    retry_after = max(1, math.ceil((frees_at - now).total_seconds()))
    minutes = math.ceil(retry_after / 60)
    raise TooManyRequests(
        f"Too many {what}. Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
        {"retry_after": retry_after},
    )

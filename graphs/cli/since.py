"""`--since`: when a window starts, as a date, a date and time, or a duration back from now."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from graphs.cli.errors import BadInput

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
SINCE_HELP = (
    "The window's start: a date (YYYY-MM-DD), an ISO date and time (UTC unless it says), or a "
    "duration back from now (30m, 12h, 7d, 2w)."
)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """A `--since` value as an aware datetime: an ISO date or date and time (UTC unless it names
    its offset), or a duration back from `now` such as `7d`. BadInput saying what is accepted."""
    value = text.strip()
    now = now or datetime.now(UTC)
    try:
        match = _DURATION.fullmatch(value.lower())
        if match:
            return now - timedelta(**{_UNITS[match[2]]: float(match[1])})
        start = datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        raise BadInput(
            f"--since {text!r} is neither a date (YYYY-MM-DD, or an ISO date and time) nor a "
            "duration back from now (30m, 12h, 7d, 2w)"
        ) from None
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    try:
        return start.astimezone(UTC)
    except OverflowError:  # 0001-01-01 east of UTC: before the first representable moment
        raise BadInput(
            f"--since {text!r} is before the earliest date that can be compared"
        ) from None

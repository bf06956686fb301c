"""`--since` of `baton owners` and `baton incidents`: a date, a date and time, or a duration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from graphs.cli.errors import BadInput
from graphs.cli.since import parse_since

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "start"),
    [
        ("7d", NOW - timedelta(days=7)),
        ("12h", NOW - timedelta(hours=12)),
        ("30m", NOW - timedelta(minutes=30)),
        ("2w", NOW - timedelta(weeks=2)),
        ("1.5d", NOW - timedelta(hours=36)),
        ("2026-01-01", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026-01-01T10:00", datetime(2026, 1, 1, 10, tzinfo=UTC)),
        ("2026-01-01T10:00+02:00", datetime(2026, 1, 1, 10, tzinfo=timezone(timedelta(hours=2)))),
    ],
)
def test_since_reads_dates_and_durations(given: str, start: datetime) -> None:
    assert parse_since(given, NOW) == start


@pytest.mark.parametrize("given", ["notadate", "7", "d7", "-7d", "2026-13-01", "1e999d", ""])
def test_anything_else_is_refused_saying_what_is_accepted(given: str) -> None:
    with pytest.raises(BadInput, match=r"neither a date .* nor a duration"):
        parse_since(given, NOW)

"""Contracts of the late-delivery investigation: the question (two windows and the shipments),
the peers' view of it, the finding the arbiter settles on, and the decision recorded."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from schemas.blackboard import Post, PostId, Settlement
from schemas.decision import DecisionRecord

DIMENSIONS = ("supplier", "carrier", "mode", "origin_country", "destination")
"""The shipment columns a cause can be a value of."""
FindingDimension = Literal[
    "supplier", "carrier", "mode", "origin_country", "destination", "data_quality", "none"
]
DATA_QUALITY_ISSUES = ("impossible_dates", "duplicates", "missing_dates")
"""What the data-quality peer looks for: a date before 2000, after the period's end plus a year,
or a promised or delivered date before the ship date; a shipment id seen before; a missing
promised or delivered date."""
COLUMNS = (
    "shipment_id",
    "supplier",
    "carrier",
    "mode",
    "origin_country",
    "destination",
    "ship_date",
    "promised_date",
    "delivered_date",
)
"""The columns a shipments file must have (more are ignored)."""
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _date_or_none(value: Any) -> Any:
    """An ISO date (`YYYY-MM-DD`, or an ISO timestamp's date), a date, or None for an empty cell.
    Anything else is refused: 05/04/2026 could be May or April."""
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _ISO_DATE.match(text):
            try:
                return date.fromisoformat(text[:10])
            except ValueError as error:
                raise ValueError(f"{text!r} is not a date: {error}") from None
        raise ValueError(f"{text!r} is not a date (write it as YYYY-MM-DD)")
    raise ValueError(f"{value!r} is not a date (write it as YYYY-MM-DD)")


def _required_date(value: Any) -> Any:
    parsed = _date_or_none(value)
    if parsed is None:
        raise ValueError("a date is required (YYYY-MM-DD)")
    return parsed


OptionalDate = Annotated[date | None, BeforeValidator(_date_or_none)]
RequiredDate = Annotated[date, BeforeValidator(_required_date)]
Label = Annotated[str, Field(min_length=1, max_length=120)]


class Shipment(BaseModel):
    """One shipment. It is late when `delivered_date > promised_date`; a missing or impossible
    date is the data-quality peer's business, not a reason to refuse the file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    shipment_id: Label
    supplier: Label
    carrier: Label
    mode: Label
    origin_country: Label
    destination: Label
    ship_date: OptionalDate = None
    promised_date: OptionalDate = None
    delivered_date: OptionalDate = None
    """None when the shipment has not been delivered (or the date was not recorded)."""


class Window(BaseModel):
    """A span of ship dates, both ends included."""

    model_config = ConfigDict(extra="forbid")

    start: RequiredDate
    end: RequiredDate

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"it ends ({self.end}) before it starts ({self.start})")
        return self

    def holds(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end


class LateDeliveryQuestion(BaseModel):
    """The question: why did late deliveries rise in `period` against `baseline`? A shipment
    belongs to the window its ship date falls in. Each window needs shipments; the windows may
    not overlap."""

    model_config = ConfigDict(extra="forbid")

    investigation_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    baseline: Window
    period: Window
    shipments: list[Shipment] = Field(min_length=1, max_length=500_000)
    """The rows (the command line and Python read a CSV path given here into rows)."""

    @field_validator("shipments", mode="before")
    @classmethod
    def _rows_not_a_path(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError(
                "give the rows inline (a list of shipments): a CSV path is read by the command "
                "line and by Python (relative to the input file), not by a server"
            )
        return value

    @field_validator("period")
    @classmethod
    def _apart_from_the_baseline(cls, period: Window, info: ValidationInfo) -> Window:
        baseline = info.data.get("baseline")
        if baseline is not None and baseline.start <= period.end and period.start <= baseline.end:
            raise ValueError(
                f"the period ({period.start} to {period.end}) overlaps the baseline "
                f"({baseline.start} to {baseline.end}): a shipment would count twice"
            )
        return period

    @field_validator("shipments")
    @classmethod
    def _in_both_windows(cls, shipments: list[Shipment], info: ValidationInfo) -> list[Shipment]:
        for name in ("baseline", "period"):
            window = info.data.get(name)
            if window is None:
                continue
            inside = [s for s in shipments if window.holds(s.ship_date)]
            if not inside:
                raise ValueError(
                    f"no shipment's ship_date falls in the {name} ({window.start} to "
                    f"{window.end}): there is nothing to compare"
                )
            if not any(s.promised_date and s.delivered_date for s in inside):
                raise ValueError(
                    f"no shipment of the {name} ({window.start} to {window.end}) has both a "
                    "promised_date and a delivered_date: its late rate is unknown"
                )
        return shipments


class InvestigationView(LateDeliveryQuestion):
    """What a peer sees: the question and the board."""

    board: list[Post] = Field(default_factory=list)
    mesh_round: int = Field(default=0, ge=0)


class Effect(BaseModel):
    """An estimate with its 95% confidence interval, in late-rate points (0.05 = 5 points)."""

    model_config = ConfigDict(extra="forbid")

    measure: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float | None = None


class Finding(Settlement):
    """The answer: the cause (`dimension` = `value`), or `none` when the rise is broad; the
    rise in the overall late rate it explains and the change in its own late rate, each with a
    confidence interval; the posts that support it and the challenges it survived."""

    dimension: FindingDimension
    value: str | None = None
    effect: Effect | None = None
    """For a cause, the rise of the overall late rate it explains; for `none`, the overall rise."""
    value_change: Effect | None = None
    """The change of the cause's own late rate (period minus baseline)."""
    supporting_posts: list[PostId] = Field(default_factory=list)
    challenges_survived: list[PostId] = Field(default_factory=list)
    backers: list[str] = Field(default_factory=list)
    """The peers who proposed or supported it."""


class ArbiterView(BaseModel):
    """What the arbiter reads: the board and how the debate ended."""

    model_config = ConfigDict(extra="forbid")

    investigation_id: str
    board: list[Post] = Field(default_factory=list)
    debate: dict[str, Any] | None = None


class InvestigationReport(DecisionRecord):
    """What was decided about an investigation: the finding as settled (or as the analyst amended
    it), how the debate went, and who decided."""

    investigation_id: str
    dimension: FindingDimension | None = None
    value: str | None = None
    effect: Effect | None = None
    finding: dict[str, Any] | None = None
    rounds: int = 0
    posts: int = 0
    ended_by: str | None = None
    ending: str | None = None

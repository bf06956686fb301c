"""The late-delivery statistics on shipments built by hand, where the right answer is known: the
rise a set explains (its rate effect, and its volume effect when it grows while later than the
rest), the stratified check that makes a confounder's effect vanish and keeps a cause's, the
data-quality flags, and the input contract and the CSV reader refusing what cannot be read, with
the field, the line and the column named."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from agents.late_delivery.shipments_file import read_shipments
from agents.late_delivery.stats import (
    Frame,
    candidates,
    cell,
    explained,
    frame_of,
    mask_of,
    overall,
    stratified,
)
from schemas.late_delivery import COLUMNS, LateDeliveryQuestion

BASELINE = {"start": "2026-01-01", "end": "2026-03-31"}
PERIOD = {"start": "2026-04-01", "end": "2026-06-30"}


def _rows(n: int, late: int, window: str, **labels: str) -> list[dict[str, Any]]:
    """`n` shipments of `labels`, `late` of them delivered after their promised date."""
    ship = date(2026, 2, 1) if window == "baseline" else date(2026, 5, 1)
    base = {
        "supplier": "S1",
        "carrier": "C1",
        "mode": "road",
        "origin_country": "CN",
        "destination": "DC1",
    } | labels
    rows = []
    for i in range(n):
        promised = ship + timedelta(days=5)
        delivered = promised + timedelta(days=3 if i < late else -1)
        rows.append(
            {
                **base,
                "shipment_id": f"{window[0]}-{'-'.join(labels.values())}-{i}",
                "ship_date": ship.isoformat(),
                "promised_date": promised.isoformat(),
                "delivered_date": delivered.isoformat(),
            }
        )
    return rows


def _question(rows: list[dict[str, Any]]) -> LateDeliveryQuestion:
    return LateDeliveryQuestion.model_validate(
        {"investigation_id": "T-1", "baseline": BASELINE, "period": PERIOD, "shipments": rows}
    )


def test_a_carrier_that_turns_late_explains_the_whole_rise_by_its_rate() -> None:
    rows = [
        *_rows(400, 40, "baseline", carrier="C1"),
        *_rows(600, 60, "baseline", carrier="C2"),
        *_rows(400, 160, "period", carrier="C1"),  # 10% -> 40% late
        *_rows(600, 60, "period", carrier="C2"),  # unchanged
    ]
    frame = frame_of(_question(rows))
    rise = overall(frame)
    assert rise.estimate == pytest.approx(0.12)  # 10% -> 22%
    c1 = explained(frame, mask_of(frame, "carrier", "C1"))
    assert c1.explained.estimate == pytest.approx(0.12)  # 0.4 x (30 - 0) points
    assert c1.own.estimate == pytest.approx(0.30) and c1.rest.estimate == pytest.approx(0.0)
    low, high = c1.explained.ci
    assert low < 0.12 < high and c1.explained.p_value < 1e-6
    assert explained(frame, mask_of(frame, "carrier", "C2")).explained.estimate < 0


def test_a_supplier_moving_to_a_slow_carrier_is_a_volume_effect_of_the_carrier() -> None:
    # C2 is late 40% of the time in both windows, C1 10%. S1 moves from C1 to C2.
    rows = [
        *_rows(300, 30, "baseline", supplier="S1", carrier="C1"),
        *_rows(100, 40, "baseline", supplier="S1", carrier="C2"),
        *_rows(500, 50, "baseline", supplier="S2", carrier="C1"),
        *_rows(100, 40, "baseline", supplier="S2", carrier="C2"),
        *_rows(100, 10, "period", supplier="S1", carrier="C1"),
        *_rows(300, 120, "period", supplier="S1", carrier="C2"),
        *_rows(500, 50, "period", supplier="S2", carrier="C1"),
        *_rows(100, 40, "period", supplier="S2", carrier="C2"),
    ]
    frame = frame_of(_question(rows))
    supplier, carrier = mask_of(frame, "supplier", "S1"), mask_of(frame, "carrier", "C2")
    rise = overall(frame).estimate
    slow = explained(frame, carrier)
    assert slow.own.estimate == pytest.approx(0.0)  # C2's own late rate did not change
    assert slow.explained.estimate == pytest.approx(rise)  # its volume explains the whole rise
    assert slow.share_b == pytest.approx(0.2) and slow.share_p == pytest.approx(0.4)
    # S1's late rate rose, and unstratified it explains the rise too...
    assert explained(frame, supplier).explained.estimate == pytest.approx(rise)
    # ...but within each carrier S1 is exactly as late as before: the carrier explains it.
    within = stratified(frame, supplier, "carrier", min_rows=30)
    assert within.within.estimate == pytest.approx(0.0, abs=1e-9) and within.coverage == 1.0
    kept = stratified(frame, carrier, "supplier", min_rows=30)
    assert kept.ratio == pytest.approx(1.0)  # C2's effect holds within each supplier


def test_impossible_dates_and_duplicates_are_flagged_and_late_only_when_known() -> None:
    rows = _rows(40, 4, "baseline") + _rows(40, 4, "period")
    rows[0] = {**rows[0], "delivered_date": "2099-12-31"}  # a placeholder: impossible
    rows[1] = {**rows[1], "delivered_date": None}  # not delivered: lateness unknown
    rows.append(dict(rows[-1]))  # the same shipment twice
    frame = frame_of(_question(rows))
    issues = list(frame.columns["data_quality"])
    assert issues[0] == "impossible_dates" and issues[1] == "missing_dates"
    assert issues[-1] == "duplicates" and issues.count("clean") == 78
    assert not frame.known[1] and frame.late[0]
    assert cell(frame, frame.known).nb == 39


def test_the_question_refuses_windows_and_dates_that_cannot_be_compared() -> None:
    rows = _rows(5, 1, "baseline") + _rows(5, 1, "period")

    def refused(**change: Any) -> str:
        given = {"investigation_id": "T-1", "baseline": BASELINE, "period": PERIOD}
        with pytest.raises(ValidationError) as error:
            LateDeliveryQuestion.model_validate({**given, "shipments": rows, **change})
        first = error.value.errors()[0]
        return ".".join(map(str, first["loc"])) + ": " + first["msg"]

    assert refused(period={"start": "2026-06-30", "end": "2026-04-01"}) == (
        "period: Value error, it ends (2026-04-01) before it starts (2026-06-30)"
    )
    assert refused(period={"start": "2026-03-01", "end": "2026-06-30"}).startswith(
        "period: Value error, the period (2026-03-01 to 2026-06-30) overlaps the baseline"
    )
    assert refused(shipments=rows[5:]) == (
        "shipments: Value error, no shipment's ship_date falls in the baseline (2026-01-01 to "
        "2026-03-31): there is nothing to compare"
    )
    bad = [{**rows[0], "ship_date": "04/05/2026"}, *rows[1:]]
    assert refused(shipments=bad) == (
        "shipments.0.ship_date: Value error, '04/05/2026' is not a date (write it as YYYY-MM-DD)"
    )
    assert refused(shipments="shipments.csv").startswith(
        "shipments: Value error, give the rows inline"
    )
    assert refused(shipments=[]).startswith("shipments: List should have at least 1 item")


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shipments.csv"
    path.write_text(text, encoding="utf-8")
    return path


HEADER = ",".join(COLUMNS)
ROW = "SH-1,Acme,Northwind,ocean,CN,Lyon DC,2026-02-01,2026-03-01,2026-03-04"


def test_the_csv_reader_names_the_file_line_and_column_of_what_is_wrong(tmp_path: Path) -> None:
    def refused(text: str) -> str:
        with pytest.raises(ValueError) as error:
            read_shipments(_csv(tmp_path, text))
        return str(error.value).replace(str(tmp_path / "shipments.csv"), "F")

    assert refused("") == "shipments file 'F' is empty: it needs a header and rows"
    assert refused(HEADER + "\n") == "shipments file 'F' has a header but no shipments"
    assert refused(HEADER.replace(",delivered_date", "") + "\n" + ROW[:-11]).startswith(
        "shipments file 'F' lacks the column(s) delivered_date (its header is shipment_id"
    )
    assert refused(f"{HEADER}\n{ROW}\n{ROW.replace('2026-02-01', '2026-02-30')}") == (
        "shipments file 'F' line 3, column ship_date ('2026-02-30'): Value error, "
        "'2026-02-30' is not a date: day is out of range for month"
    )
    assert refused(f"{HEADER}\n{ROW},extra") == (
        "shipments file 'F' line 2: more values than the header's 9 columns"
    )
    with pytest.raises(ValueError, match=r"cannot read shipments file .*nowhere\.csv"):
        read_shipments(tmp_path / "nowhere.csv")


def test_the_csv_reader_takes_a_bom_extra_columns_blank_lines_and_empty_dates(
    tmp_path: Path,
) -> None:
    text = f"\ufeff{HEADER},note\n{ROW},fragile\n\n{ROW.replace('2026-03-04', '')},\n"
    rows = read_shipments(_csv(tmp_path, text))
    assert len(rows) == 2 and rows[1]["delivered_date"] is None
    assert rows[0] == {
        "shipment_id": "SH-1",
        "supplier": "Acme",
        "carrier": "Northwind",
        "mode": "ocean",
        "origin_country": "CN",
        "destination": "Lyon DC",
        "ship_date": "2026-02-01",
        "promised_date": "2026-03-01",
        "delivered_date": "2026-03-04",
    }


def test_a_window_whose_lateness_is_unknown_is_refused() -> None:
    rows = _rows(5, 1, "baseline") + [{**r, "delivered_date": None} for r in _rows(5, 1, "period")]
    with pytest.raises(ValidationError, match=r"no shipment of the period .* has both a promised"):
        _question(rows)


def test_a_value_named_like_a_data_quality_issue_can_still_be_the_cause() -> None:
    rows = [
        *_rows(300, 30, "baseline", supplier="clean"),
        *_rows(700, 70, "baseline", supplier="S2"),
        *_rows(300, 180, "period", supplier="clean"),
        *_rows(700, 70, "period", supplier="S2"),
    ]
    frame = frame_of(_question(rows))
    found = candidates(frame, "supplier", alpha=0.05, min_share=0.5, min_rows=30)
    assert found[0].value == "clean" and found[0].significant


def test_the_explained_rise_has_a_calibrated_standard_error() -> None:
    """Monte Carlo: the reported standard error matches the spread of the estimate, whether the
    set's share grows, shrinks or holds (the volume effect's share and gap terms included)."""
    rng = np.random.default_rng(16)
    for share_b, share_p in ((0.1, 0.5), (0.5, 0.1), (0.3, 0.3)):
        estimates, errors = [], []
        for _ in range(400):
            period = np.r_[np.zeros(2000, bool), np.ones(2000, bool)]
            inside = np.r_[rng.random(2000) < share_b, rng.random(2000) < share_p]
            late = rng.random(4000) < np.where(inside, 0.4, 0.1)
            column = np.where(inside, "M", "R").astype(object)
            frame = Frame(
                period=period,
                late=late,
                known=np.ones(4000, bool),
                columns={"supplier": column, "carrier": column.copy()},
                outside=0,
            )
            result = explained(frame, column == "M").explained
            estimates.append(result.estimate)
            errors.append(result.se)
        ratio = float(np.mean(errors) / np.std(estimates))
        assert 0.85 < ratio < 1.15, (share_b, share_p, ratio)

"""The underwriting reference tables shipped in `data/underwriting/` (rating, eligibility, lists)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.data_files import DataFileError, describe, load_yaml

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "underwriting"


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnderBand(_Table):
    under: float
    points: int


class AtMostBand(_Table):
    at_most: int
    points: int


class RatedClass(_Table):
    points: int
    rate: float = Field(gt=0)
    aliases: list[str] = []


class StateLoad(_Table):
    points: int
    note: str


class ScoreBand(_Table):
    band: Literal["low", "moderate", "high", "severe"]
    below: int


class BandTerms(_Table):
    multiplier: float = Field(gt=0)
    deductible: float = Field(ge=0)


class RatingTable(_Table):
    """`rating_table.yaml`, owned by Commercial Underwriting: every value typed, checked at load."""

    version: str
    construction: dict[str, int]
    building_age: list[UnderBand] = Field(min_length=1)
    sprinklered: dict[bool, int]
    loss_frequency: list[AtMostBand] = Field(min_length=1)
    loss_severity: list[UnderBand] = Field(min_length=1)
    loss_history_unknown: int
    years_in_business: list[UnderBand] = Field(min_length=1)
    classes: dict[str, RatedClass]
    states: dict[str, StateLoad]
    bands: list[ScoreBand] = Field(min_length=1)
    band_terms: dict[str, BandTerms]
    minimum_premium: float = Field(ge=0)


@cache
def rating_table() -> dict[str, Any]:
    """The rating table (`rating_table.yaml`), validated into `RatingTable` at load (DataFileError
    naming the key and line otherwise), as plain data."""
    table = load_yaml(DATA_DIR / "rating_table.yaml", RatingTable)
    return table.model_dump()


class InspectionWhen(_Table):
    building_age_at_least: int = Field(ge=0)
    limit_at_least: float = Field(gt=0)


class RequiredDocuments(_Table):
    always: list[Literal["application", "loss_run", "inspection"]]
    inspection_when: InspectionWhen


class Eligibility(_Table):
    """`eligibility.yaml`, owned by Commercial Underwriting compliance."""

    excluded_states: dict[str, list[str]]
    not_written: list[str]
    required_documents: RequiredDocuments


class SanctionsEntry(_Table):
    name: str = Field(min_length=2)
    program: str = Field(min_length=1)
    list: str


@cache
def eligibility() -> dict[str, Any]:
    """Class eligibility by state and required documents (`eligibility.yaml`), validated into
    `Eligibility` at load, as plain data."""
    return load_yaml(DATA_DIR / "eligibility.yaml", Eligibility).model_dump()


@cache
def sanctions_list() -> tuple[dict[str, str], ...]:
    """The sanctions screening list (`sanctions.csv`: name, program, list)."""
    path = DATA_DIR / "sanctions.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    entries = []
    for line, row in enumerate(rows, start=2):
        try:
            entries.append(SanctionsEntry.model_validate(row, strict=True).model_dump())
        except ValidationError as error:
            problems = "; ".join(describe(error))
            raise DataFileError(f"{path} line {line}: {problems}") from None
    return tuple(entries)


def policy_seed_rows() -> list[dict[str, str]]:
    """Rows of the policy table seed (`policies.csv`)."""
    with (DATA_DIR / "policies.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@cache
def class_aliases() -> dict[str, str]:
    """Every spelling of a business class the rating table knows, mapped to its class key."""
    aliases: dict[str, str] = {}
    for key, entry in rating_table()["classes"].items():
        aliases[_fold(key)] = key
        for alias in entry.get("aliases", []):
            aliases[_fold(alias)] = key
    return aliases


def canonical_class(raw: str) -> str:
    """The rating table's key for a business class as written on a form; unknown ones are kept
    (folded to snake_case) so that rating can refuse them by name."""
    folded = _fold(raw)
    return class_aliases().get(folded, folded.replace(" ", "_"))


def _fold(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())

"""The underwriting reference tables shipped in `data/underwriting/` (rating, eligibility, lists)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "underwriting"


@cache
def rating_table() -> dict[str, Any]:
    """The rating table (`rating_table.yaml`)."""
    return _yaml("rating_table.yaml")


@cache
def eligibility() -> dict[str, Any]:
    """Class eligibility by state and required documents (`eligibility.yaml`)."""
    return _yaml("eligibility.yaml")


@cache
def sanctions_list() -> tuple[dict[str, str], ...]:
    """The sanctions screening list (`sanctions.csv`: name, program, list)."""
    with (DATA_DIR / "sanctions.csv").open(newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


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


def _yaml(name: str) -> dict[str, Any]:
    with (DATA_DIR / name).open(encoding="utf-8") as handle:
        loaded = yaml.safe_load(handle)
    if not isinstance(loaded, dict):
        raise ValueError(f"{DATA_DIR / name}: expected a mapping at the top level")
    return loaded

"""When clause analysis lets its learned sentence model decide a category: the decisions file.

`data/contract_review/clause_model.yaml` (or the file `BATON_CONTRACT_REVIEW_CLAUSE_MODEL_FILE`
names), the legal owner's: per category, whether its presence is decided by the rules, the
model, either or both, and the model's threshold. A category not named there keeps its rules; a
file naming none needs no model at all. Editing it needs no retraining. Anything wrong in it is
refused with the file, the category and the line (`DataFileError`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agents.data_files import DataFileError, load_yaml
from schemas.contract_review import ClauseCategory

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DECISIONS_FILE = ROOT / "data" / "contract_review" / "clause_model.yaml"
DEFAULT_TRAINING_DATA = ROOT / "data" / "contract_review" / "cuad" / "clause_sentences.csv.gz"
"""Every sentence of 106 of CUAD's dev contracts, labelled (CC BY 4.0, see the LICENSE beside
it; the four shipped samples are left out)."""
_BY_NAME = {category.value: category for category in ClauseCategory}


class ClauseModelSettings(BaseSettings):
    """`BATON_CONTRACT_REVIEW_CLAUSE_MODEL_FILE` (the decisions),
    `BATON_CONTRACT_REVIEW_CLAUSE_TRAINING_DATA` (the labelled sentences the model learns from)
    and `BATON_CONTRACT_REVIEW_MODELS_DIR` (where the trained model is cached)."""

    model_config = SettingsConfigDict(env_prefix="BATON_CONTRACT_REVIEW_", extra="ignore")

    clause_model_file: Path = DEFAULT_DECISIONS_FILE
    clause_training_data: Path = DEFAULT_TRAINING_DATA
    models_dir: Path = Path(".baton/models")


class CategoryDecision(BaseModel):
    """How one category's presence is decided: `rules` alone, the `model` alone (its best
    sentence's probability at or above `threshold`), `either` of them, or `both`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    use: Literal["rules", "model", "either", "both"]
    threshold: float | None = Field(default=None, gt=0, lt=1)

    @model_validator(mode="after")
    def _threshold_only_when_the_model_counts(self) -> CategoryDecision:
        if self.use != "rules" and self.threshold is None:
            raise ValueError(f"use {self.use!r} needs a threshold (between 0 and 1)")
        if self.use == "rules" and self.threshold is not None:
            raise ValueError("use 'rules' takes no threshold (the model has no say)")
        return self

    def decide(self, by_rules: bool, probability: float | None, factor: float = 1.0) -> bool:
        """The category's presence, given the rules' answer and the model's best probability
        (the rules' answer when the category has no model), the threshold scaled by `factor`
        (a second, relaxed reading)."""
        if self.use == "rules" or self.threshold is None or probability is None:
            return by_rules
        by_model = probability >= self.threshold * factor
        if self.use == "model":
            return by_model
        return (by_rules or by_model) if self.use == "either" else (by_rules and by_model)


RULES = CategoryDecision(use="rules")


class ClauseDecisions(BaseModel):
    """The decisions file: `categories` maps a CUAD category's name to its decision."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chosen_by: str = ""
    """How the decisions were chosen (for the reader; not used)."""
    categories: dict[str, CategoryDecision] = Field(default_factory=dict)

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: dict[str, CategoryDecision]) -> dict[str, CategoryDecision]:
        unknown = sorted(name for name in value if name not in _BY_NAME)
        if unknown:
            raise ValueError(f"not CUAD categories: {unknown}")
        return value

    def of(self, category: ClauseCategory) -> CategoryDecision:
        return self.categories.get(category.value, RULES)

    def using_model(self) -> list[ClauseCategory]:
        """The categories in whose decision the model has a say."""
        return [_BY_NAME[name] for name, d in self.categories.items() if d.use != "rules"]

    def uses_model(self) -> bool:
        return bool(self.using_model())


def read_decisions(path: Path | None = None) -> ClauseDecisions:
    """The decisions file (default: the configured one), checked; `DataFileError` naming the
    file, the category and the line for anything wrong in it."""
    path = ClauseModelSettings().clause_model_file if path is None else path
    return _decisions_cached(path, *file_stamp(path))


@lru_cache(maxsize=8)
def _decisions_cached(path: Path, *stamp: int) -> ClauseDecisions:
    return load_yaml(path, ClauseDecisions)


def file_stamp(path: Path) -> tuple[int, int, int]:
    """What changes when a file is written (its modification and change times, its size);
    `DataFileError` naming the file when it cannot be read."""
    try:
        found = path.stat()
    except OSError as error:
        raise DataFileError(f"{path}: {error.strerror}") from None
    return found.st_mtime_ns, found.st_ctime_ns, found.st_size

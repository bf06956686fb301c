"""The investigation's settings, as the logistics analytics lead writes them in
`policies/late_delivery.yaml` (`settings:`): how sure a test must be, how much of the rise a
cause must explain, and when the debate ends."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class InvestigationSettings(BaseModel):
    """Checked when the workflow is built (a bad value names the setting and its line)."""

    model_config = ConfigDict(extra="forbid")

    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    """A test's significance level (a peer's family of values shares it: Bonferroni)."""
    min_share: float = Field(default=0.5, gt=0, le=1)
    """A single cause must explain at least this part of the rise."""
    min_rows: int = Field(default=30, ge=5, le=100_000)
    """Fewer known shipments than this in a window is too thin to test on its own."""
    vanish_ratio: float = Field(default=0.5, gt=0, lt=1)
    """A hypothesis whose effect, controlled for another dimension, keeps less than this part of
    itself, and surely less than all of it (its 95% interval wholly below), is explained by that
    dimension (a challenge)."""
    quorum: int = Field(default=4, ge=1, le=6)
    """Peers that must back one claim (with no challenge standing) to end the debate."""
    max_rounds: int = Field(default=6, ge=2, le=50)
    stagnation_rounds: int = Field(default=2, ge=1, le=50)
    """The debate ends after this many rounds without new evidence."""
    token_budget: int = Field(default=200_000, ge=1)
    """Model tokens the peers may spend on one investigation."""


def investigation_settings(raw: Mapping[str, Any]) -> InvestigationSettings:
    """The settings from a policy file's `settings:` mapping (ValidationError when bad)."""
    return InvestigationSettings.model_validate(dict(raw))

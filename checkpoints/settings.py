"""Baton's settings, read from the environment (`BATON_*`) by pydantic-settings."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///.baton/baton.db"


class BatonSettings(BaseSettings):
    """Settings a deployment may change. Explicit arguments always win over these."""

    model_config = SettingsConfigDict(env_prefix="BATON_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    """`memory://`, `sqlite:///path` or `postgresql://…`: checkpoints, traces and business data."""


def database_url(explicit: str | None = None) -> str:
    """The database URL to use: the explicit one if given, else `BATON_DATABASE_URL`, else the
    embedded SQLite default."""
    return explicit or BatonSettings().database_url

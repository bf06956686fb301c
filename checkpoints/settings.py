"""Baton's settings, read from the environment (`BATON_*`) by pydantic-settings."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///.baton/baton.db"


class BatonSettings(BaseSettings):
    """Settings a deployment may change. Explicit arguments always win over these."""

    model_config = SettingsConfigDict(env_prefix="BATON_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    """`memory://`, `sqlite:///path` or `postgresql://…`: checkpoints, the store, traces and
    business data."""
    database_pool_size: int = Field(default=10, ge=1)
    """Most connections one process keeps open to PostgreSQL, per pool (checkpointer, store, and
    the SQLAlchemy engine for traces, the ledger and business tables)."""


def pool_size() -> int:
    """`BATON_DATABASE_POOL_SIZE`."""
    return BatonSettings().database_pool_size


def database_url(explicit: str | None = None) -> str:
    """The database URL to use: the explicit one if given, else `BATON_DATABASE_URL`, else the
    embedded SQLite default."""
    return explicit or BatonSettings().database_url

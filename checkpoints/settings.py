"""Baton's settings, read from the environment (`BATON_*`) by pydantic-settings."""

from __future__ import annotations

import os
from functools import cache

from pydantic import Field, ValidationError
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
    database_retry_seconds: float = Field(default=15.0, ge=0)
    """How long an agent's read of business data goes on retrying a lost connection (PostgreSQL
    restarting, a failover, a killed backend) before it fails as `unavailable`; 0 tries once."""


def baton_settings() -> BatonSettings:
    """The settings, read again only when a `BATON_*` variable has changed (reading them is slow
    enough to matter on every agent step)."""
    return _settings_for(tuple(os.environ.get(f"BATON_{name.upper()}") for name in _FIELDS))


_FIELDS = tuple(BatonSettings.model_fields)


class SettingsError(ValueError):
    """A `BATON_*` variable that cannot be used (the message names it)."""


@cache
def _settings_for(environment: tuple[str | None, ...]) -> BatonSettings:
    try:
        return BatonSettings()
    except ValidationError as error:
        raise SettingsError(
            "; ".join(
                f"BATON_{str(item['loc'][0]).upper()}={item.get('input')!r}: {item['msg']}"
                for item in error.errors(include_url=False)
            )
        ) from None


def pool_size() -> int:
    """`BATON_DATABASE_POOL_SIZE`."""
    return baton_settings().database_pool_size


def database_retry_seconds() -> float:
    """`BATON_DATABASE_RETRY_SECONDS`."""
    return baton_settings().database_retry_seconds


def database_url(explicit: str | None = None) -> str:
    """The database URL to use: the explicit one if given, else `BATON_DATABASE_URL`, else the
    embedded SQLite default."""
    return explicit or baton_settings().database_url

"""The policy table: prior policies on file, in the workflow's database (seeded from `data/`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Column, Date, Engine, Float, MetaData, String, Table, func, insert, select

from agents.underwriting.reference_data import policy_seed_rows
from checkpoints.database import create_tables, engine_for, retried_on_lost_connection

metadata = MetaData()

policies = Table(
    "uw_policies",
    metadata,
    Column("policy_number", String(32), primary_key=True),
    Column("insured_name", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("expiry_date", Date, nullable=False),
    Column("limit", Float, nullable=False),
    Column("annual_premium", Float, nullable=False),
    Column("cancellation_reason", String(200)),
)

_READY: set[str] = set()


def policy_engine(database_url: str) -> Engine:
    """The engine holding the policy table, created and seeded on first use (idempotent)."""
    engine = engine_for(database_url)
    if database_url not in _READY:
        create_tables(metadata, engine)
        with engine.begin() as conn:
            count = conn.execute(select(func.count()).select_from(policies)).scalar_one()
            if count == 0:
                conn.execute(insert(policies), [_seed_row(row) for row in policy_seed_rows()])
        _READY.add(database_url)
    return engine


@retried_on_lost_connection
def find_policy(database_url: str, policy_number: str) -> dict[str, object] | None:
    """The policy row for a canonical policy number, or None if there is none on file (a lost
    connection is retried for a while: see `retried_on_lost_connection`)."""
    with policy_engine(database_url).connect() as conn:
        row = conn.execute(select(policies).where(policies.c.policy_number == policy_number))
        found = row.mappings().first()
    return dict(found) if found else None


def _seed_row(row: dict[str, str]) -> dict[str, object]:
    return {
        "policy_number": row["policy_number"],
        "insured_name": row["insured_name"],
        "status": row["status"],
        "effective_date": date.fromisoformat(row["effective_date"]),
        "expiry_date": date.fromisoformat(row["expiry_date"]),
        "limit": float(row["limit"]),
        "annual_premium": float(row["annual_premium"]),
        "cancellation_reason": row["cancellation_reason"] or None,
    }

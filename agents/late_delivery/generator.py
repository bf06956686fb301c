"""A seeded generator of late-delivery investigations with a planted cause.

The world: 10 suppliers, two in each of 5 origin countries; 5 carriers, each with a main mode
(ocean, air, road, rail) it moves 80% of its shipments by; 5 destination DCs. Each supplier sends
its shipments through carriers by its own preferences. A shipment's promised date is its ship
date plus its mode's transit time; it is late with a base probability of 8% plus its carrier's
(0 to 6 points) and its mode's (ocean +3, air -2) offsets, and 0.3% of delivered dates are
missing in both windows (not yet delivered). The baseline and the period are each a quarter.

The kinds of planted cause (`KINDS`), each raising the late rate in the period only:
- `carrier_late`: one carrier's shipments are late 15 to 30 points more often;
- `customs_delay`: one origin country's shipments (customs), 15 to 30 points;
- `supplier_dispatch`: one supplier dispatches late, 15 to 30 points;
- `broad_rise`: every shipment, 5 to 10 points (a season): no single cause, `none`;
- `data_error`: a feed error, not a real rise: one carrier's feed writes a placeholder
  delivered date (2099-12-31) on 25 to 45% of its shipments (`impossible_dates`), or one DC's
  export duplicates half its late shipments (`duplicates`); the carrier or the DC looks like the
  cause;
- `confounded`: the obvious dimension is not the cause. One of: a supplier moves its shipments
  to a carrier that is late for everyone (the supplier looks late; the cause is the carrier,
  by volume); a carrier turns late and one large supplier ships mostly through it (the supplier
  looks late; the cause is the carrier); a supplier dispatches late and dominates its country
  (the country looks late; the cause is the supplier).

`generate(kind, seed)` is reproducible: the same kind and seed give the same rows. The shipped
samples (`data/samples/late_delivery`, seed 1206) are made with

    python -m agents.late_delivery.generator

and one investigation with `--kind KIND [--variant V] --seed N --out FILE.json`.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

KINDS = (
    "carrier_late",
    "customs_delay",
    "supplier_dispatch",
    "broad_rise",
    "data_error",
    "confounded",
)
VARIANTS = {
    "data_error": ("impossible_dates", "duplicates"),
    "confounded": ("mix_shift", "carrier_behind_supplier", "supplier_behind_country"),
}
SAMPLE_SEED = 1206
"""The shipped samples' seed (the benchmark uses another)."""
SAMPLES_DIR = Path(__file__).resolve().parents[2] / "data" / "samples" / "late_delivery"
SUPPLIERS = {
    "Acme Metals": "CN",
    "Bluefin Plastics": "CN",
    "Corvid Textiles": "VN",
    "Delta Circuits": "VN",
    "Everline Tools": "MX",
    "Fjord Paper": "DE",
    "Granite Glass": "IN",
    "Helios Chem": "IN",
    "Iberia Foods": "MX",
    "Juniper Optics": "DE",
}
CARRIERS = {
    "Northwind Freight": "ocean",
    "BlueLine Logistics": "ocean",
    "Swift Air Cargo": "air",
    "Roadrunner Haulage": "road",
    "Ironhorse Rail": "rail",
}
MODES = {"ocean": (24, 34, 0.03), "air": (2, 5, -0.02), "road": (4, 9, 0.0), "rail": (10, 16, 0.0)}
"""Each mode's transit days (from, to) and its late-rate offset."""
DESTINATIONS = ("Rotterdam DC", "Chicago DC", "Dallas DC", "Lyon DC", "Singapore DC")
BASE_LATE = 0.08
PLACEHOLDER = date(2099, 12, 31)


@dataclass
class Scenario:
    """A generated investigation: its input (rows inline), what was planted, what looks like the
    cause at first sight, and how."""

    kind: str
    seed: int
    question: dict[str, Any]
    planted: dict[str, Any]
    """`{"dimension": …, "value": …}`: the cause the investigation should name."""
    how: str
    obvious: dict[str, str] | None = None
    """What a first look blames instead (a confounded case or a data error)."""
    variant: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class _World:
    rng: random.Random
    carrier_offset: dict[str, float]
    preferences: dict[str, dict[str, float]]
    baseline: tuple[date, date]
    period: tuple[date, date]
    ids: Any
    """Shipment numbers, unique and in no order (so an id says nothing of its window)."""


def _world(rng: random.Random) -> _World:
    year = 2025 + rng.randrange(2)
    quarter = rng.randrange(3)
    start = date(year, 1 + 3 * quarter, 1)
    middle = date(year, 4 + 3 * quarter, 1)
    end = date(year + (quarter == 2), (7 + 3 * quarter - 1) % 12 + 1, 1)
    preferences = {}
    for supplier in SUPPLIERS:
        weights = {c: rng.uniform(0.2, 1.0) for c in CARRIERS}
        total = sum(weights.values())
        preferences[supplier] = {c: w / total for c, w in weights.items()}
    return _World(
        rng=rng,
        carrier_offset={c: rng.uniform(0.0, 0.06) for c in CARRIERS},
        preferences=preferences,
        ids=iter(rng.sample(range(1_000_000), 200_000)),
        baseline=(start, middle - timedelta(days=1)),
        period=(middle, end - timedelta(days=1)),
    )


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _shipments(
    world: _World,
    window: tuple[date, date],
    n: int,
    extra_late: Any,
    carrier_of: Any = None,
) -> list[dict[str, Any]]:
    rng = world.rng
    days = (window[1] - window[0]).days
    supplier_weights = {s: 1.0 for s in SUPPLIERS}
    rows = []
    for _ in range(n):
        supplier = _pick(rng, supplier_weights)
        carrier = (carrier_of and carrier_of(supplier, rng)) or _pick(
            rng, world.preferences[supplier]
        )
        mode = CARRIERS[carrier] if rng.random() < 0.8 else rng.choice(list(MODES))
        low, high, offset = MODES[mode]
        row = {
            "shipment_id": f"SH-{next(world.ids):06d}",
            "supplier": supplier,
            "carrier": carrier,
            "mode": mode,
            "origin_country": SUPPLIERS[supplier],
            "destination": rng.choice(DESTINATIONS),
        }
        ship = window[0] + timedelta(days=rng.randrange(days + 1))
        promised = ship + timedelta(days=rng.randint(low, high))
        p_late = BASE_LATE + world.carrier_offset[carrier] + offset + extra_late(row)
        late = rng.random() < min(max(p_late, 0.0), 0.95)
        delay = rng.randint(1, 12) if late else -rng.randint(0, 3)
        delivered: date | None = promised + timedelta(days=delay)
        if rng.random() < 0.003:
            delivered = None
        rows.append(
            {
                **row,
                "ship_date": ship.isoformat(),
                "promised_date": promised.isoformat(),
                "delivered_date": delivered.isoformat() if delivered else None,
            }
        )
    return rows


def generate(
    kind: str, seed: int, *, per_window: int = 4000, variant: str | None = None
) -> Scenario:
    """One investigation of `kind` (one of `KINDS`; for `data_error` and `confounded`, of
    `variant`, else one drawn from the seed), reproducible from `seed`."""
    if kind not in KINDS:
        raise ValueError(f"unknown scenario kind {kind!r} (kinds: {', '.join(KINDS)})")
    if variant is not None and variant not in VARIANTS.get(kind, ()):
        raise ValueError(f"{kind} has no variant {variant!r} ({VARIANTS.get(kind, ())})")
    rng = random.Random(f"{kind}:{seed}")
    world = _world(rng)
    delta = rng.uniform(0.15, 0.30)
    planted: dict[str, str | None]
    none_extra: Any = lambda row: 0.0  # noqa: E731
    carrier_of: Any = None
    base_carrier_of: Any = None
    obvious: dict[str, str] | None = None
    variant = variant or ""
    post: Any = None
    if kind == "carrier_late":
        carrier = rng.choice(list(CARRIERS))
        planted = {"dimension": "carrier", "value": carrier}
        extra: Any = lambda row: delta if row["carrier"] == carrier else 0.0  # noqa: E731
        how = f"{carrier}'s shipments are late {delta:.0%} more often in the period"
    elif kind == "customs_delay":
        country = rng.choice(sorted({"CN", "VN", "IN"}))
        planted = {"dimension": "origin_country", "value": country}
        extra = lambda row: delta if row["origin_country"] == country else 0.0  # noqa: E731
        how = f"customs in {country} hold shipments: {delta:.0%} more are late"
    elif kind == "supplier_dispatch":
        supplier = rng.choice(list(SUPPLIERS))
        planted = {"dimension": "supplier", "value": supplier}
        extra = lambda row: delta if row["supplier"] == supplier else 0.0  # noqa: E731
        how = f"{supplier} dispatches late: {delta:.0%} more of its shipments are late"
    elif kind == "broad_rise":
        season = rng.uniform(0.05, 0.10)
        planted = {"dimension": "none", "value": None}
        extra = lambda row: season  # noqa: E731
        how = f"every shipment is {season:.0%} more likely to be late (a season)"
    elif kind == "data_error":
        extra = none_extra
        variant = variant or rng.choice(VARIANTS[kind])
        planted = {"dimension": "data_quality", "value": variant}
        if variant == "impossible_dates":
            carrier = rng.choice(list(CARRIERS))
            share = rng.uniform(0.25, 0.45)
            obvious = {"dimension": "carrier", "value": carrier}
            how = (
                f"{carrier}'s feed writes the placeholder {PLACEHOLDER} as the delivered date of "
                f"{share:.0%} of its period shipments"
            )

            def post(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
                for row in rows:
                    if row["carrier"] == carrier and rng.random() < share:
                        row["delivered_date"] = PLACEHOLDER.isoformat()
                return rows
        else:
            destination = rng.choice(DESTINATIONS)
            obvious = {"dimension": "destination", "value": destination}
            how = f"{destination}'s export duplicates half of its late shipments in the period"

            def post(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
                copies = [
                    dict(row)
                    for row in rows
                    if row["destination"] == destination
                    and row["delivered_date"]
                    and row["delivered_date"] > row["promised_date"]
                    and rng.random() < 0.5
                ]
                return rows + copies * 2
    else:  # confounded
        variant = variant or rng.choice(VARIANTS[kind])
        supplier = rng.choice(["Acme Metals", "Corvid Textiles", "Granite Glass"])
        carrier = rng.choice(list(CARRIERS))
        if variant == "mix_shift":
            slow = 0.30
            planted = {"dimension": "carrier", "value": carrier}
            obvious = {"dimension": "supplier", "value": supplier}
            how = (
                f"{carrier} is late {slow:.0%} more often than the others in both windows; "
                f"{supplier} moves from 5% to 95% of its shipments on it in the period (the other "
                "suppliers keep 10% on it)"
            )
            extra = lambda row: slow if row["carrier"] == carrier else 0.0  # noqa: E731

            def base_carrier_of(s: str, r: random.Random) -> str | None:
                return carrier if r.random() < (0.05 if s == supplier else 0.1) else None

            def carrier_of(s: str, r: random.Random) -> str | None:
                return carrier if r.random() < (0.95 if s == supplier else 0.1) else None

            base_carrier_of = _avoiding(world, carrier, base_carrier_of)
            carrier_of = _avoiding(world, carrier, carrier_of)
        elif variant == "carrier_behind_supplier":
            planted = {"dimension": "carrier", "value": carrier}
            obvious = {"dimension": "supplier", "value": supplier}
            how = (
                f"{carrier}'s shipments are late {delta:.0%} more often in the period, and "
                f"{supplier} ships 85% of its goods through it"
            )
            extra = lambda row: delta if row["carrier"] == carrier else 0.0  # noqa: E731

            def carrier_of(s: str, r: random.Random) -> str | None:
                return carrier if s == supplier and r.random() < 0.85 else None

            base_carrier_of = carrier_of
        else:
            country = SUPPLIERS[supplier]
            planted = {"dimension": "supplier", "value": supplier}
            obvious = {"dimension": "origin_country", "value": country}
            how = (
                f"{supplier} dispatches late ({delta:.0%} more of its shipments are late) and "
                f"sends most of {country}'s shipments"
            )
            extra = lambda row: delta if row["supplier"] == supplier else 0.0  # noqa: E731
    baseline = _shipments(world, world.baseline, per_window, none_extra, base_carrier_of)
    if kind == "confounded" and variant == "mix_shift":
        baseline = _shipments(world, world.baseline, per_window, extra, base_carrier_of)
    if kind == "confounded" and variant == "supplier_behind_country":
        baseline = _dominate(world, baseline, supplier)
    period = _shipments(world, world.period, per_window, extra, carrier_of)
    if kind == "confounded" and variant == "supplier_behind_country":
        period = _dominate(world, period, supplier)
    if post is not None:
        period = post(period)
    rows = baseline + period
    rng.shuffle(rows)
    question = {
        "investigation_id": f"LD-{kind.replace('_', '-')}-{seed}",
        "baseline": {"start": world.baseline[0].isoformat(), "end": world.baseline[1].isoformat()},
        "period": {"start": world.period[0].isoformat(), "end": world.period[1].isoformat()},
        "shipments": rows,
    }
    return Scenario(
        kind=kind,
        seed=seed,
        question=question,
        planted=planted,
        how=how,
        obvious=obvious,
        variant=variant,
    )


def _avoiding(world: _World, carrier: str, choose: Any) -> Any:
    """`choose`, or else any carrier but `carrier` by the supplier's preferences."""

    def pick(supplier: str, rng: random.Random) -> str:
        chosen = choose(supplier, rng)
        if chosen:
            return str(chosen)
        others = {c: w for c, w in world.preferences[supplier].items() if c != carrier}
        return _pick(rng, others)

    return pick


def _dominate(world: _World, rows: list[dict[str, Any]], supplier: str) -> list[dict[str, Any]]:
    """Make `supplier` send most of its country's shipments: the country's other suppliers'
    shipments are mostly (65%) dropped."""
    country = SUPPLIERS[supplier]
    return [
        row
        for row in rows
        if row["origin_country"] != country
        or row["supplier"] == supplier
        or world.rng.random() < 0.35
    ]


def generate_set(seed: int, per_kind: int, *, per_window: int = 4000) -> list[Scenario]:
    """`per_kind` investigations of every kind (its variants in turn), reproducible from
    `seed`."""
    return [
        generate(kind, seed * 1000 + i, per_window=per_window, variant=_nth(kind, i))
        for kind in KINDS
        for i in range(per_kind)
    ]


def _nth(kind: str, i: int) -> str | None:
    """A kind's variants in turn, so that a set covers each of them alike."""
    variants = VARIANTS.get(kind)
    return variants[i % len(variants)] if variants else None


SAMPLES = (
    ("carrier_late", None),
    ("customs_delay", None),
    ("supplier_dispatch", None),
    ("broad_rise", None),
    ("data_error", "impossible_dates"),
    ("data_error", "duplicates"),
    ("confounded", "mix_shift"),
    ("confounded", "carrier_behind_supplier"),
    ("confounded", "supplier_behind_country"),
)


def write_scenario(scenario: Scenario, path: Path) -> Path:
    """The investigation as `path` (JSON), naming its shipments CSV beside it; what was planted
    goes in a `.planted.json` file beside them (not in the input: the peers never see it)."""
    rows = scenario.question["shipments"]
    table = path.with_suffix(".csv")
    with table.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    question = {**scenario.question, "shipments": table.name}
    path.write_text(json.dumps(question, indent=1) + "\n", encoding="utf-8")
    planted = {
        "kind": scenario.kind,
        "variant": scenario.variant,
        "seed": scenario.seed,
        "planted": scenario.planted,
        "obvious": scenario.obvious,
        "how": scenario.how,
    }
    path.with_suffix(".planted.json").write_text(
        json.dumps(planted, indent=1) + "\n", encoding="utf-8"
    )
    return path


def write_samples(
    directory: Path = SAMPLES_DIR, seed: int = SAMPLE_SEED, per_window: int = 3000
) -> list[Path]:
    """One sample per kind and variant: `NN_<kind>[_<variant>].json`, its CSV and what was
    planted (`.planted.json`)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for number, (kind, variant) in enumerate(SAMPLES, start=1):
        name = f"{number:02d}_{kind}" + (f"_{variant}" if variant else "")
        scenario = generate(kind, seed, per_window=per_window, variant=variant)
        written.append(write_scenario(scenario, directory / f"{name}.json"))
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--kind", choices=KINDS, help="one investigation of this kind")
    parser.add_argument("--variant", default=None)
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED)
    parser.add_argument("--per-window", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=None, help="where (JSON; its CSV beside it)")
    args = parser.parse_args(argv)
    if args.kind is None:
        for path in write_samples(args.out or SAMPLES_DIR, args.seed, args.per_window):
            print(path)
        return
    scenario = generate(args.kind, args.seed, per_window=args.per_window, variant=args.variant)
    print(write_scenario(scenario, args.out or Path(f"{args.kind}-{args.seed}.json")))


if __name__ == "__main__":
    main()

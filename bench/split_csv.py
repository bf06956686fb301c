"""Split a labelled CSV into a training and a held-out test part, stratified by label, with a fixed
seed, so a quality benchmark's figures can name the exact split they were measured on.

    python -m bench.split_csv ../shared/data/banking77/train.csv OUT_DIR [--test-share 0.2]
        [--seed 2026] [--label-column category]

Writes OUT_DIR/train.csv and OUT_DIR/test.csv (same columns, rows in their original order).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections import defaultdict
from pathlib import Path

DEFAULT_SEED = 2026
DEFAULT_TEST_SHARE = 0.2


def stratified_split(
    rows: list[dict[str, str]], label_column: str, test_share: float, seed: int
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(train, test): from each label, round(share * count) rows (at least one when the label has
    two or more) go to the test part, picked by a seeded shuffle; both keep the input's order."""
    if not 0 < test_share < 1:
        raise ValueError(f"test share must be between 0 and 1, not {test_share}")
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_label[row[label_column]].append(index)
    shuffler = random.Random(seed)
    held_out: set[int] = set()
    for label in sorted(by_label):
        indices = by_label[label]
        take = round(test_share * len(indices))
        take = min(max(take, 1), len(indices) - 1) if len(indices) > 1 else 0
        chosen = list(indices)
        shuffler.shuffle(chosen)
        held_out.update(chosen[:take])
    train = [row for index, row in enumerate(rows) if index not in held_out]
    test = [row for index, row in enumerate(rows) if index in held_out]
    return train, test


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv_file", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--test-share", type=float, default=DEFAULT_TEST_SHARE)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--label-column", default="category")
    args = parser.parse_args(argv)
    try:
        with args.csv_file.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = list(reader.fieldnames or [])
            rows = list(reader)
    except OSError as error:
        print(f"error: cannot read {args.csv_file}: {error.strerror}", file=sys.stderr)
        return 2
    if args.label_column not in columns:
        print(
            f"error: {args.csv_file} has no column {args.label_column!r} (columns: {columns})",
            file=sys.stderr,
        )
        return 2
    try:
        train, test = stratified_split(rows, args.label_column, args.test_share, args.seed)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, part in (("train.csv", train), ("test.csv", test)):
        with (args.out_dir / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(part)
    print(
        f"{len(train)} training and {len(test)} test rows "
        f"(test share {args.test_share}, seed {args.seed}) in {args.out_dir}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

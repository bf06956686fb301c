"""The sanctions screening test set: how listed parties are written on real documents, and names
that must not be flagged. Generated, seeded, from the shipped list (`data/underwriting/
sanctions.csv`); the result is shipped as `data/underwriting/sanctions_variants.csv`, and a test
checks that it is what this script writes.

    python -m bench.sanctions_variants [OUT_CSV]     # writes the set (default: the shipped file)
    python -m bench.sanctions_variants --score [--json]   # recall and false-positive rate

Positive variants of each listed name: as listed, case, word order (`Surname, Given`), initials
for given and middle names, a left-out middle name, legal forms written other ways (`Ltd` /
`Limited` / none), hyphens and punctuation, extra spaces, one look-alike letter from another
script (the Cyrillic o, a, e, p and c), the whole name in Cyrillic, and a leading `The`.
Negatives: the shipped insured and sample names, and near misses that share a word or a sound
with a listed name but are another party."""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from agents.underwriting.compliance import screen
from agents.underwriting.reference_data import DATA_DIR, sanctions_list

SHIPPED = DATA_DIR / "sanctions_variants.csv"
SEED = 2026
_LOOKALIKE = {"o": "\u043e", "a": "\u0430", "e": "\u0435", "p": "\u0440", "c": "\u0441"}
"""Latin letters and their Cyrillic look-alikes."""
_CYRILLIC = {
    "shch": "\u0449",
    "sh": "\u0448",
    "ch": "\u0447",
    "zh": "\u0436",
    "kh": "\u0445",
    "ts": "\u0446",
    "yu": "\u044e",
    "ya": "\u044f",
    "a": "\u0430",
    "b": "\u0431",
    "v": "\u0432",
    "g": "\u0433",
    "d": "\u0434",
    "e": "\u0435",
    "z": "\u0437",
    "i": "\u0438",
    "y": "\u0439",
    "k": "\u043a",
    "l": "\u043b",
    "m": "\u043c",
    "n": "\u043d",
    "o": "\u043e",
    "p": "\u043f",
    "r": "\u0440",
    "s": "\u0441",
    "t": "\u0442",
    "u": "\u0443",
    "f": "\u0444",
    "h": "\u0445",
    "c": "\u043a",
    "w": "\u0432",
    "x": "\u043a\u0441",
    "j": "\u0434\u0436",
    "q": "\u043a",
}
"""Latin to Cyrillic letters, to write a listed name as a Russian document would."""
_FORMS = {"Ltd": ["Limited", "Ltd.", ""], "LLC": ["L.L.C.", "Llc", ""], "Co": ["Company", ""]}
_PERSONS = {"Ivan Petrovich Sorokin"}
NEGATIVES = [
    "Harbor Light Bakery LLC", "Cedar Ridge Dental Group", "Bluewater Outfitters Inc",
    "Maple Street Diner LLC", "Pelican Bay Seafood Shack", "Granite State Millwork",
    "Gulf Coast Risk Partners", "Northeast Mutual", "Heartland Commercial Brokers",
    "Kestrel Logistics Ltd", "Kestrel Bakery", "Volkov Bakery", "Maritime Holdings Group",
    "Golden Gate Exchange", "Golden Crescent Bakery", "Crescent Moon Cafe", "Aurelian Florist",
    "Zarif Bakery LLC", "Tigris Auto Repair", "Northwind Coffee Co", "Meridian Dental Group",
    "Amber Shipping Supplies", "Pyongyang Noodle House", "Ivan Petrov", "John Sorokin",
    "Maria Ivanova", "Peter Sorensen", "Ivan Sokolov", "Star General Store", "Trade Partners LLC",
    "Banco Popular de Puerto Rico", "Caracas Cafe", "Petrochemical Supply Inc",
    "Logistics Group of America", "Exchange Street Bakery", "Arms Length Advisors",
]  # fmt: skip


def _cyrillic(name: str) -> str:
    out, text = "", name.lower()
    while text:
        for latin in sorted(_CYRILLIC, key=len, reverse=True):
            if text.startswith(latin):
                out, text = out + _CYRILLIC[latin], text[len(latin) :]
                break
        else:
            out, text = out + text[0], text[1:]
    return " ".join(word.capitalize() for word in out.split())


def variants(name: str, rng: random.Random) -> list[tuple[str, str]]:
    """(variant, kind) pairs for one listed name."""
    words = name.split()
    found: list[tuple[str, str]] = [(name, "as listed"), (name.upper(), "upper case")]
    found.append(("  ".join(words) + " ", "extra spaces"))
    if name in _PERSONS:
        given, *middle, surname = words
        found += [
            (f"{surname}, {' '.join([given, *middle])}", "surname first"),
            (f"{surname}, {given} {' '.join(m[0] + '.' for m in middle)}", "surname, initial"),
            (f"{given} {' '.join(m[0] + '.' for m in middle)} {surname}", "middle initial"),
            (f"{given[0]}. {' '.join(m[0] + '.' for m in middle)} {surname}", "initials"),
            (f"{given} {surname}", "middle name left out"),
            (_cyrillic(name), "Cyrillic"),
        ]
    else:
        form = words[-1].rstrip(".")
        for other in _FORMS.get(form, []):
            found.append((" ".join([*words[:-1], other]).strip(), f"legal form {other or 'none'}"))
        if form not in _FORMS:
            found.append((f"{name} Ltd", "legal form added"))
        found.append((f"The {name}", "leading The"))
        longest = max(words, key=len)
        cut = max(2, len(longest) // 2)
        found.append((name.replace(longest, f"{longest[:cut]}-{longest[cut:].lower()}"), "hyphen"))
        found.append((name.replace(" ", ", ", 1), "punctuation"))
    letters = [i for i, ch in enumerate(name) if ch in _LOOKALIKE]
    if letters:
        at = rng.choice(letters)
        found.append((name[:at] + _LOOKALIKE[name[at]] + name[at + 1 :], "look-alike letter"))
    return found


def build() -> list[dict[str, str]]:
    rng = random.Random(SEED)
    rows = [
        {"name": variant, "listed": entry["name"], "kind": kind}
        for entry in sanctions_list()
        for variant, kind in variants(entry["name"], rng)
    ]
    rows += [{"name": name, "listed": "", "kind": "not listed"} for name in NEGATIVES]
    return rows


def write(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["name", "listed", "kind"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(build())


@dataclass(frozen=True)
class Score:
    """How the screening did on the set."""

    variants: int
    missed: list[str]
    others: int
    flagged: list[str]

    @property
    def recall(self) -> float:
        return 1 - len(self.missed) / self.variants

    @property
    def false_positive_rate(self) -> float:
        return len(self.flagged) / self.others

    def as_json(self) -> dict[str, object]:
        return {
            "variants": self.variants,
            "recall": round(self.recall, 4),
            "missed": self.missed,
            "others": self.others,
            "false_positive_rate": round(self.false_positive_rate, 4),
            "flagged": self.flagged,
        }


def score(path: Path = SHIPPED) -> Score:
    """Recall on the listed parties' variants and the false-positive rate on the others."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    positives = [row for row in rows if row["listed"]]
    negatives = [row for row in rows if not row["listed"]]
    missed = [
        f"{row['name']} ({row['kind']})"
        for row in positives
        if row["listed"] not in {hit.listed_name for hit in screen([row["name"]])}
    ]
    flagged = [row["name"] for row in negatives if screen([row["name"]])]
    return Score(len(positives), missed, len(negatives), flagged)


def section(result: Score) -> str:
    """The benchmark report's section."""
    lines = [
        "## Sanctions screening (`bench/sanctions_variants.py`)",
        "",
        "The generated set `data/underwriting/sanctions_variants.csv` (seeded): every listed party "
        "written the ways documents write it (case, word order, initials, a left-out middle name, "
        "legal forms, hyphens and punctuation, a look-alike letter from another script, the whole "
        "name in Cyrillic), and names that must not be flagged (shipped insureds and samples, and "
        "near misses sharing a word or a sound with a listed name).",
        "",
        "| | names | caught | rate |",
        "|---|---:|---:|---:|",
        f"| variants of listed parties (recall) | {result.variants} | "
        f"{result.variants - len(result.missed)} | {result.recall:.1%} |",
        f"| other names (false positives) | {result.others} | {len(result.flagged)} | "
        f"{result.false_positive_rate:.1%} |",
        "",
    ]
    if result.flagged:
        lines += [f"Flagged though not listed (a reviewer looks): {', '.join(result.flagged)}.", ""]
    if result.missed:
        lines += [f"Missed: {', '.join(result.missed)}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=SHIPPED)
    parser.add_argument("--score", action="store_true", help="score the screening on the set")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.score:
        write(args.out)
        print(f"wrote {args.out}")
        return 0
    result = score(args.out)
    if args.json:
        print(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    else:
        print(
            f"recall {result.recall:.1%} on {result.variants} variants of listed parties; "
            f"false positives {result.false_positive_rate:.1%} of {result.others} others"
        )
        for line in [*result.missed, *result.flagged]:
            print(f"  · {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

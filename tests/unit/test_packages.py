"""The four top-level names must be this project's, not the PyPI packages of the same name."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["agents", "graphs", "schemas", "checkpoints"])
def test_package_resolves_to_this_project(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().parent == ROOT / name


def test_imports_go_one_way() -> None:
    """schemas <- agents <- graphs; checkpoints imports neither agents nor graphs."""
    forbidden = {
        "schemas": ("agents", "graphs", "checkpoints"),
        "agents": ("graphs",),
        "checkpoints": ("agents", "graphs"),
    }
    for package, banned in forbidden.items():
        for path in (ROOT / package).rglob("*.py"):
            for line in path.read_text(encoding="utf-8").splitlines():
                stripped = line.strip()
                for other in banned:
                    assert not stripped.startswith((f"from {other}", f"import {other}")), (
                        f"{path.relative_to(ROOT)} imports {other}: {stripped}"
                    )

"""The four top-level names must be this project's, not the PyPI packages of the same name."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
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


def _imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import in `tree`, and of every `importlib.import_module`
    or `__import__` call with a literal name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Call) and node.args:
            called = node.func
            name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
            first = node.args[0]
            if name in ("import_module", "__import__") and isinstance(first, ast.Constant):
                yield node.lineno, str(first.value)


def test_tests_do_not_import_bench() -> None:
    """Tests run a benchmark as a user does (`python -m bench.…`); what tests and benchmarks share
    lives in the product (`checkpoints.provisioning`, `graphs.server.dev`)."""
    found = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        for line, module in _imported_modules(ast.parse(path.read_text(encoding="utf-8")))
        if module == "bench" or module.startswith("bench.")
    ]
    assert found == []

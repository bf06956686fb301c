"""`graphs.kit` is the one place a workflow author imports the platform from: every public name
resolves to its home, and listing the workflows loads none of them."""

from __future__ import annotations

import subprocess
import sys

import pytest

import graphs.kit as kit
from tests.conftest import ROOT


def test_every_public_name_resolves_to_its_home() -> None:
    assert sorted(kit.__all__) == sorted(kit._HOME_OF)
    for name in kit.__all__:
        value = getattr(kit, name)
        assert value is getattr(sys.modules[kit._HOME_OF[name]], name)


def test_an_unknown_name_is_an_attribute_error_and_submodules_still_import() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        kit.Nope  # noqa: B018
    from graphs.kit import review_gate

    assert review_gate.GateSpec is kit.GateSpec


def test_listing_the_workflows_loads_no_pattern_no_workflow_and_no_ml_stack() -> None:
    probe = (
        "import sys; from graphs.kit.workflows import workflow_names; workflow_names(); "
        "names = workflow_names(); loaded = [m for m in sys.modules if m.startswith(("
        "'graphs.patterns', 'sklearn', 'torch', 'sentence_transformers')) or m.split('.')[-1] "
        "in names]; print(loaded)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"

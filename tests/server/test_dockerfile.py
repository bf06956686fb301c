"""`langgraph dockerfile` (the official image build) produces a Dockerfile for this repository that
serves every workflow with Baton's auth, checkpointer and store. (Building the image needs the
base image from Docker Hub, which these machines cannot reach.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graphs.kit.workflows import workflow_names
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def _env_value(dockerfile: str, name: str) -> dict[str, object]:
    line = next(line for line in dockerfile.splitlines() if line.startswith(f"ENV {name}="))
    value: dict[str, object] = json.loads(line.split("=", 1)[1].strip("'"))
    return value


def test_langgraph_dockerfile_builds_the_official_image_for_this_repo(tmp_path: Path) -> None:
    target = tmp_path / "Dockerfile"
    env = {**os.environ, "LANGGRAPH_CLI_NO_ANALYTICS": "1", "LANGGRAPH_NO_VERSION_CHECK": "true"}
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "langgraph"),
            "dockerfile",
            "-c",
            "langgraph.json",
            str(target),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    dockerfile = target.read_text(encoding="utf-8")
    assert dockerfile.startswith("FROM langchain/langgraph-api:3.11")
    deps = f"/deps/{ROOT.name}"  # the image names the package folder after the checkout's
    assert f"ADD . {deps}" in dockerfile
    graphs = _env_value(dockerfile, "LANGSERVE_GRAPHS")
    assert set(graphs) == set(workflow_names())
    assert all(str(path).startswith(f"{deps}/graphs/server/served.py:") for path in graphs.values())
    assert _env_value(dockerfile, "LANGGRAPH_AUTH") == {
        "path": f"{deps}/graphs/server/served.py:auth",
        "disable_studio_auth": True,
    }
    assert (
        _env_value(dockerfile, "LANGGRAPH_CHECKPOINTER")["path"]
        == "checkpoints.server.checkpointer"
    )
    assert _env_value(dockerfile, "LANGGRAPH_STORE")["path"] == "checkpoints.server.store"

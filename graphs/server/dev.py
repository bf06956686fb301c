"""Start `langgraph dev` for this checkout on a free port: the LangGraph server (in-memory edition)
serving the repository's `langgraph.json` from a folder of its own, with no analytics, no version
check and no reloading. The server tests and the server benchmark run it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LANGGRAPH = str(Path(sys.executable).parent / "langgraph")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config_in(folder: Path, graphs: dict[str, str] | None = None) -> Path:
    """A copy of the repository's `langgraph.json` in `folder` with absolute paths, so that
    `langgraph dev` (which resolves `auth.path` from its working directory and keeps its own
    state there) can run in `folder` and leave the repository alone."""
    config = json.loads((ROOT / "langgraph.json").read_text(encoding="utf-8"))

    def absolute(path: str) -> str:
        return str(ROOT / path[2:]) if path.startswith("./") else path

    config["dependencies"] = [str(ROOT / dep) for dep in config["dependencies"]]
    config["graphs"] = {name: absolute(path) for name, path in config["graphs"].items()}
    config["graphs"].update(graphs or {})
    config["auth"]["path"] = absolute(config["auth"]["path"])
    config["http"]["app"] = absolute(config["http"]["app"])
    target = folder / "langgraph.json"
    target.write_text(json.dumps(config), encoding="utf-8")
    return target


@contextmanager
def dev_server(
    database_url: str,
    *,
    graphs: dict[str, str] | None = None,
    environment: dict[str, str] | None = None,
) -> Iterator[str]:
    """`langgraph dev` on a free port with auth off, checkpointing into `database_url` (with
    `graphs` served instead of the repository's, and `environment` added to its own)."""
    port = _free_port()
    env = {
        **os.environ,
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGGRAPH_NO_VERSION_CHECK": "true",
        "LANGSMITH_TRACING": "false",
        "BATON_AUTH": "off",
        "BATON_DATABASE_URL": database_url,
        **(environment or {}),
    }
    env.pop("LANGSMITH_API_KEY", None)
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [
                LANGGRAPH,
                "dev",
                "--config",
                str(config_in(Path(folder), graphs)),
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
                "--no-browser",
                "--no-reload",
            ],
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/ok", timeout=2):
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise RuntimeError(
                            f"langgraph dev did not start: {log.read()[-3000:]!r}"
                        ) from None
                    time.sleep(0.3)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()

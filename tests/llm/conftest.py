"""Fixtures for model tests: a scripted OpenAI-compatible server on a free local port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.llm.model_server import ScriptedModelServer


@pytest.fixture(scope="session")
def _server() -> Iterator[ScriptedModelServer]:
    server = ScriptedModelServer().start()
    yield server
    server.stop()


@pytest.fixture
def model_server(
    _server: ScriptedModelServer, monkeypatch: pytest.MonkeyPatch
) -> ScriptedModelServer:
    """The server, with an empty script, and the OpenAI client pointed at it."""
    _server.script()
    monkeypatch.setenv("OPENAI_BASE_URL", _server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-not-secret")
    return _server

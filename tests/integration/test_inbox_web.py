"""The inbox's pages and API refuse what they must, in process (Starlette's test client on the
custom app every server loads): a form posted from another site, bodies that are not forms or
JSON or are too large, two keys at once; `/inbox` leads to the inbox; never a 500."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from graphs.server.boundary import boundary_app

HERE = "http://127.0.0.1:8123"
KEY = "rita-key-for-inbox-tests"


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    keys = tmp_path / "keys.json"
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    keys.write_text(json.dumps({digest: {"identity": "rita", "role": "reviewer"}}))
    monkeypatch.setenv("BATON_API_KEYS_FILE", str(keys))
    monkeypatch.setenv("BATON_DATABASE_URL", f"sqlite:///{tmp_path / 'baton.db'}")
    monkeypatch.delenv("BATON_AUTH", raising=False)
    with TestClient(boundary_app(), base_url=HERE, raise_server_exceptions=False) as test:
        yield test


def test_a_form_posted_from_another_site_is_refused(client: TestClient) -> None:
    elsewhere = client.post(
        "/inbox/sign-in", data={"key": KEY}, headers={"origin": "http://evil.example"},
        follow_redirects=False,
    )  # fmt: skip
    assert elsewhere.status_code == 403 and "another site" in elsewhere.text
    assert "set-cookie" not in elsewhere.headers
    here = client.post(
        "/inbox/sign-in", data={"key": KEY}, headers={"origin": HERE}, follow_redirects=False
    )
    assert here.status_code == 303 and "HttpOnly" in here.headers["set-cookie"]
    assert KEY not in here.headers["location"]
    decide = client.post(
        "/inbox/cases/t-1/decision", data={"action": "approve"},
        headers={"origin": "http://127.0.0.1:9999"},
    )  # fmt: skip
    assert decide.status_code == 403


def test_bodies_that_are_not_forms_or_json_or_too_large_are_4xx(client: TestClient) -> None:
    not_utf8 = client.post(
        "/inbox/sign-in",
        content=b"key=\xff",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert not_utf8.status_code == 400
    huge = client.post("/inbox/sign-in", content=b"key=" + b"a" * 70_000)
    assert huge.status_code == 400 and "larger than" in huge.text
    headers = {"x-api-key": KEY, "content-type": "application/json"}
    deep = client.post(
        "/inbox/api/cases/t-1/decision", content=b"[" * 5000 + b"]" * 5000, headers=headers
    )
    assert deep.status_code == 400 and deep.json()["detail"]
    two = client.get("/inbox/api/cases", headers=[("x-api-key", KEY), ("x-api-key", KEY)])
    assert two.status_code == 400 and "exactly one" in two.json()["detail"]


def test_the_inbox_is_found_without_its_slash_and_echoes_only_thread_ids(
    client: TestClient,
) -> None:
    bare = client.get("/inbox", follow_redirects=False)
    assert bare.status_code in (307, 308) and bare.headers["location"].endswith("/inbox/")
    client.post("/inbox/sign-in", data={"key": KEY}, headers={"origin": HERE})
    shown = client.get("/inbox/?decided=t-42")
    assert shown.status_code == 200 and "Your decision on t-42 was recorded" in shown.text
    spoofed = client.get("/inbox/?decided=" + "call%20us%20at%20555")
    assert "call us" not in spoofed.text

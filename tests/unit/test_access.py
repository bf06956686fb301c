"""API keys, roles and sealed principals (graphs.kit.access, graphs.server.auth), without a server."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from pathlib import Path

import pytest
from langgraph_sdk import Auth

from graphs.kit.access import (
    AccessMisconfigured,
    AccessRefused,
    Binding,
    Principal,
    holder_of,
    principal_of,
    require_starter,
    reviewer_refusal,
    user_for,
)
from graphs.server.auth import authenticate

BOUND = Binding("t", "resume", "n1")
"""What the request boundary binds a reviewer's answer on thread `t` to."""


def _run(user: dict[str, object], thread: str = "t") -> dict[str, object]:
    """The config of a server run on `thread` carrying `user`."""
    return {"configurable": {"langgraph_auth_user": user, "thread_id": thread}}


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys.json"
    digest = hashlib.sha256(b"k-rita").hexdigest()
    path.write_text(json.dumps({digest: {"identity": "rita", "role": "reviewer"}}))
    monkeypatch.setenv("BATON_API_KEYS_FILE", str(path))
    monkeypatch.delenv("BATON_AUTH", raising=False)
    return path


def test_with_no_keys_file_every_request_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BATON_API_KEYS_FILE", raising=False)
    monkeypatch.delenv("BATON_AUTH", raising=False)
    with pytest.raises(Auth.exceptions.HTTPException) as raised:
        asyncio.run(authenticate({"x-api-key": "anything"}))
    assert raised.value.status_code == 401


def test_auth_off_makes_every_request_a_local_operator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATON_AUTH", "off")
    user = asyncio.run(authenticate({}))
    assert user["role"] == "operator" and user["identity"] == "local-developer"


def test_a_known_key_gives_its_holder_and_headers_may_be_bytes(keys: Path) -> None:
    for headers in ({"x-api-key": "k-rita"}, {b"x-api-key": b"k-rita"}):
        user = asyncio.run(authenticate(headers))
        assert (user["identity"], user["role"]) == ("rita", "reviewer")
    with pytest.raises(Auth.exceptions.HTTPException):
        asyncio.run(authenticate({"x-api-key": "k-someone"}))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "is invalid"),
        (json.dumps({"a" * 64: {"identity": "x", "role": "admin"}}), "role"),
        (json.dumps({"abc": {"identity": "x", "role": "operator"}}), "SHA-256 hex digests"),
        (json.dumps({"a" * 64: {"identity": "", "role": "operator"}}), "identity"),
    ],
)
def test_a_bad_keys_file_is_named_with_what_is_wrong(
    keys: Path, content: str, problem: str
) -> None:
    keys.write_text(content)
    with pytest.raises(AccessMisconfigured) as raised:
        holder_of("k-rita")
    assert str(keys) in str(raised.value) and problem in str(raised.value)


def test_principals_are_believed_only_with_the_seal(keys: Path) -> None:
    assert principal_of({"configurable": {"thread_id": "t"}}) is None  # an in-process run
    sealed = user_for("rita", "reviewer", binding=BOUND)
    assert principal_of(_run(sealed)) == Principal("rita", "reviewer", nonce="n1")
    forged = {**sealed, "identity": "otto", "role": "operator"}
    assert principal_of(_run(forged)) == Principal("otto", None)
    unsealed = {"identity": "rita", "role": "reviewer"}
    assert principal_of(_run(unsealed)) == Principal("rita", None)
    assert principal_of({"configurable": {"user_id": ""}}) == Principal("anonymous", None)


def test_roles_decide_who_runs_and_who_answers_gates() -> None:
    require_starter(None, "alice")  # in-process
    require_starter(Principal("alice", "submitter"), None)
    require_starter(Principal("alice", "submitter"), "alice")
    require_starter(Principal("otto", "operator"), "alice")
    for principal, owner in (
        (Principal("bob", "submitter"), "alice"),
        (Principal("rita", "reviewer"), None),
        (Principal("eve", None), None),
    ):
        with pytest.raises(AccessRefused):
            require_starter(principal, owner)
    assert reviewer_refusal(Principal("rita", "reviewer")) is None
    assert reviewer_refusal(Principal("otto", "operator")) is None
    assert reviewer_refusal(None) is None
    refusal = reviewer_refusal(Principal("alice", "submitter"))
    assert refusal is not None and "alice" in refusal


def test_a_principal_secret_seals_independently_of_the_keys_file(
    keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATON_PRINCIPAL_SECRET", "s" * 40)
    sealed = user_for("rita", "reviewer", binding=BOUND)
    keys.write_text(json.dumps({}))  # the keys file changes: the seal still holds
    assert principal_of(_run(sealed)) == Principal("rita", "reviewer", nonce="n1")
    monkeypatch.setenv("BATON_PRINCIPAL_SECRET", "t" * 40)  # another secret: not believed
    assert principal_of(_run(sealed)) == Principal("rita", None)


def test_a_keys_file_cannot_claim_the_local_developer(keys: Path) -> None:
    keys.write_text(json.dumps({"a" * 64: {"identity": "local-developer", "role": "operator"}}))
    with pytest.raises(AccessMisconfigured, match="reserved for BATON_AUTH=off"):
        holder_of("anything")


def test_a_seal_is_bound_to_when_it_was_made(keys: Path) -> None:
    sealed = user_for("rita", "reviewer", binding=BOUND, sealed_at=1_700_000_000)
    redated = {**sealed, "baton_sealed_at": 1_700_000_600}
    assert principal_of(_run(redated)) == Principal("rita", None)
    undated = {key: value for key, value in sealed.items() if key != "baton_sealed_at"}
    assert principal_of(_run(undated)) == Principal("rita", None)


def test_an_old_seal_cannot_answer_a_review_gate(
    keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATON_PRINCIPAL_TTL", "300")
    now = int(time.time())
    old = _run(user_for("rita", "reviewer", binding=BOUND, sealed_at=now - 400))
    recent = _run(user_for("rita", "reviewer", binding=BOUND, sealed_at=now - 200))

    assert principal_of(old) == Principal("rita", "reviewer", nonce="n1")  # runs: any age
    stale = principal_of(old, fresh=True)
    assert stale is not None and stale.role is None
    refusal = reviewer_refusal(stale)
    assert refusal is not None and "BATON_PRINCIPAL_TTL (300 s)" in refusal
    assert principal_of(recent, fresh=True) == Principal("rita", "reviewer", nonce="n1")
    future = user_for("rita", "reviewer", binding=BOUND, sealed_at=now + 3600)
    assert principal_of(_run(future), fresh=True) != (Principal("rita", "reviewer"))


def test_a_seal_acts_only_on_the_thread_and_action_it_was_made_for(keys: Path) -> None:
    sealed = user_for("rita", "reviewer", binding=BOUND)
    elsewhere = principal_of(_run(sealed, thread="another-case"), fresh=True)
    assert elsewhere is not None and elsewhere.role is None
    assert "another thread" in str(reviewer_refusal(elsewhere))
    rebound = {**sealed, "baton_binding": "another-case;resume;n1"}  # the seal covers the binding
    assert principal_of(_run(rebound, thread="another-case")) == Principal("rita", None)
    to_run = user_for("rita", "reviewer", binding=Binding("t", "run", "n2"))
    refused = principal_of(_run(to_run), fresh=True)
    assert refused is not None and "issued to run, not to answer" in str(reviewer_refusal(refused))
    unbound = principal_of(_run(user_for("rita", "reviewer")))
    assert unbound is not None and unbound.role is None and "not bound" in str(unbound.unvouched)


def test_the_auth_layer_seals_the_binding_the_boundary_sent(keys: Path) -> None:
    headers = {"x-api-key": "k-rita", "x-baton-binding": "t;resume;n9"}
    user = asyncio.run(authenticate(headers))
    assert principal_of(_run(user), fresh=True) == Principal("rita", "reviewer", nonce="n9")


def test_a_reviewers_answer_carries_the_run_on_but_a_reviewer_starts_nothing() -> None:
    from graphs.kit.access import AccessRefused, Principal, require_starter

    answering = Principal("rita", "reviewer", action="resume")
    require_starter(answering, "alice")  # past a department's gate, through the orchestrator
    with pytest.raises(AccessRefused, match="'rita' is a reviewer"):
        require_starter(answering, None)  # a case no one owns yet is a new one: never a reviewer's
    for action in ("run", None):
        with pytest.raises(AccessRefused, match="'rita' is a reviewer"):
            require_starter(Principal("rita", "reviewer", action=action), "alice")
    with pytest.raises(AccessRefused, match="does not own this case"):
        require_starter(Principal("bob", "submitter", action="resume"), "alice")

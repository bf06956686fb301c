"""The scripted model server speaks enough of the OpenAI API for the real langchain-openai client,
and the model loader builds that client from `BATON_MODEL`."""

from __future__ import annotations

import openai
import pytest
from langchain_core.exceptions import OutputParserException
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, ValidationError

from agents.models import load_chat_model
from graphs.kit.context import model_for as model_name
from tests.llm.model_server import ScriptedModelServer


class Facts(BaseModel):
    applicant_name: str
    year_built: int


def client(server: ScriptedModelServer, timeout: float = 10.0) -> ChatOpenAI:
    return ChatOpenAI(
        model="scripted", base_url=server.url, api_key="k", max_retries=0, timeout=timeout
    )  # type: ignore[arg-type]


def test_plain_reply_with_token_usage(model_server: ScriptedModelServer) -> None:
    model_server.script({"content": "hello underwriter"})
    reply = client(model_server).invoke("hi")
    assert reply.content == "hello underwriter"
    assert reply.usage_metadata is not None and reply.usage_metadata["input_tokens"] > 0
    assert model_server.requests[0]["messages"][0]["content"] == "hi"


def test_streaming_reply(model_server: ScriptedModelServer) -> None:
    model_server.script({"content": "a streamed answer, in several chunks"})
    text = "".join(str(chunk.content) for chunk in client(model_server).stream("hi"))
    assert text == "a streamed answer, in several chunks"
    assert model_server.requests[0]["stream"] is True


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_structured_output(model_server: ScriptedModelServer, method: str) -> None:
    model_server.script({"json": {"applicant_name": "Harbor Light Bakery LLC", "year_built": 1998}})
    facts = client(model_server).with_structured_output(Facts, method=method).invoke("read this")  # type: ignore[arg-type]
    assert facts == Facts(applicant_name="Harbor Light Bakery LLC", year_built=1998)
    request = model_server.requests[0]
    if method == "json_schema":
        assert request["response_format"]["type"] == "json_schema"
    else:
        assert request["tools"][0]["function"]["name"] == "Facts"


def test_contract_breaking_and_malformed_output_fail_loudly(
    model_server: ScriptedModelServer,
) -> None:
    model_server.script(
        {"json": {"applicant_name": "X", "year_built": "old"}}, {"raw": "{not json"}
    )
    structured = client(model_server).with_structured_output(Facts, method="json_schema")
    with pytest.raises(ValidationError):
        structured.invoke("read")
    with pytest.raises((OutputParserException, ValueError)):
        structured.invoke("read")


def test_tool_call_to_a_tool_that_was_not_offered(model_server: ScriptedModelServer) -> None:
    model_server.script({"tool_call": {"name": "no_such_worker", "arguments": {}}})
    reply = client(model_server).bind_tools([Facts]).invoke("route")
    assert reply.tool_calls[0]["name"] == "no_such_worker"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("step", "error"),
    [
        ({"status": 429, "retry_after": 1}, openai.RateLimitError),
        ({"status": 500}, openai.InternalServerError),
        ({"hang": 2}, openai.APITimeoutError),
    ],
)
def test_injected_faults_reach_the_client(
    model_server: ScriptedModelServer, step: dict[str, object], error: type[Exception]
) -> None:
    model_server.script(step)
    with pytest.raises(error) as caught:
        client(model_server, timeout=0.5).invoke("hi")
    if step.get("status") == 429:
        assert caught.value.response.headers["retry-after"] == "1"  # type: ignore[attr-defined]


def test_loader_builds_the_configured_model_and_roles_override(
    model_server: ScriptedModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert model_name("intake") is None  # nothing configured: deterministic only
    monkeypatch.setenv("BATON_MODEL", "openai:scripted-default")
    monkeypatch.setenv("BATON_MODEL_SUPERVISOR", "openai:scripted-router")
    assert model_name("intake") == "openai:scripted-default"
    assert model_name("supervisor") == "openai:scripted-router"
    assert model_name("supervisor", {"default": "openai:run-wide"}) == "openai:run-wide"
    assert (
        model_name("supervisor", {"supervisor": "openai:run-role", "default": "x:y"})
        == "openai:run-role"
    )
    with pytest.raises(ValueError, match="unknown model role"):
        model_name("pricing")  # type: ignore[arg-type]

    model_server.script({"content": "loaded"})
    model = load_chat_model("openai:scripted-default")
    assert model.invoke("hi").content == "loaded"
    assert model_server.requests[0]["model"] == "scripted-default"
    with pytest.raises(ValueError, match="provider:model"):
        load_chat_model("gpt-4")


def test_a_run_can_switch_a_model_off_and_misspelt_roles_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BATON_MODEL", "openai:everywhere")
    assert model_name("intake", {"intake": None}) is None
    assert model_name("supervisor", {"default": ""}) is None
    assert model_name("supervisor", {"intake": None}) == "openai:everywhere"
    with pytest.raises(ValueError, match="unknown model roles \\['intkae'\\]"):
        model_name("intake", {"intkae": "openai:x"})


def test_model_answers_are_masked_for_langsmith() -> None:
    from graphs.kit.tracing import hide_sensitive

    output = {
        "parsed": {
            "applicant_name": "X",
            "evidence": [{"field": "state", "quote": "12 Pier Street, ME"}],
        },
        "raw": {
            "content": "",
            "additional_kwargs": {"tool_calls": [{"function": {"arguments": "Pier Street"}}]},
        },
    }
    hidden = hide_sensitive(output)
    assert "Pier Street" not in str(hidden) and hidden["parsed"]["applicant_name"] == "X"
    generations = {"generations": [[{"text": "Mailing Address: 12 Pier Street"}]]}
    assert "Pier Street" not in str(hide_sensitive(generations))

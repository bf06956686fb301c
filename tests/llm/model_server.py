"""A scripted OpenAI-compatible chat server for tests, driven through the real `langchain-openai`
client: `/v1/chat/completions`, streaming and non-streaming, tool calls and `json_schema`
structured output, with injectable faults. It listens on 127.0.0.1 only and records every request.

Each request takes the next step of the script:

- `{"content": "text"}`: an assistant message.
- `{"json": {...}}`: structured output: a tool call when the request offers tools (the first tool,
  or `"tool": name`), else the JSON as the message content (for `response_format: json_schema`).
- `{"tool_call": {"name": ..., "arguments": {...}}}`: an explicit tool call (even to a tool that
  was not offered).
- `{"raw": "{not json"}`: content sent as-is (malformed structured output).
- `{"status": 429, "retry_after": 1}`, `{"status": 500}`: an error response.
- `{"hang": seconds}`: wait before answering (past the client's timeout).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Step = dict[str, Any]


class ScriptedModelServer:
    """Start with `start()`, point clients at `url`, load replies with `script(...)`."""

    def __init__(self) -> None:
        self._steps: deque[Step] = deque()
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The OpenAI base URL (`…/v1`)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> ScriptedModelServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, *steps: Step) -> None:
        """Replace the script: one step per request, in order."""
        with self._lock:
            self._steps = deque(steps)
            self.requests.clear()

    @property
    def remaining(self) -> int:
        return len(self._steps)

    def _next(self, request: dict[str, Any]) -> Step:
        with self._lock:
            self.requests.append(request)
            if not self._steps:
                return {
                    "status": 400,
                    "message": "the test model server has no scripted reply left",
                }
            return self._steps.popleft()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                if not self.path.endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                length = int(self.headers.get("content-length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                step = server._next(request)
                if "hang" in step:
                    time.sleep(float(step["hang"]))
                if "status" in step:
                    headers = (
                        {"retry-after": str(step["retry_after"])} if "retry_after" in step else {}
                    )
                    message = step.get("message", f"injected HTTP {step['status']}")
                    self._send(
                        int(step["status"]),
                        {"error": {"message": message, "type": "injected"}},
                        headers,
                    )
                    return
                message = _message(step, request)
                usage = _usage(request, message)
                if request.get("stream"):
                    self._stream(request, message, usage)
                else:
                    self._send(200, _completion(request, message, usage))

            def _send(
                self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def _stream(
                self, request: dict[str, Any], message: dict[str, Any], usage: dict[str, int]
            ) -> None:
                try:
                    self.send_response(200)
                    self.send_header("content-type", "text/event-stream")
                    self.end_headers()
                    base = {
                        "id": _id(),
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": request.get("model", "scripted"),
                    }
                    chunks: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
                    content = message.get("content") or ""
                    chunks += [{"content": content[i : i + 16]} for i in range(0, len(content), 16)]
                    for index, call in enumerate(message.get("tool_calls") or []):
                        chunks.append({"tool_calls": [{"index": index, **call}]})
                    for delta in chunks:
                        self._event(
                            {
                                **base,
                                "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                            }
                        )
                    finish = "tool_calls" if message.get("tool_calls") else "stop"
                    self._event(
                        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
                    )
                    if (request.get("stream_options") or {}).get("include_usage"):
                        self._event({**base, "choices": [], "usage": usage})
                    self.wfile.write(b"data: [DONE]\n\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _event(self, payload: dict[str, Any]) -> None:
                self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
                self.wfile.flush()

        return Handler


def _id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:12]}"


def _message(step: Step, request: dict[str, Any]) -> dict[str, Any]:
    if "tool_call" in step:
        call = step["tool_call"]
        return {
            "role": "assistant",
            "content": None,
            "tool_calls": [_tool_call(call["name"], call["arguments"])],
        }
    if "json" in step:
        tools = request.get("tools") or []
        if tools:
            name = step.get("tool") or tools[0]["function"]["name"]
            return {
                "role": "assistant",
                "content": None,
                "tool_calls": [_tool_call(name, step["json"])],
            }
        return {"role": "assistant", "content": json.dumps(step["json"])}
    if "raw" in step:
        return {"role": "assistant", "content": step["raw"]}
    return {"role": "assistant", "content": step.get("content", "")}


def _tool_call(name: str, arguments: Any) -> dict[str, Any]:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {
        "id": f"call_{uuid.uuid4().hex[:8]}",
        "type": "function",
        "function": {"name": name, "arguments": text},
    }


def _usage(request: dict[str, Any], message: dict[str, Any]) -> dict[str, int]:
    """Token counts estimated as characters / 4, so tests can compare what agents were sent."""
    prompt = sum(len(json.dumps(m.get("content"))) for m in request.get("messages", [])) // 4 + 1
    completion = len(json.dumps(message.get("content") or message.get("tool_calls"))) // 4 + 1
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _completion(
    request: dict[str, Any], message: dict[str, Any], usage: dict[str, int]
) -> dict[str, Any]:
    return {
        "id": _id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "scripted"),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
            }
        ],
        "usage": usage,
    }

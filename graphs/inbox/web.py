"""The reviewer inbox: server-rendered pages and the JSON API under them, mounted at `/inbox` in
the custom app every server loads (`http.app` in `langgraph.json`).

Who is asking comes from an API key: the `x-api-key` header (the API), or on the pages the key a
reviewer signed in with, kept in an HttpOnly session cookie (never in a URL or a log; gone when the
browser session ends). A submitter's key sees no inbox (403); a reviewer sees the cases waiting for
review; an operator sees every case. Errors are 4xx with a message, never a 500.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import anyio
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from checkpoints.settings import database_url
from checkpoints.trace_store import TraceStore
from graphs.inbox.cases import CaseNotFound, case_detail, waiting_cases
from graphs.inbox.decisions import DecisionProblem, checked_decision, send_decision
from graphs.kit.access import (
    DEVELOPER,
    REVIEWERS,
    AccessMisconfigured,
    access_settings,
    holder_of,
)
from graphs.kit.errors import RequestError
from graphs.kit.inputs import InputRejected, check_json_text, check_thread_id
from graphs.kit.redaction import redact, registered_sensitive_fields
from graphs.kit.workflows import get_workflow, workflow_names

HERE = Path(__file__).parent
COOKIE = "baton_inbox_key"
MAX_FORM_BYTES = 64 * 1024
templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Reader:
    """Who is asking, with the key they asked with (None with BATON_AUTH=off)."""

    identity: str
    role: str
    key: str | None


class Refused(Exception):
    """A request the inbox refuses: its status and why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _reader(key: str | None) -> Reader:
    """The key's holder; Refused 401 (no key, or a wrong one) or 403 (a submitter)."""
    if access_settings().auth == "off":
        return Reader(DEVELOPER, "operator", None)
    holder = holder_of(key)
    if holder is None:
        raise Refused(401, "sign in with your API key" if not key else "that API key is not known")
    if holder.role not in REVIEWERS:
        raise Refused(
            403,
            f"{holder.identity} holds a {holder.role}'s key: the inbox is for reviewers and "
            "operators",
        )
    return Reader(holder.identity, holder.role, key)


Handler = Callable[[Request], Awaitable[Response]]


def api(handler: Callable[[Request, Reader], Awaitable[Response]]) -> Handler:
    """A JSON route: the reader from `x-api-key`; every refusal a 4xx JSON `{detail}`."""

    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        try:
            keys = request.headers.getlist("x-api-key")
            if len(keys) > 1:
                raise Refused(400, "send exactly one x-api-key header")
            return await handler(request, _reader(keys[0] if keys else None))
        except Refused as refused:
            return JSONResponse({"detail": refused.message}, status_code=refused.status)
        except DecisionProblem as problem:
            return JSONResponse(problem.as_json(), status_code=problem.status)
        except CaseNotFound as missing:
            return JSONResponse({"detail": str(missing)}, status_code=404)
        except (RequestError, InputRejected) as error:
            return JSONResponse({"detail": str(error)}, status_code=400)
        except AccessMisconfigured as error:
            return JSONResponse({"detail": str(error)}, status_code=503)

    return wrapper


def page(handler: Callable[[Request, Reader], Awaitable[Response]]) -> Handler:
    """A page: the reader from the session cookie (the sign-in page without one); refusals as a
    page saying why, with their status."""

    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        try:
            reader = _reader(request.cookies.get(COOKIE))
        except Refused as refused:
            if refused.status == 401:
                return _render("sign_in.html", request, None, status=401, error=None)
            return _render(
                "refused.html", request, None, status=refused.status, why=refused.message
            )
        except AccessMisconfigured as error:
            return _render("refused.html", request, None, status=503, why=str(error))
        try:
            return await handler(request, reader)
        except Refused as refused:
            return _render(
                "refused.html", request, reader, status=refused.status, why=refused.message
            )
        except CaseNotFound as missing:
            return _render("refused.html", request, reader, status=404, why=str(missing))
        except (RequestError, InputRejected) as error:
            return _render("refused.html", request, reader, status=400, why=str(error))

    return wrapper


def _render(
    template: str, request: Request, reader: Reader | None, *, status: int = 200, **values: Any
) -> HTMLResponse:
    html = templates.get_template(template).render(
        reader=reader, root=request.scope.get("root_path", ""), **values
    )
    return HTMLResponse(html, status_code=status, headers=_SECURITY_HEADERS)


_SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    # same-origin, not no-referrer: with no-referrer a browser posts its forms with `Origin: null`.
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


async def _read_body(request: Request) -> bytes:
    """The request's body, bounded in size; RequestError past the bound."""
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM_BYTES:
            raise RequestError(f"the body is larger than {MAX_FORM_BYTES // 1024} KB")
    return raw


async def _read_form(request: Request) -> dict[str, str]:
    """An urlencoded form body (bounded in size); RequestError when it is not one."""
    raw = await _read_body(request)
    try:
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
    except UnicodeDecodeError:
        raise RequestError("the form is not UTF-8 text") from None


def _server(request: Request) -> str:
    """This server's own address, from the socket it listens on (never the client's Host
    header, which a client chooses)."""
    host, port = request.scope.get("server") or (None, None)
    if port is None:  # a unix socket: nothing to call back over TCP
        raise DecisionProblem(503, "this server listens on no TCP port the inbox can call")
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(str(host), str(host))
    host = f"[{host}]" if ":" in host else host
    scheme = "https" if request.scope.get("scheme") == "https" else "http"
    return f"{scheme}://{host}:{port}"


def _same_origin(request: Request) -> None:
    """A form posted from another site is refused (403): the browser names where a post comes
    from in `Origin`, and it must be this server (the cookie's SameSite=Strict aside, this also
    covers other ports and sibling hosts, and the sign-in form)."""
    origin = request.headers.get("origin")
    if origin is None:  # not a browser's cross-site post (browsers name the origin of those)
        return
    if origin == "null" and request.headers.get("sec-fetch-site") == "same-origin":
        return  # an origin the browser withholds, on a post it says is from this site
    # The host alone: behind a proxy that ends TLS the scheme differs, the host does not.
    if urlsplit(origin).netloc != request.headers.get("host", ""):
        raise Refused(403, "this form was posted from another site: it is refused")


def _workflow_filter(request: Request) -> str | None:
    chosen = request.query_params.get("workflow") or None
    if chosen is not None:
        get_workflow(chosen)  # UnknownWorkflow (400), naming the known ones
    return chosen


def _thread(request: Request) -> str:
    thread_id = str(request.path_params["thread_id"])
    check_thread_id(thread_id)
    return thread_id


async def _cases(request: Request, workflow: str | None) -> list[Any]:
    search = (request.query_params.get("q") or "").strip()[:200] or None
    return await anyio.to_thread.run_sync(lambda: waiting_cases(database_url(), workflow, search))


async def _detail(reader: Reader, thread_id: str) -> Any:
    return await anyio.to_thread.run_sync(
        lambda: case_detail(database_url(), thread_id, waiting_only=reader.role != "operator")
    )


def _contracts(workflow: str) -> dict[str, type[Any]]:
    entry = get_workflow(workflow)
    return {spec.name: spec.output_contract for spec in [*entry.agents, *entry.specialists()]}


def _gate_of(detail: Any, interrupt_id: str | None) -> dict[str, Any]:
    """The waiting gate a decision answers: the one named, or the only one."""
    gates = detail.gates
    if interrupt_id:
        for gate in gates:
            if gate["interrupt_id"] == interrupt_id:
                return dict(gate)
        raise DecisionProblem(
            409, "that gate is no longer waiting: the case changed; reload it", {}
        )
    if len(gates) == 1:
        return dict(gates[0])
    if not gates:
        raise DecisionProblem(409, f"thread {detail.thread_id!r} is not waiting for review", {})
    names = ", ".join(f"{g['department'] or g['gate']} ({g['interrupt_id']})" for g in gates)
    raise DecisionProblem(422, f"several gates wait: name one by interrupt_id ({names})", {})


def _own_case(reader: Reader, detail: Any) -> str | None:
    """Why this reader may not decide this case (None if they may)."""
    if reader.identity == DEVELOPER:
        return None
    if detail.started_by == reader.identity:
        return (
            f"you ({reader.identity}) started this case, and no one reviews a case they "
            "started: another reviewer decides it"
        )
    for gate in detail.gates:
        waiting = gate["packet"].get("awaiting_second_review") or {}
        if (waiting.get("first") or {}).get("reviewer") == reader.identity:
            return (
                f"you ({reader.identity}) made the first decision on this case, and it waits "
                "for a second, different reviewer to confirm it"
            )
    return None


async def _decide(reader: Reader, request: Request, thread_id: str, given: dict[str, Any]) -> Any:
    detail = await _detail(reader, thread_id)
    own = _own_case(reader, detail)
    if own is not None:
        raise DecisionProblem(403, own)
    gate = _gate_of(detail, given.get("interrupt_id"))
    decision = checked_decision(given, gate, _contracts(detail.workflow), reader.identity)
    return await send_decision(
        _server(request), reader.key, thread_id, detail.workflow, gate["interrupt_id"], decision
    )


# ---- the JSON API ------------------------------------------------------------------------------


@api
async def api_cases(request: Request, reader: Reader) -> Response:
    workflow = _workflow_filter(request)
    cases = await _cases(request, workflow)
    body: dict[str, Any] = {"cases": [case.as_json() for case in cases], "reader": _who(reader)}
    if reader.role == "operator":
        body["recent_threads"] = await _recent(reader, workflow)
    return JSONResponse(body)


@api
async def api_case(request: Request, reader: Reader) -> Response:
    detail = await _detail(reader, _thread(request))
    body = detail.as_json()
    body["may_decide"] = _own_case(reader, detail) is None
    body["why_not"] = _own_case(reader, detail)
    return JSONResponse(body)


@api
async def api_decide(request: Request, reader: Reader) -> Response:
    thread_id = _thread(request)
    raw = await _read_body(request)
    try:
        given = json.loads(raw)
        check_json_text(given, where="decision")
    except (ValueError, RecursionError) as error:
        raise RequestError(f"the body is not a JSON decision: {error}") from None
    if not isinstance(given, dict):
        raise RequestError("the body is a JSON object: {action, packet, note?, corrections?}")
    result = await _decide(reader, request, thread_id, given)
    hidden = registered_sensitive_fields()
    return JSONResponse({"thread_id": thread_id, "result": redact(result, hidden)})


def _who(reader: Reader) -> dict[str, str]:
    return {"identity": reader.identity, "role": reader.role}


# ---- the pages ---------------------------------------------------------------------------------


async def _recent(reader: Reader, workflow: str | None) -> list[dict[str, Any]]:
    """For an operator, who sees every case: the most recently updated threads, any status."""
    if reader.role != "operator":
        return []
    rows = await anyio.to_thread.run_sync(lambda: TraceStore(database_url()).list_threads(100))
    return [
        {k: str(v) if k.endswith("_at") else v for k, v in row.items()}
        for row in rows
        if workflow is None or row["workflow"] == workflow
    ]


@page
async def queue_page(request: Request, reader: Reader) -> Response:
    workflow = _workflow_filter(request)
    cases = await _cases(request, workflow)
    recent = await _recent(reader, workflow)
    return _render(
        "queue.html",
        request,
        reader,
        cases=cases,
        workflows=workflow_names(),
        workflow=workflow,
        q=request.query_params.get("q") or "",
        decided=_decided(request),
        recent=recent,
        age=_age,
    )


@page
async def case_page(request: Request, reader: Reader) -> Response:
    thread_id = _thread(request)
    detail = await _detail(reader, thread_id)
    return _case(request, reader, detail)


def _case(
    request: Request,
    reader: Reader,
    detail: Any,
    *,
    status: int = 200,
    problem: DecisionProblem | None = None,
    given: dict[str, Any] | None = None,
) -> HTMLResponse:
    return _render(
        "case.html",
        request,
        reader,
        status=status,
        case=detail,
        why_not=_own_case(reader, detail),
        problem=problem,
        given=given or {},
    )


@page
async def decide_page(request: Request, reader: Reader) -> Response:
    _same_origin(request)
    thread_id = _thread(request)
    form = await _read_form(request)
    corrections = {
        name.removeprefix("corrections."): value
        for name, value in form.items()
        if name.startswith("corrections.")
    }
    given: dict[str, Any] = {
        "action": form.get("action"),
        "packet": form.get("packet"),
        "interrupt_id": form.get("interrupt_id"),
        "note": form.get("note"),
        # The form always carries the amendable fields (filled with their values now): they
        # are corrections only when the reviewer chose to amend.
        "corrections": corrections if form.get("action") == "amend" else None,
        "shown": corrections,
    }
    try:
        await _decide(reader, request, thread_id, given)
    except DecisionProblem as problem:
        try:
            detail = await _detail(reader, thread_id)
        except CaseNotFound:
            return _render(
                "refused.html", request, reader, status=problem.status, why=problem.message
            )
        stale = "packet" in problem.fields and "stale" in problem.message
        # A stale packet: the case is shown again as it is now, and the reviewer decides afresh.
        return _case(
            request, reader, detail, status=problem.status, problem=problem,
            given={} if stale else given,
        )  # fmt: skip
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/?decided={quote(thread_id)}", status_code=303)


def _decided(request: Request) -> str | None:
    """The thread a decision was just recorded on (shown only when it is a thread id)."""
    thread_id = request.query_params.get("decided")
    if not thread_id:
        return None
    try:
        check_thread_id(thread_id)
    except (RequestError, InputRejected, ValueError):
        return None
    return thread_id


async def sign_in(request: Request) -> Response:
    try:
        _same_origin(request)
        form = await _read_form(request)
    except Refused as refused:
        return _render("refused.html", request, None, status=refused.status, why=refused.message)
    except RequestError as error:
        return _render("sign_in.html", request, None, status=400, error=str(error))
    key = form.get("key", "").strip()
    try:
        _reader(key)
    except Refused as refused:
        status = 401 if refused.status == 401 else refused.status
        return _render("sign_in.html", request, None, status=status, error=refused.message)
    except AccessMisconfigured as error:
        return _render("refused.html", request, None, status=503, why=str(error))
    root = request.scope.get("root_path", "")
    response = RedirectResponse(f"{root}/", status_code=303)
    response.set_cookie(
        COOKIE, key, httponly=True, samesite="strict", path=root or "/",
        secure=request.url.scheme == "https",
    )  # fmt: skip
    return response


async def sign_out(request: Request) -> Response:
    try:
        _same_origin(request)
    except Refused as refused:
        return _render("refused.html", request, None, status=refused.status, why=refused.message)
    root = request.scope.get("root_path", "")
    response = RedirectResponse(f"{root}/", status_code=303)
    response.delete_cookie(COOKIE, path=root or "/")
    return response


def _age(seconds: int) -> str:
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def inbox_app() -> Starlette:
    """The inbox, to mount at `/inbox`."""
    return Starlette(
        routes=[
            Route("/", queue_page, methods=["GET"]),
            Route("/sign-in", sign_in, methods=["POST"]),
            Route("/sign-out", sign_out, methods=["POST"]),
            Route("/cases/{thread_id}", case_page, methods=["GET"]),
            Route("/cases/{thread_id}/decision", decide_page, methods=["POST"]),
            Route("/api/cases", api_cases, methods=["GET"]),
            Route("/api/cases/{thread_id}", api_case, methods=["GET"]),
            Route("/api/cases/{thread_id}/decision", api_decide, methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
    )

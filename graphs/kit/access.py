"""Who may do what: API keys mapped to identities and roles, and the checks the graph makes itself.

Keys come from the file named by `BATON_API_KEYS_FILE`: a JSON object mapping the SHA-256 hex digest
of each key to `{"identity": …, "role": "submitter" | "reviewer" | "operator"}`. The server's auth
layer (`graphs.server.auth`) turns a key into a principal; because servers differ in what their auth
covers, the graph checks again from the principal the server puts into the run's config: a run on
a thread by anyone but its owner or an operator is refused, and only a reviewer or an operator can
answer a review gate, never on a case they started. The principal is sealed (HMAC with
`BATON_PRINCIPAL_SECRET`, else with a key derived from the keys file), so a client that slips its
own `langgraph_auth_user` into a run's config cannot pass for anyone else; the seal is dated, and a
review gate takes answers only under a recent one, so a seal copied from another run's config cannot
answer a gate later.

Runs started in-process (`baton`, `open_workflow`) carry no principal: whoever can run them has the
database already.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from graphs.kit.errors import RequestError

Role = Literal["submitter", "reviewer", "operator"]
STARTERS: frozenset[str] = frozenset({"submitter", "operator"})
REVIEWERS: frozenset[str] = frozenset({"reviewer", "operator"})
DEVELOPER = "local-developer"
"""The identity every request gets with `BATON_AUTH=off`."""
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class AccessSettings(BaseSettings):
    """`BATON_AUTH` (`on` unless explicitly `off`), `BATON_API_KEYS_FILE`,
    `BATON_PRINCIPAL_SECRET` and `BATON_PRINCIPAL_TTL`."""

    model_config = SettingsConfigDict(env_prefix="BATON_", extra="ignore")

    auth: Literal["on", "off"] = "on"
    api_keys_file: Path | None = None
    principal_secret: str | None = Field(default=None, min_length=32, repr=False)
    """The key principals are sealed with (`BATON_PRINCIPAL_SECRET`, 32 characters or more, the
    same for every server process). Without it the seal key is derived from the keys file, which
    must then be kept as secret as this."""
    principal_ttl: int = Field(default=600, ge=1)
    """Seconds a sealed principal may answer a review gate after the request that carried it
    (`BATON_PRINCIPAL_TTL`): an answer brought with an older seal (one copied from another run) is
    refused and the gate stays open."""


class KeyHolder(BaseModel):
    """Whom an API key stands for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    identity: str = Field(min_length=1, max_length=200)
    role: Role


class KeysFile(RootModel[dict[str, KeyHolder]]):
    """The keys file: SHA-256 hex digest of a key → its holder."""


class AccessMisconfigured(RuntimeError):
    """The server's access settings are unusable (the message says what and where)."""


class AccessRefused(RequestError):
    """A principal tried something its role does not allow."""


@dataclass(frozen=True)
class Principal:
    identity: str
    role: Role | None
    """None when the server passed a user Baton did not vouch for."""
    unvouched: str | None = None
    """Why a role the server passed was not believed, when it was sealed but is too old, or
    made for another thread or action."""
    nonce: str | None = None
    """The one-time number of the request the seal was made for."""
    action: str | None = field(default=None, compare=False)
    """What the request was sealed for (`run`, `resume`, `read`); None in process."""


def access_settings() -> AccessSettings:
    try:
        return AccessSettings()
    except ValidationError as error:
        problems = "; ".join(
            f"BATON_{str(item['loc'][0]).upper()}: {item['msg']}"
            for item in error.errors(include_url=False)
        )
        raise AccessMisconfigured(problems) from None


def key_digest(key: str) -> str:
    """What the keys file stores for `key`."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def keys_file() -> tuple[dict[str, KeyHolder], bytes]:
    """The key holders by digest, and the file's bytes (the signing secret is derived from them).
    AccessMisconfigured when no file is configured or it cannot be used."""
    path = access_settings().api_keys_file
    if path is None:
        raise AccessMisconfigured(
            "no API keys are configured: set BATON_API_KEYS_FILE (or BATON_AUTH=off for local "
            "development)"
        )
    try:
        stat = path.stat()
        return _parsed_keys(str(path), stat.st_mtime_ns, stat.st_size)
    except OSError as error:
        raise AccessMisconfigured(f"BATON_API_KEYS_FILE {path}: {error.strerror}") from error


@cache
def _parsed_keys(path: str, mtime_ns: int, size: int) -> tuple[dict[str, KeyHolder], bytes]:
    raw = Path(path).read_bytes()
    try:
        holders = KeysFile.model_validate_json(raw).root
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or '(file)'}: {item['msg']}"
            for item in error.errors(include_url=False)
        )
        raise AccessMisconfigured(f"BATON_API_KEYS_FILE {path} is invalid: {problems}") from None
    malformed = [digest[:8] + "…" for digest in holders if not _DIGEST.match(digest)]
    if malformed:
        raise AccessMisconfigured(
            f"BATON_API_KEYS_FILE {path}: keys must be SHA-256 hex digests (64 lowercase hex "
            f"characters), not {malformed}"
        )
    if any(holder.identity == DEVELOPER for holder in holders.values()):
        raise AccessMisconfigured(
            f"BATON_API_KEYS_FILE {path}: the identity {DEVELOPER!r} is reserved for BATON_AUTH=off"
        )
    return holders, raw


def holder_of(key: str | None) -> KeyHolder | None:
    """The holder of an API key, or None for a missing or unknown key."""
    if not key:
        return None
    holders, _ = keys_file()
    return holders.get(key_digest(key))


BINDING_HEADER = "x-baton-binding"
"""Request header through which the server's request boundary (`graphs.server.boundary`) tells the auth
layer what a request may do: `THREAD;ACTION;NONCE`. The boundary replaces whatever a client sent."""
ANY_THREAD = "*"
"""The thread of a binding for a request naming none (an operator's stateless run)."""


@dataclass(frozen=True)
class Binding:
    """What one request's seal is good for: one thread, one action (`run` or `resume`), once."""

    thread_id: str
    action: Literal["run", "resume", "read"]
    nonce: str

    def header(self) -> str:
        return f"{self.thread_id};{self.action};{self.nonce}"

    @classmethod
    def parse(cls, header: str | None) -> Binding | None:
        parts = (header or "").split(";")
        if len(parts) != 3 or parts[1] not in ("run", "resume", "read") or not parts[2]:
            return None
        return cls(parts[0], parts[1], parts[2])  # type: ignore[arg-type]


def signature(identity: str, role: str, sealed_at: int, binding: str = "") -> str:
    """The seal the auth layer puts on a principal at `sealed_at` (Unix seconds) for one request
    (`binding`, a `Binding.header()`): an HMAC with `BATON_PRINCIPAL_SECRET`, else with a key
    derived from the keys file."""
    configured = access_settings().principal_secret
    if configured is not None:
        secret = hashlib.sha256(b"baton principal\n" + configured.encode()).digest()
    else:
        _, raw = keys_file()
        secret = hashlib.sha256(b"baton principal\n" + raw).digest()
    message = f"{identity}\n{role}\n{sealed_at}\n{binding}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def user_for(
    identity: str,
    role: Role,
    *,
    sealed: bool = True,
    sealed_at: int | None = None,
    binding: Binding | None = None,
) -> dict[str, Any]:
    """The user the auth layer hands the server for this principal, sealed now (or at
    `sealed_at`) for the request `binding` describes."""
    at = int(time.time()) if sealed_at is None else sealed_at
    bound = binding.header() if binding is not None else ""
    return {
        "identity": identity,
        "display_name": identity,
        "role": role,
        "permissions": [f"role:{role}"],
        "baton_sealed_at": at,
        "baton_binding": bound,
        "baton_seal": signature(identity, role, at, bound) if sealed else "",
    }


CLOCK_SKEW = 60
"""Seconds a seal may seem to come from the future (server processes' clocks differ a little)."""


def principal_of(config: RunnableConfig, *, fresh: bool = False) -> Principal | None:
    """The principal a server attached to this run, or None for an in-process run.

    A sealed principal is believed only for the thread its seal was made for (a seal read out of
    one case's runs cannot act on another). With `fresh` (answers to review gates, which are kept
    for good), the seal must also have been made for a resume, within `BATON_PRINCIPAL_TTL`; the
    gate then spends its nonce, so it answers once."""
    configurable: Mapping[str, Any] = config.get("configurable") or {}
    if "langgraph_auth_user" not in configurable and "user_id" not in configurable:
        return None
    user = configurable.get("langgraph_auth_user")
    identity = str(user_field(user, "identity") or configurable.get("user_id") or "anonymous")
    role = user_field(user, "role")
    if role not in ("submitter", "reviewer", "operator"):
        return Principal(identity, None)
    if access_settings().auth == "off":
        return Principal(identity, role)
    sealed_at = user_field(user, "baton_sealed_at")
    if not isinstance(sealed_at, int) or isinstance(sealed_at, bool):
        return Principal(identity, None)
    bound = str(user_field(user, "baton_binding") or "")
    try:
        genuine = hmac.compare_digest(
            str(user_field(user, "baton_seal") or ""), signature(identity, role, sealed_at, bound)
        )
    except AccessMisconfigured:
        genuine = False
    if not genuine:
        return Principal(identity, None)
    binding = Binding.parse(bound)
    thread_id = str(configurable.get("thread_id") or "")
    if binding is None:
        return Principal(
            identity,
            None,
            "its credentials are not bound to a request (is the server's "
            "http.app, graphs.server.boundary, configured?)",
        )
    if binding.thread_id != thread_id and not (
        binding.thread_id == ANY_THREAD and role == "operator"
    ):
        return Principal(identity, None, "its credentials were issued for another thread")
    if fresh:
        if binding.action != "resume":
            return Principal(
                identity, None, f"its credentials were issued to {binding.action}, not to answer"
            )
        age, ttl = int(time.time()) - sealed_at, access_settings().principal_ttl
        if age > ttl or age < -CLOCK_SKEW:
            return Principal(
                identity,
                None,
                f"its credentials were sealed {age} s ago, outside BATON_PRINCIPAL_TTL ({ttl} s): "
                "send the answer again",
            )
    return Principal(identity, role, nonce=binding.nonce, action=binding.action)


def user_field(user: Any, name: str) -> Any:
    """A field of the user a server hands over: a dict (Aegra), a mapping-like object
    (langgraph-api's ProxyUser) or an object with attributes (Aegra's handler context)."""
    if user is None:
        return None
    try:
        return user[name]
    except (KeyError, TypeError, IndexError):
        return getattr(user, name, None)


OWNER_KEY = "owner"
"""State key, when the state has it, of who started the thread through a server: the supervisor
records it on the first run and refuses runs by anyone else but an operator."""


def first_owner(current: str | None, update: str | None) -> str | None:
    """The state reducer of a thread's owner: once set, it stays (a run cannot rewrite it)."""
    return current if current is not None else update


def require_starter(principal: Principal | None, owner: str | None) -> None:
    """A run on a thread: its owner (a submitter) or an operator; AccessRefused otherwise. A
    reviewer's answer to a review gate of a case someone owns carries that case on past the
    gate (in a hierarchy, a department's gate answered sends it on through the orchestrator);
    a reviewer never starts a case (a case without an owner is a new one)."""
    if principal is None or principal.role == "operator":
        return
    if principal.role in REVIEWERS and principal.action == "resume" and owner is not None:
        return
    if principal.role is None:
        raise AccessRefused(f"{principal.identity!r} has no Baton role: runs are refused")
    if principal.role not in STARTERS:
        raise AccessRefused(
            f"{principal.identity!r} is a {principal.role}: only the submitter who owns a case or "
            "an operator may run it"
        )
    if owner is not None and owner != principal.identity:
        raise AccessRefused(f"{principal.identity!r} does not own this case")


def reviewer_refusal(principal: Principal | None, owner: str | None = None) -> str | None:
    """Why this principal may not answer a review gate (None if it may): only reviewers and
    operators may, and never on a case they started themselves."""
    if principal is None:
        return None
    if principal.unvouched is not None:
        return f"{principal.identity!r} was not believed: {principal.unvouched}"
    if principal.role not in REVIEWERS:
        role = principal.role or "no Baton role"
        return f"{principal.identity!r} ({role}) may not answer a review gate: reviewers and operators may"
    if owner is not None and principal.identity == owner and principal.identity != DEVELOPER:
        # With BATON_AUTH=off every request is the one local developer, who starts and reviews
        # its own cases (the body's reviewer name stands); with keys, no one reviews their own.
        return f"{principal.identity!r} started this case and may not review it"
    return None

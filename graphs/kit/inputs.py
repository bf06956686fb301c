"""Checks at the edge, the same for the command line and the servers: thread ids, and JSON that
no database or contract downstream can choke on.

PostgreSQL refuses a NUL in text where SQLite stores it, a lone surrogate cannot be encoded as
UTF-8, Python refuses integers past 4,300 digits only when converting them, and deep nesting
exhausts the stack: each would fail a run half-way through, after something was saved, with an
internal error. Here they are refused before anything runs, naming the field."""

from __future__ import annotations

import json
import re
from typing import Any

from graphs.kit.errors import RequestError

THREAD_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
"""A thread id: 1 to 64 characters, letters, digits and `. _ : -`, starting with a letter or a
digit (a UUID fits; every ledger and queue column is sized for it)."""
MAX_DEPTH = 64
"""How deeply the JSON of an input may nest."""
MAX_INT_DIGITS = 100
"""The most digits an integer in an input may have."""
_MAX_INT_BITS = (10**MAX_INT_DIGITS).bit_length()
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
"""C0 controls and DEL, but tab, line feed, carriage return and form feed (a page break in text
taken from documents)."""
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class InputRejected(RequestError):
    """An input no workflow may take: the message says what and where."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def check_thread_id(thread_id: str) -> str:
    """`thread_id` if it is a valid thread id; InputRejected saying what a thread id may be."""
    if not THREAD_ID.fullmatch(thread_id):
        shown = thread_id if len(thread_id) <= 40 else thread_id[:40] + "…"
        raise InputRejected(
            f"thread id {shown!r} ({len(thread_id)} characters) is not valid: 1 to 64 letters, "
            "digits and '.', '_', ':', '-', starting with a letter or a digit",
            "thread_id",
        )
    return thread_id


def check_json_text(value: Any, *, where: str, parse: bool = False) -> Any:
    """`value` (JSON text when `parse`) as JSON data, or InputRejected naming the field that
    nests too deeply, holds a control character or a lone surrogate, or an integer too long.
    `where` names the value in messages (empty: field paths start at its keys)."""
    if parse:
        shown = where or "the JSON"
        try:
            value = json.loads(value)
        except RecursionError:
            raise InputRejected(f"{shown}: nested more than {MAX_DEPTH} levels deep") from None
        except ValueError as error:  # JSONDecodeError, and integers past Python's digit limit
            raise InputRejected(f"{shown}: not valid JSON ({error})") from None
    _walk(value, where)
    return value


def _walk(value: Any, where: str) -> None:
    stack: list[tuple[Any, str, int]] = [(value, where, 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputRejected(f"{path}: nested more than {MAX_DEPTH} levels deep", path)
        if isinstance(item, str):
            _check_string(item, path)
        elif isinstance(item, bool) or item is None or isinstance(item, float):
            continue
        elif isinstance(item, int):
            if item.bit_length() > _MAX_INT_BITS:
                raise InputRejected(
                    f"{path}: an integer of more than {MAX_INT_DIGITS} digits", path
                )
        elif isinstance(item, dict):
            for key, child in item.items():
                name = str(key)
                _check_string(name, f"{path} (a key)")
                stack.append((child, f"{path}.{name}" if path else name, depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))


def _check_string(text: str, path: str) -> None:
    path = path or "(value)"
    control = _CONTROL.search(text)
    if control is not None:
        raise InputRejected(
            f"{path}: control character U+{ord(control.group()):04X} at position "
            f"{control.start()} (not allowed in any text)",
            path,
        )
    surrogate = _SURROGATE.search(text)
    if surrogate is not None:
        raise InputRejected(
            f"{path}: lone surrogate U+{ord(surrogate.group()):04X} at position "
            f"{surrogate.start()} (not valid Unicode text)",
            path,
        )

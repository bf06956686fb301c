"""Data and policy files read into typed models at load: a value of the wrong type is an error
naming the file, the key and the line, never a crash half-way through a run.

(PyYAML reads YAML 1.1, where `1.0e15` is a string and `1.0e+15` a number: exactly the kind of
slip this catches when the file is loaded, not when the first large loss is rated.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class DataFileError(ValueError):
    """A data or policy file that cannot be used (the message names the file, key and line)."""


_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it: it reads a file ten times faster."""


class UniqueKeyLoader(_SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (the second would silently
    replace the first: a category's cues, an intent's team)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, list | dict):
                continue  # unhashable: the base class refuses it with its own message
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(path: Path, model: type[M]) -> M:
    """`path` validated strictly (nothing coerced: "10" is not a number) into `model`; a key
    given twice in one mapping is refused."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.load(text, Loader=UniqueKeyLoader)
    except OSError as error:
        raise DataFileError(f"{path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise DataFileError(f"{path}: not UTF-8 text ({error.reason})") from None
    except yaml.YAMLError as error:
        raise DataFileError(f"{path}: not valid YAML ({error})") from None
    try:
        return model.model_validate(raw, strict=True)
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False):
            key = ".".join(str(part) for part in item["loc"]) or "(file)"
            line = line_of(text, item["loc"])
            where = f"{key} (line {line})" if line else key
            problems.append(f"{where}: {item['msg']} (got {item.get('input')!r})")
        raise DataFileError(f"{path}: " + "; ".join(problems)) from None


def describe(error: ValidationError) -> list[str]:
    """One line per broken rule: `key: message (got value)`."""
    return [
        f"{'.'.join(str(part) for part in item['loc']) or '(row)'}: {item['msg']} "
        f"(got {item.get('input')!r})"
        for item in error.errors(include_url=False)
    ]


def line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The line of the value at `loc` in the YAML text (the nearest enclosing one found)."""
    node = yaml.compose(text)
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if str(k.value) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            found = node.value[part] if part < len(node.value) else None
        else:
            found = None
        if found is None:
            break
        node = found
        line = node.start_mark.line + 1
    return line

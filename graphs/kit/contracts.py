"""Validating contracts at a handoff: strict, JSON-shaped, with field-level reasons."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import to_json

M = TypeVar("M", bound=BaseModel)


class ContractViolation(ValueError):
    """Data that breaks a contract; the message names each field and the rule it broke."""

    def __init__(self, contract: type[BaseModel], errors: list[str], where: str) -> None:
        self.contract = contract
        self.where = where
        self.errors = errors
        super().__init__(f"{where} breaks {contract.__name__}: {'; '.join(self.errors)}")


def describe_errors(error: ValidationError) -> list[str]:
    """One line per broken rule: `field.path: message [rule]`."""
    lines = []
    for item in error.errors(include_url=False):
        path = ".".join(str(part) for part in item["loc"]) or "(whole object)"
        lines.append(f"{path}: {item['msg']} [{item['type']}]")
    return lines


def validate_contract(contract: type[M], data: Any, *, where: str) -> M:
    """Validate JSON-shaped data (or a model) against a contract in strict mode, so that nothing
    is coerced silently ("5" is not an int); dates and enums are read from their JSON form."""
    if isinstance(data, BaseModel) and not isinstance(data, contract):
        raise ContractViolation(contract, [f"(whole object): got a {type(data).__name__}"], where)
    payload = data.model_dump_json() if isinstance(data, BaseModel) else to_json(data)
    try:
        return contract.model_validate_json(payload, strict=True)
    except ValidationError as error:
        raise ContractViolation(contract, describe_errors(error), where) from error

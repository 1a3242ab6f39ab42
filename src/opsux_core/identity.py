"""The dedupe identity of a run: a hash of tenant, operation type and canonical inputs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from opsux_core.errors import InvalidIdentifier
from opsux_core.identifiers import check_text


class InvalidRunInputs(ValueError):
    """Run inputs that cannot be put in canonical form (they must be JSON values)."""


def canonical_inputs(inputs: Mapping[str, Any] | None) -> dict[str, Any]:
    """A JSON-round-tripped copy of *inputs*; raises :class:`InvalidRunInputs` for other values."""
    if inputs is None:
        return {}
    if not isinstance(inputs, Mapping):
        raise InvalidRunInputs(f"inputs must be a mapping, not {type(inputs).__name__}")
    try:
        clean: dict[str, Any] = json.loads(_dump(dict(inputs)))
    except (TypeError, ValueError) as exc:
        raise InvalidRunInputs(f"inputs must be JSON values (str, int, list, dict, ...): {exc}") from None
    try:
        _check_strings(clean, "inputs")
    except InvalidIdentifier as exc:
        # PostgreSQL's JSONB rejects these strings; SQLite would store them: one answer for both.
        raise InvalidRunInputs(str(exc)) from None
    return clean


def _check_strings(value: Any, where: str) -> None:
    if isinstance(value, str):
        check_text(where, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(f"{where} key", key)
            _check_strings(item, f"{where}[{key!r}]")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, f"{where}[{index}]")


def run_identity(
    tenant_id: str,
    operation_type: str,
    inputs: Mapping[str, Any] | None = None,
    identity: str | None = None,
) -> str:
    """The identity hash; an explicit *identity* (a per-click nonce, say) replaces the inputs.

    Tenant and type are always part of it, so equal inputs of two types never dedupe together.
    """
    payload: dict[str, Any] = {"tenant": tenant_id, "type": operation_type}
    if identity is not None:
        payload["identity"] = str(identity)
    else:
        payload["inputs"] = canonical_inputs(inputs)
    return hashlib.sha256(_dump(payload).encode("utf-8")).hexdigest()


def _dump(value: Any) -> str:
    # sort_keys makes {"a": 1, "b": 2} and {"b": 2, "a": 1} the same run; NaN has no canonical form.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

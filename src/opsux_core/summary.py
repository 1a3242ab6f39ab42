"""summary_counts: the one canonical metrics field, a flat map of whitelisted key -> count.

Display is forgiving (anything not a whitelisted non-negative integer is dropped); writes are strict
(the same things raise :class:`InvalidSummaryCounts`, naming the key).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from opsux_core.errors import InvalidSummaryCounts
from opsux_core.policy import DEFAULT_SUMMARY_KEYS

MAX_COUNT = 2**53 - 1
"""The largest count opsux stores: JSON readers (browsers among them) lose precision above it."""


class SummaryKeys:
    """The whitelist, in display order. Defined once per project (``summary_keys`` in the config)."""

    __slots__ = ("_keys", "_order")

    def __init__(self, keys: Iterable[str] = DEFAULT_SUMMARY_KEYS) -> None:
        self._keys = tuple(keys)
        self._order = {key: index for index, key in enumerate(self._keys)}

    def __contains__(self, key: object) -> bool:
        return key in self._order

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> tuple[str, ...]:
        return self._keys

    def normalize(self, raw: object) -> dict[str, int]:
        """Counts fit for display, in whitelist order; anything dubious is dropped, never raised."""
        if not isinstance(raw, Mapping):
            return {}
        clean: dict[str, int] = {}
        for key, value in raw.items():
            if key not in self._order:
                continue
            count = _as_count(value)
            if count is not None:
                clean[key] = count
        return dict(sorted(clean.items(), key=lambda item: self._order[item[0]]))

    def validate(self, counts: object) -> dict[str, int]:
        """Counts fit to write; raises :class:`InvalidSummaryCounts` on the first bad entry."""
        if not isinstance(counts, Mapping):
            raise InvalidSummaryCounts("*", counts, "summary_counts must be a flat mapping of key -> count")
        clean: dict[str, int] = {}
        for key, value in counts.items():
            self._check_key(key, value)
            clean[key] = _strict_count(key, value)
        return clean

    def validate_increment(self, deltas: Mapping[str, object]) -> dict[str, int]:
        """Increments fit to apply: whitelisted keys, non-negative integers."""
        if not deltas:
            raise InvalidSummaryCounts("*", {}, "nothing to increment")
        return self.validate(deltas)

    def _check_key(self, key: object, value: object) -> None:
        if not isinstance(key, str):
            raise InvalidSummaryCounts(str(key), value, "keys must be strings")
        if key not in self._order:
            raise InvalidSummaryCounts(
                key, value, f"not a whitelisted key (allowed: {', '.join(self._keys)})"
            )


def _as_count(value: object) -> int | None:
    # bool is an int subclass; True is not a count.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_COUNT else None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        # Legacy rows written through JSON encoders that emit 3.0 for 3.
        return _as_count(int(value))
    return None


def _strict_count(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidSummaryCounts(key, value, f"counts must be integers, not {type(value).__name__}")
    if value < 0:
        raise InvalidSummaryCounts(key, value, "counts must not be negative")
    if value > MAX_COUNT:
        raise InvalidSummaryCounts(key, value, f"counts must not exceed {MAX_COUNT}")
    return value


def normalize_summary_counts(raw: object, keys: Iterable[str] = DEFAULT_SUMMARY_KEYS) -> dict[str, int]:
    """Display form of *raw* under the whitelist *keys* (see :meth:`SummaryKeys.normalize`)."""
    return SummaryKeys(keys).normalize(raw)


def validate_summary_counts(counts: object, keys: Iterable[str] = DEFAULT_SUMMARY_KEYS) -> dict[str, int]:
    """Write form of *counts* under the whitelist *keys* (see :meth:`SummaryKeys.validate`)."""
    return SummaryKeys(keys).validate(counts)

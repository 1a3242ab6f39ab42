"""Checks for the identifiers a run stores (tenant, initiator), applied before any write or read.

SQLite stores a 300-character tenant id or one with a NUL byte without complaint; PostgreSQL
raises a raw ``DataError`` for both. Checking here gives one clear error on every database.
"""

from __future__ import annotations

from opsux_core.errors import InvalidIdentifier


def check_identifier(field: str, value: object, max_length: int) -> str:
    """*value* if it is a non-empty string of at most *max_length* characters that any database stores."""
    if not isinstance(value, str):
        raise InvalidIdentifier(field, value, f"must be a string, not {type(value).__name__}")
    if not value.strip():
        raise InvalidIdentifier(field, value, "must not be empty or blank")
    if len(value) > max_length:
        raise InvalidIdentifier(field, value, f"is {len(value)} characters long; at most {max_length} fit")
    return check_text(field, value)


def check_text(field: str, value: str) -> str:
    """*value* if every database can store it: no NUL character and valid UTF-8 (no lone surrogates)."""
    if "\x00" in value:
        raise InvalidIdentifier(field, value, "contains a NUL character, which PostgreSQL cannot store")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidIdentifier(field, value, "is not valid UTF-8 text (it contains a lone surrogate)") from None
    return value


def storable_text(value: str) -> str:
    """*value* with what no database can store replaced, for free text such as an exception message."""
    return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")

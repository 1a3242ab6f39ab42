"""The opsux schema as Alembic revisions, so an upgrade of opsux comes with its migrations.

``opsux init-db`` / ``opsux db upgrade`` (or :func:`opsux_core.schema.upgrade`) run them with their
own version table (``opsux_alembic_version``), independent of the application's own Alembic history.
:func:`render_item` lets an application's autogenerate include ``Base.metadata`` and produce a
migration that runs as generated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext

VERSION_TABLE = "opsux_alembic_version"
SCRIPT_LOCATION = "opsux_core:migrations"


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Alembic ``render_item`` hook: render opsux's column types as plain SQLAlchemy types.

    Without it autogenerate writes ``opsux_core.models.UtcDateTime(...)`` with no import, and
    ``JSONB(astext_type=Text())`` with no ``Text`` import: the migration fails with ``NameError``.
    ``UtcDateTime`` becomes ``sa.DateTime(timezone=True)`` (the same column; the UTC handling is
    Python-side and stays in the model), the counts ``sa.JSON()`` with a ``JSONB()`` variant.
    """
    from sqlalchemy import JSON

    from opsux_core.models import UtcDateTime

    if type_ != "type":
        return False
    if isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, JSON) and "postgresql" in getattr(obj, "_variant_mapping", {}):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')"
    return False

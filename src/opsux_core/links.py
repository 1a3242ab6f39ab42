"""The one link builder: run and index URLs from the config templates, never hand-built."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote

from opsux_core.policy import Links

if TYPE_CHECKING:
    from opsux_core.policy import Policy


@dataclass(frozen=True)
class RunLinks:
    """Builds ``links.run`` / ``links.index`` URLs; every substituted value is URL-escaped."""

    templates: Links = field(default_factory=Links)

    @classmethod
    def from_policy(cls, policy: Policy) -> RunLinks:
        return cls(policy.links)

    def run_url(self, run_id: object, tenant_id: object = "") -> str:
        return self.templates.run.format(run_id=_escape(run_id), tenant_id=_escape(tenant_id))

    def index_url(self, tenant_id: object = "") -> str:
        return self.templates.index.format(tenant_id=_escape(tenant_id))


def _escape(value: object) -> str:
    if type(value) is int:
        return str(value)  # digits only: nothing to escape (run ids)
    return _quoted(str(value))


@lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    # safe="" so that a tenant id like "a/b" or "../x" cannot change the path's shape. Cached: the
    # widget and the runs list escape the same tenant for every row of every poll.
    return quote(text, safe="")

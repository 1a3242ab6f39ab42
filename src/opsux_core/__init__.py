"""opsux_core: the run model, catalog, service, notifier, presenter, links and progress widget.

Names that need SQLAlchemy (the models, the service, the widget) are imported lazily, so that
``import opsux_core.policy`` (what the linter does) never loads SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from opsux_core.catalog import UNKNOWN_OPERATION_LABEL, OperationCatalog
from opsux_core.errors import (
    ConfigError,
    ConfigNotFound,
    CountOverflow,
    DatabaseUnavailable,
    DispatchFailed,
    InvalidIdentifier,
    InvalidSummaryCounts,
    InvalidTransition,
    LeaseLost,
    OpsuxError,
    RunAlreadyClaimed,
    RunNotFound,
    UnregisteredOperationType,
    UnsupportedDatabase,
)
from opsux_core.links import RunLinks
from opsux_core.policy import (
    Links,
    OperationType,
    Policy,
    RunSettings,
    find_config,
    load_policy,
    policy_from_mapping,
)
from opsux_core.polling import PollingCadence, next_poll_interval
from opsux_core.presenter import Presenter, TerminalContent, Toast
from opsux_core.status import (
    ACTIVE,
    TERMINAL,
    RunOutcome,
    RunStatus,
    UxStatus,
    ux_status,
)
from opsux_core.summary import (
    SummaryKeys,
    normalize_summary_counts,
    validate_summary_counts,
)
from opsux_core.version import __version__

if TYPE_CHECKING:
    from opsux_core.models import Base, OperationRun, RunNotification, create_schema
    from opsux_core.notifier import Delivery, Notifier
    from opsux_core.queries import get_run, list_runs
    from opsux_core.service import (
        Initiator,
        OperationRunService,
        RunTracker,
        StartResult,
    )
    from opsux_core.staleness import StaleRun
    from opsux_core.widget import ProgressWidget, Viewer, WidgetRow, progress_widget

_LAZY = {
    "Base": "opsux_core.models",
    "OperationRun": "opsux_core.models",
    "RunNotification": "opsux_core.models",
    "create_schema": "opsux_core.models",
    "Delivery": "opsux_core.notifier",
    "Notifier": "opsux_core.notifier",
    "get_run": "opsux_core.queries",
    "list_runs": "opsux_core.queries",
    "Initiator": "opsux_core.service",
    "OperationRunService": "opsux_core.service",
    "RunTracker": "opsux_core.service",
    "StartResult": "opsux_core.service",
    "StaleRun": "opsux_core.staleness",
    "ProgressWidget": "opsux_core.widget",
    "Viewer": "opsux_core.widget",
    "WidgetRow": "opsux_core.widget",
    "progress_widget": "opsux_core.widget",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'opsux_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "ACTIVE",
    "TERMINAL",
    "UNKNOWN_OPERATION_LABEL",
    "Base",
    "ConfigError",
    "ConfigNotFound",
    "CountOverflow",
    "DatabaseUnavailable",
    "Delivery",
    "DispatchFailed",
    "Initiator",
    "InvalidIdentifier",
    "InvalidSummaryCounts",
    "InvalidTransition",
    "LeaseLost",
    "Links",
    "Notifier",
    "OperationCatalog",
    "OperationRun",
    "OperationRunService",
    "OperationType",
    "OpsuxError",
    "Policy",
    "PollingCadence",
    "Presenter",
    "ProgressWidget",
    "RunAlreadyClaimed",
    "RunLinks",
    "RunNotFound",
    "RunNotification",
    "RunOutcome",
    "RunSettings",
    "RunStatus",
    "RunTracker",
    "StaleRun",
    "StartResult",
    "SummaryKeys",
    "TerminalContent",
    "Toast",
    "UnregisteredOperationType",
    "UnsupportedDatabase",
    "UxStatus",
    "Viewer",
    "WidgetRow",
    "__version__",
    "create_schema",
    "find_config",
    "get_run",
    "list_runs",
    "load_policy",
    "next_poll_interval",
    "normalize_summary_counts",
    "policy_from_mapping",
    "progress_widget",
    "ux_status",
    "validate_summary_counts",
]

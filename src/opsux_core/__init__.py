"""opsux_core: the run model, catalog, service, notifier, presenter, links and progress widget.

Every name is imported on first use: ``import opsux_core.policy`` (what the linter does, in every
pre-commit run) loads neither SQLAlchemy nor the modules of the runtime it does not read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsux_core.lazy import lazy_attributes

if TYPE_CHECKING:
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
    from opsux_core.models import Base, OperationRun, RunNotification, create_schema
    from opsux_core.notifier import Delivery, Notifier
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
    from opsux_core.queries import get_run, list_runs
    from opsux_core.service import (
        Initiator,
        OperationRunService,
        RunTracker,
        StartResult,
    )
    from opsux_core.staleness import StaleRun
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
    from opsux_core.widget import ProgressWidget, Viewer, WidgetRow, progress_widget

_LAZY = {
    "UNKNOWN_OPERATION_LABEL": "opsux_core.catalog",
    "OperationCatalog": "opsux_core.catalog",
    "ConfigError": "opsux_core.errors",
    "ConfigNotFound": "opsux_core.errors",
    "CountOverflow": "opsux_core.errors",
    "DatabaseUnavailable": "opsux_core.errors",
    "DispatchFailed": "opsux_core.errors",
    "InvalidIdentifier": "opsux_core.errors",
    "InvalidSummaryCounts": "opsux_core.errors",
    "InvalidTransition": "opsux_core.errors",
    "LeaseLost": "opsux_core.errors",
    "OpsuxError": "opsux_core.errors",
    "RunAlreadyClaimed": "opsux_core.errors",
    "RunNotFound": "opsux_core.errors",
    "UnregisteredOperationType": "opsux_core.errors",
    "UnsupportedDatabase": "opsux_core.errors",
    "RunLinks": "opsux_core.links",
    "Base": "opsux_core.models",
    "OperationRun": "opsux_core.models",
    "RunNotification": "opsux_core.models",
    "create_schema": "opsux_core.models",
    "Delivery": "opsux_core.notifier",
    "Notifier": "opsux_core.notifier",
    "Links": "opsux_core.policy",
    "OperationType": "opsux_core.policy",
    "Policy": "opsux_core.policy",
    "RunSettings": "opsux_core.policy",
    "find_config": "opsux_core.policy",
    "load_policy": "opsux_core.policy",
    "policy_from_mapping": "opsux_core.policy",
    "PollingCadence": "opsux_core.polling",
    "next_poll_interval": "opsux_core.polling",
    "Presenter": "opsux_core.presenter",
    "TerminalContent": "opsux_core.presenter",
    "Toast": "opsux_core.presenter",
    "get_run": "opsux_core.queries",
    "list_runs": "opsux_core.queries",
    "Initiator": "opsux_core.service",
    "OperationRunService": "opsux_core.service",
    "RunTracker": "opsux_core.service",
    "StartResult": "opsux_core.service",
    "StaleRun": "opsux_core.staleness",
    "ACTIVE": "opsux_core.status",
    "TERMINAL": "opsux_core.status",
    "RunOutcome": "opsux_core.status",
    "RunStatus": "opsux_core.status",
    "UxStatus": "opsux_core.status",
    "ux_status": "opsux_core.status",
    "SummaryKeys": "opsux_core.summary",
    "normalize_summary_counts": "opsux_core.summary",
    "validate_summary_counts": "opsux_core.summary",
    "__version__": "opsux_core.version",
    "ProgressWidget": "opsux_core.widget",
    "Viewer": "opsux_core.widget",
    "WidgetRow": "opsux_core.widget",
    "progress_widget": "opsux_core.widget",
}


__getattr__ = lazy_attributes(__name__, _LAZY, globals())


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

"""The language server over pygls: diagnostics on open, change and save, cleared on close; the
fixes as code actions (``quickfix`` per finding, ``source.fixAll.opsux`` for the file).

Unsafe fixes (:mod:`opsux_lint.constant_fix`) are offered only when enabled: ``opsux-lint server
--unsafe-fixes`` or the initialization option ``{"unsafeFixes": true}``; their titles say
"(unsafe)".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from opsux_core.errors import ConfigError
from opsux_core.version import __version__
from opsux_lint.findings import Finding, Severity
from opsux_lint.registry import rules_by_id
from opsux_lint.report.sarif import rule_help_uri
from opsux_lint.server.documents import (
    DocumentLint,
    Fix,
    Projects,
    TextEdit,
    fix_all,
    fixes,
    lines_of,
)

SOURCE = "opsux"
FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.{SOURCE}"
logger = logging.getLogger(__name__)


class OpsuxServer(LanguageServer):
    """The linter's state between requests: the projects and each open document's last lint."""

    def __init__(self, *, unsafe_fixes: bool = False, cache: bool = True) -> None:
        super().__init__("opsux-lint", __version__)
        self.projects = Projects(cache=cache)
        self.unsafe_fixes = unsafe_fixes
        self.linted: dict[str, DocumentLint] = {}
        self._reported_errors: set[str] = set()

    def lint_and_publish(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        path = _path(uri)
        if path is None:
            return  # an unsaved buffer has no place in a project
        try:
            lint = self.projects.lint(path, document.source)
        except ConfigError as exc:
            self._problem(f"opsux-lint: config error: {exc}")
            lint = DocumentLint(document.source, (), None, path)
        except Exception as exc:
            logger.exception("linting %s failed", path)
            self._problem(f"opsux-lint: internal error on {path.name}: {type(exc).__name__}: {exc}")
            lint = DocumentLint(document.source, (), None, path)
        self.linted[uri] = lint
        lines = lines_of(lint.text)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri, version=document.version,
                diagnostics=[diagnostic(f, document, lines) for f in lint.findings],
            )
        )

    def forget(self, uri: str) -> None:
        self.linted.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def _problem(self, message: str) -> None:
        """Shown once per distinct message, not on every keystroke."""
        if message not in self._reported_errors:
            self._reported_errors.add(message)
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))


def create_server(*, unsafe_fixes: bool = False, cache: bool = True) -> OpsuxServer:
    server = OpsuxServer(unsafe_fixes=unsafe_fixes, cache=cache)

    @server.feature(types.INITIALIZE)
    def initialize(ls: OpsuxServer, params: types.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict) and options.get("unsafeFixes") is True:
            ls.unsafe_fixes = True

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: OpsuxServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.lint_and_publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: OpsuxServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.lint_and_publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: OpsuxServer, params: types.DidSaveTextDocumentParams) -> None:
        path = _path(params.text_document.uri)
        if path is not None and ls.projects.saved(path):
            # Another open file may use a constant this file defines: lint them all again.
            for uri in list(ls.linted):
                ls.lint_and_publish(uri)
        else:
            ls.lint_and_publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: OpsuxServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL]),
    )
    def code_action(ls: OpsuxServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        lint = ls.linted.get(uri)
        if lint is None:
            return []
        document = ls.workspace.get_text_document(uri)
        if document.source != lint.text:
            return []  # the lint is of another text: its regions would land in the wrong place
        lines = lines_of(lint.text)
        wanted = params.context.only
        actions: list[types.CodeAction] = []
        if not wanted or any(types.CodeActionKind.QuickFix.value.startswith(k) for k in wanted):
            here = [f for f in lint.findings if _overlaps(f, params.range, document, lines)]
            for fix in fixes(lint, here, unsafe=ls.unsafe_fixes):
                actions.append(_action(fix, types.CodeActionKind.QuickFix, uri, document, lines))
        if wanted and any(FIX_ALL.startswith(k) for k in wanted):
            everything = fix_all(lint, unsafe=ls.unsafe_fixes)
            if everything is not None:
                actions.append(_action(everything, FIX_ALL, uri, document, lines))
        return actions

    return server


def diagnostic(finding: Finding, document: TextDocument, lines: Sequence[str]) -> types.Diagnostic:
    rule = rules_by_id().get(finding.code)
    return types.Diagnostic(
        range=_range(finding.line - 1, finding.column - 1, finding.end_line - 1, finding.end_column - 1, document, lines),
        message=finding.message,
        severity=types.DiagnosticSeverity.Error if finding.severity is Severity.ERROR else types.DiagnosticSeverity.Warning,
        code=finding.code,
        code_description=types.CodeDescription(href=rule_help_uri(rule)) if rule is not None else None,
        source=SOURCE,
        tags=[types.DiagnosticTag.Unnecessary] if rule is not None and rule.kind == "unused_suppression" else None,
    )


def _action(fix: Fix, kind: str, uri: str, document: TextDocument, lines: Sequence[str]) -> types.CodeAction:
    edits: list[types.TextEdit | types.AnnotatedTextEdit | types.SnippetTextEdit] = [
        types.TextEdit(range=_edit_range(edit, document, lines), new_text=edit.text) for edit in fix.edits
    ]
    return types.CodeAction(
        title=fix.title,
        kind=kind,
        diagnostics=[diagnostic(fix.finding, document, lines)] if fix.finding is not None else None,
        edit=types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=document.version),
                    edits=edits,
                )
            ]
        ),
        is_preferred=not fix.unsafe and fix.finding is not None,
    )


def _edit_range(edit: TextEdit, document: TextDocument, lines: Sequence[str]) -> types.Range:
    return _range(edit.line, edit.column, edit.end_line, edit.end_column, document, lines)


def _range(line: int, column: int, end_line: int, end_column: int, document: TextDocument, lines: Sequence[str]) -> types.Range:
    """A range in code points -> in the units the client counts (UTF-16 unless negotiated)."""
    codec = document.position_codec
    return types.Range(
        start=_client_position(codec, lines, line, column), end=_client_position(codec, lines, end_line, end_column)
    )


def _client_position(codec: Any, lines: Sequence[str], line: int, column: int) -> types.Position:
    if line >= len(lines):
        return types.Position(line=line, character=0)
    return types.Position(line=line, character=codec.client_num_units(lines[line][:column]))


def _overlaps(finding: Finding, wanted: types.Range, document: TextDocument, lines: Sequence[str]) -> bool:
    found = _range(finding.line - 1, finding.column - 1, finding.end_line - 1, finding.end_column - 1, document, lines)
    start = (found.start.line, found.start.character)
    end = (found.end.line, found.end.character)
    return start <= (wanted.end.line, wanted.end.character) and (wanted.start.line, wanted.start.character) <= end


def _path(uri: str) -> Path | None:
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None


def serve(*, unsafe_fixes: bool = False) -> None:
    """Serve over standard input and output until the client says exit."""
    create_server(unsafe_fixes=unsafe_fixes).start_io()

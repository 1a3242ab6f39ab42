"""The unsafe fix of OPS001: a misspelt type literal replaced by the project's own name for the
registered type (``"groups.synk"`` -> ``OpType.GROUPS``), with the import it needs.

It is unsafe because it does more than respell a string: it adds an import (which can close an
import cycle) and makes the code depend on another module's name. So ``--fix`` applies it only
with ``--unsafe-fixes``, and the language server offers it only when asked to.

A name qualifies when the project defines exactly one of them for the registered type, written
as the literal itself: a module constant in capitals (``GROUPS_SYNC = "groups.sync"``), a member
of a ``StrEnum`` / ``str, Enum`` class (``OpType.GROUPS``), or a capitalised attribute of a plain
class. A member of a plain ``Enum`` is written ``OpType.GROUPS.value`` (the member itself is no
string). Test modules do not count. The resolver must agree that the name is that string.

The rewrite is a libcst transform of the whole file, so formatting is kept; a file whose libcst
round trip is not exact is left alone, and a name that the file already binds to something else
is never shadowed.
"""

from __future__ import annotations

import ast
import hashlib
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from opsux_lint.analysis import ModuleEntry, Resolver
from opsux_lint.analysis.outline import name_chain, render, summarize
from opsux_lint.findings import Finding
from opsux_lint.fixes import parses
from opsux_lint.lines import source_lines
from opsux_lint.modules import module_name
from opsux_lint.registry import rules_by_id

if TYPE_CHECKING:
    # libcst only where a file is parsed: the engine imports this module for every file with an
    # OPS001 finding, and most such findings have no unsafe fix to look for.
    import libcst as cst
    from libcst.metadata import CodeRange

    from opsux_lint.engine import Linter


def __getattr__(name: str) -> object:
    # ``constant_fix.cst`` still names libcst, imported when first asked for.
    if name == "cst":
        import libcst

        return libcst
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*$")
_STR_BASES = frozenset({"str", "StrEnum", "enum.StrEnum"})
_ENUM_BASES = frozenset({"Enum", "enum.Enum"})
_PLAIN_BASES = frozenset({"object"})
_OPERATION_TYPE_KIND = "operation_type"


@dataclass(frozen=True)
class NamedConstant:
    """A project name whose value is a registered operation type."""

    module: str
    """Where it is defined (``app.ops.types``)."""
    attribute: tuple[str, ...]
    """How it is written once its first part is bound: ``("OpType", "GROUPS")``."""
    value: str

    @property
    def expression(self) -> str:
        return ".".join(self.attribute)

    @property
    def binding(self) -> str:
        """The name the file must bind (and import, when it is defined elsewhere)."""
        return self.attribute[0]


@dataclass(frozen=True)
class ConstantFix:
    """One OPS001 finding and the project name that its literal should be."""

    finding: Finding
    constant: NamedConstant
    literal: str
    """The literal as written (``"groups.synk"``)."""
    needs_import: bool
    module: str = ""
    """The module of the file being fixed (an import from its own package stays relative)."""
    package: str = ""

    @property
    def title(self) -> str:
        source = f" (import {self.constant.binding} from {self.constant.module})" if self.needs_import else ""
        return f"Replace {self.literal} with {self.constant.expression}{source}"


def is_constant_fixable(finding: Finding) -> bool:
    """Whether the finding is of a rule whose literals this fix can replace (OPS001)."""
    rule = rules_by_id().get(finding.code)
    return rule is not None and rule.kind == _OPERATION_TYPE_KIND


class ConstantFinder:
    """Finds the unsafe fixes of one project's findings (one :class:`Linter`, its index)."""

    def __init__(self, linter: Linter) -> None:
        self.linter = linter

    def fixes(self, path: Path, text: str, findings: Iterable[Finding]) -> list[ConstantFix]:
        """The unsafe fixes for ``findings`` of the file ``path`` whose content is ``text``."""
        module, is_package = module_name(path, self.linter.roots)
        lines = source_lines(text)
        # First what the findings' text says (cheap), then libcst only for what has a name.
        wanted: list[tuple[Finding, NamedConstant]] = []
        resolver: Resolver | None = None
        constants: dict[str, NamedConstant | None] = {}
        for finding in findings:
            value = _literal_at(lines, finding) if is_constant_fixable(finding) else None
            suggestion = self.linter.policy.catalog.suggest(value) if value is not None else None
            if suggestion is None:
                continue
            if suggestion not in constants:
                resolver = resolver or self._resolver_for(module, is_package, text)
                constants[suggestion] = named_constant(resolver, suggestion, also=module)
            constant = constants[suggestion]
            if constant is not None:
                wanted.append((finding, constant))
        if not wanted:
            return []
        parsed = _parse_exactly(text)
        if parsed is None:
            return []
        from libcst.metadata import MetadataWrapper, PositionProvider, ScopeProvider

        wrapper = MetadataWrapper(parsed, unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
        scopes = wrapper.resolve(ScopeProvider)
        by_region = _literals(positions)
        found: list[ConstantFix] = []
        for finding, constant in wanted:
            node = by_region.get(_finding_region(finding))
            if node is None or not isinstance(node.evaluated_value, str):
                continue  # not a literal at the site (a constant, an f-string, bytes)
            needs_import = _binding_usable(constant, module, is_package, node, scopes, positions)
            if needs_import is not None:
                package = module if is_package else module.rpartition(".")[0]
                found.append(
                    ConstantFix(finding, constant, parsed.code_for_node(node), needs_import, module, package)
                )
        return found

    def _resolver_for(self, module: str, is_package: bool, text: str) -> Resolver:
        """The resolver with this file as it is now (an editor buffer may define the constant)."""
        resolver = self.linter.resolver
        data = text.encode("utf-8", "surrogatepass")
        digest = hashlib.sha256(data).hexdigest()
        current = resolver.index.entry(module)
        if current is not None and current.digest == digest:
            return resolver  # the index has the file as it is (the run's hint): no second outline
        summary = summarize(text, module, is_package)
        if summary is None:
            return resolver
        return resolver.over(resolver.index.with_module(module, ModuleEntry(summary, module, digest), data))


def named_constant(resolver: Resolver, value: str, also: str | None = None) -> NamedConstant | None:
    """The one name the project defines for ``value`` (see the module's description); None when
    there is none, or more than one (a person should choose). ``also``: a module to look in
    whatever its file on disk says (the one being edited)."""
    index = resolver.index
    modules: set[str] | None = None
    for word in set(_WORD.findall(value)):
        # Only modules that mention every word of the value are outlined.
        mentioning = set(index.mentioning([word]))
        modules = mentioning if modules is None else modules & mentioning
    candidates: list[NamedConstant] = []
    for module in sorted({*(modules or ()), *([also] if also else [])}):
        if _is_test_module(module):
            continue
        summary = index.summary(module)
        if summary is None:
            continue
        for name, assignments in summary["assign"].items():
            if _CONSTANT.match(name) and _only_literal(assignments, value):
                candidates.append(NamedConstant(module, (name,), value))
        for key, info in summary["classes"].items():
            candidates.extend(_class_constants(module, key, info, value))
    verified = [c for c in candidates if _resolves_to(resolver, c)]
    return verified[0] if len(verified) == 1 else None


def _class_constants(module: str, key: str, info: Mapping[str, object], value: str) -> Iterable[NamedConstant]:
    bases = {render(base) for base in info["bases"]}  # type: ignore[attr-defined]
    if bases - _STR_BASES - _ENUM_BASES - _PLAIN_BASES:
        return  # a project base class (or a mixin) could make the member anything
    enum = bool(bases & (_STR_BASES | _ENUM_BASES) - {"str"})
    plain_enum = bool(bases & _ENUM_BASES) and not bases & _STR_BASES
    members: Mapping[str, list[list[object]]] = info["members"]  # type: ignore[assignment]
    for name, assignments in members.items():
        if name.startswith("_") or not (enum or _CONSTANT.match(name)):
            continue
        if _only_literal(assignments, value):
            tail = ("value",) if plain_enum else ()
            yield NamedConstant(module, (*key.split("."), name, *tail), value)


def _only_literal(assignments: Sequence[Sequence[object]], value: str) -> bool:
    return len(assignments) == 1 and assignments[0][1] == ["s", value]


def _is_test_module(module: str) -> bool:
    return any(part in ("tests", "test", "conftest") or part.startswith("test_") for part in module.split("."))


def _resolves_to(resolver: Resolver, constant: NamedConstant) -> bool:
    resolution = resolver.resolve(name_chain(constant.attribute), constant.module)
    return not resolution.unknowns and [(v.text, v.pattern) for v in resolution.values] == [(constant.value, None)]


def _binding_usable(
    constant: NamedConstant, module: str, is_package: bool, node: cst.CSTNode,
    scopes: Mapping[cst.CSTNode, object], positions: Mapping[cst.CSTNode, CodeRange],
) -> bool | None:
    """Whether the file needs an import of the constant's first name (True), has it already
    (False), or cannot use it without shadowing something or using it before it exists (None)."""
    from libcst.metadata import GlobalScope, ImportAssignment

    scope = scopes.get(node)
    if scope is None:
        return None
    bound = list(scope[constant.binding])  # type: ignore[index]
    if constant.module == module:
        # Defined in this very file: usable as is, but at module level only below its definition.
        if not bound or any(not isinstance(a.scope, GlobalScope) for a in bound):
            return None
        if isinstance(scope, GlobalScope):
            defined = min(positions[a.node].start.line for a in bound if a.node in positions)
            if defined >= positions[node].start.line:
                return None
        return False
    if not bound:
        return True
    for assignment in bound:
        importer = f"{module}.__init__" if is_package else module
        if not isinstance(assignment, ImportAssignment) or not _imports(assignment.node, constant, importer):
            return None
    return False


def _imports(node: cst.CSTNode, constant: NamedConstant, importer: str) -> bool:
    """Whether an import statement of the module ``importer`` binds the constant's first name
    from the constant's module."""
    import libcst as cst
    from libcst.helpers import get_absolute_module_for_import

    if not isinstance(node, cst.ImportFrom) or isinstance(node.names, cst.ImportStar):
        return False
    try:
        imported = get_absolute_module_for_import(importer, node)
    except Exception:  # noqa: BLE001 - a relative import beyond the top: not the constant's module
        return False
    if imported != constant.module:
        return False
    return any(
        alias.evaluated_name == constant.binding and alias.evaluated_alias in (None, constant.binding)
        for alias in node.names
    )


def apply_constant_fixes(
    text: str, unsafe: Sequence[ConstantFix], safe: Sequence[Finding] = ()
) -> tuple[str, list[Finding]]:
    """The text with the unsafe fixes and, where a finding has none, its safe fix applied (one
    libcst transform: regions refer to ``text``); the findings fixed. The text unchanged, and no
    findings, when the round trip is not exact or the result would not parse."""
    parsed = _parse_exactly(text)
    if parsed is None:
        return text, []
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    wrapper = MetadataWrapper(parsed, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    by_region = _literals(positions)
    replacements: dict[cst.CSTNode, cst.BaseExpression] = {}
    applied: list[Finding] = []
    # libcst.codemod costs most of a second to import: only a fix that is made pays for it.
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    first = unsafe[0] if unsafe else None
    # With the module's own name, the import is merged into one the file already has from that
    # module, relative (``from .types import X``) or not.
    context = CodemodContext(
        full_module_name=first.module or None if first else None, full_package_name=first.package if first else None
    )
    imports = False
    covered = {fix.finding for fix in unsafe}
    for fix in unsafe:
        node = by_region.get(_finding_region(fix.finding))
        if node is None or node in replacements:
            continue
        replacements[node] = cst.parse_expression(fix.constant.expression)
        applied.append(fix.finding)
        if fix.needs_import:
            AddImportsVisitor.add_needed_import(context, fix.constant.module, fix.constant.binding)
            imports = True
    for finding in safe:
        node = by_region.get(_finding_region(finding))
        if finding.fix is None or finding in covered or node is None or node in replacements:
            continue
        replacements[node] = cst.parse_expression(finding.fix)
        applied.append(finding)
    if not applied:
        return text, []
    fixed = parsed.visit(_replace(replacements))
    if imports:
        fixed = AddImportsVisitor(context).transform_module(fixed)
    code = fixed.code
    if not parses(code):
        return text, []
    return code, applied


def _replace(replacements: Mapping[cst.CSTNode, cst.BaseExpression]) -> cst.CSTTransformer:
    """The transform that puts each replacement in place of its node (a class made here, where
    libcst is imported)."""
    import libcst as cst

    class Replace(cst.CSTTransformer):
        def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> cst.CSTNode:  # type: ignore[override]
            replacement = replacements.get(original_node)
            if replacement is None:
                return updated_node
            # Parentheses around the literal stay where they were.
            assert isinstance(original_node, cst.BaseExpression)
            return replacement.with_changes(lpar=original_node.lpar, rpar=original_node.rpar)

    return Replace()


def _literals(positions: Mapping[cst.CSTNode, CodeRange]) -> dict[tuple[int, int, int, int], cst.SimpleString | cst.ConcatenatedString]:
    """String literals by their region (1-based, end exclusive: a finding's)."""
    import libcst as cst

    return {
        (where.start.line, where.start.column + 1, where.end.line, where.end.column + 1): node
        for node, where in positions.items()
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString))
    }


def _literal_at(lines: Sequence[str], finding: Finding) -> str | None:
    """The string a finding's region spells, when the region is a plain literal."""
    if not 0 < finding.line <= finding.end_line <= len(lines):
        return None
    if finding.line == finding.end_line:
        written = lines[finding.line - 1][finding.column - 1 : finding.end_column - 1]
    else:
        written = "\n".join(
            [lines[finding.line - 1][finding.column - 1 :], *lines[finding.line : finding.end_line - 1],
             lines[finding.end_line - 1][: finding.end_column - 1]]
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = ast.literal_eval(f"(\n{written}\n)")
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def _finding_region(finding: Finding) -> tuple[int, int, int, int]:
    return (finding.line, finding.column, finding.end_line, finding.end_column)


def _parse_exactly(text: str) -> cst.Module | None:
    """The libcst tree of ``text``, or None when it does not parse or does not print back as
    exactly the same text (a rewrite would then change more than the fix)."""
    import libcst as cst

    try:
        module = cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError, ValueError):
        return None
    return module if module.code == text else None


class RunConstantFixes:
    """The unsafe fixes of a whole run's findings, each file with its own project's index."""

    def __init__(self, linters: Mapping[str, Linter], cwd: Path) -> None:
        self._linters = linters
        self._cwd = cwd
        self._finders: dict[int, ConstantFinder] = {}

    def __call__(self, shown: str, text: str, findings: Sequence[Finding]) -> list[ConstantFix]:
        linter = self._linters.get(shown)
        if linter is None:
            return []
        finder = self._finders.get(id(linter))
        if finder is None:
            finder = self._finders[id(linter)] = ConstantFinder(linter)
        return finder.fixes(self._cwd / shown, text, findings)

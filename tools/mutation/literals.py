"""The literals ``make mutation`` changes, found with ``ast``, and the rules that leave some out.

A *mutant* is the program with one literal changed: a number ``n`` becomes ``n + 1``, a boolean its
opposite, a string gets ``XX`` on both sides (an empty one becomes ``XX``). Literals are the
constants in value positions of ``components/**/*.py`` and ``__main__.py``, f-string pieces
included. Left out, by rule (each counted in the report, never silently):

- ``doc``: docstrings and bare string statements;
- ``annotation``: type annotations, except the allowed values of a ``Literal[...]`` and the
  arguments of calls inside them (``Annotated[int, Field(ge=1)]``): those are config rules;
- ``text``: words for people, not for machines: ``description=``, ``help=``, ``json_schema_extra=``
  and ``title=`` arguments; messages of ``raise``, ``assert``, ``warnings.warn`` and ``pulumi.log``;
  the prose a config validator returns as its problem (a string of three words or more under
  ``components/config/``), the what-is-allowed words of ``KeyProblemError`` and ``allowed(...)``;
- ``name``: resource logical names (the first argument of a resource or component, a role given
  to ``_child_name``, a ``TYPE`` token): they only make URNs, and ``tests/program/test_urns.py``
  compares every URN of every stack with ``tests/golden/urns/`` (``--names`` mutates them too).

Everything else is a mutant, so a value that nothing but a comment explains still shows up.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEXT_KEYWORDS = {"description", "help", "json_schema_extra", "title", "first_check"}
# A trailing comment that marks the strings of a statement (or, on a ``def`` line, of a whole function)
# as words for people: a widget title, a check's report line. Numbers and booleans there stay mutants.
TEXT_PRAGMA = "# mutation: text"
TEXT_CALLS = {"warn", "log", "debug", "info", "warning", "error", "exception", "print", "allowed",
              "KeyProblemError"}
NAME_CALLS = {"_child_name"}
LAYOUT_CALLS = {"metric", "alarms", "text"}  # components/observability/dashboard.py's _Layout
SKIPPED = ("doc", "annotation", "text", "name", "key")


@dataclass(frozen=True)
class Literal:
    path: str  # relative to the repository root
    line: int
    col: int
    end_line: int
    end_col: int
    value: object
    kind: str  # "mutant" or one of SKIPPED
    index: int  # its place among the file's literals (the same visitor finds it again in a fresh tree)

    @property
    def key(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"

    def mutated(self) -> object:
        value = self.value
        if isinstance(value, bool):
            return not value
        if isinstance(value, int | float):
            return value + 1
        if isinstance(value, str):
            return f"XX{value}XX" if value else "XX"
        raise TypeError(f"no mutation for {value!r}")

    def bucket(self) -> int:
        """0-9999, stable while the file, the literal's source line and its value stay the same."""
        line = _source_lines(self.path)[self.line - 1].strip()
        digest = hashlib.sha256(f"{self.path}\0{line}\0{self.value!r}\0{self.col}".encode()).digest()
        return int.from_bytes(digest[:4], "big") % 10000

    def describe(self) -> str:
        return f"{self.value!r} -> {self.mutated()!r}"


@functools.cache
def _source_lines(path: str) -> list[str]:
    return (ROOT / path).read_text().splitlines()


def source_files(root: Path = ROOT) -> list[Path]:
    return [root / "__main__.py", *sorted((root / "components").rglob("*.py"))]


def _callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


class _Visitor(ast.NodeVisitor):
    def __init__(self, path: str, lines: list[str]):
        self.path = path
        self.pragma = {number for number, line in enumerate(lines, 1) if TEXT_PRAGMA in line}
        self.text_scope = 0  # depth of pragma-marked statements being visited
        self.context: list[str] = []  # the reasons in force for the subtree being visited
        self.found: list[Literal] = []
        self.nodes: list[ast.Constant] = []

    def _within(self, reason: str, nodes) -> None:
        self.context.append(reason)
        for node in nodes if isinstance(nodes, list) else [nodes]:
            if node is not None:
                self.visit(node)
        self.context.pop()

    def visit(self, node):
        marked = isinstance(node, ast.stmt) and node.lineno in self.pragma
        self.text_scope += marked
        try:
            return super().visit(node)
        finally:
            self.text_scope -= marked

    # --- what sets a reason --------------------------------------------------------------

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            self._within("doc", node.value)
        else:
            self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        self._within("text", [node.exc, node.cause])

    def visit_Assert(self, node: ast.Assert) -> None:
        self.visit(node.test)
        self._within("text", node.msg)

    def _annotation(self, node: ast.expr | None) -> None:
        if node is None:
            return
        if isinstance(node, ast.Subscript):
            base = node.value
            name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
            if name == "Literal":
                self.visit(node.slice)  # the allowed values are behaviour
                return
            self._annotation(node.slice)
            return
        if isinstance(node, ast.Tuple):
            for element in node.elts:
                self._annotation(element)
            return
        if isinstance(node, ast.Call):
            self.visit(node)  # Field(ge=1) inside Annotated[...]
            return
        self._within("annotation", node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._annotation(node.annotation)
        if node.value is not None:
            self.visit(node.value)

    def visit_arg(self, node: ast.arg) -> None:
        self._annotation(node.annotation)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self.visit(node.args)
        self._annotation(node.returns)
        for statement in node.body:
            self.visit(statement)

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815

    def visit_Assign(self, node: ast.Assign) -> None:
        targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if targets == ["TYPE"] or targets == ["__all__"]:
            self._within("name", node.value)
        else:
            self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if self.context and self.context[-1] == "text":
            self.generic_visit(node)  # ValueError(f"...") under a raise: still words for people
            return
        callee = _callee(node)
        self.visit(node.func)
        if callee in TEXT_CALLS:
            self._within("text", [*node.args, *node.keywords])
            return
        args = list(node.args)
        if args and callee in LAYOUT_CALLS and isinstance(node.func, ast.Attribute) \
                and getattr(node.func.value, "id", "") == "layout":
            self._within("text", args[0])  # a dashboard widget's title or text
            args = args[1:]
        if args and (callee in NAME_CALLS or callee[:1].isupper() or _is_child_name(args[0])):
            self._within("name", args[0])
            args = args[1:]
        for arg in args:
            self.visit(arg)
        for keyword in node.keywords:
            if keyword.arg in TEXT_KEYWORDS:
                self._within("text", keyword.value)
            elif keyword.arg == "resource_name":
                self._within("name", keyword.value)
            else:
                self.visit(keyword.value)

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if key is not None:
                self._within("key", key)
            self.visit(value)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        for value in node.values:
            if isinstance(value, ast.Constant):
                self.visit_Constant(value)
            else:
                self.visit(value.value)  # the expression inside {…}; its format spec is not a literal

    # --- the literals -------------------------------------------------------------------------

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if value is None or value is Ellipsis or isinstance(value, bytes | complex):
            return
        kind = self.context[-1] if self.context else "mutant"
        if kind == "mutant" and isinstance(value, str) and self.text_scope:
            kind = "text"
        if kind == "mutant" and isinstance(value, str) and self.path.startswith("components/config/") \
                and len(value.split()) >= 3:
            kind = "text"  # a validator's problem in words
        self.found.append(Literal(self.path, node.lineno, node.col_offset, node.end_lineno, node.end_col_offset,
                                  value, kind, len(self.found)))
        self.nodes.append(node)


def _is_child_name(node: ast.expr) -> bool:
    """``f"{name}-role"`` / ``f"{self._name}-role"``: a logical name built from the component's own."""
    if not isinstance(node, ast.JoinedStr) or not node.values:
        return False
    first = node.values[0]
    if not isinstance(first, ast.FormattedValue):
        return False
    inner = first.value
    return (isinstance(inner, ast.Name) and inner.id == "name") or (
        isinstance(inner, ast.Attribute) and inner.attr == "_name")


def literals_of(path: Path, root: Path = ROOT) -> list[Literal]:
    relative = path.relative_to(root).as_posix()
    source = path.read_text()
    visitor = _Visitor(relative, source.splitlines())
    visitor.visit(ast.parse(source, filename=relative))
    return visitor.found


def mutated_code(literal: Literal, root: Path = ROOT):
    """The code object of ``literal``'s file with that one literal changed (line numbers kept)."""
    path = root / literal.path
    source = path.read_text()
    tree = ast.parse(source, filename=literal.path)
    visitor = _Visitor(literal.path, source.splitlines())
    visitor.visit(tree)
    node = visitor.nodes[literal.index]
    if (node.lineno, node.value) != (literal.line, literal.value) or type(node.value) is not type(literal.value):
        raise RuntimeError(f"{literal.key}: the source changed since the literals were listed")
    node.value = literal.mutated()
    return compile(tree, str(path), "exec")


def all_literals(root: Path = ROOT) -> Iterator[Literal]:
    for path in source_files(root):
        yield from literals_of(path, root)

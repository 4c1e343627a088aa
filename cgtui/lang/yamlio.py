"""The YAML graph format: load a graph definition, save a graph with its values.

A graph file is a mapping of sections::

    title: Squared-error loss for one example
    description: L = (w*x + b - y)^2
    inputs: {x: 2.0}            # leaves: name -> value (or null), or a list of names
    labels: {y: 1.0}
    params: {w: 0.5, b: 0.1}
    constants: {c: 3}
    steps:                      # any order; one op each, or nested (decomposed)
      z: w * x
      yhat: {op: add, args: [z, b]}
      d: yhat - y
      L: d ^ 2
    output: L                   # a name or a list of names

``expression:`` may replace ``steps:``: statement text in the expression language
(``c = a + b; c = c * 2``), for programs that assign a name more than once. The
sections ``data``, ``reduction``, ``training``, ``quiz`` and ``imported`` (where an
imported graph came from, and what its framework computed) belong to other parts of
cgtui; they are kept as given in :attr:`Graph.extra` and written back by :func:`save`.

Loading never recurses over the document: events from PyYAML's (iterative) parser are
composed with an explicit stack, aliases, anchors and non-standard tags are refused,
as are files over :data:`cgtui.lang.files.MAX_SOURCE_BYTES` and nesting deeper than
:data:`MAX_DEPTH`. Every error names the file, the line (and column where there is
one) and the step.
"""

from __future__ import annotations

import contextlib
import math
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from cgtui.core import notation
from cgtui.core.errors import CgtuiError, GraphError, ParseError, did_you_mean
from cgtui.core.graph import Graph, Kind, LeafValue
from cgtui.core.lazy import np
from cgtui.core.numbers import NUMBER
from cgtui.core.ops import FUNCTIONS, OPS, syntax
from cgtui.lang import files, tensor_leaves
from cgtui.lang.build import Step, build_program, build_steps, const_name, is_literal
from cgtui.lang.files import read_text
from cgtui.lang.parser import NAME, NUM, OP, RESERVED_WORDS, Instr, LineMap, parse

#: Collections nested deeper than this are refused (a graph file needs 3 levels).
MAX_DEPTH = 64
#: Keys, values and lists in one file: each costs about 1 KB while the file is read.
MAX_YAML_NODES = 750_000

LEAF_SECTIONS: dict[str, Kind] = {
    "inputs": Kind.INPUT,
    "labels": Kind.LABEL,
    "params": Kind.PARAM,
    "constants": Kind.CONST,
}
#: Sections other parts of cgtui interpret; kept verbatim.
EXTRA_SECTIONS = ("data", "reduction", "training", "quiz", "imported")
SECTIONS = ("title", "description", *LEAF_SECTIONS, "steps", "expression", "output", *EXTRA_SECTIONS)

_NUMBER = NUMBER
_NULLS = {"", "~", "null", "Null", "NULL"}
_YAML_WORDS = {"yes", "no", "true", "false", "on", "off", "null"}
_STANDARD_TAG = "tag:yaml.org,2002:"
#: libyaml's event parser when PyYAML has it (compiled, so faster); its events and marks
#: are the pure-Python parser's, and syntax errors are re-read with that one for its words.
_EVENT_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SAFE_TAGS = {
    _STANDARD_TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}


# --- reading the document ------------------------------------------------------------


class _Doc:
    """The text of one document, for error messages."""

    def __init__(self, text: str, file: str | None) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.file = file

    def source_line(self, line: int) -> str:
        return self.lines[line - 1].rstrip("\r") if 0 < line <= len(self.lines) else ""

    def error(
        self,
        message: str,
        node: yaml.Node | None = None,
        *,
        line: int | None = None,
        column: int | None = None,
        cls: type[CgtuiError] = GraphError,
    ) -> CgtuiError:
        if node is not None:
            line = node.start_mark.line + 1
            column = node.start_mark.column + 1
        return cls(
            message,
            line=line,
            column=column,
            source_line=self.source_line(line) if line is not None and column is not None else None,
            file=self.file,
        )


def _events(text: str) -> Iterator[Any]:
    """Parser events; a syntax error is reported in the pure-Python parser's words,
    which say what was found ("but got '<stream end>'")."""
    try:
        yield from yaml.parse(text, Loader=_EVENT_LOADER)
    except yaml.YAMLError as exc:
        if _EVENT_LOADER is yaml.SafeLoader:
            raise
        if "nesting depth" in str(getattr(exc, "problem", "")):
            # libyaml's own depth limit: the pure-Python parser would take minutes to
            # reach the same verdict on 100,000 open brackets (quadratic in the depth)
            raise
        for _ in yaml.parse(text, Loader=yaml.SafeLoader):
            pass
        raise


def _compose(doc: _Doc, loader: yaml.SafeLoader) -> yaml.Node | None:
    """Build the node tree from parser events with an explicit stack."""
    root: yaml.Node | None = None
    stack: list[yaml.Node] = []
    pending_key: list[yaml.Node | None] = []  # per open mapping: a key waiting for its value
    documents = 0
    count = 0

    def attach(node: yaml.Node) -> None:
        nonlocal root, count
        count += 1
        if count > MAX_YAML_NODES:
            message = f"the file holds more than {MAX_YAML_NODES:,} YAML values, the most cgtui reads"
            raise doc.error(message, node)
        if not stack:
            root = node
            return
        parent = stack[-1]
        if isinstance(parent, yaml.MappingNode):
            key = pending_key[-1]
            if key is None:
                pending_key[-1] = node
            else:
                parent.value.append((key, node))
                pending_key[-1] = None
        else:
            parent.value.append(node)

    try:
        event: Any
        for event in _events(doc.text):
            if isinstance(event, yaml.AliasEvent):
                raise doc.error(
                    f"YAML aliases are not allowed ('*{event.anchor}'); write the value out",
                    line=_line(event),
                    column=_column(event),
                )
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise doc.error(
                        "a graph file holds one YAML document (found a second '---')",
                        line=_line(event),
                        column=_column(event),
                    )
                continue
            if not isinstance(event, yaml.NodeEvent | yaml.CollectionEndEvent):
                continue
            if isinstance(event, yaml.NodeEvent):
                if event.anchor is not None:
                    raise doc.error(
                        f"YAML anchors are not allowed ('&{event.anchor}')",
                        line=_line(event),
                        column=_column(event),
                    )
                tag = getattr(event, "tag", None)
                if tag is not None and tag != "!" and tag not in _SAFE_TAGS:
                    raise doc.error(
                        f"YAML tag '{tag}' is not allowed",
                        line=_line(event),
                        column=_column(event),
                    )
            ev: Any = event  # PyYAML's stubs type marks loosely
            if isinstance(event, yaml.ScalarEvent):
                tag = event.tag
                if tag is None or tag == "!":
                    tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
                style = ev.style or None  # libyaml gives '' for plain scalars
                attach(yaml.ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark, style=style))
            elif isinstance(event, yaml.CollectionStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise doc.error(
                        f"YAML nested more than {MAX_DEPTH} levels deep",
                        line=_line(event),
                        column=_column(event),
                    )
                node: yaml.Node
                if isinstance(event, yaml.MappingStartEvent):
                    node = yaml.MappingNode(
                        ev.tag or _STANDARD_TAG + "map", [], ev.start_mark, ev.end_mark,
                        flow_style=ev.flow_style,
                    )
                else:
                    node = yaml.SequenceNode(
                        ev.tag or _STANDARD_TAG + "seq", [], ev.start_mark, ev.end_mark,
                        flow_style=ev.flow_style,
                    )
                attach(node)
                stack.append(node)
                pending_key.append(None)
            else:  # CollectionEndEvent
                done = stack.pop()
                pending_key.pop()
                done.end_mark = ev.end_mark
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if "nesting depth" in problem:
            # newer PyYAML releases stop deep nesting in their scanner, before our own check
            line = mark.line + 1 if mark is not None else None
            column = mark.column + 1 if mark is not None else None
            message = f"YAML nested more than {MAX_DEPTH} levels deep"
            raise doc.error(message, line=line, column=column) from None
        if mark is None:
            raise CgtuiError(f"YAML syntax error: {problem}", file=doc.file) from None
        raise doc.error(
            f"YAML syntax error: {problem}", line=mark.line + 1, column=mark.column + 1, cls=ParseError
        ) from None
    except yaml.YAMLError as exc:
        raise CgtuiError(f"YAML syntax error: {exc}", file=doc.file) from None
    return root


def _line(event: Any) -> int:
    return int(event.start_mark.line) + 1


def _column(event: Any) -> int:
    return int(event.start_mark.column) + 1


def _check_duplicate_keys(doc: _Doc, root: yaml.Node) -> None:
    """PyYAML keeps the last of two equal keys silently; refuse them, everywhere."""
    todo = [root]
    while todo:
        node = todo.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, yaml.Node] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    first = seen.get(key.value)
                    if first is not None:
                        raise doc.error(
                            f"duplicate key '{key.value}' (first at line {first.start_mark.line + 1})", key
                        )
                    seen[key.value] = key
                todo.append(value)
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)


# --- scalars -----------------------------------------------------------------------------


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.style is None and node.value in _NULLS


def _number(doc: _Doc, node: yaml.Node, what: str) -> float | None:
    """A leaf value: a number, or None for null. YAML's own resolver reads ``1e-3`` as a
    string, so the text is read here."""
    if _is_null(node):
        return None
    if not isinstance(node, yaml.ScalarNode):
        shape = "list" if isinstance(node, yaml.SequenceNode) else "mapping"
        raise doc.error(f"{what} must be a number, not a {shape}", node)
    text = node.value.strip()
    if node.tag == _STANDARD_TAG + "bool" or not _NUMBER.fullmatch(text):
        if text.lower() in (".inf", "-.inf", "+.inf", ".nan", "inf", "nan", "-inf"):
            raise doc.error(f"{what} must be a finite number, got '{text}'", node)
        raise doc.error(f"{what} must be a number, got '{text}'", node)
    value = float(text)
    if not math.isfinite(value):
        raise doc.error(f"{what} must be a finite number, got '{text}'", node)
    return value + 0.0


def _name(doc: _Doc, node: yaml.Node, where: str) -> str:
    """A name given in ``where`` ("'inputs'", "'steps'", ...), checked."""
    if not isinstance(node, yaml.ScalarNode) or _is_null(node):
        raise doc.error(f"expected a name in {where}", node)
    name = str(node.value).strip()
    if not name.isidentifier():
        raise doc.error(
            f"'{name}' in {where} is not a valid name (letters, digits and _, not starting with a digit)",
            node,
        )
    if name in FUNCTIONS:
        raise doc.error(f"'{name}' in {where} is the name of a function; choose another name", node)
    if name in RESERVED_WORDS:
        raise doc.error(f"'{name}' in {where} is a reserved word; choose another name", node)
    return name


def _text(doc: _Doc, node: yaml.Node, what: str) -> str:
    if _is_null(node):
        return ""
    if not isinstance(node, yaml.ScalarNode):
        raise doc.error(f"'{what}' must be text", node)
    return str(node.value)



def _positions(doc: _Doc, node: yaml.ScalarNode) -> Callable[[int, int], tuple[int, int]]:
    """Map a (line, column) in a scalar's text to the (line, column) in the file."""
    start = node.start_mark
    if node.style == "|":
        # literal block: text line k is file line start+1+k, after the block's indentation
        first = start.line + 1
        indent = 0
        for k in range(first, min(len(doc.lines), node.end_mark.line + 1)):
            stripped = doc.lines[k].lstrip(" ")
            if stripped:
                indent = len(doc.lines[k]) - len(stripped)
                break

        def block(line: int, column: int) -> tuple[int, int]:
            return first + line, column + indent

        return block
    at = start.line + 1
    base = start.column + (1 if node.style in ("'", '"') else 0)
    first_column = start.column + 1

    def inline(line: int, column: int) -> tuple[int, int]:
        # a folded plain scalar has lost its line breaks: point at its start
        return (at, base + column) if line == 1 else (at, first_column)

    return inline


def _line_map(doc: _Doc, node: yaml.ScalarNode) -> LineMap:
    """Like :func:`_positions`, with the file's source line for error messages."""
    position = _positions(doc, node)

    def mapped(line: int, column: int) -> tuple[int, int, str]:
        at, col = position(line, column)
        return at, col, doc.source_line(at)

    return mapped


# --- the graph ---------------------------------------------------------------------------


def _op_step(doc: _Doc, name: str, node: yaml.MappingNode) -> list[Instr]:
    """``{op: mul, args: [w, x]}`` -> postfix code."""
    op_node: yaml.Node | None = None
    args_node: yaml.Node | None = None
    for key, value in node.value:
        k = key.value if isinstance(key, yaml.ScalarNode) else None
        if k == "op":
            op_node = value
        elif k == "args":
            args_node = value
        else:
            raise doc.error(f"unknown key '{k}' in step '{name}' (a step mapping has 'op' and 'args')", key)
    if op_node is None or not isinstance(op_node, yaml.ScalarNode) or _is_null(op_node):
        raise doc.error(f"step '{name}' needs 'op: NAME'", op_node or node)
    by_symbol = syntax().infix.get(op_node.value)  # '{op: "*", ...}' is mul
    opname = op_node.value if by_symbol is None else by_symbol.name
    if opname not in OPS:
        raise doc.error(
            f"unknown op '{op_node.value}' in step '{name}'{did_you_mean(op_node.value, OPS)}", op_node
        )
    arity = OPS[opname].arity
    if args_node is None:
        raise doc.error(f"step '{name}' needs 'args: [...]' ({opname} takes {arity})", node)
    args = args_node.value if isinstance(args_node, yaml.SequenceNode) else [args_node]
    if len(args) != arity:
        raise doc.error(
            f"op '{opname}' takes {arity} argument{'s' if arity != 1 else ''}, "
            f"got {len(args)} in step '{name}'",
            args_node,
        )
    code: list[Instr] = []
    for arg in args:
        line, column = arg.start_mark.line + 1, arg.start_mark.column + 1
        if not isinstance(arg, yaml.ScalarNode) or _is_null(arg):
            raise doc.error(f"an argument of step '{name}' must be a name or a number", arg)
        text = arg.value.strip()
        if _NUMBER.fullmatch(text):
            value = float(text)
            if not math.isfinite(value):
                raise doc.error(f"number '{text}' is too large", arg)
            code.append(Instr(NUM, value, line, column))
        else:
            code.append(Instr(NAME, _name(doc, arg, f"the arguments of step '{name}'"), line, column))
    code.append(Instr(OP, opname, op_node.start_mark.line + 1, op_node.start_mark.column + 1))
    return code


def _expression_step(doc: _Doc, name: str, node: yaml.ScalarNode) -> list[Instr]:
    line_map = _line_map(doc, node)
    try:
        program = parse(node.value, file=doc.file, allow_assignments=False, line_map=line_map)
    except ParseError as exc:
        exc.context = exc.context or f"in step '{name}'"
        raise
    if len(program.statements) > 1:
        second = program.statements[1]
        at_line, at_column, source_line = line_map(second.line, second.column)
        raise ParseError(
            f"step '{name}' holds more than one expression (use 'expression:' for a program)",
            line=at_line, column=at_column, source_line=source_line, file=doc.file,
        )
    code = program.statements[0].code
    position = _positions(doc, node)
    for ins in code:  # positions in the file, for later errors
        ins.line, ins.column = position(ins.line, ins.column)
    return code


def _leaf_section(
    doc: _Doc, section: str, node: yaml.Node, declared: dict[str, tuple[Kind, LeafValue | None]],
    where: dict[str, str], keys: dict[str, yaml.Node],
) -> None:
    kind = LEAF_SECTIONS[section]
    items: list[tuple[yaml.Node, yaml.Node | None]]
    if _is_null(node):
        return
    if isinstance(node, yaml.MappingNode):
        items = list(node.value)
    elif isinstance(node, yaml.SequenceNode):
        items = [(item, None) for item in node.value]
    else:
        raise doc.error(f"'{section}' must map names to values ({{x: 2.0}}) or list names ([x, y])", node)
    for key, value in items:
        name = _name(doc, key, f"'{section}'")
        if name in declared:
            raise doc.error(f"duplicate name '{name}': already in {where[name]}", key)
        v: LeafValue | None
        if isinstance(value, yaml.MappingNode):
            folder = Path(doc.file).parent if doc.file else None
            v = tensor_leaves.array_leaf(
                name, value, folder, lambda message, at: doc.error(message, at),
                lambda at, what: _number(doc, at, what),
            )
        else:
            v = _number(doc, value, f"the value of '{name}'") if value is not None else None
        if kind is Kind.CONST and v is None:
            raise doc.error(f"constant '{name}' needs a value", value if value is not None else key)
        declared[name] = (kind, v)
        where[name] = f"'{section}' (line {key.start_mark.line + 1})"
        keys[name] = key


def loads(text: str, file: str | None = None, merge: bool = True) -> Graph:
    """Read a graph from YAML text; ``file`` names it in error messages."""
    limit = files.MAX_SOURCE_BYTES
    if len(text.encode("utf-8", "surrogatepass")) > limit:
        raise CgtuiError(f"the YAML text is larger than the limit of {limit:,} bytes", file=file)
    doc = _Doc(text, file)
    loader = yaml.SafeLoader("")
    root = _compose(doc, loader)
    if root is None or _is_null(root):
        raise CgtuiError("the file is empty (a graph file has 'steps:' and 'output:')", file=file)
    if not isinstance(root, yaml.MappingNode):
        raise doc.error(
            "a graph file is a mapping of sections (title, inputs, params, steps, output, ...)", root
        )
    _check_duplicate_keys(doc, root)

    sections: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in root.value:
        if not isinstance(key, yaml.ScalarNode):
            raise doc.error("a section name must be text (title, inputs, steps, output, ...)", key)
        k = key.value
        if k not in SECTIONS:
            raise doc.error(f"unknown section '{k}'{did_you_mean(str(k), SECTIONS)}", key)
        sections[k] = (key, value)

    title = _text(doc, sections["title"][1], "title") if "title" in sections else ""
    description = _text(doc, sections["description"][1], "description") if "description" in sections else ""
    extra: dict[str, object] = {}
    for name in EXTRA_SECTIONS:
        if name in sections:
            try:
                extra[name] = loader.construct_document(sections[name][1])
            except yaml.MarkedYAMLError as exc:
                mark: Any = exc.problem_mark or exc.context_mark
                raise doc.error(
                    f"in '{name}': {exc.problem or exc.context}",
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                ) from None

    declared: dict[str, tuple[Kind, LeafValue | None]] = {}
    where: dict[str, str] = {}
    leaf_keys: dict[str, yaml.Node] = {}
    for key, value in root.value:  # in file order
        if key.value in LEAF_SECTIONS:
            _leaf_section(doc, key.value, value, declared, where, leaf_keys)

    if "steps" in sections and "expression" in sections:
        raise doc.error("give either 'steps' or 'expression', not both", sections["expression"][0])
    if "expression" in sections:
        graph = _from_expression(doc, sections["expression"][1], declared, merge)
    elif "steps" in sections:
        graph = _from_steps(doc, sections["steps"][1], declared, where, merge)
    else:
        raise doc.error("no 'steps:' (or 'expression:') section", root)

    if "output" in sections:
        graph.outputs = _outputs(doc, graph, sections["output"][1])
    elif "steps" in sections:
        sinks = [n.name for i, n in enumerate(graph.nodes) if n.op is not None and not graph.successors(i)]
        hint = f" ('{sinks[0]}' is used by no other step)" if len(sinks) == 1 else ""
        raise doc.error(f"no 'output:' given; add 'output: NAME'{hint}", root)
    graph.title = title
    graph.description = description
    graph.extra = extra
    return graph


def _outputs(doc: _Doc, graph: Graph, node: yaml.Node) -> list[int]:
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    if not items:
        raise doc.error("'output' lists no names", node)
    outputs: list[int] = []
    for item in items:
        if not isinstance(item, yaml.ScalarNode) or _is_null(item):
            raise doc.error("'output' must be a name or a list of names", item)
        name = item.value.strip()
        if name not in graph.index and graph.aliases.get(name) not in graph.index:
            raise doc.error(f"unknown output '{name}'{did_you_mean(name, graph.index)}", item)
        i = graph.lookup(name)
        if i in outputs:
            raise doc.error(f"output '{name}' is listed twice", item)
        outputs.append(i)
    return outputs


def _from_expression(
    doc: _Doc, node: yaml.Node, declared: dict[str, tuple[Kind, LeafValue | None]], merge: bool
) -> Graph:
    if not isinstance(node, yaml.ScalarNode) or _is_null(node):
        raise doc.error("'expression' must be statement text (use '|' for several lines)", node)
    line_map = _line_map(doc, node)
    program = parse(node.value, file=doc.file, line_map=line_map)
    return build_program(
        program, merge=merge, file=doc.file, declared=declared, strict=True, line_map=line_map
    )


def _from_steps(
    doc: _Doc,
    node: yaml.Node,
    declared: dict[str, tuple[Kind, LeafValue | None]],
    where: dict[str, str],
    merge: bool,
) -> Graph:
    if not isinstance(node, yaml.MappingNode) and not _is_null(node):
        raise doc.error("'steps' must map step names to expressions (z: w * x)", node)
    if not declared and (_is_null(node) or not node.value):
        raise doc.error("the graph has no nodes: 'steps' is empty and no leaves are declared", node)
    steps: list[Step] = []
    items = node.value if isinstance(node, yaml.MappingNode) else []
    for key, value in items:
        name = _name(doc, key, "'steps'")
        if name in declared:
            raise doc.error(f"duplicate name '{name}': the step repeats a name from {where[name]}", key)
        if _is_null(value):
            raise doc.error(f"step '{name}' is empty", key)
        if isinstance(value, yaml.ScalarNode):
            code = _expression_step(doc, name, value)
        elif isinstance(value, yaml.MappingNode):
            code = _op_step(doc, name, value)
        else:
            raise doc.error(f"step '{name}' must be an expression or {{op: NAME, args: [...]}}", value)
        line, column = key.start_mark.line + 1, key.start_mark.column + 1
        # the op form says what it means: '{op: neg, args: [2]}' is neg(2), not the number -2
        steps.append(Step(name, code, line, column, fold=not isinstance(value, yaml.MappingNode)))
    return build_steps(steps, declared=declared, merge=merge, source=doc.text, file=doc.file)


def load(path: str | os.PathLike[str], merge: bool = True) -> Graph:
    """Read a graph file."""
    p = Path(path)
    if not p.exists():
        raise CgtuiError(f"no such file: {p}")
    graph = loads(read_text(p), file=str(path), merge=merge)
    graph.origin = p.resolve()
    return graph


# --- writing -------------------------------------------------------------------------------


def _key(name: str) -> str:
    """A name as a YAML key: quoted where YAML 1.1 would read it as a bool or null."""
    return f"'{name}'" if name.lower() in _YAML_WORDS else name


def _value_text(value: LeafValue | None) -> str:
    if value is None:
        return "null"
    return tensor_leaves.flow_text(value) if isinstance(value, np.ndarray) else repr(float(value))


def _operand_text(graph: Graph, p: int) -> str:
    node = graph.nodes[p]
    if is_literal(node):
        return const_name(node.value)  # type: ignore[arg-type]
    return node.name


def step_text(graph: Graph, i: int) -> str:
    """One node's step: ``w * x``, ``d ^ 2``, ``-a``, ``exp(v1)``."""
    node = graph.nodes[i]
    assert node.op is not None
    return notation.apply(OPS[node.op], [_operand_text(graph, p) for p in node.operands])


def _text_field(key: str, text: str) -> list[str]:
    """``key: text``; several lines as a literal block where that reads back exactly."""
    body = text[:-1] if text.endswith("\n") else text
    lines = body.split("\n")
    plain_block = (
        (len(lines) > 1 or text.endswith("\n"))
        and not body.endswith("\n")
        and lines[0][:1] not in (" ", "\t", "")
        and all(line == line.rstrip() and line.isprintable() for line in lines)
    )
    if not plain_block:
        return [f"{key}: {_scalar(text)}"]
    header = f"{key}: |" if text.endswith("\n") else f"{key}: |-"
    return [header, *(f"  {line}" if line else "" for line in lines)]


def _scalar(text: str) -> str:
    # YAML reads NEL, LS and PS as line breaks: write such text with escapes
    readable = not any(c in text for c in "\x85\u2028\u2029")
    dumped = yaml.safe_dump(text, default_flow_style=True, allow_unicode=readable, width=10**9)
    return dumped.removesuffix("\n...\n").rstrip("\n")


def dumps(graph: Graph) -> str:
    """The graph as YAML: every node explicit, one op per step, with current values.

    Numbers named by their value (``2``, ``-3``) are written inline where they are
    used, so one that nothing uses is not written, and a graph whose output is such a
    number is refused.
    """
    for i in graph.outputs:
        if is_literal(graph.nodes[i]):
            raise CgtuiError(
                f"the output is the number {graph.nodes[i].name}; a graph file needs a named output"
            )
    out: list[str] = []
    if graph.title:
        out.extend(_text_field("title", graph.title))
    if graph.description:
        out.extend(_text_field("description", graph.description))
    for section, kind in LEAF_SECTIONS.items():
        leaves = [n for n in graph.nodes if n.op is None and n.kind is kind and not is_literal(n)]
        if leaves:
            out.append(f"{section}:")
            out.extend(f"  {_key(n.name)}: {_value_text(n.value)}" for n in leaves)
    out.append("steps:" if graph.computations() else "steps: {}")
    for i, node in enumerate(graph.nodes):
        if node.op is None:
            continue
        if node.op == "neg" and is_literal(graph.nodes[node.operands[0]]):
            # '-(-2)' would read back as the constant 2
            arg = const_name(graph.nodes[node.operands[0]].value)  # type: ignore[arg-type]
            out.append(f"  {_key(node.name)}: {{op: neg, args: [{arg}]}}")
        else:
            out.append(f"  {_key(node.name)}: {step_text(graph, i)}")
    names = graph.output_names
    out.append(f"output: {_key(names[0])}" if len(names) == 1 else f"output: [{', '.join(map(_key, names))}]")
    text = "\n".join(out) + "\n"
    for name, value in graph.extra.items():
        text += yaml.safe_dump({name: value}, sort_keys=False, default_flow_style=False, allow_unicode=True)
    return text


def save(graph: Graph, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
    """Write ``dumps(graph)`` to ``path`` atomically; an existing file is kept unless
    ``overwrite``."""
    write_text_atomic(Path(path), dumps(graph), overwrite=overwrite)


def _refuse_non_regular(path: Path) -> None:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CgtuiError(f"cannot write {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise CgtuiError(f"{path} is a directory")
    if stat.S_ISLNK(mode):
        raise CgtuiError(
            f"{path} is a symbolic link; cgtui replaces only regular files "
            f"(give the file it points to: {os.path.realpath(path)})"
        )
    if not stat.S_ISREG(mode):
        raise CgtuiError(
            f"{path} is not a regular file (a device, pipe or socket); cgtui writes only regular files"
        )


def _refuse_bundled_samples(path: Path) -> None:
    """The bundled samples are never replaced or added to by cgtui itself."""
    from cgtui.lang.samples import samples_dir

    try:
        folder = samples_dir().resolve()
        inside = path.resolve().parent == folder
    except (OSError, RuntimeError):
        return
    if inside:
        raise CgtuiError(
            f"{path} is in the bundled samples folder ({folder}), which cgtui never writes to; "
            f"save a copy elsewhere, e.g. ./{path.name}"
        )


def write_text_atomic(path: Path, text: str, *, overwrite: bool = False) -> None:
    """Write via a temporary file in the same directory and a rename, so a reader never
    sees half a file; refuse to replace an existing file unless ``overwrite``. Only a
    regular file is ever replaced: a symbolic link, a device (``/dev/null``), a pipe or a
    socket is refused, even with ``overwrite``."""
    _refuse_non_regular(path)
    _refuse_bundled_samples(path)
    if not overwrite and path.exists():
        raise CgtuiError(f"{path} exists; not overwriting it (use --force to replace it)")
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise CgtuiError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _new_file_mode(path))  # mkstemp makes 0600 files
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if path appeared meanwhile
            except FileExistsError:
                raise CgtuiError(f"{path} exists; not overwriting it (use --force to replace it)") from None
            except OSError:
                os.replace(tmp, path)  # no hard links here
    except OSError as exc:
        raise CgtuiError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _new_file_mode(path: Path) -> int:
    """An existing file's permissions, else what the umask gives a new file."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask

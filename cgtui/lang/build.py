"""Turn parsed statements into a graph: one node per elementary operation.

The postfix code from :mod:`cgtui.lang.parser` is run on a value stack, so building is
a loop too. Identical subexpressions (same op, same operand nodes) become one node unless
``merge=False`` keeps the tree exactly as written. Names:

* a name that is never assigned is a leaf: an input unless ``kinds`` says otherwise;
* ``name = 3`` defines a constant leaf called ``name``;
* ``name = expr`` names expr's node; a name assigned again names the newest node, and
  the earlier versions (computations or constants) become ``name_1``, ``name_2`` ...
  (as in Python, later uses see the newest value); a leaf that was never assigned (an
  input, say) keeps its name, so ``x = x + 1`` makes ``x_1`` from the input ``x``;
* other intermediates get ``v1, v2, ...`` in topological order, and a bare final
  expression is called ``out``; number literals are constants named by their value.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
from collections.abc import Callable, Iterator, Mapping

from cgtui.core.errors import GraphError, ParseError
from cgtui.core.graph import Graph, Kind, Node
from cgtui.core.ops import OPS, format_number
from cgtui.lang.parser import NAME, NUM, Program, parse


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a graph is built.

    Parsing and building make hundreds of thousands of small objects that hold no
    reference cycles; left on, the collector rescans them over and over (about a fifth
    of the time for a 100,000-term sum).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def const_name(value: float) -> str:
    """A constant's name: its value, written so that reading it back gives the same float."""
    text = format_number(value)
    if float(text) != value:
        text = repr(float(value))
    return text


class GraphBuilder:
    """Adds nodes to a growing graph; shared by the expression and YAML front ends."""

    def __init__(self, *, merge: bool = True) -> None:
        self.merge = merge
        self.nodes: list[Node] = []
        self.labels: list[str | None] = []  # the name a node was given, if any
        self.memo: dict[tuple[str, tuple[int, ...]], int] = {}
        self.consts: dict[float, int] = {}

    def leaf(self, name: str, kind: Kind, value: float | None) -> int:
        self.nodes.append(Node(name, kind, None, (), value))
        self.labels.append(name)
        return len(self.nodes) - 1

    def const(self, value: float) -> int:
        value = float(value) + 0.0  # -0.0 -> 0.0
        i = self.consts.get(value)
        if i is None:
            i = self.leaf(const_name(value), Kind.CONST, value)
            self.consts[value] = i
        return i

    def apply(self, op: str, operands: tuple[int, ...]) -> int:
        key = (op, operands)
        if self.merge:
            i = self.memo.get(key)
            if i is not None:
                return i
        self.nodes.append(Node("", Kind.COMPUTATION, op, operands, None))
        self.labels.append(None)
        i = len(self.nodes) - 1
        if self.merge:
            self.memo[key] = i
        return i


_Literal = float  # a number not yet turned into a node (so '-3' folds to one constant)


def build_program(
    program: Program,
    *,
    kinds: Mapping[str, Kind] | None = None,
    values: Mapping[str, float] | None = None,
    merge: bool = True,
    title: str = "",
    file: str | None = None,
    declared: Mapping[str, tuple[Kind, float | None]] | None = None,
    strict: bool = False,
    line_map: Callable[[int, int], tuple[int, int, str]] | None = None,
) -> Graph:
    """Build the graph of a parsed program.

    ``declared`` leaves (name -> kind, value) are created first, in order, used or not.
    With ``strict``, a name that is neither declared nor assigned before its use is an
    error (the YAML front end wants that); otherwise it is an input (or its ``kinds``
    entry). ``line_map`` turns a (line, column) of the program text into the place to
    report (line, column, source line).
    """
    kinds = dict(kinds or {})
    values = {name: float(v) for name, v in (values or {}).items()}
    b = GraphBuilder(merge=merge)
    env: dict[str, int] = {}
    versions: dict[str, list[int]] = {}  # target name -> nodes it named, oldest first
    leaf_names: set[str] = set()  # leaves named by the user and never assigned
    result: int | None = None
    bare_output = False
    lines = program.source.split("\n")

    def error(message: str, line: int, column: int) -> ParseError:
        if line_map is not None:
            at_line, at_column, source_line = line_map(line, column)
        else:
            at_line, at_column = line, column
            source_line = lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else ""
        return ParseError(message, line=at_line, column=at_column, source_line=source_line, file=file)

    for name, (kind, value) in (declared or {}).items():
        env[name] = b.leaf(name, kind, value)
        leaf_names.add(name)

    for stmt in program.statements:
        stack: list[int | _Literal] = []
        push = stack.append
        pop = stack.pop
        for ins in stmt.code:
            if ins.kind == NUM:
                push(float(ins.payload))  # type: ignore[arg-type]
            elif ins.kind == NAME:
                name = str(ins.payload)
                i = env.get(name)
                if i is None:
                    if strict:
                        known = list(env)
                        raise error(f"undefined name '{name}'{_suggest(name, known)}", ins.line, ins.column)
                    kind = kinds.get(name, Kind.INPUT)
                    i = b.leaf(name, kind, values.get(name))
                    env[name] = i
                    leaf_names.add(name)
                push(i)
            else:
                opname = ins.payload
                assert isinstance(opname, str)
                op = OPS[opname]
                if op.arity == 1:
                    a = pop()
                    if opname == "neg" and isinstance(a, float):
                        push(-a)  # fold '-3' into one constant
                        continue
                    push(b.apply(opname, (_node(b, a),)))
                else:
                    rhs = pop()
                    lhs = pop()
                    push(b.apply(opname, (_node(b, lhs), _node(b, rhs))))
        top = pop()
        if stmt.target is None:
            result = _node(b, top)
            bare_output = True
            continue
        target = stmt.target
        bare_output = False
        if isinstance(top, float):
            # 'c = 3' defines a named constant (or a leaf of the declared kind)
            kind = kinds.get(target, Kind.CONST)
            i = b.leaf(target, kind, top)
            b.labels[i] = None  # named below, with the other versions of target
            versions.setdefault(target, []).append(i)
        else:
            i = top
            if b.labels[i] is None and b.nodes[i].op is not None:
                b.labels[i] = target
                versions.setdefault(target, []).append(i)
        env[target] = i
        result = i

    assert result is not None
    graph = _finish(b, versions, leaf_names, result, bare_output, title)
    # values given for assigned constants apply to the version that has the plain name
    for name, value in values.items():
        j = graph.index.get(name)
        if j is not None and graph.nodes[j].op is None and name not in leaf_names:
            graph.nodes[j].value = value
    return graph


def _node(b: GraphBuilder, ref: int | float) -> int:
    return b.const(ref) if isinstance(ref, float) else ref


def _suggest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _finish(
    b: GraphBuilder,
    versions: dict[str, list[int]],
    leaf_names: set[str],
    result: int,
    bare_output: bool,
    title: str,
) -> Graph:
    in_versions = {i for nodes in versions.values() for i in nodes}
    names: list[str | None] = [
        None if (n.op is not None or i in in_versions) else n.name for i, n in enumerate(b.nodes)
    ]
    taken: set[str] = {nm for nm in names if nm is not None}
    # assigned names: the newest version gets the plain name (unless a leaf has it)
    for target, nodes in versions.items():
        if target not in leaf_names:
            names[nodes[-1]] = target
        taken.add(target)
    for target, nodes in versions.items():
        suffix = 0
        for i in nodes:
            if names[i] is not None:
                continue
            suffix += 1
            candidate = f"{target}_{suffix}"
            while candidate in taken:
                suffix += 1
                candidate = f"{target}_{suffix}"
            names[i] = candidate
            taken.add(candidate)
    if bare_output and names[result] is None:
        candidate = "out"
        k = 1
        while candidate in taken:
            k += 1
            candidate = f"out{k}"
        names[result] = candidate
        taken.add(candidate)
    counter = 0
    for i, nm in enumerate(names):
        if nm is None:
            counter += 1
            while f"v{counter}" in taken:
                counter += 1
            names[i] = f"v{counter}"
    for node, nm in zip(b.nodes, names, strict=True):
        assert nm is not None
        node.name = nm
    return Graph(b.nodes, [result], title=title)


def from_expression(
    text: str,
    *,
    params: set[str] | frozenset[str] = frozenset(),
    labels: set[str] | frozenset[str] = frozenset(),
    consts: set[str] | frozenset[str] = frozenset(),
    values: Mapping[str, float] | None = None,
    merge: bool = True,
    file: str | None = None,
) -> Graph:
    """Parse expression text (statements allowed) into a graph."""
    kinds: dict[str, Kind] = {}
    for names, kind in ((params, Kind.PARAM), (labels, Kind.LABEL), (consts, Kind.CONST)):
        for name in names:
            if name in kinds and kinds[name] is not kind:
                raise GraphError(f"'{name}' is declared both {kinds[name].value} and {kind.value}")
            kinds[name] = kind
    with gc_paused():
        program = parse(text, file=file)
        g = build_program(program, kinds=kinds, values=values, merge=merge, file=file)
    for name in values or {}:
        if name not in g.index:
            raise GraphError(f"a value was given for '{name}', which the expression does not use")
        if g.node(name).op is not None:
            raise GraphError(f"'{name}' is computed by the expression; only leaves take values")
    declared = set(kinds)
    unknown = declared - set(g.index)
    if unknown:
        raise GraphError(
            "declared but not used in the expression: " + ", ".join(sorted(unknown))
        )
    for name in declared:
        if g.node(name).op is not None:
            raise GraphError(
                f"'{name}' is computed by the expression; only leaves can be {kinds[name].value}s"
            )
    return g

"""Turn parsed statements into a graph: one node per elementary operation.

This is the one builder: expression text (:func:`build_program`, :func:`from_expression`)
and YAML steps (:func:`build_steps`) both run postfix code from :mod:`cgtui.lang.parser`
on a value stack in :class:`GraphBuilder`, which also sorts steps by their dependencies
and names the nodes, so building is a loop too. Identical subexpressions (same op, same
operand nodes) become one node unless ``merge=False`` keeps the tree exactly as written.
Names:

* a name that is never assigned is a leaf: an input unless ``kinds`` says otherwise;
* ``name = 3`` defines a constant leaf called ``name``;
* ``name = expr`` names expr's node; a name assigned again names the newest node, and
  the earlier versions (computations or constants) become ``name_1``, ``name_2`` ...
  (as in Python, later uses see the newest value); a leaf that was never assigned (an
  input, say) keeps its name, so ``x = x + 1`` makes ``x_1`` from the input ``x``;
* other intermediates get ``v1, v2, ...`` in topological order (past any name in use),
  and a bare final expression is called ``out``; number literals are constants named by
  their value.

Steps differ from statements in three ways: they may come in any order (each is built
after the steps it uses; a cycle is an error), a step is never merged into another
named node, and a step that only repeats a name is an error.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import heapq
import math
import operator
import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, compress, count, repeat, takewhile
from operator import attrgetter
from typing import Any

from cgtui.core import arrays
from cgtui.core.arrays import Shape
from cgtui.core.errors import CgtuiError, GraphError, chain_text, did_you_mean
from cgtui.core.graph import MAX_NODES, Columns, Graph, Kind, LeafValue, Node
from cgtui.core.notation import format_number
from cgtui.core.ops import OPS, syntax
from cgtui.lang.parser import (
    FRAME,
    MAX_OPERATIONS,
    NAME,
    RESERVED_WORDS,
    Code,
    Instr,
    LineMap,
    Program,
    SourceText,
    grammar_of,
    parse,
)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a graph is built.

    Parsing and building make hundreds of thousands of small objects that hold no
    reference cycles; left on, the collector rescans them over and over (about a fifth
    of the time for a 100,000-term sum). At the end, what was made goes straight to the
    oldest generation (``gc.freeze`` then ``gc.unfreeze``, two splices of lists): a graph
    lives long, and the young generations would otherwise scan all of it once more each,
    at the first allocations after the pause. Garbage among those objects is still
    collected, by the next full collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:  # (never the objects someone else froze)
            gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()


def const_name(value: float) -> str:
    """A constant's name: its value, written so that reading it back gives the same float."""
    text = format_number(value)
    if float(text) != value:
        text = repr(float(value))
    return text


def is_literal(node: Node) -> bool:
    """A constant named by its own value (``2``, ``-0.5``): written as the number."""
    return node.kind is Kind.CONST and node.value is not None and not node.name.isidentifier()


@dataclass(slots=True)
class Step:
    """One named step of a graph written as steps (YAML's ``steps:``), in any order."""

    name: str
    code: list[Instr]  # postfix code, positions where the reader should look
    line: int | None = None  # where the step is named, for errors about the whole step
    column: int | None = None
    fold: bool = True  # '-3' is one constant; the op form {op: neg, args: [3]} is neg(3)


_Literal = float  # a number not yet turned into a node (so '-3' folds to one constant)


class GraphBuilder:
    """A growing graph: leaves, computations, the names in scope and their versions.

    A computation's ``name`` is ``""`` until a statement assigns it (it is only a label
    then: :meth:`finish` names every node)."""

    def __init__(
        self,
        *,
        merge: bool = True,
        kinds: Mapping[str, Kind] | None = None,
        values: Mapping[str, float] | None = None,
    ) -> None:
        self.merge = merge
        self.kinds = kinds or {}
        self.values = values or {}  # the values of free names (leaves made by run)
        #: the nodes so far, as columns (name, kind, op, operands, value)
        self.cols = Columns([], [], [], [], [])
        #: hash-consing: op name -> operand nodes -> the node that applies the op to them
        self.memo: dict[str, dict[tuple[int, ...], int]] = {}
        self.consts: dict[float, int] = {}
        self.env: dict[str, int] = {}  # name -> node it stands for now
        self.versions: dict[str, list[int]] = {}  # target name -> nodes it named, oldest first
        #: leaves named by the user that were in scope when their name was first assigned
        #: (they keep the name: ``x = x + 1``); every other leaf is in ``env`` under its name
        self.leaf_names: set[str] = set()
        #: Each node's shape (None: not known), kept once an array appears; ``locate``
        #: makes a shape error point at the op in the text.
        self.shapes: list[Shape | None] | None = None
        self.locate: Callable[[str, int, int], Exception] | None = None
        #: how many leaves :meth:`run` made for free names took their value from ``values``
        self.valued = 0

    # --- shapes -----------------------------------------------------------------------

    def _shape_list(self) -> list[Shape | None]:
        """Every node's shape, in topological order (a loop: each from its operands')."""
        shapes = self.shapes if self.shapes is not None else []
        self.shapes = shapes
        cols = self.cols
        for i in range(len(shapes), len(cols.names)):
            op = cols.ops[i]
            if op is None:
                value = cols.values[i]
                shapes.append(None if value is None else arrays.shape_of(value))
            else:
                shapes.append(self._result_shape(op, cols.operands[i]))
        return shapes

    def _result_shape(self, opname: str, operands: tuple[int, ...]) -> Shape | None:
        shapes = self.shapes
        assert shapes is not None
        given = [shapes[p] for p in operands]
        if any(s is None for s in given):
            return None
        kinds, values = self.cols.kinds, self.cols.values
        consts = [
            float(v) if kinds[p] is Kind.CONST and isinstance(v := values[p], float) else None
            for p in operands
        ]
        return OPS[opname].result_shape([s for s in given if s is not None], consts)

    def check_shape(self, opname: str, operands: tuple[int, ...], code: Code, k: int) -> None:
        """Refuse operands whose shapes do not fit ``opname`` (instruction ``k`` of
        ``code``), at the op's place."""
        try:
            self._shape_list()
            self._result_shape(opname, operands)
        except arrays.ShapeMismatch as exc:
            if self.locate is None:
                raise GraphError(str(exc)) from None
            raise self.locate(str(exc), *code.position(k)) from None

    # --- nodes ------------------------------------------------------------------------

    def leaf(self, name: str, kind: Kind, value: LeafValue | None) -> int:
        self._room()
        if self.shapes is None and value is not None and type(value) is not float:
            self._shape_list()  # an array: shapes are checked from now on
        return self._append(name, kind, None, (), value)

    def _append(
        self, name: str, kind: Kind, op: str | None, operands: tuple[int, ...], value: LeafValue | None
    ) -> int:
        """Add a node; its index."""
        cols = self.cols
        cols.names.append(name)
        cols.kinds.append(kind)
        cols.ops.append(op)
        cols.operands.append(operands)
        cols.values.append(value)
        return len(cols.names) - 1

    def named_leaf(self, name: str, kind: Kind, value: LeafValue | None) -> int:
        """A declared leaf or a free name: in scope, and keeping its name."""
        i = self.env[name] = self.leaf(name, kind, value)
        return i

    def _room(self) -> None:
        if len(self.cols.names) >= MAX_NODES:
            raise GraphError(f"the graph has more than {MAX_NODES:,} nodes, the most cgtui works on")

    def const(self, value: float) -> int:
        value = float(value) + 0.0  # -0.0 -> 0.0
        i = self.consts.get(value)
        if i is None:
            i = self.leaf(const_name(value), Kind.CONST, value)
            self.consts[value] = i
        return i

    def apply(self, op: str, operands: tuple[int, ...], *, merge: bool = True) -> int:
        merge = merge and self.merge
        if merge:
            memo = self.memo.setdefault(op, {})
            i = memo.get(operands)
            if i is not None:
                return i
        self._room()
        i = self._append("", Kind.COMPUTATION, op, operands, None)
        if merge:
            memo[operands] = i
        return i

    def node(self, ref: int | _Literal) -> int:
        return self.const(ref) if isinstance(ref, float) else ref

    # --- code -------------------------------------------------------------------------

    def run(
        self,
        code: Code | Sequence[Instr],
        free: Callable[[str, Code], int] | None = None,
        *,
        fold: bool = True,
    ) -> int | _Literal:
        """Run one statement's postfix code; its value is a node or a bare number.

        ``free(name, code)`` gives the node of a name that is not in scope (or raises);
        without it, such a name is a new leaf in scope: an input unless ``kinds`` says
        otherwise, with its value from ``values`` if there is one."""
        if not isinstance(code, Code):
            code = Code.from_instrs(code)
        stack: list[Any] = []  # nodes, and numbers not yet made nodes
        push = stack.append
        pop = stack.pop
        env = self.env
        env_get = env.get
        kinds = self.kinds
        kind_of = kinds.get
        value_of = self.values.get
        free_kind = Kind.INPUT
        const = self.const
        cols = self.cols
        nodes = cols.names  # (its length is the number of nodes)
        add_name, add_kind, add_op = cols.names.append, cols.kinds.append, cols.ops.append
        add_operands, add_value = cols.operands.append, cols.values.append
        memos = self.memo
        merge = self.merge
        computation = Kind.COMPUTATION
        room = MAX_NODES
        item: Any
        last_op: Any = None
        name = ""
        tensor_op = False
        memo: dict[tuple[int, ...], int] = {}
        shaped = self.shapes is not None  # shapes are checked once an array is in the graph
        for k, item in enumerate(code.items):
            what = type(item)
            if what is str:  # a name
                i = env_get(item)
                if i is None:
                    if free is not None:
                        i = free(item, code)
                    else:
                        i = len(nodes)
                        if i >= room:
                            self._room()
                        kind = kind_of(item, free_kind) if kinds else free_kind
                        value = value_of(item)
                        if value is not None:
                            self.valued += 1
                        if value is not None and type(value) is not float and not shaped:
                            self._shape_list()
                            shaped = True
                        add_name(item)
                        add_kind(kind)
                        add_op(None)
                        add_operands(())
                        add_value(value)
                        env[item] = i
                push(i)
                continue
            if what is float:  # a number
                push(item)
                continue
            arity = item.arity  # an Op
            operands: tuple[int, ...]
            if arity == 2:
                b = pop()
                a = pop()
                operands = (const(a) if type(a) is float else a, const(b) if type(b) is float else b)
            elif arity == 1:
                a = pop()
                if type(a) is float:
                    if fold and item.name == "neg":
                        push(-a)  # fold '-3' into one constant
                        continue
                    a = const(a)
                operands = (a,)
            else:
                args = stack[len(stack) - arity:]
                del stack[len(stack) - arity:]
                operands = tuple(const(x) if type(x) is float else x for x in args)
            if item is not last_op:  # (runs of one op, as in a long sum, look it up once)
                name = item.name
                tensor_op = item.tensor
                if merge:
                    memo = memos.setdefault(name, {})
                last_op = item
            if shaped or tensor_op:
                self.check_shape(name, operands, code, k)
                shaped = True
            if merge:
                i = memo.get(operands)
                if i is not None:
                    push(i)
                    continue
                i = len(nodes)
                memo[operands] = i
            else:
                i = len(nodes)
            if i >= room:
                self._room()
            add_name("")
            add_kind(computation)
            add_op(name)
            add_operands(operands)
            add_value(None)
            push(i)
        top: int | _Literal = pop()
        return top

    def assign(self, target: str, top: int | _Literal, *, distinct: bool = False) -> int:
        """``target = top``. With ``distinct`` (steps), a node that already has a name is
        copied, so that a named step is never merged with another one."""
        names, ops = self.cols.names, self.cols.ops
        j = self.env.get(target)
        if j is not None and target not in self.versions and ops[j] is None and names[j] == target:
            self.leaf_names.add(target)  # a leaf named by the user: it keeps its name
        if isinstance(top, float):
            # 'c = 3' defines a named constant (or a leaf of the declared kind); it is
            # named at the end, with the other versions of target
            i = self.leaf(target, self.kinds.get(target, Kind.CONST), top)
            self.versions.setdefault(target, []).append(i)
        else:
            i = top
            op = ops[i]
            if distinct and op is not None and names[i]:
                i = self.apply(op, self.cols.operands[i], merge=False)
            if op is not None and not names[i]:
                names[i] = target
                self.versions.setdefault(target, []).append(i)
        self.env[target] = i
        return i

    # --- names ------------------------------------------------------------------------

    def finish(self, result: int, *, bare_output: bool = False, title: str = "") -> Graph:
        """Name every node and return the graph, with ``result`` as its output.

        Leaves keep their names; assigned names go to the versions of their targets (the
        newest gets the plain name unless a leaf has it, the others ``name_1``...); a bare
        final expression is ``out``; other computations are ``v1``, ``v2``... None of
        these takes a name already taken: a leaf's (numbers are named by their value, so
        only the leaves named by the user could clash, and each is in ``env`` under its
        name or in ``leaf_names``), a target's, or one given here."""
        cols = self.cols
        names, ops = cols.names, cols.ops
        env = self.env
        env_get = env.get
        leaf_names = self.leaf_names
        versions = self.versions
        given: set[str] = set(versions)

        def taken(name: str) -> bool:
            if name in given or name in leaf_names:
                return True
            j = env_get(name)
            return j is not None and ops[j] is None and names[j] == name

        named: dict[int, str] = {}
        for target, versioned in versions.items():
            if target not in leaf_names:
                named[versioned[-1]] = target
        for target, versioned in versions.items():
            suffix = 0
            for i in versioned:
                if i in named:
                    continue
                suffix += 1
                candidate = f"{target}_{suffix}"
                while taken(candidate):
                    suffix += 1
                    candidate = f"{target}_{suffix}"
                named[i] = candidate
                given.add(candidate)
        if bare_output and result not in named and ops[result] is not None:
            candidate = "out"
            k = 1
            while taken(candidate):
                k += 1
                candidate = f"out{k}"
            named[result] = candidate
            given.add(candidate)
        for i, nm in named.items():
            names[i] = nm
        # the other computations are named when a name is first read (cgtui grad reads
        # only the leaves' and the output's)
        namer = functools.partial(_name_the_rest, names, given, leaf_names, env)
        return Graph(cols, [result], title=title, checked=True, namer=namer)


def _name_the_rest(names: list[str], given: set[str], leaf_names: set[str], env: Mapping[str, int]) -> None:
    """Name the computations that have no name yet (``""``) ``v1``, ``v2``... in order,
    past the names vN that are taken (usually none): one given by :meth:`GraphBuilder.finish`
    (``given``), a leaf's (``leaf_names``, or a name in scope that names its own node)."""
    if "" not in names:
        return  # (statements that name every computation)
    blocked = {
        nm for nm in filter(_V_NAME.fullmatch, filter(_STARTS_WITH_V, chain(given, leaf_names, env)))
        if nm in given or nm in leaf_names or names[env[nm]] == nm
    }
    # the computations not named yet (every leaf has a name), in order
    unnamed = compress(count(), map(operator.not_, names))
    if blocked:
        counter = 0
        for i in unnamed:
            counter += 1
            nm = f"v{counter}"
            while nm in blocked:
                counter += 1
                nm = f"v{counter}"
            names[i] = nm
    else:  # (the usual case: a loop in C)
        deque(map(names.__setitem__, unnamed, map("v{}".format, count(1))), maxlen=0)


def build_program(
    program: Program,
    *,
    kinds: Mapping[str, Kind] | None = None,
    values: Mapping[str, float] | None = None,
    merge: bool = True,
    title: str = "",
    file: str | None = None,
    declared: Mapping[str, tuple[Kind, LeafValue | None]] | None = None,
    strict: bool = False,
    line_map: LineMap | None = None,
) -> Graph:
    """Build the graph of a parsed program, statement after statement.

    ``declared`` leaves (name -> kind, value) are created first, in order, used or not.
    With ``strict``, a name that is neither declared nor assigned before its use is an
    error (the YAML front end wants that); otherwise it is an input (or its ``kinds``
    entry). ``line_map`` turns a (line, column) of the program text into the place to
    report (line, column, source line).
    """
    return _build_program(
        program, kinds=kinds, values=values, merge=merge, title=title, file=file, declared=declared,
        strict=strict, line_map=line_map,
    )[0]


def _build_program(
    program: Program,
    *,
    kinds: Mapping[str, Kind] | None = None,
    values: Mapping[str, float] | None = None,
    merge: bool = True,
    title: str = "",
    file: str | None = None,
    declared: Mapping[str, tuple[Kind, LeafValue | None]] | None = None,
    strict: bool = False,
    line_map: LineMap | None = None,
) -> tuple[Graph, GraphBuilder]:
    """:func:`build_program`, and the builder that made the graph (its names in scope)."""
    kinds = dict(kinds or {})
    values = values or {}
    if not {float}.issuperset(map(type, values.values())):
        values = {name: float(v) for name, v in values.items()}
    b = GraphBuilder(merge=merge, kinds=kinds, values=values)
    error = SourceText(program.source, file, line_map).error
    b.locate = lambda message, line, column: error(message, line, column, GraphError)
    env = b.env

    def undefined(name: str, code: Code) -> int:
        raise error(f"undefined name '{name}'{did_you_mean(name, list(env))}", *code.name_position(name))

    for name, (kind, value) in (declared or {}).items():
        b.named_leaf(name, kind, value)
    result: int | None = None
    bare_output = False
    for stmt in program.statements:
        top = b.run(stmt.runnable(), undefined if strict else None)
        bare_output = stmt.target is None
        result = b.node(top) if stmt.target is None else b.assign(stmt.target, top)

    assert result is not None
    return _finish_program(b, result, bare_output, title, values, declared or {}), b


def _finish_program(
    b: GraphBuilder,
    result: int,
    bare_output: bool,
    title: str,
    values: Mapping[str, float],
    declared: Mapping[str, object],
) -> Graph:
    """The graph of a program run by ``b``: named, with its aliases and the values given
    for its constants."""
    env = b.env
    graph = b.finish(result, bare_output=bare_output, title=title)
    cols = b.cols
    names = cols.names
    # 'z = y': z is another name of y (the names in scope that name a node of another name)
    for target in compress(env, map(operator.ne, map(names.__getitem__, env.values()), env)):
        name = names[env[target]]
        if target not in graph.index:
            graph.aliases[target] = name
    # values given for assigned constants apply to the version that has the plain name
    # (a leaf made for a free name has its value already: only the constants are left)
    leaf_names = b.leaf_names
    constants = {names[i]: i for i in chain(b.consts.values(), *b.versions.values())}
    for name in values.keys() & constants.keys():
        j = constants[name]
        if cols.ops[j] is None and name not in leaf_names and name not in declared:
            cols.values[j] = values[name]
    return graph


def build_steps(
    steps: Sequence[Step],
    *,
    declared: Mapping[str, tuple[Kind, LeafValue | None]] | None = None,
    merge: bool = True,
    source: str = "",
    file: str | None = None,
) -> Graph:
    """Build the graph of named steps given in any order; its output is the last node.

    Every name a step uses must be ``declared`` (name -> kind, value) or another step.
    Positions in the steps are places in ``source`` (the file's text), for errors.
    """
    declared = declared or {}
    src = SourceText(source, file)
    error = src.error
    by_name: dict[str, Step] = {}
    for step in steps:
        if step.name in by_name or step.name in declared:
            raise error(f"duplicate name '{step.name}'", step.line, step.column, GraphError)
        by_name[step.name] = step
    known = [*declared, *by_name]
    deps: dict[str, set[str]] = {}
    for step in steps:
        uses = deps[step.name] = set()
        for ins in step.code:
            if ins.kind != NAME:
                continue
            ref = str(ins.payload)
            if ref in by_name:
                uses.add(ref)
            elif ref not in declared:
                raise error(
                    f"undefined name '{ref}' in step '{step.name}'{did_you_mean(ref, known)}",
                    ins.line, ins.column, GraphError,
                )

    b = GraphBuilder(merge=merge)
    b.locate = lambda message, line, column: error(message, line, column, GraphError)
    for name, (kind, value) in declared.items():
        b.named_leaf(name, kind, value)

    def free(name: str, code: Code) -> int:  # pragma: no cover - every name was checked above
        raise error(f"undefined name '{name}'", *code.name_position(name), GraphError)

    for step in _dependency_order(steps, deps, src):
        top = b.run(step.code, free, fold=step.fold)
        if not isinstance(top, float) and step.code[-1].kind == NAME:
            raise error(
                f"step '{step.name}' only repeats '{step.code[-1].payload}'; a step must compute something",
                step.line, step.column, GraphError,
            )
        b.assign(step.name, top, distinct=True)
    return b.finish(len(b.cols.names) - 1)


def _dependency_order(steps: Sequence[Step], deps: Mapping[str, set[str]], src: SourceText) -> list[Step]:
    """Steps in dependency order (given order where free); a cycle is reported."""
    position = {step.name: k for k, step in enumerate(steps)}
    indegree = {name: len(uses) for name, uses in deps.items()}
    users: dict[str, list[str]] = {name: [] for name in deps}
    for name, uses in deps.items():
        for dep in uses:
            users[dep].append(name)
    ready = [(position[name], name) for name, n in indegree.items() if n == 0]
    heapq.heapify(ready)
    order: list[Step] = []
    while ready:
        k, name = heapq.heappop(ready)
        order.append(steps[k])
        for user in users[name]:
            indegree[user] -= 1
            if indegree[user] == 0:
                heapq.heappush(ready, (position[user], user))
    if len(order) < len(steps):
        left = {name for name, n in indegree.items() if n > 0}
        cycle = find_cycle(left, deps, position.__getitem__)
        first = steps[position[cycle[0]]]
        raise src.error(f"cycle: {chain_text(cycle)}", first.line, first.column, GraphError)
    return order



def find_cycle(left: set[str], deps: Mapping[str, set[str]], position: Callable[[str], int]) -> list[str]:
    """A cycle among the steps ``left`` after a topological sort stopped (each of them
    uses another one left), first step by ``position`` first, in time linear in the steps.

    From the first step left, follow to the first step it uses that is left (by
    ``position``) until a step comes round again: that loop is the cycle.
    """
    start = min(left, key=position)
    seen: dict[str, int] = {}  # step -> its place on the walk
    walk: list[str] = []
    cur = start
    while cur not in seen:
        seen[cur] = len(walk)
        walk.append(cur)
        cur = min((dep for dep in deps[cur] if dep in left), key=position)
    cycle = walk[seen[cur] :]
    k = cycle.index(min(cycle, key=position))
    return cycle[k:] + cycle[:k]


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
        built = _fast_program(text, kinds, values or {}, merge) if FAST_PATH else None
        if built is None:
            program = parse(text, file=file)
            built = _build_program(program, kinds=kinds, values=values, merge=merge, file=file)
        g, b = built
    node_names, ops = b.cols.names, g.op_list()  # (the nodes of names in scope are named)
    env = b.env
    given = values or {}
    # the common case, without the index of every name: each name given is a leaf made
    # for a free name (the builder counted them; else they are looked up in its scope)
    if given and b.valued != len(given) and not (
        env.keys() >= given.keys()
        and list(map(node_names.__getitem__, map(env.__getitem__, given))) == list(given)
        and not any(map(ops.__getitem__, map(env.__getitem__, given)))
    ):  # else the first name that is not a leaf, in the order given, is refused
        _refuse_values(g, given)

    def node_of(name: str) -> int | None:
        j = env.get(name)
        return j if j is not None and node_names[j] == name else g.index.get(name)

    where = {name: node_of(name) for name in kinds}
    unknown = [name for name, j in where.items() if j is None]
    if unknown:
        raise GraphError(
            "declared but not used in the expression: " + ", ".join(sorted(unknown))
        )
    for name, j in where.items():
        if j is not None and ops[j] is not None:
            raise GraphError(
                f"'{name}' is computed by the expression; only leaves can be {kinds[name].value}s"
            )
    return g


def _refuse_values(graph: Graph, values: Mapping[str, float]) -> None:
    """Raise for the first name in ``values`` that is not a leaf of ``graph``."""
    index = graph.index
    ops = graph.op_list()
    for name in values:
        j = index.get(name)
        if j is None:
            raise GraphError(f"a value was given for '{name}', which the expression does not use")
        if ops[j] is not None:
            raise GraphError(f"'{name}' is computed by the expression; only leaves take values")


_op = attrgetter("op")
_name = attrgetter("name")
_V_NAME = re.compile(r"v[0-9]+")
_STARTS_WITH_V: Any = operator.methodcaller("startswith", "v")  # (a first sieve, in C)


#: The size of the blocks of text :func:`_fast_program` scans at a time (about 7,000 terms)
_BLOCK = 1 << 16


def _block_end(text: str, start: int) -> int:
    """Where a block of text from ``start`` may end: at a newline, or at a blank on a line
    without a comment before it (never inside a token or a comment), about :data:`_BLOCK`
    characters on; the end of the text if there is no such place."""
    at = start + _BLOCK
    if at >= len(text):
        return len(text)
    newline = text.find("\n", at)
    blank = text.find(" ", at)
    line_start = text.rfind("\n", 0, blank) + 1
    if blank != -1 and (newline == -1 or blank < newline) and text.find("#", line_start, blank) == -1:
        return blank
    return newline if newline != -1 else len(text)


#: Whether :func:`from_expression` tries :func:`_fast_program` first (the tests compare
#: the two ways on random texts)
FAST_PATH = True


def _run_length(pieces: list[str], start: int, limit: int, op: str) -> int:
    """How many of ``pieces[start:limit:2]`` are ``op`` from the first on: looked at in
    slices that double from :data:`_RUN` on, so that finding a short run costs as little
    as it is long (a sum of products, ``a + b + c*d + ...``, stops at every other term)."""
    found = 0
    size = _RUN
    while True:
        at = start + 2 * found
        ahead = pieces[at : min(limit, at + 2 * size) : 2]
        same = len(list(takewhile(op.__eq__, ahead)))
        found += same
        if same < size:
            return found
        size *= 2


def _remember(run: tuple[dict[tuple[int, ...], int], list[tuple[int, int]], list[int]]) -> None:
    """Put a run's sums in its memo, by their pairs of operands."""
    memo, pairs, sums = run
    memo.update(zip(pairs, sums, strict=True))


class _Fallback(Exception):
    """Something :func:`_fast_program` leaves to the parser and the builder."""


def _fast_program(
    text: str, kinds: Mapping[str, Kind], values: Mapping[str, float], merge: bool
) -> tuple[Graph, GraphBuilder] | None:
    """Parse and build in one loop, for text of the common kinds (numbers, plain names,
    operators, brackets and calls, assignments), or None: then the parser and the builder
    take the text from the start (and name the problem, if there is one).

    The loop is the parser's shunting-yard (:meth:`cgtui.lang.parser._Parser.expression`)
    with :meth:`GraphBuilder.run` done where the parser emits an instruction, so the graph
    is the same, node for node; ``tests/test_build.py`` compares the two on random texts.
    Its tokens are bare strings (the grammar's ``tokens`` scanner: blanks and comments
    skipped, a number glued to a name kept as one token, which no rule below takes).
    Anything else (a refused or unusual token, a misplaced one, a reserved word, an array,
    an op on arrays, too many nodes) hands the text back at once.
    """
    if sum(map(text.count, "+-*/^(")) > MAX_OPERATIONS:
        return None
    if not {float}.issuperset(map(type, values.values())):
        if not all(type(v) in (int, float) for v in values.values()):
            return None  # arrays: their shapes are checked by the builder
        values = {name: float(v) for name, v in values.items()}
    grammar = grammar_of(syntax())
    # the tokens, scanned a block of text at a time (a 100,000-term sum's would take 2 MB at
    # once): ``limit`` is where the next block is scanned, three tokens before the end of
    # the ones scanned (the loop looks two tokens ahead)
    scan = grammar.tokens
    scanned = 0  # where the text not yet scanned starts

    def refill(pieces: list[str], k: int) -> tuple[list[str], int, int]:
        nonlocal scanned
        pieces = pieces[k:]
        while scanned < len(text) and len(pieces) < 3:
            end = _block_end(text, scanned)
            more = scan(text, scanned, end)
            if end < len(text):  # (the end of a block that is not the end of the text)
                while more and not more[-1]:
                    more.pop()
            pieces += more
            scanned = end
        if scanned < len(text):
            return pieces, 0, len(pieces) - 2
        pieces += ("", "", "")  # the end
        return pieces, 0, len(pieces) - 2

    pieces, k, limit = refill([], 0)
    infix = grammar.infix
    prefix = grammar.prefix
    functions = grammar.functions
    reserved = RESERVED_WORDS
    name_start = _NAME_START
    b = GraphBuilder(merge=merge, kinds=kinds, values=values)
    cols = b.cols
    nodes = cols.names  # (its length is the number of nodes)
    add_name, add_kind, add_op = cols.names.append, cols.kinds.append, cols.ops.append
    add_operands, add_value = cols.operands.append, cols.values.append
    env = b.env
    env_get = env.get
    kind_of = kinds.get
    value_of = values.get
    free_kind = Kind.INPUT
    const = b.const
    memos = b.memo
    computation = Kind.COMPUTATION
    room = MAX_NODES
    stack: list[Any] = []  # nodes, and numbers not yet made nodes
    push = stack.append
    pop = stack.pop

    def apply(op: Any) -> None:
        """The builder's run of one op instruction."""
        arity = op.arity
        operands: tuple[int, ...]
        if arity == 2:
            y = pop()
            x = pop()
            operands = (const(x) if type(x) is float else x, const(y) if type(y) is float else y)
        elif arity == 1:
            x = pop()
            if type(x) is float:
                if op.name == "neg":
                    push(-x)  # '-3' is one constant
                    return
                x = const(x)
            operands = (x,)
        else:
            args = stack[len(stack) - arity:]
            del stack[len(stack) - arity:]
            operands = tuple(const(v) if type(v) is float else v for v in args)
        if op.tensor:
            raise _Fallback
        if merge:
            memo = memos.setdefault(op.name, {})
            i = memo.get(operands)
            if i is not None:
                if i in later:
                    _remember(later.pop(i))
                push(i)
                return
            i = memo[operands] = len(nodes)
        else:
            i = len(nodes)
        if i >= room:
            raise _Fallback
        add_name("")
        add_kind(computation)
        add_op(op.name)
        add_operands(operands)
        add_value(None)
        push(i)

    result: int | None = None
    bare_output = False
    valued = 0
    last_op: Any = None
    opname = ""  # last_op's name
    memo: dict[tuple[int, ...], int] = {}
    bulk_from = 0  # where a run of one op may next be made at once
    # a run's first sum -> the run's memo, its pairs of operands and its sums (put in the
    # memo when the first sum is found there: see below)
    later: dict[int | None, tuple[dict[tuple[int, ...], int], list[tuple[int, int]], list[int]]] = {}
    made: list[Any]
    try:
        while True:
            if k >= limit:
                pieces, k, limit = refill(pieces, k)
            tok = pieces[k]
            if tok == "\n" or tok == ";":
                k += 1
                continue
            if not tok:
                break  # the end
            target: str | None = None
            if pieces[k + 1] == "=" and tok[0] in name_start:
                if tok in functions or tok in reserved:
                    return None
                target = tok
                k += 2
            # operators waiting for operands: (precedence, op); open brackets: [_FRAME,
            # function or None, arguments so far]; the bottom one stands for the statement
            ops: list[Any] = [[FRAME, None, 0]]
            expect_operand = True
            depth = 0
            while True:
                if k >= limit:
                    pieces, k, limit = refill(pieces, k)
                tok = pieces[k]
                if expect_operand:
                    if not tok:
                        return None
                    first = tok[0]
                    if first in name_start:
                        if pieces[k + 1] == "(":  # a call
                            function = functions.get(tok)
                            if function is None or pieces[k + 2] == ")":
                                return None
                            ops.append([FRAME, function, 1])
                            depth += 1
                            k += 2
                            continue
                        i = env_get(tok)
                        if i is None:
                            if tok in reserved:
                                return None
                            i = len(nodes)
                            if i >= room:
                                return None
                            kind = kind_of(tok, free_kind) if kinds else free_kind
                            value = value_of(tok)
                            if value is not None:
                                valued += 1
                            add_name(tok)
                            add_kind(kind)
                            add_op(None)
                            add_operands(())
                            add_value(value)
                            env[tok] = i
                        push(i)
                        expect_operand = False
                    elif first in _NUMBER_START:
                        if "_" in tok:
                            return None  # (a number glued to a name: '2_x'; float() takes '2_0')
                        value = float(tok)  # (ValueError for a number glued to a name: '2x')
                        if value == math.inf:
                            return None
                        push(value)
                        expect_operand = False
                    elif tok == "(":
                        ops.append([FRAME, None, 1])
                        depth += 1
                    elif tok == "\n":
                        if depth == 0:
                            return None
                    else:
                        entry = prefix.get(tok)
                        if entry is not None:
                            ops.append(entry)
                        elif tok != "+":  # a prefix '+' is the identity
                            return None
                else:
                    entry2 = infix.get(tok)
                    if entry2 is not None:
                        if ops[-1] is entry2[3] and entry2[2] is last_op:
                            # a run of one binary op that groups from the left (a long sum):
                            # the op waiting on the stack is this one (nothing under it binds
                            # as tight), so it is applied, and waits again for an operand
                            y = pop()
                            x = pop()
                            operands = (
                                const(x) if type(x) is float else x, const(y) if type(y) is float else y
                            )
                            i = memo.get(operands) if merge else None
                            if i in later:
                                _remember(later.pop(i))
                            if i is None:
                                i = len(nodes)
                                if i >= room:
                                    return None
                                if merge:
                                    memo[operands] = i
                                add_name("")
                                add_kind(computation)
                                add_op(opname)
                                add_operands(operands)
                                add_value(None)
                            push(i)
                            if k >= bulk_from:
                                # the names of the run that follow, each followed by this op,
                                # made at once when each is new (a leaf, then the sum so far)
                                m = _run_length(pieces, k + 2, limit, tok)
                                run = pieces[k + 1 : k + 1 + 2 * m : 2]
                                n = len(nodes)
                                if (
                                    m >= _RUN
                                    and "".join(run).isascii()
                                    and all(map(str.isidentifier, run))
                                    and reserved.isdisjoint(run)
                                    and env.keys().isdisjoint(run)
                                    and len(set(run)) == m
                                    and n + 2 * m <= room
                                ):
                                    made = list(range(n, n + 2 * m))  # (one int object each)
                                    leaves = made[::2]
                                    sums = made[1::2]
                                    made = [computation] * (2 * m)  # kinds, then names...
                                    kinds_of = map(kind_of, run, repeat(free_kind)) if kinds else None
                                    made[::2] = kinds_of or repeat(free_kind, m)
                                    cols.kinds += made
                                    made[::2] = run
                                    made[1::2] = repeat("", m)
                                    cols.names += made
                                    made[::2] = repeat(None, m)
                                    made[1::2] = repeat(opname, m)
                                    cols.ops += made
                                    pairs = list(zip(chain((i,), sums), leaves, strict=False))  # (a sum more)
                                    made[::2] = repeat((), m)
                                    made[1::2] = pairs
                                    cols.operands += made
                                    made[::2] = given = list(map(value_of, run))
                                    made[1::2] = repeat(None, m)
                                    cols.values += made
                                    valued += m - given.count(None)
                                    env.update(zip(run, leaves, strict=True))
                                    if merge:
                                        # only the run's first sum is looked up until it is
                                        # found again (the rest are met only after it): the
                                        # others go in the memo then
                                        memo[pairs[0]] = sums[0]
                                        later[sums[0]] = (memo, pairs, sums)
                                    stack[-1] = sums[-1]
                                    k += 2 * m
                                else:
                                    bulk_from = k + 2 * m + 1  # (not again in this run)
                        else:
                            pop_at = entry2[0]
                            while ops[-1][0] >= pop_at:
                                apply(ops.pop()[1])
                            op = entry2[2]
                            if op is not last_op and op.arity == 2 and not op.tensor and not op.right:
                                last_op = op
                                opname = op.name
                                memo = memos.setdefault(opname, {})
                            ops.append(entry2[3])
                        expect_operand = True
                    elif tok == ")" or tok == ",":
                        while type(ops[-1]) is not list:
                            apply(ops.pop()[1])
                        if len(ops) == 1:
                            return None
                        frame = ops[-1]
                        function = frame[1]
                        if tok == ",":
                            if function is None:
                                return None
                            frame[2] += 1
                            expect_operand = True
                        else:
                            ops.pop()
                            if function is not None:
                                if frame[2] != function.arity:
                                    return None
                                apply(function)
                            if pieces[k + 1] == "(":
                                return None
                            depth -= 1
                    elif tok == ";" or not tok:
                        break
                    elif tok == "\n":
                        if depth == 0:
                            break
                    else:
                        return None
                k += 1
            while len(ops) > 1:
                top = ops.pop()
                if type(top) is list:
                    return None
                apply(top[1])
            value_or_node = pop()
            bare_output = target is None
            result = b.node(value_or_node) if target is None else b.assign(target, value_or_node)
    except (_Fallback, CgtuiError, IndexError, ValueError):
        return None
    if result is None:
        return None
    b.valued = valued
    return _finish_program(b, result, bare_output, "", values, {}), b


#: The shortest run of one op over new names (``x0 + x1 + ... + x99999``) that
#: :func:`_fast_program` makes at once, a few list operations in C for the whole run
_RUN = 8


#: The first characters of names and numbers among the fast path's tokens (ASCII: the
#: scanner reads only ASCII names and digits, anything else is a token of its own)
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NUMBER_START = frozenset("0123456789.")

"""What the explorer says about a node, as plain text: no Textual, no Rich.

Every widget of the explorer renders strings made here from a
:class:`~cgtui.engine.engine.Stepper`, so tests (and other front ends) can check the words
and numbers without a screen, and the widgets only add colour and layout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cgtui.core import notation
from cgtui.core.errors import short_name
from cgtui.core.graph import Graph, Kind
from cgtui.core.notation import chain_term, partial_name, value_text
from cgtui.core.ops import OPS
from cgtui.engine.engine import Status, Stepper, application_text
from cgtui.engine.paths import Count
from cgtui.teach.efficiency import format_count, ratio_text

#: Short tags for node kinds, shown where a column is narrow.
KIND_TAGS: dict[str, str] = {
    "input": "input",
    "label": "label",
    "param": "param",
    "const": "const",
    "computation": "comp",
    "output": "output",
}

#: How many paths the side pane lists before it summarises the rest.
TOP_PATHS = 5

#: Two floats this close (relative) count as equal for the check mark.
CHECK_TOLERANCE = 1e-9

#: What a view shows in place of a quantity an open quiz question asks about.
MASKED = "▒▒▒"


@dataclass(frozen=True)
class Mask:
    """The quantities an open quiz question asks about: every view shows :data:`MASKED`
    in their place (and a masked kind in the neutral colour) until it is answered."""

    kinds: frozenset[int] = frozenset()
    values: frozenset[int] = frozenset()
    partials: frozenset[int] = frozenset()
    edges: frozenset[tuple[int, int]] = frozenset()  # (node, slot): a local derivative
    paths: frozenset[int] = frozenset()  # the paths from a node to the output

    def nodes(self) -> set[int]:
        """Every node whose text the mask changes."""
        return {*self.kinds, *self.values, *self.partials, *(i for i, _ in self.edges), *self.paths}

    def __bool__(self) -> bool:
        return bool(self.nodes())


NO_MASK = Mask()


def quiz_mask(question: Any) -> Mask:
    """What a quiz question (:class:`~cgtui.teach.quiz.Question`) asks about."""
    from cgtui.teach.quiz import QuestionKind

    node = question.node
    kind = question.kind
    if kind is QuestionKind.LEAF_KIND:
        return Mask(kinds=frozenset({node}))
    if kind is QuestionKind.FORWARD_VALUE:
        return Mask(values=frozenset({node}))
    if kind is QuestionKind.BACKWARD_PARTIAL:
        return Mask(partials=frozenset({node}))
    if kind is QuestionKind.LOCAL_DERIVATIVE and question.slot is not None:
        return Mask(edges=frozenset({(node, question.slot)}))
    if kind is QuestionKind.PATH_COUNT:
        return Mask(paths=frozenset({node}))
    return NO_MASK


def kind_key(stepper: Stepper, i: int, mask: Mask = NO_MASK) -> str:
    """``input``/``label``/``param``/``const``/``computation``, or ``output`` for L; a
    masked kind reads as ``computation`` (the neutral colour)."""
    if i == stepper.output:
        return "output"
    if i in mask.kinds:
        return "computation"
    return stepper.graph.nodes[i].kind.value


def kind_tag(stepper: Stepper, i: int, mask: Mask = NO_MASK) -> str:
    """The short kind tag of node ``i`` (:data:`KIND_TAGS`), or :data:`MASKED`."""
    if i in mask.kinds:
        return MASKED
    return KIND_TAGS[kind_key(stepper, i)]


def shown_value(stepper: Stepper, i: int, mask: Mask = NO_MASK) -> str:
    """Node ``i``'s value as text (``?`` before the forward pass reaches it)."""
    return MASKED if i in mask.values else value_text(stepper.values[i])


def expression(stepper: Stepper, i: int) -> str:
    """``z + b`` for a computation; the kind for a leaf."""
    node = stepper.graph.nodes[i]
    if node.op is None:
        return "leaf"
    return application_text(stepper.graph, i)


def partial_text(stepper: Stepper, i: int, mask: Mask = NO_MASK) -> str:
    """The cached ``dL/dnode`` as text: a number, ``-`` when it has none."""
    status = stepper.status(i)
    if status in (Status.NO_PATH, Status.CONSTANT):
        return "-"
    if i in mask.partials:
        return MASKED
    p = stepper.partials[i]
    return "" if p is None else value_text(p)


def status_text(stepper: Stepper, i: int) -> str:
    return stepper.status(i).value


def successors_text(stepper: Stepper, i: int) -> str:
    g = stepper.graph
    names: list[str] = []
    for s, _slot in g.successors(i):
        name = g.nodes[s].name
        names.append(name)
    return ", ".join(names)


def tree_label(stepper: Stepper, i: int, mask: Mask = NO_MASK) -> str:
    """One line of the tree: ``yhat  comp  z + b  = 1.1  dL/dyhat 0.2``."""
    g = stepper.graph
    node = g.nodes[i]
    parts = [node.name, f"[{kind_tag(stepper, i, mask)}]"]
    if node.op is not None:
        parts.append(application_text(g, i))
    parts.append(f"= {shown_value(stepper, i, mask)}")
    p = partial_text(stepper, i, mask)
    if p and p != "-":
        mark = "" if stepper.status(i) is Status.FINAL else " (pending)"
        parts.append(f" {partial_name(g.nodes[stepper.output].name, node.name)} {p}{mark}")
    return "  ".join(parts)


def reference_label(stepper: Stepper, i: int) -> str:
    return f"{stepper.graph.nodes[i].name}  (shared: expanded elsewhere)"


TABLE_COLUMNS = ("node", "kind", "operation", "successors", "value", "dL/dnode", "status")


def table_row(stepper: Stepper, i: int, mask: Mask = NO_MASK) -> tuple[str, str, str, str, str, str, str]:
    """The table's cells for node ``i``, in :data:`TABLE_COLUMNS` order."""
    g = stepper.graph
    node = g.nodes[i]
    return (
        node.name,
        kind_tag(stepper, i, mask),
        expression(stepper, i),
        successors_text(stepper, i),
        shown_value(stepper, i, mask) if stepper.values[i] is not None or i in mask.values else "",
        partial_text(stepper, i, mask),
        status_text(stepper, i),
    )


class NodeTexts:
    """What the graph views write for each node, given to a view as its ``texts``
    attribute. This one is reverse mode's (the value and the partial ``dL/dz``); forward
    mode (``cgtui/app/forward_mode.py``) gives its views one that writes the tangent
    ``dz/dx`` instead. The stepper a view shows gives the graph, the output and the kinds
    either way."""

    @property
    def box_mark(self) -> str:
        """What a drawn box writes before its second number (``d 0.4``)."""
        return notation.BOX_PARTIAL

    @property
    def columns(self) -> tuple[str, ...]:
        """The table's column headings."""
        return TABLE_COLUMNS

    def tree_label(self, stepper: Stepper, i: int, mask: Mask = NO_MASK) -> str:
        return tree_label(stepper, i, mask)

    def table_row(self, stepper: Stepper, i: int, mask: Mask = NO_MASK) -> tuple[str, ...]:
        """The table's cells for node ``i``: the node's name first and its kind second."""
        return table_row(stepper, i, mask)

    def box_numbers(self, stepper: Stepper, mask: Mask = NO_MASK) -> tuple[list[Any], list[Any]]:
        """Every node's two numbers in a drawn box: its value and its partial (``-`` for
        a node backprop never reaches), what ``mask`` hides written :data:`MASKED`."""
        partials: list[Any] = list(stepper.partials)
        for i, p in enumerate(partials):
            if p is None and stepper.status(i) in (Status.NO_PATH, Status.CONSTANT):
                partials[i] = "-"
        values: list[Any] = list(stepper.values)
        for i in mask.values:
            values[i] = MASKED
        for i in mask.partials:
            partials[i] = MASKED
        return values, partials


#: Reverse mode's texts, every view's unless it is given others.
REVERSE_TEXTS = NodeTexts()


def definition(stepper: Stepper, i: int, mask: Mask = NO_MASK) -> str:
    """``yhat = z + b = 1 + 0.1 = 1.1``; before the forward pass, ``yhat = z + b = ?``."""
    from cgtui.engine.engine import arithmetic_text

    g = stepper.graph
    node = g.nodes[i]
    if node.op is None:
        kind = MASKED if i in mask.kinds else node.kind.value
        return f"{node.name} = {shown_value(stepper, i, mask)}  ({kind} leaf: no incoming edges)"
    if i in mask.values:
        return f"{node.name} = {application_text(g, i)} = {MASKED}"
    fault = stepper.fault
    if fault is not None and fault.node == i:
        return f"{node.name} = {application_text(g, i)}\nstopped here: {fault.message}"
    if stepper.arrays:  # the graph's has_arrays, kept by the stepper (a scan of every node)
        shaped = _array_definition(stepper, i, quiz=bool(mask))
        if shaped is not None:
            return shaped
    if stepper.values[i] is None:
        return f"{node.name} = {application_text(g, i)} = ? (not yet computed)"
    return arithmetic_text(g, i, stepper.values)


def _array_definition(stepper: Stepper, i: int, *, quiz: bool = False) -> str | None:
    """``v2 = v1 + b1  with shapes (4,2) + (2,) -> (4,2)``, then the value in a few words
    (``v2 = (4,2) min 0 max 1.4 mean 0.525``) on its own line: an array operand has no one
    number to write in its place. None for a node where no array takes part. During a quiz
    (``quiz``) the shape of a node not yet computed is ``?``: the quiz asks for it."""
    from cgtui.teach.tensor_text import node_shapes, step_shapes

    g = stepper.graph
    node = g.nodes[i]
    sh = node_shapes(g, stepper.values)
    if quiz:
        values = stepper.values
        sh = [s if values[k] is not None or g.nodes[k].op is None else None for k, s in enumerate(sh)]
    if all(sh[k] == () for k in (i, *node.operands)):
        return None
    head = notation.with_shapes(f"{node.name} = {application_text(g, i)}", step_shapes(g, i, sh))
    if stepper.values[i] is None:
        return f"{head}\n{node.name} = ? (not yet computed)"
    return f"{head}\n{node.name} = {notation.array_summary(stepper.values[i])}"


def imported_lines(stepper: Stepper, i: int, mask: Mask = NO_MASK) -> list[str]:
    """For a graph imported with ``cgtui import ... --check``: what the framework computed
    for this node (its value, and a leaf's gradient) beside cgtui's number. The numbers
    were recorded in the file at import; the explorer never runs the framework."""
    section = stepper.graph.extra.get("imported")
    if not isinstance(section, dict):
        return []
    g = stepper.graph
    name = g.nodes[i].name
    peer = str(section.get("framework", "the framework"))
    tolerance = section.get("tolerance", 1e-9)
    tol = float(tolerance) if isinstance(tolerance, int | float) else 1e-9
    lines: list[str] = []
    dname = partial_name(g.nodes[stepper.output].name, name)
    pairs = (
        ("values", stepper.values[i], name, i in mask.values),
        ("gradients", stepper.partials[i], dname, i in mask.partials),
    )
    for key, ours, label, hidden in pairs:
        recorded = section.get(key)
        theirs = recorded.get(name) if isinstance(recorded, dict) else None
        if not isinstance(theirs, int | float) or isinstance(theirs, bool) or hidden:
            continue
        text = f"{peer} at import: {label} = {value_text(float(theirs))}"
        if isinstance(ours, float):
            gap = abs(ours - float(theirs))
            same = gap <= tol * max(abs(float(theirs)), 1e-300) or gap == 0.0
            text += "  ✓ the same here" if same else f"  ✗ here {value_text(ours)}"
        lines.append(text)
    return lines


#: Paths with more nodes than this are shown shortened: the first :data:`PATH_HEAD`, a
#: count, the last.
PATH_NODES_SHOWN = 24
PATH_HEAD = 4


def edge_arrow(graph: Graph, s: int, slot: int) -> str:
    """``->``, or ``-a->``/``-b->`` when the operand feeds ``s`` in both slots (``a0 * a0``),
    so the two edges are told apart."""
    from cgtui.core.ops import SLOT_NAMES

    ops = graph.nodes[s].operands
    if len(ops) > 1 and ops.count(ops[slot]) > 1:
        return f"-{SLOT_NAMES[slot] if slot < len(SLOT_NAMES) else slot}->"
    return "->"


def shorten(items: Sequence[str], sep: str, limit: int = PATH_NODES_SHOWN) -> str:
    """``a -> b -> … (9,996 more) -> L`` when there are more than ``limit`` items."""
    if len(items) <= limit:
        return sep.join(items)
    head, tail = PATH_HEAD, 1
    hidden = len(items) - head - tail
    return sep.join([*items[:head], f"… ({hidden:,} more)", *items[-tail:]])


@dataclass
class EdgeRow:
    edge: str  # "w -> z"
    formula: str  # "∂z/∂w = x"
    value: str  # "2" or "?" or "not differentiated"


def edge_rows(stepper: Stepper, i: int, mask: Mask = NO_MASK) -> list[EdgeRow]:
    """The local-derivative table of node ``i``'s incoming edges, one row per operand slot."""
    g = stepper.graph
    node = g.nodes[i]
    rows: list[EdgeRow] = []
    edges = stepper.edges_in(i)
    if stepper.values[i] is None and all(stepper.values[p] is not None for p in node.operands):
        edges = _edges_from_operands(stepper, i, edges)
    for slot, p, formula, value in edges:
        pname = g.nodes[p].name
        # an array op's edge is a map G ↦ ..., not a local derivative ∂z/∂w: no one number
        vjp = _is_vjp(g, i, slot) and stepper.arrays
        if vjp:
            from cgtui.teach.tensor_text import NOT_DIFFERENTIATED, class_indices, node_shapes

            if class_indices(g, i, slot, node_shapes(g, stepper.values)):
                formula = NOT_DIFFERENTIATED
        text = notation.vjp_map(formula) if vjp else notation.local_formula(node.name, pname, formula)
        if not stepper.needs[p]:
            shown = "not needed"  # into a constant: backprop never asks for it
        elif (i, slot) in mask.edges:
            shown = MASKED
        elif vjp:
            shown = "VJP (above)"
        elif value is None:
            shown = "?"
        else:
            shown = value_text(value)
        rows.append(EdgeRow(f"{pname} {edge_arrow(g, i, slot)} {node.name}", text, shown))
    return rows


def _is_vjp(g: Graph, i: int, slot: int) -> bool:
    """Whether edge ``operand[slot] -> i`` is a tensor op's vector-Jacobian product."""
    op = g.nodes[i].op
    return op is not None and OPS[op].partials[slot].vjp


def _edges_from_operands(
    stepper: Stepper, i: int, edges: list[tuple[int, int, str, Any]]
) -> list[tuple[int, int, str, Any]]:
    """The local derivatives of node ``i`` before the forward pass reaches it, from its
    operands' values (they are known: only ``i`` is not computed yet)."""
    from cgtui.engine.engine import evaluate_node, local_derivative

    g = stepper.graph
    values = _With(stepper.values, i)
    value, _problem = evaluate_node(g, i, values)
    if value is None:
        return edges
    values.value = value
    out = []
    for slot, p, formula, _ in edges:
        d, _problem = local_derivative(g, i, slot, values)
        out.append((slot, p, formula, d))
    return out


class _With(Sequence[Any]):
    """``values`` with node ``index``'s value replaced (no copy of a big graph's list)."""

    def __init__(self, values: Sequence[Any], at: int) -> None:
        self.values = values
        self.at = at
        self.value: Any = None

    def __getitem__(self, k: Any) -> Any:
        return self.value if k == self.at else self.values[k]

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class Term:
    text: str
    done: bool


@dataclass
class Accumulation:
    heading: str
    terms: list[Term] = field(default_factory=list)
    total: str = ""


def accumulation(stepper: Stepper, i: int, mask: Mask = NO_MASK) -> Accumulation:
    """How backprop builds ``dL/dnode``: one term per outgoing edge, done or pending."""
    g = stepper.graph
    node = g.nodes[i]
    out = g.nodes[stepper.output].name
    status = stepper.status(i)
    dname = partial_name(out, node.name)
    if i == stepper.output:
        if stepper.partials[i] is None:
            return Accumulation(f"{dname} = 1 once backprop starts ({out} is the output)")
        return Accumulation(f"{dname} = 1 (the seed: {out} is the output)", total="1")
    if status is Status.NO_PATH:
        return Accumulation(f"{node.name} has no path to the output {out}: no partial")
    if status is Status.CONSTANT:
        return Accumulation(f"{node.name} depends on constants only: not differentiated")
    hide = i in mask.partials
    terms: list[Term] = []
    for s, slot, push in stepper.accumulation(i):
        sname = g.nodes[s].name
        term = chain_term(out, sname, node.name)
        arrow = edge_arrow(g, s, slot)
        via = f"  (edge {node.name} {arrow} {sname})" if arrow != "->" else ""
        vjp = _is_vjp(g, s, slot) and stepper.arrays
        if vjp:  # the map G ↦ ... at G = dL/ds, not a product with a local derivative ∂s/∂x
            from cgtui.teach.tensor_text import node_shapes, vjp_formula

            term = notation.vjp_at(out, sname, vjp_formula(g, s, slot, node_shapes(g, stepper.values)))
        if push is None:
            up = stepper.partials[s]
            up_text = value_text(up) if up is not None and stepper.status(s) is Status.FINAL else "?"
            if vjp:
                terms.append(Term(f"{term} = {up_text}, gives ?{via}", False))
                continue
            terms.append(Term(f"{term} = {notation.product([up_text, '?'])}{via}", False))
        else:
            local = MASKED if (s, slot) in mask.edges else value_text(push.local)
            result = MASKED if hide or (s, slot) in mask.edges else value_text(push.contribution)
            numbers = notation.product([value_text(push.upstream), local])
            note = f"  [{push.note}]" if push.note and result != MASKED else ""  # the broadcasting rule
            if vjp:  # the map at G's value, and what it gives
                text = f"{term} = {value_text(push.upstream)}, gives {result}"
            else:
                text = f"{term} = {numbers} = {result}"
            terms.append(Term(f"{text}{via}{note}", True))
    done = sum(1 for t in terms if t.done)
    p = stepper.partials[i]
    state = "final" if status is Status.FINAL else f"{done}/{len(terms)} terms so far"
    if hide:
        total = f"{dname} = {MASKED}  ({state})"
    elif p is None:  # no term has arrived: the partial is not 0, it is not there yet
        total = f"{dname}: not yet  ({state})"
    else:
        total = f"{dname} = {value_text(p)}  ({state})"
    return Accumulation(f"{dname}: one term per outgoing edge", terms, total)


@dataclass
class PathsView:
    heading: str
    lines: list[str] = field(default_factory=list)
    total: str = ""
    check: str = ""  # "✓ equals backprop's dL/dw" or a warning
    count: str = ""
    cost: str = ""


def paths_view(stepper: Stepper, i: int, k: int = TOP_PATHS) -> PathsView:
    """The chain rule as a sum over paths from node ``i`` to the output, and the cost."""
    final = stepper.status(i) is Status.FINAL
    return paths_view_of(
        stepper.graph,
        stepper.values,
        stepper.output,
        i,
        partial=stepper.partials[i] if final else None,
        on_path=stepper.path[i],
        needs=stepper.needs[i],
        forward_complete=stepper.forward_complete,
        k=k,
    )


def paths_view_of(
    g: Graph,
    values: Sequence[Any],
    out: int,
    i: int,
    *,
    partial: Any,
    on_path: bool,
    needs: bool,
    forward_complete: bool,
    k: int = TOP_PATHS,
    cancel: Callable[[], bool] | None = None,
) -> PathsView:
    """:func:`paths_view` on a snapshot (``partial`` is backprop's final dL/dnode or None).

    Runs the path dynamic programmes of :mod:`cgtui.engine.paths`, so the app calls it from
    a worker thread on a copy of the values; ``cancel`` (the worker's) stops them with
    :class:`cgtui.engine.paths.Cancelled`.
    """
    from cgtui.engine.paths import costs, top_paths

    node = g.nodes[i]
    oname = g.nodes[out].name
    if not on_path:
        return PathsView(f"no path from {node.name} to {oname}")
    if not needs:
        return PathsView(f"{node.name} is constant: no paths are followed")
    if i == out:
        return PathsView(f"{node.name} is the output: {partial_name(oname, oname)} = 1")
    if g.has_arrays:
        return PathsView(
            f"paths from {node.name} to {oname}",
            [
                f"Not listed: {notation.TENSOR_PATHS}.",
                "Z zooms a node into its scalar graph, whose paths are numbers.",
            ],
        )
    if not forward_complete:
        c = costs(g, i, out, cancel=cancel)
        return PathsView(
            f"paths from {node.name} to {oname}",
            ["(local derivatives need the forward pass)"],
            count=_count_text(c.paths),
            cost=_cost_text(c.enumeration_multiplications, c.backprop_multiplications),
        )
    report = top_paths(g, values, i, out, k=k, cancel=cancel)
    lines: list[str] = []
    for path in report.paths:
        names = _path_names(g, path.nodes, path.slots)
        factors = shorten([notation.operand(value_text(f)) for f in path.factors], notation.TIMES)
        lines.append(f"{names}:  {factors} = {value_text(path.product)}")
    if report.rest_count:
        more = format_count(report.rest_count)
        lines.append(f"... {more} more paths, together {value_text(report.rest_sum)}")
    total = f"sum over paths = {value_text(report.total)}"
    if partial is not None:
        a, b = float(report.total), float(partial)
        if abs(a - b) <= CHECK_TOLERANCE * max(1.0, abs(a), abs(b)):
            check = f"✓ equals backprop's cached {partial_name(oname, node.name)} = {value_text(partial)}"
        else:
            check = f"✗ differs from backprop's {partial_name(oname, node.name)} = {value_text(partial)}"
    else:
        check = f"(backprop has not finished {partial_name(oname, node.name)} yet)"
    c = costs(g, i, out, cancel=cancel)
    heading = f"paths from {node.name} to {oname}"
    if report.count > k:
        heading += f" (the {len(report.paths)} largest of {format_count(report.count)})"
    return PathsView(
        heading,
        lines,
        total,
        check,
        _count_text(report.count),
        _cost_text(c.enumeration_multiplications, c.backprop_multiplications),
    )


def _path_names(g: Graph, nodes: Sequence[int], slots: Sequence[int]) -> str:
    """``x -> v1 -> f``, names cut to a sensible width, with the slot on an edge into a
    node that uses its operand twice; shortened past :data:`PATH_NODES_SHOWN` nodes."""
    head = PATH_HEAD
    long = len(nodes) > PATH_NODES_SHOWN
    keep = [*range(head), len(nodes) - 1] if long else list(range(len(nodes)))
    parts = [short_name(g.nodes[nodes[0]].name)]
    for k in keep[1:]:
        if k != keep[keep.index(k) - 1] + 1:
            parts.append(f" -> … ({k - head:,} more) -> ")
        else:
            parts.append(f" {edge_arrow(g, nodes[k], slots[k - 1])} ")
        parts.append(short_name(g.nodes[nodes[k]].name))
    return "".join(parts)


def _count_text(n: Count) -> str:
    return f"{format_count(n)} path{'s' if n != 1 else ''}"


def _cost_text(enumerate_mults: Count, backprop_mults: int) -> str:
    ratio = ""
    if backprop_mults and enumerate_mults > backprop_mults:
        ratio = f"  ({ratio_text(enumerate_mults, backprop_mults)}x)"
    return (
        f"multiplications: enumerating paths {format_count(enumerate_mults)}, "
        f"backprop {backprop_mults:,} (one per edge){ratio}"
    )


def status_line(
    stepper: Stepper,
    param_indices: Sequence[int] | None = None,
    mask: Mask = NO_MASK,
    width: int | None = None,
) -> str:
    """``forward 4/4 · backward 4/4 · output L = 0.01 · params w=0.5 b=0.1``.

    ``param_indices``: the params' nodes when the caller keeps them (else the graph is scanned).
    The params are rounded and, past ``width`` characters, the rest counted (``+12 more``):
    the line is never cut in the middle of the list. While a quiz asks for a kind, the
    params are not listed (the list would tell).
    """
    g = stepper.graph
    out = stepper.output
    if param_indices is None:
        param_indices = [i for i, n in enumerate(g.nodes) if n.kind is Kind.PARAM]
    fault = f" · FAULT at {g.nodes[stepper.fault.node].name}" if stepper.fault is not None else ""
    head = (
        f"forward {stepper.forward_done}/{stepper.forward_total} · "
        f"backward {stepper.backward_pos}/{stepper.backward_total} · "
        f"output {g.nodes[out].name} = {shown_value(stepper, out, mask)}{fault} · params "
    )
    if mask.kinds:
        return head + MASKED
    if not param_indices:
        return head + "none"
    room = None if width is None else width - len(head)
    shown: list[str] = []
    used = 0
    for k, i in enumerate(param_indices):
        item = f"{g.nodes[i].name}={_rounded(stepper, i, mask)}"
        rest = len(param_indices) - k - 1
        more = f" +{rest:,} more" if rest else ""
        if room is not None and used + len(item) + len(more) + (1 if shown else 0) > room:
            left = len(param_indices) - k
            if not shown:  # not even one fits: count them rather than cut a number
                return head + f"+{left:,} more"
            return head + " ".join(shown) + f" +{left:,} more"
        shown.append(item)
        used += len(item) + (1 if len(shown) > 1 else 0)
    return head + " ".join(shown)


def _rounded(stepper: Stepper, i: int, mask: Mask) -> str:
    """A param's value in 4 significant digits (the status line's room is short)."""
    if i in mask.values:
        return MASKED
    v = stepper.values[i]
    if type(v) is float:
        return format(v, ".4g")
    return value_text(v)


def leaf_kinds() -> tuple[Kind, ...]:
    return (Kind.INPUT, Kind.LABEL, Kind.PARAM, Kind.CONST)

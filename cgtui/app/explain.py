"""What the explorer says about a node, as plain text: no Textual, no Rich.

Every widget of the explorer renders strings made here from a
:class:`~cgtui.engine.engine.Stepper`, so tests (and other front ends) can check the words
and numbers without a screen, and the widgets only add colour and layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cgtui.core import notation
from cgtui.core.graph import Graph, Kind
from cgtui.core.notation import chain_term, partial_name, value_text
from cgtui.engine.engine import Status, Stepper, application_text

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


def kind_key(stepper: Stepper, i: int) -> str:
    """``input``/``label``/``param``/``const``/``computation``, or ``output`` for L."""
    if i == stepper.output:
        return "output"
    return stepper.graph.nodes[i].kind.value


def expression(stepper: Stepper, i: int) -> str:
    """``z + b`` for a computation; the kind for a leaf."""
    node = stepper.graph.nodes[i]
    if node.op is None:
        return "leaf"
    return application_text(stepper.graph, i)


def partial_text(stepper: Stepper, i: int) -> str:
    """The cached ``dL/dnode`` as text: a number, ``-`` when it has none."""
    status = stepper.status(i)
    if status in (Status.NO_PATH, Status.CONSTANT):
        return "-"
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


def tree_label(stepper: Stepper, i: int) -> str:
    """One line of the tree: ``yhat  comp  z + b  = 1.1  dL/dyhat 0.2``."""
    g = stepper.graph
    node = g.nodes[i]
    parts = [node.name, f"[{KIND_TAGS[kind_key(stepper, i)]}]"]
    if node.op is not None:
        parts.append(application_text(g, i))
    v = stepper.values[i]
    parts.append(f"= {value_text(v)}")
    p = partial_text(stepper, i)
    if p and p != "-":
        mark = "" if stepper.status(i) is Status.FINAL else " (pending)"
        parts.append(f" {partial_name(g.nodes[stepper.output].name, node.name)} {p}{mark}")
    return "  ".join(parts)


def reference_label(stepper: Stepper, i: int) -> str:
    return f"{stepper.graph.nodes[i].name}  (shared: expanded elsewhere)"


TABLE_COLUMNS = ("node", "kind", "operation", "successors", "value", "dL/dnode", "status")


def table_row(stepper: Stepper, i: int) -> tuple[str, str, str, str, str, str, str]:
    """The table's cells for node ``i``, in :data:`TABLE_COLUMNS` order."""
    g = stepper.graph
    node = g.nodes[i]
    return (
        node.name,
        KIND_TAGS[kind_key(stepper, i)],
        expression(stepper, i),
        successors_text(stepper, i),
        value_text(stepper.values[i]) if stepper.values[i] is not None else "",
        partial_text(stepper, i),
        status_text(stepper, i),
    )


def definition(stepper: Stepper, i: int) -> str:
    """``yhat = z + b = 1 + 0.1 = 1.1``; before the forward pass, ``yhat = z + b = ?``."""
    from cgtui.engine.engine import arithmetic_text

    g = stepper.graph
    node = g.nodes[i]
    if node.op is None:
        v = stepper.values[i]
        return f"{node.name} = {value_text(v)}  ({node.kind.value} leaf)"
    if stepper.values[i] is None:
        return f"{node.name} = {application_text(g, i)} = ? (not yet computed)"
    return arithmetic_text(g, i, stepper.values)


@dataclass
class EdgeRow:
    edge: str  # "w -> z"
    formula: str  # "∂z/∂w = x"
    value: str  # "2" or "?" or "not differentiated"


def edge_rows(stepper: Stepper, i: int) -> list[EdgeRow]:
    """The local-derivative table of node ``i``'s incoming edges, one row per operand slot."""
    g = stepper.graph
    node = g.nodes[i]
    rows: list[EdgeRow] = []
    for _slot, p, formula, value in stepper.edges_in(i):
        pname = g.nodes[p].name
        text = notation.local_formula(node.name, pname, formula)
        if not stepper.needs[p]:
            shown = "not needed (constant)"
        elif value is None:
            shown = "?"
        else:
            shown = value_text(value)
        rows.append(EdgeRow(f"{pname} -> {node.name}", text, shown))
    return rows


@dataclass
class Term:
    text: str
    done: bool


@dataclass
class Accumulation:
    heading: str
    terms: list[Term] = field(default_factory=list)
    total: str = ""


def accumulation(stepper: Stepper, i: int) -> Accumulation:
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
    terms: list[Term] = []
    for s, _slot, push in stepper.accumulation(i):
        sname = g.nodes[s].name
        term = chain_term(out, sname, node.name)
        if push is None:
            up = stepper.partials[s]
            up_text = value_text(up) if up is not None and stepper.status(s) is Status.FINAL else "?"
            terms.append(Term(f"{term} = {notation.product([up_text, '?'])}", False))
        else:
            numbers = notation.product([value_text(push.upstream), value_text(push.local)])
            terms.append(
                Term(f"{term} = {numbers} = {value_text(push.contribution)}", True)
            )
    done = sum(1 for t in terms if t.done)
    p = stepper.partials[i]
    state = "final" if status is Status.FINAL else f"{done}/{len(terms)} terms so far"
    total = f"{dname} = {value_text(p) if p is not None else '0'}  ({state})"
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
) -> PathsView:
    """:func:`paths_view` on a snapshot (``partial`` is backprop's final dL/dnode or None).

    Runs the path dynamic programmes of :mod:`cgtui.engine.paths`, so the app calls it from
    a worker thread on a copy of the values.
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
    if not forward_complete:
        c = costs(g, i, out)
        return PathsView(
            f"paths from {node.name} to {oname}",
            ["(local derivatives need the forward pass)"],
            count=_count_text(c.paths),
            cost=_cost_text(c.enumeration_multiplications, c.backprop_multiplications),
        )
    report = top_paths(g, values, i, out, k=k)
    lines: list[str] = []
    for path in report.paths:
        names = " -> ".join(g.nodes[n].name for n in path.nodes)
        factors = notation.product(value_text(f) for f in path.factors)
        lines.append(f"{names}:  {factors} = {value_text(path.product)}")
    if report.rest_count:
        lines.append(f"... {report.rest_count:,} more paths, together {value_text(report.rest_sum)}")
    total = f"sum over paths = {value_text(report.total)}"
    if partial is not None:
        a, b = float(report.total), float(partial)
        if abs(a - b) <= CHECK_TOLERANCE * max(1.0, abs(a), abs(b)):
            check = f"✓ equals backprop's cached {partial_name(oname, node.name)} = {value_text(partial)}"
        else:
            check = f"✗ differs from backprop's {partial_name(oname, node.name)} = {value_text(partial)}"
    else:
        check = f"(backprop has not finished {partial_name(oname, node.name)} yet)"
    c = costs(g, i, out)
    heading = f"paths from {node.name} to {oname}"
    if report.count > k:
        heading += f" (the {k} largest of {report.count:,})"
    return PathsView(
        heading,
        lines,
        total,
        check,
        _count_text(report.count),
        _cost_text(c.enumeration_multiplications, c.backprop_multiplications),
    )


def _count_text(n: int) -> str:
    return f"{n:,} path{'s' if n != 1 else ''}"


def _cost_text(enumerate_mults: int, backprop_mults: int) -> str:
    ratio = ""
    if backprop_mults and enumerate_mults > backprop_mults:
        ratio = f"  ({enumerate_mults / backprop_mults:,.3g}x)"
    return (
        f"multiplications: enumerating paths {enumerate_mults:,}, "
        f"backprop {backprop_mults:,} (one per edge){ratio}"
    )


def status_line(stepper: Stepper, param_indices: Sequence[int] | None = None) -> str:
    """``forward 4/4 · backward 4/4 · output L = 0.01 · params w=0.5 b=0.1``.

    ``param_indices``: the params' nodes when the caller keeps them (else the graph is scanned).
    """
    g = stepper.graph
    out = stepper.output
    if param_indices is None:
        pairs = stepper.params()
    else:
        pairs = [(g.nodes[i].name, stepper.values[i]) for i in param_indices]
    params = " ".join(f"{name}={value_text(v)}" for name, v in pairs) or "none"
    fault = f" · FAULT at {g.nodes[stepper.fault.node].name}" if stepper.fault is not None else ""
    return (
        f"forward {stepper.forward_done}/{stepper.forward_total} · "
        f"backward {stepper.backward_pos}/{stepper.backward_total} · "
        f"output {g.nodes[out].name} = {value_text(stepper.values[out])} · params {params}{fault}"
    )


def leaf_kinds() -> tuple[Kind, ...]:
    return (Kind.INPUT, Kind.LABEL, Kind.PARAM, Kind.CONST)

"""Hostile and huge inputs (issue 12): work that grows linearly with the input.

Timings are shown by benchmarks/bench_hostile.py; these tests count operations instead
(calls of the expensive helpers, passes over the graph, lines written), at sizes that
run in a few seconds: work that does not grow with the graph, or grows with it linearly.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hostile_inputs import cycle_text, ladder_text, params_yaml

from cgtui.core.errors import GraphError, NumericalFault
from cgtui.core.notation import value_text
from cgtui.engine import engine
from cgtui.engine.engine import forward, leaf_values
from cgtui.engine.paths import top_paths
from cgtui.lang import formula, yamlio
from cgtui.lang.build import find_cycle, from_expression
from cgtui.teach import efficiency, handout


class Counter:
    """Wraps a function and counts its calls."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.fn(*args, **kwargs)


# --- a cycle among 100,000 steps: found in one walk, without networkx ---------------------


def _chain_into_cycle(tail: int, loop: int) -> str:
    """``t0`` uses ``t1`` ... uses ``c0``, and ``c0 -> c1 -> ... -> c0`` is the cycle."""
    lines = [f"  t{k}: tanh(t{k + 1})" for k in range(tail - 1)]
    lines.append(f"  t{tail - 1}: tanh(c0)")
    lines += [f"  c{k}: x * c{(k + 1) % loop}" for k in range(loop)]
    return "inputs: {x: 1}\nsteps:\n" + "\n".join(lines) + "\noutput: t0\n"


def test_a_cycle_is_named_without_networkx(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 100,000-step cycle took minutes to report: networkx was loaded and a graph of
    every step left built for its find_cycle."""
    monkeypatch.setitem(sys.modules, "networkx", None)  # importing it now fails
    with pytest.raises(GraphError) as info:
        yamlio.loads(_chain_into_cycle(tail=500, loop=3))
    assert "cycle: c0 -> c1 -> c2 -> c0" in str(info.value)
    assert info.value.line == 3 + 500  # where c0 is defined (after 2 lines and 500 steps)
    with pytest.raises(GraphError, match=r"cycle: v -> v"):
        yamlio.loads("inputs: {x: 1}\nsteps:\n  v: v + x\n  w: v * 2\noutput: w\n")
    with pytest.raises(GraphError, match=r"cycle: v0 -> v1 -> .* \(2,991 more\) -> .* -> v0"):
        yamlio.loads(cycle_text(3_000))


def test_finding_the_cycle_is_linear_in_the_steps() -> None:
    n = 20_000
    names = [f"s{k}" for k in range(n)]
    # each step uses the next and the one after (a long walk before the loop closes)
    deps = {name: {names[(k + 1) % n], names[(k + 2) % n]} for k, name in enumerate(names)}
    order = {name: k for k, name in enumerate(names)}
    position = Counter(order.__getitem__)
    cycle = find_cycle(set(names), deps, position)
    assert cycle == names[:-1]  # s0 -> s1 -> ... -> s19998 -> s0: each step's earliest use
    assert position.calls <= 4 * n


def test_the_cycle_is_reported_from_its_first_step() -> None:
    deps = {"a": {"b"}, "b": {"c"}, "c": {"d"}, "d": {"b"}}
    order = {"a": 0, "d": 1, "c": 2, "b": 3}
    assert find_cycle(set(deps), deps, order.__getitem__) == ["d", "b", "c"]


# --- lesson sheets: only the rows shown are written out ----------------------------------


@pytest.fixture
def substitutions(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter]:
    """Counts formula.substitute: one call writes one edge's local-derivative formula."""
    counter = Counter(formula.substitute)
    monkeypatch.setattr(formula, "substitute", counter)
    yield counter


@pytest.mark.parametrize("to_text", [handout.to_markdown, handout.to_latex])
def test_a_sheet_writes_a_bounded_number_of_formulas(
    to_text: Callable[..., str], substitutions: Counter
) -> None:
    """The sheet ran the explorer's stepper, which writes a formula and a ledger line
    for every edge: 75 s and 810 MB for the 2 MB ladder of 100,000 levels."""
    written: list[int] = []
    lengths: list[int] = []
    for levels in (300, 3_000):
        graph = from_expression(ladder_text(levels), values={"a0": 0.3})
        substitutions.calls = 0
        engine._named_formula.cache_clear()  # each edge's formula written again, and counted
        lengths.append(len(to_text(graph)))
        written.append(substitutions.calls)
    assert written[0] == written[1] <= handout.MAX_ROWS + 2 * handout.MAX_FACTORS * handout.MAX_PATHS + 100
    assert abs(lengths[1] - lengths[0]) < 2_000  # the counts have more digits, no more rows


def test_the_sheet_gives_the_stepper_s_numbers() -> None:
    """Both passes once, without the stepper: the same partials, rows and contributions."""
    from cgtui.engine.engine import Stepper

    graph = from_expression("s = x * y + x\nf = s * x + tanh(s)", values={"x": 0.5, "y": -2.0})
    doc = handout.lesson(graph)
    st = Stepper(graph)
    st.run_forward()
    st.run_backward()
    assert [(e.operand, e.result) for e in doc.edges] == [
        (graph.nodes[p].name, graph.nodes[s].name)
        for s in st.backward_order[::-1]
        for p in graph.nodes[s].operands
    ]
    for b in doc.branching:
        i = graph.index[b.node]
        pushes = [push for _, _, push in st.accumulation(i) if push is not None]
        assert [t.contribution for t in b.terms] == [value_text(p.contribution) for p in pushes]
        assert b.total == value_text(st.partials[i])
    assert {c.leaf: c.backprop for c in doc.chains} == {
        n: value_text(st.partials[graph.index[n]]) for n in ("x", "y")
    }


def test_a_fault_is_named_by_node_not_by_a_log_of_every_step() -> None:
    """The stepper's fault carried every line it had written (100,000 lines)."""
    text = ladder_text(2_000) + "L = log(a2000 - 5)\n"
    graph = from_expression(text, values={"a0": 0.3})
    with pytest.raises(NumericalFault) as info:
        handout.to_markdown(graph)
    message = str(info.value)
    assert "log" in message and len(message) < 500


# --- counting passes ---------------------------------------------------------------------


def test_the_whole_gradient_counts_tree_sizes_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tree sizes were counted three times per leaf (twice in each leaf's numbers)."""
    counter = Counter(efficiency.tree_sizes)
    monkeypatch.setattr(efficiency, "tree_sizes", counter)
    graph = from_expression(ladder_text(50) + "L = a50 * w + b * w\n", values={"a0": 0.3})
    whole = efficiency.graph_efficiency(graph)
    assert len(whole.per_leaf) == 3 and counter.calls == 1
    for e in whole.per_leaf:  # the same numbers as counted on their own
        assert e == efficiency.node_efficiency(graph, e.node)


def test_top_paths_with_k_zero_lists_none() -> None:
    graph = from_expression(ladder_text(30), values={"a0": 0.3})
    values = forward(graph, leaf_values(graph))
    a0, out = graph.index["a0"], graph.outputs[0]
    report = top_paths(graph, values, a0, out, k=0)
    assert report.paths == [] and report.count == 3**30 and report.rest_count == 3**30
    assert report.total == top_paths(graph, values, a0, out, k=3).total


# --- commands whose output grows with the square of the leaves -----------------------------


def _cli(*argv: str) -> tuple[int, str, str]:
    import contextlib
    import io

    from cgtui.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_a_hessian_of_too_many_leaves_is_refused(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """100,000 params: one reverse pass per leaf and 10^10 numbers to print."""
    from cgtui.commands import hessian

    source = tmp_path / "params.yaml"
    source.write_text(params_yaml(hessian.MAX_LEAVES + 10))
    code, out, err = _cli("hessian", str(source))
    assert code == 2 and out == ""
    assert "a Hessian by 1,012 leaves is 1,012 x 1,012 numbers" in err and "cgtui hvp" in err
    code, _, _ = _cli("hvp", str(source), "--vector", "w0=1")
    assert code == 0
    monkeypatch.setattr(hessian, "MAX_WORK", 17)  # 3 leaves x 6 nodes
    code, _, err = _cli("hessian", "x*y + tanh(z)", "--at", "x=1,y=2,z=0.5")
    assert code == 2 and "at most 1,000 leaves and 17 leaves x nodes" in err
    monkeypatch.setattr(hessian, "MAX_WORK", 18)
    assert _cli("hessian", "x*y + tanh(z)", "--at", "x=1,y=2,z=0.5")[0] == 0


def test_generated_code_reads_each_formula_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """export numpy on the 100,000-level ladder tokenized two formulas per edge (34 s of
    CPU) and held two copies of its 100 MB body (MemoryError under 1 GB)."""
    from cgtui.lang import parser
    from cgtui.teach import codegen

    counter = Counter(parser.tokenize)
    monkeypatch.setattr(codegen, "tokenize", counter)
    monkeypatch.setattr(formula, "tokenize", counter)
    codegen._tokens.cache_clear()
    formula._names.cache_clear()
    graph = from_expression(ladder_text(2_000), values={"a0": 0.3})
    text = codegen.to_numpy(graph)
    assert counter.calls <= 2 * 5  # mul, add (2 slots each), tanh: for the code and for the comment
    assert text.count("\n    local_") == 5 * 2_000  # one local derivative per edge, 5 edges a level
    body = [line for line in text.splitlines() if line.startswith("    ")]
    assert len(body) > 2 * 5 * 2_000  # and one accumulation per edge
    monkeypatch.setattr(codegen, "MAX_EXPLAINED_EDGES", 5 * 2_000 - 1)
    short = codegen.to_numpy(graph)
    assert "(10,000 edges: past 9,999, the local derivatives' formulas are not repeated" in short
    assert short.isascii() and not text.isascii() and len(short) < 0.7 * len(text)
    assert short.count("\n    local_") == 5 * 2_000

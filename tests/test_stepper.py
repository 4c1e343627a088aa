"""The stepper: forward and backward one node at a time, the ledger, undo, edits, faults."""

from __future__ import annotations

import math
from typing import Any

import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from cgtui.core.errors import NumericalFault
from cgtui.core.graph import Graph, Kind, Node
from cgtui.engine.engine import Status, Stepper, backward, forward, leaf_values
from cgtui.lang.build import from_expression

SQUARED_ERROR = "z = w*x\nyhat = z + b\nd = yhat - y\nL = d^2"
SQUARED_VALUES = {"w": 0.5, "x": 2.0, "b": 0.1, "y": 1.0}

# worked example 5 (micrograd's second test): many shared subexpressions
MICROGRAD_2 = """
c = a + b
d = a*b + b^3
c = c + c + 1
c = c + 1 + c + (-a)
d = d + d*2 + relu(b + a)
d = d + 3*d + relu(b - a)
e = c - d
f = e^2
g = f / 2.0
g = g + 10.0 / f
"""


def squared_error() -> Stepper:
    g = from_expression(SQUARED_ERROR, values=SQUARED_VALUES, params={"w", "b"}, labels={"y"})
    return Stepper(g)


def snapshot(s: Stepper) -> tuple[Any, ...]:
    return (
        list(s.values),
        list(s.partials),
        [len(entries) for entries in s.ledger],
        list(s.pushes_done),
        s.backward_pos,
        len(s.history),
        [s.status(i) for i in range(len(s.graph.nodes))],
    )


# --- forward ------------------------------------------------------------------------------


def test_forward_steps_show_their_arithmetic() -> None:
    s = squared_error()
    lines = [s.step_forward().lines[0] for _ in range(4)]
    assert lines == [
        "z = w * x = 0.5 * 2 = 1",
        "yhat = z + b = 1 + 0.1 = 1.1",
        "d = yhat - y = 1.1 - 1 = 0.1",
        "L = d ^ 2 = 0.1 ^ 2 = 0.01",
    ]
    r = s.step_forward()
    assert r.kind == "none" and "complete" in r.lines[0]
    assert s.forward_complete and s.forward_done == s.forward_total == 4


def test_negative_operands_are_parenthesised() -> None:
    g = from_expression("a * b", values={"a": -2.0, "b": 3.0})
    assert Stepper(g).step_forward().lines == ["out = a * b = (-2) * 3 = -6"]


def test_forward_step_needs_every_leaf_value() -> None:
    g = from_expression("w*x + b", values={"w": 1.0})
    s = Stepper(g)
    r = s.step_forward()
    assert r.kind == "none" and r.lines == ["no value for x: set it first"]
    s.set_value("x", 2.0)
    assert s.step_forward().kind == "forward"
    r = s.step_forward()
    assert r.lines == ["no value for b: set it first"]


# --- backward: ledger, statuses -----------------------------------------------------------------


def test_backward_before_forward_completes_the_forward_pass_and_says_so() -> None:
    s = squared_error()
    s.step_forward()
    r = s.step_backward()
    assert r.kind == "backward"
    assert r.lines[0] == "forward pass completed first (3 steps)"
    assert "yhat = z + b = 1 + 0.1 = 1.1" in r.lines
    assert "dL/dL = 1 (the seed)" in r.lines
    assert s.forward_complete


def test_backward_ledger_records_every_edge() -> None:
    s = squared_error()
    s.run_backward()
    g = s.graph
    w, d = g.index["w"], g.index["d"]
    (push,) = s.ledger[w]
    assert g.nodes[push.result].name == "z" and push.slot == 0
    assert push.upstream == pytest.approx(0.2)
    assert push.formula == "x" and push.local == 2.0
    assert push.contribution == pytest.approx(0.4)
    assert push.before is None and push.after == pytest.approx(0.4)
    (push_d,) = s.ledger[d]
    assert push_d.formula == "2 * d^(2 - 1)"
    assert push_d.text(g, "L") == "dL/dd += dL/dL * dL/dd = 1 * 0.2 = 0.2  (0 -> 0.2)"


def test_x_times_x_pushes_twice() -> None:
    s = Stepper(from_expression("f = x*x", values={"x": 3.0}))
    s.run_forward()
    x = s.graph.index["x"]
    s.step_backward()  # the seed: f pushes along both edges into x
    assert [p.slot for p in s.ledger[x]] == [0, 1]
    assert [p.formula for p in s.ledger[x]] == ["x", "x"]
    assert [p.before for p in s.ledger[x]] == [None, 3.0]
    assert [p.after for p in s.ledger[x]] == [3.0, 6.0]
    assert s.partials[x] == 6.0
    assert s.pushes_needed[x] == 2
    assert s.status(x) is Status.FINAL


@pytest.mark.parametrize("text", [SQUARED_ERROR, MICROGRAD_2, "f = (x + y) * x"])
def test_every_partial_is_the_sum_of_its_ledger(text: str) -> None:
    g = from_expression(text)
    for name, v in {"w": 0.5, "x": 3.0, "y": 2.0, "a": -4.0, "b": 2.0}.items():
        if name in g:
            g.node(name).value = v
    s = Stepper(g)
    s.run_backward()
    assert s.backward_complete
    checked = 0
    for i, entries in enumerate(s.ledger):
        if entries:
            total = 0.0
            for push in entries:  # in the order they were pushed: exactly the same sum
                total += push.contribution
            assert s.partials[i] == total
            assert entries[-1].after == s.partials[i]
            assert len(entries) == s.pushes_needed[i]
            checked += 1
    assert checked == sum(1 for i in range(len(g.nodes)) if s.pushes_needed[i])
    assert checked >= 3


def test_statuses_pending_final_no_path_constant() -> None:
    # two outputs: s and p; q feeds neither
    nodes = [
        Node("x", Kind.INPUT, value=2.0),
        Node("y", Kind.INPUT, value=3.0),
        Node("two", Kind.CONST, value=2.0),
        Node("t", Kind.COMPUTATION, "mul", (2, 2)),  # two * two
        Node("s", Kind.COMPUTATION, "add", (0, 1)),  # x + y
        Node("p", Kind.COMPUTATION, "mul", (4, 0)),  # s * x
        Node("r", Kind.COMPUTATION, "mul", (5, 3)),  # p * t
        Node("q", Kind.COMPUTATION, "mul", (1, 1)),  # y * y
    ]
    g = Graph(nodes, [6, 4])  # outputs r and s
    st_ = Stepper(g)
    idx = g.index
    assert st_.status(idx["s"]) is Status.UNCOMPUTED
    assert st_.status(idx["q"]) is Status.NO_PATH
    assert st_.status(idx["t"]) is Status.CONSTANT
    st_.run_forward()
    assert st_.status(idx["r"]) is Status.PENDING
    st_.step_backward()  # r: seed, pushes into p (t is constant: no push)
    assert st_.status(idx["r"]) is Status.FINAL
    assert [g.nodes[p.result].name for p in st_.ledger[idx["t"]]] == []
    assert st_.status(idx["p"]) is Status.FINAL
    st_.step_backward()  # p pushes into s and x
    assert st_.status(idx["x"]) is Status.PENDING  # x still waits for s's push
    assert st_.status(idx["s"]) is Status.FINAL
    st_.step_backward()  # s pushes into x and y
    assert st_.status(idx["x"]) is Status.FINAL
    assert st_.backward_complete
    r = st_.step_backward()
    assert r.kind == "none" and "complete" in r.lines[-1]
    # partials: r = (x + y) * x * 4 -> dr/dx = 4 * (2x + y) = 28, dr/dy = 4x = 8
    assert st_.partials[idx["x"]] == 28.0 and st_.partials[idx["y"]] == 8.0
    assert st_.partials[idx["q"]] is None

    # the other output
    st_.set_output("s")
    assert st_.status(idx["p"]) is Status.NO_PATH
    assert st_.forward_complete  # values are kept
    st_.run_backward()
    assert st_.partials[idx["x"]] == 1.0 and st_.partials[idx["y"]] == 1.0
    assert st_.partials[idx["p"]] is None


# --- undo, reset, edits ----------------------------------------------------------------------


@settings(max_examples=examples(40), deadline=None)
@given(steps=st.lists(st.sampled_from(["f", "b"]), min_size=1, max_size=45))
def test_undo_restores_every_earlier_state_exactly(steps: list[str]) -> None:
    g = from_expression(MICROGRAD_2, values={"a": -4.0, "b": 2.0})
    s = Stepper(g)
    states = [snapshot(s)]
    for step in steps:
        before = len(s.history)
        r = s.step_forward() if step == "f" else s.step_backward()
        if len(s.history) == before:
            assert r.kind == "none"
            continue
        # a backward step that first completes the forward pass is several steps at once
        states.extend([None] * (len(s.history) - before - 1))  # type: ignore[list-item]
        states.append(snapshot(s))
    while s.history:
        s.undo()
        expected = states[len(s.history)]
        if expected is not None:
            assert snapshot(s) == expected
    assert snapshot(s) == states[0]
    assert s.undo().kind == "none"


def test_reset() -> None:
    s = squared_error()
    fresh = snapshot(s)
    s.run_backward()
    r = s.reset()
    assert r.kind == "reset"
    assert snapshot(s) == fresh
    assert not s.can_undo()


def test_set_value_invalidates_exactly_the_downstream_values_and_all_partials() -> None:
    s = squared_error()
    s.run_backward()
    g = s.graph
    stale = s.set_value("y", 2.0)
    assert sorted(g.nodes[i].name for i in stale) == ["L", "d"]
    assert s.values[g.index["z"]] == 1.0 and s.values[g.index["yhat"]] == pytest.approx(1.1)
    assert s.values[g.index["d"]] is None and s.values[g.index["L"]] is None
    assert all(p is None for p in s.partials)
    assert all(not entries for entries in s.ledger)
    assert g.node("y").value == 2.0
    # the forward steps that still hold are kept (and can be undone)
    assert [g.nodes[h.node].name for h in s.history] == ["z", "yhat"]
    assert s.next_forward() == g.index["d"]
    s.run_backward()
    assert s.values[g.index["L"]] == pytest.approx(0.81)
    assert s.partials[g.index["w"]] == pytest.approx(2 * -0.9 * 2)
    # changing w invalidates z, yhat, d, L
    assert sorted(g.nodes[i].name for i in s.set_value("w", 1.0)) == ["L", "d", "yhat", "z"]


def test_set_value_refuses_computed_nodes_and_non_finite_values() -> None:
    from cgtui.core.errors import CgtuiError

    s = squared_error()
    with pytest.raises(CgtuiError, match="computed"):
        s.set_value("z", 1.0)
    with pytest.raises(CgtuiError, match="finite"):
        s.set_value("w", math.inf)


def test_set_kind_const_drops_its_partial() -> None:
    s = squared_error()
    s.set_kind("x", Kind.CONST)
    s.run_backward()
    assert s.partials[s.graph.index["x"]] is None
    assert s.status(s.graph.index["x"]) is Status.CONSTANT
    assert s.partials[s.graph.index["w"]] == pytest.approx(0.4)


# --- faults -------------------------------------------------------------------------------------


def test_forward_fault_names_the_node_and_op() -> None:
    s = Stepper(from_expression("log(x*y - 3) + 1", values={"x": 1.0, "y": 2.0}))
    r = s.run_forward()
    assert r.kind == "fault"
    assert r.lines[-1] == "v3 = log(v2): log of -1 is undefined"
    v3 = s.graph.index["v3"]
    assert s.status(v3) is Status.FAULT
    assert s.step_forward().lines[0].startswith("stopped: v3 = log(v2)")
    assert s.step_backward().kind == "fault"
    s.undo()  # clears the fault
    assert s.status(v3) is Status.UNCOMPUTED
    s.set_value("y", 5.0)
    assert s.run_backward().kind == "backward"
    assert s.partials[s.graph.index["x"]] == pytest.approx(5 / 2)


def test_overflow_is_a_fault_not_an_exception() -> None:
    s = Stepper(from_expression("exp(x) * 2", values={"x": 1000.0}))
    r = s.run_backward()
    assert r.kind == "fault"
    assert "v1 = exp(x): overflow: the result is too large" in r.lines
    assert r.lines[-1] == "the backward pass needs the forward pass"


def test_backward_fault_undoes_its_partial_pushes() -> None:
    # sqrt's derivative at 0 is infinite: the step that would push it is refused
    s = Stepper(from_expression("sqrt(x) * y", values={"x": 0.0, "y": 2.0}))
    s.run_forward()
    s.step_backward()  # the seed: pushes into v1 and y
    before = snapshot(s)
    r = s.step_backward()
    assert r.kind == "fault"
    assert "v1 = sqrt(x): the derivative of sqrt at 0 is infinite (edge x -> v1)" in r.lines[-1]
    assert snapshot(s)[:6] == before[:6]
    s.undo()
    assert s.fault is None


def test_stepper_matches_the_full_pass_exactly() -> None:
    g = from_expression(MICROGRAD_2, values={"a": -4.0, "b": 2.0})
    s = Stepper(g)
    s.run_backward()
    vals = forward(g, leaf_values(g))
    grads = backward(g, vals, g.outputs[0])
    assert s.values == vals
    assert s.partials == grads


def test_a_long_chain_steps_in_linear_time() -> None:
    n = 20_000
    g = from_expression("relu(" * n + "x" + ")" * n, values={"x": 0.5})
    s = Stepper(g)
    s.run_backward()
    assert s.partials[g.index["x"]] == 1.0
    assert s.backward_done == s.backward_total == n


# --- any sequence of actions keeps the stepper consistent with the full passes -------------------

MACHINE_TEXT = "a = x*y\nb = log(a) + relu(x - y)*x\nc = b*b + y^2\nL = c + a"


class StepperMachine(RuleBasedStateMachine):
    """Random key presses; after each, every computed value and every final partial is
    exactly what the full passes give at the current leaf values."""

    def __init__(self) -> None:
        super().__init__()
        self.graph = from_expression(MACHINE_TEXT, values={"x": 2.0, "y": 3.0})
        self.stepper = Stepper(self.graph)

    @rule()
    def forward(self) -> None:
        self.stepper.step_forward()

    @rule()
    def backward(self) -> None:
        self.stepper.step_backward()

    @rule()
    def run_backward(self) -> None:
        self.stepper.run_backward()

    @rule()
    def undo(self) -> None:
        self.stepper.undo()

    @rule()
    def reset(self) -> None:
        self.stepper.reset()

    @rule(name=st.sampled_from(["x", "y"]), value=st.sampled_from([-1.0, 0.0, 0.5, 2.0, 3.0]))
    def set_value(self, name: str, value: float) -> None:
        self.stepper.set_value(name, value)

    @rule(name=st.sampled_from(["L", "c", "b", "a"]))
    def set_output(self, name: str) -> None:
        self.stepper.set_output(name)

    @invariant()
    def consistent_with_the_full_passes(self) -> None:
        s, g = self.stepper, self.graph
        leaves = leaf_values(g)
        full: list[Any] | None
        try:
            full = forward(g, leaves)
        except NumericalFault:
            full = None
        for i, node in enumerate(g.nodes):
            if node.op is not None and s.values[i] is not None and full is not None:
                assert s.values[i] == full[i]
        computed = {i for i in s.forward_order if s.values[i] is not None}
        forward_steps = [h.node for h in s.history if not hasattr(h, "pushes")]
        assert sorted(forward_steps) == sorted(computed)
        assert sum(1 for h in s.history if hasattr(h, "pushes")) == s.backward_pos
        for i, entries in enumerate(s.ledger):
            total: Any = None
            for push in entries:
                total = push.contribution if total is None else total + push.contribution
            assert s.partials[i] == total or (i == s.output and not entries)
        if full is not None and s.backward_pos:
            grads = backward(g, full, s.output)
            for i in range(len(g.nodes)):
                if s.status(i) is Status.FINAL:
                    assert s.partials[i] == grads[i]


TestStepperMachine = StepperMachine.TestCase
TestStepperMachine.settings = settings(max_examples=examples(60), stateful_step_count=30, deadline=None)

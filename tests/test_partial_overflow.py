"""A partial whose terms are each finite but whose sum overflows is a fault named by the
node, in the fast backward pass, in the stepper and on the command line."""

from __future__ import annotations

import json

import pytest

from cgtui.cli import main
from cgtui.core.errors import NumericalFault
from cgtui.engine.engine import Status, Stepper, gradients
from cgtui.lang.build import from_expression

TEXT = "(1e308*x) + (x*1e308)"


def test_fast_pass_names_the_node_whose_sum_overflowed() -> None:
    g = from_expression(TEXT, values={"x": 1e-300})
    with pytest.raises(NumericalFault) as caught:
        gradients(g)
    assert caught.value.node == "x"
    assert "not finite when its terms are summed (1e+308 + 1e+308)" in str(caught.value)


def test_stepper_faults_at_the_same_node_with_the_same_message() -> None:
    g = from_expression(TEXT, values={"x": 1e-300})
    with pytest.raises(NumericalFault) as caught:
        gradients(g)
    s = Stepper(g)
    outcome = s.run_backward()
    assert outcome.kind == "fault"
    assert str(caught.value) in outcome.lines
    assert s.status(g.index["x"]) is Status.FAULT
    assert s.partials[g.index["x"]] is not None  # the step that overflowed was not taken
    assert all(p is None or p - p == 0.0 for p in s.partials)


def test_grad_json_exits_3_and_prints_no_infinity(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grad", "--json", "--at", "x=1e-300", TEXT]) == 3
    out, err = capsys.readouterr()
    assert "Infinity" not in out and "inf" not in out
    assert "x: overflow" in err


def test_a_large_but_finite_sum_is_no_fault(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grad", "--json", "--at", "x=1e-300", "(1e307*x) + (x*1e307)"]) == 0
    assert json.loads(capsys.readouterr().out)["grad"]["x"] == pytest.approx(2e307)

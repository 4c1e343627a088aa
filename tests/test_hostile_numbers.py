"""Hostile numbers: overflowing partials are faults named by node, JSON is always valid,
huge integers and odd digits are refused with a message, contradictory options are errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cgtui.cli import main
from cgtui.core.errors import CgtuiError, NumericalFault
from cgtui.engine.engine import Stepper, descent_step, forward, leaf_values
from cgtui.lang.build import from_expression

OVERFLOWING_SUM = "(1e308*x) + (x*1e308)"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "argv",
    [
        ["grad", "--json"],
        ["grad"],
        ["paths", "--from", "x"],
        ["paths", "--from", "x", "--json"],
        ["check"],
        ["check", "--json"],
        ["steps"],
        ["train", "--param", "x", "--steps", "1"],
    ],
)
def test_a_partial_that_overflows_while_summing_is_a_fault(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = run(capsys, *argv, "--at", "x=1e-300", OVERFLOWING_SUM)
    if argv == ["steps"]:  # steps shows no partials: nothing overflows
        assert code == 0
        return
    assert code == 3, (out, err)
    assert "numerical fault" in err and "dout/dx" in err and "x:" in err
    assert "inf" not in out.lower() and "nan" not in out.lower()


def test_the_stepper_stops_at_an_overflowing_sum() -> None:
    g = from_expression(OVERFLOWING_SUM, values={"x": 1e-300})
    s = Stepper(g)
    r = s.run_backward()
    assert r.kind == "fault"
    assert s.fault is not None and g.nodes[s.fault.node].name == "x"
    assert "dout/dx is not finite" in s.fault.message
    assert all(p is None or abs(p) < float("inf") for p in s.partials)


def test_descent_step_with_a_huge_learning_rate_is_a_fault() -> None:
    g = from_expression("exp(w)", params={"w"}, values={"w": 1})
    s = Stepper(g)
    with pytest.raises(NumericalFault, match="w"):
        descent_step(g, s.values, s.output, 1e308)


def test_json_output_is_always_valid(capsys: pytest.CaptureFixture[str]) -> None:
    from cgtui.commands.common import dump_json

    assert json.loads(dump_json({"a": 1.5, "b": [None]})) == {"a": 1.5, "b": [None]}
    with pytest.raises(NumericalFault):
        dump_json({"a": float("inf")})
    with pytest.raises(NumericalFault):
        dump_json({"a": [float("nan")]})


# --- check --h ----------------------------------------------------------------------------------


@pytest.mark.parametrize("h", ["1e-300", "inf", "nan", "-1", "0", "1e300"])
def test_check_refuses_a_step_outside_the_sane_range(capsys: pytest.CaptureFixture[str], h: str) -> None:
    code, out, err = run(capsys, "check", "--at", "x=1", "x*x", "--h", h)
    assert code == 2, (out, err)
    assert "--h" in err and "agree" not in out


def test_check_never_agrees_on_a_degenerate_step(capsys: pytest.CaptureFixture[str]) -> None:
    # a step in range, but lost against the leaf's value: x + h == x
    _, out, _ = run(capsys, "check", "--at", "x=1e20", "x*x", "--h", "1e-6")
    assert "agree" not in out.replace("disagree", "")
    assert "step" in out


# --- command-line values and kinds --------------------------------------------------------------


def test_a_value_given_twice_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "grad", "--at", "x=1,x=2", "x")
    assert code == 2 and "'x'" in err and "twice" in err
    code, _, err = run(capsys, "grad", "--at", "x=1", "--at", "x=2", "x")
    assert code == 2 and "twice" in err


def test_a_leaf_given_two_kinds_on_the_command_line_is_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "grad", "--param", "x", "--label", "x", "--at", "x=1", "x")
    assert code == 2 and "'x'" in err
    f = tmp_path / "g.yaml"
    f.write_text("expression: x*w\ninputs: {x: 1}\nparams: {w: 2}\n")
    code, _, err = run(capsys, "grad", "--param", "x", "--label", "x", str(f))
    assert code == 2 and "'x'" in err and "param" in err and "label" in err


# --- huge integers ------------------------------------------------------------------------------

HUGE = "9" * 401


@pytest.mark.parametrize(
    "yaml_text",
    [
        f"expression: w*x\ninputs: {{x: {HUGE}}}\nparams: {{w: 1}}\n",
        f"expression: (w*x - y)^2\nparams: {{w: 1}}\ndata:\n  - {{x: {HUGE}, y: 1}}\n",
        f"expression: (w*x - y)^2\nparams: {{w: 1}}\ndata:\n  - {{x: 1, y: 1}}\n"
        f"training:\n  lr: {HUGE}\n",
        f"expression: (w*x - y)^2\nparams: {{w: 1}}\ndata:\n  - {{x: 1, y: 1}}\n"
        f"training:\n  steps: {HUGE}\n",
        f"expression: (w*x - y)^2\nparams: {{w: 1}}\ndata:\n  - {{x: 1, y: 1}}\n"
        f"training:\n  expect_loss_below: {HUGE}\n",
    ],
)
@pytest.mark.parametrize("command", ["grad", "train"])
def test_a_401_digit_integer_is_refused_with_a_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, yaml_text: str, command: str
) -> None:
    f = tmp_path / "g.yaml"
    f.write_text(yaml_text)
    code, out, err = run(capsys, command, str(f))
    assert code in (2, 3), (out, err)
    assert "Traceback" not in err and "cgtui:" in err
    assert len(err) < 2000


def test_a_401_digit_integer_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "grad", "--at", f"x={HUGE}", "x")
    assert code == 2 and "'x'" in err
    code, _, err = run(capsys, "train", "--param", "w", "--at", "w=1,x=1", "w*x", "--lr", HUGE)
    assert code == 2 and "Traceback" not in err


# --- digits and identifiers ----------------------------------------------------------------------


def test_non_ascii_digits_are_refused() -> None:
    with pytest.raises(CgtuiError, match="digit"):
        from_expression("\u0663*x", values={"x": 2})


def test_full_width_names_are_the_same_leaf_as_ascii_ones() -> None:
    g = from_expression("\uff58 + x", values={"x": 2})
    leaves = [n.name for n in g.nodes if n.op is None]
    assert leaves == ["x"]
    assert forward(g, leaf_values(g))[g.outputs[0]] == 4


# --- an alias of a name is an output --------------------------------------------------------------


def test_an_alias_is_a_valid_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = tmp_path / "g.yaml"
    f.write_text('expression: "t = y*y\\nz = t"\noutput: z\ninputs: {y: 3}\n')
    code, out, err = run(capsys, "grad", str(f))
    assert code == 0, err
    assert out.split() == ["t", "=", "9", "dt/dy", "=", "6", "input"]
    f.write_text('expression: "t = y*y\\nz = y"\noutput: z\ninputs: {y: 3}\n')
    code, out, err = run(capsys, "grad", str(f))
    assert code == 0, err
    assert out.split() == ["y", "=", "3", "dy/dy", "=", "1", "input"]
    code, out, err = run(capsys, "grad", "--at", "y=3", "--output", "z", "t = y*y; z = t; u = z + 1")
    assert code == 0, err
    assert out.split()[:3] == ["t", "=", "9"]

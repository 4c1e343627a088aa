"""cgtui grad, paths and check: output, JSON shape, exit codes and messages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cgtui.cli import main
from cgtui.commands.check import Row, crossed_kinks, status
from cgtui.core.errors import CgtuiError
from cgtui.engine.engine import gradients, leaf_values
from cgtui.lang import yamlio
from cgtui.lang.build import from_expression

ROOT = Path(__file__).resolve().parent.parent
SQUARED = str(ROOT / "samples" / "squared_error.yaml")
BRANCHING = str(ROOT / "samples" / "branching.yaml")
SAMPLES = ROOT / "samples"
EXPR = "L = (w*x + b - y)^2"
AT = ["--at", "w=0.5,x=2", "--at", "b=0.1", "--at", "y=1"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- grad ------------------------------------------------------------------------------------


def test_grad_text_rounds_sensibly(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "grad", SQUARED)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "L = 0.01"
    grads = {line.split("=")[0].strip(): line.split("=")[1].split()[0] for line in lines[1:]}
    assert grads == {"dL/dx": "0.1", "dL/dy": "-0.2", "dL/dw": "0.4", "dL/db": "0.2"}
    assert "0.40000000000000036" not in out
    assert "param" in out and "label" in out


def test_grad_json_has_the_agreed_shape_and_full_precision(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "grad", EXPR, *AT, "--json")
    assert code == 0
    assert list(json.loads(out)) == ["output", "value", "grad"]  # every node only with --all
    code, out, _ = run(capsys, "grad", EXPR, *AT, "--json", "--all")
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["output", "value", "grad", "nodes"]
    assert data["output"] == "L"
    expected = gradients(from_expression(EXPR, values={"w": 0.5, "x": 2, "b": 0.1, "y": 1}))
    assert data["value"] == expected.value  # every bit kept
    assert data["value"] == pytest.approx(0.01)
    assert data["grad"] == pytest.approx({"w": 0.4, "x": 0.1, "b": 0.2, "y": -0.2})
    assert data["grad"]["w"] == 0.40000000000000036
    for node in data["nodes"]:
        assert set(node) == {"name", "kind", "op", "operands", "value", "partial"}
    by_name = {n["name"]: n for n in data["nodes"]}
    two: dict[str, object] = {
        "name": "2", "kind": "const", "op": None, "operands": [], "value": 2.0, "partial": None
    }
    assert by_name["2"] == two
    assert by_name["L"]["op"] == "pow" and by_name["L"]["operands"] == ["v3", "2"]
    assert by_name["L"]["partial"] == 1.0
    assert "2" not in data["grad"]  # constants take no gradient


def test_grad_yaml_values_are_defaults_and_at_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "grad", SQUARED, "--at", "w=1", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["value"] == pytest.approx(1.21)
    assert data["grad"]["w"] == pytest.approx(4.4)


def test_grad_other_output_and_no_path(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "grad", "a = x*y\nb = y + z\na + b", "--at", "x=2,y=3,z=4", "--output", "a")
    assert code == 0
    assert out.splitlines()[0] == "a = 6"
    assert "da/dz = 0   input, no path to a" in out


def test_grad_all_lists_intermediates(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "grad", SQUARED, "--all")
    assert code == 0
    assert "dL/dyhat" in out and "computation, value 1.1" in out


@pytest.mark.parametrize(("argv", "words"), [
    (["grad", "w*x + b - y"], "no value for leaves w, x, b, y"),
    (["grad", "w*x + b", "--at", "w=1"], "no value for leaves x, b"),
    (["grad", SQUARED, "--output", "Lx"], "no node named 'Lx'"),
    (["grad", "x + ", "--at", "x=1"], "expected an operand"),
    (["grad", EXPR, "--at", "w=abc"], "the value of 'w' is not a number"),
    (["grad", str(ROOT / "samples" / "missing.yaml")], "no such file"),
])
def test_grad_bad_input_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str], words: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert words in err and "Traceback" not in err


@pytest.mark.parametrize(("argv", "words"), [
    (["grad", "log(x*y - 3) + 1", "--at", "x=1,y=2"], "v3 = log(v2): log of -1 is undefined"),
    (["grad", "exp(x)", "--at", "x=1000"], "out = exp(x): overflow"),
    (["grad", "sqrt(x)", "--at", "x=0"], "the derivative of sqrt at 0 is infinite"),
    (["paths", "1 / x", "--from", "x", "--at", "x=0"], "division by zero"),
])
def test_numerical_faults_exit_3(capsys: pytest.CaptureFixture[str], argv: list[str], words: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 3 and out == ""
    assert words in err and err.startswith("cgtui: numerical fault:")


# --- paths ----------------------------------------------------------------------------------------


def test_paths_branching(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "paths", BRANCHING, "--from", "x")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "2 paths from x to f (exact)"
    assert " ".join(lines[1].split()) == "#1 x -> f 5 (∂f/∂x = s)"
    assert " ".join(lines[2].split()) == "#2 x -> s -> f 1 · 3 = 3 (∂s/∂x = 1, ∂f/∂s = x)"
    assert "sum over all paths:           df/dx = 8" in out
    assert "cached partial from backprop: df/dx = 8" in out
    assert "enumerating paths: 1 multiplication (+ 1 addition)" in out
    assert "backprop:          3 multiplications (one per edge)" in out
    assert "enumerating is cheaper here" in out  # two paths: nothing to reuse


def test_paths_tells_the_efficiency_story_on_the_diamond_ladder(capsys: pytest.CaptureFixture[str]) -> None:
    """3^30 paths, 150 edges: enumeration against backprop, expanded derivative against graph,
    for the node and for the whole gradient (issue 7)."""
    from cgtui.teach.efficiency import graph_efficiency, node_efficiency

    source = str(SAMPLES / "diamond_ladder.yaml")
    code, out, err = run(capsys, "paths", source, "--from", "a0", "--top", "2")
    assert code == 0 and err == ""
    node = out[out.index("why backprop, for this node:"):out.index("and for the whole gradient:")]
    whole = out[out.index("and for the whole gradient:"):]
    assert f"da30/da0: {3**30:,} paths through 91 nodes and 150 edges" in node
    e = node_efficiency(yamlio.load(SAMPLES / "diamond_ladder.yaml"), "a0")
    assert f"enumerating paths: {e.enumeration_multiplications:,} multiplications" in node
    assert "backprop:          150 multiplications (one per edge)  -> 1.08e+14x fewer" in node
    assert f"expanded symbolic derivative: {e.derivative_size:,} tree nodes vs 91 graph nodes" in node
    assert e.derivative_size > 10**15  # the note's claim: exponential against 91 nodes
    assert "gradient of a30 w.r.t. 1 leaf: 91 nodes, 150 edges" in whole
    assert f"{3**30:,} paths" in whole and "150 multiplications (one pass)" in whole
    g = graph_efficiency(yamlio.load(SAMPLES / "diamond_ladder.yaml"))
    assert f"expanded derivatives: {g.derivative_size:,} tree nodes vs 91 graph nodes" in whole
    code, out, _ = run(capsys, "paths", source, "--from", "a0", "--json")
    data = json.loads(out)
    assert data["costs"]["paths"] == 3**30 and data["costs"]["backprop_multiplications"] == 150
    assert data["costs"]["expanded_derivative_size"] == e.derivative_size
    assert data["whole_gradient"]["graph_edges"] == 150 and data["whole_gradient"]["paths"] == 3**30


def test_paths_beyond_4300_digits(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """3^9100 paths: beyond str()'s digit limit, so counts are written by size, never a traceback."""
    source = tmp_path / "ladder.txt"
    source.write_text(ladder_text(9100))
    code, out, err = run(capsys, "paths", str(source), "--from", "a0", "--at", "a0=0.3", "--top", "1")
    assert code == 0 and err == ""
    # past 2,048 bits a count is kept to 28 digits: the size is right, the count is not exact
    first = "about 6.36e+4341 (4342 digits) paths from a0 to a9100 (rounded: too many to count exactly)"
    assert out.splitlines()[0] == first
    code, out, _ = run(capsys, "paths", str(source), "--from", "a0", "--at", "a0=0.3", "--top", "1", "--json")
    assert code == 0 and json.loads(out)["count"].endswith("(4342 digits)")


def test_paths_top_0_lists_no_path_but_the_totals(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "paths", BRANCHING, "--from", "x", "--top", "0")
    assert code == 0 and err == ""
    assert "#" not in out and "  ... and 2 more paths, contributing 8" in out
    assert "sum over all paths:           df/dx = 8" in out


def test_paths_top_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    """Each node keeps up to K candidates: --top 10^9 on the ladder would never finish."""
    from cgtui.engine.paths import MAX_TOP, top_paths

    ladder = str(SAMPLES / "diamond_ladder.yaml")
    code, _, err = run(capsys, "paths", ladder, "--from", "a0", "--top", "1000000000")
    assert code == 2 and f"--top must be from 0 to {MAX_TOP:,}, got 1,000,000,000" in err
    code, _, err = run(capsys, "paths", BRANCHING, "--from", "x", "--top", "-1")
    assert code == 2 and "--top must be from 0" in err
    graph = from_expression("x*x", values={"x": 3.0})
    with pytest.raises(CgtuiError, match="from 0 to"):
        top_paths(graph, [3.0, 9.0], 0, 1, k=MAX_TOP + 1)


def test_paths_rest_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "paths", BRANCHING, "--from", "x", "--top", "1")
    assert code == 0
    assert "  ... and 1 more path, contributing 3" in out
    assert out.count("#") == 1


def ladder_text(levels: int) -> str:
    return "\n".join(f"a{k + 1} = tanh(a{k}*a{k} + a{k})" for k in range(levels))


def test_paths_counts_exactly(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "ladder.txt"
    source.write_text(ladder_text(200))
    code, out, _ = run(capsys, "paths", str(source), "--from", "a0", "--at", "a0=0.3", "--top", "3")
    assert code == 0
    assert out.splitlines()[0].startswith(f"{3**200:,} (about 2.66e+95) paths from a0 to a200")
    code, out, _ = run(capsys, "paths", str(source), "--from", "a0", "--at", "a0=0.3", "--json")
    data: dict[str, Any] = json.loads(out)
    assert data["count"] == 3**200
    assert data["rest"]["count"] == 3**200 - 5
    assert data["total"] == pytest.approx(data["partial"], rel=1e-9)
    assert data["costs"]["backprop_edges"] == 1000
    assert data["costs"]["paths"] == 3**200


def test_paths_json_slots_tell_the_two_edges_of_x_times_x_apart(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "paths", "x*x", "--from", "x", "--at", "x=3", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["count"] == 2
    assert sorted(p["slots"] for p in data["paths"]) == [["a"], ["b"]]
    assert [p["formulas"] for p in data["paths"]] == [["∂out/∂x = x"], ["∂out/∂x = x"]]
    assert data["total"] == data["partial"] == 6.0
    code, out, _ = run(capsys, "paths", "x*x", "--from", "x", "--at", "x=3")
    assert "x -a-> out" in out and "x -b-> out" in out


def test_paths_no_path(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "paths", "a = x*2\nb = y + 1\na*a", "--from", "y", "--at", "x=1,y=2")
    assert code == 0
    assert out == "no path from y to out: dout/dy = 0\n"


@pytest.mark.parametrize(("argv", "words"), [
    (["paths", BRANCHING, "--from", "q"], "no node named 'q'"),
    (["paths", BRANCHING], "--from"),
    (["paths", BRANCHING, "--from", "x", "--top", "-1"], "--top must be from 0 to 10,000, got -1"),
    (["paths", BRANCHING, "--from", "x", "--to", "nope"], "no node named 'nope'"),
])
def test_paths_bad_input_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str], words: str) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert words in err


# --- check ---------------------------------------------------------------------------------------


def test_check_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", SQUARED)
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:6]}
    assert set(rows) == {"x", "y", "w", "b"}
    assert rows["w"][1] == "param" and rows["w"][3] == "0.4" and rows["w"][-1] == "ok"
    assert out.rstrip().endswith("all 4 leaves agree")
    assert all(line == line.rstrip() for line in out.splitlines())


def test_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", EXPR, *AT, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["output"] == "L"
    rows = {r["name"]: r for r in data["leaves"]}
    assert rows["b"]["backprop"] == pytest.approx(0.2)
    assert rows["b"]["numeric"] == pytest.approx(0.2, rel=1e-8)
    assert all(r["agrees"] for r in rows.values())


def test_check_names_the_kink_a_nudge_crosses(capsys: pytest.CaptureFixture[str]) -> None:
    """relu at exactly 0: backprop says 0, the central difference 0.5. The row is a kink,
    inconclusive, and names the kink input the nudge moved across 0; it is not a mismatch."""
    code, out, _ = run(capsys, "check", "relu(x) + abs(y)", "--at", "x=0,y=0")
    assert code == 0
    assert "MISMATCH" not in out
    assert re.search(r"^x +input +0 +0 +0\.5 .* kink$", out, re.M)
    assert "x: the nudge moves x (the input of v1 = relu(x)) across 0" in out
    assert "1 of 2 leaves agree; at a kink: x" in out


def test_a_kink_below_the_leaf_is_found_elsewhere_none(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "check", "relu(x - 1) * w", "--at", "x=1,w=2", "--json")
    rows = {r["name"]: r for r in json.loads(out)["leaves"]}
    assert rows["x"]["status"] == "kink" and rows["x"]["kinks"] == ["v1 (the input of v2 = relu(v1))"]
    assert rows["w"]["status"] == "ok" and rows["w"]["kinks"] is None
    # away from the kink the nudge crosses nothing: a row that disagrees there is a mismatch
    graph = from_expression("relu(x - 1) * w")
    values = leaf_values(graph, {"x": 3.0, "w": 2.0})
    assert crossed_kinks(graph, values, graph.lookup("x"), (), 1e-6, len(graph.nodes) - 1) is None
    assert status(Row("x", "input", 3.0, 0.0, 2.0, 1.0, 1e-6, False)) == "MISMATCH"


def test_check_fault_in_a_nudge_is_a_row(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "log(x)", "--at", "x=1e-7", "--h", "1e-6")
    assert code == 0
    assert "fault" in out and "log of -9e-07 is undefined" in out


def test_check_near_the_edge_of_a_domain_shrinks_its_default_step(capsys: pytest.CaptureFixture[str]) -> None:
    """log(x) at 1e-9: the default step 1e-6 would leave log's domain; the check must still
    compare (with a step scaled to the value), and agree."""
    code, out, _ = run(capsys, "check", "sqrt(x) * log(y)", "--at", "x=1e-8,y=3e-7")
    assert code == 0
    assert "fault" not in out and out.rstrip().endswith("all 2 leaves agree")
    code, out, _ = run(capsys, "check", "log(x)", "--at", "x=1e-9")
    assert code == 0 and out.rstrip().endswith("the leaf agrees")
    code, out, _ = run(capsys, "check", "log(x)", "--at", "x=1e-9", "--json")
    (row,) = json.loads(out)["leaves"]
    assert row["agrees"] and row["numeric"] == pytest.approx(1e9, rel=1e-5)


def test_check_bad_h(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", SQUARED, "--h", "-1")
    assert code == 2 and "--h must be a positive number" in err


def test_check_spreads_its_leaves_when_every_leaf_would_take_too_long(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each nudge re-runs the graph below the leaf: every leaf of a long sum is quadratic
    work (hours at 100,000 terms), so past a budget the check takes evenly spread leaves."""
    from cgtui.commands import check

    text = "+".join(f"x{i}" for i in range(60))
    at = ["--at", ",".join(f"x{i}={i}" for i in range(60))]
    code, out, _ = run(capsys, "check", text, *at)
    assert code == 0 and "checked" not in out and out.rstrip().endswith("all 60 leaves agree")
    monkeypatch.setattr(check, "WORK_BUDGET", 600)
    code, out, _ = run(capsys, "check", text, *at, "--json")
    data = json.loads(out)
    names = [r["name"] for r in data["leaves"]]
    assert data["leaves_total"] == 60 and 1 <= len(names) < 60
    assert names[0] == "x0" and names[-1] == "x59"  # spread from first to last
    code, out, _ = run(capsys, "check", text, *at)
    assert f"checked {len(names)} of 60 leaves, evenly spread (--leaves 60 checks every one" in out
    code, out, _ = run(capsys, "check", text, *at, "--leaves", "60")
    assert "checked" not in out and "all 60 leaves agree" in out
    code, out, _ = run(capsys, "check", text, *at, "--leaves", "4")
    assert "checked 4 of 60 leaves" in out and out.rstrip().endswith("all 4 leaves agree")
    code, _, err = run(capsys, "check", text, *at, "--leaves", "0")
    assert code == 2 and "--leaves must be 1 or more, got 0" in err

"""``cgtui steps`` and ``cgtui export``: output, formats, sources, exit status."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from conftest import SAMPLES, examples
from hypothesis import given, settings
from hypothesis import strategies as st

from cgtui.cli import main
from cgtui.lang import yamlio
from cgtui.lang.build import from_expression


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_steps_text_lists_leaves_first_then_topological(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "steps", str(SAMPLES / "squared_error.yaml"))
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "Squared-error loss for one training example"
    assert lines[1] == "9 nodes (1 input, 1 label, 2 params, 1 const, 4 computations), 8 edges, output L"
    header = lines[3].split()
    assert header == ["name", "kind", "op", "expression", "value", "used", "by"]
    rows = [line.split() for line in lines[5:14]]
    assert [r[0] for r in rows] == ["x", "y", "w", "b", "2", "z", "yhat", "d", "L"]
    assert rows[0] == ["x", "input", "2", "z"]
    assert rows[5] == ["z", "computation", "mul", "w", "x", "w", "*", "x", "1", "yhat"]
    assert rows[8] == ["L", "computation", "pow", "d", "2", "d", "^", "2", "0.01", "output"]
    # columns line up: every row starts its kind column at the same place
    kind_col = lines[3].index("kind")
    assert all(line[kind_col - 2 : kind_col] == "  " for line in lines[5:14])


def test_steps_writes_an_array_value_on_its_row(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "steps", str(SAMPLES / "xor_mlp_tensor.yaml"))
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 5 + 15  # title, counts, blank, header, rule, one row per node
    rows = {line.split()[0]: line for line in lines[5:]}
    assert rows["X"].rstrip().endswith("(4, 2) [[0., 0.], [0., 1.], [1., 0.], [1., 1.]]  v1")
    assert "(2,) [0.3, 0.4]" in rows["b1"]
    assert rows["L"].split()[-2:] == ["0.538384112027", "output"]


def test_steps_expression_with_values_and_double_edge(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "steps", "(x + y) * x", "--at", "x=3,y=2")
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[4:]}
    assert rows["x"][-2:] == ["v1,", "out"]
    assert rows["out"][-2:] == ["15", "output"]
    code, out, _ = run(capsys, "steps", "x*x")
    assert "out×2" in out and "no values: x" in out


def test_steps_names_at_most_eight_successors(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "steps", " + ".join(f"exp(x * {k})" for k in range(1, 21)))
    assert code == 0
    x_row = next(line for line in out.splitlines() if line.startswith("x "))
    used_by = x_row.split("input", 1)[1].strip()
    assert used_by.endswith(", and 12 more")
    assert len(used_by.split(", ")) == 9  # eight names, then the count


def test_steps_markdown_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "steps", str(SAMPLES / "branching.yaml"), "--format", "markdown")
    assert code == 0
    assert "| name | kind | op | expression | value | used by |" in out
    assert "| `f` | computation | `mul s x` | `s * x` | 15 | output |" in out
    code, out, _ = run(capsys, "steps", str(SAMPLES / "branching.yaml"), "--format", "json")
    data = json.loads(out)
    assert [s["name"] for s in data["steps"]] == ["x", "y", "s", "f"]
    assert data["steps"][3]["value"] == 15.0 and data["steps"][0]["successors"] == ["s", "f"]
    assert data["outputs"] == ["f"] and data["fault"] is None


def test_steps_lists_up_to_a_numerical_fault_and_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "steps", "log(x) * x", "--at", "x=-1")
    assert code == 3
    assert "values stop at v1: log of -1 is undefined" in out
    assert "numerical fault: v1: log of -1 is undefined" in err
    code, out, _ = run(capsys, "steps", "log(0)", "--format", "json")
    assert code == 3 and json.loads(out)["fault"] == "out: log of 0 is undefined"


def test_a_message_about_many_missing_values_stays_short(capsys: pytest.CaptureFixture[str]) -> None:
    text = "+".join(f"x{i}" for i in range(500))
    for command in (["grad"], ["check"], ["export", "--format", "markdown"], ["train", "--param", "x0"]):
        code, _, err = run(capsys, *command, text)
        assert code == 2, command
        assert "and 490 more" in err and len(err) < 400, (command, err[:500])


def test_steps_tree_option(capsys: pytest.CaptureFixture[str]) -> None:
    _, merged, _ = run(capsys, "steps", "(x+1)*(x+1)")
    _, tree, _ = run(capsys, "steps", "(x+1)*(x+1)", "--tree")
    assert "4 nodes" in merged.splitlines()[0] and "5 nodes" in tree.splitlines()[0]


def test_steps_from_stdin_and_files(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("z = w*x  # comment\nz + 1\n"))
    code, out, _ = run(capsys, "steps", "-")
    assert code == 0 and "z     computation  mul w x" in out
    monkeypatch.setattr("sys.stdin", io.StringIO("# a graph\ninputs: {x: 1}\nsteps: {z: x * x}\noutput: z\n"))
    code, out, _ = run(capsys, "steps", "-")
    assert code == 0 and "z     computation  mul x x" in out
    path = tmp_path / "loss.txt"
    path.write_text("L = (w*x - y)^2\n")
    code, out, _ = run(capsys, "steps", str(path))
    assert code == 0 and "L     computation  pow v2 2" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["steps", "x +"], "cgtui: error: expected an operand after '+' at 1:4\n  x +\n     ^\n"),
        (["steps", "foo(x)"], "cgtui: error: unknown function 'foo' at 1:1"),
        (["steps", "nope.yaml"], "cgtui: error: no such file: nope.yaml"),
        (["steps", "x*y", "--at", "q=1"], "a value was given for 'q'"),
        (["steps", " + ".join(f"exp(x * {k})" for k in range(1, 60)) + " +"], "expected an operand"),
        (["steps", "x\x00y"], "unexpected character '\\x00' at 1:2"),
        (["steps", str(SAMPLES)], f"{SAMPLES} is a directory"),
        (["steps", "x*y", "--format", "html"], "invalid choice: 'html'"),
        (["export", "x*y", "--format", "png"], "invalid choice: 'png'"),
    ],
)
def test_bad_input_exits_2_with_the_message_on_stderr(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err
    assert "Traceback" not in err


def test_stdin_must_be_utf8(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"x * \xff")))
    code, _, err = run(capsys, "steps", "-")
    assert code == 2 and "standard input is not UTF-8 text (byte 4)" in err


def test_bad_yaml_names_file_and_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("inputs: {x: 1}\nsteps:\n  a: b + x\n  b: a * 2\noutput: a\n")
    code, _, err = run(capsys, "steps", str(path))
    assert code == 2
    assert f"cycle: a -> b -> a at 3:3 in {path}" in err


@pytest.mark.parametrize("fmt", ["yaml", "json", "dot", "mermaid"])
def test_export_formats_to_stdout(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, _ = run(capsys, "export", str(SAMPLES / "squared_error.yaml"), "--format", fmt)
    assert code == 0
    g = yamlio.load(SAMPLES / "squared_error.yaml")
    if fmt == "yaml":
        assert yamlio.loads(out) == g
    elif fmt == "json":
        assert [n["name"] for n in json.loads(out)["nodes"]] == [n.name for n in g.nodes]
    elif fmt == "dot":
        assert out.startswith("digraph") and out.count(" -> ") == g.edge_count()
    else:
        assert out.splitlines()[1] == "flowchart LR" and out.count("-->") == g.edge_count()


def test_export_to_a_file_never_overwrites_silently(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "g.yaml"
    code, out, _ = run(capsys, "export", "(w*x - y)^2", "--param", "w", "--label", "y", "-o", str(path))
    assert code == 0 and out == ""
    g = yamlio.load(path)
    assert g == from_expression("(w*x - y)^2", params={"w"}, labels={"y"})
    before = path.read_text()
    code, _, err = run(capsys, "export", "x + 1", "-o", str(path))
    assert code == 2 and "exists; not overwriting it (use --force to replace it)" in err
    assert path.read_text() == before
    code, _, _ = run(capsys, "export", "x + 1", "-o", str(path), "--force")
    assert code == 0 and yamlio.load(path) == from_expression("x + 1")


def test_yaml_values_and_kinds_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "export", str(SAMPLES / "squared_error.yaml"), "--format", "json",
        "--at", "w=2", "--const", "x",
    )
    assert code == 0
    nodes = {n["name"]: n for n in json.loads(out)["nodes"]}
    assert nodes["w"]["value"] == 2.0 and nodes["x"]["kind"] == "const"


@settings(max_examples=examples(150), deadline=None)
@given(st.text(max_size=300).filter(lambda t: t != "-"))
def test_any_source_text_exits_0_or_2(text: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["steps", "--", text])
    assert code in (0, 2, 3)
    assert (code == 2) == err.getvalue().startswith(("cgtui: error:", "usage:"))
    assert (code == 3) == err.getvalue().startswith("cgtui: numerical fault:")


def test_export_yaml_elsewhere_keeps_the_data_file_reachable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "sub" / "copy.yaml"
    out.parent.mkdir()
    code, _, err = run(capsys, "export", str(SAMPLES / "linear_regression.yaml"), "-o", str(out))
    assert code == 0 and err == ""
    copy = yamlio.load(out)
    data = copy.extra["data"]
    assert isinstance(data, dict)
    assert (out.parent / data["file"]).resolve() == (SAMPLES / "linear_regression.csv").resolve()
    code, text, _ = run(capsys, "train", str(out), "--steps", "1")
    assert code == 0 and "12 rows" in text

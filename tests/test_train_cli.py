"""``cgtui train``: settings from the file or the flags, --save, divergence, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cgtui.cli import main
from cgtui.lang import yamlio
from cgtui.learn.dataset import dataset_from_graph
from cgtui.learn.train import Problem, Trainer

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def test_train_uses_the_files_settings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", str(SAMPLES / "xor_mlp.yaml")]) == 0
    out = capsys.readouterr().out
    assert "lr 0.3 (the file), 600 steps (the file)" in out
    assert "over 4 rows from the data section, mean of the losses" in out
    assert "step 600  loss" in out
    assert "is below the file's bound 0.001" in out
    for name in ("w11", "b2", "u1", "c"):
        assert f"\n{name} " in out


def test_flags_override_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", str(SAMPLES / "linear_regression.yaml"), "--lr", "0.05", "--steps", "4"]) == 0
    out = capsys.readouterr().out
    assert "lr 0.05 (--lr), 4 steps (--steps)" in out
    assert "step 4  loss" in out
    assert "not below the file's bound" in out  # four steps are not enough


def test_save_writes_the_trained_params(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sub" / "trained.yaml"
    out.parent.mkdir()
    src = SAMPLES / "linear_regression.yaml"
    assert main(["train", str(src), "--steps", "30", "--save", str(out)]) == 0
    assert f"saved the trained params to {out}" in capsys.readouterr().out
    saved = yamlio.load(out)
    original = yamlio.load(src)
    t = Trainer(Problem(original, dataset_from_graph(original, SAMPLES)), 0.1)
    t.run(30)
    for name, value in t.params.items():
        assert saved.node(name).value == pytest.approx(value, rel=1e-15)
    # the copy still finds its CSV, from its own directory
    ds = dataset_from_graph(saved, out.parent)
    assert ds is not None and ds.rows == 12
    # the steps are the same graph
    assert [n.name for n in saved.nodes if n.op] == [n.name for n in original.nodes if n.op]


def test_save_never_overwrites_silently(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "trained.yaml"
    out.write_text("keep me\n")
    assert main(["train", str(SAMPLES / "xor_mlp.yaml"), "--steps", "2", "--save", str(out)]) == 2
    assert "exists; add --force to replace it" in capsys.readouterr().err
    assert out.read_text() == "keep me\n"
    assert main(["train", str(SAMPLES / "xor_mlp.yaml"), "--steps", "2", "--save", str(out), "--force"]) == 0
    assert yamlio.load(out).node("w11").value != 0.3


def test_save_refuses_the_source_itself(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "xor.yaml"
    shutil.copy(SAMPLES / "xor_mlp.yaml", src)
    assert main(["train", str(src), "--steps", "2", "--save", str(src)]) == 2
    assert "it is the source file" in capsys.readouterr().err


def test_divergence_exits_3_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "diverged.yaml"
    src = str(SAMPLES / "linear_regression.yaml")
    code = main(["train", src, "--lr", "10", "--steps", "500", "--save", str(out)])
    assert code == 3
    text = capsys.readouterr().out
    assert "training diverged at step" in text and "kept the params from step" in text
    assert "saved the trained params (the last finite params)" in text
    saved = yamlio.load(out)
    assert all(abs(float(n.value or 0.0)) < float("inf") for n in saved.nodes if n.op is None)


def test_expression_source_without_data(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "L = (w*x + b - y)^2", "--param", "w,b", "--label", "y",
                 "--at", "w=0,b=0,x=2,y=4", "--lr", "0.05", "--steps", "40"])
    assert code == 0
    out = capsys.readouterr().out
    assert "one example (the graph's own values)" in out
    assert "lr 0.05 (--lr), 40 steps (--steps)" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--lr", "-1"], "--lr must be positive"),
        (["--lr", "fast"], "--lr must be a number"),
        (["--steps", "2.5"], "--steps must be a whole number"),
        (["--save", "out.json"], "--save writes YAML"),
        (["--output", "nope"], "no node named 'nope'"),
    ],
)
def test_bad_flags(extra: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", str(SAMPLES / "xor_mlp.yaml"), *extra]) == 2
    assert message in capsys.readouterr().err


def test_bad_data_is_reported_not_raised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pts.csv").write_text("x,y\n1,2\n3,oops\n")
    src = tmp_path / "g.yaml"
    text = (SAMPLES / "linear_regression.yaml").read_text().replace("linear_regression.csv", "pts.csv")
    src.write_text(text)
    assert main(["train", str(src)]) == 2
    assert "column 'y': 'oops' is not a number at line 3 in pts.csv" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc, unwritable even to root")
def test_save_to_an_unwritable_directory_fails_before_training(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", str(SAMPLES / "linear_regression.yaml"), "--save", "/proc/trained.yaml"])
    out, err = capsys.readouterr()
    assert code == 2 and "--save /proc/trained.yaml: cannot write to /proc" in err
    assert "step" not in out  # refused up front, not after 200 steps


def test_bad_training_and_data_sections_point_at_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "bad.yaml"
    src.write_text("expression: w*x\nparams: {w: 1}\ninputs: {x: 2}\ntraining: {lr: 0.1, steps: -3}\n")
    assert main(["train", str(src)]) == 2
    err = capsys.readouterr().err
    assert f"training.steps must not be negative, got -3 at 4:1 in {src}" in err
    assert "  training: {lr: 0.1, steps: -3}\n  ^" in err
    src.write_text("expression: w*x\nparams: {w: 1}\ninputs: {x: 2}\ndata: [{x: 1, q: 2}]\n")
    assert main(["train", str(src)]) == 2
    assert f"unknown column 'q' (the graph's inputs and labels: x) at 4:1 in {src}" in capsys.readouterr().err

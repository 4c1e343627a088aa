"""Lesson sheets: the numbers of the worked examples, the LaTeX compiles, big graphs stay short."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from worked_examples import branching, squared_error

from cgtui.cli import main
from cgtui.core.errors import CgtuiError
from cgtui.lang.build import from_expression
from cgtui.teach.handout import MAX_ROWS, lesson, tex, to_latex, to_markdown

ROOT = Path(__file__).resolve().parent.parent


def test_markdown_sheet_for_worked_example_1() -> None:
    md = to_markdown(squared_error())
    for heading in (
        "## The expression",
        "## Intermediate variables",
        "## Local derivatives",
        "## The chain rule, leaf by leaf",
        "## Where paths meet: branching nodes",
        "## Why backprop",
    ):
        assert heading in md
    assert "L = (w * x + b - y) ^ 2" in md
    assert "| `yhat = z + b` | `1 + 0.1` | `1.1` |" in md
    assert "| `d -> L` | `∂L/∂d = 2 * d^(2 - 1)` | `0.2` |" in md
    # the chain rule for w, symbolically, by formulas and with numbers (the note's 2d * 1 * 1 * x)
    assert "`∂L/∂d * ∂d/∂yhat * ∂yhat/∂z * ∂z/∂w`" in md
    assert "`= (2 * d^(2 - 1)) * (1) * (1) * (x)`" in md
    assert "`= 0.2 * 1 * 1 * 2 = 0.4`" in md
    for leaf, value in (("w", "0.4"), ("x", "0.1"), ("b", "0.2"), ("y", "-0.2")):
        assert f"`dL/d{leaf} = {value}`; backprop: `{value}`" in md
    assert "No node is used twice" in md


def test_markdown_sheet_sums_over_paths_at_a_branching_node() -> None:
    md = to_markdown(branching())
    assert "### df/dx (input, 2 paths)" in md
    assert "`x -> s -> f`" in md and "`x -> f`" in md
    assert "`df/dx = 3 + 5 = 8`" in md
    assert "`df/dx = 8`; backprop: `8`" in md


def test_lesson_lists_limits_for_big_graphs() -> None:
    n = MAX_ROWS + 50
    g = from_expression("\n".join(f"a{k + 1} = a{k} * 1.001 + a{k}" for k in range(n)), values={"a0": 0.5})
    doc = lesson(g)
    assert len(doc.steps) == MAX_ROWS and doc.steps_omitted == 2 * n - MAX_ROWS
    assert doc.expression is None  # 2^250 terms written out: refused, not attempted
    chain = doc.chains[0]
    assert chain.count == 2**n and chain.rest_count == 2**n - len(chain.paths)
    md = to_markdown(g)
    assert f"... {2 * n - MAX_ROWS} more steps" in md
    assert len(md) < 200_000


def test_missing_values_are_a_clear_error() -> None:
    with pytest.raises(CgtuiError, match=r"missing: x, y .*--at x=\.\.\.,y=\.\.\."):
        to_markdown(from_expression("x*y"))


def test_tex_escapes_every_special_character() -> None:
    assert tex("a_1 & b% $c #d {e} ^f ~g \\h") == (
        r"a\_1 \& b\% \$c \#d \{e\} \^{}f \~{}g \textbackslash{}h"
    )
    assert tex("θ") == r"\textless{}U+03B8\textgreater{}"
    assert tex("∂L/∂d") == r"$\partial$L/$\partial$d"


def _structure_ok(source: str) -> None:
    assert source.startswith("\\documentclass")
    assert source.count(r"\begin{document}") == 1 and source.rstrip().endswith(r"\end{document}")
    assert source.isascii()
    assert source.count(r"\begin{longtable}") == source.count(r"\end{longtable}")
    # braces balance once escaped ones are removed
    bare = re.sub(r"\\[{}]", "", source)
    depth = 0
    for ch in bare:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0


def test_latex_structure() -> None:
    g = from_expression("a_1 = x_1 * w_1\nL = (a_1 - y)^2", values={"x_1": 2, "w_1": 0.5, "y": 1})
    source = to_latex(g)
    _structure_ok(source)
    assert r"\texttt{a\_1 = x\_1 * w\_1}" in source
    assert r"\section*{The chain rule, leaf by leaf}" in source


PDFLATEX = shutil.which("pdflatex")


@pytest.mark.skipif(PDFLATEX is None, reason="no pdflatex on this machine")
@pytest.mark.parametrize("sample", ["squared_error.yaml", "diamond_ladder.yaml", "messy.yaml", None])
def test_latex_compiles_with_plain_pdflatex(sample: str | None, tmp_path: Path) -> None:
    if sample is None:
        graph = from_expression("s_1 = x + y\nf = s_1 * x", values={"x": 3, "y": 2})
    else:
        yamlio = pytest.importorskip("cgtui.lang.yamlio")
        graph = yamlio.load(ROOT / "samples" / sample)
    source = to_latex(graph)
    _structure_ok(source)
    (tmp_path / "sheet.tex").write_text(source, encoding="ascii")
    assert PDFLATEX is not None
    run = subprocess.run(
        [PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "sheet.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / "sheet.pdf").stat().st_size > 1000


def test_export_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["export", "(x + y) * x", "--at", "x=3,y=2", "--format", "markdown"]) == 0
    assert "`df/dx = 3 + 5 = 8`".replace("f", "out") in capsys.readouterr().out
    out = tmp_path / "sheet.tex"
    assert main(["export", "(x + y) * x", "--at", "x=3,y=2", "--format", "latex", "-o", str(out)]) == 0
    _structure_ok(out.read_text())
    assert main(["export", "(x + y) * x", "--format", "latex"]) == 2
    assert "missing: x, y" in capsys.readouterr().err
    assert main(["export", "log(x)", "--at", "x=-1", "--format", "markdown"]) == 3


def test_a_node_used_many_times_has_its_ledger_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding each edge's local derivative must not search the operand's ledger once per
    edge: x used by 300 products has 300 pushes, and 300 searches of 300 is the quadratic
    work that made a 100,000-term sheet take minutes."""
    from cgtui.engine import engine
    from cgtui.teach import handout

    reads = 0

    class CountingList(list):  # type: ignore[type-arg]
        def __iter__(self):  # type: ignore[no-untyped-def]
            nonlocal reads
            for push in super().__iter__():
                reads += 1
                yield push

    class CountingStepper(engine.Stepper):
        def run_backward(self):  # type: ignore[no-untyped-def]
            result = super().run_backward()
            self.ledger = [CountingList(pushes) for pushes in self.ledger]
            return result

    monkeypatch.setattr(handout, "Stepper", CountingStepper)
    graph = from_expression("+".join(f"x*{i}" for i in range(1, 301)), values={"x": 2.0})
    sheet = lesson(graph)
    assert sheet is not None
    assert 0 < reads <= 10 * len(graph.nodes)  # pushes read; a search per edge reads ~45,000

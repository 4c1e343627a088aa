"""Lesson sheets: the numbers of the worked examples, the LaTeX compiles, big graphs stay short."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

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
    assert "`∂L/∂d · ∂d/∂yhat · ∂yhat/∂z · ∂z/∂w`" in md
    assert "`= (2 * d^(2 - 1)) · (1) · (1) · (x)`" in md
    assert "`= 0.2 · 1 · 1 · 2 = 0.4`" in md
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
    assert tex("dL/ds · ∂s/∂x") == r"dL/ds $\cdot$ $\partial$s/$\partial$x"


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


def test_a_node_used_many_times_is_worked_through_in_bounded_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """x used by 300 products: one local derivative per edge backprop pushes along (a
    search of x's ledger per edge was the quadratic work that made a 100,000-term sheet
    take minutes), and a branching table of at most MAX_ROWS terms with the rest added up."""
    from cgtui.teach import handout

    calls = 0
    real = handout.local_derivative  # type: ignore[attr-defined]

    def counting(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(*args)

    monkeypatch.setattr(handout, "local_derivative", counting)
    terms = 300
    graph = from_expression("+".join(f"x*{i}" for i in range(1, terms + 1)), values={"x": 2.0})
    doc = lesson(graph)
    edges_pushed = 2 * terms - 1  # x into each product, each sum into the next
    assert 0 < calls <= 2 * edges_pushed
    (x,) = [b for b in doc.branching if b.node == "x"]
    assert len(x.terms) == MAX_ROWS and x.terms_omitted == terms - MAX_ROWS
    assert float(x.rest_sum) == sum(range(MAX_ROWS + 1, terms + 1))
    assert x.sum_terms[-1] == f"(the other {terms - 12} terms: {sum(range(13, terms + 1))})"
    md = to_markdown(graph)
    assert f"| ... {terms - MAX_ROWS} more terms, adding up to `{sum(range(MAX_ROWS + 1, terms + 1))}`" in md
    assert f"`dout/dx = 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11 + 12 + (the other {terms - 12}" in md
    _structure_ok(to_latex(graph))


def test_many_leaves_are_listed_with_a_count_of_the_rest() -> None:
    from cgtui.teach.handout import MAX_CHAINS

    n = MAX_ROWS + 30
    graph = from_expression(" + ".join(f"w{k}" for k in range(n)), values={f"w{k}": 1.0 for k in range(n)})
    doc = lesson(graph)
    assert len(doc.leaves) == MAX_ROWS and doc.leaves_omitted == 30
    assert len(doc.chains) == MAX_CHAINS and doc.chains_omitted == n - MAX_CHAINS
    md = to_markdown(graph)
    assert "| ... 30 more leaves | | |" in md
    assert f"... and {n - MAX_CHAINS} more leaves (cgtui grad lists every leaf's partial)." in md
    latex = to_latex(graph)
    _structure_ok(latex)
    assert "30 more leaves" in latex and f"and {n - MAX_CHAINS} more leaves" in latex

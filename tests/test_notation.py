"""One notation everywhere: every view and command, on the worked examples, writes the
local derivative of an edge ``w -> z`` as ``∂z/∂w`` and the partial of the output as
``dL/dz``, and never the one as the other.

The assertion is exact, on the graph itself:

* every ``∂a/∂b`` written names an edge ``b -> a`` of the graph (a local derivative
  exists only on an edge, so ``∂L/∂w`` for an accumulated partial fails);
* every ``da/db`` written has the output as ``a`` (a total ratio whose numerator is not
  the output is a local derivative written as a total, ``dz/dw``), and ``b`` is a node
  (or a placeholder such as ``dL/dleaf``);
* every ledger line reads ``dL/dp += dL/ds · ∂s/∂p = ...`` for an edge ``p -> s``;
* an operand that is a negative number is always bracketed (``x * (-3)``).

Each test also checks that the texts it looked at do contain both kinds of names, so a
view that stopped writing derivatives cannot pass by saying nothing.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_app import jump, settle, side, sync, text_of

from cgtui.app import explain
from cgtui.app.app import ExplorerApp
from cgtui.app.drawing import DrawingView
from cgtui.app.quiz import QuizPanel
from cgtui.app.views import GraphTree, NodeTable
from cgtui.cli import main
from cgtui.core import notation
from cgtui.core.errors import did_you_mean
from cgtui.core.graph import Graph, Kind
from cgtui.core.ops import OPS
from cgtui.engine.engine import Stepper, edge_text
from cgtui.lang import yamlio
from cgtui.lang.build import from_expression
from cgtui.teach import handout
from cgtui.teach.formats import FORMATS
from cgtui.teach.quiz import Quiz

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"
SAMPLES = ["squared_error", "branching", "two_feature_regression", "micrograd_sanity", "micrograd_more_ops"]
#: Expression forms: a negative constant operand, a shared operand, functions, a negation.
EXPRESSIONS = [
    ("x * -3 + y", "x=2,y=-1"),
    ("(x + y) * x", "x=3,y=2"),
    ("-a * exp(-b) / (c - 2) + a ^ -2", "a=1.5,b=-0.5,c=-1"),
]

NAME = r"[A-Za-z]\w*"
LOCAL = re.compile(rf"∂({NAME})/∂({NAME})")
TOTAL = re.compile(rf"(?<![\w∂$\\])d(?!_)({NAME})/d({NAME})")
LEDGER = re.compile(rf"d({NAME})/d({NAME}) \+= d({NAME})/d({NAME}) · ∂({NAME})/∂({NAME})")
#: A negative number right after an operator, not bracketed: ``x * -3``, ``1 - -0.2``.
BARE_NEGATIVE = re.compile(r"(?:[*/^+·]|\s-) -\d")
#: Names that stand for any node in headings: dL/dnode, dL/dleaf, dL/dv, p <- p - lr * dL/dp
#: (there ``L`` stands for whichever output is differentiated).
PLACEHOLDERS = {"node", "leaf", "v", "p", "param"}


@dataclass
class Seen:
    """What the texts of one graph contained: how many local and total names."""

    locals: int = 0
    totals: int = 0
    ledger: int = 0
    where: list[str] = field(default_factory=list)


def check_texts(
    graph: Graph, output: str, texts: Iterable[tuple[str, str]], seen: Seen | None = None
) -> Seen:
    """Assert the convention on every ``(where, text)``; count what was found."""
    seen = seen or Seen()
    edges = {(graph.nodes[s].name, graph.nodes[p].name) for p, s, _ in graph.edges()}
    names = {n.name for n in graph.nodes}
    for where, raw in texts:
        text = _plain(raw)
        seen.where.append(where)
        for a, b in LOCAL.findall(text):
            assert (a, b) in edges, f"{where}: ∂{a}/∂{b} is not the local derivative of an edge\n{text}"
            seen.locals += 1
        for a, b in TOTAL.findall(text):
            generic = a == "L" and b in PLACEHOLDERS  # a heading: dL/dnode, the output's partial
            assert a == output or generic, f"{where}: d{a}/d{b} writes a local derivative as a total\n{text}"
            assert b in names or b in PLACEHOLDERS, f"{where}: d{a}/d{b} names no node\n{text}"
            seen.totals += 1
        for line in text.splitlines():
            if "+=" in line:
                m = LEDGER.search(line)
                assert m is not None, f"{where}: a ledger line not in the convention: {line}"
                out1, p1, out2, s1, s2, p2 = m.groups()
                assert out1 == out2 == output and p1 == p2 and s1 == s2 and (s1, p1) in edges, line
                seen.ledger += 1
        bare = BARE_NEGATIVE.search(text)
        near = "" if bare is None else text[max(0, bare.start() - 20) : bare.end() + 5]
        assert bare is None, f"{where}: an unbracketed negative operand near {near!r}"
    return seen


def _plain(text: str) -> str:
    """LaTeX's marks back to the characters they stand for."""
    for tex, ch in notation.LATEX.items():
        text = text.replace(ch, tex)
    return text.replace(r"\_", "_").replace(r"\textgreater{}", ">").replace(r"\textless{}", "<")


# --- the sources -------------------------------------------------------------------------------


def sample_graph(name: str) -> Graph:
    path = SAMPLES_DIR / f"{name}.yaml"
    return yamlio.loads(path.read_text(encoding="utf-8"), file=str(path))


def expression_graph(expr: str, at: str) -> Graph:
    values = {k: float(v) for k, v in (pair.split("=") for pair in at.split(","))}
    return from_expression(expr, values=values)


def sources() -> list[tuple[str, list[str], Graph]]:
    """(id, the CLI's source arguments, the graph) for every worked example and expression form."""
    out = [(name, [str(SAMPLES_DIR / f"{name}.yaml")], sample_graph(name)) for name in SAMPLES]
    out += [(expr, [expr, "--at", at], expression_graph(expr, at)) for expr, at in EXPRESSIONS]
    return out


SOURCES = sources()
IDS = [s[0] for s in SOURCES]


def output_name(graph: Graph) -> str:
    return graph.nodes[graph.outputs[0]].name


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, f"cgtui {' '.join(argv)} failed: {err}"
    return out


# --- the module itself ---------------------------------------------------------------------------


def test_the_module_writes_each_form() -> None:
    assert notation.local_name("z", "w") == "∂z/∂w"
    assert notation.partial_name("L", "z") == "dL/dz"
    line = notation.ledger_line("L", "s", "x", 1.0, 5.0, 5.0, 3.0, 8.0)
    assert line == "dL/dx += dL/ds · ∂s/∂x = 1 · 5 = 5  (3 -> 8)"
    assert notation.ledger_line("L", "d", "y", 0.2, -1.0, -0.2, None, -0.2) == (
        "dL/dy += dL/dd · ∂d/∂y = 0.2 · (-1) = -0.2  (0 -> -0.2)"
    )
    assert notation.apply(OPS["mul"], ["x", "-3"]) == "x * (-3)"
    assert notation.apply(OPS["neg"], ["-2"]) == "-(-2)"
    assert notation.apply(OPS["exp"], ["-1"]) == "exp(-1)"
    assert notation.apply(OPS["pow"], ["a", "-2"]) == "a ^ (-2)"
    assert notation.format_number(0.40000000000000036) == "0.4"
    assert notation.ascii_fallback("dL/dx += dL/ds · ∂s/∂x") == "dL/dx += dL/ds * d_s/d_x"


def test_did_you_mean_is_one_hint() -> None:
    assert did_you_mean("wieght", ["weight", "bias"]) == " (did you mean 'weight'?)"
    assert did_you_mean("wieght", ["weight"], inside=True) == "; did you mean 'weight'?"
    assert did_you_mean("zzz", ["weight"]) == ""


def test_the_checker_catches_the_old_notation() -> None:
    """The checks above fail on the forms the issue reported, so passing them means something."""
    g = sample_graph("squared_error")
    with pytest.raises(AssertionError, match="local derivative as a total"):
        check_texts(g, "L", [("old log", "dL/dd += dL/dL * dL/dd = 1 * 0.2 = 0.2  (0 -> 0.2)\ndd/dyhat = 1")])
    with pytest.raises(AssertionError, match="not the local derivative of an edge"):
        check_texts(g, "L", [("partial as local", "∂L/∂w = 0.4")])
    with pytest.raises(AssertionError, match="ledger line"):
        check_texts(g, "L", [("old ledger", "dL/dd += dL/dL * ∂L/∂d = 1 * 0.2")])
    with pytest.raises(AssertionError, match="unbracketed negative"):
        check_texts(g, "L", [("drawing", "x * -3")])


# --- commands ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "args", "graph"), SOURCES, ids=IDS)
def test_commands(capsys: pytest.CaptureFixture[str], name: str, args: list[str], graph: Graph) -> None:
    out = output_name(graph)
    texts: list[tuple[str, str]] = []
    for fmt in ("text", "markdown", "json"):
        texts.append((f"steps {fmt}", run(capsys, "steps", *args, "--format", fmt)))
    texts.append(("grad --all", run(capsys, "grad", *args, "--all")))
    texts.append(("grad --json", run(capsys, "grad", *args, "--json")))
    texts.append(("check", run(capsys, "check", *args)))
    for i in graph.leaves():
        leaf = graph.nodes[i]
        if leaf.kind is Kind.CONST:
            continue
        texts.append((f"paths --from {leaf.name}", run(capsys, "paths", *args, "--from", leaf.name)))
        data = json.loads(run(capsys, "paths", *args, "--from", leaf.name, "--json"))
        formulas = "\n".join(f for p in data["paths"] for f in p["formulas"])
        texts.append((f"paths --json {leaf.name}", formulas))
    for fmt in FORMATS:  # yaml, json, dot, mermaid, the handouts, the generated Python
        texts.append((f"export {fmt}", run(capsys, "export", *args, "--format", fmt)))
    texts.append(("draw", run(capsys, "draw", *args, "--values", "--all", "--color", "never")))
    texts.append(("draw --outline", run(capsys, "draw", *args, "--values", "--outline", "--color", "never")))
    seen = check_texts(graph, out, texts)
    assert seen.locals > 0 and seen.totals > 0, name  # paths and handouts write both
    joined = "\n".join(t for _, t in texts)
    assert f"{notation.BOX_PARTIAL}" in joined  # the drawing's partial line


def test_ascii_fallback_where_the_output_cannot_carry_the_mark(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    monkeypatch.setattr(sys, "stdout", stream)
    assert main(["paths", str(SAMPLES_DIR / "branching.yaml"), "--from", "x"]) == 0
    stream.flush()
    text = raw.getvalue().decode("ascii")
    assert "(d_f/d_x = s)" in text and "(d_s/d_x = 1, d_f/d_s = x)" in text
    assert "1 * 3 = 3" in text and "df/dx = 8" in text


def test_latex_writes_partial_and_cdot() -> None:
    source = handout.to_latex(sample_graph("branching"))
    assert r"$\partial$f/$\partial$s $\cdot$ $\partial$s/$\partial$x" in source
    assert "U+" not in source  # no mark left as a code point


# --- quiz ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "args", "graph"), SOURCES, ids=IDS)
def test_quiz_questions_and_answers(name: str, args: list[str], graph: Graph) -> None:
    quiz = Quiz(graph)
    panel = QuizPanel()
    panel.quiz = quiz
    texts: list[tuple[str, str]] = []
    while not quiz.done:
        q = quiz.current
        assert q is not None
        texts.append((f"question {q.kind}", "\n".join([q.prompt, q.formula, *q.solution, panel._topic(q)])))
        verdict = quiz.reveal()
        texts.append(("verdict", "\n".join([verdict.message, *verdict.solution])))
    seen = check_texts(graph, output_name(graph), texts)
    assert seen.locals > 0 and seen.totals > 0, name


# --- the explorer --------------------------------------------------------------------------------


def explain_texts(stepper: Stepper) -> list[tuple[str, str]]:
    """Everything the side pane, tree, table and status line say, for every node."""
    g = stepper.graph
    texts = [("status", explain.status_line(stepper))]
    for i, node in enumerate(g.nodes):
        acc = explain.accumulation(stepper, i)
        paths = explain.paths_view(stepper, i)
        rows = explain.edge_rows(stepper, i)
        texts += [
            (f"tree {node.name}", explain.tree_label(stepper, i)),
            (f"table {node.name}", " | ".join(explain.table_row(stepper, i))),
            (f"definition {node.name}", explain.definition(stepper, i)),
            (f"edges {node.name}", "\n".join(f"{r.formula} = {r.value}" for r in rows)),
            (f"accumulation {node.name}", "\n".join([acc.heading, *(t.text for t in acc.terms), acc.total])),
            (f"paths {node.name}", "\n".join([paths.heading, *paths.lines, paths.total, paths.check])),
        ]
    return texts


@pytest.mark.parametrize(("name", "args", "graph"), SOURCES, ids=IDS)
def test_stepper_views_at_every_backward_step(name: str, args: list[str], graph: Graph) -> None:
    """The side pane's words before, during and after the backward pass (pending terms too)."""
    stepper = Stepper(graph)
    stepper.run_forward()
    texts = explain_texts(stepper)
    log: list[str] = []
    while True:
        r = stepper.step_backward()
        if r.kind != "backward":
            break
        log += r.lines
        if stepper.backward_pos in (1, stepper.backward_total // 2):
            texts += explain_texts(stepper)
    texts += explain_texts(stepper)
    texts.append(("log", "\n".join(log)))
    seen = check_texts(graph, output_name(graph), texts)
    assert seen.locals > 0 and seen.totals > 0 and seen.ledger == sum(len(p) for p in stepper.ledger), name
    for s in range(len(graph.nodes)):  # the edge formulas the panes show, by the one function
        for slot in range(len(graph.nodes[s].operands)):
            assert edge_text(graph, s, slot).startswith("∂")


EXPLORER = ["squared_error", "branching", "micrograd_sanity"]


@pytest.mark.parametrize("name", EXPLORER)
def test_explorer_on_screen(name: str) -> None:
    """The explorer as a learner sees it, through Pilot: log, status line, tree, table,
    side pane for every node, and the drawing."""
    graph = sample_graph(name)

    @sync
    async def run() -> None:
        app = ExplorerApp(Stepper(graph), source=name)
        async with app.run_test(size=(140, 50)) as pilot:
            await settle(pilot)
            await pilot.press("F", "B")
            await settle(pilot)
            texts: list[tuple[str, str]] = [
                ("log", "\n".join(app.query_one("#log").lines)),  # type: ignore[attr-defined]
                ("status", text_of(app.query_one("#status"))),  # type: ignore[arg-type]
            ]
            table = app.query_one("#table", NodeTable)
            for r in range(table.row_count):
                cells = [str(getattr(c, "plain", c)) for c in table.get_row_at(r)]
                texts.append((f"table row {r}", " | ".join(cells)))
            texts.append(("table header", " | ".join(str(c.label) for c in table.columns.values())))
            tree = app.query_one("#tree", GraphTree)
            stack = [tree.root]
            while stack:
                line = stack.pop()
                texts.append(("tree", str(line.label)))
                stack.extend(line.children)
            for node in graph.nodes:
                if node.kind is Kind.CONST and not node.name.isidentifier():
                    continue  # a literal is not searchable by name
                await jump(pilot, node.name)
                for part in ("definition", "edges", "accumulation", "paths"):
                    texts.append((f"side {part} {node.name}", side(app, part)))
            await pilot.press("3")
            await settle(pilot)
            view = app.query_one(DrawingView)
            assert view.picture is not None
            texts.append(("drawing", view.picture.text()))
            seen = check_texts(graph, output_name(graph), texts)
            assert seen.locals > 0 and seen.totals > 0 and seen.ledger > 0, seen.where
            assert notation.BOX_PARTIAL.strip() + " " in view.picture.text()

    run()


def test_help_screen_states_the_convention() -> None:
    @sync
    async def run() -> None:
        app = ExplorerApp(Stepper(sample_graph("branching")), plugins=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("question_mark")
            await settle(pilot)
            text = text_of(app.screen.query_one("#help-notation"))  # type: ignore[arg-type]
            assert "∂z/∂w" in text and "dL/dz" in text and "dL/dx += dL/ds · ∂s/∂x" in text

    run()


def test_readme_states_the_convention_and_uses_it() -> None:
    readme = (SAMPLES_DIR.parent / "README.md").read_text(encoding="utf-8")
    start, end = readme.index("<!-- section: notation -->"), readme.index("<!-- end: notation -->")
    convention = readme[start:end]
    assert readme.index("## ") > readme.index("<!-- end: overview -->")  # the first section
    assert readme.index("## ") == readme.index("## Notation")
    assert "∂z/∂w" in convention and "dL/dz" in convention and "dL/dx += dL/ds · ∂s/∂x" in convention
    # the README's examples on the branching sample: every derivative name in the convention
    g = sample_graph("branching")
    # forward mode's tangents (``ds/dx``: the total derivative of s along the seeded leaf x)
    # are totals too, but not of the output: that section is checked by its own tests
    a = readme.index("### jvp and jacobian")
    reverse = readme[:a] + readme[readme.index("\n##", a + 4) :]
    lines = [line for line in reverse.splitlines() if "df/d" in line or "∂f/∂" in line]
    assert lines
    check_texts(g, "f", [("README", "\n".join(lines))])

"""The quiz does not give its answers away: while a question is open, what it asks about is
masked in every view (tree, table, drawing, side pane, status line; the log is hidden), and
shown again once it is answered.

One test walks every question of every bundled sample (about 1,200 questions) in the
explorer at 120x40 and looks at the screen before each answer.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from textual.widget import Widget

from cgtui.app import explain
from cgtui.app.app import ExplorerApp
from cgtui.app.quiz import QuizPanel
from cgtui.app.views import NodeTable
from cgtui.core import yamlio
from cgtui.core.engine import Stepper
from cgtui.core.quiz import Question, QuestionKind, expected_text
from cgtui.core.ops import format_number
from tests.screen_text import screen_rows
from tests.test_app import settle, squared_error, sync

SAMPLES = sorted((Path(__file__).resolve().parent.parent / "samples").glob("*.yaml"))

#: Guide and marker glyphs before a tree line's name.
GUIDES = "│├└─┬┼▼▶◆ "


def answers(q: Question) -> set[str]:
    """The texts that would give ``q``'s answer away next to the node it asks about."""
    if q.kind is QuestionKind.LEAF_KIND:
        return {str(q.expected), explain.KIND_TAGS[str(q.expected)]}
    texts = {expected_text(q)}
    if not isinstance(q.expected, str):
        texts.add(format_number(float(q.expected)))
    return texts


def mentions(line: str, token: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(token)}(?![\w.])", line) is not None


def about(app: ExplorerApp, q: Question, line: str) -> bool:
    """Whether ``line`` shows the quantity ``q`` asks about: for a local derivative, the
    edge's row; for a path count, a count of paths; else a line that starts with the node."""
    g = app.stepper.graph
    name = g.nodes[q.node].name
    if q.kind is QuestionKind.LOCAL_DERIVATIVE:
        assert q.operand is not None
        p = g.nodes[q.operand].name
        return any(f in line for f in (f"{p} -> {name}", f"d{name}/d{p}", f"∂{name}/∂{p}"))
    if q.kind is QuestionKind.PATH_COUNT:
        return " path" in line
    words = line.strip().lstrip(GUIDES).split()
    return bool(words) and words[0] == name


def region_rows(rows: list[str], widget: Widget) -> list[str]:
    r = widget.region
    return [row[r.x : r.x + r.width] for row in rows[r.y : r.y + r.height]]


def leaks(app: ExplorerApp, q: Question) -> list[str]:
    """Where the screen (and the views not on it) tie ``q``'s node to its answer."""
    g = app.stepper.graph
    name = g.nodes[q.node].name
    bad = answers(q)
    found: list[str] = []
    rows = screen_rows(app)
    # the tree and the side pane as rendered: every line that shows the quantity asked
    for pane in ("#tree", "#side"):
        for line in region_rows(rows, app.query_one(pane)):
            if about(app, q, line) and any(mentions(line, t) for t in bad):
                found.append(f"{pane}: {line.strip()}")
    status = "".join(region_rows(rows, app.query_one("#status")))
    if q.kind is QuestionKind.LEAF_KIND and mentions(status, f"{name}="):
        found.append(f"status line lists {name} among the params: {status.strip()}")
    if q.node == app.stepper.output and any(mentions(status, f"{name} = {t}") for t in bad):
        found.append(f"status: {status.strip()}")
    if app.query_one("#log").display and app.query_one("#log").region.height:
        found.append("the step log is on screen")
    # the table's row and the drawing's box of the node (their tabs are not on screen)
    table = app.query_one("#table", NodeTable)
    if q.node < table.row_count:
        cells = [str(getattr(c, "plain", c)) for c in table.get_row_at(q.node)]
        if q.kind is not QuestionKind.LOCAL_DERIVATIVE and any(mentions(c, t) for c in cells[1:] for t in bad):
            found.append(f"table: {cells}")
    drawing: Any = app.query_one("#drawing")
    box = drawing._box_of(q.node)
    if box is not None and drawing.picture is not None and q.kind is not QuestionKind.LOCAL_DERIVATIVE:
        lines = [line[box.left : box.right + 1] for line in drawing.picture.lines[box.top : box.bottom + 1]]
        if any(mentions(line, t) for line in lines for t in bad):
            found.append("drawing: " + " / ".join(lines))
    return found


async def walk(app: ExplorerApp, pilot: Any) -> int:
    """Open the quiz and reveal every answer, checking the screen before each; the number
    of questions asked."""
    await pilot.press("Q")
    await settle(pilot)
    await app.workers.wait_for_complete()
    panel = app.query_one("#quiz", QuizPanel)
    asked = 0
    while panel.quiz is not None and panel.quiz.current is not None:
        q = panel.quiz.current
        await pilot.pause()
        found = leaks(app, q)
        assert not found, f"question {asked + 1} ({q.prompt}) shows its answer: {found}"
        panel.action_reveal()
        await pilot.pause()
        asked += 1
    return asked


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.stem for p in SAMPLES])
@sync
async def test_no_question_of_any_sample_shows_its_answer(sample: Path) -> None:
    app = ExplorerApp(Stepper(yamlio.load(sample)), source=str(sample))
    async with app.run_test(size=(120, 40)) as pilot:
        asked = await walk(app, pilot)
        assert asked > 0
        assert app.query_one("#quiz", QuizPanel).quiz.done  # type: ignore[union-attr]


@sync
async def test_a_masked_partial_shows_once_answered_and_the_mask_goes_with_the_quiz() -> None:
    app = ExplorerApp(squared_error())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("Q")
        await settle(pilot)
        panel = app.query_one("#quiz", QuizPanel)
        assert panel.quiz is not None
        while panel.quiz.current is not None and panel.quiz.current.kind is not QuestionKind.BACKWARD_PARTIAL:
            panel.action_reveal()
            await pilot.pause()
        q = panel.quiz.current
        assert q is not None
        table = app.query_one("#table", NodeTable)
        assert str(table.get_row_at(q.node)[5]) == explain.MASKED
        panel.submit(expected_text(q))
        await pilot.pause()
        assert str(table.get_row_at(q.node)[5]) == expected_text(q)  # revealed by the answer
        # a kind is masked in the status line too, and everything shows when the quiz closes
        await pilot.press("escape", "Q")
        await pilot.pause()
        assert app.query(QuizPanel).first(None) is None
        assert explain.MASKED not in "\n".join(screen_rows(app))

"""The quiz does not give its answers away: while a question is open, what it asks about is
masked in every view (tree, table, drawing, side pane, status line; the log is hidden), and
shown again once it is answered.

One test walks every question of every bundled sample (about 1,200 questions) in the
explorer at 120x40 and looks at the screen before each answer; another does the same on
the samples whose nodes hold arrays, where a question may ask for a shape, a VJP, the
axes the broadcasting rule sums over, or one entry of an array.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import scalar_samples
from screen_text import screen_rows
from test_app import settle, squared_error, sync
from textual.coordinate import Coordinate
from textual.widget import Widget
from textual.widgets import Static

from cgtui.app import explain
from cgtui.app.app import ExplorerApp
from cgtui.app.quiz import QuizPanel
from cgtui.app.side import PARTS, SidePane
from cgtui.app.tensor_view import short_shape
from cgtui.app.views import GraphTree, NodeTable
from cgtui.core.notation import format_number
from cgtui.draw.render import PARTIAL_PREFIX, VALUE_PREFIX
from cgtui.engine.engine import Stepper
from cgtui.lang import yamlio
from cgtui.teach.quiz import Question, QuestionKind, expected_text

ALL_SAMPLES = sorted((Path(__file__).resolve().parent.parent / "samples").glob("*.yaml"))
SAMPLES = scalar_samples(ALL_SAMPLES)
TENSOR_SAMPLES = [p for p in ALL_SAMPLES if p not in SAMPLES]

#: Guide and marker glyphs before a tree line's name.
GUIDES = "│├└─┬┼▼▶◆ "


def answers(q: Question, app: ExplorerApp | None = None) -> set[str]:
    """The texts that would give ``q``'s answer away where the quantity is shown; for one
    entry of a partial, also the whole array's shape, the first word the views write of it
    (the array holds the entry; its value is not known before the step that computes it)."""
    if q.entry and app is not None and q.kind is QuestionKind.BACKWARD_PARTIAL:
        partial = np.asarray(app.stepper.partials[q.node])
        return {expected_text(q), short_shape(partial.shape)}
    if q.kind is QuestionKind.LEAF_KIND:
        return {str(q.expected), explain.KIND_TAGS[str(q.expected)]}
    if q.kind in (QuestionKind.SHAPE, QuestionKind.PARTIAL_SHAPE):
        return {str(q.expected), str(q.expected).replace(" ", "")}  # (4, 2); the views write (4,2)
    if q.kind in (QuestionKind.VJP, QuestionKind.BROADCAST_AXES):
        return {str(q.expected)}
    texts = {expected_text(q)}
    if not isinstance(q.expected, str):
        texts.add(format_number(float(q.expected)))
    return texts


def shown(app: ExplorerApp, q: Question, line: str) -> list[str]:
    """What ``line`` shows in the place of the quantity ``q`` asks about (empty when the
    line does not show it): the kind or value on a line about the node, the partial after
    ``dL/dnode``, the value on the edge's row, a count of paths."""
    g = app.stepper.graph
    name = re.escape(g.nodes[q.node].name)
    out = re.escape(g.nodes[app.stepper.output].name)
    words = line.strip().lstrip(GUIDES).split()
    starts = bool(words) and words[0] == g.nodes[q.node].name
    if q.kind is QuestionKind.LEAF_KIND:
        return re.findall(r"[\[(](\S+?)[\]),\s]", line) if starts else []
    if q.kind in (QuestionKind.FORWARD_VALUE, QuestionKind.SHAPE):
        heading = re.findall(rf"^\s*{name} (\(\S*\)):", line)  # the array section's table
        return re.findall(r"= (\S+)", line) + heading if starts else []
    if q.kind in (QuestionKind.BACKWARD_PARTIAL, QuestionKind.PARTIAL_SHAPE):
        found = re.findall(rf"(?<![\w/])d{out}/d{name}(?:\s+=)?\s+(\S+)", line)
        return [f.rstrip(":") for f in found]
    if q.kind is QuestionKind.VJP:
        return [str(q.expected)] if str(q.expected) in line else []
    if q.kind is QuestionKind.BROADCAST_AXES:
        return []  # the axes are written only in the array section, checked as a whole
    if q.kind is QuestionKind.LOCAL_DERIVATIVE:
        assert q.operand is not None
        p = re.escape(g.nodes[q.operand].name)
        if re.search(rf"(?<!\S){p} -\S*> {name}(?!\S)", line):
            return line.split()[-1:]
        return []
    return re.findall(r"([\d,]+) paths?\b", line)  # PATH_COUNT


def region_rows(rows: list[str], widget: Widget) -> list[str]:
    r = widget.region
    return [row[r.x : r.x + r.width] for row in rows[r.y : r.y + r.height]]


#: The table column that shows each kind of question's answer.
TABLE_COLUMN = {
    QuestionKind.LEAF_KIND: "kind",
    QuestionKind.FORWARD_VALUE: "value",
    QuestionKind.BACKWARD_PARTIAL: "dL/dnode",
    QuestionKind.SHAPE: "value",
    QuestionKind.PARTIAL_SHAPE: "dL/dnode",
}

#: The line of a drawn box that shows each kind of question's answer (a leaf's kind is
#: its second line).
BOX_PREFIX = {
    QuestionKind.FORWARD_VALUE: VALUE_PREFIX,
    QuestionKind.BACKWARD_PARTIAL: PARTIAL_PREFIX,
    QuestionKind.SHAPE: VALUE_PREFIX,
    QuestionKind.PARTIAL_SHAPE: PARTIAL_PREFIX,
}


def side_lines(app: ExplorerApp) -> list[str]:
    """The side pane's lines, of the sections on screen."""
    pane = app.query_one("#side", SidePane)
    return [line for part in PARTS for line in pane.text(part[0]).split("\n") if pane.rows_of(part[0])]


def tree_lines(app: ExplorerApp, q: Question) -> list[str]:
    """The tree's lines of the node asked about and of its operands and results."""
    tree = app.query_one("#tree", GraphTree)
    g = app.stepper.graph
    near = {q.node, *g.nodes[q.node].operands, *(s for s, _ in g.successors(q.node))}
    return [tree._lines[i].label.plain for i in near if i in tree._lines]  # type: ignore[union-attr]


def leaks(app: ExplorerApp, q: Question, *, screen: bool) -> list[str]:
    """Where the views show ``q``'s answer in its place: on the rendered screen when
    ``screen`` (slow), else in the texts the views render."""
    g = app.stepper.graph
    name = g.nodes[q.node].name
    bad = answers(q, app)
    found: list[str] = []
    if screen:
        rows = screen_rows(app)
        panes = {pane: region_rows(rows, app.query_one(pane)) for pane in ("#tree", "#side")}
        status = "".join(region_rows(rows, app.query_one("#status")))
    else:
        panes = {"#tree": tree_lines(app, q), "#side": side_lines(app)}
        status = str(app.query_one("#status", Static).render())
    for pane, lines in panes.items():
        for line in lines:
            if bad & set(shown(app, q, line)):
                found.append(f"{pane}: {line.strip()}")
    if q.kind is QuestionKind.LEAF_KIND and re.search(rf"(?<!\S){re.escape(name)}=", status):
        found.append(f"status line lists {name} among the params: {status.strip()}")
    if q.node == app.stepper.output and bad & set(re.findall(rf"output {re.escape(name)} = (\S+)", status)):
        found.append(f"status: {status.strip()}")
    # the array section shows every number of the node, its VJPs and broadcast axes
    arrays = app.stepper.graph.has_arrays and q.kind is not QuestionKind.LEAF_KIND
    if arrays and app.selected == q.node and app.query_one(SidePane).rows_of("tensor") is not None:
        found.append("the side pane's array section of the node asked about is on screen")
    log = app.query_one("#log")
    if log.display and log.region.height:
        found.append("the step log is on screen")
    # the table's row and the drawing's box of the node (their tabs are not on screen)
    table = app.query_one("#table", NodeTable)
    column = TABLE_COLUMN.get(q.kind)
    if column is not None and q.node < table.row_count:
        cell = str(table.get_cell_at(Coordinate(q.node, explain.TABLE_COLUMNS.index(column))))
        if cell.strip() in bad or (cell.split()[:1] and cell.split()[0] in bad):
            found.append(f"table: {column} {cell}")
    # the drawing's view is made when its tab is first shown: until then it shows nothing
    drawing: Any = next(iter(app.query("#drawing")), None)
    box = None if drawing is None else drawing._box_of(q.node)
    if box is not None and drawing.picture is not None:
        rows = drawing.picture.lines[box.top + 1 : box.bottom]
        lines = [ln[box.left + 1 : box.right].strip() for ln in rows]
        if q.kind is QuestionKind.LEAF_KIND:
            texts = lines[1:2]
        elif q.kind in BOX_PREFIX:
            texts = [ln[len(BOX_PREFIX[q.kind]) :] for ln in lines if ln.startswith(BOX_PREFIX[q.kind])]
        else:
            texts = []
        if bad & {*texts, *(t.split()[0] for t in texts if t.split())}:
            found.append("drawing: " + " / ".join(lines))
    return found


async def walk(app: ExplorerApp, pilot: Any, *, screen: bool, kinds: set[QuestionKind] | None = None) -> int:
    """Open the quiz and reveal every answer, checking the views before each (the rendered
    screen when ``screen``); the number of questions asked."""
    await pilot.press("Q")
    await settle(pilot)
    await app.workers.wait_for_complete()
    panel = app.query_one("#quiz", QuizPanel)
    assert panel.quiz is not None
    total = count_questions(app.stepper)
    stride = max(1, (total - FIRST) // CHECKS)
    asked = 0
    last_kind = None
    while panel.quiz is not None and panel.quiz.current is not None:
        q = panel.quiz.current
        if asked < FIRST or q.kind is not last_kind or asked % stride == 0:
            await pilot.pause()  # the app has handled the answers so far and this question
            found = leaks(app, q, screen=screen)
            assert not found, f"question {asked + 1} ({q.prompt}) shows its answer: {found}"
        last_kind = q.kind
        if kinds is not None:
            kinds.add(q.kind)
        panel.action_reveal()  # the app handles it before the next check
        asked += 1
    assert asked == total
    return asked


#: Every question of a sample is checked up to this many; past it, each first question of
#: a new kind and about :data:`CHECKS` more spread evenly (each check waits for the app to
#: redraw: all ~1,200 questions of the samples would take minutes on a loaded machine).
#: The questions not checked are still answered, through the app, in order.
FIRST = 20
CHECKS = 12


def count_questions(stepper: Stepper) -> int:
    from cgtui.teach.quiz import Quiz

    quiz = Quiz(stepper=Stepper(stepper.graph))  # a fresh stepper: the leaves' values
    n = 0
    while not quiz.done:
        quiz.reveal()
        n += 1
    return n


#: Samples whose every question is also checked on the rendered screen (rendering the
#: whole screen for each of the ~1,200 questions of all samples would take minutes; the
#: others are checked in the texts the views render, which is what the screen shows).
ON_SCREEN = {"squared_error", "branching"}


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.stem for p in SAMPLES])
@sync
async def test_no_question_of_any_sample_shows_its_answer(sample: Path) -> None:
    app = ExplorerApp(Stepper(yamlio.load(sample)), source=str(sample))
    async with app.run_test(size=(120, 40)) as pilot:
        asked = await walk(app, pilot, screen=sample.stem in ON_SCREEN)
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
        assert not app.query(QuizPanel)
        assert explain.MASKED not in "\n".join(screen_rows(app))


@pytest.mark.parametrize("sample", TENSOR_SAMPLES, ids=[p.stem for p in TENSOR_SAMPLES])
@sync
async def test_no_question_on_an_array_sample_shows_its_answer(sample: Path) -> None:
    """The quiz on the samples whose nodes hold arrays: shapes, VJPs, broadcast axes and
    entries are masked too, and the node's array section waits for the answer. (The
    XOR network is checked on the rendered screen, the spiral MLP in the views' texts.)"""
    app = ExplorerApp(Stepper(yamlio.load(sample)), source=str(sample))
    async with app.run_test(size=(120, 40)) as pilot:
        panel_kinds: set[QuestionKind] = set()
        asked = await walk(app, pilot, screen=sample.stem == "xor_mlp_tensor", kinds=panel_kinds)
        assert asked > 0
        assert {QuestionKind.SHAPE, QuestionKind.PARTIAL_SHAPE, QuestionKind.VJP} <= panel_kinds
        assert QuestionKind.BROADCAST_AXES in panel_kinds
        assert app.query_one("#quiz", QuizPanel).quiz.done  # type: ignore[union-attr]
        assert app.stepper.backward_complete

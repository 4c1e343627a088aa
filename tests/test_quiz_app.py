"""The quiz panel as a learner meets it: in the side column of a small terminal, with Pilot."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
from test_app import settle
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from cgtui.app import explain
from cgtui.app.app import ExplorerApp
from cgtui.app.quiz import QuizPanel
from cgtui.app.side import SidePane
from cgtui.engine.engine import Stepper, gradients
from cgtui.lang import yamlio
from cgtui.teach.quiz import Question, QuestionKind

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


class Host(App[None]):
    """What the explorer does for the panel: a side column with the panel above the side
    pane, the ``-quiz`` class on the screen, and the panel's Answered steps applied."""

    CSS = "#views { height: 1fr; } #side-column { height: 9; }"  # the explorer at 80x24

    def __init__(self, sample: str) -> None:
        super().__init__()
        self.stepper = Stepper(yamlio.load(SAMPLES / sample))

    def compose(self) -> ComposeResult:
        yield Static("the graph views", id="views")
        with Vertical(id="side-column"):
            yield Static("side pane\n" * 30, id="side")

    def on_mount(self) -> None:
        self.screen.add_class("-quiz")
        panel = QuizPanel(id="quiz")
        self.query_one("#side-column").mount(panel, before=0)
        panel.show(self.stepper)


def text_of(widget: Static) -> str:
    return str(widget.render())


def test_the_verdict_names_the_question_it_answers() -> None:
    """After an answer the next question is on screen above the verdict: the verdict must
    say which question it is about, or "correct" reads as the answer to the new one."""

    async def run() -> None:
        app = Host("branching.yaml")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            panel = app.query_one(QuizPanel)
            assert panel.quiz is not None and panel.quiz.current is not None
            assert "What is s?" in text_of(panel.query_one("#quiz-prompt", Static))
            await pilot.press("3", "enter")  # s = x + y = 5: wrong
            await pilot.pause()
            assert "What is f?" in text_of(panel.query_one("#quiz-prompt", Static))
            verdict = text_of(panel.query_one("#quiz-verdict", Static))
            assert "question 1" in verdict and "value of s" in verdict, verdict
            assert "f" not in verdict.split(":")[0].replace("of s", "")  # not about f
            await pilot.press("1", "5", "enter")  # f = s * x = 15: right
            await pilot.pause()
            verdict = text_of(panel.query_one("#quiz-verdict", Static))
            assert verdict.startswith("✓ question 2, the value of f"), verdict
            for _ in range(4):  # the four local derivatives, revealed
                await pilot.press("ctrl+r")
                await pilot.pause()
            verdict = text_of(panel.query_one("#quiz-verdict", Static))
            assert verdict.startswith("· question 6, ∂s/∂y"), verdict  # the quiz's notation
            await pilot.press("1", "enter")  # df/dy = df/ds * ds/dy = 3 * 1: wrong
            await pilot.pause()
            verdict = text_of(panel.query_one("#quiz-verdict", Static))
            assert verdict.startswith("✗ question 7, df/dy"), verdict

    asyncio.run(run())


def test_question_verdict_and_score_can_be_read_at_80x24() -> None:
    """At 80x24 the explorer stacks its panes and the side column is a few rows high: the
    question, the input, the verdict and the score must still show, and the rest of the
    worked solution must be reachable by scrolling, not clipped."""

    async def run() -> None:
        app = Host("branching.yaml")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            panel = app.query_one(QuizPanel)
            answer = panel.query_one("#quiz-answer", Input)
            assert answer.outer_size.height == 1  # a one-line input leaves room for the solution
            await pilot.press("3", "enter")  # wrong: the worked solution appears
            await pilot.pause()
            assert "score 0/1 correct" in str(panel.border_subtitle)
            inner = panel.content_region
            for part in ("#quiz-prompt", "#quiz-answer", "#quiz-verdict"):
                region = panel.query_one(part).region
                assert inner.contains_region(region), (part, region, inner)
            solution = panel.query_one("#quiz-solution", Static)
            lines = text_of(solution).splitlines()
            assert lines and lines[-1].strip().endswith("5")  # s = ... = 5
            panel.scroll_end(animate=False)
            await pilot.pause()
            bottom = solution.region.bottom
            assert bottom <= inner.bottom, (solution.region, inner)  # the last line shows

    asyncio.run(run())


def test_a_whole_forward_and_backward_pass_by_hand() -> None:
    """squared_error, every question answered through the input: the kinds, the forward
    values, then the backward pass; the panel ends by saying so with the score, and the
    stepper has done both passes. Before the first answer no blank verdict takes room."""

    async def run() -> None:
        app = Host("squared_error.yaml")
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            panel = app.query_one(QuizPanel)
            assert not panel.query_one("#quiz-verdict").display
            assert not panel.query_one("#quiz-solution").display
            quiz = panel.quiz
            assert quiz is not None
            kinds: list[str] = []
            for _ in range(100):
                question = quiz.current
                if question is None:
                    break
                kinds.append(str(question.kind))
                panel.input.value = str(question.expected)
                await pilot.press("enter")
                await pilot.pause()
                assert panel.query_one("#quiz-verdict").display
            assert quiz.current is None
            assert quiz.score.correct == quiz.score.asked == len(kinds) > 8
            assert kinds[0] == "leaf kind" and "forward value" in kinds and kinds[-1] != "forward value"
            assert app.stepper.backward_complete
            assert "Both passes" in text_of(panel.query_one("#quiz-prompt", Static))
            assert f"{len(kinds)}/{len(kinds)} correct" in text_of(panel.query_one("#quiz-prompt", Static))
            assert panel.input.disabled

    asyncio.run(run())


def test_escape_hands_the_keys_to_the_graph_view() -> None:
    """Escape left nothing focused, so the arrow keys did nothing until a click: in the
    explorer it now focuses the graph view, as Escape does everywhere else there."""
    from textual.widgets import Tree

    class Explorer(Host):
        def compose(self) -> ComposeResult:
            tree: Tree[None] = Tree("graph", id="tree")
            yield tree
            yield from super().compose()

        def action_focus_views(self) -> None:
            self.query_one("#tree").focus()

    async def run() -> None:
        app = Explorer("branching.yaml")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            panel = app.query_one(QuizPanel)
            assert app.focused is panel.input
            await pilot.press("escape")
            await pilot.pause()
            assert app.focused is app.query_one("#tree")

    asyncio.run(run())


# --- the quiz on a graph of arrays, in the explorer -------------------------------------------


def right_answer(question: Question) -> str:
    if question.kind is QuestionKind.VJP:
        return str(question.choices.index(str(question.expected)) + 1)
    return repr(question.expected) if isinstance(question.expected, float) else str(question.expected)


def test_the_explorer_quizzes_a_tensor_graph_through_both_passes_by_hand() -> None:
    """Q on the XOR twin opens the quiz (no "scalar graphs only" notice); every question,
    shapes, VJP choices, broadcast axes and entries, answered through the input at 80x24;
    the stepper ends with both passes done and the engine's gradients."""

    async def run() -> None:
        graph = yamlio.load(SAMPLES / "xor_mlp_tensor.yaml")
        app = ExplorerApp(Stepper(graph), source="xor_mlp_tensor.yaml")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("Q")
            await settle(pilot)
            assert not app._notifications, [str(n.message) for n in app._notifications]
            panel = app.query_one(QuizPanel)
            quiz = panel.quiz
            assert quiz is not None
            kinds: set[QuestionKind] = set()
            for _ in range(200):
                question = quiz.current
                if question is None:
                    break
                kinds.add(question.kind)
                placeholder = str(panel.input.placeholder)
                if question.kind in (QuestionKind.SHAPE, QuestionKind.PARTIAL_SHAPE):
                    assert "shape" in placeholder
                elif question.kind is QuestionKind.VJP:
                    assert "option" in placeholder
                panel.input.value = right_answer(question)
                await pilot.press("enter")
                await pilot.pause()
                verdict = text_of(panel.query_one("#quiz-verdict", Static))
                assert verdict.startswith("✓"), (question.prompt, verdict)
            assert quiz.current is None and quiz.score.correct == quiz.score.asked > 40
            assert {QuestionKind.SHAPE, QuestionKind.VJP, QuestionKind.BROADCAST_AXES} <= kinds
            assert app.stepper.backward_complete
            engine = gradients(graph).partials
            for name in ("W1", "b1", "U", "c"):
                i = graph.index[name]
                np.testing.assert_allclose(
                    np.asarray(app.stepper.partials[i]), np.asarray(engine[i]), rtol=1e-12
                )
            assert "Both passes" in text_of(panel.query_one("#quiz-prompt", Static))

    asyncio.run(run())


def test_a_vjp_question_reads_at_80x24_and_a_wrong_choice_is_explained() -> None:
    """The options stand one per line inside the panel; an option number out of range is
    refused without counting; a wrong choice says which was chosen, the answer, and why each
    option is right or wrong (the shapes)."""

    async def run() -> None:
        app = ExplorerApp(Stepper(yamlio.load(SAMPLES / "xor_mlp_tensor.yaml")))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("Q")
            await settle(pilot)
            panel = app.query_one(QuizPanel)
            quiz = panel.quiz
            assert quiz is not None
            while quiz.current is not None and quiz.current.kind is not QuestionKind.VJP:
                await pilot.press("ctrl+r")
            question = quiz.current
            assert question is not None
            await pilot.pause()
            prompt = panel.query_one("#quiz-prompt", Static)
            text = text_of(prompt)
            assert "Which map of G gives the push into dL/dH?" in text
            lines = text.split("\n")
            for k, choice in enumerate(question.choices):  # two short options to a line
                assert any(line.startswith("  ") and f"{k + 1}) {choice}" in line for line in lines[1:])
            for part in (prompt, panel.input):  # the question and the input show together
                assert panel.content_region.contains_region(part.region), (part, part.region)
            asked = quiz.score.asked
            await pilot.press("9", "enter")
            await pilot.pause()
            assert "there are 4 options" in text_of(panel.query_one("#quiz-verdict", Static))
            assert quiz.current is question and quiz.score.asked == asked  # not counted
            wrong = next(k for k, c in enumerate(question.choices) if c != question.expected)
            panel.input.value = str(wrong + 1)
            await pilot.press("enter")
            await pilot.pause()
            verdict = text_of(panel.query_one("#quiz-verdict", Static))
            assert verdict.startswith(f"✗ question {asked + 1}, the VJP into dL/dH: not quite"), verdict
            assert f"you chose {question.choices[wrong]}" in verdict and "G @ transpose(U)" in verdict
            solution = text_of(panel.query_one("#quiz-solution", Static))
            assert "dL/dH += G @ transpose(U)  (G = dL/dv3)" in solution
            assert "right: gives (4, 2), the shape of H" in solution
            assert "score 0/" in str(panel.border_subtitle)

    asyncio.run(run())


def test_a_shape_question_is_not_answered_by_the_side_pane_of_a_later_node() -> None:
    """While the quiz asks the shape of a node the forward pass has not reached, selecting
    a node after it (whose definition and VJPs would show shapes worked out ahead) shows no
    shape of it: the side pane's array section is hidden for nodes not yet computed."""

    async def run() -> None:
        app = ExplorerApp(Stepper(yamlio.load(SAMPLES / "xor_mlp_tensor.yaml")))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("Q")
            await settle(pilot)
            quiz = app.query_one(QuizPanel).quiz
            assert quiz is not None
            while quiz.current is not None and quiz.current.kind is not QuestionKind.SHAPE:
                await pilot.press("ctrl+r")
            question = quiz.current
            assert question is not None and app.stepper.values[question.node] is None
            graph = app.stepper.graph
            asked = graph.nodes[question.node].name
            later = next(s for s, _ in graph.successors(question.node))
            app.selected = later
            await settle(pilot)
            pane = app.query_one(SidePane)
            assert pane.rows_of("tensor") is None
            definition = explain.definition(app.stepper, later, pane.mask)
            assert asked in definition and "with shapes ?" in definition

    asyncio.run(run())

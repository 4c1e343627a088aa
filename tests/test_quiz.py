"""The quiz: questions in pass order, checked with a tolerance, solutions, score; the panel."""

from __future__ import annotations

import asyncio
import math

import pytest
from worked_examples import branching, squared_error

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph
from cgtui.core.ops import OPS
from cgtui.engine.engine import Stepper, forward, grad_check, gradients, leaf_values
from cgtui.lang.build import from_expression
from cgtui.teach.quiz import InvalidAnswer, Question, QuestionKind, Quiz, parse_number

K = QuestionKind


def ladder(levels: int, a0: float = -0.3) -> Graph:
    text = "\n".join(f"a{k + 1} = tanh(a{k}*a{k} + a{k})" for k in range(levels))
    return from_expression(text, values={"a0": a0})


def independent_answer(graph: Graph, q: Question) -> float | int | str:
    """The answer worked out without the stepper: finite differences and plain counting."""
    values = forward(graph, leaf_values(graph))
    out = graph.outputs[0]
    if q.kind is K.LEAF_KIND:
        return graph.nodes[q.node].kind.value
    if q.kind is K.FORWARD_VALUE:
        return float(values[q.node])
    if q.kind is K.LOCAL_DERIVATIVE:
        node = graph.nodes[q.node]
        assert node.op is not None and q.slot is not None
        args = [float(values[p]) for p in node.operands]
        h = 1e-6 * max(1.0, abs(args[q.slot]))
        hi, lo = list(args), list(args)
        hi[q.slot] += h
        lo[q.slot] -= h
        op = OPS[node.op]
        return float(op.forward(*hi) - op.forward(*lo)) / (2 * h)
    if q.kind is K.BACKWARD_PARTIAL:
        return grad_check(graph, graph.nodes[q.node].name, leaf_values(graph), out)[1]
    # paths: walk every path with an explicit stack
    succ = graph.successor_lists()
    count = 0
    todo = [q.node]
    while todo:
        i = todo.pop()
        if i == out:
            count += 1
            continue
        todo.extend(s for s, _ in succ[i])
    return count


def test_a_whole_pass_answered_right_scores_full_marks_and_matches_backprop() -> None:
    g = squared_error()
    quiz = Quiz(g)
    kinds: list[QuestionKind] = []
    while not quiz.done:
        q = quiz.current
        assert q is not None
        answer = independent_answer(g, q)
        verdict = quiz.answer(str(answer))
        assert verdict.correct, (q.prompt, answer, verdict.message)
        kinds.append(q.kind)
    assert quiz.score.correct == quiz.score.asked == len(kinds)
    # pass order: kinds, then the forward pass, then the backward pass
    first_forward = kinds.index(K.FORWARD_VALUE)
    last_forward = len(kinds) - 1 - kinds[::-1].index(K.FORWARD_VALUE)
    assert set(kinds[:first_forward]) == {K.LEAF_KIND}
    assert kinds[first_forward : last_forward + 1] == [K.FORWARD_VALUE] * len(g.computations())
    assert K.LOCAL_DERIVATIVE in kinds[last_forward:] and K.BACKWARD_PARTIAL in kinds[last_forward:]
    # the stepper did the real passes
    expected = gradients(g)
    assert quiz.stepper.backward_complete
    for i, p in enumerate(expected.partials):
        if p is not None:
            assert quiz.stepper.partials[i] == pytest.approx(p)


def test_worked_example_2_solution_shows_the_sum_over_two_edges() -> None:
    quiz = Quiz(branching())
    seen: dict[tuple[QuestionKind, str], Question] = {}
    asked = 0
    while not quiz.done:
        q = quiz.current
        assert q is not None
        seen[(q.kind, quiz.graph.nodes[q.node].name)] = q
        asked += 1
        quiz.reveal()
    px = seen[(K.BACKWARD_PARTIAL, "x")]
    assert px.expected == 8.0
    text = "\n".join(px.solution)
    assert "3 * 1 + 1 * 5" in text and text.endswith("= 8")
    assert seen[(K.PATH_COUNT, "x")].expected == 2
    assert (K.PATH_COUNT, "y") not in seen  # one path: nothing to count
    assert seen[(K.BACKWARD_PARTIAL, "y")].expected == 3.0
    assert quiz.score.revealed == quiz.score.asked == asked == 9  # 2 forward, 4 edges, 2 partials, 1 count


def test_path_counts_are_exact_and_accept_arithmetic() -> None:
    quiz = Quiz(ladder(5), kinds={K.PATH_COUNT})
    asked = []
    while not quiz.done:
        q = quiz.current
        assert q is not None
        asked.append(q)
        expected = independent_answer(quiz.graph, q)
        assert q.expected == expected
        if len(asked) == 1:
            assert not quiz.answer(str(int(expected) - 1)).correct
        else:
            assert quiz.answer(str(expected)).correct
    # the leaf a0 is asked last: 3^5 paths, typed as arithmetic
    assert asked[-1].expected == 3**5
    q0 = Quiz(ladder(5), kinds={K.PATH_COUNT})
    while q0.current is not None and q0.current.expected != 3**5:
        q0.reveal()
    assert q0.answer("3^5").correct


def test_tolerance() -> None:
    quiz = Quiz(squared_error(), kinds={K.FORWARD_VALUE})
    assert quiz.current is not None and quiz.current.expected == 1.0  # z = w*x
    assert quiz.answer("1.009").correct  # within 1%
    assert quiz.current is not None and quiz.current.expected == pytest.approx(1.1)
    assert not quiz.answer("1.2").correct
    strict = Quiz(squared_error(), kinds={K.FORWARD_VALUE}, rel_tol=1e-6)
    assert not strict.answer("1.009").correct
    assert strict.answer("1 + 0.1").correct  # yhat, typed as arithmetic


def test_invalid_answers_keep_the_question_and_the_score() -> None:
    quiz = Quiz(squared_error(), kinds={K.FORWARD_VALUE})
    q = quiz.current
    for bad in ("", "   ", "abc", "w*2", "1/0", "(1", "nan", "-inf", "9" * 400, "1+" * 150 + "1"):
        with pytest.raises(InvalidAnswer):
            quiz.answer(bad)
    assert quiz.current is q and quiz.score.asked == 0


def test_leaf_kinds_accept_the_swap_in_a_param_times_input_product() -> None:
    quiz = Quiz(squared_error(), kinds={K.LEAF_KIND})
    answers = {"x": "param", "y": "param", "w": "parameter", "b": "bias"}
    verdicts = {}
    while not quiz.done:
        q = quiz.current
        assert q is not None
        name = quiz.graph.nodes[q.node].name
        if name == "b":
            with pytest.raises(InvalidAnswer):
                quiz.answer("banana")
        verdicts[name] = quiz.answer(answers[name])
    assert verdicts["x"].correct and "swap" in verdicts["x"].message
    assert not verdicts["y"].correct and "label" in verdicts["y"].message
    assert verdicts["w"].correct and verdicts["b"].correct


def test_no_kind_questions_without_params_and_labels() -> None:
    quiz = Quiz(branching())
    assert quiz.current is not None and quiz.current.kind is K.FORWARD_VALUE


def test_local_derivative_solution_names_the_rule() -> None:
    quiz = Quiz(squared_error(), kinds={K.LOCAL_DERIVATIVE})
    q = quiz.current
    assert q is not None and quiz.graph.nodes[q.node].name == "L"
    assert q.expected == pytest.approx(0.2)
    assert "b * a^(b - 1)" in q.solution[0]
    assert "2 * 0.1^(2 - 1)" in "\n".join(q.solution)
    # edges into constants are not asked: only d -> L for L = d^2
    quiz.answer("0.2")
    assert quiz.current is not None and quiz.graph.nodes[quiz.current.node].name == "d"


def test_questions_do_not_step_before_they_are_answered() -> None:
    quiz = Quiz(squared_error(), kinds={K.FORWARD_VALUE})
    q = quiz.current
    assert q is not None and quiz.stepper.values[q.node] is None and quiz.hides(q.node)
    quiz.answer("1")
    assert quiz.stepper.values[q.node] == 1.0
    assert [r.kind for r in quiz.last_steps] == ["forward"]


def test_outside_changes_are_noticed() -> None:
    stepper = Stepper(squared_error())
    quiz = Quiz(stepper=stepper)
    assert quiz.in_sync()
    stepper.run_forward()
    assert not quiz.in_sync()
    again = Quiz(stepper=stepper, score=quiz.score)
    assert again.current is not None and again.current.kind is not K.FORWARD_VALUE
    assert again.score is quiz.score


def test_missing_values_and_faults_are_reported() -> None:
    with pytest.raises(CgtuiError, match="missing: y"):
        Quiz(from_expression("x*y", values={"x": 1.0}))
    quiz = Quiz(from_expression("log(x - 2)", values={"x": 1.0}))
    assert quiz.answer("-1").correct  # x - 2; then log(-1) stops the forward pass
    assert quiz.done and quiz.fault is not None and "log" in quiz.fault


def test_deep_graph_quiz_without_recursion() -> None:
    n = 20_000
    g = from_expression("\n".join(f"a{k + 1} = a{k} * 1.0001" for k in range(n)), values={"a0": 1.0})
    quiz = Quiz(g, kinds={K.LOCAL_DERIVATIVE})
    for _ in range(5):
        assert quiz.current is not None
        assert quiz.answer("1.0001").correct


def test_parse_number() -> None:
    assert parse_number(" 2.5 ") == 2.5
    assert parse_number("1/4") == 0.25
    assert parse_number("-3^2") == -9.0
    assert math.isclose(parse_number("2*0.1"), 0.2)


# --- the panel ---------------------------------------------------------------------------------


def test_quiz_screen_with_pilot() -> None:
    from textual.app import App

    from cgtui.app.quiz import QuizPanel, QuizScreen

    answered: list[QuizPanel.Answered] = []

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(QuizScreen(Quiz(branching())), self.done)
            self.result: object = None

        def done(self, score: object) -> None:
            self.result = score

        def on_quiz_panel_answered(self, event: QuizPanel.Answered) -> None:
            answered.append(event)

    async def run() -> None:
        app = Host()
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            panel = app.screen.query_one(QuizPanel)
            assert panel.quiz is not None
            await pilot.press("5", "enter")  # s = x + y = 5
            await pilot.press("1", "4", "enter")  # f = 15: wrong
            await pilot.pause()
            assert panel.quiz.score.correct == 1 and panel.quiz.score.wrong == 1
            verdict = str(panel.query_one("#quiz-verdict").render())
            assert "15" in verdict
            await pilot.press("x", "enter")  # not a number: not counted
            await pilot.pause()
            assert panel.quiz.score.asked == 2
            await pilot.press("ctrl+a", "backspace", "ctrl+r")  # reveal
            await pilot.pause()
            assert panel.quiz.score.revealed == 1
            assert "∂f/∂s" in str(panel.query_one("#quiz-solution").render())
            assert [s.kind for s in answered[0].steps] == ["forward"]
            await pilot.press("escape")
            await pilot.pause()
            assert app.result is panel.quiz.score

    asyncio.run(run())


def test_panel_follows_a_host_stepper() -> None:
    from textual.app import App, ComposeResult
    from textual.containers import Vertical

    from cgtui.app.quiz import QuizPanel

    stepper = Stepper(squared_error())

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield Vertical(id="side-column")

        def on_mount(self) -> None:
            self.screen.add_class("-quiz")
            panel = QuizPanel(id="quiz")
            self.query_one("#side-column").mount(panel)
            panel.show(stepper)

    async def run() -> None:
        app = Host()
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            panel = app.query_one(QuizPanel)
            assert panel.quiz is not None and panel.quiz.stepper is stepper
            assert panel.quiz.current is not None and panel.quiz.current.kind is K.LEAF_KIND
            assert app.focused is panel.input  # show() takes the keys ...
            await pilot.press("escape")
            assert app.focused is None  # ... and Escape gives them back
            panel.submit("input")
            score = panel.quiz.score
            result = stepper.run_forward()  # the host steps on its own
            panel.on_step(stepper, result)
            await pilot.pause()
            assert panel.quiz.score is score and score.asked == 1
            assert panel.quiz.current is not None and panel.quiz.current.kind is K.LOCAL_DERIVATIVE
            panel.on_step(stepper, None)  # nothing changed: the same quiz goes on
            assert panel.quiz.current.kind is K.LOCAL_DERIVATIVE

    asyncio.run(run())


def test_panel_without_values_says_why() -> None:
    from textual.app import App, ComposeResult

    from cgtui.app.quiz import QuizPanel

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield QuizPanel(id="quiz")

        def on_mount(self) -> None:
            self.query_one(QuizPanel).show(Stepper(from_expression("x*y")))

    async def run() -> None:
        app = Host()
        async with app.run_test() as pilot:
            await pilot.pause()
            panel = app.query_one(QuizPanel)
            assert panel.quiz is None
            assert "missing" in str(panel.query_one("#quiz-prompt").render())
            assert panel.input.disabled

    asyncio.run(run())

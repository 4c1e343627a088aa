"""Quiz mode: a panel that asks for what the next step will compute, and checks it.

:class:`QuizPanel` is self-contained: it drives a :class:`~cgtui.teach.quiz.Quiz` over a
:class:`~cgtui.engine.engine.Stepper` and shows one question at a time, an input for the
answer, the verdict with the worked solution, and the score. Interface:

* ``QuizPanel(quiz=None, id=...)``; then ``show(stepper)`` starts (or restarts) a quiz on
  ``stepper`` (a quiz passed to the constructor is used as it is);
* ``on_step(stepper, result)``: call it after anything else changed the stepper (a step,
  an undo, a new value); the panel starts a new quiz from the new state, keeping the score;
* it posts :class:`QuizPanel.Asked` when a question appears (``question.node`` is the node
  asked about) and :class:`QuizPanel.Answered` after each answer, carrying the
  :class:`~cgtui.engine.engine.StepResult` list of the steps the quiz took, so the host
  refreshes its views; :class:`QuizPanel.Finished` at the end;
* keys: Enter checks the answer, ``ctrl+r`` reveals it, Escape gives the keys back.

While the screen has the class ``-quiz`` the side pane's derivative, accumulation and
path sections and the step log are hidden, so the answers are not on screen before they are
asked; :meth:`QuizPanel.mask` tells the host what the open question asks about, which every
view masks until it is answered.
:class:`QuizScreen` wraps the panel as a screen of its own (Escape returns the score).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Static

from cgtui.app.explain import NO_MASK, Mask, quiz_mask
from cgtui.core.errors import CgtuiError
from cgtui.core.notation import entry, local_name, partial_name
from cgtui.engine.engine import Stepper, StepResult
from cgtui.teach.quiz import InvalidAnswer, Question, QuestionKind, Quiz, Score, Verdict


class QuizPanel(Vertical):
    """One question at a time, in pass order, with worked solutions and a score."""

    SCOPED_CSS = False  # the rules for Screen.-quiz reach outside the panel
    DEFAULT_CSS = """
    QuizPanel {
        height: auto;
        max-height: 85%;  /* in quiz mode the quiz comes first; the side pane gets the rest */
        min-height: 6;  /* the border, the question and the input, even in a short column */
        overflow-y: auto;
        border: round $accent;
        border-title-color: $accent;
        border-subtitle-color: $text-muted;
        padding: 0 1;
    }
    QuizPanel #quiz-prompt { margin: 0; }
    QuizPanel #quiz-row { height: auto; }
    QuizPanel #quiz-answer { width: 1fr; }
    QuizPanel #quiz-reveal { min-width: 10; }
    QuizPanel #quiz-verdict.-right { color: $success; text-style: bold; }
    QuizPanel #quiz-verdict.-wrong { color: $error; text-style: bold; }
    QuizPanel #quiz-verdict.-revealed { color: $warning; text-style: bold; }
    QuizPanel #quiz-solution { color: $text; }
    /* the log says how each partial was built: the very numbers the next questions ask */
    Screen.-quiz #log {
        display: none !important;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "reveal", "Reveal", tooltip="Show the answer and its worked solution"),
        Binding("escape", "leave", "Leave", tooltip="Give the keys back to the graph (Q closes the quiz)"),
    ]

    class Asked(Message):
        """A new question is on screen."""

        def __init__(self, panel: QuizPanel, question: Question) -> None:
            super().__init__()
            self.panel = panel
            self.question = question

    class Answered(Message):
        """An answer was checked (or revealed); ``steps`` are the stepper steps it led to."""

        def __init__(self, panel: QuizPanel, verdict: Verdict, steps: list[StepResult]) -> None:
            super().__init__()
            self.panel = panel
            self.verdict = verdict
            self.steps = steps

    class Finished(Message):
        """No questions left."""

        def __init__(self, panel: QuizPanel, score: Score) -> None:
            super().__init__()
            self.panel = panel
            self.score = score

    def __init__(
        self, quiz: Quiz | None = None, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.quiz = quiz
        self._prompt = Static(id="quiz-prompt", markup=False)
        self._input = Input(
            placeholder="answer, Enter",
            tooltip="a number (2*0.1 works too), a kind (input, label, param), a shape (4, 2), "
            "an option's number or axis numbers (0, 1)",
            id="quiz-answer",
            compact=True,
        )
        self._verdict = Static(id="quiz-verdict", markup=False)
        self._solution = Static(id="quiz-solution", markup=False)
        self._finished = False

    def compose(self) -> ComposeResult:
        yield self._prompt
        with Horizontal(id="quiz-row"):
            yield self._input
            yield Button("Reveal", id="quiz-reveal", compact=True)
        yield self._verdict
        yield self._solution

    def on_mount(self) -> None:
        self.border_title = "quiz"  # and which question, once one is asked
        self._verdict.display = self._solution.display = False  # nothing answered yet
        # this panel's CSS arrives with it: restyle the screen so Screen.-quiz rules apply now
        self.app.update_styles(self.screen)
        if self.quiz is not None:
            self._show_question()

    # ---- the host's calls ---------------------------------------------------------

    def show(self, stepper: Stepper) -> None:
        """Start a quiz on ``stepper`` (unless one runs on it already) and take the keys."""
        if self.quiz is not None and self.quiz.stepper is stepper and self.quiz.in_sync():
            self._show_question()
        else:
            self._start(stepper, self.quiz.score if self.quiz is not None else None)
        self.call_after_refresh(self._input.focus)

    def on_step(self, stepper: Stepper, result: StepResult | None = None) -> None:
        """The stepper changed; follow it if the change did not come from this quiz."""
        if self.quiz is not None and self.quiz.stepper is stepper and self.quiz.in_sync():
            return
        self._start(stepper, self.quiz.score if self.quiz is not None else None)
        if self.quiz is not None and result is not None and result.kind not in ("none",):
            self._say(Text("the graph changed: questions continue from here", style="italic"), "", "")

    def _start(self, stepper: Stepper, score: Score | None) -> None:
        self._finished = False
        try:
            self.quiz = Quiz(stepper=stepper, score=score)
        except CgtuiError as exc:
            self.quiz = None
            self.border_title = "quiz"
            self._prompt.update(Text(f"No quiz: {exc.message}"))
            self._input.disabled = True
            return
        self._input.disabled = False
        self._show_question()

    # ---- answering -------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "quiz-reveal":
            event.stop()
            self.action_reveal()

    def submit(self, text: str) -> Verdict | None:
        """Check ``text`` as the answer to the current question (also what Enter does)."""
        quiz = self.quiz
        if quiz is None or quiz.done:
            return None
        try:
            verdict = quiz.answer(text)
        except InvalidAnswer as exc:
            self._say(Text(exc.message), "-wrong", "")
            return None
        self._after(verdict)
        return verdict

    def action_leave(self) -> None:
        """Escape: close a quiz screen; in a host's layout, hand the keys back to the host:
        to its graph view when it has a ``focus_views`` action (the explorer's Escape), else
        to the screen, so the arrow keys move through the graph again."""
        if isinstance(self.screen, QuizScreen):
            self.screen.action_close()
            return
        self.screen.set_focus(None)
        focus_views = getattr(self.app, "action_focus_views", None)
        if callable(focus_views):
            focus_views()

    def action_reveal(self) -> None:
        quiz = self.quiz
        if quiz is None or quiz.done:
            return
        self._after(quiz.reveal())

    def _after(self, verdict: Verdict) -> None:
        assert self.quiz is not None
        style = "-right" if verdict.correct else ("-revealed" if verdict.revealed else "-wrong")
        mark = "✓" if verdict.correct else ("·" if verdict.revealed else "✗")
        # the next question is shown above this verdict: say which question it answers
        about = f"question {self.quiz.score.asked}, {self._topic(verdict.question)}"
        self._say(Text(f"{mark} {about}: {verdict.message}"), style, "\n".join(verdict.solution))
        self._input.value = ""
        self.post_message(self.Answered(self, verdict, list(self.quiz.last_steps)))
        self._show_question()

    def _say(self, verdict: Text, style: str, solution: str) -> None:
        """Show a verdict and its worked solution; an empty one takes no room."""
        self._verdict.update(verdict)
        self._verdict.set_classes(style)
        self._verdict.display = bool(verdict.plain)
        self._solution.update(Text(solution))
        self._solution.display = bool(solution)

    def _show_question(self) -> None:
        quiz = self.quiz
        if quiz is None:
            return
        self.border_subtitle = f"score {quiz.score.text()}"
        q = quiz.current
        if q is None:
            self.border_title = "quiz · done"
            end = "The quiz stopped: " + quiz.fault if quiz.fault else "Both passes are done by hand."
            self._prompt.update(Text(f"{end} Score: {quiz.score.text()}."))
            self._input.disabled = True
            if not self._finished:
                self._finished = True
                self.post_message(self.Finished(self, quiz.score))
            return
        self._input.disabled = False
        self._input.placeholder = PLACEHOLDERS.get(q.kind, "answer, Enter")
        self.border_title = f"quiz · question {quiz.score.asked + 1} · {q.kind}"
        self._prompt.update(Text(q.prompt))
        self.post_message(self.Asked(self, q))

    def _topic(self, q: Question) -> str:
        """What ``q`` asked for, in a few words and the quiz's notation: "the value of z",
        "∂d/∂yhat" (a local derivative), "dL/dz" (a partial of the output), ..."""
        assert self.quiz is not None
        graph = self.quiz.stepper.graph
        name = graph.nodes[q.node].name
        out = graph.nodes[self.quiz.stepper.output].name
        at = q.entry or ()
        operand = graph.nodes[q.operand].name if q.operand is not None else ""
        if q.kind is QuestionKind.LEAF_KIND:
            return f"the kind of {name}"
        if q.kind is QuestionKind.FORWARD_VALUE:
            return f"the value of {entry(name, at)}"
        if q.kind is QuestionKind.BACKWARD_PARTIAL:
            return entry(partial_name(out, name), at)
        if q.kind is QuestionKind.LOCAL_DERIVATIVE and q.operand is not None:
            return entry(local_name(name, operand), at)
        if q.kind is QuestionKind.PATH_COUNT:
            return f"the paths from {name} to {out}"
        if q.kind is QuestionKind.SHAPE:
            return f"the shape of {name}"
        if q.kind is QuestionKind.PARTIAL_SHAPE:
            return f"the shape of {partial_name(out, name)}"
        if q.kind is QuestionKind.VJP:
            return f"the VJP into {partial_name(out, operand)}"
        if q.kind is QuestionKind.BROADCAST_AXES:
            return f"the axes summed for {partial_name(out, operand)}"
        return f"{q.kind} of {name}"

    def mask(self) -> Mask:
        """What the open question asks about (nothing when no question is open)."""
        quiz = self.quiz
        if quiz is None or quiz.current is None:
            return NO_MASK
        return question_mask(quiz.current)

    @property
    def input(self) -> Input:
        return self._input


#: What the input says it takes, for the questions that are not a number.
PLACEHOLDERS = {
    QuestionKind.SHAPE: "a shape: 4, 2 (or ()); Enter",
    QuestionKind.PARTIAL_SHAPE: "a shape: 4, 2 (or ()); Enter",
    QuestionKind.VJP: "the option's number; Enter",
    QuestionKind.BROADCAST_AXES: "axis numbers: 0 or 0, 1; Enter",
}


def question_mask(q: Question) -> Mask:
    """What question ``q`` asks about, hidden in every view until it is answered: the
    scalar quiz's quantities (:func:`~cgtui.app.explain.quiz_mask`), and on array graphs
    a value's shape (its value), a partial's shape (the partial) and an edge's VJP or
    broadcast axes (the edge; the side pane's array section of a masked node is hidden)."""
    if q.kind is QuestionKind.SHAPE:
        return Mask(values=frozenset({q.node}))
    if q.kind is QuestionKind.PARTIAL_SHAPE:
        return Mask(partials=frozenset({q.node}))
    if q.kind in (QuestionKind.VJP, QuestionKind.BROADCAST_AXES) and q.slot is not None:
        return Mask(edges=frozenset({(q.node, q.slot)}))
    return quiz_mask(q)


class QuizScreen(Screen[Score | None]):
    """The quiz as a screen of its own: ``push_screen(QuizScreen(quiz))``; Escape returns
    the score."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", tooltip="Leave the quiz")]

    def __init__(self, quiz: Quiz) -> None:
        super().__init__(classes="-quiz")
        self.quiz = quiz

    def compose(self) -> ComposeResult:
        yield QuizPanel(self.quiz, id="quiz")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#quiz-answer", Input).focus()

    def action_close(self) -> None:
        self.dismiss(self.quiz.score)

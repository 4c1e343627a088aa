"""The training screen: gradient descent on the params, its loss curve and the loss landscape.

``TrainingScreen(stepper)`` (or ``TrainingScreen(graph, values, output)``) is a
self-contained :class:`~textual.screen.Screen`; push it from any app and it dismisses with
the trained params (``a``) or ``None`` (``escape``). It runs N descent steps in a thread
worker (a progress bar, stop at any time, the screen keeps answering), or one step at a
time with its arithmetic in the log. Its five tabs are widgets of their own (``loss_tab``,
``params_tab``, ``slice_tab``, ``surface_tab``, ``regions_tab``): the screen owns the
trainer, the controls, the worker and the log, gives each tab the trainer and says when to draw.

All numbers come from :mod:`cgtui.learn.train`; this package only draws them. The CSS is the
screen's and the tabs' own (``DEFAULT_CSS``) so the screen works in any app; colours come
from theme variables, except the plots' colours, which are data, not decoration.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import (
    Button,
    Footer,
    Input,
    Label,
    Log,
    ProgressBar,
    Static,
    TabbedContent,
)
from textual.worker import Worker, get_current_worker

from cgtui.app.training.loss_tab import LossTab
from cgtui.app.training.params_tab import ParamsTab
from cgtui.app.training.regions_tab import RegionsTab
from cgtui.app.training.slice_tab import SliceTab
from cgtui.app.training.surface_tab import SurfaceTab
from cgtui.app.training.tab import TrainingTab
from cgtui.core.arrays import shape_text
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph
from cgtui.core.lazy import load_numpy, np
from cgtui.core.notation import format_number
from cgtui.engine.engine import Stepper
from cgtui.learn.dataset import Dataset, check_lr, check_steps, dataset_from_graph, training_settings
from cgtui.learn.train import (
    Diverged,
    Outcome,
    Problem,
    Slice,
    StepRecord,
    Surface,
    Trainer,
    Value,
)

DEFAULT_LR = 0.1
DEFAULT_STEPS = 100

#: While training, the screen shows progress this often (seconds), and redraws the
#: visible plot every PLOT_EVERY such ticks.
UPDATE_EVERY = 0.2
PLOT_EVERY = 3

#: The worker computes for BURST seconds, then sleeps PAUSE seconds (the UI's share).
BURST = 0.03
PAUSE = 0.01


class TrainingScreen(ModalScreen[dict[str, Value] | None]):
    """Gradient descent on a graph's params over its data, with the loss landscape.

    A modal screen, opaque: the keys of the app beneath (stepping its graph, say) do not act
    while training is on screen, and the footer lists this screen's keys only."""

    DEFAULT_CSS = """
    TrainingScreen { layout: vertical; background: $background; overflow-y: hidden; }
    TrainingScreen #train-title {
        padding: 0 1; background: $panel; color: $text; text-style: bold; width: 1fr;
    }
    TrainingScreen #train-about { padding: 0 1; color: $text-muted; width: 1fr; }
    TrainingScreen #train-controls { height: auto; padding: 0 1; margin: 1 0 0 0; }
    TrainingScreen #train-controls Label { padding: 0 1; }
    TrainingScreen #train-controls Input { width: 12; }
    TrainingScreen #train-controls Button { width: auto; min-width: 0; margin: 0 0 0 1; }
    TrainingScreen #train-progress { padding: 0 1; height: 1; }
    TrainingScreen #train-status { padding: 0 1; height: auto; }
    TrainingScreen #train-status.-error { color: $error; text-style: bold; }
    TrainingScreen TabbedContent { height: 1fr; }
    TrainingScreen #train-log { height: 6; border-top: solid $primary-darken-2; }
    TrainingScreen.-short #train-log { height: 3; }
    TrainingScreen.-short #train-controls { margin: 0; }
    """

    #: below 32 rows the log shrinks so the plots keep some height
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012 - Textual's API

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "run", "Run", tooltip="Run the given number of descent steps in the background"),
        Binding("s", "stop", "Stop", tooltip="Stop the running descent"),
        Binding("n", "one_step", "1 step", tooltip="One descent step, with its arithmetic in the log"),
        Binding("0", "restart", "Restart", tooltip="Back to the initial params"),
        Binding("a", "apply", "Apply & close", tooltip="Close and give the trained params to the graph"),
        Binding("escape", "close", "Close", tooltip="Close without changing the graph"),
        Binding("1", "show_tab('tab-loss')", "Loss", show=False, tooltip="Show the loss curve"),
        Binding("2", "show_tab('tab-params')", "Params", show=False, tooltip="Show the params' trajectories"),
        Binding("3", "show_tab('tab-slice')", "Slice", show=False, tooltip="Show the loss along one param"),
        Binding("4", "show_tab('tab-surface')", "Surface", show=False, tooltip="Loss over two params"),
        Binding(
            "5", "show_tab('tab-regions')", "Regions", show=False,
            tooltip="A 2-feature classifier's decision regions over its input plane",
        ),
    ]

    def __init__(
        self,
        source: Stepper | Graph,
        values: Mapping[str, float] | None = None,
        output: str | int | None = None,
        *,
        base_dir: str | Path | None = None,
        dataset: Dataset | None = None,
    ) -> None:
        super().__init__()
        if isinstance(source, Stepper):
            graph = source.graph
            # an array leaf's current value is its node's (a descent step sets both)
            leaf = {
                n.name: float(v)
                for n, v in zip(graph.nodes, source.values, strict=True)
                if n.op is None and v is not None and np.ndim(v) == 0
            }
            values = {**leaf, **(values or {})}
            output = source.output if output is None else output
        else:
            graph = source
        self.graph = graph
        self.start_values = dict(values or {})
        self.output = output
        self.base_dir = Path(base_dir) if base_dir is not None else None
        self.given_dataset = dataset
        self.problem: Problem | None = None
        self.trainer: Trainer | None = None
        self.setup_error: str | None = None
        self._stop = threading.Event()
        self._worker: Worker[None] | None = None
        self._timer: Timer | None = None
        self._first = 0  # steps done when the current run started
        self._ticks = 0
        settings = None
        try:
            settings = training_settings(graph)
        except CgtuiError as exc:
            self.setup_error = str(exc)
        self.initial_lr = (settings.lr if settings and settings.lr else None) or DEFAULT_LR
        self.initial_steps = settings.steps if settings and settings.steps is not None else DEFAULT_STEPS
        self._build()

    # --- set-up -----------------------------------------------------------------------

    def _build(self) -> None:
        if self.setup_error is not None:
            return
        try:
            dataset = self.given_dataset
            if dataset is None:
                dataset = dataset_from_graph(self.graph, self.base_dir)
            self.problem = Problem(self.graph, dataset, self.output, self.start_values)
            self.trainer = Trainer(self.problem, self.initial_lr)
        except CgtuiError as exc:
            self.setup_error = str(exc)
            self.problem = None
            self.trainer = None

    @property
    def running(self) -> bool:
        return self._worker is not None and self._worker.is_running

    def compose(self) -> ComposeResult:
        title = self.graph.title or "the graph"
        yield Static(f"Training: {title}", id="train-title", markup=False)
        yield Static(self._about(), id="train-about", markup=False)
        with Horizontal(id="train-controls"):
            yield Label("lr")
            yield Input(format_number(self.initial_lr), id="lr", tooltip="learning rate", compact=True)
            yield Label("steps")
            yield Input(str(self.initial_steps), id="steps", tooltip="descent steps per run", compact=True)
            yield Button("Run", id="run", variant="primary", compact=True)
            yield Button("Stop", id="stop", variant="error", disabled=True, compact=True)
            yield Button("1 step", id="one-step", compact=True)
            yield Button("Restart", id="restart", compact=True)
            yield Button("Apply", id="apply", variant="success", compact=True)
        yield ProgressBar(total=max(1, self.initial_steps), show_eta=False, id="train-progress")
        yield Static("", id="train-status", markup=False)
        params = self.problem.param_names if self.problem is not None else []
        with TabbedContent(id="train-tabs"):
            yield LossTab()
            yield ParamsTab(params)
            yield SliceTab(params)
            yield SurfaceTab(params)
            yield RegionsTab()
        yield Log(id="train-log", max_lines=2000)
        yield Footer()

    def _about(self) -> str:
        if self.problem is None:
            return "cannot train this graph"
        p = self.problem
        if p.dataset is not None:
            data = p.dataset.describe()
        elif p.graph.has_arrays:
            data = "the graph's own arrays (each node holds a whole batch)"
        else:
            data = "one example (the graph's own values)"
        params = ", ".join(_param_text(name, v) for name, v in p.initial_params().items())
        return f"minimise {p.output_name} over {data}; params {params}"

    def on_mount(self) -> None:
        if self.problem is None or self.trainer is None:
            self._status(self.setup_error or "cannot train", error=True)
            for button in self.query(Button):
                button.disabled = button.id != "apply"
            apply = self.query_one("#apply", Button)
            apply.label = "Close"
            apply.focus()
            return
        self._status(f"{self._progress()}: press r to run, n for one step")
        self.query_one("#run", Button).focus()
        self._refresh_all()

    # --- actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("run", "one_step", "restart"):
            return self.trainer is not None and not self.running
        if action == "stop":
            return self.running
        return True

    def _read_settings(self) -> tuple[float, int] | None:
        try:
            lr = check_lr(self.query_one("#lr", Input).value.strip(), "the learning rate")
            steps = check_steps(self.query_one("#steps", Input).value.strip(), "the number of steps")
        except CgtuiError as exc:
            self._status(str(exc), error=True)
            return None
        return lr, steps

    def action_run(self) -> None:
        if self.trainer is None or self.running:
            return
        read = self._read_settings()
        if read is None:
            return
        lr, steps = read
        if self.trainer.divergence is not None:
            self._status("training diverged: press 0 to restart (maybe with a smaller lr)", error=True)
            return
        self.trainer.set_lr(lr)
        if steps == 0:
            self._status("0 steps: nothing to do")
            return
        self._stop.clear()
        bar = self.query_one("#train-progress", ProgressBar)
        bar.update(total=steps, progress=0)
        self._set_running(True)
        self._status(f"running {steps} steps with lr {format_number(lr)}...")
        self._first = self.trainer.steps_done
        self._ticks = 0
        load_numpy()  # in the app's thread, before a worker could be the first to use it
        self._worker = self._train(steps)
        if self._timer is None:
            self._timer = self.set_interval(UPDATE_EVERY, self._poll)
        else:
            self._timer.resume()

    def action_stop(self) -> None:
        self._stop.set()

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#train-tabs", TabbedContent).active = tab

    def action_one_step(self) -> None:
        if self.trainer is None or self.running:
            return
        read = self._read_settings()
        if read is None:
            return
        self.trainer.set_lr(read[0])
        try:
            record = self.trainer.step()
        except Diverged as exc:
            self._status(str(exc), error=True)
            return
        log = self.query_one("#train-log", Log)
        log.write_line(f"step {record.step} (lr {format_number(record.lr)}): p <- p - lr * dL/dp")
        for line in record.lines():
            log.write_line(f"  {line}")
        self._status(self._progress())
        self._refresh_all()

    def action_restart(self) -> None:
        if self.running or self.problem is None:
            return
        read = self._read_settings()
        lr = read[0] if read is not None else self.initial_lr
        self.trainer = Trainer(self.problem, lr)
        self.query_one("#train-log", Log).clear()
        self.query_one("#train-progress", ProgressBar).update(progress=0)
        self._status(f"restarted: {self._progress()}")
        self._refresh_all()

    def action_apply(self) -> None:
        self._stop.set()
        if self.trainer is None:
            self.dismiss(None)
            return
        self.dismiss(dict(self.trainer.params))

    def action_close(self) -> None:
        self._stop.set()
        self.dismiss(None)

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions = {
            "run": self.action_run,
            "stop": self.action_stop,
            "one-step": self.action_one_step,
            "restart": self.action_restart,
            "apply": self.action_apply,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            action()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_run()

    @on(TabbedContent.TabActivated)
    def _tab(self) -> None:
        self._refresh_all()

    # --- the worker -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="training")
    def _train(self, steps: int) -> None:
        """The descent itself; the screen polls its progress (:meth:`_poll`), so this thread
        never waits for the screen."""
        worker = get_current_worker()
        trainer = self.trainer
        assert trainer is not None
        burst = time.monotonic()

        def on_step(t: Trainer, record: StepRecord) -> None:
            nonlocal burst
            if time.monotonic() - burst >= BURST:
                # numpy on small arrays holds the GIL almost all the time: pause briefly so
                # the event loop gets whole slices to draw and answer keys
                time.sleep(PAUSE)
                burst = time.monotonic()

        def should_stop() -> bool:
            return worker.is_cancelled or self._stop.is_set()

        first = trainer.steps_done
        try:
            outcome = trainer.run(steps, on_step=on_step, should_stop=should_stop)
        except Exception as exc:  # pragma: no cover - the core raises CgtuiError subclasses only
            outcome = trainer.outcome("diverged", f"training stopped: {exc}")
        self._from_thread(self._finished, outcome, trainer.steps_done - first)

    def _from_thread(self, callback: object, *args: object) -> None:
        with contextlib.suppress(Exception):  # the app is closing: nothing left to update
            self.app.call_from_thread(callback, *args)  # type: ignore[arg-type]

    def _poll(self) -> None:
        """While the worker runs: the progress bar and status every tick, the visible plot
        every few ticks (drawing a plot costs the event loop far more than a step)."""
        trainer = self.trainer
        if trainer is None or not self.running:
            return
        self._ticks += 1
        done = trainer.steps_done - self._first
        self.query_one("#train-progress", ProgressBar).update(progress=done)
        self._status(self._progress())
        if self._ticks % PLOT_EVERY == 0:
            tab = self._active_tab()
            if tab == "tab-loss":
                self.query_one(LossTab).draw()
            elif tab == "tab-params":
                self.query_one(ParamsTab).draw_plot()
            elif tab == "tab-regions":
                self.query_one(RegionsTab).draw()

    def _finished(self, outcome: Outcome, done: int) -> None:
        self._worker = None
        if self._timer is not None:
            self._timer.pause()
        if not self.is_attached:
            return
        self._set_running(False)
        self.query_one("#train-progress", ProgressBar).update(progress=done)
        if outcome.reason == "diverged":
            self._status(outcome.message, error=True)
        elif outcome.reason == "stopped":
            loss = format_number(outcome.final_loss)
            self._status(f"stopped after {done} steps: loss {loss}{self._accuracy()}")
        else:
            self._status(outcome.message + self._accuracy())
        self.query_one("#train-log", Log).write_line(outcome.message)
        self._refresh_all()

    def _set_running(self, running: bool) -> None:
        stop = self.query_one("#stop", Button)
        run = self.query_one("#run", Button)
        stop.disabled = not running
        for tab in self.query(TrainingTab):
            tab.running = running
        for name in ("run", "one-step", "restart"):
            self.query_one(f"#{name}", Button).disabled = running
        (stop if running else run).focus()
        self.refresh_bindings()

    # --- drawing --------------------------------------------------------------------------

    def _accuracy(self) -> str:
        """``  accuracy 0.950`` for a classifier (beside the loss, as ``cgtui train`` prints it)."""
        accuracy = self.trainer.accuracy if self.trainer is not None else None
        return "" if accuracy is None else f"  accuracy {accuracy:.3f}"

    def _progress(self) -> str:
        """``step N  loss L`` (and the accuracy, for a classifier) of the trainer now."""
        trainer = self.trainer
        if trainer is None:
            return ""
        return f"step {trainer.steps_done}  loss {format_number(trainer.losses[-1])}{self._accuracy()}"

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#train-status", Static)
        status.update(text)
        status.set_class(error, "-error")

    def _active_tab(self) -> str:
        return self.query_one("#train-tabs", TabbedContent).active

    @property
    def slice(self) -> Slice | None:
        """The slice the Slice tab drew last."""
        return self.query_one(SliceTab).slice

    @property
    def surface(self) -> Surface | None:
        """The surface the Surface tab drew last."""
        return self.query_one(SurfaceTab).surface

    def _refresh_all(self) -> None:
        """Every tab gets the trainer (a restart replaces it); the loss and the params are
        drawn, the slice, the surface and the regions (slower) only when their tab shows."""
        if self.trainer is None:
            return
        for tab in self.query(TrainingTab):
            tab.trainer = self.trainer
        self.query_one(LossTab).draw()
        self.query_one(ParamsTab).draw()
        active = self._active_tab()
        for visible in (self.query_one(SliceTab), self.query_one(SurfaceTab), self.query_one(RegionsTab)):
            if visible.id == active:
                visible.draw()


def _param_text(name: str, value: Value) -> str:
    """A param for the screen's first line: its name, and an array param's shape."""
    shape = np.shape(value)
    return f"{name} {shape_text(shape)}" if shape else name

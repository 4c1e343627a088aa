"""The training screen: gradient descent on the params, its loss curve and the loss landscape.

``TrainingScreen(stepper)`` (or ``TrainingScreen(graph, values, output)``) is a
self-contained :class:`~textual.screen.Screen`; push it from any app and it dismisses with
the trained params (``a``) or ``None`` (``escape``). It runs N descent steps in a thread
worker (a progress bar, stop at any time, the screen keeps answering), or one step at a
time with its arithmetic in the log, and shows:

* **Loss**: the loss after every step (textual-plotext; a log scale when it spans decades);
* **Params**: each param's trajectory, and a table of values and dL/dparam;
* **Slice**: the loss as a function of one param around its value, the others held fixed,
  computed in one vectorised pass over a grid, with the tangent line whose slope is
  dL/dparam there: the picture of what a partial derivative means;
* **Surface**: a heat map of the loss over two params with the descent path drawn on it.

All numbers come from :mod:`cgtui.learn.train`; this module only draws them. The CSS is the
screen's own (``DEFAULT_CSS``) so the screen works in any app; colours come from theme
variables, except the heat map's colour ramp, which is data, not decoration.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Input,
    Label,
    Log,
    ProgressBar,
    Select,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import Worker, get_current_worker
from textual_plotext import PlotextPlot

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph
from cgtui.core.ops import format_number
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
    loss_slice,
    loss_surface,
    span_around,
)

DEFAULT_LR = 0.1
DEFAULT_STEPS = 100

#: Plots show at most this many points per line (the history is thinned evenly).
MAX_PLOT_POINTS = 400

#: While training, the screen shows progress this often (seconds), and redraws the
#: visible plot every PLOT_EVERY such ticks.
UPDATE_EVERY = 0.2
PLOT_EVERY = 3

#: The worker computes for BURST seconds, then sleeps PAUSE seconds (the UI's share).
BURST = 0.03
PAUSE = 0.01

#: Colours of the params' trajectories, ten that tell apart (Tableau 10), as data like RAMP.
PARAM_COLOURS = (
    (78, 121, 167),
    (242, 142, 43),
    (225, 87, 89),
    (118, 183, 178),
    (89, 161, 79),
    (237, 201, 72),
    (176, 122, 161),
    (255, 157, 167),
    (156, 117, 95),
    (186, 176, 172),
)

#: Heat-map colours from low loss to high (a perceptually ordered ramp, as viridis).
RAMP = ((68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37))


def thin(values: Sequence[float], limit: int = MAX_PLOT_POINTS) -> tuple[list[int], list[float]]:
    """At most ``limit`` evenly spaced (step, value) pairs, always with the last one."""
    n = len(values)
    if n <= limit:
        return list(range(n)), [float(v) for v in values]
    idx = np.unique(np.linspace(0, n - 1, limit).round().astype(int))
    return [int(i) for i in idx], [float(values[i]) for i in idx]


def decade_ticks(low: float, high: float, most: int = 6) -> list[int]:
    """Whole powers of ten between ``low`` and ``high`` (log10 values), at most ``most`` of
    them, evenly spaced; at least the two around the range."""
    first, last = int(np.floor(low)), int(np.ceil(high))
    step = max(1, int(np.ceil((last - first) / max(1, most - 1))))
    return list(range(first, last + 1, step))


def param_colour(index: int) -> tuple[int, int, int]:
    """The colour of the ``index``-th param's line and name (repeats after ten)."""
    return PARAM_COLOURS[index % len(PARAM_COLOURS)]


def ramp_colour(t: float) -> tuple[int, int, int]:
    """The ramp's colour at ``t`` in [0, 1]."""
    t = min(1.0, max(0.0, t)) * (len(RAMP) - 1)
    k = min(int(t), len(RAMP) - 2)
    f = t - k
    a, b = RAMP[k], RAMP[k + 1]
    return (round(a[0] + (b[0] - a[0]) * f), round(a[1] + (b[1] - a[1]) * f), round(a[2] + (b[2] - a[2]) * f))


def heat_cells(
    surface: Surface, cols: int | None = None, rows: int | None = None
) -> tuple[list[float], list[float], list[tuple[int, int, int]]]:
    """Coloured cells for a heat map of ``surface``; the colour follows log(1 + loss - min).

    With ``cols``/``rows`` the grid is resampled (nearest point) to that many cells, so a
    coarse grid still covers every character of the plot; undefined points are left out.
    """
    xs, ys, losses = surface.xs, surface.ys, surface.losses
    ok = np.isfinite(losses)
    if not ok.any():
        return [], [], []
    low = float(losses[ok].min())
    top = float(np.log1p(losses[ok].max() - low)) or 1.0
    fx = np.linspace(xs[0], xs[-1], cols) if cols else xs
    fy = np.linspace(ys[0], ys[-1], rows) if rows else ys
    ix = np.abs(fx[:, None] - xs[None, :]).argmin(axis=1)
    iy = np.abs(fy[:, None] - ys[None, :]).argmin(axis=1)
    cx: list[float] = []
    cy: list[float] = []
    colours: list[tuple[int, int, int]] = []
    for j, y in zip(iy, fy, strict=True):
        for i, x in zip(ix, fx, strict=True):
            v = losses[j, i]
            if np.isfinite(v):
                cx.append(float(x))
                cy.append(float(y))
                colours.append(ramp_colour(float(np.log1p(v - low)) / top))
    return cx, cy, colours


class TrainingScreen(ModalScreen[dict[str, float] | None]):
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
    TrainingScreen #params-row { height: 1fr; }
    TrainingScreen #param-table { width: 40; height: 1fr; }
    TrainingScreen .pickers { height: auto; }
    TrainingScreen .pickers Select { width: 24; }
    TrainingScreen .pickers Label { padding: 0 1; }
    TrainingScreen #slice-text { padding: 0 1; height: auto; }
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
            leaf = {
                n.name: float(v)
                for n, v in zip(graph.nodes, source.values, strict=True)
                if n.op is None and v is not None
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
        self.slice: Slice | None = None  # the last drawn slice and surface
        self.surface: Surface | None = None
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
        options = [(p, p) for p in params]
        with TabbedContent(id="train-tabs"):
            with TabPane("Loss", id="tab-loss"):
                yield PlotextPlot(id="loss-plot")
            with TabPane("Params", id="tab-params"), Horizontal(id="params-row"):
                yield PlotextPlot(id="param-plot")
                # no cursor: it would hide a name's colour
                yield DataTable(id="param-table", cursor_type="none", zebra_stripes=True)
            with TabPane("Slice", id="tab-slice"), Vertical():
                with Horizontal(classes="pickers"):
                    yield Label("loss along")
                    yield Select(
                        options,
                        allow_blank=not params,
                        value=params[0] if params else Select.NULL,
                        id="slice-param",
                        compact=True,
                    )
                yield Static("", id="slice-text", markup=False)
                yield PlotextPlot(id="slice-plot")
            with TabPane("Surface", id="tab-surface"), Vertical():
                with Horizontal(classes="pickers"):
                    yield Label("x")
                    yield Select(
                        options,
                        allow_blank=not params,
                        value=params[0] if params else Select.NULL,
                        id="surface-x",
                        compact=True,
                    )
                    yield Label("y")
                    second = params[1] if len(params) > 1 else (params[0] if params else Select.NULL)
                    yield Select(options, allow_blank=not params, value=second, id="surface-y", compact=True)
                yield PlotextPlot(id="surface-plot")
        yield Log(id="train-log", max_lines=2000)
        yield Footer()

    def _about(self) -> str:
        if self.problem is None:
            return "cannot train this graph"
        p = self.problem
        data = p.dataset.describe() if p.dataset is not None else "one example (the graph's own values)"
        return f"minimise {p.output_name} over {data}; params {', '.join(p.param_names)}"

    def on_mount(self) -> None:
        table = self.query_one("#param-table", DataTable)
        table.add_column("param", key="param")
        table.add_column("value", key="value")
        table.add_column("dL/dparam", key="grad")
        if self.problem is None or self.trainer is None:
            self._status(self.setup_error or "cannot train", error=True)
            for button in self.query(Button):
                button.disabled = button.id != "apply"
            apply = self.query_one("#apply", Button)
            apply.label = "Close"
            apply.focus()
            return
        for i, name in enumerate(self.problem.param_names):
            table.add_row(
                Text(name, style=Style(color=Color.from_rgb(*param_colour(i)), bold=True)), "", "", key=name
            )
        loss = format_number(self.trainer.current.loss)
        self._status(f"step 0  loss {loss}: press r to run, n for one step")
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
        self._status(f"step {record.step}  loss {format_number(record.loss_after)}")
        self._refresh_all()

    def action_restart(self) -> None:
        if self.running or self.problem is None:
            return
        read = self._read_settings()
        lr = read[0] if read is not None else self.initial_lr
        self.trainer = Trainer(self.problem, lr)
        self.query_one("#train-log", Log).clear()
        self.query_one("#train-progress", ProgressBar).update(progress=0)
        self._status(f"restarted: step 0  loss {format_number(self.trainer.current.loss)}")
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

    @on(Select.Changed)
    def _picked(self, event: Select.Changed) -> None:
        if event.select.id == "slice-param":
            self._draw_slice()
        elif event.select.id in ("surface-x", "surface-y"):
            self._draw_surface()

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
        self._status(f"step {trainer.steps_done}  loss {format_number(trainer.losses[-1])}")
        if self._ticks % PLOT_EVERY == 0:
            tab = self._active_tab()
            if tab == "tab-loss":
                self._draw_loss()
            elif tab == "tab-params":
                self._draw_params()

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
            self._status(f"stopped after {done} steps: loss {format_number(outcome.final_loss)}")
        else:
            self._status(outcome.message)
        self.query_one("#train-log", Log).write_line(outcome.message)
        self._refresh_all()

    def _set_running(self, running: bool) -> None:
        stop = self.query_one("#stop", Button)
        run = self.query_one("#run", Button)
        stop.disabled = not running
        for name in ("run", "one-step", "restart"):
            self.query_one(f"#{name}", Button).disabled = running
        (stop if running else run).focus()
        self.refresh_bindings()

    # --- drawing --------------------------------------------------------------------------

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#train-status", Static)
        status.update(text)
        status.set_class(error, "-error")

    def _active_tab(self) -> str:
        return self.query_one("#train-tabs", TabbedContent).active

    def _refresh_all(self) -> None:
        if self.trainer is None:
            return
        self._draw_loss()
        self._draw_params()
        self._draw_table()
        tab = self._active_tab()
        if tab == "tab-slice":
            self._draw_slice()
        elif tab == "tab-surface":
            self._draw_surface()

    def _draw_loss(self) -> None:
        if self.trainer is None:
            return
        plot = self.query_one("#loss-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        losses = list(self.trainer.losses)
        steps, values = thin(losses)
        positive = [v for v in values if v > 0]
        name = self.trainer.problem.output_name
        if positive and len(positive) == len(values) and max(values) / min(positive) > 100:
            # a log scale, drawn as log10 with decade labels: plotext's own log scale draws
            # nothing once the loss nears the float limit (as a diverging run's does)
            logs = [float(np.log10(v)) for v in values]
            plt.plot(steps, logs, marker="braille", label=f"{name} (log scale)")
            ticks = decade_ticks(min(logs), max(logs))
            plt.yticks([float(t) for t in ticks], [f"1e{t:d}" for t in ticks])
        else:
            plt.plot(steps, values, marker="braille", label=name)
        plt.title(f"loss after each step ({len(losses) - 1} steps, now {format_number(losses[-1])})")
        plt.xlabel("step")
        plot.refresh()

    def _draw_params(self) -> None:
        if self.trainer is None:
            return
        plot = self.query_one("#param-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        # no legend (it covered the lines' start): each line has its param's colour, and the
        # table beside the plot writes each name in that colour
        for i, path in enumerate(self.trainer.trajectory.values()):
            steps, values = thin(list(path))
            plt.plot(steps, values, marker="braille", color=param_colour(i))
        plt.title("each param after each step (colours as in the table)")
        plt.xlabel("step")
        plot.refresh()

    def _draw_table(self) -> None:
        if self.trainer is None:
            return
        table = self.query_one("#param-table", DataTable)
        grads = self.trainer.current.grads
        for name, value in self.trainer.params.items():
            table.update_cell(name, "value", f"{value:.6g}", update_width=True)
            table.update_cell(name, "grad", f"{grads[name]:.4g}", update_width=True)

    def _picked_value(self, select_id: str) -> str | None:
        value = self.query_one(f"#{select_id}", Select).value
        return value if isinstance(value, str) else None

    def _draw_slice(self) -> None:
        if self.trainer is None or self.running:
            return
        name = self._picked_value("slice-param")
        if name is None:
            return
        path = self.trainer.trajectory[name]
        at = path[-1]
        # the span holds the path so far and the lowest loss along this param, when a coarse
        # look finds one inside a wide window: the picture is then a valley with the tangent
        # on its side, not a nearly straight piece of it
        wide = 10.0 * max(1.0, abs(at))
        coarse = loss_slice(
            self.trainer.problem, self.trainer.params, name, points=201, span=(at - wide, at + wide)
        )
        marks = [*path, at - 1.0, at + 1.0]
        finite = np.flatnonzero(np.isfinite(coarse.losses))
        if finite.size:
            best = int(finite[np.argmin(coarse.losses[finite])])
            if 0 < best < len(coarse.xs) - 1:  # a minimum inside, not the window's edge
                low = float(coarse.xs[best])
                marks += [low, low + 0.5 * (low - at)]  # and the valley's far wall
        lo, hi = span_around(marks, margin=0.1)
        s = loss_slice(self.trainer.problem, self.trainer.params, name, points=121, span=(lo, hi))
        self.slice = s
        plot = self.query_one("#slice-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        ok = np.isfinite(s.losses)
        xs = [float(v) for v in s.xs[ok]]
        # no legend or title: a legend covers the curve's corner, in a short plot all of it;
        # the text above the plot says what each line is
        plt.plot(xs, [float(v) for v in s.losses[ok]], marker="braille")
        if ok.any():
            top, bottom = float(np.nanmax(s.losses)), float(np.nanmin(s.losses))
            pad = 0.05 * (top - bottom or 1.0)
            # the tangent, clipped to the curve's range so it does not flatten the plot
            window = np.abs(s.xs - s.at) <= (hi - lo) / 4
            tx = s.xs[window]
            tangent = s.loss + s.slope * (tx - s.at)
            keep = (tangent >= bottom - pad) & (tangent <= top + pad)
            plt.plot([float(v) for v in tx[keep]], [float(v) for v in tangent[keep]], marker="braille")
            plt.ylim(bottom - pad, top + pad)
        plt.scatter([s.at], [s.loss], marker="●")
        plt.xlabel(name)
        plot.refresh()
        undefined = int((~ok).sum())
        note = f"; undefined at {undefined} of {ok.size} points" if undefined else ""
        move = format_number(-self.trainer.lr * s.slope)
        self.query_one("#slice-text", Static).update(
            f"at {name} = {format_number(s.at)}: L = {format_number(s.loss)}, slope dL/d{name} = "
            f"{format_number(s.slope)} (one step of lr moves {name} by {move}){note}\n"
            f"curve: L along {name}, the other params held fixed; straight line: the tangent; ●: now"
        )

    def _draw_surface(self) -> None:
        if self.trainer is None or self.running:
            return
        plot = self.query_one("#surface-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        x, y = self._picked_value("surface-x"), self._picked_value("surface-y")
        if x is None or y is None or x == y:
            plt.title("pick two different params for x and y")
            plot.refresh()
            return
        tx, ty = self.trainer.trajectory[x], self.trainer.trajectory[y]
        xlo, xhi = span_around(tx, margin=0.25)
        ylo, yhi = span_around(ty, margin=0.25)
        width, height = plot.size.width or 80, plot.size.height or 24
        # the loss is computed on a grid of at most 60 x 30 points, then drawn at twice the
        # plot's resolution so every character of the canvas is covered
        cols = max(8, min(60, width - 12))
        rows = max(6, min(30, height - 5))
        surface = loss_surface(
            self.trainer.problem,
            self.trainer.params,
            x,
            y,
            xs=np.linspace(xlo, xhi, cols),
            ys=np.linspace(ylo, yhi, rows),
        )
        cx, cy, colours = heat_cells(surface, 2 * width, 2 * height)
        if cx:
            plt.scatter(cx, cy, color=colours, marker="█")  # type: ignore[arg-type]
        steps, px = thin(list(tx), 300)
        py = [float(ty[i]) for i in steps]
        # whole cells: braille dots would blank their cells' heat colour around the path
        plt.plot(px, py, marker="█", color="white", label="descent path")
        plt.scatter([px[0]], [py[0]], marker="○", color="white", label="start")
        plt.scatter([px[-1]], [py[-1]], marker="●", color="red", label="now")
        plt.xlim(xlo, xhi)
        plt.ylim(ylo, yhi)
        plt.xlabel(x)
        finite = surface.losses[np.isfinite(surface.losses)]
        if finite.size:
            low, high = format_number(float(finite.min())), format_number(float(finite.max()))
            rng = f"L from {low} (dark) to {high} (light)"
        else:
            rng = "L is undefined here"
        plt.title(f"{rng} over ({x}, {y}); the other params fixed")
        plot.refresh()
        self.surface = surface

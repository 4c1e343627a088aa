"""Explorer speed on a generated graph of 10,000 nodes, measured with ``App.run_test``.

Prints, against the goals of issue 10 (single-step keys: median under 100 ms) and issue 15
(median under 25 ms, worst under 50 ms, a key held at 30 keys/s never lags; launch to the
first full screen under 1 s, whole process):

* the time from start (graph built, stepper made, app started) to the first complete
  screen, in this process;
* from a step key to the updated screen for each kind of key. "Updated screen" is the last
  frame Textual draws for the key before the side pane's paths, which a worker computes
  afterwards, ``side.PATHS_DELAY`` (0.2 s) after the step; the figure in brackets is the
  time to the paths section, that delay included. Pilot's own key delivery is part of
  every figure: the same measure on a trivial app is printed first as the floor
  (:class:`KeyClock`, which ``bench_speed.py`` shares for its row 6);
* ``f`` held at 30 keys/s (30 key events 33 ms apart, not waiting for the screen): how long
  after the last key the screen shows its step;
* the whole process of ``cgtui FILE`` on the graph written as a text file, launch to first
  full screen (the launch path of ``benchmarks/bench_speed.py``), best of three, beside a
  trivial Textual app launched the same way.

The app is the explorer as ``cgtui FILE`` runs it (drawing tab, training and quiz
included). Run: ``python benchmarks/bench_app.py [NODES] [--no-launch]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual import events
from textual.worker import WorkerCancelled

from cgtui.core.graph import Graph, Kind, Node

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from cgtui.app.app import ExplorerApp

FIRST_SCREEN_GOAL = 2.0  # in this process
STEP_GOAL = 0.100  # issue 10: single-step keys, median
STEP_MEDIAN_GOAL = 0.025  # issue 15: f and b (and u), median
STEP_WORST_GOAL = 0.050  # issue 15: worst; also the most a held key may lag
LAUNCH_GOAL = 1.0  # issue 15: whole process, launch to first full screen


def layered_graph(nodes: int = 10_000, width: int = 25, seed: int = 0) -> Graph:
    """A layered DAG: each node combines two nodes of the layer below (shared operands,
    many paths), tanh every few layers keeps the values finite; one output at the top."""
    rng = random.Random(seed)
    out: list[Node] = []
    layer: list[int] = []
    for k in range(width):
        kind = Kind.PARAM if k % 2 else Kind.INPUT
        out.append(Node(f"{'w' if kind is Kind.PARAM else 'x'}{k}", kind, None, (), rng.uniform(-1, 1)))
        layer.append(len(out) - 1)
    depth = 0
    while len(out) < nodes - 2:
        depth += 1
        below, layer = layer, []
        for _ in range(width):
            if len(out) >= nodes - 2:
                break
            operands: tuple[int, ...]
            if depth % 3 == 0:
                op, operands = "tanh", (rng.choice(below),)
            else:
                op = rng.choice(("add", "mul", "sub"))
                operands = (rng.choice(below), rng.choice(below))
            out.append(Node(f"v{len(out)}", Kind.COMPUTATION, op, operands, None))
            layer.append(len(out) - 1)
    # the output sums the top layer pairwise down to one node
    while len(layer) > 1:
        a, b = layer.pop(), layer.pop()
        out.append(Node(f"s{len(out)}", Kind.COMPUTATION, "add", (a, b), None))
        layer.append(len(out) - 1)
    out.append(Node("L", Kind.COMPUTATION, "tanh", (layer[0],), None))
    return Graph(out, [len(out) - 1], title=f"generated, {len(out)} nodes")


class Frames:
    """When the screen was last drawn: Textual draws changes in frames (the compositor's
    refresh), so "key to updated screen" ends at the last frame a key's changes caused."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.installed = False

    def install(self) -> None:
        if self.installed:
            return
        self.installed = True
        from textual.screen import Screen

        original = Screen._compositor_refresh
        frames = self

        def refresh(screen: Screen[object]) -> None:
            original(screen)
            frames.times.append(time.perf_counter())

        setattr(Screen, "_compositor_refresh", refresh)  # noqa: B010 - patched for the measurement

    def last_between(self, start: float, end: float) -> float | None:
        inside = [t for t in self.times if start <= t <= end]
        return inside[-1] if inside else None


FRAMES = Frames()


class PathsClock:
    """When the side pane's paths computation starts. The side pane computes its paths
    section off the UI thread once a step is on screen (after ``side.PATHS_DELAY``); the
    frames before that start are the step's own."""

    def __init__(self) -> None:
        self.started: list[float] = []
        self.installed = False

    def install(self) -> None:
        if self.installed:
            return
        self.installed = True
        from cgtui.app.side import SidePane
        from cgtui.engine.engine import Stepper

        original_show = SidePane.show
        clock = self

        def show(pane: SidePane, stepper: Stepper, index: int) -> None:
            original_show(pane, stepper, index)
            timer = pane._pending
            if timer is not None:
                callback = timer._callback

                def start() -> object:
                    clock.started.append(time.perf_counter())
                    return callback() if callback is not None else None

                timer._callback = start

        setattr(SidePane, "show", show)  # noqa: B010 - patched for the measurement


PATHS = PathsClock()


@dataclass
class KeyTimes:
    """One kind of key pressed some times: from each press to the step's own drawn frame
    (``screens``) and to everything settled, the paths section included (``wholes``)."""

    label: str
    screens: list[float] = field(default_factory=list)
    wholes: list[float] = field(default_factory=list)


class KeyClock:
    """Presses keys in a running explorer (``App.run_test``) and times each one to the
    step's own drawn frame: the last frame between the press and the start of the paths
    computation (or, when none starts, the end of everything the key caused)."""

    def __init__(self, app: ExplorerApp, pilot: Pilot[None]) -> None:
        FRAMES.install()
        PATHS.install()
        self.app = app
        self.pilot = pilot

    async def settle(self) -> None:
        """Until nothing is left to draw (workers done, paths shown, rows loaded) and the
        graph's warm-up has run (a user reads a new screen before the first key)."""
        while True:
            await self.pilot.pause()
            if not self.app.pending_work():
                while self.app.warming():
                    await asyncio.sleep(0.01)
                return
            with contextlib.suppress(WorkerCancelled):  # a cancelled thread runs on: poll
                await self.app.workers.wait_for_complete()
            await asyncio.sleep(0.01)

    def step_frame(self, t: float) -> float | None:
        """The last frame between ``t`` and the start of the paths computation, after ``t``."""
        end = PATHS.started[0] if PATHS.started else time.perf_counter()
        frame = FRAMES.last_between(t, end)
        return None if frame is None else frame - t

    async def key(self, k: str) -> tuple[float, float]:
        """Press ``k``: seconds to the step's frame, and to everything settled."""
        PATHS.started.clear()
        t = time.perf_counter()
        await self.pilot.press(k)
        await self.settle()  # the paths section, computed off the UI thread
        whole = time.perf_counter() - t
        frame = self.step_frame(t)
        return (frame if frame is not None else whole), whole

    async def series(self, label: str, k: str, times: int) -> KeyTimes:
        result = KeyTimes(label)
        for _ in range(times):
            screen, whole = await self.key(k)
            result.screens.append(screen)
            result.wholes.append(whole)
        return result

    async def held(self, k: str, presses: int = 30, rate: float = 30.0) -> float:
        """``k`` held: ``presses`` key events ``1/rate`` s apart, not waiting for the screen;
        seconds from the last one until the screen shows its step."""
        PATHS.started.clear()
        last = time.perf_counter()
        for n in range(presses):
            if n:
                await asyncio.sleep(1 / rate)
            last = time.perf_counter()
            self.app.post_message(events.Key(k, k))
        await self.settle()
        frame = self.step_frame(last)
        return frame if frame is not None else time.perf_counter() - last


def key_table(rows: list[KeyTimes]) -> tuple[float, float]:
    """Print each kind of key's median and worst against issue 15's goals, and the time
    to the paths section; return the median and worst over all of them."""
    print(
        f"{'key':26} {'median':>9} {'worst':>9} {'/25 ms':>7} {'/50 ms':>7}"
        "   (to the paths section, 0.2 s debounce included: median)"
    )
    for row in rows:
        med, worst = statistics.median(row.screens), max(row.screens)
        print(
            f"{row.label:26} {med * 1000:7.1f}ms {worst * 1000:7.1f}ms"
            f" {med / STEP_MEDIAN_GOAL:6.2f}x {worst / STEP_WORST_GOAL:6.2f}x"
            f"   ({statistics.median(row.wholes) * 1000:.1f} ms)"
        )
    single = [t for row in rows if row.label[0] in "fbu" for t in row.screens]
    return statistics.median(single), max(single)


async def measure(n: int) -> dict[str, bool]:
    """The in-process figures; what met its goal."""
    from cgtui.app.app import ExplorerApp
    from cgtui.engine.engine import Stepper

    t0 = time.perf_counter()
    graph = layered_graph(n)
    stepper = Stepper(graph)
    app = ExplorerApp(stepper, source="generated")
    verdicts: dict[str, bool] = {}
    async with app.run_test(size=(160, 50)) as pilot:
        clock = KeyClock(app, pilot)
        await clock.settle()
        first = time.perf_counter() - t0
        print(f"graph: {len(graph.nodes):,} nodes, {graph.edge_count():,} edges")
        print(
            f"start to first complete screen (in this process): {first * 1000:8.1f} ms"
            f"  (goal {FIRST_SCREEN_GOAL * 1000:.0f} ms, {first / FIRST_SCREEN_GOAL:.2f} of it)"
        )
        verdicts["first screen in this process under 2 s (issue 10)"] = first < FIRST_SCREEN_GOAL

        rows = [
            await clock.series("f  step forward", "f", 20),
            await clock.series("u  undo a forward step", "u", 5),
            await clock.series("F  run forward", "F", 1),
            await clock.series("b  step backward", "b", 20),
            await clock.series("u  undo a backward step", "u", 5),
        ]
        # deeper in the pass, where steps open branches and the side pane's sections
        # change height: 80 steps on at key-repeat speed, then 20 measured
        await clock.held("b", presses=80)
        rows += [
            await clock.series("b  later (from step 95)", "b", 20),
            await clock.series("B  run backward", "B", 1),
            await clock.series("r  reset", "r", 1),
        ]
        # f held at 30 keys/s: key events at 33 ms intervals, not waiting for the screen
        held = max([await clock.held("f") for _ in range(2)])

        med, worst = key_table(rows)
        print(f"single-step keys (f, b, u): median {med * 1000:.1f} ms, worst {worst * 1000:.1f} ms")
        print(f"f held at 30 keys/s: the screen shows the last key's step {held * 1000:.1f} ms after it")
        verdicts[f"issue 10: single-step keys, median under {STEP_GOAL * 1000:.0f} ms"] = med < STEP_GOAL
        verdicts[f"issue 10 (ideally): single-step keys, worst under {STEP_GOAL * 1000:.0f} ms"] = (
            worst < STEP_GOAL
        )
        verdicts[f"issue 15: single-step keys, median under {STEP_MEDIAN_GOAL * 1000:.0f} ms"] = (
            med < STEP_MEDIAN_GOAL
        )
        verdicts[f"issue 15: single-step keys, worst under {STEP_WORST_GOAL * 1000:.0f} ms"] = (
            worst < STEP_WORST_GOAL
        )
        verdicts[f"issue 15: a key held at 30 keys/s lags under {STEP_WORST_GOAL * 1000:.0f} ms"] = (
            held < STEP_WORST_GOAL
        )
    return verdicts


def launch(repeat: int = 3) -> dict[str, bool]:
    """Whole process, launch to first full screen (``bench_speed``'s launch path), best of
    ``repeat``, beside a trivial Textual app launched the same way."""
    import compileall
    import tempfile
    from pathlib import Path

    import bench_speed

    compileall.compile_dir(bench_speed.ROOT / "cgtui", quiet=1)  # as an installed package is
    graph = layered_graph(bench_speed.APP_NODES)
    text, at = bench_speed.statements(graph)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "layered.txt"
        path.write_text(text)
        bench_speed.launch_once(path, at)  # warm-up
        runs, floor = [], []
        for _ in range(repeat):
            runs.append(bench_speed.launch_once(path, at))
            floor.append(bench_speed.launch_once(None, at)[0])
    whole, imports, build, nodes = min(runs)
    print(
        f"launch to first full screen, whole process ({nodes:,} nodes, best of {repeat}): "
        f"{whole * 1000:.0f} ms (imports {imports * 1000:.0f} ms, graph and stepper {build * 1000:.0f} ms, "
        f"app {(whole - imports - build) * 1000:.0f} ms); a trivial Textual app: {min(floor) * 1000:.0f} ms"
    )
    goal = f"issue 15: launch to first full screen under {LAUNCH_GOAL:.0f} s, whole process"
    return {goal: whole < LAUNCH_GOAL}


async def baseline() -> float:
    """Median press-to-screen time of a trivial Textual app (one label, a footer) on this
    machine: the floor under any app's figure."""
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Static

    class Tiny(App[None]):
        BINDINGS = [("x", "bump", "Bump")]  # noqa: RUF012

        def compose(self) -> ComposeResult:
            yield Static("0", id="n")
            yield Footer()

        def action_bump(self) -> None:
            label = self.query_one("#n", Static)
            label.update(str(int(str(label.render())) + 1))

    times = []
    async with Tiny().run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        for _ in range(20):
            t = time.perf_counter()
            await pilot.press("x")
            await pilot.pause()
            frame = FRAMES.last_between(t, time.perf_counter())
            times.append(frame - t if frame is not None else time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 10_000
    FRAMES.install()
    floor = asyncio.run(baseline())
    print(f"a trivial Textual app on this machine: {floor * 1000:.1f} ms from key to screen (median)")
    verdicts = asyncio.run(measure(n))
    if "--no-launch" not in sys.argv:
        verdicts.update(launch())
    for what, met in verdicts.items():
        print(f"{what}: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()

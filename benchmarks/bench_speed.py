"""Everywhere a user waits, against its goal, with the peers measured in the same run.

    python benchmarks/bench_speed.py [--repeat N] [--skip-app] [--only ROWS]

One line per row of the speed table: what was measured, the figure, the peer's figure
where the goal is a ratio, and "goal met" or "goal missed". Whole-process figures start
a fresh interpreter for each run (the source tree's modules are byte-compiled first, as an
installed package's are) and take the best of ``--repeat`` runs, interleaved with the peer's
runs so that both see the same load; CPU seconds (user + system) are printed beside them,
since on a shared machine the wall clock also counts time spent waiting for a core.

Rows:

1. ``cgtui grad 'x*y' --at x=1,y=2``, whole process, against ``python -c "import numpy"``;
2. parse+build of a 900-term sum against CPython's ``ast.parse`` of the same text;
3. a 100,000-term sum, text file to gradients, whole process (``cgtui grad FILE``), and its
   parse+build in-process; the goal is in seconds, so ``python -c "import numpy"`` is timed
   in the same runs as a gauge of the machine's pace (0.16-0.18 s when the goal was set);
4. an MLP's forward+backward against micrograd (``pip install micrograd==0.1.0``, the
   ``bench`` extra), the cyclic garbage collector paused in both, taking turns run by run:
   passes over one graph, as training makes them (the graph's tape, made on the first
   pass, is kept with it), and the first pass alone (micrograd builds its graph on every
   pass);
5. the explorer on a 10,000-node graph (``bench_app.layered_graph`` written as a text file
   of statements, loaded with ``--tree`` so that no node merges), launch to first full
   screen, whole process: the child runs the launch path of ``cgtui FILE`` with Textual's
   headless driver (``App.run_test``) and says when nothing is left to draw;
6. the same explorer, key to the step's own drawn frame for ``f``, ``b`` (median and worst
   of 20), ``u`` (undoing either, 10 each) and ``b`` again from the 90th backward step
   (where steps open branches of the tree and change the side pane's sections' heights:
   20 more), measured as ``bench_app.py`` measures it
   (``bench_app.KeyClock``: the last frame before the side pane starts computing its paths
   section, which it does ``side.PATHS_DELAY`` after a step; the time to the paths section
   is printed beside it), and the lag behind a key held at 30 keys/s (30 presses at 33 ms
   intervals: the time from the last press until the screen shows its step);
7. the peak memory of ``cgtui grad FILE`` on the 100,000-term sum, and bytes per node (the
   peak above that of the same process, same arguments, that loads the modules ``cgtui
   grad`` uses and stops: the interpreter's own copies of 1.1 MB of ``--at`` arguments are
   not cgtui's; the figure above ``cgtui grad 'x*y'`` is printed too); and in-process, with
   tracemalloc, the bytes per node of the graph, of what the passes add (values, partials,
   the engine's tape) and the peak while building.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import compileall
import datetime
import gc
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_app import KeyClock, KeyTimes, key_table, layered_graph  # noqa: E402 - benchmarks is on the path

from cgtui.core.graph import Graph  # noqa: E402
from cgtui.engine.engine import backward, forward, gradients, leaf_values  # noqa: E402
from cgtui.lang.build import from_expression  # noqa: E402

PY = sys.executable
TERMS = 100_000
SMALL_TERMS = 900
APP_NODES = 9_977  # layered_graph(9_977) has 10,000 nodes, the unused leaves among them

ROWS: list[tuple[str, str, str, bool | None]] = []  # what, figure, goal, met (None: not measured)


def row(what: str, figure: str, goal: str, met: bool | None) -> None:
    ROWS.append((what, figure, goal, met))
    verdict = {True: "goal met", False: "goal missed", None: "not measured"}[met]
    print(f"  -> {verdict}", flush=True)


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def spawn(argv: Sequence[str], stdin: str | None = None) -> tuple[float, float, int]:
    """Run a child to its end: wall seconds, CPU seconds (user + system), peak RSS (kB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(argv),
        cwd=ROOT,
        env=child_env(),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    if stdin is not None and proc.stdin is not None:
        proc.stdin.write(stdin.encode())
        proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr is not None else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def interleaved(repeat: int, *commands: Sequence[str]) -> list[list[tuple[float, float, int]]]:
    """Each command ``repeat`` times, taking turns, after one warm-up run of each."""
    for argv in commands:
        spawn(argv)
    runs: list[list[tuple[float, float, int]]] = [[] for _ in commands]
    for _ in range(repeat):
        for k, argv in enumerate(commands):
            runs[k].append(spawn(argv))
    return runs


def best(runs: list[tuple[float, float, int]]) -> tuple[float, float]:
    """The best wall time and the best CPU time of some runs."""
    return min(r[0] for r in runs), min(r[1] for r in runs)


def best_of(repeat: int, fn: Callable[[], Any], *, pause_gc: bool = False) -> float:
    result = float("inf")
    for _ in range(repeat):
        gc.collect()
        if pause_gc:
            gc.disable()
        try:
            start = time.perf_counter()
            fn()
            result = min(result, time.perf_counter() - start)
        finally:
            gc.enable()
    return result


def sum_text(terms: int) -> str:
    return " + ".join(f"x{i}" for i in range(terms))


# --- 1. start-up ----------------------------------------------------------------------------


def bench_startup(repeat: int) -> None:
    print("1. start-up: cgtui grad 'x*y' --at x=1,y=2, whole process")
    grad, numpy = interleaved(
        repeat,
        [PY, "-m", "cgtui", "grad", "x*y", "--at", "x=1,y=2"],
        [PY, "-c", "import numpy"],
    )
    (g_wall, g_cpu), (n_wall, n_cpu) = best(grad), best(numpy)
    ratio = g_wall / n_wall
    print(f"   cgtui grad          {g_wall * 1000:7.0f} ms   (CPU {g_cpu * 1000:.0f} ms)")
    print(f"   python -c 'import numpy' {n_wall * 1000:7.0f} ms   (CPU {n_cpu * 1000:.0f} ms)")
    print(f"   ratio {ratio:.2f} (CPU {g_cpu / n_cpu:.2f})")
    row(
        "`cgtui grad 'x*y' --at x=1,y=2`, whole process",
        f"{g_wall:.2f} s, {ratio:.2f}x `import numpy` ({n_wall:.2f} s); CPU {g_cpu / n_cpu:.2f}x",
        "<= 1.5x",
        ratio <= 1.5,
    )


# --- 2. parsing against ast.parse -------------------------------------------------------------


def bench_parse(repeat: int) -> None:
    text = sum_text(SMALL_TERMS)
    loops = 20
    print(f"2. parse+build of a {SMALL_TERMS}-term sum ({len(text):,} characters), {loops} times")

    def ours() -> None:
        for _ in range(loops):
            from_expression(text)

    def peer() -> None:
        for _ in range(loops):
            ast.parse(text)

    t_ours, t_peer = best_of(repeat, ours) / loops, best_of(repeat, peer) / loops
    ratio = t_ours / t_peer
    print(f"   cgtui from_expression {t_ours * 1000:8.2f} ms;  ast.parse {t_peer * 1000:8.2f} ms;  "
          f"ratio {ratio:.2f}")
    row(
        f"parse+build of a {SMALL_TERMS}-term sum against `ast.parse`",
        f"{ratio:.1f}x ({t_ours * 1000:.1f} ms against {t_peer * 1000:.1f} ms)",
        "<= 2x",
        ratio <= 2,
    )


# --- 3 and 7. the 100,000-term sum ------------------------------------------------------------


def bench_sum(repeat: int, folder: Path) -> None:
    text = sum_text(TERMS)
    path = folder / "sum100k.txt"
    path.write_text(text)
    print(f"3. a {TERMS:,}-term sum ({len(text):,} characters): text file to gradients")
    values = {f"x{i}": 0.5 for i in range(TERMS)}
    t_build = best_of(max(1, repeat // 2), lambda: from_expression(text, values=values))
    graph = from_expression(text, values=values)
    nodes = len(graph.nodes)
    leaves = leaf_values(graph)
    t_pass = best_of(max(1, repeat // 2), lambda: backward(graph, forward(graph, leaves), graph.outputs[0]))
    # the values go on the command line, 5,000 to an --at (an argument is at most 128 kB)
    at = [arg for k in range(0, TERMS, 5_000)
          for arg in ("--at", ",".join(f"x{i}=0.5" for i in range(k, min(TERMS, k + 5_000))))]
    big, numpy = interleaved(
        max(1, repeat // 2), [PY, "-m", "cgtui", "grad", str(path), *at], [PY, "-c", "import numpy"]
    )
    wall, cpu = best(big)
    pace = best(numpy)[0]
    print(f"   in-process: parse+build {t_build * 1000:.0f} ms, forward+backward {t_pass * 1000:.0f} ms; "
          f"{nodes:,} nodes")
    print(f"   cgtui grad FILE, whole process {wall * 1000:.0f} ms (CPU {cpu * 1000:.0f} ms)")
    # the goal is in seconds; the machine's pace moves with the hour, so the same runs time
    # a fixed peer: the goal was set when `python -c "import numpy"` took 0.16-0.18 s
    print(f"   the machine's pace: python -c 'import numpy' {pace * 1000:.0f} ms in the same runs "
          f"(0.16-0.18 s when the goal was set); cgtui grad FILE is {wall / pace:.1f}x it "
          f"(the goal, 0.8 s, was {0.8 / 0.18:.1f}-{0.8 / 0.16:.1f}x it then)")
    row(
        f"{TERMS:,}-term sum, text to gradients, whole process (`cgtui grad FILE`)",
        f"{wall:.2f} s (CPU {cpu:.2f} s; parse+build {t_build:.2f} s in-process; "
        f"{wall / pace:.1f}x `import numpy`, {pace:.2f} s)",
        "< 0.8 s",
        wall < 0.8,
    )
    peak = min(peak_memory(["grad", str(path), *at]) for _ in range(2))
    # the floor: the same process with the same arguments, cgtui's modules loaded and not
    # run (the interpreter keeps several copies of 1.1 MB of arguments: they are not cgtui's)
    floor = min(peak_memory(["grad", str(path), *at], run=False) for _ in range(2))
    small = min(peak_memory(["grad", "x*y", "--at", "x=1,y=2"]) for _ in range(2))
    per_node = (peak - floor) / nodes
    # where the bytes go, in-process (tracemalloc: Python's own allocations, no allocator slack)
    del graph
    gc.collect()
    tracemalloc.start()
    graph = from_expression(text, values=values)
    built, build_peak = tracemalloc.get_traced_memory()
    result = gradients(graph)
    passes, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    split = (f"graph {built / nodes:.0f}, values, partials and tape {(passes - built) / nodes:.0f}; "
             f"building peaks at {build_peak / nodes:.0f}")
    print(f"7. memory: cgtui grad FILE peaks at {peak / 1e6:.0f} MB; the same process that only loads "
          f"cgtui's modules, at {floor / 1e6:.0f} MB: {per_node:.0f} bytes per node over {nodes:,} nodes")
    print(f"   in-process, bytes per node: {split}")
    print(f"   (against cgtui grad 'x*y', which peaks at {small / 1e6:.0f} MB: {(peak - small) / nodes:.0f} "
          f"bytes per node, the interpreter's copies of the {sum(map(len, at)) / 1e6:.1f} MB of --at "
          "arguments among them)")
    MEMORY.append(("memory, 100,000-term sum",
                   f"{peak / 1e6:.0f} MB peak, {per_node:.0f} bytes per node (in-process: {split})",
                   "< 400 bytes per node", per_node < 400))


#: runs cgtui and writes its peak resident memory (kB) to stderr as it exits; read from
#: /proc, since getrusage's maxrss keeps the parent's peak across fork and exec
PEAK = (
    "import atexit, sys\n"
    "def peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    sys.stderr.write('VmHWM ' + status.split('VmHWM:')[1].split()[0] + '\\n')\n"
    "atexit.register(peak)\n"
    "from cgtui.cli import main\n"
    "import cgtui.commands.grad\n"
    "raise SystemExit(main(sys.argv[1:]) if RUN else 0)\n"
)


def peak_memory(argv: Sequence[str], *, run: bool = True) -> int:
    """The peak resident memory of ``cgtui ARGV``, in bytes; with ``run=False``, of the
    same process that loads the modules ``cgtui grad`` uses and stops there."""
    done = subprocess.run(
        [PY, "-c", f"RUN = {run}\n" + PEAK, *argv], cwd=ROOT, env=child_env(), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, check=True,
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("VmHWM "))
    return int(line.split()[1]) * 1024


MEMORY: list[tuple[str, str, str, bool | None]] = []


# --- 4. the MLP against micrograd ---------------------------------------------------------


def bench_mlp(repeat: int) -> None:
    from bench_engine import bench_micrograd_mlp, mlp_data, mlp_text, mlp_values

    print("4. MLP forward+backward against micrograd, the collector paused in both")
    try:
        import micrograd  # noqa: F401
    except ImportError:
        print("   micrograd is not installed (pip install micrograd==0.1.0): not measured")
        row("MLP forward+backward against micrograd", "micrograd not installed", "<= 0.35", None)
        return
    weights, biases, xs, ys = mlp_data()
    values, params, labels = mlp_values(weights, biases, xs, ys)
    graph = from_expression(mlp_text(weights), values=values, params=params, labels=labels)
    leaves = leaf_values(graph)
    out = graph.outputs[0]

    def first_pass() -> None:  # the graph's tape made again, as on the first pass over a graph
        graph.cache.clear()
        backward(graph, forward(graph, leaves), out)

    t_first = best_of(repeat, first_pass, pause_gc=True)
    # the two take turns, run by run, so that both see the machine at the same pace (run
    # one after the other, the ratio moved between 0.17 and 0.39 from one minute to the next)
    t_mg = t_cg = float("inf")
    for _ in range(repeat):
        t_mg = min(t_mg, bench_micrograd_mlp(1, weights, biases, xs, ys)["both_nogc"])
        t_cg = min(t_cg, best_of(1, lambda: backward(graph, forward(graph, leaves), out), pause_gc=True))
    mg = {"both_nogc": t_mg}
    ratio = t_cg / mg["both_nogc"]
    mg_ms = mg["both_nogc"] * 1000
    print(f"   cgtui {t_cg * 1000:.1f} ms (the first pass, making the tape: {t_first * 1000:.1f} ms);"
          f"  micrograd {mg_ms:.1f} ms;  ratio {ratio:.2f} (first pass {t_first * 1000 / mg_ms:.2f})")
    row(
        "MLP forward+backward against micrograd, collector paused in both",
        f"{ratio:.2f} ({t_cg * 1000:.0f} ms against {mg['both_nogc'] * 1000:.0f} ms; "
        f"the first pass over the graph {t_first / mg['both_nogc']:.2f})",
        "<= 0.35",
        ratio <= 0.35,
    )


# --- 5 and 6. the explorer --------------------------------------------------------------------


def statements(graph: Graph) -> tuple[str, list[str]]:
    """The graph as a text file of statements, and ``--at`` values for its leaves."""
    symbols = {"add": "+", "mul": "*", "sub": "-"}
    lines: list[str] = []
    at: list[str] = []
    used = {i for node in graph.nodes for i in node.operands}
    for k, node in enumerate(graph.nodes):
        names = [graph.nodes[i].name for i in node.operands]
        if node.op is None:
            if k in used:
                at.append(f"{node.name}={node.value!r}")
        elif node.op in symbols:
            lines.append(f"{node.name} = {names[0]} {symbols[node.op]} {names[1]}")
        else:
            lines.append(f"{node.name} = {node.op}({', '.join(names)})")
    return "\n".join(lines) + "\n", [",".join(at)]


LAUNCH = """
import asyncio, sys, time
from cgtui.app import heap
heap.pause()  # as cgtui.app.explore.run does
from cgtui.cli import app_parser
from cgtui.commands.common import graph_from_args
from cgtui.engine.engine import Stepper
from cgtui.app.app import ExplorerApp
imported = time.perf_counter()
args = app_parser().parse_args(sys.argv[1:])
stepper = Stepper(graph_from_args(args))
built = time.perf_counter()
app = ExplorerApp(stepper, source=args.source)

async def main() -> None:
    async with app.run_test(size=(160, 50)) as pilot:
        while True:
            await pilot.pause()
            if not app.pending_work():
                break
            await app.workers.wait_for_complete()
        nodes = len(stepper.graph.nodes)
        print(f"{imported} {built} {time.perf_counter()} {nodes}", file=sys.stderr, flush=True)
        app.exit()

asyncio.run(main())
"""


#: the floor: a trivial Textual app (a label and a footer), launched and measured the same way
TRIVIAL = """
import asyncio, sys, time
from textual.app import App, ComposeResult
from textual.widgets import Footer, Static
imported = time.perf_counter()

class Tiny(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("hello")
        yield Footer()

async def main() -> None:
    app = Tiny()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        print(f"{imported} {imported} {time.perf_counter()} 0", file=sys.stderr, flush=True)
        app.exit()

asyncio.run(main())
"""


def launch_once(path: Path | None, at: list[str]) -> tuple[float, float, float, int]:
    """Whole seconds to the first full screen; and within it, imports, graph, app. Without
    a path: the trivial Textual app."""
    start = time.perf_counter()
    argv = [PY, "-c", TRIVIAL] if path is None else [PY, "-c", LAUNCH, str(path), "--tree", "--at", *at]
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    line = ""
    for line in proc.stderr:
        if line.count(" ") == 3:
            break
    ready = time.perf_counter()
    proc.wait()
    try:
        imported, built, _, nodes = line.split()
    except ValueError:
        raise SystemExit(f"the explorer did not start:\n{line}{proc.stderr.read()}") from None
    # perf_counter is one clock across processes on Linux (CLOCK_MONOTONIC)
    return ready - start, float(imported) - start, float(built) - float(imported), int(nodes)


def bench_launch(repeat: int, folder: Path) -> tuple[Path, list[str]]:
    graph = layered_graph(APP_NODES)
    text, at = statements(graph)
    path = folder / "layered.txt"
    path.write_text(text)
    print(f"5. explorer launch to first full screen, whole process ({len(graph.nodes):,}-node graph, "
          "headless)")
    launch_once(path, at)  # warm-up: byte-compiled modules
    runs, floor = [], []
    for _ in range(max(1, repeat // 2)):
        runs.append(launch_once(path, at))
        floor.append(launch_once(None, at)[0])
    whole, imports, build, nodes = min(runs)
    app = whole - imports - build
    print(f"   {whole * 1000:.0f} ms: to the end of imports {imports * 1000:.0f} ms, graph and stepper "
          f"{build * 1000:.0f} ms, app to a full screen {app * 1000:.0f} ms ({nodes:,} nodes)")
    print(f"   a trivial Textual app (a label, a footer), launched the same way: {min(floor) * 1000:.0f} ms")
    row(
        f"explorer, {nodes:,}-node graph: launch to first full screen, whole process",
        f"{whole:.2f} s (imports {imports:.2f} s, graph {build:.2f} s, app {app:.2f} s; "
        f"a trivial Textual app {min(floor):.2f} s)",
        "< 1 s",
        whole < 1,
    )
    return path, at


async def keys(graph: Graph) -> tuple[list[KeyTimes], float]:
    """Key to the step's own drawn frame for f, u, b and u (``bench_app.KeyClock``, as
    ``bench_app.py`` measures it); and the lag behind a held key."""
    from cgtui.app.app import ExplorerApp
    from cgtui.engine.engine import Stepper

    app = ExplorerApp(Stepper(graph), source="generated")
    async with app.run_test(size=(160, 50)) as pilot:
        clock = KeyClock(app, pilot)
        await clock.settle()
        rows = [
            await clock.series("f  step forward", "f", 20),
            await clock.series("u  undo a forward step", "u", 10),
        ]
        await clock.key("F")  # to the end of the forward pass
        rows += [
            await clock.series("b  step backward", "b", 20),
            await clock.series("u  undo a backward step", "u", 10),
        ]
        # deeper in the pass, where steps open branches and the side pane's sections
        # change height: 80 steps on at key-repeat speed, then 20 measured
        await clock.held("b", presses=80)
        rows.append(await clock.series("b  later (from step 90)", "b", 20))
        await clock.key("r")
        # held: 30 key events at 33 ms intervals, not waiting for the screen in between
        held = max([await clock.held("f") for _ in range(2)])
    return rows, held


def bench_keys() -> None:
    graph = layered_graph(APP_NODES)
    print(f"6. explorer, {len(graph.nodes):,}-node graph: key to the step's drawn frame (in-process)")
    rows, held = asyncio.run(keys(graph))
    med, worst = key_table(rows)
    print(f"   f held at 30 keys/s: the screen shows the last key's step {held * 1000:.0f} ms after it")
    row(
        "explorer, key to drawn frame, `f`, `b` and `u`; a key held at 30 keys/s",
        f"median {med * 1000:.0f} ms, worst {worst * 1000:.0f} ms; held: {held * 1000:.0f} ms behind",
        "median < 25 ms, worst < 50 ms, held never lags",
        med < 0.025 and worst < 0.050 and held < 0.050,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7, help="runs per measurement (the best counts)")
    ap.add_argument("--skip-app", action="store_true", help="leave out the explorer's rows (5 and 6)")
    ap.add_argument("--only", choices=["startup", "parse", "sum", "mlp", "app"], action="append",
                    help="measure only these rows (repeatable; 'sum' is rows 3 and 7)")
    args = ap.parse_args()
    only = set(args.only or ["startup", "parse", "sum", "mlp", "app"])
    print(f"cgtui speed, {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, Python "
          f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    compileall.compile_dir(ROOT / "cgtui", quiet=1)  # as an installed package is
    random.seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "startup" in only:
            bench_startup(args.repeat)
        if "parse" in only:
            bench_parse(args.repeat)
        if "sum" in only:
            bench_sum(args.repeat, folder)
        if "mlp" in only:
            bench_mlp(args.repeat)
        if args.skip_app:
            row("explorer launch", "skipped (--skip-app)", "< 1 s", None)
            row("explorer keys", "skipped (--skip-app)", "median < 25 ms, worst < 50 ms", None)
        elif "app" in only:
            bench_launch(args.repeat, folder)
            bench_keys()
    ROWS.extend(MEMORY)
    print()
    print("| what the user waits for | measured | goal | |")
    print("|---|---|---|---|")
    for what, figure, goal, met in ROWS:
        verdict = {True: "goal met", False: "goal missed", None: "not measured"}[met]
        print(f"| {what} | {figure} | {goal} | {verdict} |")


if __name__ == "__main__":
    main()

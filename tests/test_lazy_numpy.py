"""numpy is imported when first used (cgtui.core.lazy). In the explorer it is imported by
the app's own thread or by the warm-up thread that starts once a graph is on screen
(``cgtui/app/preload.py``), never by a worker: Python 3.11's lazy modules take no lock, and
while the warm-up thread loads numpy, any other thread's use waits for it. Each test runs
in a fresh interpreter (this one has numpy loaded long ago)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Records the thread that loads numpy; opens the explorer headless on a sample, reports
#: whether numpy is loaded when the first frame is drawn, waits for the warm-up thread,
#: then selects a node whose paths a worker computes (and steps the forward and backward
#: passes) and reports again.
SCRIPT = """
import asyncio, sys, threading
loaders = []
class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "numpy._core":
            loaders.append(threading.current_thread().name)
        return None
sys.meta_path.insert(0, Watch())
from textual.screen import Screen
report = {}
drawn = Screen._compositor_refresh
def first_frame(screen):
    report.setdefault("first frame", "numpy._core" in sys.modules)
    drawn(screen)
Screen._compositor_refresh = first_frame
from cgtui.app.app import ExplorerApp
from cgtui.app.side import SidePane
from cgtui.engine.engine import Stepper
from cgtui.lang.source import load_source

app = ExplorerApp(Stepper(load_source(sys.argv[1])), source=sys.argv[1])

async def main():
    async with app.run_test(size=(120, 40)) as pilot:
        async def settle():
            while True:
                await pilot.pause()
                if not app.pending_work():
                    return
                await app.workers.wait_for_complete()
        await settle()
        while app._warm_thread is None:  # started once the first screen is up
            await pilot.pause(0.01)
        app._warm_thread.join()
        report["after the warm-up"] = "numpy._core" in sys.modules
        await pilot.press("down")  # a node whose paths a worker follows
        await asyncio.sleep(0.4)  # past the paths section's delay
        await settle()
        report["after the paths worker"] = "numpy._core" in sys.modules
        report["paths shown"] = "…" not in app.screen.query_one(SidePane).text("paths")
        for key in ("F", "B", "down", "down"):
            await pilot.press(key)
        await settle()
        app.exit()

asyncio.run(main())
report["loaded by"] = loaders
print(repr(report), file=sys.stderr)
"""


def run(sample: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT / "samples" / sample)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )
    report: dict[str, object] = ast.literal_eval(done.stderr.strip().splitlines()[-1])
    return report


def test_a_graph_of_numbers_opens_without_numpy_and_the_warm_up_thread_loads_it_after() -> None:
    report = run("squared_error.yaml")
    assert report["first frame"] is False
    assert report["after the warm-up"] is True
    assert report["after the paths worker"] is True
    assert report["paths shown"] is True
    assert report["loaded by"] == ["warm up"]


def test_an_array_graph_loads_numpy_in_the_apps_thread() -> None:
    report = run("xor_mlp_tensor.yaml")
    assert report["first frame"] is True
    assert report["loaded by"] == ["MainThread"]

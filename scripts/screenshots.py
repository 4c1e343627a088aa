"""Regenerate the README's pictures of the explorer: ``python scripts/screenshots.py``.

Each picture is an SVG made by Textual's own screenshot (``App.export_screenshot``) of the
explorer driven by Textual's Pilot, written to ``docs/`` (``--out`` to write elsewhere).
The graph and keys are fixed, so running it again changes a picture only when the
explorer's screen changes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.pilot import Pilot  # noqa: E402

from cgtui.app.app import ExplorerApp  # noqa: E402
from cgtui.engine.engine import Stepper  # noqa: E402
from cgtui.lang import yamlio  # noqa: E402

#: (file name, sample, terminal size, keys, node to select, tab, what it shows); a sample
#: named ``import:...`` is a graph that ``cgtui import`` makes first (see IMPORTS)
SHOTS = (
    (
        "explorer-backprop.svg",
        "branching.yaml",
        (120, 34),
        ("F", "b"),
        "x",
        "drawing",
        "mid-backprop: df/dx has one term done and one pending",
    ),
    (
        "explorer-torch.svg",
        "import:neuron.yaml",
        (120, 34),
        ("F", "B"),
        "w",
        "tree",
        "a PyTorch module traced by torch.fx, with PyTorch's numbers beside cgtui's",
    ),
    (
        "explorer-onnx.svg",
        "import:mlp.yaml",
        (120, 34),
        ("F", "B"),
        "h_0_1",
        "tree",
        "an ONNX model, one node per tensor element, checked against ONNX's evaluator",
    ),
)

#: graph file -> the ``cgtui import`` command line that makes it (in a temporary folder)
IMPORTS = {
    "neuron.yaml": [
        "import", "torch", str(ROOT / "docs/examples/neuron.py") + ":Neuron",
        "--example", "x=1.5,y=1", "--label", "y", "--check",
    ],
    "mlp.yaml": [
        "import", "onnx", "{mlp.onnx}", "--example", "X_0_0=0.5,X_0_1=-1,Y=0.8", "--label", "Y", "--check",
    ],
}  # fmt: skip


def imported(name: str, folder: Path) -> Path:
    """Make the graph file ``name`` with ``cgtui import`` (the ONNX model first)."""
    import contextlib
    import io
    import runpy

    from cgtui.cli import main as cgtui

    model = folder / "mlp.onnx"
    if not model.exists():
        namespace = runpy.run_path(str(ROOT / "docs/examples/mlp_onnx.py"))
        import onnx

        onnx.save(namespace["mlp"](), model)
    argv = [arg.replace("{mlp.onnx}", str(model)) for arg in IMPORTS[name]]
    target = folder / name
    with contextlib.redirect_stdout(io.StringIO()):
        if cgtui([*argv, "-o", str(target), "--force"]) != 0:
            raise RuntimeError(f"cgtui {' '.join(argv)} failed")
    return target


async def settle(pilot: Pilot[None]) -> None:
    """Wait until everything the screen shows is up to date (as the tests do)."""
    app = pilot.app
    assert isinstance(app, ExplorerApp)
    for _ in range(2000):
        await pilot.pause()
        if not app.pending_work():
            await pilot.pause()
            if not app.pending_work():
                return
        await asyncio.sleep(0.01)
    raise RuntimeError(f"the explorer did not settle: {app.pending_work()}")


async def shoot(
    out: Path, name: str, sample: str, size: tuple[int, int], keys: tuple[str, ...], node: str, tab: str
) -> Path:
    if sample.startswith("import:"):
        import tempfile

        path = imported(sample.removeprefix("import:"), Path(tempfile.mkdtemp()))
        shown = path.name
    else:
        path = ROOT / "samples" / sample
        shown = f"samples/{sample}"
    app = ExplorerApp(Stepper(yamlio.load(path)), source=shown)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)
        app.selected = app.stepper.graph.lookup(node)
        app.action_show_tab(tab)
        await settle(pilot)
        svg = app.export_screenshot(title=f"cgtui {shown}")
    target = out / name
    target.write_text(svg, encoding="utf-8", newline="\n")
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where to write (default: docs/)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, sample, size, keys, node, tab, what in SHOTS:
        target = asyncio.run(shoot(args.out, name, sample, size, keys, node, tab))
        print(f"{target}: {what}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

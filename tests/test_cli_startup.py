"""What a command loads: ``cgtui grad EXPR`` imports its own module and the language and
engine it needs, not the other commands, the UI, YAML or networkx; ``--help`` still
lists every command and each command's own ``--help`` every option. (How long start-up
takes is measured by benchmarks/bench_speed.py, not here.)"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cgtui.cli import COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parent.parent


def loaded_after(*argv: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``cgtui ARGV``."""
    script = (
        "import sys\n"
        "from cgtui.cli import main\n"
        f"code = main({list(argv)!r})\n"
        "print(repr([code, sorted(sys.modules)]), file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    code, modules = ast.literal_eval(done.stderr.strip().splitlines()[-1])
    assert code == 0, done.stderr
    return set(modules)


def tops(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_grad_on_an_expression_loads_only_what_it_needs() -> None:
    modules = loaded_after("grad", "x*y", "--at", "x=1,y=2")
    assert "cgtui.commands.grad" in modules
    commands = {m for m in modules if m.startswith("cgtui.commands.")}
    assert commands == {"cgtui.commands.common", "cgtui.commands.grad"}, commands
    assert not tops(modules) & {"yaml", "networkx", "textual", "rich", "textual_plotext", "json"}
    upper = ("cgtui.app", "cgtui.draw", "cgtui.teach", "cgtui.learn", "cgtui.bridges")
    assert not {m for m in modules if m.startswith(upper)}
    assert "cgtui.lang.yamlio" not in modules
    # numpy is imported when first used (cgtui.core.lazy): numbers alone never use it
    assert "numpy._core" not in modules and "numpy.linalg" not in modules


def test_an_array_graph_loads_numpy_when_it_needs_it() -> None:
    modules = loaded_after("grad", str(ROOT / "samples" / "xor_mlp_tensor.yaml"))
    assert "numpy._core" in modules


def test_grad_on_a_yaml_file_still_loads_it() -> None:
    modules = loaded_after("grad", str(ROOT / "samples" / "squared_error.yaml"))
    assert "cgtui.lang.yamlio" in modules and "yaml" in tops(modules)


def test_top_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name, help_text in COMMANDS.items():
        assert name in out
        assert help_text.split()[0] in out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_help_lists_its_options(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    full = build_parser()  # every command's arguments, as before commands were loaded lazily
    sub = next(a for a in full._subparsers._group_actions if a.dest == "command")  # type: ignore[union-attr]
    choices: Any = sub.choices
    expected = choices[name].format_help()
    with pytest.raises(SystemExit) as stop:
        main([name, "--help"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == expected
    assert "--" in expected or name == "samples"


def test_grad_json_still_works(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grad", "x*y", "--at", "x=1,y=2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["grad"] == {"x": 2.0, "y": 1.0}


def test_the_explorer_loads_the_plotting_library_only_with_a_training_screen() -> None:
    script = (
        "import sys\n"
        "import cgtui.app.app\n"
        "print(repr(sorted(sys.modules)), file=sys.stderr)\n"
        "from cgtui.app.training import TrainingScreen\n"  # as the key T loads it
        "print(repr(sorted(sys.modules)), file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    at_start, with_screen = (set(ast.literal_eval(line)) for line in done.stderr.strip().splitlines()[-2:])
    assert "cgtui.app.training.screen" not in at_start  # loaded when first opened
    assert "cgtui.app.training.screen" in with_screen
    assert not tops(with_screen) & {"textual_plotext", "plotext"}  # loaded when the screen is shown

"""``cgtui train SOURCE``: gradient descent on the params, over the graph's data rows.

Settings come from the flags, else the file's ``training:`` section, else lr 0.1 and
100 steps. A rich progress bar runs while training (on a terminal), the loss is printed
every so often, then the final params. ``--save OUT.yaml`` writes a copy of the graph
with the trained params (an existing file is replaced only with ``--force``).
Exit status 3 when training diverged (the last finite params are kept and shown).
"""

from __future__ import annotations

import argparse
import itertools
import re
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from cgtui.commands.common import EXIT_FAULT, EXIT_OK, add_source_arguments, graph_from_args
from cgtui.core.errors import CgtuiError, name_list, short_name
from cgtui.core.graph import Graph
from cgtui.core.lazy import np
from cgtui.core.notation import format_number, value_text
from cgtui.core.text import printable
from cgtui.lang.files import YAML_SUFFIXES
from cgtui.learn.dataset import check_lr, check_steps, dataset_from_graph, training_settings
from cgtui.learn.train import Problem, StepRecord, Trainer

DEFAULT_LR = 0.1
DEFAULT_STEPS = 100
#: The final table lists this many params and counts the rest (100,000 rows took minutes).
TABLE_ROWS = 20


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument("--lr", metavar="RATE", help=f"learning rate (default: the file's, else {DEFAULT_LR})")
    p.add_argument("--steps", metavar="N", help=f"descent steps (default: the file's, else {DEFAULT_STEPS})")
    p.add_argument("--output", metavar="NAME", help="the output to minimise (default: the graph's first)")
    p.add_argument("--every", metavar="N", help="print the loss every N steps (default: about ten lines)")
    p.add_argument(
        "--save", metavar="OUT.yaml", help="write a YAML copy of the graph with the trained params"
    )
    p.add_argument("--force", action="store_true", help="let --save replace an existing file")


def _base_dir(source: str | None) -> Path:
    if source and source.endswith(YAML_SUFFIXES):
        return Path(source).resolve().parent
    return Path.cwd()


def _check_save_target(out: str, force: bool, source: str | None) -> Path:
    path = Path(out)
    if not out.endswith(YAML_SUFFIXES):
        raise CgtuiError(f"--save writes YAML: give a file name ending in .yaml or .yml, not '{out}'")
    if path.is_dir():
        raise CgtuiError(f"--save {out}: that is a directory")
    if not path.parent.resolve().is_dir():
        raise CgtuiError(f"--save {out}: the directory {path.parent} does not exist")
    try:  # find an unwritable directory before training, not after it
        with tempfile.TemporaryFile(dir=path.parent.resolve()):
            pass
    except OSError as exc:
        raise CgtuiError(f"--save {out}: cannot write to {path.parent}: {exc.strerror or exc}") from None
    if path.exists() and not force:
        same = source is not None and Path(source).exists() and path.resolve() == Path(source).resolve()
        what = "it is the source file" if same else "it exists"
        raise CgtuiError(f"--save {out}: {what}; add --force to replace it")
    return path


def _located(exc: CgtuiError, source: str | None) -> CgtuiError:
    """A ``data``/``reduction``/``training`` problem found after loading: point at its
    section in the graph file (the message names the key inside it)."""
    if exc.line is not None or exc.file is not None or not source or not source.endswith(YAML_SUFFIXES):
        return exc
    section = re.match(r"(data|reduction|training)\b", exc.message)
    if section is None:
        return exc
    try:
        lines = Path(source).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return exc
    for number, line in enumerate(lines, 1):
        if re.match(rf"{section.group(1)}\s*:", line):
            return CgtuiError(exc.message, line=number, column=1, source_line=line, file=source)
    return CgtuiError(exc.message, file=source)


def run(args: argparse.Namespace) -> int:
    save_path = _check_save_target(args.save, args.force, args.source) if args.save else None
    graph: Graph = graph_from_args(args)
    base_dir = _base_dir(args.source)
    try:
        dataset = dataset_from_graph(graph, base_dir)
        settings = training_settings(graph)
    except CgtuiError as exc:
        raise _located(exc, args.source) from None

    lr_from = "--lr" if args.lr is not None else ("the file" if settings.lr is not None else "default")
    lr = check_lr(args.lr, "--lr") if args.lr is not None else (settings.lr or DEFAULT_LR)
    steps_from = (
        "--steps" if args.steps is not None else ("the file" if settings.steps is not None else "default")
    )
    if args.steps is not None:
        steps = check_steps(args.steps, "--steps")
    else:
        steps = settings.steps if settings.steps is not None else DEFAULT_STEPS
    every = check_steps(args.every, "--every") if args.every is not None else max(1, steps // 10)
    every = max(1, every)

    problem = Problem(graph, dataset, args.output)
    trainer = Trainer(problem, lr)
    console = Console(highlight=False, soft_wrap=True, markup=False)  # titles and paths are not markup
    title = graph.title or args.source
    if dataset is not None:
        data_text = dataset.describe()
    elif graph.has_arrays:
        data_text = "the graph's own arrays (each node holds a whole batch)"
    else:
        data_text = "one example (the graph's own values)"
    console.print(Text.assemble("training ", (printable(title), "bold")))
    console.print(
        f"  minimise {problem.output_name} over {data_text}; "
        f"params {name_list(problem.param_names)}"
    )
    console.print(f"  lr {format_number(lr)} ({lr_from}), {steps} steps ({steps_from})")
    def accuracy_text(t: Trainer) -> str:
        accuracy = problem.accuracy(t.current.values)
        return "" if accuracy is None else f"  accuracy {accuracy:.3f}"

    first = format_number(trainer.current.loss)
    console.print(f"  step {0:>{len(str(steps))}}  loss {first}{accuracy_text(trainer)}")

    progress = Progress(
        TextColumn("training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    width = len(str(steps))
    with progress:
        task = progress.add_task("train", total=steps, loss=format_number(trainer.current.loss))

        def on_step(t: Trainer, record: StepRecord) -> None:
            progress.update(task, completed=record.step, loss=f"{record.loss_after:.6g}")
            if record.step % every == 0 or record.step == steps:
                loss = format_number(record.loss_after)
                progress.console.print(f"  step {record.step:>{width}}  loss {loss}{accuracy_text(t)}")

        try:
            outcome = trainer.run(steps, on_step=on_step)
        except KeyboardInterrupt:
            outcome = trainer.outcome("stopped", f"stopped by Ctrl-C after {trainer.steps_done} steps")

    if outcome.diverged:
        console.print(Text(outcome.message, style="bold red"))
    else:
        console.print(outcome.message)
    table = Table(box=None, pad_edge=False, show_edge=False)
    table.add_column("param")
    table.add_column("initial", justify="right")
    table.add_column("final", justify="right")
    table.add_column("dL/dparam", justify="right")
    start = problem.initial_params()
    for name, value in itertools.islice(outcome.params.items(), TABLE_ROWS):
        table.add_row(
            short_name(name),
            value_text(start[name]),
            value_text(value),
            value_text(trainer.current.grads[name]),
        )
    console.print(table)
    if len(outcome.params) > TABLE_ROWS:
        console.print(f"  ... and {len(outcome.params) - TABLE_ROWS:,} more params (--save writes them all)")
    if settings.expect_loss_below is not None:
        bound = settings.expect_loss_below
        ok = outcome.final_loss < bound
        verdict = Text("below") if ok else Text("not below", style="bold")
        final = format_number(outcome.final_loss)
        console.print(
            Text.assemble(f"final loss {final} is ", verdict, f" the file's bound {format_number(bound)}")
        )

    accuracy = problem.accuracy(trainer.current.values)
    if settings.expect_accuracy is not None and accuracy is not None:
        ok = accuracy >= settings.expect_accuracy
        verdict = Text("at least") if ok else Text("below", style="bold")
        console.print(
            Text.assemble(
                f"final accuracy {accuracy:.3f} is ", verdict,
                f" the file's {format_number(settings.expect_accuracy)}",
            )
        )

    if save_path is not None:
        save_trained(graph, outcome.params, save_path, base_dir, overwrite=args.force)
        note = " (the last finite params)" if outcome.diverged else ""
        console.print(f"saved the trained params{note} to {printable(str(save_path))}")
    return EXIT_FAULT if outcome.diverged else EXIT_OK


def save_trained(
    graph: Graph, params: dict[str, Any], path: Path, base_dir: Path, *, overwrite: bool = False
) -> None:
    """Write a copy of ``graph`` with ``params`` as its param values to ``path``."""
    from cgtui.lang.saving import save_graph

    copy = graph.copy()
    for name, value in params.items():
        copy.node(name).value = value if isinstance(value, np.ndarray) else float(value)
    save_graph(copy, path, base_dir=base_dir, overwrite=overwrite)

"""``cgtui samples``: the bundled sample graphs, one line each with its description
(:func:`cgtui.lang.samples.list_samples`, which the explorer's picker uses too)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cgtui.lang.samples import MIN_WIDTH, first_sentence, list_samples, one_line, samples_dir


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--full", action="store_true", help="print whole descriptions, not their first sentence")
    p.add_argument("--paths", action="store_true", help="print each sample's full path")
    p.add_argument("--width", type=int, default=None, metavar="N", help="cut descriptions to N characters")


def run(args: argparse.Namespace) -> int:
    if args.width is not None and args.width < MIN_WIDTH:
        from cgtui.core.errors import CgtuiError

        raise CgtuiError(f"--width must be at least {MIN_WIDTH}, got {args.width}")
    infos = list_samples()
    if not infos:
        print(f"no samples found in {samples_dir()}")
        return 0
    name_width = max(len(Path(i.name).stem) for i in infos)
    for info in infos:
        name = str(info.path) if args.paths else Path(info.name).stem
        description = info.description if args.full else first_sentence(info.description)
        text = description if info.problem is None else f"({info.name} {info.problem})"
        if info.problem == "has no description" and info.title:
            text = f"{info.title} (no description)"
        if args.width:
            text = one_line(text, args.width)
        print(f"{name:<{name_width}}  {text}" if not args.paths else f"{name}\n    {text}")
    print(f"\nopen one with: cgtui {_shown(samples_dir())}/NAME.yaml")
    return 0


def _shown(folder: Path) -> str:
    """The folder relative to the working directory when it is under it."""
    try:
        return str(folder.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(folder)

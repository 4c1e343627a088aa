"""``cgtui samples``: the bundled sample graphs, one line each with its description.

:func:`list_samples` is what the explorer's picker can use too: it reads only each file's
``title`` and ``description`` (with PyYAML's safe loader), so a broken sample shows up as
a line saying what is wrong with it instead of stopping the listing.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from cgtui.core.source import YAML_SUFFIXES
from cgtui.samples import samples_dir


@dataclass(frozen=True)
class SampleInfo:
    name: str  # the file name, e.g. squared_error.yaml
    path: Path
    title: str
    description: str  # the whole description, on one line
    problem: str | None = None  # why the file could not be read, if it could not


#: Narrower than this, a cut description is only "...".
MIN_WIDTH = 10


def one_line(text: str, width: int | None = None) -> str:
    """Whitespace collapsed to single spaces; cut at a word boundary to ``width``."""
    line = " ".join(str(text).split())
    if width is not None and len(line) > width:
        cut = line[: width - 3].rsplit(" ", 1)[0]
        line = cut + "..."
    return line


def first_sentence(text: str) -> str:
    """The description's first sentence: what ``cgtui samples`` shows by default."""
    return re.split(r"(?<=[.!?])\s+(?=[A-Z(])", text, maxsplit=1)[0]


def list_samples(directory: Path | None = None) -> list[SampleInfo]:
    """Every ``.yaml``/``.yml`` file in the samples directory, sorted by name."""
    folder = samples_dir() if directory is None else directory
    infos: list[SampleInfo] = []
    if not folder.is_dir():
        return infos
    for path in sorted(p for p in folder.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file()):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            why = one_line(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            infos.append(SampleInfo(path.name, path, "", "", problem=f"cannot be read: {why}"))
            continue
        if not isinstance(data, dict):
            infos.append(SampleInfo(path.name, path, "", "", problem="is not a YAML mapping"))
            continue
        title = one_line(data.get("title") or "")
        description = one_line(data.get("description") or "")
        missing = None if description else "has no description"
        infos.append(SampleInfo(path.name, path, title, description, missing))
    return infos


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

"""The bundled samples: ``samples/`` in a source checkout, ``cgtui/samples`` when installed.

:func:`list_samples` reads only each file's ``title`` and ``description`` (with PyYAML's
safe loader), so a broken sample shows up as a line saying what is wrong with it instead
of stopping the listing; ``cgtui samples`` and the explorer's picker both use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from cgtui.lang.files import YAML_SUFFIXES

_PACKAGE = Path(__file__).resolve().parent.parent  # cgtui/


def samples_dir() -> Path:
    installed = _PACKAGE / "samples"
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "samples"


def sample_path(name: str) -> Path:
    return samples_dir() / name


def default_sample() -> Path:
    return sample_path("squared_error.yaml")


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

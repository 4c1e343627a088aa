"""What keeps an explorer session safe: text it did not write is shown as written, and an
unexpected error never loses the user's graph.

* :func:`plain` turns any string from a user or a file (a title, a path, an error
  message) into a :class:`~rich.text.Text`, so Rich and Textual never read it as markup
  (``a [/] b`` is shown as ``a [/] b``, not a crash); control characters are escaped.
* :func:`write_recovery` writes the graph and its current values to
  ``cgtui-recovery-<time>.yaml`` in the working directory (else the temporary
  directory) when the app meets an exception it did not expect; :func:`recovery_note`
  tells the user where, and the explorer exits with status 1.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from rich.text import Text

from cgtui.core.graph import Graph
from cgtui.core.text import printable

#: The exit status after an unexpected error.
EXIT_CRASH = 1


def plain(text: object) -> Text:
    """``text`` as Rich text that is never parsed as markup."""
    return Text(printable(str(text)))


def recovery_name(now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    return f"cgtui-recovery-{stamp}.yaml"


def write_recovery(graph: Graph, directories: list[Path] | None = None) -> Path | None:
    """Write ``graph`` (with its current values) to a new recovery file; its path, or None
    when no directory could take it. Never raises: it runs while the app is failing."""
    from cgtui.lang.saving import save_graph

    name = recovery_name()
    for directory in directories or [Path.cwd(), Path(tempfile.gettempdir())]:
        stem = name.removesuffix(".yaml")
        for n in range(100):
            path = directory / (name if n == 0 else f"{stem}-{n}.yaml")
            if path.exists():
                continue
            try:
                save_graph(graph, path, any_size=True)
            except Exception:
                break
            return path.resolve()
    return None


def recovery_note(path: Path | None) -> str:
    if path is None:
        return "cgtui: the explorer stopped on an unexpected error, and the graph could not be saved"
    return (
        "cgtui: the explorer stopped on an unexpected error; "
        f"your graph and its current values are saved in {printable(str(path))}"
    )


def report(path: Path | None) -> None:
    print(recovery_note(path), file=sys.stderr)


def save_suggestion(source: str, sandbox: Sandbox | None = None) -> str:
    """The file name the save dialog offers: the graph's own file, except a bundled
    sample (or, in a served session, a file outside its folder), which is saved as a copy
    of the same name in the working directory."""
    from cgtui.lang.samples import samples_dir

    if not source.endswith((".yaml", ".yml")):
        return "graph.yaml"
    try:
        bundled = Path(source).resolve().parent == samples_dir().resolve()
    except (OSError, RuntimeError):
        bundled = False
    outside = sandbox is not None and sandbox.folder is not None and not sandbox.inside(Path(source))
    return Path(source).name if bundled or outside else source


class Sandbox:
    """Where a served session may open and save files: inside ``folder`` only (paths are
    resolved, symbolic links followed, before they are checked), and nowhere when
    ``read_only`` for saving. ``Sandbox(None)`` is a local session: no limits."""

    def __init__(self, folder: Path | None, *, read_only: bool = False) -> None:
        self.folder = folder.resolve() if folder is not None else None
        self.read_only = read_only

    def inside(self, path: Path) -> bool:
        assert self.folder is not None
        try:
            return path.resolve().is_relative_to(self.folder)
        except (OSError, RuntimeError, ValueError):
            return False

    def check_open(self, source: str) -> None:
        """Refuse a file outside the folder (expression text is not a file and passes)."""
        from cgtui.core.errors import CgtuiError
        from cgtui.lang.files import YAML_SUFFIXES, path_kind

        if self.folder is None:
            return
        if source == "-":
            raise CgtuiError("a served session cannot read standard input")
        is_file = source.endswith(YAML_SUFFIXES) or path_kind(source) is not None
        if is_file and not self.inside(Path(source)):
            raise CgtuiError(f"this served session opens files only inside {self.folder}")

    def check_save(self, path: str) -> None:
        from cgtui.core.errors import CgtuiError

        if self.read_only:
            raise CgtuiError("saving is turned off in this session (the server runs read-only)")
        if self.folder is not None and not self.inside(Path(path)):
            raise CgtuiError(f"this served session saves only inside {self.folder}")

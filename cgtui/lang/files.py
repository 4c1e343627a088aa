"""Reading graph sources from disk and standard input, with a size limit."""

from __future__ import annotations

import sys
from pathlib import Path

from cgtui.core.errors import CgtuiError

#: Expression files and YAML documents larger than this are refused.
MAX_SOURCE_BYTES = 5 * 1024 * 1024

YAML_SUFFIXES = (".yaml", ".yml")
#: Suffixes that mark SOURCE as a file of expression text (any existing file is one).
TEXT_SUFFIXES = (".txt", ".expr")


def read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise CgtuiError(f"{path} is {size:,} bytes; the limit is {MAX_SOURCE_BYTES:,}")
        data = path.read_bytes()
    except OSError as exc:
        raise CgtuiError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CgtuiError(f"{path} is not UTF-8 text (byte {exc.start})") from None


def read_stdin() -> str:
    """Standard input as text: at most the size limit is read, and it must be UTF-8."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # replaced by a text stream (tests)
        return str(sys.stdin.read(MAX_SOURCE_BYTES + 1))
    data: bytes = stream.read(MAX_SOURCE_BYTES + 1)
    if len(data) > MAX_SOURCE_BYTES:
        raise CgtuiError(f"standard input is larger than the limit of {MAX_SOURCE_BYTES:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CgtuiError(f"standard input is not UTF-8 text (byte {exc.start})") from None


def path_kind(source: str) -> str | None:
    """'file' or 'dir' if SOURCE names one, else None. Expression text is often no valid
    path at all (too long, a NUL byte), which is simply not a path."""
    if "\n" in source or not source:
        return None
    try:
        path = Path(source)
        if path.is_file():
            return "file"
        if path.is_dir():
            return "dir"
    except (OSError, ValueError):
        return None
    return None

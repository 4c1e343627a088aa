"""Reading graph sources from disk and standard input, with a size limit.

Only regular files are read: a device (``/dev/zero``), a FIFO or a socket is refused before
it is opened (opening a FIFO waits for a writer; a device reports size 0 and never ends),
and the limit is enforced on the bytes read, not on the size the file system reports.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from cgtui.core.errors import CgtuiError

#: Expression files and YAML documents larger than this are refused.
MAX_SOURCE_BYTES = 5 * 1024 * 1024

YAML_SUFFIXES = (".yaml", ".yml")
#: Suffixes that mark SOURCE as a file of expression text (any existing file is one).
TEXT_SUFFIXES = (".txt", ".expr")


def special_kind(mode: int) -> str | None:
    """What a non-regular file is (``a FIFO``, ``a character device``...), None for a
    regular file or a directory."""
    for test, name in (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return "not a regular file"


def read_bytes_capped(path: Path, limit: int, what: str | None = None) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Anything else (a directory, a device, a FIFO, a socket) is refused with a message that
    says what it is; a file that grows past ``limit`` while it is read is refused too.
    Errors from the file system (missing, unreadable) are left to the caller as OSError.
    """
    shown = what or str(path)
    kind = special_kind(os.stat(path).st_mode)
    if kind is not None:
        raise CgtuiError(f"{shown} is {kind}, not a regular file; only regular files are read")
    if path.is_dir():
        raise CgtuiError(f"{shown} is a directory, not a file")
    # O_NONBLOCK: should the path be swapped for a FIFO after the check, opening it must
    # not wait for a writer; fstat on the open file then refuses it.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        status = os.fstat(f.fileno())
        kind = special_kind(status.st_mode)
        if kind is not None:
            raise CgtuiError(f"{shown} is {kind}, not a regular file; only regular files are read")
        if status.st_size > limit:
            raise CgtuiError(f"{shown} is {status.st_size:,} bytes; the limit is {limit:,}")
        data = f.read(limit + 1)  # the cap holds even if the file grows meanwhile
    if len(data) > limit:
        raise CgtuiError(f"{shown} is more than {limit:,} bytes; the limit is {limit:,}")
    return data


def read_text(path: Path) -> str:
    try:
        data = read_bytes_capped(path, MAX_SOURCE_BYTES)
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
    """'file' or 'dir' if SOURCE names one, 'special' for anything else that exists (a
    device, a FIFO: refused by :func:`read_text`), else None. Expression text is often no
    valid path at all (too long, a NUL byte), which is simply not a path."""
    if "\n" in source or not source:
        return None
    try:
        mode = os.stat(source).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    return "special"

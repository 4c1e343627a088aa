"""``cgtui serve [SOURCE]``: serve the explorer to a web browser with textual-serve.

The graph is loaded and checked here first, so a bad SOURCE is an error (exit 2) before
any server starts; each browser session then runs ``python -m cgtui --sandbox DIR -- SOURCE
...`` with the same options, in DIR.

Every browser session opens and saves files only inside one folder, the sandbox: the one
``--dir`` names, else a fresh temporary folder for this server. ``--read-only`` turns
saving off. The server listens on localhost unless ``--host`` says otherwise; on any
other address it warns and runs read-only unless ``--allow-write DIR`` is given (which
is then the sandbox). Sessions watch the server: when it stops (ctrl+c, SIGTERM, or
killed), every session's app ends within a second or so.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shlex
import sys
import tempfile
import threading
import time
from pathlib import Path

from cgtui.commands.common import add_source_arguments, graph_from_args
from cgtui.lang.samples import default_sample

#: The environment variable that gives a session its server's process id.
SERVER_PID = "CGTUI_SERVER_PID"

#: Seconds a stopping server gives its sessions before it exits anyway.
STOP_GRACE = 3.0

#: How often a session checks that its server is still there (seconds).
WATCH_INTERVAL = 0.5


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p, source_optional=True)
    p.add_argument("--output", metavar="NAME", help="the output to differentiate")
    p.add_argument("--host", default="localhost", help="address to listen on (default: localhost)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    p.add_argument(
        "--dir",
        metavar="DIR",
        help="the folder sessions open and save files in (default: a fresh temporary folder)",
    )
    p.add_argument("--read-only", action="store_true", help="sessions cannot save files")
    p.add_argument(
        "--allow-write",
        metavar="DIR",
        help="on an address other than localhost, let sessions save in DIR (else read-only)",
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def session_settings(args: argparse.Namespace) -> tuple[Path, bool, str | None]:
    """(sandbox folder, read-only, warning or None) for the sessions of this server."""
    from cgtui.core.errors import CgtuiError

    warning = None
    read_only = bool(args.read_only)
    folder = args.allow_write or args.dir
    if args.allow_write and args.dir and Path(args.allow_write).resolve() != Path(args.dir).resolve():
        raise CgtuiError("--dir and --allow-write name different folders; give one")
    if not is_loopback(args.host) and not args.allow_write and not read_only:
        read_only = True
        warning = (
            f"cgtui: warning: serving on {args.host}, which other machines can reach: sessions are "
            "read-only (--allow-write DIR lets them save in DIR)"
        )
    if folder is None:
        sandbox = Path(tempfile.mkdtemp(prefix="cgtui-serve-"))
    else:
        sandbox = Path(folder).resolve()
        if not sandbox.is_dir():
            raise CgtuiError(f"{folder} is not a folder")
    return sandbox, read_only, warning


def app_command(args: argparse.Namespace, sandbox: Path | None = None, read_only: bool = False) -> str:
    """The shell command each browser session runs: in the sandbox, with every option
    before ``--`` and SOURCE after it (so ``-x*y`` or a source named ``steps`` is SOURCE)."""
    from cgtui.core.errors import CgtuiError
    from cgtui.lang.files import path_kind

    source = args.source if args.source is not None else str(default_sample())
    if source == "-":
        raise CgtuiError("cgtui serve cannot read standard input; give a file or an expression")
    if path_kind(source) is not None or source.endswith((".yaml", ".yml")):
        source = str(Path(source).resolve())  # sessions run in the sandbox
    argv = [sys.executable, "-m", "cgtui"]
    if sandbox is not None:
        argv += ["--sandbox", str(sandbox)]
    if read_only:
        argv.append("--read-only")
    for option in ("at", "param", "label", "const"):
        for value in getattr(args, option):
            argv.append(f"--{option}={value}")
    if args.tree:
        argv.append("--tree")
    if args.output:
        argv.append(f"--output={args.output}")
    argv += ["--", source]
    command = shlex.join(argv)
    if sandbox is not None:
        server = f"{SERVER_PID}={os.getpid()}"
        command = f"cd {shlex.quote(str(sandbox))} && {server} exec {command}"
    return command


def watch_parent(interval: float = WATCH_INTERVAL) -> None:
    """End this process soon after its parent (the server) is gone: a daemon thread
    notices the parent change and exits, so no session outlives its server."""
    given = os.environ.get(SERVER_PID, "")
    parent = int(given) if given.isdigit() else os.getppid()

    def watch() -> None:
        while True:
            if os.getppid() != parent:  # the server is gone (even before we got here)
                os._exit(0)
            time.sleep(interval)

    threading.Thread(target=watch, name="cgtui-watch-server", daemon=True).start()


def run(args: argparse.Namespace) -> int:
    from cgtui.core.errors import CgtuiError
    from cgtui.core.text import printable
    from cgtui.engine.engine import Stepper

    if not 0 < args.port < 65536:
        raise CgtuiError(f"--port must be between 1 and 65535, got {args.port}")
    app_command(args)  # checks SOURCE before anything is created
    graph = graph_from_args(args, default=str(default_sample()))
    Stepper(graph, args.output)  # checks --output
    sandbox, read_only, warning = session_settings(args)
    command = app_command(args, sandbox, read_only)

    _StoppingServer = _server_class()
    if warning:
        print(warning, file=sys.stderr)
    mode = "read-only" if read_only else "open and save"
    print(
        f"cgtui: serving the explorer at http://{args.host}:{args.port} (ctrl+c stops); "
        f"sessions {mode} files in {printable(str(sandbox))}",
        file=sys.stderr,
    )
    title = f"cgtui: {printable(graph.title or args.source or 'explorer')}"
    _StoppingServer(command, host=args.host, port=args.port, title=title).serve()
    return 0


def _stop_soon(grace: float) -> None:
    """End this process after ``grace`` seconds, however the shutdown is going: a server
    that waits on its sessions never outlives a ctrl+c or SIGTERM by long."""

    def stop() -> None:
        time.sleep(grace)
        os._exit(0)

    threading.Thread(target=stop, name="cgtui-stop-server", daemon=True).start()


def _server_class() -> type:
    from textual_serve.server import Server

    class StoppingServer(Server):
        def request_exit(self) -> None:
            _stop_soon(STOP_GRACE)
            super().request_exit()

    return StoppingServer


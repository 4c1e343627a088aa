"""cgtui serve: the command each session runs, the sandbox it opens and saves in, and a
real server whose sessions end when it stops."""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cgtui.app.safety import Sandbox
from cgtui.app.serve import app_command, session_settings
from cgtui.cli import app_parser, build_parser
from cgtui.core.errors import CgtuiError

ROOT = Path(__file__).resolve().parent.parent


def serve_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", *argv])


def session_argv(command: str) -> list[str]:
    """The arguments after ``python -m cgtui`` in a session's shell command."""
    words = shlex.split(command)
    if "exec" in words:
        words = words[words.index("exec") + 1 :]
    assert words[1:3] == ["-m", "cgtui"]
    return words[3:]


@pytest.mark.parametrize("source", ["-x*y", "steps", "--help", "x * y"])
def test_a_session_command_line_gives_the_source_back(source: str, tmp_path: Path) -> None:
    args = serve_args("--at", "x=1", "--", source)
    for sandbox in (None, tmp_path):
        argv = session_argv(app_command(args, sandbox))
        parsed = app_parser().parse_args(argv)
        assert parsed.source == source and parsed.at == ["x=1"]
        assert argv[0] != source  # never read as a command name


def test_the_explorer_accepts_a_leading_minus_after_double_dash() -> None:
    assert app_parser().parse_args(["--", "-x*y"]).source == "-x*y"
    assert build_parser().parse_args(["grad", "--", "-x*y"]).source == "-x*y"


def test_a_relative_source_file_is_given_to_sessions_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "g.yaml").write_text("expression: x*y\ninputs: {x: 1, y: 2}\n")
    argv = session_argv(app_command(serve_args("g.yaml"), tmp_path / "elsewhere"))
    assert argv[-1] == str(tmp_path / "g.yaml")


def test_a_public_host_is_read_only_unless_writing_is_allowed(tmp_path: Path) -> None:
    folder, read_only, warning = session_settings(serve_args("--host", "0.0.0.0"))
    assert read_only and warning is not None and "read-only" in warning
    assert folder.is_dir() and folder.name.startswith("cgtui-serve-")
    public = serve_args("--host", "0.0.0.0", "--allow-write", str(tmp_path))
    folder, read_only, warning = session_settings(public)
    assert not read_only and warning is None and folder == tmp_path.resolve()
    local = serve_args("--host", "127.0.0.1", "--dir", str(tmp_path))
    folder, read_only, warning = session_settings(local)
    assert not read_only and warning is None and folder == tmp_path.resolve()
    _, read_only, _ = session_settings(serve_args("--read-only"))
    assert read_only
    command = app_command(serve_args(), tmp_path, True)
    assert "--read-only" in session_argv(command) and f"--sandbox {tmp_path}" in command


def test_the_sandbox_keeps_sessions_inside_its_folder(tmp_path: Path) -> None:
    inside = tmp_path / "box"
    inside.mkdir()
    (inside / "g.yaml").write_text("expression: x\n")
    secret = tmp_path / "secret.yaml"
    secret.write_text("expression: x\n")
    (inside / "link.yaml").symlink_to(secret)
    box = Sandbox(inside)
    box.check_open(str(inside / "g.yaml"))
    box.check_open("x * y")  # expression text is no file
    for bad in (str(secret), str(inside / ".." / "secret.yaml"), str(inside / "link.yaml"), "/etc/passwd"):
        with pytest.raises(CgtuiError, match="only inside"):
            box.check_open(bad)
    box.check_save(str(inside / "new.yaml"))
    for bad in (str(tmp_path / "new.yaml"), str(inside / "link.yaml"), "/tmp/x.yaml"):
        with pytest.raises(CgtuiError, match="only inside"):
            box.check_save(bad)
    with pytest.raises(CgtuiError, match="turned off"):
        Sandbox(inside, read_only=True).check_save(str(inside / "new.yaml"))


# --- a real server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def open_session(port: int) -> object:
    import aiohttp

    session = aiohttp.ClientSession()
    ws = await session.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24")
    return session, ws


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_no_session_outlives_the_server(tmp_path: Path, stop: signal.Signals) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "cgtui", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--dir", str(tmp_path), "x * y", "--at", "x=1,y=2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    loop = asyncio.new_event_loop()
    clients: list[Any] = []
    try:
        for _ in range(300):  # wait for the port, at most ~30 s on a busy machine
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        for _ in range(2):
            clients.append(loop.run_until_complete(open_session(port)))
        sessions: list[int] = []
        for _ in range(300):
            sessions = children_of(server.pid)
            if len(sessions) >= 2:
                break
            time.sleep(0.1)
        assert len(sessions) >= 2, "no session started"
        server.send_signal(stop)
        server.wait(timeout=30)
        for _ in range(300):  # a few seconds; at most 30 on a busy machine
            if not any(alive(pid) for pid in sessions):
                break
            time.sleep(0.1)
        assert not any(alive(pid) for pid in sessions)
    finally:
        for session, ws in clients:
            loop.run_until_complete(ws.close())
            loop.run_until_complete(session.close())
        loop.close()
        if server.poll() is None:
            server.kill()
            server.wait()

"""Pathological inputs that the loader accepts, at any scale, and a way to run cgtui on them
in a child process under a memory cap. Shared by tests/test_hostile.py and
benchmarks/bench_hostile.py (which runs them at the sizes of the original reports)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ladder_text(levels: int) -> str:
    """The diamond ladder ``a_{k+1} = tanh(a_k*a_k + a_k)``: 3^levels paths from a0."""
    return "\n".join(f"a{k + 1} = tanh(a{k}*a{k} + a{k})" for k in range(levels)) + "\n"


def long_names_text(leaves: int, width: int) -> str:
    """A sum of products of leaves whose names are ``width`` characters long."""
    names = [f"{'v' * (width - 6)}{k:06d}" for k in range(leaves)]
    return " + ".join(f"tanh({a}*{b})" for a, b in zip(names[::2], names[1::2], strict=False)) + "\n"


def relu_chain_text(depth: int) -> str:
    """``relu(relu(...relu(x)...))`` nested ``depth`` deep."""
    return "relu(" * depth + "x" + ")" * depth + "\n"


def shared_chain_text(depth: int) -> str:
    """Each level uses the one below twice: a tree written out would double per level."""
    return "\n".join(f"b{k + 1} = b{k} * b{k} + 1" for k in range(depth)) + "\n"


def long_names_yaml(leaves: int, width: int) -> str:
    """:func:`long_names_text` as a YAML graph that gives every leaf a value."""
    names = [f"{'v' * (width - 6)}{k:06d}" for k in range(leaves)]
    # explicit keys ('? key'): YAML allows at most 1,024 characters in a plain one
    inputs = "".join(f"  ? {name}\n  : {0.1 + k / leaves:.4f}\n" for k, name in enumerate(names))
    return "inputs:\n" + inputs + "expression: |\n  " + long_names_text(leaves, width)


def wide_text(terms: int) -> str:
    """``x*1 + x*2 + ...``: one leaf used ``terms`` times (a node with that many successors)."""
    return " + ".join(f"tanh(x*{k})" for k in range(1, terms + 1)) + "\n"


def minus_text(count: int) -> str:
    """``---...---x``: ``count`` minus signs."""
    return "-" * count + "x\n"


def empty_lists_yaml(count: int) -> str:
    """A valid graph whose quiz section (not used by most commands) holds ``count`` empty lists."""
    return "inputs: {x: 1.5}\nsteps:\n  y: x * x\noutput: y\nquiz:\n" + "- []\n" * count


def params_yaml(count: int) -> str:
    """A graph with ``count`` params and one data row: ``L = (sum of w_k * x - y)^2``."""
    terms = " + ".join(f"w{k}" for k in range(count))
    params = ", ".join(f"w{k}: 0.001" for k in range(count))
    return (
        f"inputs: {{x: 1}}\nlabels: {{y: 1}}\nparams: {{{params}}}\n"
        f"expression: |\n  s = x * ({terms})\n  L = (s - y)**2\n"
        "data: [{x: 1, y: 0.5}]\ntraining: {lr: 0.000001, steps: 3}\n"
    )


def cycle_text(steps: int) -> str:
    """A YAML graph whose ``steps`` steps use each other in one cycle."""
    lines = [f"  v{k}: tanh(v{(k + 1) % steps})" for k in range(steps)]
    return "steps:\n" + "\n".join(lines) + "\noutput: v0\n"


def data_file_yaml(path: str) -> str:
    """A trainable graph whose data rows come from ``path``."""
    return (
        "inputs: {x: 1}\nlabels: {y: 2}\nparams: {w: 0.5}\n"
        f"expression: |\n  L = (w*x - y)**2\ndata: {{file: {path}}}\n"
    )


@dataclass
class Run:
    code: int | None  # None: killed by the timeout
    out: str
    err: str
    seconds: float
    peak_mib: float  # the child's peak resident memory
    cpu: float = float("nan")  # the child's user + system seconds (less noisy than wall time)


def run_capped(
    args: list[str],
    *,
    cap_mib: int = 1024,
    timeout: float = 120.0,
    cwd: Path | None = None,
    stdin: str | None = None,
    root: Path = ROOT,
) -> Run:
    """``python -m cgtui ARGS`` in a child with its address space capped at ``cap_mib``."""

    def limit() -> None:
        cap = cap_mib * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = {**os.environ, "PYTHONPATH": str(root), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, *args],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=limit,
            cwd=cwd,
            env=env,
            check=False,
        )
        code: int | None = done.returncode
        out, err = done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        code = None
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = float("nan")
    head, marker, tail = err.rpartition(_MARKER)
    if marker:
        peak = int(tail.split()[0]) / 1024
        err = head.rstrip("\n") + ("\n" if head.strip() else "")
    return Run(code, out, err, seconds, peak, cpu)


_MARKER = "\n@@cgtui-peak-kib "
#: The child: ``python -m cgtui`` that reports its own peak resident memory on exit.
_CHILD = f"""
import atexit, resource, sys
def peak():  # VmHWM is this process's own peak; ru_maxrss also counts the parent's before exec
    try:
        return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
atexit.register(lambda: sys.stderr.write({_MARKER!r} + str(peak())))
from cgtui.cli import main
sys.exit(main(sys.argv[1:]))
"""

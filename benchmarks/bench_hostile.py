"""Hostile and huge inputs: every command's time and peak memory against issue 12's target.

    python benchmarks/bench_hostile.py [--scale S] [--cap MIB] [--timeout SEC] [--budget SEC]
                                       [--growth] [--root TREE] [CASE ...]

Each case writes an input and runs ``cgtui`` on it in a child whose address space is
capped at ``--cap`` MiB (default 1024, the target), one child at a time. Two kinds:

* files the loader must refuse (a device, a FIFO, 5 MB of ``-``, a 100,000-step cycle,
  a YAML of a million empty lists): a clear message, at once;
* valid pathological graphs (the 100,000-level diamond ladder, 30,000-character names,
  a relu chain 120,000 deep, a chain that uses each level twice, one leaf used 100,000
  times, 100,000 params), each run through every command: steps, grad, paths, check,
  export in every format, draw, draw --outline, jvp, jacobian, hessian, hvp,
  backward-graph and train.

``--scale 1`` is the size of the original reports; the default 0.2 keeps a run short
(the whole matrix at scale 1 takes about an hour on a quiet machine: pass CASE words to
run part of it, e.g. ``ladder`` or ``export``). A case **meets** the target when it
exits 0, 2 or 3 (done, refused, numerical fault) with no traceback, within the cap, in
at most ``--budget`` CPU seconds at scale 1 (scaled linearly, at least 5 s). Status
``MEM`` means the child died of the cap, ``TIME`` the timeout, ``CRASH`` a traceback.
``--growth`` also runs each case at half the scale and prints how its CPU time grew
(about 2 when linear). ``--root`` runs another checkout (for before/after figures).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import hostile_inputs as h

Maker = Callable[[float, Path], list[str]]  # (scale, folder) -> the command line


def _write(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.write_text(text)
    return str(path)


def _fifo(tmp: Path) -> str:
    path = tmp / "pipe.yaml"
    if not path.exists():
        os.mkfifo(path)
    return str(path)


@dataclass(frozen=True)
class Shape:
    """A valid pathological graph: its file, the values it needs, a leaf to start from."""

    name: str
    write: Callable[[float, Path], str]  # (scale, folder) -> path
    at: tuple[str, ...] = ()  # --at NAME=VALUE for the leaves without a value
    leaf: str = "x"  # for paths --from, jvp --tangent, hvp --vector
    param: str = ""  # a leaf that train may make a param ("" when the file declares params)


def _n(base: int, scale: float, least: int = 10) -> int:
    return max(least, int(base * scale))


FIRST_NAME = "v" * (30_000 - 6) + "000000"  # long_names_yaml's first leaf at full width

SHAPES = [
    Shape(
        "ladder",
        lambda s, t: _write(t, "ladder.txt", h.ladder_text(_n(100_000, s))),
        ("--at", "a0=0.3"),
        "a0",
        "a0",
    ),
    Shape(
        "long names",
        lambda s, t: _write(t, "names.yaml", h.long_names_yaml(60, 30_000)),
        leaf=FIRST_NAME,
        param=FIRST_NAME,
    ),
    Shape(
        "relu chain",
        lambda s, t: _write(t, "relu.txt", h.relu_chain_text(_n(120_000, s))),
        ("--at", "x=0.5"),
        param="x",
    ),
    Shape(
        "shared chain",
        lambda s, t: _write(t, "shared.txt", h.shared_chain_text(_n(100_000, s))),
        ("--at", "b0=0.1"),
        "b0",
        "b0",
    ),
    Shape(
        "wide",
        lambda s, t: _write(t, "wide.txt", h.wide_text(_n(100_000, s))),
        ("--at", "x=0.001"),
        param="x",
    ),
    Shape("params", lambda s, t: _write(t, "params.yaml", h.params_yaml(_n(100_000, s))), leaf="w0"),
]

EXPORTS = ("yaml", "json", "dot", "mermaid", "markdown", "latex", "numpy", "pytorch", "jax")


def commands(shape: Shape) -> list[tuple[str, list[str]]]:
    """Every command on one shape: (label, arguments after the source)."""
    at = list(shape.at)
    run = [
        ("steps", at),
        ("grad", at),
        ("paths", [*at, "--from", shape.leaf]),
        ("check", at),
        *((f"export {f}", [*at, "--format", f]) for f in EXPORTS),
        ("draw", at),
        ("draw --outline", [*at, "--outline"]),
        ("jvp", [*at, "--tangent", f"{shape.leaf}=1"]),
        ("jacobian", at),
        ("hessian", at),
        ("hvp", [*at, "--vector", f"{shape.leaf}=1"]),
        ("backward-graph", at),
        ("train", [*at, "--steps", "3", *(["--param", shape.param] if shape.param else [])]),
    ]
    return run


def _argv(label: str, source: str, rest: list[str]) -> list[str]:
    verb = label.split()[0]
    return [verb, source, *rest]


def cases() -> list[tuple[str, Maker]]:
    refused: list[tuple[str, Maker]] = [
        ("refuse: data /dev/zero: train", lambda s, t: [
            "train", _write(t, "z.yaml", h.data_file_yaml("/dev/zero"))]),
        ("refuse: data FIFO: train", lambda s, t: [
            "train", _write(t, "f.yaml", h.data_file_yaml(_fifo(t)))]),
        ("refuse: SOURCE FIFO: steps", lambda s, t: ["steps", _fifo(t)]),
        ("refuse: SOURCE /dev/zero: steps", lambda s, t: ["steps", "/dev/zero"]),
        ("refuse: 5 MB of '-': steps", lambda s, t: [
            "steps", _write(t, "minus.txt", h.minus_text(int(5e6 * s)))]),
        ("refuse: 100,000-step cycle: steps", lambda s, t: [
            "steps", _write(t, "cycle.yaml", h.cycle_text(_n(100_000, s)))]),
        ("YAML of empty lists: grad", lambda s, t: [
            "grad", _write(t, "empty.yaml", h.empty_lists_yaml(int(1_000_000 * s)))]),
        ("ladder/5: paths --top 10000", lambda s, t: [
            "paths", _write(t, "l5.txt", h.ladder_text(_n(3_500, s))), "--from", "a0",
            "--at", "a0=0.3", "--top", "10000"]),
        ("long names: draw --all", lambda s, t: [
            "draw", _write(t, "names.txt", h.long_names_text(140, _n(30_000, s, 50))), "--all"]),
    ]
    matrix: list[tuple[str, Maker]] = []
    for shape in SHAPES:
        for label, rest in commands(shape):

            def make(
                s: float, t: Path, shape: Shape = shape, label: str = label, rest: list[str] = rest
            ) -> list[str]:
                return _argv(label, shape.write(s, t), rest)

            matrix.append((f"{shape.name}: {label}", make))
    return refused + matrix


def _status(r: h.Run) -> str:
    if r.code is None:
        return "TIME"
    if "MemoryError" in r.err:
        return "MEM"
    if "Traceback" in r.err:
        return "CRASH"
    return str(r.code)


def _measure(make: Maker, scale: float, args: argparse.Namespace) -> h.Run:
    with tempfile.TemporaryDirectory() as tmp:
        argv = make(scale, Path(tmp))
        return h.run_capped(argv, cap_mib=args.cap, timeout=args.timeout, root=args.root, cwd=Path(tmp))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.2)
    ap.add_argument("--cap", type=int, default=1024, help="address-space cap and memory target, MiB")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--budget", type=float, default=60, help="CPU seconds allowed at scale 1")
    ap.add_argument("--growth", action="store_true", help="also run at half scale: CPU time ratio")
    ap.add_argument("--root", type=Path, default=h.ROOT)
    ap.add_argument("only", nargs="*", help="run only the cases whose name contains one of these")
    args = ap.parse_args()
    budget = max(5.0, args.budget * args.scale)
    print(f"scale {args.scale}, cap {args.cap} MiB, CPU budget {budget:.0f} s, tree {args.root}")
    growth = f" {'growth':>6}" if args.growth else ""
    head = f"{'case':<38} {'status':>6} {'wall s':>7} {'CPU s':>6} {'MiB':>5}{growth}"
    print(f"{head}  target  output / message")
    met = missed = 0
    for name, make in cases():
        if args.only and not any(o in name for o in args.only):
            continue
        r = _measure(make, args.scale, args)
        status = _status(r)
        reasons = [
            why
            for why, bad in (
                ("status", status not in ("0", "2", "3")),
                ("memory", not r.peak_mib <= args.cap),
                ("time", not r.cpu <= budget),
            )
            if bad
        ]
        ratio = ""
        if args.growth:
            half = _measure(make, args.scale / 2, args)
            x = r.cpu / half.cpu if half.cpu > 0 else math.nan
            ratio = f" {x:6.1f}"
            if x > 3 and r.cpu > 2:
                reasons.append("growth")
        verdict = "met" if not reasons else "missed (" + ", ".join(reasons) + ")"
        met += not reasons
        missed += bool(reasons)
        message = (r.err.strip().splitlines() or [""])[-1][:60]
        print(
            f"{name[:38]:<38} {status:>6} {r.seconds:7.1f} {r.cpu:6.1f} {r.peak_mib:5.0f}{ratio}  "
            f"{verdict}  {len(r.out):,} chars out; {message}",
            flush=True,
        )
    print(f"{met} met, {missed} missed")


if __name__ == "__main__":
    main()

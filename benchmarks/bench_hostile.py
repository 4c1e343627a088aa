"""Hostile and huge inputs: peak memory and time of each command, in a capped child process.

    python benchmarks/bench_hostile.py [--scale S] [--cap MIB] [--timeout SEC] [--root TREE] [CASE ...]

Each case writes a pathological input that the loader accepts (or a device or FIFO that
it must refuse) and runs ``cgtui`` on it in a child whose address space is capped at
``--cap`` MiB (default 1024, the target), printing the exit status, seconds and peak
resident memory. ``--scale 1`` is the size of the original reports (a 100,000-level
ladder, 5 MB of ``-``...); the default 0.2 keeps a run to a few minutes. ``--root``
runs another checkout (for before/after figures). A status of ``MEM`` means the child
died of the cap (MemoryError), ``TIME`` the timeout.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import hostile_inputs as h

Case = tuple[str, Callable[[float, Path], list[str]]]
AT = ["--at", "a0=0.3"]


def _write(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.write_text(text)
    return str(path)


def cases() -> list[Case]:
    def ladder(s: float, t: Path) -> str:
        return _write(t, "ladder.txt", h.ladder_text(max(10, int(100_000 * s))))

    def names(s: float, t: Path) -> str:
        return _write(t, "names.txt", h.long_names_text(140, max(50, int(30_000 * s))))

    def relu(s: float, t: Path) -> str:
        return _write(t, "relu.txt", h.relu_chain_text(max(10, int(120_000 * s))))

    def fifo(s: float, t: Path) -> str:
        path = t / "pipe.yaml"
        if not path.exists():
            os.mkfifo(path)
        return str(path)

    return [
        ("data /dev/zero: train", lambda s, t: ["train", _write(t, "z.yaml", h.data_file_yaml("/dev/zero"))]),
        ("data FIFO: train", lambda s, t: ["train", _write(t, "f.yaml", h.data_file_yaml(fifo(s, t)))]),
        ("SOURCE FIFO: steps", lambda s, t: ["steps", fifo(s, t)]),
        ("SOURCE /dev/zero: steps", lambda s, t: ["steps", "/dev/zero"]),
        ("ladder: paths --from a0", lambda s, t: ["paths", ladder(s, t), "--from", "a0", *AT]),
        ("ladder: export markdown", lambda s, t: ["export", ladder(s, t), "--format", "markdown", *AT]),
        ("ladder: export latex", lambda s, t: ["export", ladder(s, t), "--format", "latex", *AT]),
        ("ladder/5: paths --top 10000", lambda s, t: [
            "paths", _write(t, "l5.txt", h.ladder_text(max(10, int(700 * s * 5)))), "--from", "a0",
            "--at", "a0=0.3", "--top", "10000"]),
        ("long names: draw", lambda s, t: ["draw", names(s, t)]),
        ("long names: draw --all", lambda s, t: ["draw", names(s, t), "--all"]),
        ("relu chain: draw --outline", lambda s, t: ["draw", relu(s, t), "--outline"]),
        ("5 MB of '-' (scaled): steps", lambda s, t: [
            "steps", _write(t, "minus.txt", h.minus_text(int(5e6 * s)))]),
        ("YAML of empty lists: grad", lambda s, t: [
            "grad", _write(t, "empty.yaml", h.empty_lists_yaml(int(1_000_000 * s)))]),
        ("100,000 params (scaled): train", lambda s, t: [
            "train", _write(t, "params.yaml", h.params_yaml(max(10, int(100_000 * s))))]),
        ("100,000-step cycle (scaled): steps", lambda s, t: [
            "steps", _write(t, "cycle.yaml", h.cycle_text(max(10, int(100_000 * s))))]),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.2)
    ap.add_argument("--cap", type=int, default=1024)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--root", type=Path, default=h.ROOT)
    ap.add_argument("only", nargs="*", help="run only the cases whose name contains one of these")
    args = ap.parse_args()
    print(f"scale {args.scale}, cap {args.cap} MiB, tree {args.root}")
    print(f"{'case':<38} {'status':>6} {'seconds':>8} {'peak MiB':>9}  output / message")
    for name, make in cases():
        if args.only and not any(o in name for o in args.only):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            argv = make(args.scale, Path(tmp))
            r = h.run_capped(argv, cap_mib=args.cap, timeout=args.timeout, root=args.root)
        status = "TIME" if r.code is None else ("MEM" if "MemoryError" in r.err else str(r.code))
        message = (r.err.strip().splitlines() or [""])[-1][:60]
        print(
            f"{name:<38} {status:>6} {r.seconds:8.1f} {r.peak_mib:9.0f}  "
            f"{len(r.out):,} chars out; {message}",
            flush=True,
        )


if __name__ == "__main__":
    main()

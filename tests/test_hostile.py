"""Hostile and huge inputs (issue 12, "Memory and time that grow without bound").

Each finding has a test here that failed before its fix. Inputs are kept small: where the
original report needed gigabytes, the test checks a bound that the old code breaks (the
size of every stored count, the width of every line, a limit lowered with monkeypatch),
and a capped child process runs every command on the pathological shapes. Figures at the
reported sizes are printed by benchmarks/bench_hostile.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import examples
from hostile_inputs import (
    cycle_text,
    data_file_yaml,
    empty_lists_yaml,
    ladder_text,
    long_names_text,
    minus_text,
    params_yaml,
    relu_chain_text,
    run_capped,
    shared_chain_text,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from cgtui.cli import main
from cgtui.core.errors import CgtuiError, chain_text, name_list, short_name
from cgtui.core.graph import Graph
from cgtui.engine import paths as paths_module
from cgtui.engine.engine import forward, leaf_values
from cgtui.engine.paths import (
    Cancelled,
    costs,
    count_paths,
    is_exact,
    path_counts_to,
    top_paths,
)
from cgtui.lang import build, yamlio
from cgtui.lang.build import from_expression
from cgtui.lang.files import path_kind, read_text
from cgtui.lang.source import load_source
from cgtui.learn.dataset import dataset_from_graph
from cgtui.teach.efficiency import derivative_sizes, format_count, node_efficiency, tree_sizes

ROOT = Path(__file__).resolve().parent.parent


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def no_hang(seconds: int = 20) -> Iterator[None]:
    """Fail instead of waiting forever (opening a FIFO blocked until a writer came)."""

    def stop(signum: int, frame: object) -> None:
        raise AssertionError(f"still waiting after {seconds} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# --- reading: only regular files, with the cap enforced while reading ---------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    return path


def test_a_fifo_source_is_refused_at_once(fifo: Path, tmp_path: Path) -> None:
    plain = tmp_path / "pipe"
    os.mkfifo(plain)
    with no_hang():
        for source in (fifo, plain):
            with pytest.raises(CgtuiError, match="is a FIFO"):
                load_source(str(source))
            code, _, err = cli("steps", str(source))
            assert code == 2 and "FIFO" in err and "no such file" not in err
    assert path_kind(str(fifo)) == "special"


def test_a_device_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CgtuiError, match="/dev/zero is a character device"):
        load_source("/dev/zero")
    with pytest.raises(CgtuiError, match="character device"):
        read_text(Path("/dev/zero"))
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")  # a symlink to a device is a device
    with pytest.raises(CgtuiError, match="character device"):
        load_source(str(link))


def test_a_fifo_data_file_is_refused(fifo: Path, tmp_path: Path) -> None:
    source = tmp_path / "g.yaml"
    source.write_text(data_file_yaml(str(fifo)))
    g = load_source(str(source))
    with no_hang(), pytest.raises(CgtuiError, match=r"data file .* is a FIFO"):
        dataset_from_graph(g)


def test_dev_zero_as_data_file_is_refused_within_a_memory_cap(tmp_path: Path) -> None:
    """It read 4 GB in 8 s, then died of MemoryError: the cap was checked on st_size (0)."""
    source = tmp_path / "g.yaml"
    source.write_text(data_file_yaml("/dev/zero"))
    r = run_capped(["train", str(source)], cap_mib=400, timeout=120)
    assert r.code == 2, r.err[-500:]
    assert "/dev/zero is a character device" in r.err and "Traceback" not in r.err


def test_the_byte_cap_holds_while_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cgtui.lang import files

    monkeypatch.setattr(files, "MAX_SOURCE_BYTES", 100)
    path = tmp_path / "big.txt"
    path.write_text("x + " * 100 + "x")
    with pytest.raises(CgtuiError, match="the limit is 100"):
        read_text(path)


# --- counts: exact while small, then rounded, never levels² memory ------------------------

LEVELS = 4000  # 3^4000 paths: 6,340 bits, beyond EXACT_BITS
Ladder = tuple[Graph, int, int]  # the graph, a0, the output


@pytest.fixture(scope="module")
def ladder() -> Ladder:
    g = from_expression(ladder_text(LEVELS), values={"a0": 0.3})
    return g, g.index["a0"], g.outputs[0]


def test_path_counts_are_bounded_in_size_and_right_in_size(ladder: Ladder) -> None:
    """Every node's exact count was kept: memory grew with levels² (6-8 GB at 100,000)."""
    g, a0, out = ladder
    counts = path_counts_to(g, out)
    biggest = max(sys.getsizeof(c) for c in counts)
    assert biggest <= sys.getsizeof(2**paths_module.EXACT_BITS)  # old: 3^4000 took 870 bytes
    exact = 3**LEVELS
    assert not is_exact(counts[a0]) and isinstance(counts[a0], Decimal)
    assert format_count(counts[a0]) == format_count(exact)  # same digits shown, same size
    assert abs(counts[a0] - Decimal(exact)) / Decimal(exact) < Decimal("1e-20")
    assert count_paths(g, a0, out) == counts[a0]
    small = g.index[f"a{LEVELS - 100}"]
    assert counts[small] == 3**100 and is_exact(counts[small])


def test_costs_and_sizes_are_bounded(ladder: Ladder) -> None:
    g, a0, out = ladder
    limit = sys.getsizeof(2**paths_module.EXACT_BITS)
    c = costs(g, a0, out)
    assert max(map(sys.getsizeof, (c.paths, c.enumeration_multiplications))) <= limit
    assert max(sys.getsizeof(n) for n in tree_sizes(g, symbol=a0)) <= limit
    assert max(sys.getsizeof(n) for n in derivative_sizes(g, a0, out)) <= limit
    e = node_efficiency(g, a0, out)
    assert "digits" in format_count(e.derivative_size)


def test_the_paths_command_says_the_count_is_rounded(tmp_path: Path) -> None:
    levels = 1_400  # 3^1400: 2,219 bits
    source = tmp_path / "ladder.txt"
    source.write_text(ladder_text(levels))
    code, out, err = cli("paths", str(source), "--from", "a0", "--at", "a0=0.3", "--top", "2", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["count"] == format_count(3**levels) and data["count"].endswith("(668 digits)")
    code, out, err = cli("paths", str(source), "--from", "a0", "--at", "a0=0.3", "--top", "2")
    assert code == 0 and err == ""
    assert out.splitlines()[0] == f"about {format_count(3**levels)} paths from a0 to a{levels} " + (
        "(rounded: too many to count exactly)"
    )


def test_workers_stop_when_cancelled(ladder: Ladder) -> None:
    g, a0, out = ladder
    values = forward(g, leaf_values(g))
    for job in (
        lambda: top_paths(g, values, a0, out, 5, cancel=lambda: True),
        lambda: costs(g, a0, out, cancel=lambda: True),
        lambda: path_counts_to(g, out, cancel=lambda: True),
        lambda: derivative_sizes(g, a0, out, cancel=lambda: True),
        lambda: node_efficiency(g, a0, out, cancel=lambda: True),
    ):
        with pytest.raises(Cancelled):
            job()


def test_top_paths_stay_within_the_candidate_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """--top 10,000 kept 10,000 candidates per node: 3.9 GB on a 20 KB ladder."""
    g = from_expression(ladder_text(20), values={"a0": 0.3})
    values = forward(g, leaf_values(g))
    a0, out = g.index["a0"], g.outputs[0]
    monkeypatch.setattr(paths_module, "CANDIDATE_BUDGET", 61 * 50)
    report = top_paths(g, values, a0, out, k=1000)
    assert report.asked == 1000 and len(report.paths) == 50  # 61 nodes between a0 and a20
    monkeypatch.setattr(paths_module, "CANDIDATE_BUDGET", 10**9)
    full = top_paths(g, values, a0, out, k=1000)
    assert [p.product for p in report.paths] == [p.product for p in full.paths[:50]]
    assert report.count == full.count == 3**20 and report.total == full.total


def test_paths_command_reports_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths_module, "CANDIDATE_BUDGET", 61 * 50)
    code, out, _ = cli("paths", ladder_text(20), "--from", "a0", "--at", "a0=0.3", "--top", "1000")
    assert code == 0 and "listing 50 of the 1,000 asked for" in out


# --- drawings, outlines, tables and messages: cut to a sensible width --------------------


def test_long_names_are_cut_in_drawings() -> None:
    """279 nodes with 30,000-character names took 5.2 GB (7.7 GB with --all)."""
    text = long_names_text(12, 30_000)
    for extra in ((), ("--all",), ("--lr",), ("--outline",)):
        code, out, err = cli("draw", text, *extra)
        assert code == 0, err
        assert max(map(len, out.splitlines())) < 2_000
        assert "…(+" in out


def test_outline_lines_stay_narrow_on_a_deep_chain() -> None:
    """Indentation grew with depth: 252 MB of outline from a 60 KB relu chain."""
    depth = 1_000
    code, out, _ = cli("draw", relu_chain_text(depth), "--outline")
    lines = out.splitlines()
    assert code == 0
    assert max(map(len, lines)) <= 4 * 40 + 60  # old: 4,000 characters at the bottom
    assert len(lines) <= 3 * (depth + 2)  # each node written once, plus a reference per cut
    assert sum(1 for line in lines if line.endswith("x (input)")) == 1


def test_outline_writes_shared_nodes_once() -> None:
    code, out, _ = cli("draw", shared_chain_text(60), "--outline")
    lines = out.splitlines()
    assert code == 0
    for k in range(60):  # b_k is written out once and referred to once
        assert sum(1 for line in lines if f"b{k} = " in line.split("─╼ ")[-1].split("── ")[-1]) <= 1
    assert len(lines) < 4 * 60 + 10


def test_train_shortens_the_final_table(tmp_path: Path) -> None:
    """100,000 params: 144 s for 3 steps, mostly printing the table."""
    source = tmp_path / "params.yaml"
    source.write_text(params_yaml(300))
    code, out, _ = cli("train", str(source))
    assert code == 0
    assert "and 280 more params" in out
    assert "and 290 more" in out  # the params line names 10 of them
    assert len(out.splitlines()) < 60


def test_a_long_cycle_gives_a_short_message(tmp_path: Path) -> None:
    """A 100,000-step cycle gave a 1 MB line."""
    with pytest.raises(CgtuiError) as info:
        yamlio.loads(cycle_text(5_000))
    message = str(info.value)
    assert len(message) < 1_000 and "v0 -> v1 -> v2" in message and "(4,991 more) ->" in message
    source = tmp_path / "cycle.yaml"
    source.write_text(cycle_text(3_000).replace("v", "v" * 1_000))
    code, _, err = cli("steps", str(source))
    assert code == 2 and "cycle" in err and len(err) < 2_000


def test_messages_cut_long_names_and_lines() -> None:
    name = "q" * 30_000
    code, _, err = cli("grad", f"x * {name}", "--at", "x=1")
    assert code == 2 and len(err) < 1_000 and "…(+" in err
    code, _, err = cli("grad", "x + " * 2_000 + "$")
    assert code == 2 and all(len(line) < 300 for line in err.splitlines())
    assert short_name("abc") == "abc" and len(short_name("z" * 500)) < 50
    assert name_list([name] * 20).count("…") == 10
    assert chain_text(["a", "b"]) == "a -> b -> a"


# --- limits that keep a graph within about 1 GB ------------------------------------------


def test_too_many_operators_are_refused_before_reading(tmp_path: Path) -> None:
    """5 MB of '-' took 2.6 GB and 75 s."""
    source = tmp_path / "minus.txt"
    source.write_text(minus_text(600_000))
    code, _, err = cli("steps", str(source))
    assert code == 2 and "600,000 operators and brackets" in err


def test_too_many_nodes_are_refused_while_building(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "MAX_NODES", 1_000)
    with pytest.raises(CgtuiError, match="more than 1,000 nodes"):
        steps = "".join(f"  v{k + 1}: tanh(v{k})\n" for k in range(1_200))
        yamlio.loads(f"inputs: {{v0: 1}}\nsteps:\n{steps}output: v1200\n")
    with pytest.raises(CgtuiError, match="more than 1,000 nodes"):
        from_expression(ladder_text(400))  # 1,201 nodes


def test_too_many_yaml_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 5 MB YAML of empty lists in a section no command reads took 1.4 GB."""
    monkeypatch.setattr(yamlio, "MAX_YAML_NODES", 1_000)
    with pytest.raises(CgtuiError, match="more than 1,000 YAML values") as info:
        yamlio.loads(empty_lists_yaml(2_000))
    assert info.value.line is not None
    yamlio.loads(empty_lists_yaml(900))


# --- every command under a memory cap ------------------------------------------------------

CAP_MIB = 500

#: One child process runs every command line in turn, in-process, under one RLIMIT_AS cap.
_RUN_ALL = textwrap.dedent(
    """
    import contextlib, io, json, resource, sys, traceback
    cap = int(sys.argv[1]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    from cgtui.cli import main
    results = []
    for argv in json.loads(sys.stdin.read()):
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(argv)
        except BaseException:
            code, err = -1, io.StringIO(traceback.format_exc())
        results.append([argv, code, len(out.getvalue()), err.getvalue()[-300:]])
    # VmHWM: this process's own peak (ru_maxrss also counts the parent's, from before exec)
    status = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
    results.append(int(status))
    print(json.dumps(results))
    """
)


def test_every_command_stays_within_a_memory_cap(tmp_path: Path) -> None:
    files = {
        "ladder.txt": ladder_text(600),
        "names.txt": long_names_text(160, 30_000),  # 4.8 MB, 319 nodes
        "relu.txt": relu_chain_text(12_000),
        "shared.txt": shared_chain_text(500),
        "minus.txt": minus_text(1_000_000),
        "empty.yaml": empty_lists_yaml(20_000),
        "params.yaml": params_yaml(2_000),
        "cycle.yaml": cycle_text(5_000),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    at = ["--at", "a0=0.3"]
    runs: list[list[str]] = [
        ["steps", "ladder.txt", *at],
        ["grad", "ladder.txt", *at, "--all"],
        ["paths", "ladder.txt", "--from", "a0", *at, "--top", "50"],
        ["check", "ladder.txt", *at],
        *(["export", "ladder.txt", *at, "--format", f] for f in ("yaml", "json", "dot", "mermaid")),
        *(["export", "ladder.txt", *at, "--format", f] for f in ("markdown", "latex")),
        *(["export", "ladder.txt", *at, "--format", f] for f in ("numpy", "pytorch", "jax")),
        ["jvp", "ladder.txt", *at, "--tangent", "a0=1"],
        ["jacobian", "ladder.txt", *at],
        ["hessian", "ladder.txt", *at],
        ["hvp", "ladder.txt", *at, "--vector", "a0=1"],
        ["backward-graph", "ladder.txt", *at],
        ["draw", "ladder.txt", *at, "--outline"],
        ["paths", "params.yaml", "--from", "w0"],
        ["check", "params.yaml"],
        ["hessian", "params.yaml"],
        ["export", "params.yaml", "--format", "markdown"],
        ["draw", "names.txt"],
        ["draw", "names.txt", "--all"],
        ["draw", "relu.txt", "--outline"],
        ["draw", "shared.txt", "--outline"],
        ["draw", "ladder.txt", "--all"],
        ["steps", "minus.txt"],
        ["grad", "empty.yaml"],
        ["train", "params.yaml"],
        ["steps", "cycle.yaml"],
        ["samples", "--full"],
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _RUN_ALL, str(CAP_MIB)],
        input=json.dumps(runs),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2_000:]
    *results, peak_kib = json.loads(done.stdout)
    for argv, code, _, err in results:
        assert code in (0, 2, 3), (argv, code, err)
        assert "Traceback" not in err and "MemoryError" not in err, (argv, err)
    codes = {" ".join(argv[:2]): code for argv, code, _, _ in results}
    assert codes["steps minus.txt"] == 2 and codes["steps cycle.yaml"] == 2
    assert codes["hessian params.yaml"] == 2  # 2,000 leaves: refused, with a message
    assert peak_kib < CAP_MIB * 1024


# --- random command lines: no traceback, no status outside 0/2/3 -------------------------

SOURCES = {
    "ladder": ladder_text(200),
    "names": long_names_text(6, 3_000),
    "relu": relu_chain_text(300),
    "shared": shared_chain_text(80),
    "minus": "y * " + minus_text(2_000),
    "cycle": "\n".join(f"v{k} = v{(k + 1) % 50} + 1" for k in range(50)),
    "plain": "L = (w*x + b - y)^2",
    "bad": "x + * (",
    "overflow": "exp(exp(exp(x)))",
}

OPTIONS: dict[str, list[list[str]]] = {
    "steps": [[], ["--format", "json"], ["--format", "markdown"], ["--tree"]],
    "grad": [[], ["--json"], ["--all"], ["--output", "a0"]],
    "paths": [
        ["--from", "a0"],
        ["--from", "x", "--top", "0"],
        ["--from", "x", "--top", "10000"],
        ["--from", "v1"],
    ],
    "check": [[], ["--json"], ["--h", "1e-3"]],
    "export": [["--format", f] for f in ("yaml", "json", "dot", "mermaid", "markdown", "latex")],
    "draw": [[], ["--all"], ["--outline"], ["--lr"], ["--values"], ["--around", "x", "-k", "1"]],
    "train": [[], ["--steps", "2"], ["--lr", "0.01", "--steps", "1"]],
}


@settings(max_examples=examples(100), deadline=None)
@given(
    command=st.sampled_from(sorted(OPTIONS)),
    option=st.integers(0, 5),
    source=st.sampled_from(sorted(SOURCES)),
    at=st.sampled_from([[], ["--at", "a0=0.3"], ["--at", "x=1e300"], ["--at", "x=2,w=1,b=0,y=1"]]),
    kinds=st.sampled_from([[], ["--param", "w"], ["--param", "a0"], ["--label", "y"], ["--tree"]]),
)
def test_random_command_lines(
    command: str, option: int, source: str, at: list[str], kinds: list[str]
) -> None:
    options = OPTIONS[command][option % len(OPTIONS[command])]
    code, _, err = cli(command, SOURCES[source], *options, *at, *kinds)
    assert code in (0, 2, 3), (command, options, source, err[-500:])
    assert "Traceback" not in err

"""Hostile files: markup and control characters in titles and paths, non-regular write
targets, data files outside the graph's folder, BOMs, and files too large to read back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cgtui.cli import main
from cgtui.core.errors import CgtuiError
from cgtui.lang import yamlio
from cgtui.lang.source import load_source


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


TRAINABLE = "expression: L = (w*x - y)^2\nparams: {w: 0.5}\ninputs: {x: 2}\nlabels: {y: 1}\n"


# --- markup and control characters ---------------------------------------------------------------


def test_train_shows_a_title_with_markup_as_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    f = tmp_path / "g.yaml"
    f.write_text("title: 'a [/] b [bold]c'\n" + TRAINABLE)
    folder = tmp_path / "x["
    folder.mkdir()
    out_path = folder / "] [b]out.yaml"
    code, out, err = run(capsys, "train", str(f), "--steps", "2", "--save", str(out_path))
    assert code == 0, err
    assert "training a [/] b [bold]c" in out
    assert f"to {out_path}" in out
    assert out_path.exists()


def test_control_characters_in_titles_and_source_lines_are_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    f = tmp_path / "g.yaml"
    f.write_text('title: "evil \\e[2J\\e]0;pwned\\a"\n' + TRAINABLE)
    code, out, err = run(capsys, "steps", str(f))
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert "evil \\x1b[2J\\x1b]0;pwned\\x07" in out
    code, out, err = run(capsys, "steps", "x + \x1b[31m")
    assert code == 2
    assert "\x1b" not in err and "\\x1b" in err
    lines = err.splitlines()
    source, caret = lines[-2], lines[-1]
    assert source.index("\\x1b") == caret.index("^")  # the caret still points at it


def test_raw_html_in_a_title_is_escaped_in_the_markdown_handout(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    f = tmp_path / "g.yaml"
    head = "title: '<script>alert(1)</script> & co'\ndescription: '<img src=x onerror=y>'\n"
    f.write_text(head + TRAINABLE)
    code, out, err = run(capsys, "export", str(f), "--format", "markdown")
    assert code == 0, err
    assert "<script>" not in out and "<img" not in out
    assert "# &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in out


# --- write targets ---------------------------------------------------------------------------------


def test_export_refuses_a_device_even_with_force(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # never /dev/null itself: a regression would replace the machine's real one (as root)
    import stat

    target = tmp_path / "device"
    real_lstat = os.lstat

    def lstat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if str(path) == str(target):
            fields = list(real_lstat(tmp_path))
            fields[0] = stat.S_IFCHR | 0o666
            return os.stat_result(fields)
        return real_lstat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "lstat", lstat)
    code, _, err = run(capsys, "export", "x*y", "-o", str(target), "--force")
    assert code == 2 and "not a regular file" in err
    assert not target.exists()


def test_export_refuses_a_socket(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import socket

    target = tmp_path / "s.yaml"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(target))
        code, _, err = run(capsys, "export", "x*y", "-o", str(target), "--force")
    assert code == 2 and "not a regular file" in err


def test_export_refuses_a_symlink_target(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("keep\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    code, _, err = run(capsys, "export", "x*y", "-o", str(link), "--force")
    assert code == 2 and "symbolic link" in err and str(real) in err
    assert link.is_symlink() and real.read_text() == "keep\n"


def test_a_fifo_target_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    code, _, err = run(capsys, "export", "x*y", "-o", str(fifo), "--force")
    assert code == 2 and "not a regular file" in err


def test_a_file_cgtui_writes_is_one_it_reads(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cgtui.lang import files

    # the 1 MB expression whose 19.8 MB of YAML the 5 MiB loader refused, scaled down
    monkeypatch.setattr(files, "MAX_SOURCE_BYTES", 4_000)
    text = " + ".join(f"x{i}*w{i}" for i in range(120))
    src = tmp_path / "big.txt"
    src.write_text(text)
    assert len(text) < files.MAX_SOURCE_BYTES
    out = tmp_path / "big.yaml"
    code, _, err = run(capsys, "export", str(src), "-o", str(out))
    if code == 0:  # written compactly enough: it must load
        load_source(str(out))
    else:
        assert code == 2 and "could not read it back" in err
        assert not out.exists()
    code, stdout, err = run(capsys, "export", str(src))
    assert code == 2 and stdout == "" and "could not read it back" in err


# --- BOM ---------------------------------------------------------------------------------------------


def test_a_bom_is_accepted_in_expression_files_and_on_stdin(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    f = tmp_path / "e.txt"
    f.write_bytes("\ufeffx*y".encode())
    code, out, err = run(capsys, "grad", str(f), "--at", "x=2,y=3")
    assert code == 0, err
    assert "dout/dx = 3" in out.replace("  ", " ")

    class Stdin:
        buffer = io.BytesIO("\ufeffx*y\n".encode())

    monkeypatch.setattr(sys, "stdin", Stdin())
    code, out, err = run(capsys, "grad", "-", "--at", "x=2,y=3")
    assert code == 0, err
    f2 = tmp_path / "g.yaml"
    f2.write_bytes(("\ufeff" + TRAINABLE).encode())
    assert load_source(str(f2)).node("w").value == 0.5


# --- data files --------------------------------------------------------------------------------------


def test_a_data_file_outside_the_graph_folder_is_never_echoed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOKEN=hunter2\nmore\n")
    folder = tmp_path / "lesson"
    folder.mkdir()
    f = folder / "g.yaml"
    for name in ("../secret.txt", str(secret)):
        f.write_text(TRAINABLE + f"data: {{file: '{name}'}}\n")
        code, out, err = run(capsys, "train", str(f), "--steps", "1")
        assert code == 2
        assert "hunter2" not in out + err and "TOKEN" not in out + err
        assert "outside" in err and "line 1" in err
    (folder / "pts.csv").symlink_to(secret)  # a link out of the folder is outside too
    f.write_text(TRAINABLE + "data: {file: pts.csv}\n")
    code, out, err = run(capsys, "train", str(f), "--steps", "1")
    assert code == 2 and "hunter2" not in out + err and "outside" in err


def test_a_data_file_outside_the_folder_still_trains(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "pts.csv").write_text("x,y\n1,2\n")
    folder = tmp_path / "lesson"
    folder.mkdir()
    f = folder / "g.yaml"
    f.write_text(TRAINABLE + "data: {file: ../pts.csv}\n")
    code, _, err = run(capsys, "train", str(f), "--steps", "1")
    assert code == 0, err


def test_a_bad_data_file_inside_the_folder_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    f = tmp_path / "g.yaml"
    (tmp_path / "pts.csv").write_text("z,y\n1,2\n")
    f.write_text(TRAINABLE + "data: {file: pts.csv}\n")
    code, _, err = run(capsys, "train", str(f), "--steps", "1")
    assert code == 2 and "unknown column 'z'" in err


def test_saving_into_another_folder_repoints_the_data_file(tmp_path: Path) -> None:
    from cgtui.lang.saving import save_graph

    lesson = tmp_path / "lesson"
    lesson.mkdir()
    (lesson / "pts.csv").write_text("x,y\n1,2\n2,4\n")
    f = lesson / "g.yaml"
    f.write_text(TRAINABLE + "data: {file: pts.csv}\n")
    graph = load_source(str(f))
    elsewhere = tmp_path / "copies" / "deep"
    elsewhere.mkdir(parents=True)
    save_graph(graph, elsewhere / "g.yaml")
    again = yamlio.load(elsewhere / "g.yaml")
    assert again.extra["data"] == {"file": "../../lesson/pts.csv"}
    assert graph.extra["data"] == {"file": "pts.csv"}  # the graph itself is unchanged
    with pytest.raises(CgtuiError):
        save_graph(graph, elsewhere / "g.yaml")  # exists

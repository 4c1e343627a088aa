"""No lost work in the explorer: the title line and its modified marker, Save / Discard /
Cancel before quitting or replacing a changed graph, one undo history for steps and
changes, and saving over a hand-written file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_app import branching, cell, settle, squared_error, sync, text_of
from textual.widgets import Input, OptionList, Static

from cgtui.app.app import ExplorerApp
from cgtui.app.dialogs import ChoiceDialog, OpenDialog, SamplesDialog, SaveDialog, UnsavedDialog
from cgtui.app.session import Session, beside, constant_value, hand_written
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Kind
from cgtui.engine.engine import Stepper
from cgtui.lang import yamlio
from cgtui.lang.samples import samples_dir


def opened(path: Path) -> ExplorerApp:
    """The explorer as ``cgtui PATH`` opens it."""
    graph = yamlio.load(path)
    return ExplorerApp(Stepper(graph), source=str(path), plugins=False)


def sample_copy(tmp_path: Path, name: str = "squared_error.yaml") -> Path:
    target = tmp_path / name
    shutil.copyfile(samples_dir() / name, target)
    return target


def title(app: ExplorerApp) -> str:
    return text_of(app.query_one("#legend", Static))


def notes(app: ExplorerApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def edit_w(pilot, value: str = "9") -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    app.selected = app.stepper.graph.lookup("w")
    await settle(pilot)
    await pilot.press("e")
    await settle(pilot)
    await pilot.press("ctrl+a", "ctrl+k", *value, "enter")
    await settle(pilot)


@sync
async def test_title_line_names_the_file_and_marks_an_edit(tmp_path: Path) -> None:
    path = sample_copy(tmp_path)
    app = opened(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert title(app).startswith(str(path))
        assert "modified" not in title(app)
        await pilot.press("F", "B")  # stepping is not a change to the graph
        await settle(pilot)
        assert "modified" not in title(app)
        await edit_w(pilot)
        assert "● modified" in title(app)


@sync
async def test_title_line_names_an_expression() -> None:
    app = ExplorerApp(branching(), source="f = (x + y) * x", plugins=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert title(app).startswith("f = (x + y) * x")


@sync
async def test_kind_change_descent_and_output_change_mark_modified() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.selected = app.stepper.graph.lookup("x")
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        await pilot.press("down", "down", "enter")  # input -> param
        await settle(pilot)
        assert app.stepper.graph.node("x").kind is Kind.PARAM
        assert app.session.modified
        await pilot.press("u")
        await settle(pilot)
        assert app.stepper.graph.node("x").kind is Kind.INPUT
        assert not app.session.modified
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("enter")  # learning rate 0.1
        await settle(pilot)
        await pilot.press("enter")  # close the report
        await settle(pilot)
        assert app.stepper.graph.node("w").value != 0.5
        assert app.session.modified
        await pilot.press("u")  # the descent step, undone as one change
        await settle(pilot)
        assert app.stepper.graph.node("w").value == 0.5
        assert app.stepper.values[app.stepper.graph.lookup("b")] == 0.1
        assert not app.session.modified
    two = Stepper(yamlio.loads("inputs: {x: 1}\nsteps:\n  a: x * 2\n  b: x + 1\noutput: [a, b]\n"))
    app = ExplorerApp(two, plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        first = app.stepper.output_name
        other = "a" if first == "b" else "b"
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("up" if other == "a" else "down", "enter")
        await settle(pilot)
        assert app.stepper.output_name == other
        assert app.session.modified
        await pilot.press("u")
        await settle(pilot)
        assert app.stepper.output_name == first
        assert not app.session.modified


@sync
async def test_q_with_unsaved_changes_cancel_keeps_the_edit(tmp_path: Path) -> None:
    path = sample_copy(tmp_path)
    app = opened(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await edit_w(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, UnsavedDialog)
        await pilot.press("escape")  # Cancel
        await settle(pilot)
        assert not isinstance(app.screen, UnsavedDialog)
        assert app.is_running
        assert app.stepper.values[app.stepper.graph.lookup("w")] == 9.0
        assert cell(app, "w", "value") == "9"
        assert "● modified" in title(app)
        # ctrl+q asks too; the Cancel option in the list does the same as escape
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, UnsavedDialog)
        app.screen.query_one(OptionList).highlighted = 2
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running and app.stepper.values[app.stepper.graph.lookup("w")] == 9.0


@sync
async def test_discard_exits_0_and_the_file_is_byte_identical(tmp_path: Path) -> None:
    path = sample_copy(tmp_path)
    before = path.read_bytes()
    app = opened(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await edit_w(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, UnsavedDialog)
        await pilot.press("d")
        await pilot.pause()
    assert app.return_code == 0
    assert path.read_bytes() == before


@sync
async def test_quit_without_changes_does_not_ask() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("F", "B")
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


@sync
async def test_save_from_the_quit_prompt_beside_a_hand_written_file(tmp_path: Path) -> None:
    path = sample_copy(tmp_path)
    before = path.read_bytes()
    assert hand_written(path)  # the samples are written by hand (flow maps)
    app = opened(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await edit_w(pilot)
        await pilot.press("q")
        await settle(pilot)
        await pilot.press("s")  # Save, then quit
        await settle(pilot)
        assert isinstance(app.screen, SaveDialog)
        assert app.screen.query_one("#path").value == str(path)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        message = text_of(app.screen.query_one("#message", Static))
        assert "written by hand" in message and "explicit form" in message
        options = app.screen.query_one(OptionList)
        assert "squared_error.explicit.yaml" in str(options.get_option_at_index(0).prompt)
        await pilot.press("enter")  # save beside it (the first option)
        await pilot.pause()
    assert app.return_code == 0
    assert path.read_bytes() == before
    saved = yamlio.load(tmp_path / "squared_error.explicit.yaml")
    assert saved.node("w").value == 9.0


@sync
async def test_rewrite_a_hand_written_file_in_explicit_form(tmp_path: Path) -> None:
    path = sample_copy(tmp_path)
    app = opened(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await edit_w(pilot, "2^-3")
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("down", "enter")  # rewrite it
        await settle(pilot)
        assert not isinstance(app.screen, (ChoiceDialog, SaveDialog))
        assert not app.session.modified
        assert "modified" not in title(app)
    assert yamlio.load(path).node("w").value == 0.125
    assert not hand_written(path)  # cgtui's own form now: the next save just asks to replace


@sync
async def test_cancel_in_the_save_dialog_keeps_the_app_open(tmp_path: Path) -> None:
    path = sample_copy(tmp_path)
    app = opened(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await edit_w(pilot)
        await pilot.press("q")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("escape")  # no save: no quit either
        await settle(pilot)
        assert app.is_running and app.session.modified


@sync
async def test_samples_picker_and_open_ask_before_replacing_a_changed_graph() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await edit_w(pilot)
        graph = app.stepper.graph
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, SamplesDialog)
        await pilot.press(*"branching", "enter")
        await settle(pilot)
        assert isinstance(app.screen, UnsavedDialog)
        await pilot.press("c")  # cancel: the edited graph stays
        await settle(pilot)
        assert app.stepper.graph is graph and app.session.modified
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OpenDialog)
        await pilot.press(*"a * b", "enter")
        await settle(pilot)
        assert isinstance(app.screen, UnsavedDialog)
        await pilot.press("d")  # discard: the typed expression replaces it
        await settle(pilot)
        assert app.stepper.graph is not graph
        assert title(app).startswith("a * b")
        assert not app.session.modified


@sync
async def test_u_undoes_steps_and_edits_in_one_history() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f", "f")  # z and yhat
        await settle(pilot)
        app.selected = app.stepper.graph.lookup("b")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("ctrl+a", "ctrl+k", *"1/2", "enter")  # drops yhat, keeps z
        await settle(pilot)
        assert cell(app, "yhat", "value") == ""
        await pilot.press("f")  # yhat again, with b = 0.5
        await settle(pilot)
        assert cell(app, "yhat", "value") == "1.5"
        await pilot.press("u")  # the step
        await settle(pilot)
        assert cell(app, "yhat", "value") == ""
        assert app.stepper.values[app.stepper.graph.lookup("b")] == 0.5
        await pilot.press("u")  # the edit: b and the step it invalidated come back
        await settle(pilot)
        assert app.stepper.values[app.stepper.graph.lookup("b")] == 0.1
        assert app.stepper.graph.node("b").value == 0.1
        assert cell(app, "yhat", "value") == "1.1"
        assert any("undid: b = 0.5" in line for line in app._log_view.lines)
        await pilot.press("u", "u")  # the two steps before it
        await settle(pilot)
        assert cell(app, "z", "value") == ""
        assert app.check_action("undo", ()) is None
        await pilot.press("u")  # nothing left: says so
        await settle(pilot)
        assert any("nothing to undo" in n for n in notes(app))


def test_session_labels_and_beside(tmp_path: Path) -> None:
    path = sample_copy(tmp_path)
    assert Session.for_source(str(path)).path == path
    assert Session.for_source("(x + y)\n* x").label == "(x + y) * x"
    assert Session.for_source("(x + y) * x").path is None
    assert beside(path).name == "squared_error.explicit.yaml"
    beside(path).write_text("taken")
    assert beside(path).name == "squared_error.explicit-2.yaml"
    written = tmp_path / "w.yaml"
    yamlio.save(yamlio.load(path), written)
    assert not hand_written(written)
    (tmp_path / "e.txt").write_text("f = x * 2\n")
    assert hand_written(tmp_path / "e.txt")


def test_constant_value_reads_arithmetic_with_the_parser() -> None:
    assert constant_value("1/3") == pytest.approx(1 / 3)
    assert constant_value("2^-3") == 0.125
    assert constant_value("-0.5*4") == -2.0
    assert constant_value(" 7 ") == 7.0
    for bad, problem in (("x + 1", "not a number: 'x'"), ("1/0", "division by zero"), ("(2", "never closed")):
        with pytest.raises(CgtuiError, match=problem.replace("(", r"\(")):
            constant_value(bad)
    with pytest.raises(CgtuiError):
        constant_value("__import__('os')")


@sync
async def test_params_from_training_mark_modified_and_undo_as_one_change() -> None:
    from cgtui.app.training import TrainingScreen

    app = ExplorerApp(squared_error(), plugins=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("T")
        await settle(pilot)
        assert isinstance(app.screen, TrainingScreen)
        app.screen.dismiss({"w": 0.25, "b": 0.0})  # what Apply returns after training
        await settle(pilot)
        assert app.stepper.graph.node("w").value == 0.25
        assert "● modified" in title(app)
        await pilot.press("u")
        await settle(pilot)
        assert app.stepper.graph.node("w").value == 0.5
        assert app.stepper.graph.node("b").value == 0.1
        assert "modified" not in title(app)


@sync
async def test_save_offers_a_new_file_for_a_graph_opened_from_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # `cgtui` with no argument opens the bundled sample by name
    graph = yamlio.load(samples_dir() / "squared_error.yaml")
    app = ExplorerApp(Stepper(graph), source="squared_error.yaml", plugins=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SaveDialog)
        assert app.screen.query_one("#path", Input).value == "squared_error.yaml"
        await pilot.press("enter")  # a new file here; the bundled sample is untouched
        await settle(pilot)
        assert not isinstance(app.screen, SaveDialog)
    assert yamlio.load(tmp_path / "squared_error.yaml").node("w").value == 0.5

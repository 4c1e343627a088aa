"""No silent keys, a complete help, the palette, and the dialogs' completions: every key
that cannot act says why; the help lists every key of every mode; Jump takes the suggested
name; the value dialog reads constant arithmetic; the samples picker filters; Open and Save
complete file names."""

from __future__ import annotations

import asyncio
from pathlib import Path

from test_app import branching, cell, jump, settle, squared_error, sync, text_of
from textual.command import CommandPalette
from textual.containers import VerticalScroll
from textual.widgets import Input, OptionList, Static

from cgtui.app.app import ExplorerApp
from cgtui.app.dialogs import HelpScreen, OpenDialog, PathSuggester, PromptDialog, SamplesDialog, SaveDialog
from cgtui.engine.engine import Stepper
from cgtui.lang.build import from_expression


def notes(app: ExplorerApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def said(pilot, key: str, *words: str) -> None:  # type: ignore[no-untyped-def]
    """Press ``key`` and check that a one-line notification containing ``words`` appears."""
    app = pilot.app
    app.clear_notifications()
    await pilot.press(key)
    await settle(pilot)
    messages = notes(app)
    assert messages, f"{key} said nothing"
    assert all(word in messages[-1] for word in words), messages
    assert "\n" not in messages[-1]


@sync
async def test_keys_that_cannot_act_say_why() -> None:
    app = ExplorerApp(branching(), plugins=False)  # no params, one output
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await said(pilot, "u", "nothing to undo")
        await said(pilot, "d", "no params")
        await said(pilot, "t", "one output")
        await said(pilot, "e", "computed", "select a leaf")  # the output f is selected
        await said(pilot, "k", "computed", "select a leaf")
        await pilot.press("F")
        await settle(pilot)
        await said(pilot, "f", "forward pass is complete")
        await said(pilot, "F", "forward pass is complete")
        await pilot.press("B")
        await settle(pilot)
        await said(pilot, "b", "backward pass is complete")


@sync
async def test_help_lists_every_key_of_every_mode() -> None:
    app = ExplorerApp(squared_error(), plugins=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        keys = text_of(app.screen.query_one("#help-keys", Static))
        for expected in (
            "Drawing view",
            "Draw top-down or left-to-right",  # v
            "One edge more around the node",  # + and =
            "Show one edge less",  # -
            "Move along an edge",  # arrows
            "Training screen",
            "Close and give the trained params to the graph",
            "Quiz",
            "^r Show the answer",  # ctrl+r, as Textual writes it
            "Screenshot",
            "space",
            "Autoplay slower",
            "Autoplay faster",
            "ctrl+q",
            "Undo the last step, edit",
        ):
            assert expected in " ".join(keys.split()), expected  # as one line, unwrapped
        help_keys = app.screen.query_one("#help-keys", Static)
        width = help_keys.content_region.width
        lines = keys.splitlines()
        assert all(len(line) <= width for line in lines)  # wrapped here, nothing cut off
        # a long text goes on under itself (a hanging indent), not under the keys
        wrapped = [n for n, line in enumerate(lines) if line.startswith(" " * 12) and line.strip()]
        assert wrapped and all(lines[n - 1].strip() for n in wrapped)
        # the first screen is the key list; the notes on the panes come after it
        scroll = app.screen.query_one(VerticalScroll)
        assert help_keys.size.height > scroll.size.height
        assert "shift+↑↓←→" in keys  # the drawing's scroll keys, written short


@sync
async def test_palette_has_one_maximize_and_does_not_open_over_a_dialog() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert sum("aximize" in t for t in titles) == 1
        assert any("Screenshot" in t for t in titles)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OpenDialog)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert not CommandPalette.is_open(app)  # type: ignore[arg-type]
        assert isinstance(app.screen, OpenDialog)
        assert any("close this dialog first" in n for n in notes(app))
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert CommandPalette.is_open(app)  # type: ignore[arg-type]


@sync
async def test_jump_enter_takes_the_suggested_name_or_lists_matches() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await jump(pilot, "yh")  # the suggestion on screen is yhat
        assert app.stepper.graph.nodes[app.selected].name == "yhat"
        await jump(pilot, "y")  # an exact name wins over a longer suggestion
        assert app.stepper.graph.nodes[app.selected].name == "y"
        await pilot.press("slash")
        await pilot.press(*"hat", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        error = text_of(app.screen.query_one("#error", Static))
        assert "names that contain it: yhat" in error
        await pilot.press("escape")
        await settle(pilot)


@sync
async def test_value_dialog_reads_constant_arithmetic() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        for text, value in (("1/4", "0.25"), ("2^-3", "0.125"), ("-0.5*4", "-2")):
            await jump(pilot, "x")
            await pilot.press("e")
            await settle(pilot)
            await pilot.press("ctrl+a", "ctrl+k", *text, "enter")
            await settle(pilot)
            assert cell(app, "x", "value") == value
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("ctrl+a", "ctrl+k", *"1/0", "enter")
        await settle(pilot)
        assert "division by zero" in text_of(app.screen.query_one("#error", Static))
        await pilot.press("escape")
        await settle(pilot)


@sync
async def test_samples_picker_filters_as_you_type() -> None:
    app = ExplorerApp(squared_error(), plugins=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, SamplesDialog)
        options = app.screen.query_one("#samples", OptionList)
        everything = options.option_count
        await pilot.press(*"branch")
        await settle(pilot)
        assert 0 < options.option_count < everything
        shown = [str(options.get_option_at_index(i).prompt).lower() for i in range(options.option_count)]
        assert all("branch" in line for line in shown)
        await pilot.press(*"zzz")
        await settle(pilot)
        assert options.option_count == 0
        assert "no sample matches" in text_of(app.screen.query_one("#sample-description", Static))
        await pilot.press("backspace", "backspace", "backspace", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, SamplesDialog)
        assert app.stepper.graph.title.startswith("Branching")


def test_path_suggester_completes_from_the_disk(tmp_path: Path) -> None:
    (tmp_path / "loss.yaml").write_text("")
    (tmp_path / "lessons").mkdir()
    (tmp_path / ".hidden.yaml").write_text("")
    suggester = PathSuggester()

    def suggest(text: str) -> str | None:
        return asyncio.run(suggester.get_suggestion(text))

    assert suggest(f"{tmp_path}/lo") == f"{tmp_path}/loss.yaml"
    assert suggest(f"{tmp_path}/le") == f"{tmp_path}/lessons/"
    assert suggest(f"{tmp_path}/h") is None
    assert suggest(f"{tmp_path}/.h") == f"{tmp_path}/.hidden.yaml"
    assert suggest("(x + y) * x") is None
    assert suggest(f"{tmp_path}/nothing/x") is None


@sync
async def test_open_and_save_complete_file_names(tmp_path: Path) -> None:
    target = tmp_path / "loss_for_class.yaml"
    target.write_text("inputs: {x: 1}\nsteps:\n  f: x * 2\noutput: f\n")
    app = ExplorerApp(Stepper(from_expression("f = x * 3", values={"x": 1})), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OpenDialog)
        await pilot.press(*f"{tmp_path}/loss_f")
        await settle(pilot)
        source = app.screen.query_one("#source", Input)
        while not source._suggestion:  # the suggester answers in its own task
            await pilot.pause()
        await pilot.press("right", "enter")  # take the completion, open it
        await settle(pilot)
        assert not isinstance(app.screen, OpenDialog)
        assert app.stepper.graph.origin == target.resolve()
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SaveDialog)
        field = app.screen.query_one("#path", Input)
        assert field.value == str(target)
        assert field.suggester is not None

"""The explorer on hostile text and after unexpected errors: markup in titles and paths
is shown as written, a huge learning rate is a message, and a crash keeps the user's graph."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from cgtui.app.app import ExplorerApp
from cgtui.app.dialogs import InfoDialog, OpenDialog, PromptDialog, SaveDialog
from cgtui.engine.engine import Stepper
from cgtui.lang import yamlio
from cgtui.lang.build import from_expression
from cgtui.lang.source import load_source

MARKUP_TITLE = "a [/] b [bold]c[/bold] [link=x]d"


def sync(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(3):
        await pilot.pause()


async def shown_notices(pilot: Pilot[None]) -> list[str]:
    """The notifications as the screen renders them (a markup error would raise here)."""
    from textual.widgets._toast import Toast

    await pilot.pause(0.3)
    return [toast.render().plain for toast in pilot.app.query(Toast)]


def border_title(app: ExplorerApp) -> str:
    """The title as the border shows it."""
    from textual.content import Content

    title = app.query_one("#main").border_title
    return Content.from_markup(title).plain if isinstance(title, str) else str(title)


def notices(app: ExplorerApp) -> list[str]:
    return [n.message for n in app._notifications]


def yaml_file(path: Path, title: str | None) -> Path:
    head = "" if title is None else f"title: '{title}'\n"
    path.write_text(head + "expression: w*x\ninputs: {x: 2}\nparams: {w: 0.5}\n", encoding="utf-8")
    return path


@sync
async def test_a_title_with_markup_at_start_up(tmp_path: Path) -> None:
    f = yaml_file(tmp_path / "g.yaml", MARKUP_TITLE)
    app = ExplorerApp(Stepper(load_source(str(f))), source=str(f), plugins=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        assert border_title(app) == MARKUP_TITLE


@sync
async def test_a_title_less_file_whose_path_has_markup(tmp_path: Path) -> None:
    folder = tmp_path / "x ["
    folder.mkdir()
    f = yaml_file(folder / "] [b]g.yaml", None)
    assert "[/]" in str(f)
    app = ExplorerApp(Stepper(load_source(str(f))), source=str(f), plugins=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        assert border_title(app) == str(f)


@sync
async def test_opening_a_file_with_markup_mid_session(tmp_path: Path) -> None:
    f = yaml_file(tmp_path / "g.yaml", MARKUP_TITLE)
    folder = tmp_path / "["
    folder.mkdir()
    g = yaml_file(folder / "]h.yaml", None)
    app = ExplorerApp(Stepper(from_expression("x*y", values={"x": 1, "y": 2})), plugins=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        for path, shown in ((f, MARKUP_TITLE), (g, str(g))):
            await pilot.press("o")
            await settle(pilot)
            assert isinstance(app.screen, OpenDialog)
            await pilot.press(*str(path), "enter")
            await settle(pilot)
            assert not isinstance(app.screen, OpenDialog)
            assert shown in border_title(app)


@sync
async def test_saving_to_a_path_with_markup(tmp_path: Path) -> None:
    folder = tmp_path / "["
    folder.mkdir()
    target = folder / "] [b]g.yaml"
    app = ExplorerApp(Stepper(from_expression("x*y", values={"x": 1, "y": 2})), plugins=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SaveDialog)
        await pilot.press("ctrl+a", "ctrl+k", *str(target), "enter")
        await settle(pilot)
        assert not isinstance(app.screen, SaveDialog)
        assert any(str(target) in n for n in await shown_notices(pilot))
    assert yamlio.load(target).node("x").value == 1


@sync
async def test_an_error_message_with_markup_is_shown_as_written() -> None:
    app = ExplorerApp(Stepper(from_expression("x*y", values={"x": 1, "y": 2})), plugins=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        app.notify("bad [/] input [bold]", severity="error")
        await settle(pilot)
        assert any("bad [/] input [bold]" in n for n in await shown_notices(pilot))


@sync
async def test_descent_with_a_huge_learning_rate_is_a_message() -> None:
    g = from_expression("exp(w)", params={"w"}, values={"w": 1})
    app = ExplorerApp(Stepper(g), plugins=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        await pilot.press("ctrl+a", "ctrl+k", *"1e308", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, InfoDialog)
        assert any("learning rate" in n and "w" in n for n in notices(app))
        assert app.stepper.values[app.stepper.graph.lookup("w")] == 1
    assert app.return_code in (None, 0)


def test_an_unexpected_error_saves_the_graph_and_exits_non_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cgtui.app import app as app_module

    monkeypatch.chdir(tmp_path)
    g = from_expression("L = (w*x - y)^2", params={"w"}, labels={"y"}, values={"w": 0.5, "x": 2, "y": 1})
    stepper = Stepper(g)
    stepper.set_value("w", 0.75)  # an edit the user has not saved

    def boom(self: ExplorerApp) -> None:
        raise RuntimeError("an unexpected bug")

    monkeypatch.setattr(app_module.ExplorerApp, "action_step_forward", boom)

    async def press(app: ExplorerApp) -> None:
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await pilot.press("f")
            await settle(pilot)

    app = ExplorerApp(stepper, source="(w*x - y)^2", plugins=False)
    with pytest.raises(RuntimeError):
        asyncio.run(press(app))
    assert app.recovery is not None
    saved = yamlio.load(app.recovery)
    assert app.recovery.parent == tmp_path
    assert saved.node("w").value == 0.75 and saved.node("y").value == 1
    code = app_module.finish(app)
    assert code != 0
    err = capsys.readouterr().err
    assert str(app.recovery) in err


async def save_as(pilot: Pilot[None], path: str) -> None:
    await pilot.press("s")
    await settle(pilot)
    assert isinstance(pilot.app.screen, SaveDialog)
    await pilot.press("ctrl+a", "ctrl+k", *path, "enter")
    await settle(pilot)


@sync
async def test_saving_into_another_folder_keeps_the_data_file_reachable(tmp_path: Path) -> None:
    from cgtui.lang.samples import sample_path

    src = sample_path("linear_regression.yaml")
    app = ExplorerApp(Stepper(load_source(str(src))), source=str(src), plugins=False)
    target = tmp_path / "copy.yaml"
    async with app.run_test(size=(120, 40)) as pilot:
        await save_as(pilot, str(target))
        assert not isinstance(app.screen, SaveDialog)
    saved = yamlio.load(target)
    data = saved.extra["data"]
    assert isinstance(data, dict)
    assert (tmp_path / data["file"]).resolve() == sample_path("linear_regression.csv").resolve()


@sync
async def test_a_bundled_sample_is_saved_as_a_copy_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cgtui.lang.samples import sample_path

    monkeypatch.chdir(tmp_path)
    src = sample_path("branching.yaml")
    before = src.read_bytes()
    app = ExplorerApp(Stepper(load_source(str(src))), source=str(src), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SaveDialog)
        from textual.widgets import Input

        assert app.screen.query_one("#path", Input).value == "branching.yaml"
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, SaveDialog)
        # typing the installed path itself is refused, even when confirmed
        await save_as(pilot, str(src))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SaveDialog)
        from textual.widgets import Static

        assert "bundled samples" in str(app.screen.query_one("#error", Static).render())
    assert (tmp_path / "branching.yaml").exists()
    assert src.read_bytes() == before


@sync
async def test_a_served_session_stays_in_its_folder(tmp_path: Path) -> None:
    from textual.widgets import Static

    from cgtui.app.safety import Sandbox

    box = tmp_path / "box"
    box.mkdir()
    outside = yaml_file(tmp_path / "outside.yaml", "outside")
    app = ExplorerApp(Stepper(from_expression("x*y", values={"x": 1, "y": 2})), plugins=False)
    app.sandbox = Sandbox(box)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("o")
        await settle(pilot)
        await pilot.press(*str(outside), "enter")
        await settle(pilot)
        assert isinstance(app.screen, OpenDialog)
        assert "only inside" in str(app.screen.query_one("#error", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        await save_as(pilot, str(tmp_path / "out.yaml"))
        assert isinstance(app.screen, SaveDialog)
        assert "only inside" in str(app.screen.query_one("#error", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        app.sandbox = Sandbox(box, read_only=True)
        await pilot.press("s")
        await settle(pilot)
        assert not isinstance(app.screen, SaveDialog)
    assert not (tmp_path / "out.yaml").exists()

"""What a person sees: the explorer's screen as plain text, one string per row."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from textual.app import App


def screen_rows(app: App[Any]) -> list[str]:
    """The rows of the screen as rendered now (the same rendering as a screenshot)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system=None,
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text().split("\n")[:height]


def screen_text(app: App[Any]) -> str:
    return "\n".join(screen_rows(app))

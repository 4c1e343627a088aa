"""The base of the training screen's tabs: a :class:`~textual.widgets.TabPane` that draws
the numbers of the trainer the screen gives it."""

from __future__ import annotations

from textual.widgets import TabPane

from cgtui.learn.train import Trainer


class TrainingTab(TabPane):
    """One tab of the training screen.

    The screen sets :attr:`trainer` (a restart replaces it) and :attr:`running` (while a
    descent runs in the background), then calls :meth:`draw`; a tab with pickers of its own
    redraws itself when one changes ("attributes down")."""

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(title, id=id)
        self.trainer: Trainer | None = None
        self.running = False

    def draw(self) -> None:
        """Draw the trainer's current numbers (nothing without a trainer)."""

"""The explorer's footer: the keys of the focused pane and the app, with help, quit and
the key that moves between panes first.

Textual's footer lists the focused widget's keys before the app's and cuts whatever does not
fit at the right. Here help, quit and ``tab`` (next pane) come first, so they are on screen
in every mode and at every width. While an input takes typed keys (the quiz's answer), ``?``
and ``q`` are typed, not run: the footer then shows ``f1`` and ``ctrl+q``, which still act.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: Actions whose keys lead the footer, with the key that acts while an input has focus.
PINNED: dict[str, tuple[str, str]] = {"help": ("f1", "Help"), "quit": ("ctrl+q", "Quit")}

#: Actions that follow the pinned ones.
NEXT = ("focus_next",)


def _action(widget: Widget) -> str:
    return widget.action.rsplit(".", 1)[-1] if isinstance(widget, FooterKey) else ""


def _rank(widget: Widget) -> int:
    order = [*PINNED, *NEXT]
    action = _action(widget)
    return order.index(action) if action in order else len(order)


class KeysFooter(Footer):
    """A footer whose first keys are always help, quit and next pane."""

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        if not widgets:
            return
        present = {_action(w) for w in widgets}
        extra: list[Widget] = []
        for action, (key, description) in PINNED.items():
            if action not in present:  # its usual key is typed into the focused input
                display = self.app.get_key_display(Binding(key, action))
                footer_key = FooterKey(key, display, description, f"app.{action}")
                extra.append(footer_key.data_bind(compact=Footer.compact))
        if extra:
            self.styles.grid_size_columns = (self.styles.grid_size_columns or 0) + len(extra)
        yield from sorted([*extra, *widgets], key=_rank)  # stable: the rest keep their order

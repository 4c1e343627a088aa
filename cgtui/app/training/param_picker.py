"""A picker for one number among the params: a param, and for an array param one entry.

The Slice and Surface tabs vary single numbers. A scalar param is one; an array param
(``W1``, shape (2, 100)) holds many, so beside the param's list a small box takes the
entry's index (``0,3`` for ``W1[0,3]``). Listing every entry instead would make a list of
thousands. When an array param is picked the box starts at the entry whose partial
``dL/dentry`` is largest in size now: the steepest direction among its entries, so the
slice first shown has a visible slope.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Select

from cgtui.core.lazy import np
from cgtui.learn.train import Trainer, entry_name


class ParamPicker(Horizontal):
    """A param's list and, for an array param, its entry's index."""

    DEFAULT_CSS = """
    ParamPicker { height: auto; width: auto; }
    ParamPicker Select { width: 18; }
    ParamPicker Input { width: 10; display: none; }
    ParamPicker.-array Input { display: block; }
    """

    class Changed(Message):
        """The picked param or entry changed (the tab redraws)."""

    def __init__(self, params: Sequence[str], value: str | None, *, select_id: str) -> None:
        super().__init__(id=f"{select_id}-picker")
        self.params = list(params)
        self.value = value
        self.select_id = select_id

    def compose(self) -> ComposeResult:
        yield Select(
            [(p, p) for p in self.params],
            allow_blank=self.value is None,
            value=self.value if self.value is not None else Select.NULL,
            id=self.select_id,
            compact=True,
        )
        yield Input(
            "",
            placeholder="entry",
            id=f"{self.select_id}-entry",
            compact=True,
            tooltip="which entry of the array param: its index, e.g. 0,3 (enter to draw)",
        )

    @property
    def entry_box(self) -> Input:
        return self.query_one(f"#{self.select_id}-entry", Input)

    def coordinate(self, trainer: Trainer) -> str | None:
        """The picked number: ``w``, or ``W1[0,3]`` for an entry of an array param (None
        when nothing is picked). An empty entry box gets the steepest entry."""
        name = self.query_one(f"#{self.select_id}", Select).value
        if not isinstance(name, str) or name not in trainer.params:
            return None
        value = trainer.params[name]
        is_array = np.ndim(value) > 0
        self.set_class(is_array, "-array")
        if not is_array:
            return name
        box = self.entry_box
        text = box.value.strip().strip("[]()").replace(" ", "")
        if not text:
            grad = np.abs(np.asarray(trainer.current.grads[name], dtype=np.float64))
            steepest = tuple(int(k) for k in np.unravel_index(int(np.argmax(grad)), grad.shape))
            with box.prevent(Input.Changed):
                box.value = ",".join(map(str, steepest))
            return entry_name(name, steepest)
        return f"{name}[{text}]"

    @on(Select.Changed)
    def _param_picked(self, event: Select.Changed) -> None:
        event.stop()
        with self.entry_box.prevent(Input.Changed):
            self.entry_box.value = ""  # a new param: its steepest entry
        self.post_message(self.Changed())

    @on(Input.Submitted)
    def _entry_given(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Changed())

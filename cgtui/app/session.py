"""What the explorer has open, and what changed since it was opened or saved.

* :class:`Session` names what is open (a file or an expression), says whether it is
  modified, and keeps the undo history of the changes that are not steps: a leaf's value,
  a leaf's kind, a gradient-descent step, params from training, the output, a reset. Each
  change keeps a :class:`Snapshot` of the stepper from just before it, so ``u`` takes
  back steps and changes in one history, newest first.
* :func:`hand_written` tells a file that cgtui wrote (saving it again changes nothing but
  values) from one a person wrote, which saving would rewrite in explicit form.
* :func:`constant_value` reads a number typed as constant arithmetic (``1/3``, ``2^-3``)
  with cgtui's own parser and forward pass, never ``eval``.

Nothing here imports Textual: the app calls it and shows what it returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Kind, LeafValue
from cgtui.engine.engine import Stepper, forward, leaf_values

#: Changes kept for undo; older ones are forgotten (each keeps a copy of the stepper's lists).
MAX_CHANGES = 100


def _copied(value: Any) -> Any:
    """A copy of one of the stepper's attributes deep enough that later steps cannot change
    it: lists are copied, and so are the lists inside them (the ledger); the values and
    steps inside are replaced by the stepper, never changed in place."""
    if isinstance(value, list):
        return [v[:] if isinstance(v, list) else v for v in value]
    return value


@dataclass
class Snapshot:
    """The stepper and the graph's leaves as they were before a change."""

    state: dict[str, Any]
    leaves: list[tuple[int, Kind, LeafValue | None]]
    generation: int

    @classmethod
    def take(cls, stepper: Stepper, generation: int) -> Snapshot:
        state = {k: _copied(v) for k, v in vars(stepper).items() if k != "graph"}
        leaves = [(i, n.kind, n.value) for i, n in enumerate(stepper.graph.nodes) if n.op is None]
        return cls(state, leaves, generation)

    def restore(self, stepper: Stepper) -> None:
        graph = stepper.graph
        for i, kind, value in self.leaves:
            node = graph.nodes[i]
            if node.kind is not kind:
                graph.set_kind(node.name, kind)
            node.value = value
        for key, value in self.state.items():
            setattr(stepper, key, value)


@dataclass
class Change:
    """One change that ``u`` can take back."""

    what: str  # for the log: "x = 9 (was 2)"
    before: Snapshot
    steps_after: int  # len(stepper.history) right after the change


@dataclass
class Session:
    """What is open: ``label`` for the title line, ``path`` when it is a file."""

    label: str
    path: Path | None = None
    generation: int = 0
    saved_generation: int = 0
    changes: list[Change] = field(default_factory=list)
    _counter: int = 0

    @classmethod
    def for_source(cls, source: str, origin: Path | None = None) -> Session:
        """``source`` as given on the command line or in the open dialog: a file name or
        an expression. ``origin``: the file a YAML graph was read from."""
        path = origin
        if path is None and source and "\n" not in source:
            try:
                candidate = Path(source)
                if candidate.is_file():
                    path = candidate
            except (OSError, ValueError):
                path = None
        label = source or (str(path) if path is not None else "")
        return cls(" ".join(label.split()) or "(untitled)", path)

    @property
    def modified(self) -> bool:
        return self.generation != self.saved_generation

    def begin(self, stepper: Stepper) -> Snapshot:
        """Call before changing the stepper; pass the result to :meth:`commit` if the
        change happened."""
        return Snapshot.take(stepper, self.generation)

    def commit(self, stepper: Stepper, before: Snapshot, what: str, *, modifies: bool = True) -> None:
        """Record a change made since ``before``; ``modifies`` marks the graph modified
        (a reset does not: it changes no value the file keeps)."""
        self.changes.append(Change(what, before, len(stepper.history)))
        del self.changes[:-MAX_CHANGES]
        if modifies:
            self._counter += 1  # never reused, so undoing back to a save reads unmodified
            self.generation = self._counter

    def next_undo(self, stepper: Stepper) -> Change | None:
        """The change ``u`` takes back now, or None when it takes back a step (or a fault)."""
        if stepper.fault is not None or not self.changes:
            return None
        last = self.changes[-1]
        return last if len(stepper.history) <= last.steps_after else None

    def can_undo(self, stepper: Stepper) -> bool:
        return stepper.can_undo() or bool(self.changes)

    def undo_change(self, stepper: Stepper) -> Change:
        change = self.changes.pop()
        change.before.restore(stepper)
        self.generation = change.before.generation
        return change

    def saved(self, path: Path, label: str) -> None:
        self.path = path
        self.label = label
        self.saved_generation = self.generation


def hand_written(path: Path) -> bool:
    """True when saving the graph to ``path`` would rewrite a file a person wrote: any file
    that is not exactly what cgtui writes for the graph it holds (flow maps, comments, a
    different order, an expression file). A file that cannot be read counts as hand-written."""
    from cgtui.lang import yamlio

    try:
        text = path.read_text(encoding="utf-8")
        return yamlio.dumps(yamlio.loads(text, file=str(path))) != text
    except (OSError, UnicodeDecodeError, CgtuiError):
        return True


def beside(path: Path) -> Path:
    """A file next to ``path`` that does not exist yet: ``loss.explicit.yaml``,
    ``loss.explicit-2.yaml``, ..."""
    stem = path.name.split(".")[0] or "graph"
    n = 1
    while True:
        candidate = path.with_name(f"{stem}.explicit{'' if n == 1 else f'-{n}'}.yaml")
        if not candidate.exists():
            return candidate
        n += 1


def constant_value(text: str) -> float:
    """The value of constant arithmetic such as ``1/3``, ``2^-3`` or ``-0.5*4``, read
    with cgtui's own parser and computed by its forward pass. Raises CgtuiError naming the
    problem (a name that is not a number, a parse error, division by zero)."""
    from cgtui.lang.build import from_expression, is_literal

    text = text.strip()
    if not text:
        raise CgtuiError("type a number, such as 0.5, 1/3 or 2^-3")
    graph = from_expression(text)
    names = [n.name for n in graph.nodes if n.op is None and not is_literal(n)]
    if names:
        raise CgtuiError(f"not a number: '{names[0]}' (use numbers and + - * / ^ ( ))")
    value = forward(graph, leaf_values(graph))[graph.outputs[0]]
    if not isinstance(value, float) or not math.isfinite(value):
        raise CgtuiError("the value must be a finite number")
    return value

"""Which layout the explorer's screen takes: its size's breakpoints from the first frame,
and the lesson's room for the side pane during the backward pass (see ``app.tcss``)."""

from __future__ import annotations

from collections.abc import Sequence, Set

from cgtui.engine.engine import Stepper


def lesson_classes(stepper: Stepper) -> dict[str, bool]:
    """The screen classes that follow the lesson: ``-backward`` once the backward pass has
    begun, when a short, narrow screen gives the side pane the room."""
    return {"-backward": stepper.backward_pos > 0}


def lesson_changes(stepper: Stepper, classes: Set[str]) -> dict[str, bool]:
    """The lesson classes a screen with ``classes`` is to set (True) or clear (False) now.
    The lesson's layout is for a narrow, short screen only; elsewhere a class would change
    nothing but cost a restyle of every widget."""
    lesson = "-narrow" in classes and "-short" in classes
    wanted = {name: on and lesson for name, on in lesson_classes(stepper).items()}
    return {name: on for name, on in wanted.items() if (name in classes) != on}


def breakpoint_classes(
    width: int, height: int, horizontal: Sequence[tuple[int, str]], vertical: Sequence[tuple[int, str]]
) -> dict[str, bool]:
    """The classes Textual sets on a resize, for a screen of ``width`` x ``height``: set them
    when the app mounts, so the first frame (slow to come on a big graph) already has the
    layout of its size, not the wide one."""
    classes = {name: False for _, name in (*horizontal, *vertical)}
    for size, points in ((width, horizontal), (height, vertical)):
        chosen = [name for at, name in sorted(points) if size >= at]
        if chosen:
            classes[chosen[-1]] = True
    return classes

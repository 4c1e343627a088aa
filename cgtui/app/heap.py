"""Keeping the explorer's long-lived objects out of the garbage collector's full passes.

A full pass of Python's cyclic collector scans every object the process holds: with a
10,000-node graph open (its nodes, the stepper's values and ledger, the tree's lines) one
takes a tenth of a second or more, and one that falls between a key and its frame is that
key's worst case. What opening a graph and a whole pass (F, B, r) leave alive lives until
the next graph, so it is frozen (``gc.freeze``: moved out of the collector's generations, a
splice of lists, no scan); the generations then hold only what the last steps made, and a
full pass is short. Frozen objects are still freed when nothing refers to them; only
reference cycles among them wait until the next graph is shown (:func:`release`, then
:func:`freeze` with a full pass, once no worker runs) or the explorer closes.
"""

from __future__ import annotations

import gc

#: Whether :func:`pause` turned the collector off (and the first freeze turns it on)
_paused = False


def pause() -> None:
    """Opening the explorer: the collector is off until the first graph is on screen and
    frozen. What the launch makes (Textual's modules, the graph, the first screen's
    widgets) lives on, so full passes among it free nothing, and each one falls in the
    time to the first screen (on a 10,000-node graph, about a tenth of a second)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def freeze(collect: bool = False) -> None:
    """Move every object alive now out of the collector's generations; ``collect``: after
    a full pass (once a graph has replaced another, to free the old one's cycles). The
    collector runs again if :func:`pause` stopped it."""
    if collect:
        gc.collect()
    gc.freeze()
    resume()


def release() -> None:
    """Before another graph is shown, or on closing: give the frozen objects back to the
    collector (the old graph's among them: its tree lines point at each other)."""
    gc.unfreeze()
    resume()


#: Whether :func:`hold` turned the collector off (and :func:`let_go` turns it on)
_held = False


def hold() -> None:
    """A key's step is on its way to the screen: no collector pass until its frame is
    drawn (:func:`let_go`, after the frame). A step and its frame allocate thousands of
    tracked objects (Textual's strips and segments among them): five to ten young passes
    fell inside each, 1-5 ms together, and now and then an older one of 5-15 ms. The
    passes are not skipped: the first allocation after :func:`let_go` runs them, in the
    quiet time after the frame."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def let_go() -> None:
    """The collector on again if :func:`hold` turned it off."""
    global _held
    if _held:
        _held = False
        gc.enable()


def resume() -> None:
    """The collector on again if :func:`pause` turned it off (by the first freeze; or the
    launch ended before a graph was on screen: a source refused, the app closed early)."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()

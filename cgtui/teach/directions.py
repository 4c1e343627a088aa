"""Which direction to differentiate in: the whole Jacobian's cost by forward and by
reverse mode, in words (for ``cgtui paths``, ``cgtui jacobian`` and the explorer).

Forward mode needs one pass per leaf (n), reverse mode one per output (m); each pass
makes one multiplication ``∂z/∂w · (tangent or partial)`` per edge it carries a
derivative along. A loss has m = 1, so reverse mode (backprop) wins whenever there is
more than one leaf; a graph with few inputs and many outputs is forward mode's case.
"""

from __future__ import annotations

from typing import Any

from cgtui.engine.jacobian import PassCounts


def cost_json(counts: PassCounts) -> dict[str, Any]:
    """``{"forward": {"passes", "multiplications"}, "reverse": {...}, "cheaper"}``."""
    return {
        "forward": {"passes": counts.forward_passes, "multiplications": counts.forward_multiplications},
        "reverse": {"passes": counts.reverse_passes, "multiplications": counts.reverse_multiplications},
        "cheaper": counts.cheaper,
    }


def cost_lines(counts: PassCounts) -> list[str]:
    """How much the whole Jacobian costs in each direction, and which is cheaper."""
    n, m = counts.leaves, counts.outputs

    def s(k: int) -> str:
        return "" if k == 1 else "es"

    leaf, output = ("input entry", "output entry") if counts.entries else ("leaf", "output")
    lines = [
        f"forward mode: {counts.forward_passes:,} pass{s(counts.forward_passes)} "
        f"(one per {leaf}, n = {n:,}), "
        f"{counts.forward_multiplications:,} multiplications",
        f"reverse mode: {counts.reverse_passes:,} pass{s(counts.reverse_passes)} "
        f"(one per {output}, m = {m:,}), "
        f"{counts.reverse_multiplications:,} multiplications",
    ]
    if counts.cheaper == "either":
        lines.append("both directions cost the same here")
    else:
        lines.append(f"{counts.cheaper} mode is cheaper for this graph")
    return lines


def jacobian_cost_lines(counts: PassCounts) -> list[str]:
    """The cost lines under a heading that names the Jacobian's shape."""
    if counts.entries:
        shape = (
            f"{counts.outputs:,} output entr{'y' if counts.outputs == 1 else 'ies'} × "
            f"{counts.leaves:,} input entr{'y' if counts.leaves == 1 else 'ies'}"
        )
    else:
        shape = f"{counts.outputs} output{'' if counts.outputs == 1 else 's'} × {counts.leaves} leaves"
    return [f"the whole Jacobian ({shape}):", *(f"  {line}" for line in cost_lines(counts))]

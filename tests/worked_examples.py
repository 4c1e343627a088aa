"""The worked examples of ../shared/reference/worked-examples.md as programs and graphs,
shared by the test files that build them."""

from __future__ import annotations

from cgtui.core.graph import Graph
from cgtui.lang.build import from_expression

# 5. micrograd's two test programs, as written there
SANITY = "z = 2*x + 2 + x\nq = relu(z) + z*x\nh = relu(z*z)\ny = h + q + q*x"
MORE_OPS = """\
c = a + b
d = a*b + b**3
c = c + c + 1
c = c + 1 + c + (-a)
d = d + d*2 + relu(b + a)
d = d + 3*d + relu(b - a)
e = c - d
f = e**2
g = f / 2.0
g = g + 10.0 / f
"""


def squared_error() -> Graph:
    """1. L = (w*x + b - y)^2 at w=0.5, x=2, b=0.1, y=1."""
    return from_expression(
        "z = w*x\nyhat = z + b\nd = yhat - y\nL = d^2",
        params={"w", "b"},
        labels={"y"},
        values={"w": 0.5, "x": 2.0, "b": 0.1, "y": 1.0},
    )


def branching() -> Graph:
    """2. f = (x + y) * x at x=3, y=2."""
    return from_expression("s = x + y\nf = s * x", values={"x": 3.0, "y": 2.0})

"""Write CS231n's spiral data set (3 classes) as CSV files next to samples/spiral_mlp.yaml.

The points come from a formula and a seed, no download: for class ``j`` of ``K`` and
``N`` points per class, the radius runs evenly from 0 to 1 and the angle from ``4j`` to
``4(j + 1)`` radians plus normal noise (standard deviation 0.2)::

    x = r * sin(t),  y = r * cos(t)

as in the CS231n notes ("Putting it together: minimal neural network case study"),
with numpy's ``default_rng(seed)`` for the noise. ``python scripts/spiral_data.py``
rewrites ``samples/spiral_X.csv`` (one point per line) and ``samples/spiral_y.csv``
(its class, 0, 1 or 2); ``tests/test_tensor_samples.py`` checks the files are this
formula's output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def spiral(
    points: int = 100, classes: int = 3, seed: int = 0
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(X, y)``: ``points * classes`` rows of 2 coordinates, and each row's class."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for j in range(classes):
        r = np.linspace(0.0, 1.0, points)
        t = np.linspace(j * 4.0, (j + 1) * 4.0, points) + rng.normal(0.0, 0.2, points)
        xs.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        ys.append(np.full(points, float(j)))
    return np.concatenate(xs), np.concatenate(ys)


def texts(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[str, str]:
    """The two CSV files' text: numbers written so that they read back exactly."""
    return (
        "".join(f"{a!r},{b!r}\n" for a, b in x.tolist()),
        "".join(f"{int(c)}\n" for c in y.tolist()),
    )


def main() -> None:
    x_text, y_text = texts(*spiral())
    (SAMPLES / "spiral_X.csv").write_text(x_text, encoding="utf-8")
    (SAMPLES / "spiral_y.csv").write_text(y_text, encoding="utf-8")


if __name__ == "__main__":
    main()

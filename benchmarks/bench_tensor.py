"""One training step of the spiral network: cgtui against PyTorch eager on the CPU.

    python benchmarks/bench_tensor.py [--repeat N]

The model is ``samples/spiral_mlp.yaml``: 300 points in the plane, a hidden layer of 100
ReLU units, 3 classes, softmax cross-entropy plus an L2 penalty. One step is the forward
pass, the backward pass and the update ``p <- p - lr * dL/dp`` of the four params:

* cgtui: :meth:`cgtui.learn.train.Trainer.step` (the engine's full passes on float64
  numpy arrays, one node per layer, then the update);
* PyTorch: the same model in eager mode, float64, ``loss.backward()`` and an in-place
  update under ``torch.no_grad()``, with one thread like numpy's matmuls here.

Both start from the sample's params; the script checks that their losses agree after the
steps it times, prints the best time of each (milliseconds per step) and the ratio cgtui /
PyTorch (the goal is within 2x: numpy does the arithmetic in both, the rest is overhead).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cgtui.core.graph import Graph
from cgtui.lang import yamlio
from cgtui.learn.train import Problem, Trainer

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "spiral_mlp.yaml"
LR = 1.0
REG = 0.001


def best_per_step(repeat: int, steps: int, step: Callable[[], object]) -> float:
    """The best of ``repeat`` runs of ``steps`` steps, in seconds per step."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        best = min(best, (time.perf_counter() - start) / steps)
    return best


def cgtui_trainer(graph: Graph) -> Trainer:
    return Trainer(Problem(graph), LR)


def torch_step(graph: Graph) -> tuple[Callable[[], float], Callable[[], float]]:
    """A PyTorch step on the sample's values, and the loss it reached."""
    import torch

    torch.set_num_threads(1)

    def leaf(name: str, grad: bool = False) -> torch.Tensor:
        return torch.tensor(graph.node(name).value, dtype=torch.float64, requires_grad=grad)

    x, y = leaf("X"), leaf("y").long()
    params = [leaf(name, True) for name in ("W1", "b1", "W2", "b2")]
    last = [0.0]

    def loss_of() -> torch.Tensor:
        w1, b1, w2, b2 = params
        h = torch.relu(x @ w1 + b1)
        scores = h @ w2 + b2
        data_loss = torch.nn.functional.cross_entropy(scores, y)
        return data_loss + 0.5 * REG * ((w1 * w1).sum() + (w2 * w2).sum())

    def step() -> float:
        loss = loss_of()
        for p in params:
            p.grad = None
        loss.backward()  # type: ignore[no-untyped-call]
        with torch.no_grad():
            for p in params:
                assert p.grad is not None
                p -= LR * p.grad
        last[0] = float(loss.detach())
        return last[0]

    def current() -> float:
        return float(loss_of().detach())

    return step, current


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of --steps steps; the best is kept")
    parser.add_argument("--steps", type=int, default=20, help="steps per run")
    args = parser.parse_args()

    graph = yamlio.load(SAMPLE)
    trainer = cgtui_trainer(graph)
    ours = best_per_step(args.repeat, args.steps, trainer.step)
    step, current = torch_step(graph)
    theirs = best_per_step(args.repeat, args.steps, step)
    taken = args.repeat * args.steps
    agree = abs(trainer.current.loss - current()) <= 1e-9 * max(1.0, abs(current()))
    print("spiral MLP (300 x 2 -> 100 ReLU -> 3, cross-entropy), one step = forward + backward + update")
    print(f"  cgtui           {ours * 1e3:8.3f} ms/step")
    print(f"  PyTorch eager   {theirs * 1e3:8.3f} ms/step")
    print(f"  ratio cgtui / PyTorch: {ours / theirs:.2f} (goal: within 2)")
    print(f"  after {taken} steps the losses {'agree' if agree else 'DIFFER'}: "
          f"{trainer.current.loss:.12g} and {current():.12g}")
    if not np.isfinite(trainer.current.loss):
        raise SystemExit("the cgtui loss is not finite")


if __name__ == "__main__":
    main()

"""PyTorch twins of the worked examples, for ``cgtui import torch`` (tests/test_import_torch.py)."""

import torch
from torch import Tensor


def squared_error(w: Tensor, x: Tensor, b: Tensor, y: Tensor) -> Tensor:
    z = w * x
    yhat = z + b
    d = yhat - y
    return d**2


def branching(x: Tensor, y: Tensor) -> Tensor:
    s = x + y
    return s * x


def micrograd_sanity(x: Tensor) -> Tensor:
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    return h + q + q * x


def micrograd_more_ops(a: Tensor, b: Tensor) -> Tensor:
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    return g


class Neuron(torch.nn.Module):
    """A tanh neuron with its own params, as the sigmoid_neuron sample has them."""

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(0.5, dtype=torch.float64))
        self.b = torch.nn.Parameter(torch.tensor(-0.25, dtype=torch.float64))

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        p = torch.sigmoid(self.w * x + self.b)
        return -(y * torch.log(p) + (1 - y) * torch.log(1 - p))


def unsupported(x: Tensor) -> Tensor:
    return torch.matmul(x, x) + torch.clamp(x, 0, 1) + x.exp()

"""A PyTorch module for the README: a sigmoid neuron with a cross-entropy loss.

    cgtui import torch docs/examples/neuron.py:Neuron --example x=1.5,y=1 --label y --check -o neuron.yaml
"""

import torch
from torch import Tensor


class Neuron(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(0.5, dtype=torch.float64))
        self.b = torch.nn.Parameter(torch.tensor(-0.25, dtype=torch.float64))

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        p = torch.sigmoid(self.w * x + self.b)
        return -(y * torch.log(p) + (1 - y) * torch.log(1 - p))

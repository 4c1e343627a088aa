"""cgtui: turn a nested expression into an explicit computation graph and step through
backpropagation on it, one node at a time."""

__version__ = "0.1.0"

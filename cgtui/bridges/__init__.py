"""Bridges to other frameworks: graphs imported from PyTorch (``torch.fx``), checked node
by node against the framework they came from. The frameworks are optional extras,
imported only when a bridge runs."""

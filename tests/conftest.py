"""Shared fixtures: keep this small; tests import what they need from cgtui directly."""

from __future__ import annotations

from pathlib import Path

import pytest

from cgtui.core.graph import Graph

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def structure(graph: Graph) -> dict[str, tuple[str, str | None, tuple[str, ...]]]:
    """name -> (kind, op, operand names): a graph's shape, for exact comparisons."""
    return {
        n.name: (n.kind.value, n.op, tuple(graph.nodes[p].name for p in n.operands)) for n in graph.nodes
    }


@pytest.fixture
def samples_dir() -> Path:
    return SAMPLES

"""Shared fixtures: keep this small; tests import what they need from cgtui directly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from cgtui.core.graph import Graph

# Hypothesis profiles. "ci" (loaded when CI is set, as .ci/run's environment does) is
# derandomized, so a CI run can never fail by chance; "explore" (HYPOTHESIS_PROFILE=explore)
# runs ten times the examples with fresh random seeds, for hunting bugs locally; without
# either, tests run with hypothesis's usual random seeds and the example counts they name.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None, print_blob=True)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default")
settings.load_profile(PROFILE)
EXAMPLES_SCALE = 10 if PROFILE == "explore" else 1


def examples(n: int) -> int:
    """``max_examples`` for a property: ``n``, or ten times it under the explore profile."""
    return n * EXAMPLES_SCALE

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def scalar_samples(paths: list[Path]) -> list[Path]:
    """The samples whose nodes are numbers: the tensor samples (arrays in their leaves)
    are left to the features that take arrays (tests/test_tensor_*.py)."""
    from cgtui.lang import yamlio

    return [p for p in paths if not yamlio.load(p).has_arrays]


def structure(graph: Graph) -> dict[str, tuple[str, str | None, tuple[str, ...]]]:
    """name -> (kind, op, operand names): a graph's shape, for exact comparisons."""
    return {
        n.name: (n.kind.value, n.op, tuple(graph.nodes[p].name for p in n.operands)) for n in graph.nodes
    }


@pytest.fixture
def samples_dir() -> Path:
    return SAMPLES

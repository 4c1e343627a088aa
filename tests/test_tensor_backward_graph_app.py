"""The explorer's backward-graph screen on a tensor graph: G opens the backward pass of
the array network as a graph of arrays, its forward pass gives the gradient arrays, the
side pane shows them as tables, Z zooms its nodes (fit, the broadcasting rule, too), and G
goes back."""

from __future__ import annotations

from typing import Any

import numpy as np
from conftest import SAMPLES
from test_modes_app import run, settle

from cgtui.app.app import ExplorerApp
from cgtui.app.tensor_view import tensor_lines
from cgtui.engine.engine import Stepper, gradients
from cgtui.lang import yamlio


def test_g_opens_the_backward_graph_of_a_tensor_graph_and_goes_back() -> None:
    async def main() -> None:
        graph = yamlio.load(SAMPLES / "xor_mlp_tensor.yaml")
        app = ExplorerApp(Stepper(graph), source=str(SAMPLES / "xor_mlp_tensor.yaml"), plugins=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            original = app.stepper
            await pilot.press("G")
            await settle(pilot)
            bg = app.stepper.graph
            assert app.stepper is not original and bg.has_arrays
            assert bg.output_names == ["dL_dX", "dL_dY", "dL_dW1", "dL_db1", "dL_dU", "dL_dc"]
            await pilot.press("F")
            await settle(pilot)
            expected = gradients(graph)
            for name in ("W1", "b1", "U", "c"):
                got: Any = app.stepper.values[bg.lookup(f"dL_d{name}")]
                want: Any = expected.partials[graph.lookup(name)]
                assert np.array_equal(got, want), name
            i = bg.lookup("dL_db1")  # the broadcasting rule's node, shown as arrays are
            lines = tensor_lines(app.stepper, i, width=60)
            assert lines[0] == "dL_db1 (2,):"
            assert any("fit(G (2,), dL_db1_via_v2_before_fit (4,2)) -> (4,2)" in line for line in lines)
            app.selected = i
            bg_values = list(app.stepper.values)
            await settle(pilot)
            await pilot.press("Z")  # fit zooms into sums of G's columns; b1 gives its shape
            await settle(pilot)
            zg = app.stepper.graph
            assert zg is not bg and zg.title == "zoom: fit of (4, 2) and (2,)"
            assert zg.node("dL_db1_0").op == "add" and "b1 gives only its shape (2,)" in zg.description
            assert not any(n.name.startswith("b1") for n in zg.nodes)
            fitted: Any = bg_values[i]
            await pilot.press("F")  # the zoom's forward pass: the entries of dL_db1
            await settle(pilot)
            got = [app.stepper.values[zg.lookup(f"dL_db1_{k}")] for k in range(2)]
            np.testing.assert_allclose(got, fitted, rtol=1e-12)
            await pilot.press("escape")
            await settle(pilot)
            assert app.stepper.graph is bg and app.selected == i
            i = bg.lookup("dL_dU")  # a matmul of the backward graph zooms as any other
            app.selected = i
            await settle(pilot)
            await pilot.press("Z")
            await settle(pilot)
            assert app.stepper.graph is not bg
            await pilot.press("Z")
            await settle(pilot)
            assert app.stepper.graph is bg
            await pilot.press("B")
            await settle(pilot)
            assert app.stepper.backward_complete  # second derivatives, stepped like any graph
            await pilot.press("G")
            await settle(pilot)
            assert app.stepper is original and app.stepper.graph is graph

    run(main)

"""The explorer on a tensor graph: after F and B the side pane shows the selected node's
value and partial as tables and its VJPs with shapes; Z zooms into the node's scalar
graph, where B gives the node's VJP entries; escape goes back with the progress kept."""

from __future__ import annotations

from typing import Any

import numpy as np
from test_modes_app import run, settle
from textual.widgets import Static

from cgtui.app.app import ExplorerApp
from cgtui.app.side import SidePane
from cgtui.app.zoom_mode import in_zoom
from cgtui.engine.engine import Stepper, edge_contribution
from cgtui.lang.samples import samples_dir
from cgtui.lang.source import load_source


def side_text(app: ExplorerApp, part: str) -> str:
    return app.query_one(SidePane).text(part)


def xor_app() -> ExplorerApp:
    """The explorer on the XOR network with arrays."""
    return ExplorerApp(Stepper(load_source(str(samples_dir() / "xor_mlp_tensor.yaml"))), plugins=False)


async def both_passes(pilot: Any) -> None:
    """Wait for the first screen, run both passes (F, B) and wait for their frame."""
    await settle(pilot)
    await pilot.press("F", "B")
    await settle(pilot)


def test_tensor_node_tables_vjp_and_zoom_round_trip() -> None:
    async def main() -> None:
        app = xor_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await both_passes(pilot)
            original = app.stepper
            assert original.backward_complete
            g = original.graph
            u = g.lookup("U")
            v3 = next(i for i, n in enumerate(g.nodes) if n.op == "matmul" and n.operands[1] == u)
            app.selected = v3
            await settle(pilot)
            tensor = side_text(app, "tensor")
            name = g.nodes[v3].name
            assert f"{name} (4,1):" in tensor and f"dL/d{name} (4,1):" in tensor
            assert "dL/dU += Hᵀ (2,4) @ G (4,1) -> (2,1)" in tensor
            assert "dL/dH += G (4,1) @ Uᵀ (1,2) -> (4,2)" in tensor
            assert side_text(app, "tensor").count("\n") >= 10

            await pilot.press("Z")
            await settle(pilot)
            assert in_zoom(app) and app.stepper is not original
            zoomed = app.stepper
            assert not zoomed.graph.has_arrays
            await pilot.press("F", "B")
            await settle(pilot)
            assert zoomed.backward_complete
            # B in the zoom gives U's entries of the node's VJP, transpose(H) @ G
            _, vjp, _ = edge_contribution(g, v3, 1, original.values, original.partials[v3])
            got = np.array([[zoomed.partials[zoomed.graph.lookup(f"U_{r}_0")] for r in range(2)]]).T
            expected: Any = vjp
            np.testing.assert_allclose(got, expected, rtol=1e-12)
            hp = [[zoomed.partials[zoomed.graph.lookup(f"H_{r}_{c}")] for c in range(2)] for r in range(4)]
            hvjp: Any = edge_contribution(g, v3, 0, original.values, original.partials[v3])[1]
            np.testing.assert_allclose(np.array(hp), hvjp, rtol=1e-12)

            await pilot.press("escape")
            await settle(pilot)
            assert app.stepper is original and not in_zoom(app)
            assert app.selected == v3 and original.backward_complete

            # a leaf or a node too big: one line says why, nothing opens
            app.selected = g.lookup("W1")
            await settle(pilot)
            await pilot.press("Z")
            await settle(pilot)
            assert app.stepper is original

    run(main)


def test_zoom_of_a_big_node_says_why_in_one_line() -> None:
    async def main() -> None:
        graph = load_source(str(samples_dir() / "spiral_mlp.yaml"))
        app = ExplorerApp(Stepper(graph), plugins=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("F")
            await settle(pilot)
            app.selected = app.stepper.graph.lookup("H")
            await settle(pilot)
            told: list[str] = []
            app._tell = lambda message, severity="information": told.append(message)  # type: ignore[method-assign]
            await pilot.press("Z")
            await settle(pilot)
            assert not in_zoom(app)
            assert len(told) == 1 and told[0].startswith("no zoom: ") and "\n" not in told[0]
            assert "(300,100):" in side_text(app, "tensor").replace(" ", "")  # the summary

    run(main)


def test_a_descent_step_and_its_undo_on_a_tensor_graph() -> None:
    async def main() -> None:
        app = xor_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await both_passes(pilot)
            s = app.stepper
            w1 = s.graph.lookup("W1")
            before: Any = np.array(s.values[w1])
            grad: Any = np.array(s.partials[w1])
            await pilot.press("d")
            await settle(pilot)
            await pilot.press("enter")  # the learning rate offered, 0.1
            await settle(pilot)
            stepped: Any = s.values[w1]
            np.testing.assert_allclose(stepped, before - 0.1 * grad, rtol=1e-15)
            assert s.values[s.output] is None  # values below the params are cleared
            await pilot.press("escape")  # the step's report
            await settle(pilot)
            await pilot.press("F")
            await settle(pilot)
            loss = s.values[s.output]
            assert isinstance(loss, float) and loss < 0.5383841120266134
            for _ in range(s.forward_done):  # undo the forward steps, one by one
                await pilot.press("u")
                await settle(pilot)
            assert s.forward_done == 0
            await pilot.press("u")  # then the descent step
            await settle(pilot)
            restored: Any = s.values[w1]
            np.testing.assert_array_equal(restored, before)

    run(main)


def test_n_checks_an_array_leaf_entry_by_name_and_says_when_it_is_at_a_kink() -> None:
    """n on an array leaf runs cgtui check's row for it: the worst entry nudged is named
    (b1[0, 84], not b1), and on the spiral, whose arms start at the origin, that entry's
    nudge moves relu's input across 0: the dialog says kink, not disagree. On the labels of
    cross_entropy it says why they are not nudged."""
    from cgtui.app.dialogs import InfoDialog

    async def main() -> None:
        graph = load_source(str(samples_dir() / "spiral_mlp.yaml"))
        app = ExplorerApp(Stepper(graph), plugins=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            app.selected = graph.lookup("b1")
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            assert isinstance(app.screen, InfoDialog)
            info = str(app.screen.query_one("#info", Static).render())
            assert "nudge b1[0, 84] by ±1e-06 and watch L:" in info
            assert "~ at a kink" in info and "✗" not in info
            assert "the nudge moves v2[0, 84] (the input of H = relu(v2)) across 0" in info
            await pilot.press("escape")
            app.selected = graph.lookup("y")
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            info = str(app.screen.query_one("#info", Static).render())
            assert "the labels of cross_entropy are not nudged" in info and "relative error" not in info

    run(main)

"""Forward mode in the explorer on a tensor graph (samples/xor_mlp_tensor.yaml): ``m``
opens it seeded at one entry of the first param, each step shows the tangent array in
the tree, the table, the drawing and the side pane (a table, and each edge's JVP with
shapes), ``u`` undoes step by step, ``c``/``C`` move the direction."""

from __future__ import annotations

import unicodedata

import numpy as np
from conftest import SAMPLES
from test_modes_app import Shown, forward_screen, run, settle

from cgtui.app.app import ExplorerApp
from cgtui.app.side import SidePane
from cgtui.core.notation import value_text
from cgtui.engine.engine import Stepper
from cgtui.engine.forward import jvp
from cgtui.lang import yamlio

XOR = SAMPLES / "xor_mlp_tensor.yaml"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def test_forward_mode_steps_a_layer_shows_tangent_arrays_and_undoes() -> None:
    async def main() -> None:
        g = yamlio.load(XOR)
        app = ExplorerApp(Stepper(g), source=str(XOR))  # with the drawing tab
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("m")
            await settle(pilot)
            screen = forward_screen(app)
            shown = Shown(screen)
            s = screen.stepper
            assert s.label == "W1[0,0]"  # the first param, its first entry
            assert "direction d·/dW1[0,0]" in shown.status()
            assert "dnode/dW1[0,0]" in shown.headings()
            assert shown.table("W1", "dnode/dW1[0,0]") == "(2,2) mean 0.25"
            expected = jvp(g, {"W1[0,0]": 1.0})
            await pilot.press("f")  # v1 = X @ W1
            await settle(pilot)
            v1 = g.lookup("v1")
            np.testing.assert_array_equal(s.tangents[v1], expected.tangents[v1])
            tangent = value_text(expected.tangents[v1])
            assert tangent.startswith("(4,2) mean")
            assert f"dv1/dW1[0,0] {tangent}" in shown.tree("v1")
            assert shown.table("v1", "dnode/dW1[0,0]") == tangent
            side = nfc(shown.side())
            assert nfc("dv1/dW1[0,0] = Ẋ @ W1 + X @ Ẇ1") in side
            assert "dv1/dW1[0,0] (4,2):" in side  # the tangent as a table
            assert nfc("from W1: X (4,2) @ Ẇ1 (2,2) -> (4,2)") in side
            await pilot.press("3")
            await settle(pilot)
            assert any("d/dW1[0,0]" in line for line in shown.box("v1"))
            await pilot.press("f")  # v2 = v1 + b1: b1's tangent is spread over the rows
            await settle(pilot)
            side = nfc(shown.side())
            assert nfc("broadcasting: ḃ1 (2,) is spread to (4,2)") in side
            await pilot.press("F")
            await settle(pilot)
            assert s.complete
            loss = g.outputs[0]
            assert s.tangents[loss] == expected.tangents[loss]
            assert shown.table("L", "dnode/dW1[0,0]") == value_text(expected.tangents[loss])
            # undo every step, one at a time: the tangents go with them
            for _ in range(len(s.order)):
                await pilot.press("u")
                await settle(pilot)
            assert s.position == 0 and s.tangents[v1] is None and s.values[v1] is None
            assert shown.table("v1", "dnode/dW1[0,0]") == "?"
            assert "0/8 nodes" in shown.status()
            # the next entry, then the next leaf
            await pilot.press("c")
            await settle(pilot)
            assert s.label == "W1[0,1]" and "dnode/dW1[0,1]" in shown.headings()
            await pilot.press("C")
            await settle(pilot)
            assert s.label == "b1[0]"
            await pilot.press("F")
            await settle(pilot)
            assert s.tangents[loss] == jvp(g, {"b1[0]": 1.0}).tangents[loss]
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is not screen and app.stepper.forward_done == 0

    run(main)


def test_main_side_pane_counts_a_layer_s_jacobian_in_entries() -> None:
    async def main() -> None:
        g = yamlio.load(XOR)
        app = ExplorerApp(Stepper(g), source=str(XOR), plugins=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            shown = app.query_one(SidePane).text("jacobian")
            assert "the whole Jacobian (1 output entry × 21 input entries):" in shown
            assert "forward mode: 21 passes (one per input entry, n = 21)" in shown
            assert "reverse mode: 1 pass (one per output entry, m = 1)" in shown

    run(main)

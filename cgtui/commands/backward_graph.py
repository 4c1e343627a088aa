"""``cgtui backward-graph SOURCE [--at ...] [-o grad.yaml]``: the gradient computation as a
cgtui graph of its own (see :mod:`cgtui.engine.backward_graph`).

The original values are recomputed from the leaves (their values, given with ``--at``,
are kept), then one node per local derivative ``dz_dw_local``, per product
``dL_dw_via_z`` and per sum; the outputs are ``dL_dx`` for every leaf that is not a
constant. It loads in the explorer and in every command: ``cgtui grad`` of the original
equals its outputs, and ``cgtui jacobian`` of it is the Hessian.

A tensor graph's backward graph holds arrays: each edge's vector-Jacobian product from
the op table (``dL_dH = dL_dv3 @ dv3_dH_vjp_1`` with ``dv3_dH_vjp_1 = transpose(U)``), and
a ``fit`` node where broadcasting's rule brings a contribution to its operand's shape
(``dL_db1 = fit(dL_db1_via_v2_before_fit, b1)``: summed over the rows ``b1`` was
broadcast along). Its outputs equal ``cgtui grad``'s arrays.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cgtui.commands.common import add_source_arguments, load
from cgtui.engine.backward_graph import backward_graph
from cgtui.lang.yamlio import dumps, write_text_atomic


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument("--output", metavar="NAME", help="the output L to differentiate (default: the first)")
    p.add_argument("-o", "--output-file", dest="output_file", metavar="FILE", help="write the YAML to FILE")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")


def run(args: argparse.Namespace) -> int:
    graph, output = load(args)
    text = dumps(backward_graph(graph, output).graph)
    if args.output_file and args.output_file != "-":
        write_text_atomic(Path(args.output_file), text, overwrite=args.force)
    else:
        print(text, end="")
    return 0

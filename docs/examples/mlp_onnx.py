"""An ONNX model for the README: a 2-2-1 tanh network with a squared error, the
``samples/mlp_2_2_1.yaml`` sample built with ``onnx.helper``.

    python docs/examples/mlp_onnx.py mlp.onnx
    cgtui import onnx mlp.onnx --example X_0_0=0.5,X_0_1=-1,Y=0.8 --label Y --check -o mlp.yaml
"""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def mlp() -> onnx.ModelProto:
    inits = [
        numpy_helper.from_array(np.array([[0.4, 0.7], [-0.6, 0.2]]), "W1"),
        numpy_helper.from_array(np.array([0.1, -0.3]), "B1"),
        numpy_helper.from_array(np.array([[0.9], [-0.5]]), "W2"),
        numpy_helper.from_array(np.array([0.05]), "B2"),
        numpy_helper.from_array(np.array(2.0), "two"),
    ]
    nodes = [
        helper.make_node("Gemm", ["X", "W1", "B1"], ["z1"]),
        helper.make_node("Tanh", ["z1"], ["h"]),
        helper.make_node("Gemm", ["h", "W2", "B2"], ["z2"]),
        helper.make_node("Tanh", ["z2"], ["yhat"]),
        helper.make_node("Sub", ["yhat", "Y"], ["d"]),
        helper.make_node("Pow", ["d", "two"], ["L"]),
    ]
    double = TensorProto.DOUBLE
    graph = helper.make_graph(
        nodes,
        "mlp_2_2_1",
        [
            helper.make_tensor_value_info("X", double, [1, 2]),
            helper.make_tensor_value_info("Y", double, [1, 1]),
        ],
        [helper.make_tensor_value_info("L", double, [1, 1])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


if __name__ == "__main__":
    onnx.save(mlp(), sys.argv[1] if len(sys.argv) > 1 else "mlp.onnx")

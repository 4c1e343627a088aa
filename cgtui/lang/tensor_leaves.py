"""Array-valued leaves in the YAML format.

A leaf's value may be a mapping instead of a number::

    inputs:  {X: {shape: [4, 2], value: [[0, 0], [0, 1], [1, 0], [1, 1]]}}
    params:  {W1: {shape: [2, 3], init: {normal: 0.5, seed: 1}}, b1: {shape: [3], value: 0}}
    labels:  {y: {file: spiral_labels.csv}}     # or a .npy file, next to the YAML file

``value`` is nested lists or one number broadcast to ``shape``; ``init: {normal: s,
seed: n}`` draws from a normal distribution with standard deviation ``s`` (numpy's
``default_rng(n)``); ``file`` reads a CSV file of numbers (one row per line) or a
``.npy`` file from the YAML file's folder. ``shape: []`` is a scalar: the leaf is then
a plain number, as if it had been written ``x: 2.0``. Nested lists are read level by
level with a loop, never by recursion.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from cgtui.core.arrays import shape_text
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import LeafValue
from cgtui.core.lazy import np

Error = Callable[[str, yaml.Node], CgtuiError]
Number = Callable[[yaml.Node, str], "float | None"]

KEYS = ("shape", "value", "init", "file")
#: Arrays larger than this are refused (8 bytes an entry: 80 MB).
MAX_ENTRIES = 10_000_000


def array_leaf(
    name: str, node: yaml.MappingNode, folder: Path | None, error: Error, number: Number
) -> LeafValue:
    """The value of leaf ``name`` declared by the mapping ``node``."""
    fields: dict[str, yaml.Node] = {}
    for key, value in node.value:
        k = key.value if isinstance(key, yaml.ScalarNode) else None
        if k not in KEYS:
            raise error(f"'{name}': unknown key '{k}' (an array leaf has {', '.join(KEYS)})", key)
        fields[str(k)] = value
    shape = _shape(name, fields["shape"], error) if "shape" in fields else None
    sources = [k for k in ("value", "init", "file") if k in fields]
    if len(sources) != 1:
        given = len(sources) or "none"
        raise error(f"'{name}': give exactly one of value, init and file (got {given})", node)
    source = sources[0]
    where = fields[source]
    if source == "init":
        if shape is None:
            raise error(f"'{name}': init needs a shape", node)
        arr = _init(name, where, shape, error, number)
    elif source == "file":
        arr = _file(name, where, folder, error)
    else:
        arr = _nested(name, where, error, number)
    if shape is not None and arr.shape != shape:
        if arr.ndim == 0:
            arr = np.full(shape, float(arr))
        else:
            message = f"'{name}': the value has shape {shape_text(arr.shape)}, not {shape_text(shape)}"
            raise error(message, where)
    if not np.all(np.isfinite(arr)):
        raise error(f"'{name}': every entry must be a finite number", where)
    arr = arr + 0.0  # -0.0 -> 0.0, as for a number leaf
    return float(arr) if arr.ndim == 0 else arr


def _shape(name: str, node: yaml.Node, error: Error) -> tuple[int, ...]:
    if not isinstance(node, yaml.SequenceNode) or not all(
        isinstance(n, yaml.ScalarNode) and n.value.isdigit() and int(n.value) > 0 for n in node.value
    ):
        message = f"'{name}': shape must be a list of positive whole numbers ([4, 2], or [] for a scalar)"
        raise error(message, node)
    shape = tuple(int(n.value) for n in node.value)
    if int(np.prod(shape)) > MAX_ENTRIES:
        raise error(f"'{name}': shape {shape_text(shape)} has more than {MAX_ENTRIES:,} entries", node)
    return shape


def _nested(name: str, node: yaml.Node, error: Error, number: Number) -> Any:
    """Nested lists of numbers (or one number) as an array, read one level at a time."""
    level = [node]
    shape: list[int] = []
    while all(isinstance(n, yaml.SequenceNode) for n in level):
        lengths = {len(n.value) for n in level}
        if len(lengths) != 1:
            raise error(f"'{name}': the rows have different lengths {sorted(lengths)}", node)
        length = lengths.pop()
        if length == 0:
            raise error(f"'{name}': an empty list is not an array", node)
        shape.append(length)
        level = [child for n in level for child in n.value]
    values = []
    for n in level:
        if not isinstance(n, yaml.ScalarNode):
            raise error(f"'{name}': expected a number or a list of the same depth as its neighbours", n)
        v = number(n, f"an entry of '{name}'")
        if v is None:
            raise error(f"'{name}': an entry is empty", n)
        values.append(v)
    return np.array(values, dtype=float).reshape(shape)


def _init(name: str, node: yaml.Node, shape: tuple[int, ...], error: Error, number: Number) -> Any:
    items = node.value if isinstance(node, yaml.MappingNode) else []
    fields = {k.value: v for k, v in items if isinstance(k, yaml.ScalarNode)}
    if set(fields) != {"normal", "seed"}:
        raise error(f"'{name}': init is {{normal: STDDEV, seed: N}}", node)
    scale = number(fields["normal"], f"the standard deviation of '{name}'")
    seed = fields["seed"]
    if scale is None or scale < 0:
        raise error(f"'{name}': the standard deviation must be a number >= 0", fields["normal"])
    if not isinstance(seed, yaml.ScalarNode) or not seed.value.isdigit():
        raise error(f"'{name}': seed must be a whole number >= 0", seed)
    return np.random.default_rng(int(seed.value)).normal(0.0, scale, shape)


def _file(name: str, node: yaml.Node, folder: Path | None, error: Error) -> Any:
    if not isinstance(node, yaml.ScalarNode) or not node.value.strip():
        raise error(f"'{name}': file must be a file name", node)
    base = (folder or Path(".")).resolve()
    path = (base / node.value.strip()).resolve()
    if path.parent != base and base not in path.parents:
        raise error(f"'{name}': the file must be in the graph file's folder ({base})", node)
    if not path.is_file():
        raise error(f"'{name}': no such file: {path}", node)
    try:
        if path.suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
        else:
            arr = np.loadtxt(path, delimiter=",", ndmin=1, dtype=float)
    except (OSError, ValueError) as exc:
        raise error(f"'{name}': cannot read {path.name}: {exc}", node) from None
    if arr.size > MAX_ENTRIES or arr.size == 0:
        raise error(f"'{name}': {path.name} holds {arr.size:,} numbers (1 to {MAX_ENTRIES:,} are read)", node)
    return np.asarray(arr, dtype=float)


def flow_text(value: LeafValue) -> str:
    """An array leaf as written back: ``{shape: [2], value: [1.0, 2.0]}`` (exact floats)."""
    arr = np.asarray(value, dtype=float)
    values = repr(arr.tolist()) if arr.ndim else repr(float(arr))
    return f"{{shape: {list(arr.shape)}, value: {values}}}"

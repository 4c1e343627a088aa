"""The computation graph: a DAG of nodes, one elementary operation each.

Nodes are kept in a list in topological order (every operand before its result), so
the forward pass is a walk down the list and the backward pass a walk up it. Each node
names its operands slot by slot (``x*x`` has operands ``(x, x)``), so every edge
``operand -> result`` is identified by ``(result, slot)`` and both edges of ``x*x`` exist.
Graphs are built by :mod:`cgtui.lang.build` (from expression text and YAML steps), which
makes the nodes as :class:`Columns`, one list per field; the :class:`Node` objects are made
from them when first asked for. Every query here is a loop, never a recursion, so graphs
of any depth work.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import count
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

from cgtui.core.errors import GraphError, did_you_mean

#: Graphs with more nodes than this are refused while they are built: every command keeps a
#: few values per node, and this many stay within about 1 GB of memory.
MAX_NODES = 500_000


#: A leaf's value: a number, or a float64 array of fixed shape (a tensor leaf).
if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    LeafValue = float | NDArray[np.float64]
else:  # (numpy is imported when first used: see cgtui.core.lazy)
    LeafValue = object


class Kind(StrEnum):
    INPUT = "input"  # a feature: given, not learned
    LABEL = "label"  # ground truth: given, not learned
    PARAM = "param"  # learnable: the only kind gradient descent updates
    CONST = "const"  # a fixed number
    COMPUTATION = "computation"  # the result of one op

    def __str__(self) -> str:
        return self.value


@dataclass(slots=True)
class Node:
    name: str
    kind: Kind
    op: str | None = None  # None for leaves
    operands: tuple[int, ...] = ()  # node indices, one per slot
    value: LeafValue | None = None  # a leaf's value, when known (an array for a tensor leaf)


_name = attrgetter("name")
_kind = attrgetter("kind")
_op = attrgetter("op")
_operands = attrgetter("operands")
_value = attrgetter("value")


@dataclass(slots=True)
class Columns:
    """Nodes as five lists, one entry per node, in the order of the nodes: what a builder
    makes. A graph made from columns keeps them and makes its :class:`Node` objects only
    when something asks for them (``cgtui grad`` on a 100,000-term sum never does: the
    200,000 objects would add about a sixth to its time and its memory)."""

    names: list[str]
    kinds: list[Kind]
    ops: list[str | None]
    operands: list[tuple[int, ...]]
    values: list[LeafValue | None]


def _operands_before(operands: list[tuple[int, ...]]) -> bool:
    """Whether every operand is a node before its result (False also when an operand is
    not even a number: :meth:`Graph._check` then names the node)."""
    try:
        for i, ops in enumerate(operands):
            for p in ops:
                if not 0 <= p < i:
                    return False
    except TypeError:
        return False
    return True


class Graph:
    """Nodes in topological order, the outputs among them, and what the file said about
    them. The nodes are :class:`Node` objects or, as a builder makes them, :class:`Columns`
    (the node objects are then made when :attr:`nodes` is first read; the ``*_list``
    methods read either without making them)."""

    def __init__(
        self,
        nodes: list[Node] | Columns,
        outputs: list[int],
        title: str = "",
        description: str = "",
        extra: dict[str, object] | None = None,  # format sections kept as given
        origin: Path | None = None,  # the file the graph was read from, if any (for relative data files)
        aliases: dict[str, str] | None = None,
        checked: bool = False,
        namer: Callable[[], None] | None = None,
    ) -> None:
        """``checked``: the maker of the graph (the builder) guarantees that every operand
        comes before its result and that no two nodes share a name: the index of names is
        then made when it is first asked for (``cgtui grad`` never asks), and checked then.

        ``namer`` (with columns): names the computations whose name is still ``""`` in the
        names column, when a name is first read (the builder's ``v1``, ``v2``...:
        ``cgtui grad`` reads only the leaves' and the output's names, :meth:`names_of`)."""
        self._namer = namer if isinstance(nodes, Columns) else None
        self._nodes: list[Node] | None = None
        self._columns: Columns | None = None
        if isinstance(nodes, Columns):
            self._columns = nodes
        else:
            self._nodes = nodes
        self.outputs = outputs
        self.title = title
        self.description = description
        self.extra: dict[str, object] = extra if extra is not None else {}
        self.origin = origin
        #: Other names of nodes: after ``z = y``, ``z`` names the node ``y`` (alias -> node name).
        self.aliases: dict[str, str] = aliases if aliases is not None else {}
        self._index: dict[str, int] | None = None
        if not checked:
            index = self.index
            if len(index) != len(self) or not _operands_before(self.operand_list()):
                self._check()
        self._succs: list[list[tuple[int, int]]] | None = None
        #: what the layers above work out once per graph (the engine's tape), by key: a
        #: graph's nodes never change once it is built but for leaf values and kinds, and
        #: :meth:`set_kind` empties it
        self.cache: dict[str, object] = {}

    def __repr__(self) -> str:
        return f"Graph({len(self)} nodes, outputs {self.output_names}, title={self.title!r})"

    @property
    def nodes(self) -> list[Node]:
        """The nodes, as objects (made from the columns on first reading; from then on
        they are the graph's nodes, and edits to them are edits to the graph)."""
        nodes = self._nodes
        if nodes is None:
            self._name_all()
            c = self._columns
            assert c is not None
            nodes = self._nodes = list(map(Node, c.names, c.kinds, c.ops, c.operands, c.values))
            self._columns = None
        return nodes

    # --- columns: read without making node objects (read only: never edit what they give) --

    def _name_all(self) -> None:
        """Give the computations that have none their names (see ``namer``)."""
        namer = self._namer
        if namer is not None:
            self._namer = None
            namer()

    def name_list(self) -> list[str]:
        c = self._columns
        if c is None:
            return list(map(_name, self.nodes))
        self._name_all()
        return c.names

    def names_of(self, indices: Sequence[int]) -> list[str]:
        """The names of some nodes (the leaves', say), without naming every computation
        when they have their names already."""
        c = self._columns
        if c is None:
            nodes = self.nodes
            return [nodes[i].name for i in indices]
        names = list(map(c.names.__getitem__, indices))
        if "" in names:  # a computation not named yet
            self._name_all()
            names = list(map(c.names.__getitem__, indices))
        return names

    def kind_list(self) -> list[Kind]:
        c = self._columns
        return c.kinds if c is not None else list(map(_kind, self.nodes))

    def op_list(self) -> list[str | None]:
        c = self._columns
        return c.ops if c is not None else list(map(_op, self.nodes))

    def operand_list(self) -> list[tuple[int, ...]]:
        c = self._columns
        return c.operands if c is not None else list(map(_operands, self.nodes))

    def value_list(self) -> list[LeafValue | None]:
        c = self._columns
        return c.values if c is not None else list(map(_value, self.nodes))

    @property
    def index(self) -> dict[str, int]:
        """Node name -> index (read only)."""
        index = self._index
        if index is None:
            names = self.name_list()
            index = self._index = dict(zip(names, count()))
            if len(index) != len(names):
                self._check()
        return index

    def _check(self) -> None:
        """Raise for the first node whose name is taken or whose operand comes after it."""
        index: dict[str, int] = {}
        self._index = index
        for i, (name, operands) in enumerate(zip(self.name_list(), self.operand_list(), strict=True)):
            if name in index:
                self._index = None
                raise GraphError(f"duplicate node name '{name}'")
            index[name] = i
            for p in operands:
                if not 0 <= p < i:
                    self._index = None
                    raise GraphError(f"node '{name}' uses an operand that is not defined before it")

    # --- lookups --------------------------------------------------------------

    def __len__(self) -> int:
        c = self._columns
        return len(c.names) if c is not None else len(self.nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def __contains__(self, name: object) -> bool:
        return name in self.index

    def node(self, name: str) -> Node:
        return self.nodes[self.lookup(name)]

    def lookup(self, name: str) -> int:
        """The index of the node called ``name``; a helpful error if there is none."""
        try:
            return self.index[name]
        except KeyError:
            alias = self.aliases.get(name)
            if alias is not None and alias in self.index:
                return self.index[alias]
            raise GraphError(f"no node named '{name}'{did_you_mean(name, self.index)}") from None

    @property
    def output_names(self) -> list[str]:
        return self.names_of(self.outputs)

    def leaves(self) -> list[int]:
        return [i for i, op in enumerate(self.op_list()) if op is None]

    def computations(self) -> list[int]:
        return [i for i, op in enumerate(self.op_list()) if op is not None]

    # --- structure ------------------------------------------------------------

    def successors(self, i: int) -> list[tuple[int, int]]:
        """``(result, slot)`` for each edge leaving node ``i`` (``x*x`` gives two)."""
        return self.successor_lists()[i]

    def successor_lists(self) -> list[list[tuple[int, int]]]:
        if self._succs is None:
            succs: list[list[tuple[int, int]]] = [[] for _ in range(len(self))]
            for i, operands in enumerate(self.operand_list()):
                for slot, p in enumerate(operands):
                    succs[p].append((i, slot))
            self._succs = succs
        return self._succs

    def edges(self) -> Iterator[tuple[int, int, int]]:
        """Every edge as ``(operand, result, slot)``, results in topological order."""
        for i, operands in enumerate(self.operand_list()):
            for slot, p in enumerate(operands):
                yield p, i, slot

    def edge_count(self) -> int:
        return sum(map(len, self.operand_list()))

    def levels(self) -> list[int]:
        """Each node's generation: 0 for leaves, else 1 + the deepest operand's."""
        level = [0] * len(self)
        for i, operands in enumerate(self.operand_list()):
            if operands:
                level[i] = 1 + max(level[p] for p in operands)
        return level

    def ancestors(self, i: int) -> set[int]:
        """Every node that ``i`` depends on (not ``i`` itself)."""
        c = self._columns
        operands_of: Callable[[int], tuple[int, ...]]
        if c is not None:
            operands_of = c.operands.__getitem__
        else:  # (node by node: the walk takes time in the ancestors, not in the graph)
            nodes = self.nodes
            operands_of = lambda p: nodes[p].operands  # noqa: E731
        seen: set[int] = set()
        todo = list(operands_of(i))
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo.extend(operands_of(p))
        return seen

    def descendants(self, i: int) -> set[int]:
        """Every node that depends on ``i`` (not ``i`` itself)."""
        succs = self.successor_lists()
        seen: set[int] = set()
        todo = deque(s for s, _ in succs[i])
        while todo:
            s = todo.popleft()
            if s not in seen:
                seen.add(s)
                todo.extend(t for t, _ in succs[s])
        return seen

    # --- editing ----------------------------------------------------------------

    def set_kind(self, name: str, kind: Kind) -> None:
        node = self.node(name)
        if node.op is not None:
            raise GraphError(f"'{name}' is a computation; only leaves can be marked {kind.value}")
        if kind is Kind.COMPUTATION:
            raise GraphError("a leaf cannot be marked as a computation")
        node.kind = kind
        self.cache.clear()  # what was worked out for the old kinds

    def copy(self) -> Graph:
        self._name_all()
        c = self._columns
        nodes: list[Node] | Columns = (
            [Node(n.name, n.kind, n.op, n.operands, _copied(n.value)) for n in self.nodes]
            if c is None
            else Columns(
                list(c.names), list(c.kinds), list(c.ops), list(c.operands), list(map(_copied, c.values))
            )
        )
        g = Graph(
            nodes,
            list(self.outputs),
            title=self.title,
            description=self.description,
            extra=dict(self.extra),
            origin=self.origin,
            aliases=dict(self.aliases),
        )
        return g

    def signature(self) -> tuple[object, ...]:
        """Everything that defines the graph, by names, for equality tests.

        Nodes are compared as a set: a DAG has many topological orders, and two graphs
        with the same named nodes, kinds, ops, operand slots, leaf values and outputs are
        the same graph whichever order they are listed in.
        """
        names = self.name_list()
        columns = (self.kind_list(), self.op_list(), self.operand_list(), self.value_list())
        rows = zip(names, *columns, strict=True)
        return (
            tuple(
                sorted(
                    (name, kind.value, op or "", tuple(names[p] for p in operands), _key(value))
                    for name, kind, op, operands, value in rows
                )
            ),
            tuple(self.output_names),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return self.signature() == other.signature()

    __hash__ = None  # type: ignore[assignment]

    @property
    def has_arrays(self) -> bool:
        """Whether a leaf holds an array (a tensor graph)."""
        c = self._columns
        values = c.values if c is not None else map(_value, self.nodes)
        return not _FLOAT_OR_NONE.issuperset(map(type, values))  # (a scan in C, no list made)


_FLOAT_OR_NONE = frozenset((float, type(None)))


def _copied(value: LeafValue | None) -> LeafValue | None:
    return value if value is None or isinstance(value, float) else value.copy()


def _key(value: LeafValue | None) -> object:
    """A leaf value as something equality can compare: an array by shape and entries."""
    if value is not None and not isinstance(value, float):
        return (value.shape, tuple(value.ravel().tolist()))
    return value

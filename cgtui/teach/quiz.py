"""Active recall: the quiz asks for what the next step will compute, then checks it.

Questions follow the order of the passes, so a learner can do a whole forward and
backward pass by hand with cgtui checking every step:

1. in a regression graph (one with params and labels), the kind of each leaf;
2. the forward pass: the value of the next node;
3. the backward pass, node by node in reverse topological order: for a node that
   branches, the number of paths from it to the output; its partial ``dL/ds`` (now
   complete); then the local derivative on each edge into its operands;
4. the partial of each leaf, now that every contribution has arrived.

On a graph whose nodes hold arrays (a layer as one node) the same passes teach the step
from scalars to layers: the shape of each result and of each cached partial (``dL/dW1``
has the shape of ``W1``); for a tensor op's edge, which vector-Jacobian product of the op
table gives the operand's contribution (multiple choice: ``G @ transpose(W1)`` or
``transpose(X) @ G``); for a broadcast operand (a bias), which axes the contribution is
summed over; and, where every array involved is small (up to 4x4), one entry of a value,
of a local derivative or of a cached partial, typed as a number.

The quiz drives a :class:`~cgtui.engine.engine.Stepper`: a step is taken only after its
question is answered (or revealed), so whatever shows the stepper never gives the
answer away. Numbers are checked with a tolerance and may be typed as arithmetic
(``0.2*2``, ``3^30``), evaluated by cgtui's own parser. Every answer, right or wrong,
comes back with the worked solution: the formula used and the arithmetic.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any

from cgtui.core import arrays, notation
from cgtui.core.errors import CgtuiError, name_list
from cgtui.core.graph import Graph, Kind
from cgtui.core.lazy import np
from cgtui.core.notation import format_number, value_text
from cgtui.core.ops import OPS, SLOT_NAMES
from cgtui.engine.engine import (
    Push,
    Stepper,
    StepResult,
    application_text,
    edge_formula,
    evaluate_node,
    local_derivative,
    missing_values,
)
from cgtui.engine.paths import Count, path_counts_to, top_paths
from cgtui.lang.build import is_literal
from cgtui.lang.formula import substitute
from cgtui.teach.efficiency import format_count, ratio

#: A node's value or partial: a float, or a float64 numpy array on a graph of arrays.
Value = Any


class QuestionKind(StrEnum):
    LEAF_KIND = "leaf kind"
    FORWARD_VALUE = "forward value"
    PATH_COUNT = "path count"
    BACKWARD_PARTIAL = "backward partial"
    LOCAL_DERIVATIVE = "local derivative"
    SHAPE = "shape"  # the shape of an array node's value
    PARTIAL_SHAPE = "partial shape"  # the shape of a cached partial dL/dz
    VJP = "vector-Jacobian product"  # which map of G gives an operand's contribution
    BROADCAST_AXES = "broadcast axes"  # which axes the broadcasting rule sums G over

    def __str__(self) -> str:
        return self.value


ALL_KINDS = frozenset(QuestionKind)


@dataclass(frozen=True)
class Question:
    kind: QuestionKind
    node: int  # the node asked about (for an edge: the result s)
    prompt: str  # what to show; gives the formula's inputs, never the answer
    expected: float | int | str  # the answer (a leaf kind's value for LEAF_KIND)
    solution: tuple[str, ...]  # the worked solution, shown after answering
    formula: str = ""  # the rule used (op table text with the node names)
    operand: int | None = None  # for an edge: the operand p of s
    slot: int | None = None
    accepted: tuple[str, ...] = ()  # other accepted answers (LEAF_KIND)
    #: One entry of an array asked for (FORWARD_VALUE, LOCAL_DERIVATIVE, BACKWARD_PARTIAL
    #: on array nodes); None: the whole quantity.
    entry: tuple[int, ...] | None = None
    choices: tuple[str, ...] = ()  # the options of a multiple-choice question (VJP)


@dataclass(frozen=True)
class Verdict:
    question: Question
    given: str
    correct: bool
    revealed: bool  # the learner asked for the answer
    message: str  # "correct" / "not quite: ..." / "revealed"
    solution: tuple[str, ...]


@dataclass
class Score:
    correct: int = 0
    wrong: int = 0
    revealed: int = 0
    by_kind: dict[QuestionKind, list[int]] = field(default_factory=dict)  # kind -> [correct, asked]

    @property
    def asked(self) -> int:
        return self.correct + self.wrong + self.revealed

    def record(self, kind: QuestionKind, correct: bool, revealed: bool) -> None:
        if correct:
            self.correct += 1
        elif revealed:
            self.revealed += 1
        else:
            self.wrong += 1
        tally = self.by_kind.setdefault(kind, [0, 0])
        tally[0] += int(correct)
        tally[1] += 1

    def text(self) -> str:
        extra = f", {self.revealed} revealed" if self.revealed else ""
        return f"{self.correct}/{self.asked} correct{extra}"


class InvalidAnswer(CgtuiError):
    """The answer could not be read (not counted; the question stays)."""


#: Answers accepted for each leaf kind.
KIND_WORDS: dict[Kind, tuple[str, ...]] = {
    Kind.INPUT: ("input", "feature", "inputs", "features"),
    Kind.LABEL: ("label", "ground truth", "ground-truth", "target", "truth", "labels"),
    Kind.PARAM: ("param", "parameter", "weight", "bias", "learnable", "params", "parameters"),
    Kind.CONST: ("const", "constant"),
}

_KIND_EXPLAINED = {
    Kind.INPUT: "an input (a feature): given with the example, not learned",
    Kind.LABEL: "a label (the ground truth): given, compared with the prediction, not learned",
    Kind.PARAM: "a parameter: learnable, the only kind gradient descent updates",
    Kind.CONST: "a constant",
}


class Quiz:
    """Questions in pass order over a stepper; :meth:`answer` checks and moves on.

    ``kinds`` limits the questions asked (the steps still happen, silently).
    ``rel_tol``/``abs_tol``: a number is right when within
    ``max(abs_tol, rel_tol * |expected|)`` of the answer; path counts must be exact.
    """

    def __init__(
        self,
        graph: Graph | None = None,
        *,
        stepper: Stepper | None = None,
        output: str | int | None = None,
        values: Mapping[str, float] | None = None,
        kinds: Iterable[QuestionKind] = ALL_KINDS,
        rel_tol: float = 0.01,
        abs_tol: float = 1e-6,
        score: Score | None = None,
    ) -> None:
        if stepper is None:
            if graph is None:
                raise CgtuiError("a quiz needs a graph or a stepper")
            stepper = Stepper(graph, output, values)
        self.stepper = stepper
        self.graph = stepper.graph
        missing = missing_values(self.graph, stepper.values)
        if missing:
            raise CgtuiError(f"the quiz needs a value for every leaf; missing: {name_list(missing)}")
        self.kinds = frozenset(kinds)
        self.rel_tol = rel_tol
        self.abs_tol = abs_tol
        self.score = Score() if score is None else score
        self.history: list[Verdict] = []
        self.fault: str | None = None  # why the quiz stopped early, if it did
        self.last_steps: list[StepResult] = []  # the stepper steps the last answer led to
        self._plan = self._questions()
        self.current: Question | None = next(self._plan, None)
        self._mark = self._state()

    # ---- state ------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self.current is None

    def in_sync(self) -> bool:
        """False once something else has stepped, undone or edited the stepper: the
        current question may be stale (make a new Quiz on the stepper, passing the score)."""
        return self._state() == self._mark

    def _state(self) -> tuple[object, ...]:
        st = self.stepper
        return (len(st.history), st.backward_pos, st.forward_done, st.fault is None, st.output)

    def hides(self, i: int) -> bool:
        """Whether a view should hide node ``i``'s number now (it is being asked)."""
        return self.current is not None and self.current.node == i

    # ---- answering --------------------------------------------------------------

    def answer(self, text: str) -> Verdict:
        """Check ``text`` against the current question, keep score, move on.

        Raises :class:`InvalidAnswer` (and keeps the question) if ``text`` is not an answer.
        """
        q = self._require()
        correct, note = self.check(text)
        message = ("correct" if correct else "not quite") + (f": {note}" if note else "")
        return self._finish(q, text.strip(), correct, False, message)

    def check(self, text: str) -> tuple[bool, str]:
        """Whether ``text`` answers the current question, and a note; nothing is recorded
        and the question stays. Raises :class:`InvalidAnswer` if ``text`` is not an answer."""
        q = self._require()
        if not text.strip():
            raise InvalidAnswer("type an answer (or reveal it)")
        if q.kind is QuestionKind.LEAF_KIND:
            return self._check_kind(q, text)
        if q.kind in (QuestionKind.SHAPE, QuestionKind.PARTIAL_SHAPE):
            return _check_shape(q, text)
        if q.kind is QuestionKind.VJP:
            return _check_choice(q, text)
        if q.kind is QuestionKind.BROADCAST_AXES:
            return _check_axes(q, text)
        return self._check_number(q, parse_number(text))

    def reveal(self) -> Verdict:
        """Show the answer and its solution; counted as revealed, then move on."""
        q = self._require()
        return self._finish(q, "", False, True, f"the answer is {expected_text(q)}")

    def _require(self) -> Question:
        if self.current is None:
            raise CgtuiError("the quiz is over")
        return self.current

    def _finish(self, q: Question, given: str, correct: bool, revealed: bool, message: str) -> Verdict:
        self.score.record(q.kind, correct, revealed)
        verdict = Verdict(q, given, correct, revealed, message, q.solution)
        self.history.append(verdict)
        self.last_steps = []
        self.current = next(self._plan, None)
        self._mark = self._state()
        return verdict

    def _check_number(self, q: Question, given: float) -> tuple[bool, str]:
        expected = q.expected
        assert not isinstance(expected, str)
        if q.kind is QuestionKind.PATH_COUNT:
            if expected < 2**53:
                ok = given == float(expected)
            else:  # beyond exact floats: as close as a float can be (never, past 1e308)
                ok = ratio(abs(int(given) - int(expected)), int(expected)) < 1e-12 if given > 0 else False
        else:
            ok = abs(given - float(expected)) <= max(self.abs_tol, self.rel_tol * abs(float(expected)))
        if ok:
            return True, "" if given == expected else f"{expected_text(q)} exactly"
        return False, f"you gave {format_number(given)}, the answer is {expected_text(q)}"

    def _check_kind(self, q: Question, text: str) -> tuple[bool, str]:
        word = " ".join(text.strip().lower().split())
        expected = str(q.expected)
        for kind_name in (expected, *q.accepted):
            if word in KIND_WORDS[Kind(kind_name)]:
                if kind_name != expected:
                    return True, (
                        f"{self.graph.nodes[q.node].name} is marked {expected} here; the two "
                        "factors of a parameter x input product can swap roles"
                    )
                return True, ""
        known = {w for words in KIND_WORDS.values() for w in words}
        if word not in known:
            raise InvalidAnswer(f"'{text.strip()}' is not a kind: answer input, label or param")
        return False, f"{self.graph.nodes[q.node].name} is {_KIND_EXPLAINED[Kind(expected)]}"

    # ---- the plan -----------------------------------------------------------------

    def _questions(self) -> Iterator[Question]:
        st = self.stepper
        g = self.graph
        ask = self.kinds
        if QuestionKind.LEAF_KIND in ask and st.forward_done == 0 and is_regression(g):
            for i, node in enumerate(g.nodes):
                if node.op is None and node.kind in (Kind.INPUT, Kind.LABEL, Kind.PARAM) and st.path[i]:
                    yield self._kind_question(i)
        while (f := st.next_forward()) is not None:
            if self._array_node(f):
                yield from self._tensor_forward(f)
            elif QuestionKind.FORWARD_VALUE in ask:
                q = self._forward_question(f)
                if q is not None:  # None: the step faults, and says why
                    yield q
            r = st.step_forward()
            self.last_steps.append(r)
            if r.kind != "forward":
                self.fault = "; ".join(r.lines)
                return
        backward = {
            QuestionKind.PATH_COUNT,
            QuestionKind.BACKWARD_PARTIAL,
            QuestionKind.LOCAL_DERIVATIVE,
            QuestionKind.PARTIAL_SHAPE,
            QuestionKind.VJP,
            QuestionKind.BROADCAST_AXES,
        }
        if not ask & backward:
            return
        counts = path_counts_to(g, st.output)
        while (s := st.next_backward()) is not None:
            if s != st.output:
                yield from self._partial_questions(s, counts)
            if ask & {QuestionKind.LOCAL_DERIVATIVE, QuestionKind.VJP, QuestionKind.BROADCAST_AXES}:
                for slot, p in enumerate(g.nodes[s].operands):
                    if st.needs[p] and self._array_node(s):
                        yield from self._tensor_edge(s, slot)
                    elif st.needs[p] and QuestionKind.LOCAL_DERIVATIVE in ask:
                        lq = self._local_question(s, slot)
                        if lq is None:  # the step faults, and says why
                            break
                        yield lq
            r = st.step_backward()
            self.last_steps.append(r)
            if r.kind != "backward":
                self.fault = "; ".join(r.lines)
                return
        for i in range(st.output - 1, -1, -1):
            node = g.nodes[i]
            if node.op is None and st.partials[i] is not None:
                yield from self._partial_questions(i, counts)

    def _partial_questions(self, i: int, counts: list[Count]) -> Iterator[Question]:
        terms = self.stepper.accumulation(i)
        if QuestionKind.PATH_COUNT in self.kinds and len(terms) > 1:
            yield self._paths_question(i, counts)
        if self._array_partial(i):
            yield from self._tensor_partial(i)
            return
        # a node used by the output alone: its partial is the local derivative just asked
        if QuestionKind.BACKWARD_PARTIAL in self.kinds and any(s != self.stepper.output for s, _, _ in terms):
            yield self._partial_question(i)

    # ---- questions ----------------------------------------------------------------

    def _kind_question(self, i: int) -> Question:
        g = self.graph
        node = g.nodes[i]
        uses = [f"{g.nodes[s].name} = {application_text(g, s)}" for s, _ in g.successors(i)]
        accepted: tuple[str, ...] = ()
        partner = _mul_partner(g, i)
        if partner is not None:
            accepted = (g.nodes[partner].kind.value,)
        solution = [
            f"{node.name} is {_KIND_EXPLAINED[node.kind]}.",
            f"It is used in: {'; '.join(uses[:3])}{' ...' if len(uses) > 3 else ''}.",
        ]
        if node.kind is Kind.LABEL:
            solution.append("The label is what the prediction is compared with (subtracted from it).")
        elif partner is not None:
            solution.append(
                f"{node.name} * {g.nodes[partner].name} is a parameter x input product: from the structure "
                "alone the two could swap roles."
            )
        elif node.kind is Kind.PARAM:
            solution.append("A parameter added on its own, not multiplied by an input, is a bias.")
        return Question(
            QuestionKind.LEAF_KIND,
            i,
            f"What kind of leaf is {node.name}: input, label or param?",
            node.kind.value,
            tuple(solution),
            accepted=accepted,
        )

    def _forward_question(self, i: int) -> Question | None:
        g = self.graph
        st = self.stepper
        node = g.nodes[i]
        value, problem = evaluate_node(g, i, st.values)
        if problem is not None or value is None or not _is_number(value):
            return None  # the step itself reports the fault
        operands = _known(g, st.values, node.operands)
        symbolic = application_text(g, i)
        numeric = application_text(g, i, [value_text(st.values[p]) for p in node.operands])
        return Question(
            QuestionKind.FORWARD_VALUE,
            i,
            f"Forward pass: {node.name} = {symbolic}{', with ' + operands if operands else ''}. "
            f"What is {node.name}?",
            float(value),
            (
                f"{node.name} = {symbolic}",
                f"     = {numeric}",
                f"     = {value_text(value)}",
            ),
            formula=f"{node.name} = {symbolic}",
        )

    def _local_question(self, s: int, slot: int) -> Question | None:
        g = self.graph
        st = self.stepper
        node = g.nodes[s]
        p = node.operands[slot]
        d, problem = local_derivative(g, s, slot, st.values)
        if problem is not None or d is None or not _is_number(d):
            return None
        op = OPS[node.op]  # type: ignore[index]
        rule = op.partials[slot].formula
        named = edge_formula(g, s, slot)
        nums = {SLOT_NAMES[k]: value_text(st.values[q]) for k, q in enumerate(node.operands)}
        nums["out"] = value_text(st.values[s])
        numeric = substitute(rule, nums)
        pname = g.nodes[p].name
        which = f" (slot {SLOT_NAMES[slot]})" if node.operands.count(p) > 1 else ""
        known = _known(g, st.values, (*node.operands, s))
        solution = [
            f"{node.name} = {application_text(g, s)}; the op table's rule for {op.name}, "
            f"d/d{SLOT_NAMES[slot]}: {rule}",
            f"{notation.local_name(node.name, pname)}{which} = {named}",
        ]
        if numeric not in (named, value_text(d)):
            solution.append(f"     = {numeric}")
        if value_text(d) != named:
            solution.append(f"     = {value_text(d)}")
        return Question(
            QuestionKind.LOCAL_DERIVATIVE,
            s,
            f"Local derivative on the edge {pname} -> {node.name}{which}: {node.name} = "
            f"{application_text(g, s)} with {known}. What is {notation.local_name(node.name, pname)}?",
            float(d),
            tuple(solution),
            formula=notation.local_formula(node.name, pname, named),
            operand=p,
            slot=slot,
        )

    def _partial_question(self, i: int) -> Question:
        g = self.graph
        st = self.stepper
        out = g.nodes[st.output].name
        name = g.nodes[i].name
        value = st.partials[i]
        terms = [push for _, _, push in st.accumulation(i) if push is not None]
        symbolic = " + ".join(notation.chain_term(out, g.nodes[t.result].name, name) for t in terms)
        numeric = " + ".join(notation.product([value_text(t.upstream), value_text(t.local)]) for t in terms)
        lines = [f"{notation.partial_name(out, name)} = {symbolic}"]
        if len(terms) > 1:
            lines.insert(0, f"{name} has {len(terms)} outgoing edges: add one contribution per edge")
        lines.append(f"     = {numeric}")
        lines.append(f"     = {value_text(value)}")
        where = ", ".join(
            [
                *(
                    f"{notation.partial_name(out, g.nodes[t.result].name)} = {value_text(t.upstream)}"
                    for t in {t.result: t for t in terms}.values()
                ),
                *(
                    f"{notation.local_name(g.nodes[t.result].name, name)} = {value_text(t.local)}"
                    for t in terms
                ),
            ]
        )
        return Question(
            QuestionKind.BACKWARD_PARTIAL,
            i,
            f"Backward pass: {name} is used by {_users(g, i)}. Knowing {where}, "
            f"what is {notation.partial_name(out, name)}?",
            float(value) if value is not None else 0.0,
            tuple(lines),
            formula=f"{notation.partial_name(out, name)} = {symbolic}",
        )

    def _paths_question(self, i: int, counts: list[Count]) -> Question:
        g = self.graph
        st = self.stepper
        name = g.nodes[i].name
        out = g.nodes[st.output].name
        succ = [(s, slot) for s, slot, _ in st.accumulation(i)]
        parts = " + ".join(format_count(counts[s]) for s, _ in succ)
        lines = [
            f"paths({name}) = the sum over {name}'s outgoing edges of the paths from their ends",
            f"     = {' + '.join(f'paths({g.nodes[s].name})' for s, _ in succ)}",
            f"     = {parts} = {format_count(counts[i])}",
        ]
        if counts[i] <= 6 and not st.arrays:  # the paths' products are numbers, not arrays
            report = top_paths(g, st.values, i, st.output, k=6)
            for path in report.paths:
                lines.append("  " + " -> ".join(g.nodes[n].name for n in path.nodes))
        lines.append(
            f"{notation.partial_name(out, name)} is a sum of {format_count(counts[i])} path products; "
            f"backprop adds {len(succ)} terms."
        )
        return Question(
            QuestionKind.PATH_COUNT,
            i,
            f"How many paths lead from {name} to {out}?",
            c if isinstance(c := counts[i], int) else format_count(c),
            tuple(lines),
            formula=f"paths({name}) = sum of paths(successor) over outgoing edges",
        )

    # ---- arrays: the step from scalars to layers ------------------------------------

    def _array_node(self, i: int) -> bool:
        """Whether node ``i`` or an operand of it holds an array (a layer, not a number)."""
        if not self.stepper.arrays:  # (the graph's has_arrays, kept: a scan of every node)
            return False
        values = self.stepper.values
        return _is_array(values[i]) or any(_is_array(values[p]) for p in self.graph.nodes[i].operands)

    def _array_partial(self, i: int) -> bool:
        """Whether ``dL/dnode`` involves arrays: the node's own or one of its terms'."""
        if not self.stepper.arrays:
            return False
        st = self.stepper
        return _is_array(st.values[i]) or any(self._array_node(s) for s, _, _ in st.accumulation(i))

    def _tensor_forward(self, i: int) -> Iterator[Question]:
        g = self.graph
        st = self.stepper
        node = g.nodes[i]
        with np.errstate(all="ignore"):
            value, problem = evaluate_node(g, i, st.values)
        if problem is not None or value is None:
            return  # the step itself reports the fault
        args = [st.values[p] for p in node.operands]
        if QuestionKind.SHAPE in self.kinds:
            yield self._shape_question(i, value)
        if QuestionKind.FORWARD_VALUE not in self.kinds or not all(_small(v) for v in [value, *args]):
            return
        if _is_array(value) or node.op == "sum":
            yield self._value_entry_question(i, value)

    def _given(self, nodes: Iterable[int]) -> str:
        """``X = (4, 2) [[0, 0], ...], c = 0.4``: the values a question gives, arrays in full."""
        g = self.graph
        values = self.stepper.values
        return ", ".join(
            f"{g.nodes[q].name} = {notation.inline_value(values[q])}"
            for q in dict.fromkeys(nodes)
            if not is_literal(g.nodes[q])
        )

    def _shape_question(self, i: int, value: Value) -> Question:
        g = self.graph
        node = g.nodes[i]
        values = self.stepper.values
        shape = arrays.shape_of(value)
        given = ", ".join(
            f"{g.nodes[p].name} {arrays.shape_text(arrays.shape_of(values[p]))}"
            for p in dict.fromkeys(node.operands)
            if not is_literal(g.nodes[p])  # a number written in the text
        )
        symbolic = application_text(g, i)
        return Question(
            QuestionKind.SHAPE,
            i,
            f"Shapes: {node.name} = {symbolic}{' with ' + given if given else ''}. "
            f"What is the shape of {node.name}? "
            "(type it as 4, 2; () for one number)",
            arrays.shape_text(shape),
            (f"{node.name} = {symbolic}", *_shape_reason(g, i, values, shape)),
            formula=f"{node.name} = {symbolic}",
        )

    def _value_entry_question(self, i: int, value: Value) -> Question:
        g = self.graph
        node = g.nodes[i]
        values = self.stepper.values
        arr = np.asarray(value, dtype=float)
        index = _pick(arr.shape, i, lambda k: _forward_terms(g, i, values, k)[1])
        lines, _ = _forward_terms(g, i, values, index)
        asked = notation.entry(node.name, index)
        where = " (rows and columns count from 0)" if index else ""
        return Question(
            QuestionKind.FORWARD_VALUE,
            i,
            f"Forward pass: {node.name} = {application_text(g, i)}, with {self._given(node.operands)}. "
            f"What is {asked}?{where}",
            float(arr[index]),
            (
                f"{asked} = {lines[0]}",
                *(f"     = {line}" for line in lines[1:]),
                f"     = {format_number(float(arr[index]))}",
            ),
            formula=f"{node.name} = {application_text(g, i)}",
            entry=index,
        )

    def _tensor_edge(self, s: int, slot: int) -> Iterator[Question]:
        """The questions on edge ``operand[slot] -> s`` of an array node."""
        g = self.graph
        st = self.stepper
        node = g.nodes[s]
        entry = OPS[node.op].partials[slot]  # type: ignore[index]
        p = node.operands[slot]
        upstream = st.partials[s]
        if upstream is None:
            return
        if entry.vjp:
            if QuestionKind.VJP in self.kinds:
                q = self._vjp_question(s, slot)
                if q is not None:
                    yield q
            return
        with np.errstate(all="ignore"):
            local, problem = local_derivative(g, s, slot, st.values)
        if problem is not None or local is None:
            return  # the step itself reports the fault
        raw = arrays.shape_of(st.values[s])
        if arrays.reduced(np.broadcast_to(np.asarray(upstream), raw), arrays.shape_of(st.values[p])):
            if QuestionKind.BROADCAST_AXES in self.kinds:
                yield self._axes_question(s, slot)
            return
        if _constant_formula(entry.formula):
            return  # a pass-through (+, -): dL/ds arrives unchanged, as the partial question shows
        small = all(_small(v) for v in (st.values[s], *(st.values[q] for q in node.operands)))
        if small and QuestionKind.LOCAL_DERIVATIVE in self.kinds:
            yield self._local_entry_question(s, slot, local)
        elif not small and QuestionKind.VJP in self.kinds:
            q = self._vjp_question(s, slot)
            if q is not None:
                yield q

    def _local_entry_question(self, s: int, slot: int, local: Value) -> Question:
        g = self.graph
        st = self.stepper
        node = g.nodes[s]
        p = node.operands[slot]
        pname = g.nodes[p].name
        shape = arrays.shape_of(st.values[s])
        full = np.broadcast_to(np.asarray(local, dtype=float), shape)
        index = _pick(shape, s + slot, lambda k: int(full[k] != 0))
        op = OPS[node.op]  # type: ignore[index]
        rule = op.partials[slot].formula
        named = edge_formula(g, s, slot)
        nums = {SLOT_NAMES[k]: _entry_text(st.values[q], index, shape) for k, q in enumerate(node.operands)}
        nums["out"] = _entry_text(st.values[s], index, shape)
        names = {
            SLOT_NAMES[k]: _entry_name(g.nodes[q].name, st.values[q], index, shape)
            for k, q in enumerate(node.operands)
        }
        names["out"] = notation.entry(node.name, index)
        asked = notation.entry(notation.local_name(node.name, pname), index)
        expected = float(full[index])
        solution = [
            f"{node.name} = {application_text(g, s)} acts entry by entry: the op table's rule for "
            f"{op.name}, d/d{SLOT_NAMES[slot]}: {rule}, at each entry",
            f"{notation.local_name(node.name, pname)} = {named}",
            f"{asked} = {substitute(rule, names)}",
        ]
        numeric = substitute(rule, nums)
        if numeric != format_number(expected):
            solution.append(f"     = {numeric}")
        solution.append(f"     = {format_number(expected)}")
        solution.append(
            f"The push multiplies entry by entry: G * {_bracketed(named)}, "
            f"G = {notation.partial_name(st.output_name, node.name)}."
        )
        return Question(
            QuestionKind.LOCAL_DERIVATIVE,
            s,
            f"Local derivative on the edge {pname} -> {node.name}: {node.name} = {application_text(g, s)} "
            f"entry by entry, with {self._given((*node.operands, s))}. What is {asked}?",
            expected,
            tuple(solution),
            formula=notation.local_formula(node.name, pname, named),
            operand=p,
            slot=slot,
            entry=index,
        )

    def _axes_question(self, s: int, slot: int) -> Question:
        g = self.graph
        st = self.stepper
        node = g.nodes[s]
        p = node.operands[slot]
        pname = g.nodes[p].name
        out = st.output_name
        big = arrays.shape_of(st.values[s])
        small = arrays.shape_of(st.values[p])
        axes = summed_axes(big, small)
        push = f"G * {notation.local_name(node.name, pname)}"
        lead = len(big) - len(small)
        why = []
        if lead > 0:
            why.append(
                f"{pname} has {len(small)} axes to {node.name}'s {len(big)}: it was repeated along the "
                f"leading {_axes_text(tuple(range(lead)))}"
            )
        ones = [lead + k for k, n in enumerate(small) if n == 1 and big[lead + k] != 1]
        if ones:
            why.append(
                f"{pname} has length 1 where {node.name} has more: it was repeated along "
                f"{_axes_text(tuple(ones))}"
            )
        text = ", ".join(str(k) for k in axes)
        return Question(
            QuestionKind.BROADCAST_AXES,
            s,
            f"Broadcasting, edge {pname} -> {node.name}: {node.name} = {application_text(g, s)} has shape "
            f"{arrays.shape_text(big)}, {pname} has shape {arrays.shape_text(small)}. The push into "
            f"{notation.partial_name(out, pname)}, {push} with G = {notation.partial_name(out, node.name)}, "
            f"has shape {arrays.shape_text(big)}: over which axes is it summed? (axis numbers: 0, or 0, 1)",
            text,
            (
                f"numpy lines {arrays.shape_text(small)} up with {arrays.shape_text(big)} from the right;",
                *(line + ";" for line in why),
                f"each repeated copy of {pname} received its own share of G, so the shares add up:",
                f"{notation.partial_name(out, pname)} += {push} summed over {_axes_text(axes)}"
                f" -> {arrays.shape_text(small)}, the shape of {pname}.",
                f"(the rule: {arrays.BROADCAST_RULE})",
            ),
            formula=f"{notation.partial_name(out, pname)} += sum of {push} over {_axes_text(axes)}",
            operand=p,
            slot=slot,
            accepted=("all",) if axes == tuple(range(len(big))) else (),
        )

    def _vjp_question(self, s: int, slot: int) -> Question | None:
        g = self.graph
        st = self.stepper
        node = g.nodes[s]
        p = node.operands[slot]
        pname = g.nodes[p].name
        out = st.output_name
        options = vjp_options(g, s, slot, st.values, st.partials[s])
        if options is None or len(options) < 2:
            return None
        which = f" (slot {SLOT_NAMES[slot]})" if node.operands.count(p) > 1 else ""
        right = options[0]
        turn = (s + slot) % len(options)
        shown = options[turn:] + options[:turn]
        choices = tuple(o.text for o in shown)
        menu = _menu([o.text for o in shown])
        shapes = ", ".join(
            f"{g.nodes[q].name} {arrays.shape_text(arrays.shape_of(st.values[q]))}"
            for q in dict.fromkeys((*node.operands, s))
            if not is_literal(g.nodes[q])  # an axis or a shape is written in the text
        )
        gname = notation.partial_name(out, node.name)
        op = OPS[node.op]  # type: ignore[index]
        how = (
            f"the op table's VJP for {op.name}, d/d{SLOT_NAMES[slot]}: {op.partials[slot].formula}"
            if op.partials[slot].vjp
            else f"{op.name} acts entry by entry: G times its local derivative "
            f"{notation.local_formula(node.name, pname, edge_formula(g, s, slot))}"
        )
        solution = [
            f"{node.name} = {application_text(g, s)}; {how}",
            notation.vjp_push(out, node.name, pname, right.text),
            *_vjp_symbols(g, s, st.values, " ".join(o.text for o in shown)),
        ]
        for k, o in enumerate(shown):
            solution.append(f"  {k + 1}) {o.text}: {o.why}")
        return Question(
            QuestionKind.VJP,
            s,
            f"Backward pass, edge {pname} -> {node.name}{which}: {node.name} = {application_text(g, s)} "
            f"with {shapes}; "
            f"G = {gname} {arrays.shape_text(arrays.shape_of(st.partials[s]))}. Which map of G gives the "
            f"push into {notation.partial_name(out, pname)}? (type its number){menu}",
            right.text,
            tuple(solution),
            formula=notation.vjp_push(out, node.name, pname, right.text),
            operand=p,
            slot=slot,
            choices=choices,
        )

    def _small_partial(self, i: int) -> bool:
        """Whether every array ``dL/dnode`` is made of is small enough to work by hand."""
        st = self.stepper
        g = self.graph
        if not _small(st.partials[i]):
            return False
        for s, _, push in st.accumulation(i):
            if push is None:
                return False
            if not all(
                _small(v) for v in (st.values[s], push.upstream, *(st.values[q] for q in g.nodes[s].operands))
            ):
                return False
        return True

    def _tensor_partial(self, i: int) -> Iterator[Question]:
        st = self.stepper
        g = self.graph
        value = st.partials[i]
        if value is None:
            return
        leaf = g.nodes[i].op is None
        small = self._small_partial(i)
        if _is_array(value) and QuestionKind.PARTIAL_SHAPE in self.kinds and (leaf or not small):
            yield self._partial_shape_question(i)
        if small and QuestionKind.BACKWARD_PARTIAL in self.kinds:
            yield self._partial_entry_question(i)

    def _partial_shape_question(self, i: int) -> Question:
        g = self.graph
        st = self.stepper
        name = g.nodes[i].name
        dname = notation.partial_name(st.output_name, name)
        shape = arrays.shape_of(st.partials[i])
        users = _users(g, i)
        return Question(
            QuestionKind.PARTIAL_SHAPE,
            i,
            f"Backward pass: {name} is used by {users}, and backprop caches {dname} at {name}. "
            f"What is the shape of {dname}? (type it as 4, 2; () for one number)",
            arrays.shape_text(shape),
            (
                f"{dname} holds one number per entry of {name}: how L changes with that entry.",
                f"So it has the shape of {name}: {arrays.shape_text(arrays.shape_of(st.values[i]))}.",
                "Every push into it is brought to that shape: a VJP gives it, and the broadcasting "
                "rule sums over the axes the node was repeated along.",
            ),
            formula=f"shape of {dname} = shape of {name}",
        )

    def _partial_entry_question(self, i: int) -> Question:
        g = self.graph
        st = self.stepper
        out = st.output_name
        name = g.nodes[i].name
        dname = notation.partial_name(out, name)
        value = np.asarray(st.partials[i], dtype=float)
        terms = [(s, slot, push) for s, slot, push in st.accumulation(i) if push is not None]

        def work(index: tuple[int, ...]) -> tuple[list[str], int]:
            lines: list[str] = []
            interest = 0
            for s, slot, push in terms:
                text, n = _push_entry(g, st.values, out, s, slot, push, index)
                lines.append(text)
                interest += n
            return lines, interest

        index = _pick(value.shape, i, lambda k: work(k)[1])
        lines, _ = work(index)
        asked = notation.entry(dname, index)
        given: dict[str, str] = {}
        sums: list[str] = []
        for s, _slot, push in terms:
            sname = g.nodes[s].name
            gname = notation.partial_name(out, sname)
            given[gname] = f"{gname} = {notation.inline_value(push.upstream)}"
            if push.local is None:
                sums.append(f"{push.formula} (G = {gname})")
                for q in g.nodes[s].operands:
                    if q != i and g.nodes[q].name in push.formula:
                        given[g.nodes[q].name] = self._given([q])
                if "n" in re.findall(r"\w+", push.formula):
                    n = arrays.count(st.values[g.nodes[s].operands[0]], st.values[s])
                    given["n"] = f"n = {format_number(n)}"
            else:
                local = notation.local_name(sname, name)
                chain = notation.chain_term(out, sname, name)
                if push.note:  # the broadcasting rule summed this push
                    axes = summed_axes(arrays.shape_of(st.values[s]), arrays.shape_of(st.values[i]))
                    chain = f"({chain}) summed over {_axes_text(axes)}"
                sums.append(chain)
                given[local] = f"{local} = {notation.inline_value(push.local)}"
        head = f"{name} has {len(terms)} outgoing edges: add one push per edge. " if len(terms) > 1 else ""
        solution = [f"{asked} = " + " + ".join(f"({t})" if len(terms) > 1 else t for t in lines)]
        solution.append(f"     = {format_number(float(value[index]))}")
        if head:
            solution.insert(0, head.strip())
        where = " (rows and columns count from 0)" if index else ""
        return Question(
            QuestionKind.BACKWARD_PARTIAL,
            i,
            f"Backward pass: {head}{dname} = {' + '.join(sums)}, "
            f"with {', '.join(v for v in given.values() if v)}. "
            f"What is {asked}?{where}",
            float(value[index]),
            tuple(solution),
            formula=f"{dname} = "
            + " + ".join(notation.chain_term(out, g.nodes[s].name, name) for s, _, _ in terms),
            entry=index,
        )


# --- helpers ---------------------------------------------------------------------------


def parse_number(text: str) -> float:
    """A number, or arithmetic on numbers (``1/3``, ``2*0.1``, ``3^30``), by cgtui's parser."""
    from cgtui.engine.engine import forward, leaf_values
    from cgtui.lang.build import from_expression

    stripped = text.strip()
    try:
        value = float(stripped)
    except ValueError:
        pass
    else:
        if not math.isfinite(value):
            raise InvalidAnswer(f"'{stripped}' is not a finite number")
        return value
    if len(stripped) > 200:
        raise InvalidAnswer("the answer is too long: type a number")
    try:
        g = from_expression(stripped)
    except CgtuiError as exc:
        raise InvalidAnswer(f"'{stripped}' is not a number ({exc.message})") from None
    names = [n.name for n in g.nodes if n.op is None and n.kind is not Kind.CONST]
    if names:
        raise InvalidAnswer(f"type a number, not a name ({', '.join(names[:3])})")
    try:
        value = forward(g, leaf_values(g))[g.outputs[0]]
    except CgtuiError as exc:
        raise InvalidAnswer(f"'{stripped}': {exc.message}") from None
    if not _is_number(value) or not math.isfinite(value):
        raise InvalidAnswer(f"'{stripped}' is not a finite number")
    return float(value)


def expected_text(q: Question) -> str:
    if q.kind is QuestionKind.VJP and q.expected in q.choices:
        return f"{q.choices.index(str(q.expected)) + 1}) {q.expected}"
    if q.kind is QuestionKind.BROADCAST_AXES:
        axes = tuple(int(k) for k in str(q.expected).split(",") if k.strip())
        return _axes_text(axes) if axes else "no axis"
    if isinstance(q.expected, str):
        return q.expected
    if isinstance(q.expected, int):
        return format_count(q.expected)
    return format_number(q.expected)


def is_regression(graph: Graph) -> bool:
    """A graph whose leaves are marked with params and labels (so kinds can be asked)."""
    kinds = {n.kind for n in graph.nodes if n.op is None}
    return Kind.PARAM in kinds and Kind.LABEL in kinds


def _mul_partner(graph: Graph, i: int) -> int | None:
    """The other factor of a ``param * input`` product that leaf ``i`` is in, if any."""
    pair = {Kind.PARAM, Kind.INPUT}
    if graph.nodes[i].kind not in pair:
        return None
    for s, slot in graph.successors(i):
        node = graph.nodes[s]
        if node.op == "mul":
            other = graph.nodes[node.operands[1 - slot]]
            if other.op is None and {other.kind, graph.nodes[i].kind} == pair:
                return node.operands[1 - slot]
    return None


def _users(graph: Graph, i: int) -> str:
    names = list(dict.fromkeys(graph.nodes[s].name for s, _ in graph.successors(i)))
    text = ", ".join(names[:4])
    return text + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def _known(graph: Graph, values: list[object], nodes: Iterable[int]) -> str:
    """``w = 0.5, x = 2``: the values a question gives (a number written as itself speaks
    for itself; a named constant is given like any leaf)."""
    return ", ".join(
        f"{graph.nodes[q].name} = {value_text(values[q])}"
        for q in dict.fromkeys(nodes)
        if not is_literal(graph.nodes[q])
    )


def _is_number(v: object) -> bool:
    return isinstance(v, float | int)


# --- arrays ------------------------------------------------------------------------------

#: An array is worked entry by entry by hand when it has at most 2 axes of at most this length.
SMALL = 4


def _is_array(v: Value) -> bool:
    return v is not None and not isinstance(v, float | int) and np.ndim(v) > 0


def _small(v: Value) -> bool:
    """A number, or an array of up to 4x4 entries: worked by hand."""
    if v is None:
        return False
    if not _is_array(v):
        return True
    shape = np.shape(v)
    return len(shape) <= 2 and all(n <= SMALL for n in shape)


def _pick(shape: tuple[int, ...], seed: int, interest: Callable[[tuple[int, ...]], int]) -> tuple[int, ...]:
    """The entry a question asks for: the most worked-out one (most nonzero terms),
    starting the search at a place that depends on ``seed`` so questions vary."""
    if not shape:
        return ()
    size = int(np.prod(shape))
    best: tuple[int, ...] = tuple(int(k) for k in np.unravel_index(seed * 5 % size, shape))
    score = -1
    for k in range(size):
        index = tuple(int(x) for x in np.unravel_index((seed * 5 + k) % size, shape))
        n = interest(index)
        if n > score:
            best, score = index, n
    return best


def _own_index(value: Value, index: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The entry of an operand that broadcasting pairs with entry ``index`` of ``shape``."""
    own = arrays.shape_of(value)
    lead = len(shape) - len(own)
    return tuple(0 if n == 1 else index[lead + k] for k, n in enumerate(own))


def _entry_of(value: Value, index: tuple[int, ...], shape: tuple[int, ...]) -> float:
    if not _is_array(value):
        return float(value)
    return float(np.asarray(value)[_own_index(value, index, shape)])


def _num(x: float) -> str:
    """A factor in worked arithmetic: 6 significant digits, as the prompts show arrays."""
    return format_number(float(f"{x:.6g}"))


def _entry_text(value: Value, index: tuple[int, ...], shape: tuple[int, ...]) -> str:
    return _num(_entry_of(value, index, shape))


def _entry_name(name: str, value: Value, index: tuple[int, ...], shape: tuple[int, ...]) -> str:
    return notation.entry(name, _own_index(value, index, shape)) if _is_array(value) else name


def _constant_formula(formula: str) -> bool:
    """``1``, ``-1``: a local derivative that is the same number everywhere."""
    try:
        float(formula)
    except ValueError:
        return False
    return True


def _bracketed(text: str) -> str:
    """``W1``, ``step(v2)``, ``(1 - H^2)``: a factor as written after ``G *``."""
    return text if re.fullmatch(r"[\w.]+(\([^()]*\))?", text) else f"({text})"


def summed_axes(result: tuple[int, ...], operand: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of a contribution of shape ``result`` that the broadcasting rule sums over
    to bring it to ``operand``'s shape (the leading axes the operand lacks, and those where
    it has length 1)."""
    lead = len(result) - len(operand)
    ones = (lead + k for k, n in enumerate(operand) if n == 1 and result[lead + k] != 1)
    return (*range(lead), *ones)


def _axes_text(axes: tuple[int, ...]) -> str:
    return f"axis {axes[0]}" if len(axes) == 1 else "axes " + ", ".join(str(a) for a in axes)


def _shape_reason(graph: Graph, i: int, values: list[Value], shape: tuple[int, ...]) -> list[str]:
    """Why node ``i`` has ``shape``: the op's shape rule, in words."""
    node = graph.nodes[i]
    op = OPS[node.op]  # type: ignore[index]
    shapes = [arrays.shape_of(values[p]) for p in node.operands]
    names = [graph.nodes[p].name for p in node.operands]
    result = arrays.shape_text(shape)
    if op.name == "matmul":
        (n, k), (_, m) = shapes[0], shapes[1]
        return [
            f"{arrays.shape_text(shapes[0])} @ {arrays.shape_text(shapes[1])}: "
            f"the inner dimensions ({k}) agree;",
            f"the result has {names[0]}'s {n} rows and {names[1]}'s {m} columns: {result}",
        ]
    if op.shape is None:  # elementwise: numpy's broadcasting
        if len(set(shapes)) == 1:
            return [f"{op.name} acts entry by entry: the result has its operands' shape, {result}"]
        lines = [f"{op.name} acts entry by entry; numpy lines the shapes up from the right:"]
        for name, sh in zip(names, shapes, strict=True):
            if sh != shape:
                what = "(one number)" if not sh else arrays.shape_text(sh)
                lines.append(f"  {name} {what} is repeated to fill {result}")
        lines.append(f"the result: {result}")
        return lines
    if not shape:
        return [f"{op.name}: {op.doc}: one number, shape ()"]
    return [f"{op.name}: {op.doc}: {result}"]


def _forward_terms(
    graph: Graph, i: int, values: list[Value], index: tuple[int, ...]
) -> tuple[list[str], int]:
    """Entry ``index`` of node ``i``'s value worked out: the lines after ``H[1, 0] =``, and
    how many nonzero products or operands it takes (to pick an entry worth asking)."""
    node = graph.nodes[i]
    op = OPS[node.op]  # type: ignore[index]
    names = [graph.nodes[p].name for p in node.operands]
    args = [values[p] for p in node.operands]
    shape = arrays.shape_of(evaluate_node(graph, i, values)[0]) if index else ()
    if op.name == "matmul":
        a, b = np.asarray(args[0]), np.asarray(args[1])
        r, c = index
        ks = range(a.shape[1])
        symbolic = " + ".join(
            notation.product([notation.entry(names[0], (r, k)), notation.entry(names[1], (k, c))]) for k in ks
        )
        numeric = " + ".join(notation.product([_num(a[r, k]), _num(b[k, c])]) for k in ks)
        return [f"row {r} of {names[0]} times column {c} of {names[1]}: {symbolic}", numeric], sum(
            1 for k in ks if a[r, k] != 0 and b[k, c] != 0
        )
    if op.name == "transpose":
        return [notation.entry(names[0], index[::-1])], 1
    if op.name == "sum":
        flat = np.asarray(args[0]).ravel()
        return [f"the sum of every entry of {names[0]}", " + ".join(_num(x) for x in flat)], len(flat)
    if op.shape is None:  # elementwise
        symbolic = notation.apply(
            op, [_entry_name(n, v, index, shape) for n, v in zip(names, args, strict=True)]
        )
        numeric = notation.apply(op, [_entry_text(v, index, shape) for v in args])
        return [symbolic, numeric], sum(1 for v in args if _entry_of(v, index, shape) != 0)
    return [f"entry {', '.join(map(str, index))} of {application_text(graph, i)}"], 1


def _vjp_symbols(graph: Graph, s: int, values: list[Value], formulas: str) -> list[str]:
    """What ``n`` and ``Y`` stand for in the VJP formulas shown (``G`` is said already)."""
    node = graph.nodes[s]
    words = set(re.findall(r"\w+", formulas))
    lines = []
    first = values[node.operands[0]]
    if "n" in words and node.op == "cross_entropy":
        lines.append(f"n = {np.shape(first)[0]}: the rows (examples) the loss is the mean over")
    elif "n" in words and node.op in ("mean", "mean_axis"):
        lines.append(f"n = {format_number(arrays.count(first, values[s]))}: the entries each mean averages")
    if "Y" in words:
        lines.append("Y: the labels as rows of probabilities (a class index becomes a one-hot row)")
    return lines


def _menu(choices: list[str]) -> str:
    """The options under a question, numbered: two to a line when they are short (the
    explorer's quiz is read at 80 columns), else one."""
    items = [f"{k + 1}) {c}" for k, c in enumerate(choices)]
    width = max(len(t) for t in items)
    if width > 32:
        return "".join(f"\n  {t}" for t in items)
    rows = [items[k : k + 2] for k in range(0, len(items), 2)]
    return "".join("\n  " + "   ".join(t.ljust(width) for t in row).rstrip() for row in rows)


@dataclass(frozen=True)
class Option:
    """One answer a VJP question offers: its text, and why it is right or wrong."""

    text: str
    why: str


def _evaluate(rule: Callable[[], Value]) -> Value | None:
    try:
        with np.errstate(all="ignore"):
            v = arrays.out(rule())
    except (ArithmeticError, ValueError, IndexError, TypeError):
        return None
    return v


def _same(x: Value, y: Value, shape: tuple[int, ...]) -> bool:
    """Whether two pushes give the same partial: equal as they are, or once fitted."""
    if x is None or y is None:
        return False
    for u, v in ((x, y), (_fitted(x, shape), _fitted(y, shape))):
        if u is None or v is None or np.shape(u) != np.shape(v):
            continue
        if bool(np.allclose(u, v, rtol=1e-9, atol=1e-12)):
            return True
    return False


def _fitted(v: Value, shape: tuple[int, ...]) -> Value | None:
    try:
        return arrays.fit(v, shape)
    except ValueError:
        return None


def vjp_options(graph: Graph, s: int, slot: int, values: list[Value], upstream: Value) -> list[Option] | None:
    """The options of the VJP question on edge ``operand[slot] -> s``, the right one first:
    the op table's VJP formulas (or, for an elementwise op, ``G *`` its local derivative),
    with the edge's names. Each wrong option is checked at the current values to give a
    different push from the right one, so exactly one option is right."""
    node = graph.nodes[s]
    op = OPS[node.op]  # type: ignore[index]
    p = node.operands[slot]
    args = [values[q] for q in node.operands]
    out = values[s]
    g = upstream
    pshape = arrays.shape_of(values[p])
    names = {SLOT_NAMES[k]: graph.nodes[q].name for k, q in enumerate(node.operands)}
    names["out"] = node.name
    pname = graph.nodes[p].name

    if op.name == "cross_entropy" and slot == 1 and np.ndim(args[1]) == 1:
        return None  # class indices: not differentiated (the push is 0, whatever the formula)
    candidates: list[tuple[str, Callable[[], Value], str]] = []
    if op.partials[slot].vjp:
        right_text = substitute(op.partials[slot].formula, names)

        def right_rule() -> Value:
            return op.partials[slot].rule(g, *args, out)

        for k, part in enumerate(op.partials):
            if k != slot and part.formula != "0":
                other = graph.nodes[node.operands[k]].name
                candidates.append(
                    (
                        substitute(part.formula, names),
                        partial(part.rule, g, *args, out),
                        f"the VJP into {other} (slot {SLOT_NAMES[k]})",
                    )
                )
        if op.name == "matmul":  # the factors in the wrong order: a shape that does not fit
            swapped = {"a": names["b"], "b": names["a"], "out": node.name}
            for part in op.partials:
                candidates.append(
                    (
                        substitute(part.formula, swapped),
                        partial(part.rule, g, args[1], args[0], out),
                        "the operands' roles swapped",
                    )
                )
    else:
        local_formula = edge_formula(graph, s, slot)
        local, _ = local_derivative(graph, s, slot, values)
        if local is None:
            return None
        right_text = f"G * {_bracketed(local_formula)}"

        def right_rule() -> Value:
            return g * local

        for k in range(op.arity):
            if k == slot:
                continue
            other_formula = edge_formula(graph, s, k)
            other_local, _ = local_derivative(graph, s, k, values)
            if other_local is not None:
                candidates.append(
                    (
                        f"G * {_bracketed(other_formula)}",
                        partial(operator.mul, g, other_local),
                        f"G times the local derivative into {graph.nodes[node.operands[k]].name}",
                    )
                )
        candidates.append(
            (
                local_formula,
                partial(np.broadcast_to, local, np.shape(out)),
                "forgets G, the partial arriving from the output",
            )
        )
    candidates.append(("G", partial(arrays.out, g), f"forgets the op's own derivative ({op.name})"))
    for name in ("transpose", "softmax", "log_softmax"):
        if name == "transpose" or op.name in ("softmax", "log_softmax", "cross_entropy"):
            part = OPS[name].partials[0]
            candidates.append(
                (
                    substitute(part.formula, {"a": pname, "out": node.name}),
                    partial(part.rule, g, values[p], out),
                    f"the VJP of {name}",
                )
            )

    right = _evaluate(right_rule)
    if right is None:
        return None
    options = [Option(right_text, f"right: {_shape_words(right, pshape, pname, True)}")]
    seen = {right_text}
    for text, rule, source in candidates:
        if text in seen or len(options) == 4:
            continue
        v = _evaluate(rule)
        if _same(v, right, pshape):
            continue  # the same push written otherwise: not a wrong answer
        seen.add(text)
        options.append(Option(text, f"{source}: {_shape_words(v, pshape, pname, False)}"))
    return options


def _shape_words(v: Value, pshape: tuple[int, ...], pname: str, right: bool) -> str:
    """What a push's shape says: it fits the operand, is brought to it, or cannot be."""
    if v is None:
        return "its shapes do not fit together"
    vshape = arrays.shape_of(v)
    if vshape == pshape:
        return f"gives {arrays.shape_text(vshape)}, the shape of {pname}" + (
            "" if right else ", but other numbers"
        )
    if _fitted(v, pshape) is None:
        return f"gives {arrays.shape_text(vshape)}, which cannot become {pname}'s {arrays.shape_text(pshape)}"
    return (
        f"gives {arrays.shape_text(vshape)}, brought to {pname}'s {arrays.shape_text(pshape)} by broadcasting"
        + ("" if right else ", but other numbers")
    )


def _push_entry(
    graph: Graph, values: list[Value], out: str, s: int, slot: int, push: Push, index: tuple[int, ...]
) -> tuple[str, int]:
    """Entry ``index`` of one push into ``dL/dnode``, worked out; and how many nonzero
    products it takes."""
    node = graph.nodes[s]
    p = node.operands[slot]
    pname = graph.nodes[p].name
    sname = node.name
    gname = notation.partial_name(out, sname)
    c = np.asarray(push.contribution, dtype=float)
    result = _num(float(c[index]))
    gv = np.asarray(push.upstream, dtype=float)
    if push.local is None and node.op == "matmul":
        a, b = (np.asarray(values[q], dtype=float) for q in node.operands)
        r, col = index
        if slot == 0:  # G @ transpose(b): row r of G times row col of b
            bname = graph.nodes[node.operands[1]].name
            ks = range(gv.shape[1])
            pairs = [
                (notation.entry(gname, (r, k)), notation.entry(bname, (col, k)), gv[r, k], b[col, k])
                for k in ks
            ]
        else:  # transpose(a) @ G: column r of a times column col of G
            aname = graph.nodes[node.operands[0]].name
            ks = range(gv.shape[0])
            pairs = [
                (notation.entry(aname, (k, r)), notation.entry(gname, (k, col)), a[k, r], gv[k, col])
                for k in ks
            ]
        symbolic = " + ".join(notation.product([x, y]) for x, y, _, _ in pairs)
        numeric = " + ".join(notation.product([_num(u), _num(v)]) for _, _, u, v in pairs)
        return f"{symbolic} = {numeric} = {result}", sum(1 for *_, u, v in pairs if u != 0 and v != 0)
    if push.local is None:  # another tensor op: its VJP's entry
        extra = ""
        if "n" in re.findall(r"\w+", push.formula):
            args = [values[q] for q in node.operands]
            extra = f", n = {format_number(arrays.count(args[0], values[s]))}"
        at = f"[{', '.join(map(str, index))}]" if index else ""
        term = f"{_bracketed(push.formula)}{at}"
        return f"{term}, with G = {gname}{extra}: {result}", 1
    # elementwise: G times the local derivative, summed where the operand was repeated
    full = arrays.shape_of(values[s])
    local = np.broadcast_to(np.asarray(push.local, dtype=float), full)
    gfull = np.broadcast_to(gv, full)
    lname = notation.local_name(sname, pname)
    positions = (
        [
            tuple(int(x) for x in k)
            for k in np.ndindex(*full)
            if _own_index(values[p], tuple(int(x) for x in k), full) == index
        ]
        if full
        else [()]
    )
    symbolic = " + ".join(
        notation.product([notation.entry(gname, k), notation.entry(lname, k)]) for k in positions
    )
    numeric = " + ".join(notation.product([_num(gfull[k]), _num(local[k])]) for k in positions)
    repeated = notation.entry(pname, index)
    head = (
        f"the sum over the {len(positions)} entries {repeated} was repeated to: "
        if len(positions) > 1
        else ""
    )
    return f"{head}{symbolic} = {numeric} = {result}", sum(
        1 for k in positions if gfull[k] != 0 and local[k] != 0
    )


def _shape_of_text(text: str) -> tuple[int, ...]:
    """``(4, 2)``, ``4x2``, ``[4, 2]``, ``()``, ``scalar``: a shape as typed."""
    numbers = re.findall(r"\d+", text)
    if numbers:
        return tuple(int(n) for n in numbers)
    words = " ".join(text.lower().split())
    if words.replace(" ", "") in ("()", "[]") or words in (
        "scalar",
        "a scalar",
        "one number",
        "number",
        "none",
    ):
        return ()
    raise InvalidAnswer(
        f"'{text.strip()}' is not a shape: type the lengths of the axes, 4, 2 (or () for one number)"
    )


def _check_shape(q: Question, text: str) -> tuple[bool, str]:
    given = _shape_of_text(text)
    expected = str(q.expected)
    if arrays.shape_text(given) == expected:
        return True, ""
    return False, f"you gave {arrays.shape_text(given)}, the shape is {expected}"


def _check_choice(q: Question, text: str) -> tuple[bool, str]:
    word = text.strip()
    n = len(q.choices)
    if word.isdigit():
        k = int(word)
        if not 1 <= k <= n:
            raise InvalidAnswer(f"there are {n} options: type a number from 1 to {n}")
        chosen = q.choices[k - 1]
    else:
        squeezed = {c.replace(" ", ""): c for c in q.choices}
        if word.replace(" ", "") not in squeezed:
            raise InvalidAnswer(f"type the number of an option, 1 to {n}")
        chosen = squeezed[word.replace(" ", "")]
    if chosen == q.expected:
        return True, ""
    return False, f"you chose {chosen}, the answer is {expected_text(q)}"


def _check_axes(q: Question, text: str) -> tuple[bool, str]:
    expected = tuple(int(k) for k in str(q.expected).split(",") if k.strip())
    words = text.lower()
    numbers = re.findall(r"-?\d+", words)
    if any(n.startswith("-") for n in numbers):
        raise InvalidAnswer("count the axes from 0 (the first axis is 0)")
    if numbers:
        given = tuple(sorted({int(k) for k in numbers}))
    elif "all" in words or "every" in words:
        given = expected if "all" in q.accepted else (-1,)
    elif "none" in words or words.strip() in ("no", "nothing"):
        given = ()
    else:
        raise InvalidAnswer(f"'{text.strip()}' is not a list of axes: type axis numbers, 0 or 0, 1")
    if given == expected:
        return True, ""
    shown = "every axis" if given == (-1,) else (", ".join(str(k) for k in given) if given else "none")
    return False, f"you gave {shown}, the answer is {expected_text(q)}"

"""Active recall: the quiz asks for what the next step will compute, then checks it.

Questions follow the order of the passes, so a learner can do a whole forward and
backward pass by hand with cgtui checking every step:

1. in a regression graph (one with params and labels), the kind of each leaf;
2. the forward pass: the value of the next node;
3. the backward pass, node by node in reverse topological order: for a node that
   branches, the number of paths from it to the output; its partial ``dL/ds`` (now
   complete); then the local derivative on each edge into its operands;
4. the partial of each leaf, now that every contribution has arrived.

The quiz drives a :class:`~cgtui.engine.engine.Stepper`: a step is taken only after its
question is answered (or revealed), so whatever shows the stepper never gives the
answer away. Numbers are checked with a tolerance and may be typed as arithmetic
(``0.2*2``, ``3^30``), evaluated by cgtui's own parser. Every answer, right or wrong,
comes back with the worked solution: the formula used and the arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from cgtui.core.errors import CgtuiError, name_list
from cgtui.core.graph import Graph, Kind
from cgtui.core.ops import OPS, SLOT_NAMES, format_number
from cgtui.engine.engine import (
    Stepper,
    StepResult,
    apply_text,
    edge_formula,
    evaluate_node,
    local_derivative,
    missing_values,
    value_text,
)
from cgtui.engine.paths import path_counts_to, top_paths
from cgtui.lang.formula import substitute
from cgtui.teach.efficiency import format_count, ratio


class QuestionKind(StrEnum):
    LEAF_KIND = "leaf kind"
    FORWARD_VALUE = "forward value"
    PATH_COUNT = "path count"
    BACKWARD_PARTIAL = "backward partial"
    LOCAL_DERIVATIVE = "local derivative"

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
        if not text.strip():
            raise InvalidAnswer("type an answer (or reveal it)")
        if q.kind is QuestionKind.LEAF_KIND:
            correct, note = self._check_kind(q, text)
        else:
            given = parse_number(text)
            correct, note = self._check_number(q, given)
        message = ("correct" if correct else "not quite") + (f": {note}" if note else "")
        return self._finish(q, text.strip(), correct, False, message)

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
            if QuestionKind.FORWARD_VALUE in ask:
                q = self._forward_question(f)
                if q is not None:  # None: the step faults, and says why
                    yield q
            r = st.step_forward()
            self.last_steps.append(r)
            if r.kind != "forward":
                self.fault = "; ".join(r.lines)
                return
        backward = {QuestionKind.PATH_COUNT, QuestionKind.BACKWARD_PARTIAL, QuestionKind.LOCAL_DERIVATIVE}
        if not ask & backward:
            return
        counts = path_counts_to(g, st.output)
        while (s := st.next_backward()) is not None:
            if s != st.output:
                yield from self._partial_questions(s, counts)
            if QuestionKind.LOCAL_DERIVATIVE in ask:
                for slot, p in enumerate(g.nodes[s].operands):
                    if st.needs[p]:
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

    def _partial_questions(self, i: int, counts: list[int]) -> Iterator[Question]:
        terms = self.stepper.accumulation(i)
        if QuestionKind.PATH_COUNT in self.kinds and len(terms) > 1:
            yield self._paths_question(i, counts)
        # a node used by the output alone: its partial is the local derivative just asked
        if QuestionKind.BACKWARD_PARTIAL in self.kinds and any(s != self.stepper.output for s, _, _ in terms):
            yield self._partial_question(i)

    # ---- questions ----------------------------------------------------------------

    def _kind_question(self, i: int) -> Question:
        g = self.graph
        node = g.nodes[i]
        uses = [f"{g.nodes[s].name} = {apply_text_names(g, s)}" for s, _ in g.successors(i)]
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
        op = OPS[node.op]  # type: ignore[index]
        operands = _known(g, st.values, node.operands)
        symbolic = apply_text_names(g, i)
        numeric = apply_text(op, [_paren(value_text(st.values[p])) for p in node.operands])
        return Question(
            QuestionKind.FORWARD_VALUE,
            i,
            f"Forward pass: {node.name} = {symbolic}, with {operands}. What is {node.name}?",
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
            f"{node.name} = {apply_text_names(g, s)}; the op table's rule for {op.name}, "
            f"d/d{SLOT_NAMES[slot]}: {rule}",
            f"∂{node.name}/∂{pname}{which} = {named}",
        ]
        if numeric not in (named, value_text(d)):
            solution.append(f"     = {numeric}")
        if value_text(d) != named:
            solution.append(f"     = {value_text(d)}")
        return Question(
            QuestionKind.LOCAL_DERIVATIVE,
            s,
            f"Local derivative on the edge {pname} -> {node.name}{which}: {node.name} = "
            f"{apply_text_names(g, s)} with {known}. What is ∂{node.name}/∂{pname}?",
            float(d),
            tuple(solution),
            formula=f"∂{node.name}/∂{pname} = {named}",
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
        symbolic = " + ".join(
            f"d{out}/d{g.nodes[t.result].name} * ∂{g.nodes[t.result].name}/∂{name}" for t in terms
        )
        numeric = " + ".join(f"{value_text(t.upstream)} * {_paren(value_text(t.local))}" for t in terms)
        lines = [f"d{out}/d{name} = {symbolic}"]
        if len(terms) > 1:
            lines.insert(0, f"{name} has {len(terms)} outgoing edges: add one contribution per edge")
        lines.append(f"     = {numeric}")
        lines.append(f"     = {value_text(value)}")
        where = ", ".join(
            [
                *(
                    f"d{out}/d{g.nodes[t.result].name} = {value_text(t.upstream)}"
                    for t in {t.result: t for t in terms}.values()
                ),
                *(f"∂{g.nodes[t.result].name}/∂{name} = {value_text(t.local)}" for t in terms),
            ]
        )
        return Question(
            QuestionKind.BACKWARD_PARTIAL,
            i,
            f"Backward pass: {name} is used by {_users(g, i)}. Knowing {where}, what is d{out}/d{name}?",
            float(value) if value is not None else 0.0,
            tuple(lines),
            formula=f"d{out}/d{name} = {symbolic}",
        )

    def _paths_question(self, i: int, counts: list[int]) -> Question:
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
        if counts[i] <= 6:
            report = top_paths(g, st.values, i, st.output, k=6)
            for path in report.paths:
                lines.append("  " + " -> ".join(g.nodes[n].name for n in path.nodes))
        lines.append(
            f"d{out}/d{name} is a sum of {format_count(counts[i])} path products; "
            f"backprop adds {len(succ)} terms."
        )
        return Question(
            QuestionKind.PATH_COUNT,
            i,
            f"How many paths lead from {name} to {out}?",
            counts[i],
            tuple(lines),
            formula=f"paths({name}) = sum of paths(successor) over outgoing edges",
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
    if isinstance(q.expected, str):
        return q.expected
    if isinstance(q.expected, int):
        return format_count(q.expected)
    return format_number(q.expected)


def is_regression(graph: Graph) -> bool:
    """A graph whose leaves are marked with params and labels (so kinds can be asked)."""
    kinds = {n.kind for n in graph.nodes if n.op is None}
    return Kind.PARAM in kinds and Kind.LABEL in kinds


def apply_text_names(graph: Graph, i: int) -> str:
    node = graph.nodes[i]
    return apply_text(OPS[node.op], [graph.nodes[p].name for p in node.operands])  # type: ignore[index]


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
    """``w = 0.5, x = 2``: the values a question gives (constants speak for themselves)."""
    return ", ".join(
        f"{graph.nodes[q].name} = {value_text(values[q])}"
        for q in dict.fromkeys(nodes)
        if graph.nodes[q].kind is not Kind.CONST
    )


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def _is_number(v: object) -> bool:
    return isinstance(v, float | int)

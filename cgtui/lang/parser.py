"""The expression language: text -> statements of postfix code.

One compiled regular expression scans the tokens (the standard library's ``re`` runs in
C) and an operator-precedence (shunting-yard) loop turns them into postfix code as it
goes, with explicit stacks, so a 100,000-term sum or expressions nested thousands deep
parse without recursion. Nothing in the text is ever executed: the only output is a list
of :class:`Statement` whose ``code`` is postfix instructions that :mod:`cgtui.lang.build`
turns into graph nodes.

The scanner is built from the op table (:func:`cgtui.core.ops.syntax`): every operator's
symbol and spellings come from its entry, so a new entry (``@``, say) is tokenized and
parsed with its precedence without a change here.

Grammar (Python-like)::

    program   := statement ((NEWLINE | ';') statement)*
    statement := NAME '=' expr | expr
    expr      := operands joined by + - * / and ^ or ** (right-associative),
                 prefix - and +, parentheses, NUMBER, NAME, FUNCTION '(' args ')'

Precedence follows Python: ``-x**2`` is ``-(x**2)`` and ``2**-1`` is ``2**(-1)``.
``#`` starts a comment; newlines inside parentheses continue the statement.

Errors: a token that is refused anywhere in the text (a string, ``//``, ``lambda``...) is
reported before a misplaced token, as if the whole text were tokenized first.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
import unicodedata
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from cgtui.core.errors import CgtuiError, ParseError
from cgtui.core.ops import OPS, Op, Syntax, keyword_op, syntax

# Instruction kinds in postfix code.
#: Texts with more operators and brackets than this are refused before they are read: a
#: graph that large would not fit in about 1 GB (5 MB of '-' took 2.6 GB).
MAX_OPERATIONS = 500_000

NUM = 0  # payload: float
NAME = 1  # payload: str
OP = 2  # payload: op name (binary, or 'neg'); function calls too

#: Operators Python has and the language does not (unless an op in the table is written so).
_REFUSED_OPERATORS = ("//", "==", "!=", "<=", ">=", "->", ":=")
#: Symbols that are not ops: grouping, assignment, argument and statement separators, and
#: the prefix '+', which is the identity.
_PUNCTUATION = ("(", ")", "=", ",", ";", "+")

_REFUSED_NAMES = {
    "lambda": "lambda expressions are not supported",
    "import": "'import' is not supported",
    "def": "'def' is not supported",
    "class": "'class' is not supported",
    "if": "conditionals are not supported",
    "else": "conditionals are not supported",
    "for": "loops are not supported",
    "while": "loops are not supported",
    "return": "'return' is not supported",
    "and": "logical operators are not supported",
    "or": "logical operators are not supported",
    "not": "logical operators are not supported",
    "in": "'in' is not supported",
    "is": "'is' is not supported",
}

#: Words the language refuses as names.
RESERVED_WORDS = frozenset(_REFUSED_NAMES)

_REFUSED_CHARS = {
    "'": "strings are not supported",
    '"': "strings are not supported",
    "[": "lists and indexing are not supported",
    "]": "lists and indexing are not supported",
    "{": "sets and dicts are not supported",
    "}": "sets and dicts are not supported",
    "@": "'@' (matrix multiplication) is not supported",
    ".": "attribute access is not supported",
    ":": "':' is not supported",
}

#: The precedence of an open parenthesis on the operator stack: no operator pops it.
_FRAME = -math.inf

#: The token regular expression's groups, in order: what ``findall`` returns per token.
#: ``ws`` is the blanks and the comment before the token (never a newline); the token is in
#: exactly one of the others, or in none at the end of the text.
#:
#: * ``name``: an ASCII name that is not a reserved word (the common case, taken as is);
#: * ``sym``: an operator or punctuation symbol, longest first (``**`` before ``*``);
#: * ``number``: digits, a point, an exponent;
#: * ``newline``;
#: * ``rare``: everything else, one name-like run or one character: names with other
#:   letters (normalized, or refused: ``x²``), reserved words, refused characters.
_NAME = r"[^\W\d]\w*"
_NUMBER = r"(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?"


@dataclass(frozen=True)
class _Grammar:
    """The scanner and the operator tables for one op table's :class:`Syntax`."""

    #: (text[, start, end]) -> one tuple per token (``Pattern.findall``)
    scan: Callable[..., list[tuple[str, str, str, str, str, str]]]
    #: (text[, start, end]) -> the tokens as bare strings, blanks and comments skipped:
    #: ASCII names, numbers (one glued to a name is one token: ``2x``), symbols, newlines,
    #: any other character alone, and ``""`` at the end (when blanks or a comment are
    #: the last thing before it: never a token's characters read as another token)
    tokens: Callable[..., list[str]]
    #: infix spelling -> (pop operators at least this tight, precedence, op, and
    #: (precedence, op) made once: what the builder's fast path puts on its stack)
    infix: dict[str, tuple[float, int, Op, tuple[int, Op]]]
    prefix: dict[str, tuple[int, Op]]  # symbol -> (precedence, op)
    functions: dict[str, Op]
    refused: frozenset[str]  # operators to refuse by name


@functools.lru_cache(maxsize=4)
def _grammar(table: Syntax) -> _Grammar:
    symbols = {*table.infix, *table.prefix, *_PUNCTUATION, *_REFUSED_OPERATORS}
    # longest first (``**`` before ``*``); the one-character ones as one set, tried at once
    longer = [re.escape(sym) for sym in sorted(symbols, key=len, reverse=True) if len(sym) > 1]
    single = "".join(re.escape(sym) for sym in sorted(symbols) if len(sym) == 1)
    alternatives = "|".join([*longer, f"[{single}]"])
    reserved = "|".join(sorted(_REFUSED_NAMES))
    # (blanks, then at most one comment: a comment runs to the end of its line)
    token = re.compile(
        rf"""
        ([ \t\r\f]*+(?:\#[^\n]*+)?)
        (?:
            ((?!(?:{reserved})(?!\w))[A-Za-z_][A-Za-z0-9_]*+(?!\w))
          | ({alternatives})
          | ({_NUMBER})
          | (\n)
          | ({_NAME}|.)
          | \Z
        )
        """,
        re.VERBOSE,
    )
    infix: dict[str, tuple[float, int, Op, tuple[int, Op]]] = {}
    for sym, op in table.infix.items():
        # pop what binds tighter, and what binds as tight unless this one groups from the right
        pop_at = math.nextafter(op.precedence, math.inf) if op.right else op.precedence
        infix[sym] = (pop_at, op.precedence, op, (op.precedence, op))
    tokens = re.compile(
        rf"[ \t\r\f]*+(?:\#[^\n]*+)?+([A-Za-z_]\w*+|(?:{_NUMBER})\w*+|{alternatives}|\n|.|\Z)", re.ASCII
    )
    return _Grammar(
        token.findall,
        tokens.findall,
        infix,
        {sym: (op.precedence, op) for sym, op in table.prefix.items()},
        table.functions,
        frozenset(_REFUSED_OPERATORS) - set(table.infix) - set(table.prefix),
    )


@dataclass(slots=True)
class Token:
    kind: str  # number, name, op, newline, end
    text: str
    line: int
    column: int
    value: float = 0.0


@dataclass(slots=True)
class Instr:
    kind: int  # NUM, NAME or OP
    payload: object  # float, name or op name
    line: int
    column: int


class Code:
    """One statement's postfix code, compact: what the builder runs.

    ``items`` holds a float for a number, a str for a name and the :class:`Op` for an
    operation (so an item's type is its kind); positions are character offsets into the
    text (turned into line and column only when asked), or, for code made from
    :class:`Instr`, the instructions' own lines and columns.
    """

    __slots__ = ("_lines", "_offsets", "_positions", "items")

    def __init__(
        self,
        items: list[float | str | Op],
        offsets: Sequence[int] = (),
        lines: _Lines | None = None,
        positions: Sequence[tuple[int, int]] | None = None,
    ) -> None:
        self.items = items
        self._offsets = offsets
        self._lines = lines
        self._positions = positions

    @classmethod
    def from_instrs(cls, code: Sequence[Instr]) -> Code:
        items: list[float | str | Op] = []
        for ins in code:
            if ins.kind == NUM:
                items.append(float(ins.payload))  # type: ignore[arg-type]
            elif ins.kind == NAME:
                items.append(str(ins.payload))
            else:
                items.append(OPS[str(ins.payload)])
        return cls(items, positions=[(ins.line, ins.column) for ins in code])

    def __len__(self) -> int:
        return len(self.items)

    def position(self, k: int) -> tuple[int, int]:
        """The (line, column) of instruction ``k``."""
        if self._positions is not None:
            return self._positions[k]
        assert self._lines is not None
        return self._lines.position(self._offsets[k])

    def name_position(self, name: str) -> tuple[int, int]:
        """The (line, column) of the first use of ``name``."""
        return self.position(self.items.index(name))

    def instrs(self) -> list[Instr]:
        out: list[Instr] = []
        for k, item in enumerate(self.items):
            line, column = self.position(k)
            if type(item) is float:
                out.append(Instr(NUM, item, line, column))
            elif type(item) is str:
                out.append(Instr(NAME, item, line, column))
            else:
                assert isinstance(item, Op)
                out.append(Instr(OP, item.name, line, column))
        return out


class _Lines:
    """Character offsets of one text to (line, column), with the line starts found once."""

    __slots__ = ("_starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None

    def position(self, offset: int) -> tuple[int, int]:
        if self._starts is None:
            self._starts = [0, *(m.end() for m in re.finditer("\n", self.text))]
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


class Statement:
    """``target = code`` (``target`` None for a bare expression), at ``line``:``column``.

    ``code`` is a list of :class:`Instr`, made from the compact :class:`Code` the first
    time it is asked for (the builder runs the compact code when nobody has)."""

    __slots__ = ("_code", "column", "compact", "line", "target")

    def __init__(
        self,
        target: str | None,
        code: list[Instr] | None = None,
        line: int = 1,
        column: int = 1,
        *,
        compact: Code | None = None,
    ) -> None:
        self.target = target
        self._code = code if code is not None or compact is not None else []
        self.line = line
        self.column = column
        self.compact = compact

    @property
    def code(self) -> list[Instr]:
        if self._code is None:
            assert self.compact is not None
            self._code = self.compact.instrs()
            self.compact = None  # from now on the instructions are the code (they may be edited)
        return self._code

    @code.setter
    def code(self, code: list[Instr]) -> None:
        self._code = code
        self.compact = None

    def runnable(self) -> Code:
        """The code to run: the compact code, or one made from the instructions."""
        return self.compact if self.compact is not None else Code.from_instrs(self.code)

    def __repr__(self) -> str:
        return f"Statement({self.target!r}, line={self.line}, column={self.column})"


@dataclass
class Program:
    statements: list[Statement]
    source: str


#: Maps a (line, column) of the parsed text to the (line, column, source line) to report:
#: the YAML front end uses it to point into the file a step came from.
LineMap = Callable[[int, int], tuple[int, int, str]]


class SourceText:
    """Errors at a (line, column) of one piece of text, with the line they are on."""

    def __init__(self, text: str, file: str | None = None, line_map: LineMap | None = None) -> None:
        self.text = text
        self.file = file
        self.line_map = line_map

    @functools.cached_property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    def error(
        self, message: str, line: int | None, column: int | None, cls: type[CgtuiError] = ParseError
    ) -> CgtuiError:
        if line is None or column is None:
            return cls(message, line=line, file=self.file)
        if self.line_map is not None:
            line, column, source_line = self.line_map(line, column)
        else:
            lines = self.lines
            source_line = lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else ""
        return cls(message, line=line, column=column, source_line=source_line, file=self.file)


def canonical_name(name: str) -> str:
    """A name in its NFKC form, so that full-width ``ｘ`` and ``x`` are one leaf, as in
    Python's own identifiers."""
    return unicodedata.normalize("NFKC", name)


# --- tokens -------------------------------------------------------------------------------


class _Refused(Exception):
    """A token refused by itself (its place is added by whoever scanned it)."""


def _rare_name(word: str) -> str:
    """The name a ``rare`` token stands for; raises :class:`_Refused` if it is none."""
    if not re.fullmatch(_NAME, word):
        message = _REFUSED_CHARS.get(word)
        if message is None:
            shown = word if word.isprintable() else repr(word)[1:-1]
            message = f"unexpected character '{shown}'" if word not in "%<>!&|~$?`\\" else (
                f"operator '{word}' is not supported"
            )
        raise _Refused(message)
    if not word.isidentifier():  # e.g. 'x²': \w takes it, Python names do not
        raise _Refused(f"'{word}' is not a valid name")
    if not word.isascii():
        word = canonical_name(word)  # full-width 'ｘ' is 'x', as in Python
    if word in _REFUSED_NAMES:
        raise _Refused(_REFUSED_NAMES[word])
    return word


def _number(word: str, text: str, end: int) -> float:
    """The value of a number token that ends at ``end``; raises :class:`_Refused`."""
    if not word.isascii():
        raise _Refused(f"numbers are written with ASCII digits 0-9, not '{word}'")
    value = float(word)
    if value == math.inf:
        raise _Refused(f"number '{word}' is too large")
    # '2x' or '3e' : a number glued to a name
    if end < len(text) and (text[end].isalpha() or text[end] == "_"):
        raise _Refused(f"a number cannot run into a name: '{word}{text[end]}' (write '{word}*{text[end]}'?)")
    return value


def _tokens(text: str, src: SourceText) -> Iterator[Token]:
    """Every token of ``text``, checked, then the end token."""
    grammar = _grammar(syntax())
    line = 1
    line_start = 0
    pos = 0
    for ws, name, sym, number, newline, rare in grammar.scan(text):
        pos += len(ws)
        column = pos - line_start + 1
        try:
            if name:
                pos += len(name)
                yield Token("name", name, line, column)
            elif sym:
                pos += len(sym)
                if sym in grammar.refused:
                    raise _Refused(f"operator '{sym}' is not supported")
                yield Token("op", sym, line, column)
            elif number:
                pos += len(number)
                yield Token("number", number, line, column, _number(number, text, pos))
            elif newline:
                yield Token("newline", "\n", line, column)
                pos += 1
                line += 1
                line_start = pos
            elif rare:
                pos += len(rare)
                if rare == "." and text[pos : pos + 1] == "T":
                    raise _Refused("attribute access is not supported: write transpose(A), not A.T")
                yield Token("name", _rare_name(rare), line, column)
        except _Refused as exc:
            raise src.error(str(exc), line, column) from None
    lines = src.lines
    yield Token("end", "", line, len(lines[-1]) + 1 if line == len(lines) else 1)


def tokenize(text: str, src: SourceText | None = None) -> list[Token]:
    return list(_tokens(text, src or SourceText(text)))


def _describe(tok: Token) -> str:
    if tok.kind == "end":
        return "the end of the input"
    if tok.kind == "newline":
        return "the end of the line"
    return f"'{tok.text}'"


# --- parsing ------------------------------------------------------------------------------


def parse(
    text: str,
    *,
    file: str | None = None,
    allow_assignments: bool = True,
    line_map: LineMap | None = None,
) -> Program:
    """Parse a program (statements) into postfix code; raise :class:`ParseError`."""
    operations = sum(map(text.count, "+-*/^("))  # an upper bound, counted before reading
    if operations > MAX_OPERATIONS:
        raise ParseError(
            f"the text has {operations:,} operators and brackets; at most {MAX_OPERATIONS:,} are read",
            file=file,
        )
    src = SourceText(text, file, line_map)
    return Program(_Parser(text, src).statements(allow_assignments), text)


_END = ("", "", "", "", "", "")  # the scanner's tuple at the end of the text

#: What the builder's one-loop fast path (:func:`cgtui.lang.build._fast_program`) uses
#: of the parser besides its scanner and operator tables: the bracket's precedence.
FRAME = _FRAME


def grammar_of(table: Syntax) -> _Grammar:
    """The scanner and operator tables for one op table's syntax."""
    return _grammar(table)


class _Parser:
    """Shunting-yard over the scanned tokens of one text, statement after statement.

    The tokens are the tuples the scanner finds (``pieces``, one per token, then the
    end); the parser keeps the offset of the current one and turns offsets into lines
    and columns only for errors and, on demand, for the instructions."""

    def __init__(self, text: str, src: SourceText) -> None:
        self.text = text
        self.src = src
        self.grammar = _grammar(syntax())
        self.pieces = self.grammar.scan(text)
        self.pieces.append(_END)  # so that looking one token ahead never runs off the end
        self.lines = _Lines(text)

    # --- errors: a token refused anywhere comes first ---------------------------------------

    def token(self, k: int) -> Token:
        """Token ``k`` as the tokenizer makes it (for messages)."""
        tokens = tokenize(self.text, self.src)
        return tokens[min(k, len(tokens) - 1)]

    def fail(self, message: str, offset: int) -> CgtuiError:
        """The error ``message`` at ``offset``, unless a token of the text is refused."""
        tokenize(self.text, self.src)  # raises for the first refused token, if there is one
        return self.src.error(message, *self.lines.position(offset))

    def refused(self, exc: _Refused, offset: int) -> CgtuiError:
        return self.src.error(str(exc), *self.lines.position(offset))

    def missing_operand(self, k: int, prev: int) -> CgtuiError:
        """The error for token ``k`` where an operand should be (``prev``: the token before,
        -1 at the start of a statement)."""
        tok = self.token(k)
        if prev < 0:
            if tok.kind in ("end", "newline") or tok.text == ";":
                message = "expected an expression"
            else:
                message = f"expected an operand, found {_describe(tok)}"
        elif tok.kind == "op" and tok.text == "=":
            message = "only a plain name can be assigned"
        else:
            message = f"expected an operand after '{self.token(prev).text}'"
        return self.src.error(message, tok.line, tok.column)

    def unexpected(self, k: int, prev: int) -> CgtuiError:
        """The error for token ``k`` where an operator (or the end) should be."""
        tok = self.token(k)
        if tok.kind == "op" and tok.text == "=":
            message = "only a plain name can be assigned"
        else:
            message = f"expected an operator after {_describe(self.token(prev))}, found {_describe(tok)}"
        return self.src.error(message, tok.line, tok.column)

    # --- statements ---------------------------------------------------------------------

    def statements(self, allow_assignments: bool) -> list[Statement]:
        pieces = self.pieces
        functions = self.grammar.functions
        statements: list[Statement] = []
        k = 0
        pos = 0  # where token k's blanks start
        while True:
            ws, name, sym, number, newline, rare = pieces[k]
            start = pos + len(ws)
            if newline or sym == ";":
                pos = start + 1
                k += 1
                continue
            if not (name or sym or number or rare):
                break  # the end
            target: str | None = None
            after = -1
            if (name or rare) and pieces[k + 1][2] == "=":
                try:
                    word = name or _rare_name(rare)
                except _Refused as exc:
                    raise self.refused(exc, start) from None
                if not allow_assignments:
                    raise self.fail("assignments are not allowed here", start)
                if word in functions:
                    raise self.fail(f"'{word}' is a function and cannot be assigned", start)
                target = word
                after = k + 1
                pos = start + len(name or rare) + len(pieces[k + 1][0]) + 1
                k += 2
            line, column = self.lines.position(start)
            code, k, pos = self.expression(k, pos, after)
            statements.append(Statement(target, None, line, column, compact=code))
        if not statements:
            raise self.src.error("empty expression", 1, 1)
        return statements

    def expression(self, k: int, pos: int, prev: int) -> tuple[Code, int, int]:
        """One statement's postfix code, from token ``k`` (whose blanks start at ``pos``);
        returns it with the index of the token that ends it and where that one's blanks
        start."""
        pieces = self.pieces
        grammar = self.grammar
        infix = grammar.infix
        prefix = grammar.prefix
        text = self.text
        items: list[float | str | Op] = []
        offsets = array("q")
        emit = items.append
        place = offsets.append
        # operators waiting for operands: (precedence, op, offset); open parentheses:
        # [_FRAME, offset, function or None, arguments so far, keyword given]; the bottom
        # one stands for the statement itself
        stack: list[Any] = [[_FRAME, -1, None, 0, False]]
        push = stack.append
        pop = stack.pop
        expect_operand = True
        depth = 0  # open parentheses: inside them a newline continues the statement
        while True:
            ws, name, sym, number, newline, rare = pieces[k]
            pos += len(ws)
            if expect_operand:
                if name:
                    emit(name)
                    place(pos)
                    pos += len(name)
                    expect_operand = False
                elif sym:
                    if sym == "(":
                        push([_FRAME, pos, None, 1, False])
                        depth += 1
                    else:
                        entry = prefix.get(sym)
                        if entry is not None:
                            push((entry[0], entry[1], pos))
                        elif sym != "+":  # a prefix '+' is the identity
                            raise self.missing_operand(k, prev)
                    pos += len(sym)
                elif number:
                    place(pos)
                    pos += len(number)
                    try:
                        emit(_number(number, text, pos))
                    except _Refused as exc:
                        raise self.refused(exc, offsets[-1]) from None
                    expect_operand = False
                elif newline and depth > 0:
                    pos += 1
                    k += 1
                    continue
                elif rare:
                    try:
                        emit(_rare_name(rare))
                    except _Refused as exc:
                        raise self.refused(exc, pos) from None
                    place(pos)
                    pos += len(rare)
                    expect_operand = False
                else:
                    raise self.missing_operand(k, prev)
            elif sym:
                entry2 = infix.get(sym)
                if entry2 is not None:
                    pop_at = entry2[0]
                    while stack[-1][0] >= pop_at:
                        top = pop()
                        emit(top[1])
                        place(top[2])
                    push((entry2[1], entry2[2], pos))
                    expect_operand = True
                elif sym == ")" or sym == ",":
                    self.close(k, pos, stack, items, offsets)
                    if sym == ",":
                        expect_operand = True
                    else:
                        depth -= 1
                elif sym == "(" and prev == k - 1 and (pieces[prev][1] or pieces[prev][5]):
                    # NAME '(': a call, and the name just emitted is the function's
                    self.open_call(k, stack, items, offsets)
                    depth += 1
                    expect_operand = True
                elif sym == ";":
                    pos -= len(ws)
                    break
                elif sym == "=" and prev == k - 1 and pieces[prev][1] and type(stack[-1]) is list:
                    self.keyword(k, pos, stack, items, offsets)  # sum(A, axis=0)
                    expect_operand = True
                else:
                    raise self.unexpected(k, prev)
                pos += len(sym)
            elif newline:
                if depth == 0:
                    pos -= len(ws)
                    break
                pos += 1
                k += 1
                continue
            elif name or number or rare:
                raise self.unexpected(k, prev)
            else:
                pos -= len(ws)
                break  # the end
            prev = k
            k += 1
        while len(stack) > 1:
            top = pop()
            if type(top) is list:
                raise self.fail("'(' is never closed", top[1])
            emit(top[1])
            place(top[2])
        return Code(items, offsets, self.lines), k, pos

    def open_call(self, k: int, stack: list[Any], items: list[float | str | Op], offsets: array[int]) -> None:
        """Token ``k`` is the ``(`` of a call: the name before it, the last item emitted,
        becomes the call's frame."""
        name = items.pop()
        offset = offsets.pop()
        assert isinstance(name, str)
        function = self.grammar.functions.get(name)
        if function is None:
            hint = f" ('{name}' is written with an operator)" if name in OPS else ""
            raise self.fail(f"unknown function '{name}'{hint}", offset)
        if self.pieces[k + 1][2] == ")":
            raise self.fail(_arity_message(function, 0), offset)
        stack.append([_FRAME, offset, function, 1, False])

    def close(
        self, k: int, pos: int, stack: list[Any], items: list[float | str | Op], offsets: array[int]
    ) -> None:
        """``)`` or ``,`` (token ``k`` at ``pos``): the operators since the innermost open
        parenthesis are done; a closed call is emitted."""
        sym = self.pieces[k][2]
        while type(stack[-1]) is not list:
            top = stack.pop()
            items.append(top[1])
            offsets.append(top[2])
        if len(stack) == 1:  # the statement's own bottom
            what = "unmatched ')'" if sym == ")" else "tuples are not supported (unexpected ',')"
            raise self.fail(what, pos)
        frame = stack[-1]
        function = frame[2]
        if sym == ",":
            if function is None:
                raise self.fail("tuples are not supported (unexpected ',')", pos)
            if frame[4]:
                raise self.fail("a keyword argument comes last", pos)
            frame[3] += 1
            return
        stack.pop()
        if function is not None:
            if frame[3] != function.arity:
                raise self.fail(_arity_message(function, frame[3]), frame[1])
            items.append(function)
            offsets.append(frame[1])
        if self.pieces[k + 1][2] == "(":
            nxt = pos + 1 + len(self.pieces[k + 1][0])
            raise self.fail("only functions can be called (write '*' to multiply)", nxt)

    def keyword(
        self, k: int, pos: int, stack: list[Any], items: list[float | str | Op], offsets: array[int]
    ) -> None:
        """Token ``k`` (at ``pos``) is the ``=`` of ``NAME =`` inside a call: the keyword
        argument of an op written as another function's keyword (``sum(A, axis=0)`` is
        ``sum_axis(A, 0)``); the name just emitted is the keyword, its value a number."""
        frame = stack[-1]
        word = items.pop()
        at = offsets.pop()
        assert isinstance(word, str)
        function = frame[2]
        if function is None:
            raise self.fail("only a plain name can be assigned", pos)
        op = keyword_op(function.name, word)
        if op is None:
            raise self.fail(f"function '{function.name}' takes no keyword argument '{word}'", at)
        if frame[3] != op.arity:
            raise self.fail(f"'{word}=' comes after the array: {function.name}(A, {word}=0)", at)
        j = k + 1
        value_at = pos + 1 + len(self.pieces[j][0])
        if self.pieces[j][2] == "-":
            value_at += 1 + len(self.pieces[j + 1][0])
            j += 1
        if not self.pieces[j][3]:
            raise self.fail(f"{word} must be a number written in the text ({word}=0)", value_at)
        frame[2] = op
        frame[4] = True


def _arity_message(function: Op, got: object) -> str:
    arity = function.arity
    return f"function '{function.name}' takes {arity} argument{'s' if arity != 1 else ''}, got {got}"

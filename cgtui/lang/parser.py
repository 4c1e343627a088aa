"""The expression language: text -> statements of postfix code.

A hand-written tokenizer and an operator-precedence (shunting-yard) parser. Both are
loops over the tokens with explicit stacks, so a 100,000-term sum or expressions nested
thousands deep parse without recursion. Nothing in the text is ever executed: the only
output is a list of :class:`Statement` whose ``code`` is postfix instructions that
:mod:`cgtui.lang.build` turns into graph nodes.

Grammar (Python-like)::

    program   := statement ((NEWLINE | ';') statement)*
    statement := NAME '=' expr | expr
    expr      := operands joined by + - * / and ^ or ** (right-associative),
                 prefix - and +, parentheses, NUMBER, NAME, FUNCTION '(' args ')'

Precedence follows Python: ``-x**2`` is ``-(x**2)`` and ``2**-1`` is ``2**(-1)``.
``#`` starts a comment; newlines inside parentheses continue the statement.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class _Grammar:
    """The tokenizer and the operator tables for one op table's :class:`Syntax`."""

    token: re.Pattern[str]
    infix: dict[str, tuple[int, bool, str]]  # spelling -> (precedence, right-associative, op name)
    prefix: dict[str, tuple[int, str]]  # symbol -> (precedence, op name)
    functions: dict[str, Op]
    refused: frozenset[str]  # operators to refuse by name


@functools.lru_cache(maxsize=4)
def _grammar(table: Syntax) -> _Grammar:
    symbols = {*table.infix, *table.prefix, *_PUNCTUATION, *_REFUSED_OPERATORS}
    alternatives = "|".join(re.escape(sym) for sym in sorted(symbols, key=len, reverse=True))
    token = re.compile(
        rf"""
        (?P<ws>[ \t\r\f]+)
      | (?P<comment>\#[^\n]*)
      | (?P<newline>\n)
      | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
      | (?P<name>[^\W\d]\w*)
      | (?P<op>{alternatives})
      | (?P<other>.)
        """,
        re.VERBOSE,
    )
    return _Grammar(
        token,
        {sym: (op.precedence, op.right, op.name) for sym, op in table.infix.items()},
        {sym: (op.precedence, op.name) for sym, op in table.prefix.items()},
        table.functions,
        frozenset(_REFUSED_OPERATORS) - set(table.infix) - set(table.prefix),
    )


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


@dataclass
class Statement:
    target: str | None
    code: list[Instr] = field(default_factory=list)
    line: int = 1
    column: int = 1


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
        self.lines = text.split("\n")
        self.file = file
        self.line_map = line_map

    def error(
        self, message: str, line: int | None, column: int | None, cls: type[CgtuiError] = ParseError
    ) -> CgtuiError:
        if line is None or column is None:
            return cls(message, line=line, file=self.file)
        if self.line_map is not None:
            line, column, source_line = self.line_map(line, column)
        else:
            source_line = self.lines[line - 1].rstrip("\r") if 0 < line <= len(self.lines) else ""
        return cls(message, line=line, column=column, source_line=source_line, file=self.file)


def canonical_name(name: str) -> str:
    """A name in its NFKC form, so that full-width ``ｘ`` and ``x`` are one leaf, as in
    Python's own identifiers."""
    return unicodedata.normalize("NFKC", name)


def tokenize(text: str, src: SourceText | None = None) -> list[Token]:
    src = src or SourceText(text)
    grammar = _grammar(syntax())
    tokens: list[Token] = []
    append = tokens.append
    line = 1
    line_start = 0
    for m in grammar.token.finditer(text):
        kind = m.lastgroup
        start = m.start()
        if kind == "ws" or kind == "comment":
            continue
        column = start - line_start + 1
        if kind == "newline":
            append(Token("newline", "\n", line, column))
            line += 1
            line_start = m.end()
            continue
        word = m.group()
        if kind == "number":
            if not word.isascii():
                raise src.error(f"numbers are written with ASCII digits 0-9, not '{word}'", line, column)
            value = float(word)
            if value == float("inf"):
                raise src.error(f"number '{word}' is too large", line, column)
            # '2x' or '3e' : a number glued to a name
            end = m.end()
            if end < len(text) and (text[end].isalpha() or text[end] == "_"):
                raise src.error(
                    f"a number cannot run into a name: '{word}{text[end]}' (write '{word}*{text[end]}'?)",
                    line,
                    column,
                )
            append(Token("number", word, line, column, value))
        elif kind == "name":
            if not word.isidentifier():  # e.g. 'x²': \w takes it, Python names do not
                raise src.error(f"'{word}' is not a valid name", line, column)
            if not word.isascii():
                word = canonical_name(word)  # full-width 'ｘ' is 'x', as in Python
            if word in _REFUSED_NAMES:
                raise src.error(_REFUSED_NAMES[word], line, column)
            append(Token("name", word, line, column))
        elif kind == "op":
            if word in grammar.refused:
                raise src.error(f"operator '{word}' is not supported", line, column)
            append(Token("op", word, line, column))
        else:
            message = _REFUSED_CHARS.get(word)
            if word == "." and text[m.end() : m.end() + 1] == "T":
                message = "attribute access is not supported: write transpose(A), not A.T"
            if message is None:
                shown = word if word.isprintable() else repr(word)[1:-1]
                message = f"unexpected character '{shown}'" if word not in "%<>!&|~$?`\\" else (
                    f"operator '{word}' is not supported"
                )
            raise src.error(message, line, column)
    last_line = src.lines[-1] if src.lines else ""
    append(Token("end", "", line, len(last_line) + 1 if line == len(src.lines) else 1))
    return tokens


def _describe(tok: Token) -> str:
    if tok.kind == "end":
        return "the end of the input"
    if tok.kind == "newline":
        return "the end of the line"
    return f"'{tok.text}'"


class _Frame:
    """An open parenthesis on the operator stack; a call's when ``function`` is set."""

    __slots__ = ("args", "function", "keyword", "tok")

    def __init__(self, tok: Token, function: str | None) -> None:
        self.tok = tok
        self.function = function
        self.args = 1
        self.keyword = False  # a keyword argument was given: it is the last one


def _keyword(top: _Pending | _Frame, tokens: list[Token], i: int, src: SourceText) -> None:
    """``NAME =`` inside a call: the keyword argument of an op written as another
    function's keyword (``sum(A, axis=0)`` is ``sum_axis(A, 0)``); its value is a number."""
    tok = tokens[i]
    if not isinstance(top, _Frame) or top.function is None:
        raise src.error("only a plain name can be assigned", tokens[i + 1].line, tokens[i + 1].column)
    op = keyword_op(top.function, tok.text)
    if op is None:
        message = f"function '{top.function}' takes no keyword argument '{tok.text}'"
        raise src.error(message, tok.line, tok.column)
    if top.args != op.arity:
        raise src.error(
            f"'{tok.text}=' comes after the array: {top.function}(A, {tok.text}=0)", tok.line, tok.column
        )
    value = tokens[i + 2]
    if value.kind == "op" and value.text == "-":
        value = tokens[i + 3]
    if value.kind != "number":
        message = f"{tok.text} must be a number written in the text ({tok.text}=0)"
        raise src.error(message, value.line, value.column)
    top.function = op.name
    top.keyword = True


#: An operator on the stack, waiting for its operands: (precedence, op name, token).
_Pending = tuple[int, str, Token]


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
    grammar = _grammar(syntax())
    tokens = tokenize(text, src)
    statements: list[Statement] = []
    n = len(tokens)
    i = 0
    while i < n:
        tok = tokens[i]
        if tok.kind == "end":
            break
        if tok.kind == "newline" or tok.text == ";":
            i += 1
            continue
        target: str | None = None
        start = tok
        if (
            tok.kind == "name"
            and i + 1 < n
            and tokens[i + 1].kind == "op"
            and tokens[i + 1].text == "="
        ):
            if not allow_assignments:
                raise src.error("assignments are not allowed here", tok.line, tok.column)
            if tok.text in grammar.functions:
                raise src.error(f"'{tok.text}' is a function and cannot be assigned", tok.line, tok.column)
            target = tok.text
            i += 2
        stmt = Statement(target, [], start.line, start.column)
        i = _parse_expression(tokens, i, stmt.code, src, grammar, after=tokens[i - 1] if target else None)
        statements.append(stmt)
    if not statements:
        raise src.error("empty expression", 1, 1)
    return Program(statements, text)


def _parse_expression(
    tokens: list[Token], i: int, out: list[Instr], src: SourceText, grammar: _Grammar, after: Token | None
) -> int:
    """Shunting-yard over one statement starting at ``tokens[i]``: postfix code into
    ``out``; returns the index of the token that ends the statement."""
    stack: list[_Pending | _Frame] = []  # operators waiting for operands, and open parentheses
    emit = out.append
    infix = grammar.infix
    prefix = grammar.prefix
    expect_operand = True
    prev = after
    depth = 0  # open parentheses: inside them a newline continues the statement
    while True:
        tok = tokens[i]
        kind = tok.kind
        if kind == "newline" and depth > 0:
            i += 1
            continue
        if expect_operand:
            if kind == "number":
                emit(Instr(NUM, tok.value, tok.line, tok.column))
                expect_operand = False
            elif kind == "name":
                if tokens[i + 1].text == "(" and tokens[i + 1].kind == "op":
                    stack.append(_open_call(tokens, i, src, grammar))
                    depth += 1
                    prev = tokens[i + 1]
                    i += 2
                    continue
                if tokens[i + 1].text == "=" and tokens[i + 1].kind == "op" and stack:
                    _keyword(stack[-1], tokens, i, src)  # sum(A, axis=0)
                    prev = tokens[i + 1]
                    i += 2
                    continue
                emit(Instr(NAME, tok.text, tok.line, tok.column))
                expect_operand = False
            elif kind != "op":
                raise _missing_operand(tok, prev, src)
            elif tok.text == "(":
                stack.append(_Frame(tok, None))
                depth += 1
            elif tok.text in prefix:
                precedence, name = prefix[tok.text]
                stack.append((precedence, name, tok))
            elif tok.text != "+":  # a prefix '+' is the identity
                raise _missing_operand(tok, prev, src)
        elif kind == "op" and tok.text in infix:
            precedence, right, name = infix[tok.text]
            while stack:
                top = stack[-1]
                if isinstance(top, _Frame) or top[0] < precedence or (top[0] == precedence and right):
                    break
                emit(Instr(OP, top[1], top[2].line, top[2].column))
                stack.pop()
            stack.append((precedence, name, tok))
            expect_operand = True
        elif kind == "op" and (tok.text == ")" or tok.text == ","):
            _close(tok, tokens[i + 1], stack, emit, src)
            if tok.text == ",":
                expect_operand = True
            else:
                depth -= 1
        elif kind == "end" or kind == "newline" or tok.text == ";":
            break
        else:
            raise _unexpected(tok, prev, src)
        prev = tok
        i += 1
    while stack:
        top = stack.pop()
        if isinstance(top, _Frame):
            raise src.error("'(' is never closed", top.tok.line, top.tok.column)
        emit(Instr(OP, top[1], top[2].line, top[2].column))
    return i


def _open_call(tokens: list[Token], i: int, src: SourceText, grammar: _Grammar) -> _Frame:
    """The frame of the call ``NAME (`` at ``tokens[i]``."""
    tok = tokens[i]
    function = grammar.functions.get(tok.text)
    if function is None:
        hint = f" ('{tok.text}' is written with an operator)" if tok.text in OPS else ""
        raise src.error(f"unknown function '{tok.text}'{hint}", tok.line, tok.column)
    after = tokens[i + 2]
    if after.kind == "op" and after.text == ")":
        raise src.error(_arity_message(function, 0), tok.line, tok.column)
    return _Frame(tok, tok.text)


def _close(
    tok: Token, nxt: Token, stack: list[_Pending | _Frame], emit: Callable[[Instr], None], src: SourceText
) -> None:
    """``)`` or ``,``: the operators since the innermost open parenthesis are done; a
    closed call is emitted."""
    while stack:
        top = stack[-1]
        if isinstance(top, _Frame):
            break
        stack.pop()
        emit(Instr(OP, top[1], top[2].line, top[2].column))
    if not stack:
        what = "unmatched ')'" if tok.text == ")" else "tuples are not supported (unexpected ',')"
        raise src.error(what, tok.line, tok.column)
    frame = stack[-1]
    assert isinstance(frame, _Frame)
    if tok.text == ",":
        if frame.function is None:
            raise src.error("tuples are not supported (unexpected ',')", tok.line, tok.column)
        if frame.keyword:
            raise src.error("a keyword argument comes last", tok.line, tok.column)
        frame.args += 1
        return
    stack.pop()
    if frame.function is not None:
        function = OPS[frame.function]
        if frame.args != function.arity:
            raise src.error(_arity_message(function, frame.args), frame.tok.line, frame.tok.column)
        emit(Instr(OP, frame.function, frame.tok.line, frame.tok.column))
    if nxt.kind == "op" and nxt.text == "(":
        raise src.error("only functions can be called (write '*' to multiply)", nxt.line, nxt.column)


def _arity_message(function: Op, got: int) -> str:
    arity = function.arity
    return f"function '{function.name}' takes {arity} argument{'s' if arity != 1 else ''}, got {got}"


def _missing_operand(tok: Token, prev: Token | None, src: SourceText) -> CgtuiError:
    """The error for ``tok`` where an operand should be."""
    if prev is None:
        if tok.kind in ("end", "newline") or tok.text == ";":
            return src.error("expected an expression", tok.line, tok.column)
        return src.error(f"expected an operand, found {_describe(tok)}", tok.line, tok.column)
    if tok.kind == "op" and tok.text == "=":
        return src.error("only a plain name can be assigned", tok.line, tok.column)
    return src.error(f"expected an operand after '{prev.text}'", tok.line, tok.column)


def _unexpected(tok: Token, prev: Token | None, src: SourceText) -> CgtuiError:
    """The error for ``tok`` where an operator (or the end) should be."""
    if tok.kind == "op" and tok.text == "=":
        return src.error("only a plain name can be assigned", tok.line, tok.column)
    assert prev is not None
    message = f"expected an operator after {_describe(prev)}, found {_describe(tok)}"
    return src.error(message, tok.line, tok.column)

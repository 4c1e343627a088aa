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

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from cgtui.core.errors import ParseError
from cgtui.core.ops import BINARY_SYMBOLS, FUNCTIONS, OPS

# Instruction kinds in postfix code.
NUM = 0  # payload: float
NAME = 1  # payload: str
OP = 2  # payload: op name (binary, or 'neg'); function calls too

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\f]+)
  | (?P<comment>\#[^\n]*)
  | (?P<newline>\n)
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[^\W\d]\w*)
  | (?P<op>\*\*|//|==|!=|<=|>=|->|:=|[-+*/^()=,;])
  | (?P<other>.)
    """,
    re.VERBOSE,
)

_BINARY_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 4, "**": 4}
_UNARY_PRECEDENCE = 3
_RIGHT_ASSOC = {"^", "**"}

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


class _Source:
    """Positions and error construction for one piece of text."""

    def __init__(
        self,
        text: str,
        file: str | None,
        line_offset: int,
        column_offset: int,
        line_map: LineMap | None = None,
    ) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.file = file
        self.line_offset = line_offset
        self.column_offset = column_offset
        self.line_map = line_map

    def error(self, message: str, line: int, column: int) -> ParseError:
        if self.line_map is not None:
            at_line, at_column, source_line = self.line_map(line, column)
            return ParseError(
                message, line=at_line, column=at_column, source_line=source_line, file=self.file
            )
        source_line = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        col = column + (self.column_offset if line == 1 else 0)
        if line == 1 and self.column_offset:
            source_line = " " * self.column_offset + source_line
        return ParseError(
            message,
            line=line + self.line_offset,
            column=col,
            source_line=source_line.rstrip("\r"),
            file=self.file,
        )


def tokenize(text: str, src: _Source | None = None) -> list[Token]:
    src = src or _Source(text, None, 0, 0)
    tokens: list[Token] = []
    append = tokens.append
    line = 1
    line_start = 0
    for m in _TOKEN.finditer(text):
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
            if word in _REFUSED_NAMES:
                raise src.error(_REFUSED_NAMES[word], line, column)
            if not word.isidentifier():  # e.g. 'x²': \w takes it, Python names do not
                raise src.error(f"'{word}' is not a valid name", line, column)
            append(Token("name", word, line, column))
        elif kind == "op":
            if word in ("//", "==", "!=", "<=", ">=", "->", ":="):
                raise src.error(f"operator '{word}' is not supported", line, column)
            append(Token("op", word, line, column))
        else:
            message = _REFUSED_CHARS.get(word)
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

    __slots__ = ("args", "function", "tok")

    def __init__(self, tok: Token, function: str | None) -> None:
        self.tok = tok
        self.function = function
        self.args = 1


def parse(
    text: str,
    *,
    file: str | None = None,
    line_offset: int = 0,
    column_offset: int = 0,
    allow_assignments: bool = True,
    line_map: LineMap | None = None,
) -> Program:
    """Parse a program (statements) into postfix code; raise :class:`ParseError`."""
    src = _Source(text, file, line_offset, column_offset, line_map)
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
            if tok.text in FUNCTIONS:
                raise src.error(f"'{tok.text}' is a function and cannot be assigned", tok.line, tok.column)
            target = tok.text
            i += 2
        stmt = Statement(target, [], start.line, start.column)
        i = _parse_expression(tokens, i, stmt.code, src, after=tokens[i - 1] if target else None)
        statements.append(stmt)
    if not statements:
        raise src.error("empty expression", 1, 1)
    return Program(statements, text)


def _parse_expression(
    tokens: list[Token], i: int, out: list[Instr], src: _Source, after: Token | None
) -> int:
    """Shunting-yard over one statement starting at ``tokens[i]``; returns the next index."""
    stack: list[Token | _Frame] = []  # operator tokens (binary, or unary '-') and open frames
    unary: set[int] = set()  # ids of tokens on the stack that are prefix minus
    expect_operand = True
    prev: Token | None = after
    emit = out.append

    def pop_operator(op: Token) -> None:
        if id(op) in unary:
            emit(Instr(OP, "neg", op.line, op.column))
        else:
            emit(Instr(OP, BINARY_SYMBOLS[op.text], op.line, op.column))

    depth = 0
    n = len(tokens)
    while True:
        tok = tokens[i]
        kind = tok.kind
        if kind == "newline" and depth > 0:
            i += 1
            continue
        at_end = kind == "end" or kind == "newline" or (kind == "op" and tok.text == ";")
        if expect_operand:
            if kind == "number":
                emit(Instr(NUM, tok.value, tok.line, tok.column))
                expect_operand = False
            elif kind == "name":
                nxt = tokens[i + 1] if i + 1 < n else None
                if nxt is not None and nxt.kind == "op" and nxt.text == "(":
                    if tok.text not in FUNCTIONS:
                        hint = ""
                        if tok.text in OPS:
                            hint = f" ('{tok.text}' is written with an operator)"
                        raise src.error(f"unknown function '{tok.text}'{hint}", tok.line, tok.column)
                    stack.append(_Frame(tok, tok.text))
                    depth += 1
                    i += 1  # the '('
                    prev = nxt
                    i += 1
                    # an empty argument list
                    if tokens[i].kind == "op" and tokens[i].text == ")":
                        arity = FUNCTIONS[tok.text].arity
                        raise src.error(
                            f"function '{tok.text}' takes {arity} argument{'s' if arity != 1 else ''}, got 0",
                            tok.line,
                            tok.column,
                        )
                    continue
                emit(Instr(NAME, tok.text, tok.line, tok.column))
                expect_operand = False
            elif kind == "op" and tok.text == "(":
                stack.append(_Frame(tok, None))
                depth += 1
            elif kind == "op" and tok.text == "-":
                stack.append(tok)
                unary.add(id(tok))
            elif kind == "op" and tok.text == "+":
                pass  # unary plus is the identity
            else:
                if prev is None:
                    if at_end:
                        raise src.error("expected an expression", tok.line, tok.column)
                    raise src.error(f"expected an operand, found {_describe(tok)}", tok.line, tok.column)
                if kind == "op" and tok.text == "=":
                    raise src.error(
                        "only a plain name can be assigned", tok.line, tok.column
                    )
                raise src.error(f"expected an operand after '{prev.text}'", tok.line, tok.column)
        else:
            if kind == "op" and tok.text in _BINARY_PRECEDENCE:
                prec = _BINARY_PRECEDENCE[tok.text]
                right = tok.text in _RIGHT_ASSOC
                while stack:
                    top = stack[-1]
                    if isinstance(top, _Frame):
                        break
                    top_prec = _UNARY_PRECEDENCE if id(top) in unary else _BINARY_PRECEDENCE[top.text]
                    if top_prec > prec or (top_prec == prec and not right):
                        pop_operator(top)
                        stack.pop()
                    else:
                        break
                stack.append(tok)
                expect_operand = True
            elif kind == "op" and tok.text in (")", ","):
                while stack and not isinstance(stack[-1], _Frame):
                    top = stack.pop()
                    assert isinstance(top, Token)
                    pop_operator(top)
                if not stack:
                    what = "unmatched ')'" if tok.text == ")" else "tuples are not supported (unexpected ',')"
                    raise src.error(what, tok.line, tok.column)
                frame = stack[-1]
                assert isinstance(frame, _Frame)
                if tok.text == ",":
                    if frame.function is None:
                        raise src.error("tuples are not supported (unexpected ',')", tok.line, tok.column)
                    frame.args += 1
                    expect_operand = True
                else:
                    stack.pop()
                    depth -= 1
                    if frame.function is not None:
                        arity = FUNCTIONS[frame.function].arity
                        if frame.args != arity:
                            raise src.error(
                                f"function '{frame.function}' takes {arity} argument"
                                f"{'s' if arity != 1 else ''}, got {frame.args}",
                                frame.tok.line,
                                frame.tok.column,
                            )
                        emit(Instr(OP, frame.function, frame.tok.line, frame.tok.column))
                    nxt = tokens[i + 1] if i + 1 < n else None
                    if nxt is not None and nxt.kind == "op" and nxt.text == "(":
                        raise src.error(
                            "only functions can be called (write '*' to multiply)", nxt.line, nxt.column
                        )
            elif at_end:
                break
            elif kind == "op" and tok.text == "=":
                raise src.error("only a plain name can be assigned", tok.line, tok.column)
            else:
                assert prev is not None
                raise src.error(
                    f"expected an operator after {_describe(prev)}, found {_describe(tok)}",
                    tok.line,
                    tok.column,
                )
        prev = tok
        i += 1
        if at_end and expect_operand:
            # unreachable: at_end with expect_operand raised above
            break
    while stack:
        top = stack.pop()
        if isinstance(top, _Frame):
            raise src.error("'(' is never closed", top.tok.line, top.tok.column)
        pop_operator(top)
    return i

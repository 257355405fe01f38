"""The arithmetic of ``zram-size`` and ``zram-resident-limit``, as zram-generator reads it.

zram-generator evaluates these options with the fasteval expression language:
``ram`` is the machine's MemTotal in MiB and the result is a size in MiB. The
language has a few rules that differ from Python's, and a simulator that wants
the generator's exact disksize must follow them, so this module is a small
parser and evaluator of our own (never Python's ``eval``):

- Numbers may carry an SI suffix, in powers of **1000**: ``500k`` is 500,000 and
  ``32G`` is 32e9 (k K M G T, and m u µ n p below one).
- A binary expression is a flat list of values and operators, collapsed one
  operator kind at a time in a fixed order: ``^`` (right to left), ``%``,
  ``/``, ``*``, ``-``, ``+``, the comparisons, ``and``, ``or``. So
  ``2 * 7 % 4`` is ``2 * (7 % 4)`` = 6, where Python says 2.
- A sign belongs to a number (``-2^2`` is 4); unary minus applies to the value
  after it only.
- Arithmetic is IEEE: division by zero gives an infinity or NaN, never an error;
  ``round`` rounds halves away from zero; ``min``/``max`` skip a NaN.
- Functions: ``int ceil floor abs sign log([base,] x) round([modulus,] x)
  min max e() pi()`` and the trigonometric ones. ``e`` and ``pi`` are
  functions: a bare ``e`` is an undefined variable, as in the generator.

Worked example, the man page's piecewise-linear size at 8 GiB of RAM
(``ram`` = 8192): ``min(min(ram, 4096) + max(ram - 4096, 0) / 2, 32 * 1024)``
= min(4096 + 4096 / 2, 32768) = 6144 MiB.
"""

from __future__ import annotations

import math
import re
from typing import Callable, Mapping

MAX_LENGTH = 4096          # the generator's parser refuses longer expressions


class ExpressionError(ValueError):
    """An expression that does not parse, or names something undefined."""


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_EXPONENT = re.compile(r"[eE][+-]?\d+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_SUFFIX = {"k": 3, "K": 3, "M": 6, "G": 9, "T": 12, "m": -3, "u": -6, "µ": -6, "n": -9,
           "p": -12}
_OPERATORS = ("<=", ">=", "==", "!=", "&&", "||", "and", "or", "+", "-", "*", "/", "%", "^",
              "<", ">")
# The order in which the flat list is collapsed, and the direction of each pass.
_PASSES = (("^", "rtl"), ("%", "ltr"), ("/", "ltr"), ("*", "rtl"), ("-", "ltr"),
           ("+", "rtl"), ("<", "ltr"), (">", "ltr"), ("<=", "ltr"), (">=", "ltr"),
           ("==", "ltr"), ("!=", "ltr"), ("and", "ltr"), ("or", "ltr"))


def evaluate(text: str, variables: Mapping[str, float]) -> float:
    """The value of ``text`` with ``variables`` (``{"ram": 8192}``) defined.

    >>> evaluate("min(ram / 2, 4096)", {"ram": 1024})
    512.0
    >>> evaluate("2 * 7 % 4", {})
    6.0
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"longer than {MAX_LENGTH} characters")
    parser = _Parser(text, variables)
    value = parser.expression()
    parser.skip_space()
    if parser.pos != len(text):
        raise ExpressionError(f"unexpected {text[parser.pos:]!r}")
    return value


class _Parser:
    """Recursive descent that evaluates as it reads (expressions are tiny)."""

    def __init__(self, text: str, variables: Mapping[str, float]) -> None:
        self.text, self.pos, self.variables = text, 0, variables

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def expression(self) -> float:
        values, ops = [self.value()], []
        while (op := self.operator()) is not None:
            ops.append("and" if op == "&&" else "or" if op == "||" else op)
            values.append(self.value())
        return _collapse(values, ops)

    def operator(self) -> str | None:
        self.skip_space()
        for op in _OPERATORS:
            if self.text.startswith(op, self.pos):
                self.pos += len(op)
                return op
        return None

    def value(self) -> float:
        self.skip_space()
        number = self.number()
        if number is not None:
            return number
        if self.pos >= len(self.text):
            raise ExpressionError("a value is missing at the end")
        char = self.text[self.pos]
        if char in "+-!":
            self.pos += 1
            inner = self.value()
            return {"+": inner, "-": -inner, "!": float(inner == 0.0)}[char]
        if char in "([":
            self.pos += 1
            inner = self.expression()
            self.expect(")" if char == "(" else "]")
            return inner
        return self.callable()

    def number(self) -> float | None:
        match = _NUMBER.match(self.text, self.pos)
        if match is None or match.group() in "+-":
            return None
        self.pos = match.end()
        literal = match.group()
        exponent = _EXPONENT.match(self.text, self.pos)
        if exponent:
            self.pos = exponent.end()
            return float(literal + exponent.group())
        suffix = self.text[self.pos:self.pos + 1]
        if suffix in _SUFFIX:
            self.pos += 1
            return float(f"{literal}e{_SUFFIX[suffix]}")
        if suffix in ("e", "E"):
            raise ExpressionError(f"{literal}{suffix}: an exponent needs digits")
        return float(literal)

    def callable(self) -> float:
        match = _NAME.match(self.text, self.pos)
        if match is None:
            raise ExpressionError(f"unexpected {self.text[self.pos:]!r}")
        name = match.group()
        self.pos = match.end()
        self.skip_space()
        if not self.text.startswith("(", self.pos):
            if name not in self.variables:
                raise ExpressionError(f"undefined variable {name!r}")
            return float(self.variables[name])
        self.pos += 1
        args = self.arguments()
        function = _FUNCTIONS.get(name)
        if function is None:
            raise ExpressionError(f"undefined function {name!r}")
        return function(name, args)

    def arguments(self) -> list[float]:
        args: list[float] = []
        self.skip_space()
        if self.text.startswith(")", self.pos):
            self.pos += 1
            return args
        while True:
            args.append(self.expression())
            self.skip_space()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            self.expect(")")
            return args

    def expect(self, char: str) -> None:
        self.skip_space()
        if not self.text.startswith(char, self.pos):
            raise ExpressionError(f"expected {char!r}")
        self.pos += 1


def _collapse(values: list[float], ops: list[str]) -> float:
    """Apply the operators of one flat expression, one kind at a time."""
    def apply(i: int) -> None:
        values[i:i + 2] = [_binary(ops.pop(i), values[i], values[i + 1])]

    for kind, direction in _PASSES:
        if direction == "rtl":
            for i in reversed([i for i, op in enumerate(ops) if op == kind]):
                apply(i)
        else:
            while kind in ops:
                apply(ops.index(kind))
    return values[0]


def _binary(op: str, left: float, right: float) -> float:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return _divide(left, right)
    if op == "%":
        return math.fmod(left, right) if right != 0 and math.isfinite(left) else math.nan
    if op == "^":
        return _power(left, right)
    if op == "and":
        return left if left == 0.0 else right
    if op == "or":
        return left if left != 0.0 else right
    compare = {"<": left < right, ">": left > right, "<=": left <= right,
               ">=": left >= right, "==": left == right, "!=": left != right}
    return float(compare[op])


def _divide(left: float, right: float) -> float:
    if right != 0:
        return left / right
    if left == 0 or math.isnan(left):
        return math.nan
    return math.copysign(math.inf, left) * math.copysign(1.0, right)


def _power(base: float, exponent: float) -> float:
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return math.inf if base > 0 or exponent % 2 == 0 else -math.inf
    except ValueError:            # a negative base to a fractional power, or 0 to a negative
        return math.inf if base == 0 else math.nan


def _log(x: float, base: float = 10.0) -> float:
    if math.isnan(x) or math.isnan(base) or x < 0 or base < 0:
        return math.nan
    if x == 0:
        return -math.inf if base > 1 else math.inf
    if base in (0.0, 1.0):
        return _divide(math.log(x), math.log(base) if base else -math.inf)
    return math.log(x) / math.log(base)


def _round(x: float, modulus: float = 1.0) -> float:
    scaled = _divide(x, modulus)
    if not math.isfinite(scaled):
        return scaled * modulus
    return math.copysign(math.floor(abs(scaled) + 0.5), scaled) * modulus


def _extreme(pick: Callable[[float, float], float]):
    def fold(args: list[float]) -> float:
        result = args[0]
        for value in args[1:]:
            result = value if math.isnan(result) else result if math.isnan(value) else \
                pick(result, value)
        return result
    return fold


def _unary(function: Callable[[float], float]):
    def safe(x: float) -> float:
        try:
            return function(x)
        except (ValueError, OverflowError):
            return math.nan
    return safe


_ONE_ARG = {
    "int": lambda x: float(math.trunc(x)) if math.isfinite(x) else x,
    "ceil": lambda x: float(math.ceil(x)) if math.isfinite(x) else x,
    "floor": lambda x: float(math.floor(x)) if math.isfinite(x) else x,
    "abs": abs,
    "sign": lambda x: x if math.isnan(x) else math.copysign(1.0, x),
    **{name: _unary(getattr(math, name)) for name in
       ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh",
        "acosh", "atanh")},
}


def _call(name: str, args: list[float]) -> float:
    """One built-in function, with the generator's argument rules."""
    if name in ("e", "pi"):
        if args:
            raise ExpressionError(f"{name}() takes no arguments")
        return math.e if name == "e" else math.pi
    if name in ("min", "max"):
        if not args:
            raise ExpressionError(f"{name}() needs at least one argument")
        return _extreme(min if name == "min" else max)(args)
    if name in ("log", "round"):
        if len(args) not in (1, 2):
            raise ExpressionError(f"{name}() takes one or two arguments")
        value, first = args[-1], args[0] if len(args) == 2 else None
        if name == "log":
            return _log(value) if first is None else _log(value, first)
        return _round(value) if first is None else _round(value, first)
    if len(args) != 1:
        raise ExpressionError(f"{name}() takes one argument")
    return _ONE_ARG[name](args[0])


_FUNCTIONS: dict[str, Callable[[str, list[float]], float]] = {
    name: _call for name in ("e", "pi", "min", "max", "log", "round", *_ONE_ARG)}

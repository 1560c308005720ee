"""Synthesizability lint of HLS C++ text: our kernel headers and every generated file.

A scanner at the level of tokens, not a compiler. Per file it

1. blanks comments (collecting ``// lint: allow(rule) reason`` waivers from them);
2. resolves preprocessor conditionals as synthesis sees them: ``__SYNTHESIS__`` is defined and
   ``CODESIGN_THREADED_CSIM`` is not, so code under ``#ifndef __SYNTHESIS__`` or
   ``#ifdef CODESIGN_THREADED_CSIM`` is skipped; any other condition (include guards, ...) is
   linted on every branch. Directive lines themselves (and ``#define`` bodies) are not linted,
   except that ``#pragma`` lines and system ``#include`` lines are read;
3. reads ``_Pragma("...")`` operators, blanks string and character literals and tokenizes;
4. finds functions (declarations and definitions, with their parameters) and checks the
   rules of :data:`RULES`.

Testbench code (``tb/``, the ctypes predict wrapper, ``codesign/vector_io.h``) is never
synthesized: only the rules with ``testbench=True`` apply to it.

A finding is waived by a comment on its line, or on a comment-only line right above it:
``// lint: allow(pointer) the top's m_axi port, passed on unchanged``. The reason is
required; a waiver that waives nothing is itself a finding.

    findings = lint_project("results/runs/ultra96_bnn/<run-id>/hls")
    print("\\n".join(map(str, findings)))
"""

from __future__ import annotations

import bisect
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from codesign.codegen.environment import INCLUDE_DIR, REPO_ROOT
from codesign.codegen.errors import CodegenError


@dataclass(frozen=True)
class Rule:
    """A lint rule: ``id`` (used in findings and waivers), what it flags, and whether it
    also applies to testbench code."""

    id: str
    summary: str
    testbench: bool


RULES: tuple[Rule, ...] = (
    Rule("alloc", "dynamic allocation: new, delete, malloc, calloc, realloc, free", False),
    Rule("stl", "STL containers and runtime: std::vector, map, string, list, deque, set, unordered_*, "
                "shared_ptr/unique_ptr, thread, mutex, function, and their headers", False),
    Rule("iostream", "stream and stdio I/O: std::cout/cerr/cin, file and string streams, printf, "
                     "<iostream>/<fstream>/<sstream>/<cstdio>", False),
    Rule("recursion", "a function that calls itself, directly or through other functions "
                      "(name-level call graph over every linted file)", True),
    Rule("unbounded-loop", "while and do loops; for loops without a condition, whose condition does not "
                           "test the loop variable, whose bound is a runtime value (a function parameter, "
                           "a variable, a member, a non-constexpr call) or whose variable the body modifies",
         False),
    Rule("float", "floating-point types (float, double, long double) and literals (1.5, 1e-3, 2.f, 0x1p3)", False),
    Rule("pointer", "pointer declarators and '->', except the top function's ports", False),
    Rule("dataflow", "in a function with #pragma HLS DATAFLOW: a stream declared there without exactly one "
                     "producer and one consumer process, a stream passed twice to one call, a stream port "
                     "not used by exactly one process", True),
    Rule("waiver", "a waiver comment naming an unknown rule, without a reason, or waiving nothing", True),
)
RULE_IDS = frozenset(r.id for r in RULES)
TESTBENCH_RULES = frozenset(r.id for r in RULES if r.testbench)

# Kernel headers that are testbench helpers, never included by synthesizable code.
TESTBENCH_HEADERS = frozenset({"vector_io.h"})
SOURCE_SUFFIXES = frozenset({".h", ".hh", ".hpp", ".c", ".cc", ".cpp", ".cxx"})

# Macros whose value synthesis knows: defined / not defined.
SYNTHESIS_DEFINED = frozenset({"__SYNTHESIS__"})
SYNTHESIS_UNDEFINED = frozenset({"CODESIGN_THREADED_CSIM"})

_ALLOC_CALLS = frozenset({"malloc", "calloc", "realloc", "free", "alloca", "aligned_alloc"})
_STL_NAMES = frozenset({
    "vector", "map", "multimap", "string", "wstring", "list", "forward_list", "deque", "set", "multiset",
    "unordered_map", "unordered_set", "unordered_multimap", "unordered_multiset", "queue", "priority_queue",
    "stack", "shared_ptr", "unique_ptr", "weak_ptr", "make_shared", "make_unique", "thread", "jthread", "mutex",
    "condition_variable", "function", "async", "future", "promise", "any", "regex"})
_STL_HEADERS = frozenset({
    "vector", "map", "string", "list", "forward_list", "deque", "set", "unordered_map", "unordered_set", "queue",
    "stack", "memory", "thread", "mutex", "condition_variable", "functional", "future", "regex", "any"})
_IO_NAMES = frozenset({
    "cout", "cerr", "clog", "cin", "endl", "ostream", "istream", "iostream", "ifstream", "ofstream", "fstream",
    "stringstream", "istringstream", "ostringstream", "getline", "printf", "fprintf", "puts", "fputs", "scanf",
    "fscanf", "fopen", "fclose", "perror"})
_IO_CALLS = frozenset({"printf", "fprintf", "puts", "fputs", "scanf", "fscanf", "fopen", "fclose", "perror"})
_IO_HEADERS = frozenset({"iostream", "fstream", "sstream", "ostream", "istream", "iomanip", "cstdio", "stdio.h"})

_KEYWORDS = frozenset({
    "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case", "catch", "char", "char16_t", "char32_t",
    "class", "const", "const_cast", "constexpr", "continue", "decltype", "default", "delete", "do", "double",
    "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float", "for", "friend", "goto", "if",
    "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "nullptr", "operator", "or",
    "private", "protected", "public", "register", "reinterpret_cast", "return", "short", "signed", "sizeof",
    "static", "static_assert", "static_cast", "struct", "switch", "template", "this", "throw", "true", "try",
    "typedef", "typeid", "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t",
    "while", "_Pragma", "__attribute__", "defined"})
_BUILTIN_TYPES = frozenset({
    "void", "bool", "char", "wchar_t", "char16_t", "char32_t", "short", "int", "long", "unsigned", "signed",
    "float", "double", "auto"})
_AFTER_PARAMS = frozenset({"const", "volatile", "noexcept", "override", "final", "mutable", "&", "&&"})
_ASSIGN_OPS = frozenset({"=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "|=", "^="})
_STEP_OPS = frozenset({"++", "--"})
_OPENERS = frozenset({"(", "[", "{"})
_CLOSERS: Mapping[str, str] = MappingProxyType({")": "(", "]": "[", "}": "{"})
_READ_MEMBERS = frozenset({"read", "read_nb", "empty"})
_WRITE_MEMBERS = frozenset({"write", "write_nb", "full"})
_CONSTANT_CALLS = frozenset({"sizeof", "alignof", "decltype", "static_cast", "const_cast", "reinterpret_cast"})

_WAIVER_RE = re.compile(r"lint:\s*allow\s*\(([^)]*)\)(.*)", re.S)
_DATAFLOW_RE = re.compile(r"HLS\s+DATAFLOW\b", re.I)
_PRAGMA_OP_RE = re.compile(r'\b_Pragma\s*\(\s*"((?:[^"\\\n]|\\.)*)"\s*\)')
# Literals: a quote right after a letter or digit is a digit separator (1'000), not a character
# literal (u'x' and L'x' are not used by HLS code).
_LITERAL_RE = re.compile(r"""(?P<raw>\bR"(?P<delim>[^()\\\s"]{0,16})\([\s\S]*?\)(?P=delim)")
                           |(?P<lit>"(?:[^"\\\n]|\\.)*"|(?<!\w)'(?:[^'\\\n]|\\.)*')""", re.X)
_COMMENT_RE = re.compile(_LITERAL_RE.pattern + r"""|(?P<line>//[^\n]*)|(?P<block>/\*[\s\S]*?(?:\*/|\Z))""", re.X)
_TOKEN_RE = re.compile(r"""(?P<num>\.?\d(?:[eEpP][+-]|[\w'.])*)
                         |(?P<id>[A-Za-z_]\w*)
                         |(?P<str>"[^"\n]*"|'[^'\n]*')
                         |(?P<op>\.\.\.|<<=|>>=|->\*|::|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^]=|\#\#|[^\s\w])
                      """, re.X)
_INCLUDE_RE = re.compile(r'include\s*([<"])([^>"]+)[>"]')
_QUOTED_INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"', re.M)


@dataclass(frozen=True)
class LintFinding:
    """One violation: the rule id, where (path and 1-based line) and what."""

    rule: str
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.message}"


@dataclass(frozen=True)
class SourceFile:
    """A file to lint and whether it is synthesized (else testbench code)."""

    path: Path
    synthesizable: bool


# ---------------------------------------------------------------------------------------------
# Text: comments, conditionals, literals, tokens


class _Tok(NamedTuple):
    kind: str  # "id", "num", "str", "op"
    text: str
    line: int


@dataclass(frozen=True)
class _Waiver:
    line: int  # where the comment is
    target: int  # the line it waives (0: none)
    rules: tuple[str, ...]


@dataclass(frozen=True)
class _Preprocessed:
    code: str  # directive lines and lines of skipped branches blanked
    pragmas: tuple[tuple[int, str], ...]
    system_includes: tuple[tuple[int, str], ...]
    inactive: frozenset[int]  # lines of skipped branches


def _blank(text: str) -> str:
    """``text`` with every character but newlines replaced by a space (keeps positions)."""
    return re.sub(r"[^\n]", " ", text)


def _strip_comments(text: str) -> tuple[str, list[tuple[int, str]]]:
    """``text`` with comments blanked (literals kept), and the comments as (line, text)."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    comments: list[tuple[int, str]] = []

    def repl(m: re.Match[str]) -> str:
        if m["line"] is None and m["block"] is None:
            return m[0]
        body = m[0][2:] if m["line"] is not None else re.sub(r"\*/\Z", "", m[0][2:])
        comments.append((bisect.bisect_right(starts, m.start()), body))
        return _blank(m[0])

    return _COMMENT_RE.sub(repl, text), comments


def _defined(name: str) -> bool | None:
    """Whether synthesis defines macro ``name`` (None: unknown)."""
    if name in SYNTHESIS_DEFINED:
        return True
    if name in SYNTHESIS_UNDEFINED:
        return False
    return None


def _negate(value: bool | None) -> bool | None:
    return None if value is None else not value


def _evaluate(expr: str) -> bool | None:
    """The value of a simple ``#if`` condition for synthesis (None: unknown)."""
    expr = expr.strip()
    m = re.fullmatch(r"(!)?\s*defined\s*\(?\s*(\w+)\s*\)?", expr)
    if m:
        value = _defined(m[2])
        return _negate(value) if m[1] else value
    if re.fullmatch(r"\d+", expr):
        return int(expr) != 0
    return None


class _Conditionals:
    """The stack of #if branches; a branch with an unknown condition is linted (``active``)."""

    def __init__(self) -> None:
        self._frames: list[list[bool]] = []  # [parent active, a known-true branch taken, active]

    @property
    def active(self) -> bool:
        return not self._frames or self._frames[-1][2]

    def push(self, value: bool | None) -> None:
        parent = self.active
        self._frames.append([parent, value is True, parent and value is not False])

    def elif_(self, value: bool | None) -> None:
        if self._frames:
            f = self._frames[-1]
            f[2] = f[0] and not f[1] and value is not False
            f[1] = f[1] or value is True

    def else_(self) -> None:
        if self._frames:
            f = self._frames[-1]
            f[2] = f[0] and not f[1]
            f[1] = True

    def pop(self) -> None:
        if self._frames:
            self._frames.pop()


def _directive(body: str, line: int, cond: _Conditionals, pragmas: list[tuple[int, str]],
               includes: list[tuple[int, str]]) -> None:
    """Apply one directive (text after ``#``) to the conditional stack, or record it."""
    m = re.match(r"(\w+)\s*(.*)", body, re.S)
    if not m:
        return
    kind, arg = m[1], m[2].strip()
    if kind == "if":
        cond.push(_evaluate(arg))
    elif kind in ("ifdef", "ifndef"):
        value = _defined(arg.split()[0]) if arg else None
        cond.push(value if kind == "ifdef" else _negate(value))
    elif kind == "elif":
        cond.elif_(_evaluate(arg))
    elif kind == "else":
        cond.else_()
    elif kind == "endif":
        cond.pop()
    elif cond.active and kind == "pragma":
        pragmas.append((line, " ".join(arg.split())))
    elif cond.active and kind == "include":
        inc = _INCLUDE_RE.match(body)
        if inc and inc[1] == "<":
            includes.append((line, inc[2].strip()))


def _preprocess(code: str) -> _Preprocessed:
    """Blank directive lines and the branches synthesis skips; collect pragmas and includes."""
    lines = code.split("\n")
    out = list(lines)
    cond = _Conditionals()
    pragmas: list[tuple[int, str]] = []
    includes: list[tuple[int, str]] = []
    inactive: set[int] = set()
    i = 0
    while i < len(lines):
        if not lines[i].lstrip().startswith("#"):
            if not cond.active:
                out[i] = _blank(lines[i])
                inactive.add(i + 1)
            i += 1
            continue
        first, text = i, lines[i]
        while text.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            text = text.rstrip()[:-1] + " " + lines[i]
        for k in range(first, i + 1):
            out[k] = _blank(lines[k])
        _directive(text.lstrip()[1:].strip(), first + 1, cond, pragmas, includes)
        i += 1
    return _Preprocessed("\n".join(out), tuple(pragmas), tuple(includes), frozenset(inactive))


def _pragma_operators(code: str) -> tuple[str, list[tuple[int, str]]]:
    """``code`` with ``_Pragma("...")`` operators blanked, and their pragma texts by line."""
    found: list[tuple[int, str]] = []

    def take(m: re.Match[str]) -> str:
        found.append((code.count("\n", 0, m.start()) + 1, " ".join(m[1].replace('\\"', '"').split())))
        return _blank(m[0])

    return _PRAGMA_OP_RE.sub(take, code), found


def _blank_literals(code: str) -> str:
    """String and character literals emptied (quotes kept), numbers and names untouched."""

    def repl(m: re.Match[str]) -> str:
        text = m[0]
        if m["lit"] is not None:
            return text[0] + _blank(text[1:-1]) + text[-1]
        return 'R"' + _blank(text[2:-1]) + '"'

    return _LITERAL_RE.sub(repl, code)


def _tokenize(code: str) -> tuple[_Tok, ...]:
    starts = [0] + [m.end() for m in re.finditer("\n", code)]
    return tuple(_Tok(str(m.lastgroup), m[0], bisect.bisect_right(starts, m.start()))
                 for m in _TOKEN_RE.finditer(code))


def _brackets(toks: Sequence[_Tok]) -> tuple[dict[int, int], tuple[int, ...]]:
    """Matching brackets (both directions) and, per token, the innermost open bracket around it."""
    match: dict[int, int] = {}
    parent: list[int] = []
    stack: list[int] = []
    for i, t in enumerate(toks):
        parent.append(stack[-1] if stack else -1)
        if t.text in _OPENERS:
            stack.append(i)
        elif t.text in _CLOSERS:
            k = len(stack) - 1
            while k >= 0 and toks[stack[k]].text != _CLOSERS[t.text]:
                k -= 1
            if k >= 0:
                match[stack[k]], match[i] = i, stack[k]
                del stack[k:]
    return match, tuple(parent)


def _is_float_literal(text: str) -> bool:
    t = text.lower().replace("'", "")
    if t.startswith("0x"):
        return "." in t or "p" in t
    if t.startswith("0b"):
        return False
    return "." in t or "e" in t


# ---------------------------------------------------------------------------------------------
# Structure: angle brackets, argument lists, functions


def _angle_close(toks: Sequence[_Tok], match: Mapping[int, int], i: int, end: int) -> int | None:
    """The ``>`` closing the template argument list opened by ``toks[i] == '<'``, or None."""
    depth, j = 0, i
    while j < end:
        t = toks[j].text
        if t == "<":
            depth += 1
        elif t in (">", ">>"):
            depth -= len(t)
            if depth <= 0:
                return j
        elif t in (";", "{", "}", ")", "]", "&&", "||"):
            return None
        elif t in _OPENERS and j in match:
            j = match[j]
        j += 1
    return None


def _angle_open(toks: Sequence[_Tok], match: Mapping[int, int], j: int) -> int | None:
    """The ``<`` opening the template argument list closed by ``toks[j]`` (``>`` or ``>>``), or None."""
    depth, k = 0, j
    while k >= 0:
        t = toks[k].text
        if t in (">", ">>"):
            depth += len(t)
        elif t == "<":
            depth -= 1
            if depth == 0:
                return k
        elif t in (")", "]") and k in match:
            k = match[k]
        elif t in (";", "{", "}", "(", "[", "&&", "||"):
            return None
        k -= 1
    return None


def _callee_index(toks: Sequence[_Tok], match: Mapping[int, int], i: int) -> int | None:
    """Index of the name before the ``(`` at ``i`` (skipping template arguments), or None."""
    j = i - 1
    if j >= 0 and toks[j].text in (">", ">>"):
        opener = _angle_open(toks, match, j)
        if opener is None:
            return None
        j = opener - 1
    if j >= 0 and toks[j].kind == "id":
        return j
    return None


def _depth0(toks: Sequence[_Tok], match: Mapping[int, int], start: int, end: int) -> Iterator[int]:
    """Indices in [start, end) outside nested brackets and template argument lists (openers
    are yielded, what they enclose is not)."""
    k = start
    while k < end:
        yield k
        t = toks[k].text
        if t in _OPENERS and k in match:
            k = match[k] + 1
            continue
        if t == "<" and k > start and toks[k - 1].kind == "id":
            close = _angle_close(toks, match, k, end)
            if close is not None:
                k = close + 1
                continue
        k += 1


def _split(toks: Sequence[_Tok], match: Mapping[int, int], start: int, end: int,
           sep: str = ",") -> list[tuple[int, int]]:
    """[start, end) split at top-level ``sep`` into index ranges (empty input: no parts)."""
    parts, first = [], start
    for k in _depth0(toks, match, start, end):
        if toks[k].text == sep:
            parts.append((first, k))
            first = k + 1
    if first < end or parts:
        parts.append((first, end))
    return parts


@dataclass(frozen=True)
class _Param:
    name: str
    stream: bool


@dataclass(frozen=True)
class _Function:
    """A parenthesised parameter list at declaration scope: a function declaration, or a
    definition when ``body`` (indices of ``{`` and ``}``) is set."""

    name: str
    line: int
    open: int
    close: int
    params: tuple[_Param, ...]
    body: tuple[int, int] | None
    constexpr: bool


def _params(toks: Sequence[_Tok], match: Mapping[int, int], open_: int, close: int) -> tuple[_Param, ...]:
    params = []
    for start, end in _split(toks, match, open_ + 1, close):
        cut = end
        for k in _depth0(toks, match, start, end):
            if toks[k].text in ("=", "["):
                cut = k
                break
        names = [toks[k].text for k in range(start, cut) if toks[k].kind == "id" and toks[k].text not in _KEYWORDS]
        if names:
            params.append(_Param(names[-1], any(toks[k].text == "stream" for k in range(start, cut))))
    return tuple(params)


def _body_after(toks: Sequence[_Tok], match: Mapping[int, int], close: int) -> tuple[int, int] | None:
    """The body braces of a function whose parameter list ends at ``close``, or None."""
    n, j = len(toks), close + 1
    while j < n and toks[j].text in _AFTER_PARAMS:
        j = match.get(j + 1, j) + 1 if toks[j].text == "noexcept" and j + 1 < n and toks[j + 1].text == "(" else j + 1
    if j < n and toks[j].text in ("->", ":"):  # trailing return type / constructor initializers
        j += 1
        while j < n and toks[j].text != ";":
            if toks[j].text == "{" and not (toks[j - 1].kind == "id" or toks[j - 1].text in (">", ">>")):
                break
            j = match.get(j, j) + 1 if toks[j].text in _OPENERS else j + 1
    if j < n and toks[j].text == "{" and j in match:
        return j, match[j]
    return None


def _is_constexpr(toks: Sequence[_Tok], name_at: int) -> bool:
    k = name_at - 1
    while k >= 0 and toks[k].text not in (";", "{", "}"):
        if toks[k].text == "constexpr":
            return True
        k -= 1
    return False


def _functions(toks: Sequence[_Tok], match: Mapping[int, int]) -> tuple[_Function, ...]:
    """Every parameter list at declaration scope (function bodies are skipped, not entered)."""
    found: list[_Function] = []
    i = 0
    while i < len(toks):
        if toks[i].text != "(" or i not in match:
            i += 1
            continue
        close = match[i]
        name_at = _callee_index(toks, match, i)
        if name_at is not None and toks[name_at].text not in _KEYWORDS:
            body = _body_after(toks, match, close)
            found.append(_Function(toks[name_at].text, toks[name_at].line, i, close, _params(toks, match, i, close),
                                   body, _is_constexpr(toks, name_at)))
            if body is not None:
                i = body[1] + 1
                continue
        i = close + 1
    return tuple(found)


def _type_names(toks: Sequence[_Tok], match: Mapping[int, int]) -> set[str]:
    """Names declared as types: class/struct/union/enum names, template type parameters,
    typedef and using aliases."""
    names: set[str] = set()
    n = len(toks)
    for i, t in enumerate(toks[:-1]):
        nxt = toks[i + 1]
        if t.text in ("class", "struct", "union", "enum", "typename") and nxt.kind == "id":
            if nxt.text in ("class", "struct") and i + 2 < n:
                nxt = toks[i + 2]
            if i + 2 >= n or toks[i + 2].text != "::":
                names.add(nxt.text)
        elif t.text == "using" and nxt.kind == "id" and i + 2 < n and toks[i + 2].text == "=":
            names.add(nxt.text)
        elif t.text == "typedef":
            last = None
            for k in _depth0(toks, match, i + 1, n):
                if toks[k].text in (";", "["):
                    break
                if toks[k].kind == "id":
                    last = toks[k].text
            if last:
                names.add(last)
    return names


# ---------------------------------------------------------------------------------------------
# A parsed file and what all linted files share


@dataclass(frozen=True)
class _Unit:
    path: str
    synthesizable: bool
    toks: tuple[_Tok, ...]
    match: Mapping[int, int]
    parent: tuple[int, ...]
    functions: tuple[_Function, ...]
    pragmas: tuple[tuple[int, str], ...]
    system_includes: tuple[tuple[int, str], ...]
    waivers: tuple[_Waiver, ...]
    waiver_problems: tuple[LintFinding, ...]

    def finding(self, rule: str, line: int, message: str) -> LintFinding:
        return LintFinding(rule, self.path, line, message)

    def function_at(self, i: int) -> _Function | None:
        """The innermost function definition whose body holds token ``i``."""
        inside = [f for f in self.functions if f.body is not None and f.body[0] <= i <= f.body[1]]
        return max(inside, key=lambda f: f.open, default=None)

    def function_at_line(self, line: int) -> _Function | None:
        inside = [f for f in self.functions
                  if f.body is not None and self.toks[f.body[0]].line <= line <= self.toks[f.body[1]].line]
        return max(inside, key=lambda f: f.open, default=None)


@dataclass(frozen=True)
class _Context:
    types: frozenset[str]
    constexpr_functions: frozenset[str]
    roles: Mapping[tuple[str, int], Mapping[int, frozenset[str]]]  # (function, n params) -> param -> read/write
    top: str
    top_ports: frozenset[str]


def _target_line(code_lines: Sequence[str], line: int) -> int:
    """The line a waiver on ``line`` applies to: its own, or the next one with code."""
    for k in range(line - 1, len(code_lines)):
        if code_lines[k].strip():
            return k + 1
    return 0


def _waivers(comments: Sequence[tuple[int, str]], code_lines: Sequence[str], inactive: frozenset[int],
             path: str) -> tuple[tuple[_Waiver, ...], tuple[LintFinding, ...]]:
    waivers: list[_Waiver] = []
    problems: list[LintFinding] = []
    for line, text in comments:
        m = _WAIVER_RE.search(text)
        if not m or line in inactive:
            continue
        rules = tuple(r.strip() for r in m[1].split(",") if r.strip())
        unknown = [r for r in rules if r not in RULE_IDS or r == "waiver"]
        if not rules or unknown:
            problems.append(LintFinding("waiver", path, line, f"waiver names unknown rule(s) {unknown or '()'}; "
                                        f"rules: {', '.join(sorted(RULE_IDS - {'waiver'}))}"))
        elif not re.search(r"[A-Za-z]{2,}", m[2]):
            problems.append(LintFinding("waiver", path, line, f"waiver allow({', '.join(rules)}) must state a reason:"
                                        " '// lint: allow(rule) <why this is fine for synthesis>'"))
        else:
            waivers.append(_Waiver(line, _target_line(code_lines, line), rules))
    return tuple(waivers), tuple(problems)


def _parse(text: str, path: str, synthesizable: bool) -> _Unit:
    code, comments = _strip_comments(text)
    pre = _preprocess(code)
    active, pragma_ops = _pragma_operators(pre.code)
    toks = _tokenize(_blank_literals(active))
    match, parent = _brackets(toks)
    waivers, problems = _waivers(comments, code.split("\n"), pre.inactive, path)
    return _Unit(path, synthesizable, toks, match, parent, _functions(toks, match),
                 tuple(sorted(pre.pragmas + tuple(pragma_ops))), pre.system_includes, waivers, problems)


def _occurrence(unit: _Unit, k: int) -> tuple[str, str, int, int, int]:
    """How the name at token ``k`` is used: ``("arg", callee, position, n_args, paren)`` when
    it is a whole argument of a call, ``("read" | "write" | "other", "", -1, 0, -1)`` else
    (read / write: a member call or ``>>`` / ``<<`` on it)."""
    toks, match = unit.toks, unit.match
    p = unit.parent[k]
    if p >= 0 and toks[p].text == "(":
        callee = _callee_index(toks, match, p)
        if callee is not None:
            parts = _split(toks, match, p + 1, match.get(p, p))
            for pos, (start, end) in enumerate(parts):
                if (start, end) == (k, k + 1):
                    return "arg", toks[callee].text, pos, len(parts), p
    nxt = toks[k + 1].text if k + 1 < len(toks) else ""
    member = toks[k + 2].text if nxt == "." and k + 2 < len(toks) else ""
    if member in _READ_MEMBERS or nxt == ">>":
        return "read", "", -1, 0, -1
    if member in _WRITE_MEMBERS or nxt == "<<":
        return "write", "", -1, 0, -1
    return "other", "", -1, 0, -1


def _names_in(unit: _Unit, name: str, start: int, end: int) -> Iterator[int]:
    """Indices of the variable ``name`` in [start, end) (not a member or a qualified name)."""
    toks = unit.toks
    for k in range(start, end):
        if toks[k].text == name and toks[k].kind == "id" and (k == 0 or toks[k - 1].text not in (".", "->", "::")):
            yield k


def _stream_roles(units: Sequence[_Unit]) -> dict[tuple[str, int], dict[int, frozenset[str]]]:
    """Per function (name, number of parameters) and stream parameter: read and/or write,
    from member calls on it and, transitively, from the functions it is passed to."""
    roles: dict[tuple[str, int], dict[int, set[str]]] = {}
    edges: list[tuple[tuple[str, int], int, tuple[str, int], int]] = []
    for unit in units:
        for fn in unit.functions:
            if fn.body is None:
                continue
            key = (fn.name, len(fn.params))
            for index, param in enumerate(fn.params):
                if not param.stream:
                    continue
                for k in _names_in(unit, param.name, fn.body[0], fn.body[1]):
                    kind, callee, pos, n_args, _ = _occurrence(unit, k)
                    if kind == "arg":
                        edges.append((key, index, (callee, n_args), pos))
                    elif kind in ("read", "write"):
                        roles.setdefault(key, {}).setdefault(index, set()).add(kind)
    changed = True
    while changed:
        changed = False
        for key, index, source, pos in edges:
            got = roles.get(source, {}).get(pos, set())
            have = roles.setdefault(key, {}).setdefault(index, set())
            if not got <= have:
                have |= got
                changed = True
    return {key: {i: frozenset(r) for i, r in per.items()} for key, per in roles.items()}


def _context(units: Sequence[_Unit], top: str, top_ports: Iterable[str]) -> _Context:
    types: set[str] = set()
    for unit in units:
        types |= _type_names(unit.toks, unit.match)
    constexpr = frozenset(f.name for u in units for f in u.functions if f.constexpr)
    return _Context(frozenset(types), constexpr, _stream_roles(units), top, frozenset(top_ports))


# ---------------------------------------------------------------------------------------------
# Rules on one file


def _library_findings(unit: _Unit) -> Iterator[LintFinding]:
    """alloc, stl, iostream: names and system headers."""
    toks = unit.toks
    for line, header in unit.system_includes:
        if header in _STL_HEADERS:
            yield unit.finding("stl", line, f"#include <{header}>: STL runtime in synthesizable code")
        elif header in _IO_HEADERS:
            yield unit.finding("iostream", line, f"#include <{header}>: I/O in synthesizable code")
    for i, t in enumerate(toks):
        if t.kind != "id":
            continue
        prev = toks[i - 1].text if i else ""
        nxt = toks[i + 1].text if i + 1 < len(toks) else ""
        if t.text == "new" and prev != "operator" or t.text == "delete" and prev not in ("=", "operator"):
            yield unit.finding("alloc", t.line, f"dynamic allocation: '{t.text}'")
        elif t.text in _ALLOC_CALLS and nxt == "(" and prev not in (".", "->"):
            yield unit.finding("alloc", t.line, f"dynamic allocation: '{t.text}()'")
        elif t.text == "std" and nxt == "::" and i + 2 < len(toks):
            name = toks[i + 2].text
            if name in _STL_NAMES:
                yield unit.finding("stl", t.line, f"'std::{name}' in synthesizable code")
            elif name in _IO_NAMES:
                yield unit.finding("iostream", t.line, f"'std::{name}' in synthesizable code")
        elif t.text in _IO_CALLS and nxt == "(" and prev not in (".", "->", "::"):
            yield unit.finding("iostream", t.line, f"'{t.text}()' in synthesizable code")


_LITERAL_DATA = frozenset({"{", "}", ",", "-", "+"})


def _constant_data(toks: Sequence[_Tok]) -> set[int]:
    """Indices of the numbers that make up the whole initializer of a const or constexpr
    variable (``static const weight_t w[3] = {0.5, -0.25, 1.0};``): constant data that the
    compiler converts to the variable's (fixed-point) type, not arithmetic."""
    allowed: set[int] = set()
    for i, t in enumerate(toks):
        if t.text != "=":
            continue
        k = i - 1
        while k >= 0 and toks[k].text not in (";", "{", "}", "("):
            k -= 1
        if not any(toks[j].text in ("const", "constexpr") for j in range(k + 1, i)):
            continue
        j, numbers = i + 1, []
        while j < len(toks) and (toks[j].kind == "num" or toks[j].text in _LITERAL_DATA):
            numbers += [j] if toks[j].kind == "num" else []
            j += 1
        if j < len(toks) and toks[j].text == ";":
            allowed.update(numbers)
    return allowed


def _float_findings(unit: _Unit) -> Iterator[LintFinding]:
    """float and double anywhere; floating-point literals except as constant data."""
    data = _constant_data(unit.toks)
    for i, t in enumerate(unit.toks):
        if t.kind == "id" and t.text in ("float", "double"):
            yield unit.finding("float", t.line, f"floating-point type '{t.text}'")
        elif t.kind == "num" and i not in data and _is_float_literal(t.text):
            yield unit.finding("float", t.line, f"floating-point literal '{t.text}' in an expression")


def _typed_before(toks: Sequence[_Tok], match: Mapping[int, int], i: int, types: frozenset[str]) -> bool:
    """Whether the tokens before the ``*`` at ``i`` end in a type (so ``*`` declares a pointer)."""
    prev = toks[i - 1]
    if prev.text in _BUILTIN_TYPES or prev.text in ("const", "volatile"):
        return True
    if prev.kind == "id":
        return prev.text in types or prev.text.endswith(("_t", "_type"))
    if prev.text in (">", ">>"):
        opener = _angle_open(toks, match, i - 1)
        return opener is not None and opener > 0 and toks[opener - 1].kind == "id"
    return False


def _declarator_name(toks: Sequence[_Tok], i: int) -> str | None:
    """For a ``*`` at ``i`` after a type: the declared name ('' when abstract), or None when the
    ``*`` is not a declarator."""
    j = i + 1
    while j < len(toks) and toks[j].text in ("const", "volatile", "*", "&", "&&", "__restrict", "restrict"):
        j += 1
    if j >= len(toks):
        return None
    if toks[j].text in (")", ",", ">", ">>", "["):
        return ""
    after = toks[j + 1].text if j + 1 < len(toks) else ""
    if toks[j].kind == "id" and after in (",", ")", ";", "=", "[", "{", ":"):
        return toks[j].text
    return None


def _pointer_findings(unit: _Unit, ctx: _Context) -> Iterator[LintFinding]:
    toks = unit.toks
    lists = {f.open: f for f in unit.functions}
    for i, t in enumerate(toks):
        if t.text == "->" and not (i and toks[i - 1].text == "this"):
            yield unit.finding("pointer", t.line, "member access through a pointer ('->')")
        elif t.text == "*" and i and toks[i - 1].text != "*" and _typed_before(toks, unit.match, i, ctx.types):
            name = _declarator_name(toks, i)
            if name is None:
                continue
            owner = lists.get(unit.parent[i])
            if name in ctx.top_ports and owner is not None and (not ctx.top or owner.name == ctx.top):
                continue
            what = f"pointer '{name}'" if name else "pointer type"
            yield unit.finding("pointer", t.line, f"{what}: only the top function's ports may be pointers")


def _statement_end(toks: Sequence[_Tok], match: Mapping[int, int], start: int) -> int:
    """The index of the last token of the statement starting at ``start``."""
    if start < len(toks) and toks[start].text == "{":
        return match.get(start, start)
    for k in _depth0(toks, match, start, len(toks)):
        if toks[k].text in (";", "}"):
            return k
    return len(toks) - 1


def _assigned(toks: Sequence[_Tok], k: int) -> bool:
    """Whether the name at ``k`` is assigned, incremented or decremented there."""
    nxt = toks[k + 1].text if k + 1 < len(toks) else ""
    return nxt in _ASSIGN_OPS or nxt in _STEP_OPS or (k > 0 and toks[k - 1].text in _STEP_OPS)


def _runtime_names(unit: _Unit, fn: _Function | None) -> set[str]:
    """Names holding run-time values in ``fn``: its parameters, variables it assigns, and
    const variables initialised from those (constexpr ones never)."""
    if fn is None or fn.body is None:
        return set()
    toks = unit.toks
    names = {p.name for p in fn.params}
    for k in range(fn.body[0] + 1, fn.body[1]):
        if toks[k].kind != "id" or toks[k - 1].text in (".", "->", "::") or not _assigned(toks, k):
            continue
        start = k - 1
        while start > fn.body[0] and toks[start].text not in (";", "{", "}", "("):
            start -= 1
        qualifiers = {toks[j].text for j in range(start + 1, k)}
        if toks[k + 1].text == "=" and "constexpr" in qualifiers:
            continue
        if toks[k + 1].text == "=" and "const" in qualifiers:
            end = next((j for j in _depth0(toks, unit.match, k + 2, fn.body[1]) if toks[j].text in (",", ";")),
                       fn.body[1])
            if not names & {toks[j].text for j in range(k + 2, end)}:
                continue
        names.add(toks[k].text)
    return names


def _loop_variables(toks: Sequence[_Tok], match: Mapping[int, int], init: tuple[int, int],
                    step: tuple[int, int]) -> set[str]:
    """The variables a for loop steps (else, without a step, those its init sets)."""
    found = {toks[k].text for k in range(*step) if toks[k].kind == "id" and _assigned(toks, k)}
    if not found:
        found = {toks[k].text for k in _depth0(toks, match, *init)
                 if toks[k].kind == "id" and k + 1 < init[1] and toks[k + 1].text in ("=", "(", "{")}
    return found


def _condition_names(unit: _Unit, ctx: _Context, cond: tuple[int, int]) -> tuple[set[str], list[str]]:
    """Unqualified names a for condition reads, and what in it is a run-time value for sure
    (member accesses, calls of functions not known to be constexpr)."""
    toks, match = unit.toks, unit.match
    names: set[str] = set()
    problems: list[str] = []
    k = cond[0]
    while k < cond[1]:
        t = toks[k]
        nxt = toks[k + 1].text if k + 1 < len(toks) else ""
        if t.text in _CONSTANT_CALLS and nxt in ("(", "<"):
            k = match.get(k + 1, k + 1) + 1 if nxt == "(" else k + 1
            continue
        if t.text in (".", "->"):
            problems.append(f"member '{toks[k + 1].text}'")
        elif t.kind == "id" and nxt == "(" and toks[k - 1].text not in (".", "->"):
            known = t.text in ctx.constexpr_functions or t.text in ctx.types or t.text in _BUILTIN_TYPES
            if not known and not t.text.endswith("_t"):
                problems.append(f"call of '{t.text}'")
        elif t.kind == "id" and toks[k - 1].text not in (".", "->", "::") and nxt != "::":
            names.add(t.text)
        k += 1
    return names, problems


def _for_findings(unit: _Unit, ctx: _Context, i: int,
                  runtime_of: dict[int, set[str]]) -> Iterator[LintFinding]:
    """The for loop at token ``i``; ``runtime_of`` caches :func:`_runtime_names` per function."""
    toks, match = unit.toks, unit.match
    line = toks[i].line
    if i + 1 >= len(toks) or toks[i + 1].text != "(" or i + 1 not in match:
        return
    close = match[i + 1]
    parts = _split(toks, match, i + 2, close, ";")
    if len(parts) != 3:  # range-for: bounded by its array (containers are the stl rule's)
        return
    init, cond, step = parts
    if cond[0] == cond[1]:
        yield unit.finding("unbounded-loop", line, "for loop without a condition")
        return
    loop_vars = _loop_variables(toks, match, init, step)
    names, problems = _condition_names(unit, ctx, cond)
    if loop_vars and not loop_vars & names:
        yield unit.finding("unbounded-loop", line,
                           f"for loop condition does not test the loop variable {', '.join(sorted(loop_vars))}")
    fn = unit.function_at(i)
    key = -1 if fn is None else fn.open
    if key not in runtime_of:
        runtime_of[key] = _runtime_names(unit, fn)
    runtime = sorted((names - loop_vars) & runtime_of[key])
    problems += [f"'{n}'" for n in runtime]
    if problems:
        yield unit.finding("unbounded-loop", line, f"for loop bound reads {', '.join(problems)}: a run-time value "
                           "(parameter, variable, member or call); the trip count must be a compile-time constant")
    body_end = _statement_end(toks, match, close + 1)
    for var in sorted(loop_vars):
        if any(_assigned(toks, k) for k in _names_in(unit, var, close + 1, body_end + 1)):
            yield unit.finding("unbounded-loop", line, f"loop variable '{var}' is modified in the loop body")


def _loop_findings(unit: _Unit, ctx: _Context) -> Iterator[LintFinding]:
    toks, match = unit.toks, unit.match
    runtime_of: dict[int, set[str]] = {}
    for i, t in enumerate(toks):
        if t.kind != "id":
            continue
        if t.text == "while":
            opener = match.get(i - 1, -1) if i and toks[i - 1].text == "}" else -1
            if not (opener > 0 and toks[opener - 1].text == "do"):
                yield unit.finding("unbounded-loop", t.line, "while loop: its trip count is not a compile-time "
                                   "constant (write a for loop with a constant bound)")
        elif t.text == "do":
            yield unit.finding("unbounded-loop", t.line, "do-while loop: its trip count is not a compile-time "
                               "constant (write a for loop with a constant bound)")
        elif t.text == "for":
            yield from _for_findings(unit, ctx, i, runtime_of)


# ---------------------------------------------------------------------------------------------
# Rules across files: recursion and dataflow


def _callees(unit: _Unit, fn: _Function) -> set[str]:
    """Names of the free or static functions the body of ``fn`` calls (member calls excluded)."""
    toks, out = unit.toks, set()
    if fn.body is None:
        return out
    for k in range(fn.body[0], fn.body[1]):
        if toks[k].text == "(":
            c = _callee_index(toks, unit.match, k)
            if c is not None and toks[c].text not in _KEYWORDS and toks[c - 1].text not in (".", "->"):
                out.add(toks[c].text)
    return out


def _reachable(graph: Mapping[str, set[str]], start: str) -> set[str]:
    """Names reachable from ``start`` through at least one call."""
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph.get(name, ()))
    return seen


def _recursion_findings(units: Sequence[_Unit]) -> Iterator[LintFinding]:
    defs: list[tuple[_Unit, _Function, set[str]]] = [
        (u, f, _callees(u, f)) for u in units for f in u.functions if f.body is not None]
    graph: dict[str, set[str]] = {}
    for _, fn, called in defs:
        graph.setdefault(fn.name, set()).update(called)
    reach = {name: _reachable(graph, name) for name in graph}
    for unit, fn, called in defs:
        if fn.name in called:
            yield unit.finding("recursion", fn.line, f"function '{fn.name}' calls itself")
            continue
        cycle = sorted(g for g in called if g in reach and fn.name in reach[g])
        if cycle:
            members = sorted({fn.name, *(g for g in reach[fn.name] if fn.name in reach.get(g, ()))})
            yield unit.finding("recursion", fn.line,
                               f"function '{fn.name}' is recursive: it is in the call cycle of {', '.join(members)}")


class _Use(NamedTuple):
    role: str  # "read", "write" or "?"
    who: str  # the callee, or "" for the region itself
    line: int
    call: int  # index of the call's "(" (-1: not a call argument)


def _stream_uses(unit: _Unit, ctx: _Context, name: str, body: tuple[int, int], declared: int) -> list[_Use]:
    uses = []
    for k in _names_in(unit, name, body[0] + 1, body[1]):
        if k == declared:
            continue
        kind, callee, pos, n_args, paren = _occurrence(unit, k)
        if kind == "arg":
            roles = ctx.roles.get((callee, n_args), {}).get(pos, frozenset())
            role = next(iter(roles)) if len(roles) == 1 else "?"
            uses.append(_Use(role, _process_label(unit, paren, callee), unit.toks[k].line, paren))
        else:
            uses.append(_Use(kind if kind != "other" else "?", "", unit.toks[k].line, -1))
    return uses


def _process_label(unit: _Unit, paren: int, callee: str) -> str:
    """``label (kernel)`` for a call inside ``CODESIGN_PROCESS(label, call)``, else the callee."""
    outer = unit.parent[paren]
    if outer > 0 and unit.toks[outer - 1].text == "CODESIGN_PROCESS" and unit.toks[outer + 1].kind == "id":
        return f"{unit.toks[outer + 1].text} ({callee})"
    return callee


def _describe(use: _Use) -> str:
    verb = {"read": "read", "write": "written", "?": "used"}[use.role]
    return f"{verb} {'by ' + use.who if use.who else 'in the region itself'} (line {use.line})"


def _declared_streams(unit: _Unit, body: tuple[int, int]) -> list[tuple[str, int]]:
    """(name, token index) of the streams a function body declares: ``CODESIGN_STREAM(name, ...)``
    or ``[hls::|codesign::]stream<T> name``."""
    toks, out = unit.toks, []
    for k in range(body[0] + 1, body[1] - 2):
        if toks[k].text == "CODESIGN_STREAM" and toks[k + 1].text == "(" and toks[k + 2].kind == "id":
            out.append((toks[k + 2].text, k + 2))
        elif toks[k].text == "stream" and toks[k + 1].text == "<":
            close = _angle_close(toks, unit.match, k + 1, body[1])
            if (close is not None and close + 2 < body[1] and toks[close + 1].kind == "id"
                    and toks[close + 2].text in ("(", ";", "{", "[", ",")):
                out.append((toks[close + 1].text, close + 1))
    return out


def _region_findings(unit: _Unit, ctx: _Context, fn: _Function) -> Iterator[LintFinding]:
    if fn.body is None:
        return
    for name, declared in _declared_streams(unit, fn.body):
        uses = _stream_uses(unit, ctx, name, fn.body, declared)
        for call, count in Counter(u.call for u in uses if u.call >= 0).items():
            if count > 1:
                who = next(u for u in uses if u.call == call)
                times = "twice" if count == 2 else f"{count} times"
                yield unit.finding("dataflow", who.line, f"stream '{name}' is passed {times} to one call of {who.who}")
        producers = sum(u.role == "write" for u in uses)
        consumers = sum(u.role == "read" for u in uses)
        if len(uses) != 2 or producers > 1 or consumers > 1:
            found = ", ".join(_describe(u) for u in uses) or "never used"
            yield unit.finding("dataflow", unit.toks[declared].line, f"stream '{name}' must have exactly one "
                               f"producer and one consumer process; it is {found}")
    for param in fn.params:
        if param.stream:
            uses = _stream_uses(unit, ctx, param.name, fn.body, -1)
            if len(uses) != 1:
                found = ", ".join(_describe(u) for u in uses) or "never used"
                yield unit.finding("dataflow", fn.line, f"port stream '{param.name}' must be used by exactly one "
                                   f"process; it is {found}")


def _dataflow_findings(unit: _Unit, ctx: _Context) -> Iterator[LintFinding]:
    regions = {unit.function_at_line(line) for line, text in unit.pragmas if _DATAFLOW_RE.match(text)}
    for fn in sorted((f for f in regions if f is not None), key=lambda f: f.open):
        yield from _region_findings(unit, ctx, fn)


# ---------------------------------------------------------------------------------------------
# Waivers and the entry points


def _apply_waivers(unit: _Unit, findings: Iterable[LintFinding]) -> list[LintFinding]:
    """Drop waived findings; add the waiver problems and the unused waivers."""
    used: set[tuple[int, str]] = set()
    kept = list(unit.waiver_problems)
    for f in findings:
        waiver = next((w for w in unit.waivers if w.target == f.line and f.rule in w.rules), None)
        if waiver is None:
            kept.append(f)
        else:
            used.add((waiver.line, f.rule))
    for w in unit.waivers:
        for rule in w.rules:
            if (w.line, rule) not in used and (unit.synthesizable or rule in TESTBENCH_RULES):
                where = f"line {w.target}" if w.target else "the end of the file"
                kept.append(unit.finding("waiver", w.line, f"unused waiver: no '{rule}' finding on {where}"))
    return kept


def _lint_units(units: Sequence[_Unit], top: str, top_ports: Iterable[str]) -> list[LintFinding]:
    ctx = _context(units, top, top_ports)
    per_unit: dict[int, list[LintFinding]] = {id(u): [] for u in units}
    for unit in units:
        found = per_unit[id(unit)]
        found += _library_findings(unit)
        found += _float_findings(unit)
        found += _pointer_findings(unit, ctx)
        found += _loop_findings(unit, ctx)
        found += _dataflow_findings(unit, ctx)
    by_path = {u.path: u for u in units}
    for f in _recursion_findings(units):
        per_unit[id(by_path[f.path])].append(f)
    out: list[LintFinding] = []
    for unit in units:
        applicable = (f for f in per_unit[id(unit)] if unit.synthesizable or f.rule in TESTBENCH_RULES)
        out += sorted(_apply_waivers(unit, applicable), key=lambda f: (f.line, f.rule, f.message))
    return out


def lint_source(text: str, path: str | Path, *, synthesizable: bool = True, top_ports: Iterable[str] = (),
                top: str = "") -> list[LintFinding]:
    """Lint one C++ text.

    Args:
        text: the source.
        path: its name in the findings.
        synthesizable: False for testbench code (only the testbench rules apply).
        top_ports: parameter names that may be pointers (the top function's ports).
        top: the top function; when given, ``top_ports`` are allowed in its parameter
            lists only, else in any function's.

    Returns:
        The findings in line order (cross-function rules see this file only).
    """
    return _lint_units([_parse(text, str(path), synthesizable)], top, top_ports)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def lint_files(files: Sequence[SourceFile], *, top: str = "", top_ports: Iterable[str] = ()) -> list[LintFinding]:
    """Lint files together: recursion and stream roles see every file (a top's kernels are
    known from the headers linted with it). ``top_ports`` defaults to every parameter of
    ``top`` when ``top`` is given."""
    units = [_parse(f.path.read_text(), _display(f.path), f.synthesizable) for f in files]
    ports = set(top_ports)
    if top and not ports:
        ports = {p.name for u in units for fn in u.functions if fn.name == top for p in fn.params}
    return _lint_units(units, top, ports)


def _resolve_include(name: str, here: Path, firmware: Path) -> Path | None:
    for base in (here, firmware, INCLUDE_DIR):
        if (base / name).is_file():
            return (base / name).resolve()
    return None


def project_sources(project_dir: str | Path) -> tuple[SourceFile, ...]:
    """The files :func:`lint_project` reads: ``firmware/`` (synthesizable), ``tb/``
    (testbench) and the headers they include with quotes, transitively (synthesizable when
    some synthesizable file includes them)."""
    project = Path(project_dir)
    firmware = project / "firmware"
    queue = [SourceFile(p.resolve(), synth) for folder, synth in ((firmware, True), (project / "tb", False))
             if folder.is_dir() for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix in SOURCE_SUFFIXES]
    seen: dict[Path, bool] = {}
    while queue:
        f = queue.pop(0)
        if f.path in seen and (seen[f.path] or not f.synthesizable):
            continue
        seen[f.path] = f.synthesizable
        code, _ = _strip_comments(f.path.read_text())
        for name in _QUOTED_INCLUDE_RE.findall(code):
            target = _resolve_include(name, f.path.parent, firmware)
            if target is not None:
                queue.append(SourceFile(target, f.synthesizable))
    return tuple(SourceFile(p, s) for p, s in seen.items())


def lint_project(project_dir: str | Path) -> list[LintFinding]:
    """Lint a generated project (:func:`project_sources`); the top comes from manifest.json
    and its parameters are the ports that may be pointers.

    Raises:
        CodegenError: the directory has no manifest.json.
    """
    project = Path(project_dir)
    manifest = project / "manifest.json"
    if not manifest.is_file():
        raise CodegenError(f"{project} is not a generated project: no manifest.json")
    top = str(json.loads(manifest.read_text())["top"])
    return lint_files(project_sources(project), top=top)


def kernel_sources(include_dir: str | Path = INCLUDE_DIR) -> tuple[SourceFile, ...]:
    """The kernel library headers (``codesign/*.h``); testbench helpers are not synthesizable."""
    return tuple(SourceFile(p, p.name not in TESTBENCH_HEADERS)
                 for p in sorted((Path(include_dir) / "codesign").glob("*.h")))


def lint_kernels(include_dir: str | Path = INCLUDE_DIR) -> list[LintFinding]:
    """Lint the kernel library headers together."""
    return lint_files(kernel_sources(include_dir))

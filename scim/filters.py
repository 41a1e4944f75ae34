"""Parse RFC 7644 §3.4.2.2 filters into a small tree, by recursive descent.

Hand-written: one tree feeds two consumers, Django Q objects for lists (filter_q.py) and an
in-memory matcher for PATCH value paths (filter_match.py), and the parser counts terms and depth
as it reads, so a filter over a limit is refused before any work (docs/security.md, "Bounded
work"). The grammar is one page of the RFC.
Precedence, highest first: grouping and ``not``, then ``and``, then ``or``.

Outside the grammar but common (Entra, when the work email is the matching attribute):
``emails[type eq "work"].value eq "x"`` is read as ``emails[type eq "work" and value eq "x"]``.
"""

import json
import re
from collections.abc import Callable
from dataclasses import make_dataclass
from typing import Any

from scim.constants import (
    INVALID_FILTER,
    MAX_FILTER_DEPTH,
    MAX_FILTER_LENGTH,
    MAX_FILTER_TERMS,
    MSG_FILTER_TOO_DEEP,
    MSG_FILTER_TOO_LONG,
    MSG_FILTER_TOO_MANY_TERMS,
    TOO_MANY,
)
from scim.errors import ScimError
from scim.paths import AttrPath, resolve, resolve_sub
from scim.resource_types import ResourceType
from scim.validate import storable

COMPARE_OPS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le")

_TOKEN_RE = re.compile(
    r"""\s*(?:
      (?P<punct>[()\[\]])
    | (?P<sub>\.[A-Za-z$][\w$-]*)
    | (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\w.:])
    | (?P<word>[A-Za-z$][\w$:.\-]*)
    )""",
    re.VERBOSE,
)


def _node(name: str, grammar: str, **fields: Any) -> type:
    """A node of the tree: a frozen dataclass whose docstring is its rule of RFC 7644's grammar."""
    return make_dataclass(name, fields.items(), frozen=True, namespace={"__doc__": grammar, "__module__": __name__})


Compare = _node("Compare", '``attrPath SP compareOp SP compValue``: ``userName eq "bjensen"``', path=AttrPath, op=str,
                value=Any)  # fmt: skip
Present = _node("Present", '``attrPath SP "pr"``: the attribute has a value', path=AttrPath)
Logical = _node("Logical", '``filter SP ("and" / "or") SP filter``', op=str, left=Any, right=Any)
Not = _node("Not", '``"not" "(" filter ")"``', expr=Any)
ValuePath = _node("ValuePath", '``attrPath "[" valFilter "]"``: ``emails[type eq "work"]``', path=AttrPath, expr=Any)

Node = Compare | Present | Logical | Not | ValuePath


def _fail(detail: str) -> ScimError:
    return ScimError(400, f"Invalid filter: {detail}", INVALID_FILTER)


def _too_many(detail: str) -> ScimError:
    return ScimError(400, detail, TOO_MANY)


def tokenize(text: str) -> list[tuple[str, str]]:
    """The filter's tokens; refuses a filter over the length limit before reading it."""
    if len(text) > MAX_FILTER_LENGTH:
        raise _too_many(MSG_FILTER_TOO_LONG.format(limit=MAX_FILTER_LENGTH))
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        while text[pos].isspace():
            pos += 1
        match = _TOKEN_RE.match(text, pos)
        if not match or match.end() == pos:
            raise _fail(f"unexpected character at position {pos + 1}: {text[pos : pos + 10]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], resolver: Callable[[str], AttrPath]):
        self.tokens = tokens
        self.i = 0
        self.resolver = resolver
        self.depth = 0
        self.terms = 0  # comparisons so far: the tree, and every walk of it, grows with them

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _fail("unexpected end of filter")
        self.i += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].lower() == word:
            self.i += 1
            return True
        return False

    def expect(self, punct: str) -> None:
        token = self.take()
        if token != ("punct", punct):
            raise _fail(f"expected {punct!r} but found {token[1]!r}")

    def parse_or(self, in_brackets: bool = False) -> Node:
        self.depth += 1
        if self.depth > MAX_FILTER_DEPTH:
            raise _too_many(MSG_FILTER_TOO_DEEP.format(limit=MAX_FILTER_DEPTH))
        node = self.parse_and(in_brackets)
        while self.keyword("or"):
            node = Logical("or", node, self.parse_and(in_brackets))
        self.depth -= 1
        return node

    def parse_and(self, in_brackets: bool) -> Node:
        node = self.parse_unary(in_brackets)
        while self.keyword("and"):
            node = Logical("and", node, self.parse_unary(in_brackets))
        return node

    def parse_unary(self, in_brackets: bool) -> Node:
        token = self.peek()
        if token == ("punct", "("):
            self.take()
            node = self.parse_or(in_brackets)
            self.expect(")")
            return node
        if token and token[0] == "word" and token[1].lower() == "not" and self.peek(1) == ("punct", "("):
            self.take()
            self.take()
            node = self.parse_or(in_brackets)
            self.expect(")")
            return Not(node)
        return self.parse_attr_exp(in_brackets)

    def parse_attr_exp(self, in_brackets: bool) -> Node:
        kind, text = self.take()
        if kind != "word":
            raise _fail(f"expected an attribute name but found {text!r}")
        if text.lower() == "not":
            raise _fail("'not' must be followed by a filter in parentheses, e.g. not (title pr)")
        self.terms += 1
        if self.terms > MAX_FILTER_TERMS:
            raise _too_many(MSG_FILTER_TOO_MANY_TERMS.format(limit=MAX_FILTER_TERMS))
        path = self.resolver(text)
        if self.peek() == ("punct", "["):
            if in_brackets:
                raise _fail("value filters cannot be nested")
            self.take()
            inner = _Parser(self.tokens, lambda name: resolve_sub(path, name, INVALID_FILTER))
            inner.i, inner.depth, inner.terms = self.i, self.depth, self.terms - 1  # the bracket is no term
            expr = inner.parse_or(in_brackets=True)
            self.i, self.terms = inner.i, inner.terms
            self.expect("]")
            if not (path.attr and path.attr["type"] == "complex" and path.sub is None):
                raise _fail(f"{text!r} is not a complex attribute")
            if self.peek() and self.peek()[0] == "sub":  # attr[filter].sub op value (Entra's form)
                expr = Logical("and", expr, self.parse_sub_compare(path, text))
            return ValuePath(path, expr)
        op_token = self.take()
        op = op_token[1].lower()
        if op_token[0] != "word" or op not in (*COMPARE_OPS, "pr"):
            raise _fail(f"expected an operator after {text!r} but found {op_token[1]!r}")
        if op == "pr":
            return Present(path)
        return Compare(path, op, self.parse_value())

    def parse_sub_compare(self, path: AttrPath, head: str) -> Node:
        """The ``.sub op value`` after ``attr[filter]``: one more condition on the same value."""
        name = self.take()[1]
        self.terms += 1
        if self.terms > MAX_FILTER_TERMS:
            raise _too_many(MSG_FILTER_TOO_MANY_TERMS.format(limit=MAX_FILTER_TERMS))
        sub = resolve_sub(path, name[1:], INVALID_FILTER)
        op_token = self.peek()
        op = op_token[1].lower() if op_token and op_token[0] == "word" else ""
        if op not in (*COMPARE_OPS, "pr"):
            found = repr(op_token[1]) if op_token else "the end of the filter"
            raise _fail(f"expected an operator after '{head}[…]{name}' but found {found}")
        self.take()
        return Present(sub) if op == "pr" else Compare(sub, op, self.parse_value())

    def parse_value(self) -> Any:
        kind, text = self.take()
        if kind in ("string", "number"):
            try:
                value = json.loads(text)
            except ValueError as exc:  # bad escapes, or integers too long to convert
                raise _fail(f"bad value {text[:40]}") from exc
            if isinstance(value, str) and not storable(value):
                raise _fail("values must not contain NUL characters or lone surrogates")
            return value
        if kind == "word" and text.lower() in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text.lower()]
        raise _fail(f"expected a value but found {text!r}")


def parse(text: str, resource_type: ResourceType) -> Node:
    """Parse a filter over ``resource_type``'s attributes; raise a 400 invalidFilter with a useful detail."""
    if not text or not text.strip():
        raise _fail("the filter is empty")
    parser = _Parser(tokenize(text), lambda name: resolve(name, resource_type, scim_type=INVALID_FILTER))
    node = parser.parse_or()
    if parser.peek() is not None:
        raise _fail(f"unexpected {parser.peek()[1]!r}")
    return node


def parse_value_filter(text: str, parent: AttrPath) -> Node:
    """Parse the filter inside ``attr[...]`` of a PATCH path; names are sub-attributes of ``parent``."""
    if not text.strip():
        raise _fail("the value filter is empty")
    parser = _Parser(tokenize(text), lambda name: resolve_sub(parent, name, INVALID_FILTER))
    node = parser.parse_or(in_brackets=True)
    if parser.peek() is not None:
        raise _fail(f"unexpected {parser.peek()[1]!r}")
    return node

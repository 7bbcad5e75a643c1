"""A small IAM policy evaluator: enough of AWS's logic to ask what the stack's own policy documents allow.

It knows what the project's documents use and refuses anything else, so it can never quietly answer "allowed"
for a statement it did not understand: ``Effect`` Allow/Deny, ``Action`` and ``Resource`` (no ``NotAction``/
``NotResource``) with ``*`` and ``?`` wildcards (actions case-insensitive, resources case-sensitive, ``*`` spanning
``:`` and ``/``), and the condition operators ``StringEquals``, ``StringNotEquals``, ``StringLike`` and ``ArnLike``
over single-valued keys. As in AWS: a key missing from the request fails every operator but a negated one; several
values in a condition are alternatives; several keys and operators must all hold. An explicit Deny wins, then an
Allow, else the request is implicitly denied; a permissions boundary must allow the request too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from typing import Any


class Decision(Enum):
    ALLOW = "Allow"
    DENY = "explicit Deny"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True)
class Request:
    """One API call: the action, the resource ARN and the request's condition keys."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)


@cache
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _wildcard(pattern, ignore_case).fullmatch(value) is not None


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


_OPERATORS = {
    "StringEquals": lambda pattern, value: pattern == value,
    "StringLike": lambda pattern, value: matches(pattern, value),
    "ArnLike": lambda pattern, value: matches(pattern, value),
}
_NEGATED = {"StringNotEquals": "StringEquals"}


def _condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    for operator, keys in condition.items():
        negated = operator in _NEGATED
        test = _OPERATORS.get(_NEGATED.get(operator, operator))
        if test is None:
            raise ValueError(f"the simulator does not know the condition operator {operator}")
        for key, values in keys.items():
            value = context.get(key)
            if value is None:
                if not negated:
                    return False
                continue
            hit = any(test(pattern, value) for pattern in _as_list(values))
            if hit == negated:
                return False
    return True


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    unknown = set(statement) - {"Sid", "Effect", "Action", "Resource", "Condition"}
    if unknown or statement["Effect"] not in ("Allow", "Deny"):
        raise ValueError(f"the simulator does not know {sorted(unknown) or statement['Effect']} "
                         f"(statement {statement.get('Sid')})")
    return (any(matches(p, request.action, ignore_case=True) for p in _as_list(statement["Action"]))
            and any(matches(p, request.resource) for p in _as_list(statement["Resource"]))
            and _condition_holds(statement.get("Condition", {}), request.context))


def evaluate(document: Mapping[str, Any], request: Request) -> Decision:
    """One policy document's answer to ``request``."""
    applying = [s for s in document["Statement"] if _applies(s, request)]
    if any(s["Effect"] == "Deny" for s in applying):
        return Decision.DENY
    return Decision.ALLOW if applying else Decision.IMPLICIT_DENY


def evaluate_role(policies: Iterable[Mapping[str, Any]], request: Request,
                  boundary: Mapping[str, Any] | None = None) -> Decision:
    """A role's answer: its policies together, capped by its permissions boundary when it has one."""
    identity = [evaluate(document, request) for document in policies]
    capped = Decision.ALLOW if boundary is None else evaluate(boundary, request)
    if Decision.DENY in identity or capped is Decision.DENY:
        return Decision.DENY
    if Decision.ALLOW in identity and capped is Decision.ALLOW:
        return Decision.ALLOW
    return Decision.IMPLICIT_DENY

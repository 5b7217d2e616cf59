"""Each route's access rule, declared beside it: `@router.get(..., dependencies=[allow(READ)])`.

The rule is the route's first dependency, so a caller whose role falls short
gets 403 before the route looks at ids or the body. `require_rules` makes the
app refuse to start with a route that declares no rule (or more than one).

This module has no `from __future__ import annotations`: FastAPI reads the
signature of the checks' `__call__` and resolves no string annotations there.
"""

from typing import Any

from fastapi import FastAPI, params

from syncline.api.deps import Caller
from syncline.api.route_table import Operation, operations
from syncline.services.auth import Principal
from syncline.services.roles import Gate, Rule


class _Check:
    """A dependency enforcing one rule; `rule` is how the route's rule is found again."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule


class _CredentialCheck(_Check):
    def __call__(self, caller: Caller) -> Principal:
        self.rule.check(caller)
        return caller


class _NoCredentialCheck(_Check):
    def __call__(self) -> None:
        self.rule.check(None)


def allow(rule: Rule) -> Any:
    """The dependency declaring and enforcing `rule` for the route that lists it."""
    if rule.gate is Gate.NO_CREDENTIAL:
        return params.Depends(_NoCredentialCheck(rule))
    return params.Depends(_CredentialCheck(rule))


def rules_of(route: Operation) -> list[Rule]:
    """The rules a route declares among its own dependencies (exactly one is right).

    A check is any dependency with a `rule` attribute holding a `Rule`: the API's
    (`allow`) and the UI's pages (`syncline.ui.access.page`) alike.
    """
    rules = (getattr(dep.call, "rule", None) for dep in route.dependant.dependencies)
    return [rule for rule in rules if isinstance(rule, Rule)]


def require_rules(app: FastAPI) -> None:
    """Raise `RuntimeError` naming every API route without exactly one access rule."""
    wrong = [
        f"{','.join(sorted(route.methods))} {route.path}"
        for route in operations(app)
        if len(rules_of(route)) != 1
    ]
    if wrong:
        raise RuntimeError(
            "every route declares exactly one access rule "
            "(dependencies=[allow(...)], syncline.api.access; pages: syncline.ui.access); not: "
            + "; ".join(wrong)
        )

"""Built-in roles, and the rules that say which role each operation needs.

Every user has one role; a role includes everything the roles below it may do:

- `viewer`: reads only: every object of its organization, execution logs and
  model samples, but nothing that changes a thing or reaches a system with a
  configuration or query the caller supplies;
- `user`: everything except users, API keys and organization settings;
- `admin`: everything in its organization, users and keys included.

The deployment key (Basic authentication) acts as admin of the organization
it names, and alone may do what lies above one organization (creating
organizations). A stored role Syncline does not know counts as `viewer`, the
least it can grant.

A `Rule` is declared as data beside each operation (an API route, later a UI
page) and checked with `Rule.check` before the operation does anything.
The roles are fixed here; configurable roles and policies are later work.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from syncline.errors import Forbidden, Unauthorized
from syncline.services.auth import Principal


class Role(StrEnum):
    """A user's built-in role, stored by its value."""

    VIEWER = "viewer"
    USER = "user"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Position in `ROLES`: a role may do what every lower rank may."""
        return ROLES.index(self)


ROLES: tuple[Role, ...] = (Role.VIEWER, Role.USER, Role.ADMIN)
"""The roles from least to most."""


def role_of(principal: Principal) -> Role:
    """The role a caller acts with: admin for the deployment key, else the user's own."""
    if principal.is_system:
        return Role.ADMIN
    try:
        return Role(principal.role or "")
    except ValueError:
        return Role.VIEWER


class Gate(Enum):
    """What a rule asks of the caller."""

    ROLE = "role"
    """A credential of the organization with at least the rule's role."""
    DEPLOYMENT_KEY = "deployment key"
    """The deployment key itself: the operation reaches beyond one organization."""
    NO_CREDENTIAL = "no credential"
    """No `Authorization` at all: the request carries its own proof (a signed link)."""


@dataclass(frozen=True)
class Rule:
    """Who may perform one operation, and why the line is drawn there.

    `why` is the rule's documentation: it says what the operation can do that
    puts it on this side of the line, so a reader can check the choice.
    """

    gate: Gate
    why: str
    lowest: Role | None = None

    @property
    def label(self) -> str:
        """The lowest role (`viewer`, `user`, `admin`), `deployment key` or `no credential`."""
        return self.lowest.value if self.lowest is not None else self.gate.value

    def permits(self, principal: Principal | None) -> bool:
        """Whether `principal` (None: no credential was asked for) may perform it."""
        if self.gate is Gate.NO_CREDENTIAL:
            return True
        if principal is None:
            return False
        if self.gate is Gate.DEPLOYMENT_KEY:
            return principal.is_system
        assert self.lowest is not None
        return role_of(principal).rank >= self.lowest.rank

    def check(self, principal: Principal | None) -> None:
        """Return if `principal` may perform the operation, else raise `Forbidden` (403).

        The message names what is needed and the role the caller has. Raises
        `Unauthorized` when the rule needs a credential and there is none.
        """
        if self.permits(principal):
            return
        if principal is None:
            raise Unauthorized("missing credentials: this operation needs an API key")
        if self.gate is Gate.DEPLOYMENT_KEY:
            raise Forbidden("this operation needs the deployment key (Basic authentication)")
        assert self.lowest is not None
        raise Forbidden(
            f"this operation needs the {self.lowest.value} role"
            + ("" if self.lowest is Role.ADMIN else " or higher")
            + f"; this key's role is {role_of(principal).value}",
            metadata={"required_role": self.lowest.value, "role": role_of(principal).value},
        )


def at_least(role: Role, why: str) -> Rule:
    """A rule letting `role` and every role above it through."""
    return Rule(Gate.ROLE, why, role)


READ = at_least(
    Role.VIEWER,
    "Reads the organization's objects, their logs and samples, and changes nothing.",
)
WRITE = at_least(
    Role.USER,
    "Creates, changes, deletes or runs connections, models or syncs.",
)
ADMINISTER = at_least(
    Role.ADMIN,
    "Manages who may act in the organization: its users, their API keys, its settings.",
)
DEPLOYMENT = Rule(
    Gate.DEPLOYMENT_KEY,
    "Reaches beyond one organization, which no organization's role covers.",
)
DOCUMENTATION = Rule(
    Gate.NO_CREDENTIAL,
    "The API's documentation page, public like the OpenAPI document it renders.",
)
SIGNED_LINK = Rule(
    Gate.NO_CREDENTIAL,
    "The link's signature, issued to a caller allowed to read the log and valid for minutes, "
    "is the credential; download tools send no Authorization header.",
)
SIGN_IN = Rule(
    Gate.NO_CREDENTIAL,
    "The web UI's sign-in page: the API key typed into its form is the credential.",
)

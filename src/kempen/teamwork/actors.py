"""Who is acting on tasks and comments: an API key, a logged-in member, or the command line."""

from __future__ import annotations

from dataclasses import dataclass

from kempen.accounts.service import Principal
from kempen.kit.errors import PermissionDenied
from kempen.models import Role


@dataclass(frozen=True)
class Acting:
    """The workspace, the role to check, the actor string the audit trail records and the user, if any.

    `user_id` is None for API keys and the CLI without --user: such actors author rows but are never
    an assignee, a mention or the receiver of a notification.
    """

    workspace_id: int
    role: Role
    actor: str
    user_id: int | None = None

    @classmethod
    def of(cls, principal: Principal) -> Acting:
        return cls(workspace_id=principal.workspace_id, role=principal.role, actor=principal.actor,
                   user_id=principal.user_id)

    def require(self, role: Role) -> None:
        if not self.role.includes(role):
            raise PermissionDenied(f"This needs the {role.value} role or higher; you have {self.role.value}.")

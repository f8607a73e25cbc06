"""@mentions in comments, resolved to members of the workspace only.

`@ana` names the member whose email's local part is `ana` (ana@example.com), or whose name is Ana
(spaces left out: `@AnaSilva` for "Ana Silva", or a first name that no other member shares). Matching
ignores case. A word that matches nobody, or a user of another workspace, stays plain text: the
lookup only ever reads this workspace's memberships, so a comment cannot reveal who else exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.kit.errors import InvalidInput
from kempen.models import Membership, Role, User

# After start of text or a non-word character, so that "ana@example.com" is not a mention of "example".
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9._-]{0,63})")


@dataclass(frozen=True)
class Member:
    """A user as their workspace sees them."""

    user_id: int
    email: str
    name: str
    role: Role

    @property
    def label(self) -> str:
        return self.name or self.email

    @property
    def handle(self) -> str:
        """What to type after @ to mention this member."""
        return self.email.split("@", 1)[0]


def workspace_members(session: Session, *, workspace_id: int) -> list[Member]:
    """The active members of the workspace, by name then email."""
    stmt = (select(User.id, User.email, User.name, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.workspace_id == workspace_id, User.is_active.is_(True))
            .order_by(User.name, User.email))
    return [Member(user_id=uid, email=email, name=name, role=role) for uid, email, name, role in session.execute(stmt)]


def get_member_or_raise(session: Session, *, workspace_id: int, user_id: int, what: str = "The user") -> Member:
    """The member `user_id` of this workspace; InvalidInput otherwise (never says whether the user exists)."""
    for member in workspace_members(session, workspace_id=workspace_id):
        if member.user_id == user_id:
            return member
    raise InvalidInput(f"{what} must be a member of this workspace (no member with id {user_id}).")


def _keys(member: Member) -> tuple[str, str]:
    return member.handle.lower(), re.sub(r"\s+", "", member.name).lower()


def resolve_mentions(members: list[Member], text: str) -> list[Member]:
    """The members `text` mentions, in order of first mention, each once."""
    by_key: dict[str, Member] = {}
    first_names: dict[str, list[Member]] = {}
    for member in members:
        for key in _keys(member):
            if key:
                by_key.setdefault(key, member)
        first = member.name.split()[0].lower() if member.name.strip() else ""
        if first:
            first_names.setdefault(first, []).append(member)
    found: dict[int, Member] = {}
    for match in MENTION.finditer(text):
        word = match.group(1).rstrip("._-").lower()
        named = by_key.get(word)
        if named is None and len(first_names.get(word, [])) == 1:
            named = first_names[word][0]
        if named is not None:
            found.setdefault(named.user_id, named)
    return list(found.values())

"""@mentions: which words name which members (pure, no database)."""

from __future__ import annotations

from kempen.models import Role
from kempen.teamwork.mentions import Member, resolve_mentions

ANA = Member(user_id=1, email="ana.silva@example.com", name="Ana Silva", role=Role.MANAGER)
BO = Member(user_id=2, email="bo@example.com", name="Bo Chen", role=Role.MARKETER)
BO2 = Member(user_id=3, email="bo.jensen@example.com", name="Bo Jensen", role=Role.ANALYST)
MEMBERS = [ANA, BO, BO2]


def ids(text: str) -> list[int]:
    return [m.user_id for m in resolve_mentions(MEMBERS, text)]


def test_email_local_part_and_name_without_spaces() -> None:
    assert ids("@ana.silva please check") == [1]
    assert ids("@AnaSilva and @bo.jensen") == [1, 3]


def test_unique_first_name_matches_but_shared_first_name_does_not() -> None:
    assert ids("thanks @ana!") == [1]
    assert ids("@bo") == [2]  # "bo" is Bo Chen's email local part, which wins over the shared first name
    assert ids("@Chen") == []


def test_email_addresses_and_unknown_words_are_not_mentions() -> None:
    assert ids("write to ana.silva@example.com or @nobody") == []


def test_each_member_once_in_order_of_first_mention() -> None:
    assert ids("@bo.jensen, @ana, @bo.jensen again, @ana.silva.") == [3, 1]

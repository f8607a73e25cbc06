"""Click ids: the signed reference a tracked link's redirect appends to the landing URL (`kmp=`).

The website's conversion snippet keeps it and sends it back with a conversion, which ties the
conversion to the delivery (and so the contact, campaign and variant) without any login or cookie
from Kempen's domain. Signed like every tracking token, so a visitor cannot claim another's click.
"""

from __future__ import annotations

from dataclasses import dataclass

from kempen.kit.errors import InvalidInput
from kempen.tracking.tokens import read_token, sign_json

CLICK_ID = "kempen.clickid.v1"
# The query parameter carrying the click id on landing pages.
CLICK_ID_PARAMETER = "kmp"


@dataclass(frozen=True, slots=True)
class ClickId:
    workspace_id: int
    delivery_id: int
    contact_id: int
    campaign_id: int
    variant_id: int


def make_click_id(*, workspace_id: int, delivery_id: int, contact_id: int, campaign_id: int,
                  variant_id: int) -> str:
    """A signed click id for one delivery (made at redirect time, once per click)."""
    payload = (f'{{"w":{int(workspace_id)},"d":{int(delivery_id)},"c":{int(contact_id)},'
               f'"k":{int(campaign_id)},"v":{int(variant_id)}}}')
    return sign_json(CLICK_ID, payload)


def read_click_id(token: str) -> ClickId:
    """The contents of a genuine click id; InvalidInput for a forged, altered or foreign one."""
    payload = read_token(CLICK_ID, token)
    values = [payload.get(key) for key in ("w", "d", "c", "k", "v")]
    if any(type(value) is not int or value <= 0 for value in values):
        raise InvalidInput("This click id is not valid: it may be incomplete or altered.")
    workspace_id, delivery_id, contact_id, campaign_id, variant_id = (int(v) for v in values)  # type: ignore[arg-type]
    return ClickId(workspace_id=workspace_id, delivery_id=delivery_id, contact_id=contact_id,
                   campaign_id=campaign_id, variant_id=variant_id)

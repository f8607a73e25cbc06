"""The demo campaign `kempen init` launches, so that a newcomer's first `kempen serve` sends real emails.

In the demo workspace it makes (once) a "Recent customers" segment, sending settings that send at once
(no quiet hours, a demo sender and postal address) and an A/B email campaign with a personalised,
responsive template, and launches it. With no SMTP server configured the in-process worker of
`kempen serve` delivers it to the built-in mail sink, whose inbox the UI shows at /inbox.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.campaigns import messages, schemas
from kempen.campaigns import service as campaigns
from kempen.campaigns.settings import update_send_settings
from kempen.db import unit_of_work
from kempen.delivery.control import launch_campaign
from kempen.delivery.schemas import LaunchResult
from kempen.demo.brand import ensure_demo_brand
from kempen.demo.planning import DemoPlanning, create_demo_planning
from kempen.demo.tracking import create_demo_results
from kempen.kit.errors import NotFound
from kempen.models import Channel
from kempen.segments import schemas as segment_schemas
from kempen.segments import service as segments

CAMPAIGN_NAME = "Spring picks (demo)"
SEGMENT_NAME = "Recent customers"
# Customers of the last 60 days who may be emailed: about 130 of the 2,000 contacts `kempen init` makes.
SEGMENT_RULE = "orders.count(last 60d) >= 1 and consent.email"
SENDER = {"from_name": "Kempen Demo", "from_email": "demo@kempen.example",
          "postal_address": "Kempen Demo Shop\nJalan Contoh 12\n50450 Kuala Lumpur, Malaysia"}
ACTOR = "kempen init"

# Fluid (a max-width), not media queries: CSS is inlined when sent, and inline styles beat a media query.
_STYLE = """
  body { margin: 0; padding: 0; background: #f1f3f8; }
  .outer { width: 100%; background: #f1f3f8; padding: 24px 12px; box-sizing: border-box; }
  .shell { width: 100%; max-width: 600px; margin: 0 auto; }
  .brand { padding: 8px 28px 18px; font-family: Arial, Helvetica, sans-serif; font-size: 18px; font-weight: bold; letter-spacing: -0.2px; color: #1f2544; }
  .brand span { color: #4f46e5; }
  .hero { background: #4f46e5; background-image: linear-gradient(135deg, #4f46e5, #7c3aed); border-radius: 14px 14px 0 0; padding: 36px 28px 30px; color: #ffffff; font-family: Arial, Helvetica, sans-serif; }
  .eyebrow { font-size: 12px; letter-spacing: 2px; text-transform: uppercase; color: #c7d2fe; margin: 0 0 10px; }
  .hero h1 { font-size: 28px; line-height: 34px; margin: 0 0 12px; color: #ffffff; }
  .hero p { font-size: 16px; line-height: 24px; margin: 0; color: #e0e7ff; }
  .body { background: #ffffff; padding: 28px 28px 8px; font-family: Arial, Helvetica, sans-serif; color: #27303f; }
  .body p { font-size: 15px; line-height: 24px; margin: 0 0 18px; }
  .label { font-size: 12px; letter-spacing: 1px; text-transform: uppercase; color: #6b7280; margin: 0 0 8px; }
  .items { width: 100%; border-collapse: collapse; margin: 0 0 22px; }
  .items td { padding: 12px 0; border-bottom: 1px solid #e8eaf1; font-size: 15px; }
  .items .qty { color: #6b7280; width: 48px; }
  .items .price { text-align: right; font-weight: bold; white-space: nowrap; }
  .perk { background: #f5f3ff; border-radius: 10px; padding: 16px 18px; margin: 0 0 24px; font-size: 15px; line-height: 22px; color: #4338ca; }
  .cta { text-align: center; padding: 4px 0 30px; }
  .button { display: inline-block; background: #4f46e5; color: #ffffff; text-decoration: none; font-weight: bold; font-size: 16px; padding: 15px 30px; border-radius: 8px; }
  .closing { background: #ffffff; border-radius: 0 0 14px 14px; padding: 0 28px 28px; font-family: Arial, Helvetica, sans-serif; font-size: 14px; line-height: 22px; color: #6b7280; }
"""

_BODY = """
<div class="outer">
  <div class="shell">
    <div class="brand"><span>Kempen</span> Demo Shop</div>
    <div class="hero">
      <p class="eyebrow">{eyebrow}</p>
      <h1>{headline}</h1>
      <p>{lead}</p>
    </div>
    <div class="body">
      {{% if last_order and last_order.items %}}
      <p class="label">Your last order · {{{{ last_order.placed_at | date("%d %B %Y") }}}}</p>
      <table class="items" role="presentation">
        {{% for item in last_order.items %}}
        <tr>
          <td class="qty">{{{{ item.quantity }}}} ×</td>
          <td>{{{{ item.name }}}}</td>
          <td class="price">{{{{ item.price | money(last_order.currency) }}}}</td>
        </tr>
        {{% endfor %}}
      </table>
      <p>Customers who chose {{{{ (last_order.items | first).name }}}} are loving what just arrived for spring.
         We picked a few that go well with it.</p>
      {{% else %}}
      <p>Our spring collection has just arrived, and we picked a few favourites for you.</p>
      {{% endif %}}
      {{% if loyalty_tier %}}
      <div class="perk">As a <strong>{{{{ loyalty_tier | title }}}}</strong> member you get free delivery on everything this week.</div>
      {{% endif %}}
      <div class="cta"><a class="button" href="https://shop.example.com/spring?utm_source=kempen&amp;utm_campaign=spring-picks&amp;utm_content={variant}">{button}</a></div>
      {{% content "spring-delivery" %}}
    </div>
    <div class="closing">Happy spring,<br>The Kempen Demo Shop team</div>
  </div>
</div>
"""


def _html(*, variant: str, eyebrow: str, headline: str, lead: str, button: str) -> str:
    body = _BODY.format(variant=variant, eyebrow=eyebrow, headline=headline, lead=lead, button=button)
    return ('<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>Spring picks</title>\n<style>{_STYLE}</style>\n</head>\n<body>{body}</body>\n</html>\n")


VARIANTS = [
    schemas.VariantCreate(
        name="A", split_percent=50,
        subject="{{ first_name | default('Hello') }}, your spring picks are here",
        preheader="Hand-picked to go with your last order, with free delivery this week.",
        html=_html(variant="a", eyebrow="Spring collection", headline="Hi {{ first_name | default('there') }}, "
                   "spring has arrived", lead="Fresh styles for longer days, picked for you.",
                   button="See your spring picks")),
    schemas.VariantCreate(
        name="B", split_percent=50,
        subject="New in for spring, {{ first_name | default('friend') }}: picked for you",
        preheader="A few new favourites we think you will like.",
        html=_html(variant="b", eyebrow="Just landed", headline="{{ first_name | default('Friend') }}, "
                   "we saved you a few favourites", lead="New arrivals that go with what you already love.",
                   button="Shop the new arrivals")),
]


def _segment_id(session: Session, workspace_id: int) -> int:
    try:
        return segments.get_segment_by_name(session, workspace_id=workspace_id, name=SEGMENT_NAME).id
    except NotFound:
        data = segment_schemas.SegmentCreate(name=SEGMENT_NAME, text=SEGMENT_RULE,
                                             description="Ordered in the last 60 days and may be emailed.")
        return segments.create_segment(session, workspace_id=workspace_id, actor=ACTOR, data=data).id


def create_demo_campaign(session: Session, *, workspace_id: int) -> LaunchResult | None:
    """Create and launch the demo campaign in a workspace; None if it exists already."""
    found, _ = campaigns.list_campaigns(session, workspace_id=workspace_id, q=CAMPAIGN_NAME, limit=10)
    if any(c.name == CAMPAIGN_NAME for c in found):
        return None
    segment_id = _segment_id(session, workspace_id)
    ensure_demo_brand(session, workspace_id=workspace_id)  # the email names its content block
    # Quiet hours that start and end at the same time are none: the demo sends at once, at any hour.
    update_send_settings(session, workspace_id=workspace_id, actor=ACTOR, data=schemas.SendSettingsUpdate(
        **SENDER, quiet_hours_start="00:00", quiet_hours_end="00:00"))
    campaign = campaigns.create_campaign(session, workspace_id=workspace_id, actor=ACTOR, data=schemas.CampaignCreate(
        name=CAMPAIGN_NAME, segment_id=segment_id, holdout_percent=Decimal("10"), respect_quiet_hours=False,
        description="Sent by `kempen init` to show Kempen at work: two subject lines tested 50/50, 10 % holdout."))
    messages.add_message(session, workspace_id=workspace_id, actor=ACTOR, campaign_id=campaign.id,
                         data=schemas.MessageCreate(channel=Channel.EMAIL, name="Spring picks", variants=VARIANTS))
    return launch_campaign(session, workspace_id=workspace_id, campaign_id=campaign.id, actor=ACTOR)


def launch_demo_campaign(*, workspace_slug: str) -> tuple[LaunchResult | None, DemoPlanning | None]:
    """Create and launch the demo campaign in the workspace with this slug, in its own transaction.

    Also adds the finished demo campaign and the planning around both (programme, objectives, budgets,
    tasks, a thread); the second value carries the logins of demo team members it created.
    """
    with unit_of_work() as session:
        workspace = accounts.get_workspace_by_slug(session, workspace_slug)
        launched = create_demo_campaign(session, workspace_id=workspace.id)
        # A finished campaign with opens, clicks, conversions and costs, for the performance page.
        create_demo_results(session, workspace_id=workspace.id)
        planning = create_demo_planning(session, workspace_id=workspace.id)
        return launched, planning

"""The segment service: reading rules, CRUD, references and cycles, preview, snapshots, export, schedule."""

from __future__ import annotations

import csv
import io
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from kempen.audit import service as audit
from kempen.background import metrics_loop
from kempen.contacts import custom_fields
from kempen.kit.errors import Conflict, InvalidInput, NotFound
from kempen.models import (
    Channel,
    Consent,
    ConsentStatus,
    Contact,
    ContactMetrics,
    CustomFieldType,
    LifecycleStage,
    Suppression,
    SuppressionReason,
)
from kempen.segments import export, preview, rules, schedule, schemas, scoring, service, snapshots
from tests.conftest import Tenant

ACTOR = "test"
MY = 'country = "MY"'


def add_contact(session: Session, workspace_id: int, name: str, *, email: str | None = None,
                phone: str | None = None, country: str | None = "MY",
                consents: dict[Channel, ConsentStatus] | None = None) -> int:
    """A contact with the given consents, written directly (the API is tested elsewhere)."""
    contact = Contact(workspace_id=workspace_id, first_name=name, last_name="Tan", email=email,
                      email_normalized=email.lower() if email else None, phone=phone, country=country,
                      lifecycle_stage=LifecycleStage.LEAD, external_id=f"ext-{name}")
    session.add(contact)
    session.flush()
    for channel, status in (consents or {}).items():
        session.add(Consent(workspace_id=workspace_id, contact_id=contact.id, channel=channel, status=status))
    session.flush()
    return contact.id


def suppress(session: Session, workspace_id: int, channel: Channel, address: str) -> None:
    session.add(Suppression(workspace_id=workspace_id, channel=channel, address=address,
                            reason=SuppressionReason.BOUNCED))
    session.flush()


G = ConsentStatus.GRANTED


def make_people(session: Session, workspace_id: int) -> dict[str, int]:
    """Five contacts whose reachability is worked out by hand in `test_preview_…`; four are in MY."""
    people = {
        # email, SMS and push: all granted, nothing suppressed
        "ann": add_contact(session, workspace_id, "Ann", email="ann@example.com", phone="+60123450001",
                           consents={Channel.EMAIL: G, Channel.SMS: G, Channel.PUSH: G}),
        # email granted but the address is suppressed; SMS fine
        "bob": add_contact(session, workspace_id, "Bob", email="Bob@Example.com", phone="+60123450002",
                           consents={Channel.EMAIL: G, Channel.SMS: G}),
        # email denied; SMS granted without a phone; ads and direct mail granted
        "cid": add_contact(session, workspace_id, "Cid", email="cid@example.com",
                           consents={Channel.EMAIL: ConsentStatus.DENIED, Channel.SMS: G, Channel.ADS: G,
                                     Channel.DIRECT_MAIL: G}),
        # email granted without an address; SMS granted but the phone is suppressed; push unsubscribed
        "dee": add_contact(session, workspace_id, "Dee", phone="+60123450004",
                           consents={Channel.EMAIL: G, Channel.SMS: G, Channel.PUSH: ConsentStatus.UNSUBSCRIBED}),
        # reachable everywhere but not in MY
        "eve": add_contact(session, workspace_id, "Eve", email="eve@example.com", country="SG",
                           consents={c: G for c in Channel}),
    }
    suppress(session, workspace_id, Channel.EMAIL, "bob@example.com")
    suppress(session, workspace_id, Channel.SMS, "+60123450004")
    return people


def create(session: Session, tenant: Tenant, name: str, text: str | None = None,
           rule: dict[str, object] | None = None) -> int:
    segment = service.create_segment(session, workspace_id=tenant.id, actor=ACTOR,
                                     data=schemas.SegmentCreate(name=name, text=text, rule=rule))
    return segment.id


def test_catalogue_has_builtins_metrics_and_custom_fields(session: Session, tenant: Tenant) -> None:
    custom_fields.create_definition(session, workspace_id=tenant.id, key="shoe_size", label="Shoe size",
                                    field_type=CustomFieldType.NUMBER)
    catalogue = service.catalogue_of(session, tenant.id)
    assert {"country", "order_count", "rfm", "lead_score", "shoe_size"} <= set(catalogue.names())
    assert service.parse_input(session, tenant.id, "shoe_size > 40") == rules.Compare(
        field="shoe_size", op=rules.Op.GT, value=40)


def test_text_and_json_store_the_same_rule(session: Session, tenant: Tenant) -> None:
    text = 'country = "MY" and orders.count(last 90d) >= 2'
    from_text = service.get_segment(session, workspace_id=tenant.id, segment_id=create(session, tenant, "t", text))
    as_json = rules.rule_to_json(service.parse_input(session, tenant.id, text))
    from_json = service.get_segment(session, workspace_id=tenant.id,
                                    segment_id=create(session, tenant, "j", rule=as_json))
    assert from_text.rule == from_json.rule == as_json
    assert from_text.rule_text == text  # the user's spelling is kept
    assert service.parse_input(session, tenant.id, from_json.rule_text) == service.parse_input(session, tenant.id, text)
    actions = [e.action for e in audit.list_for_entity(session, workspace_id=tenant.id, entity_type="segment",
                                                       entity_id=from_text.id)]
    assert actions == ["segment.created"]


def test_names_are_unique_per_workspace(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    create(session, tenant, "vip", MY)
    with pytest.raises(Conflict, match="already exists"):
        create(session, tenant, "vip", 'country = "SG"')
    create(session, other_tenant, "vip", MY)  # another workspace may use the name


def test_invalid_text_is_refused_with_its_position(session: Session, tenant: Tenant) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.parse_input(session, tenant.id, 'country = "MY" and\n  order_count > "many"')
    [error, *_] = caught.value.errors
    assert error["line"] == 2 and error["column"] >= 3 and error["message"]
    with pytest.raises(InvalidInput) as caught:
        service.parse_input(session, tenant.id, "no_such_field = 1")
    assert caught.value.errors[0]["line"] == 1 and caught.value.errors[0]["column"] == 1


def test_invalid_json_is_refused_with_its_path(session: Session, tenant: Tenant) -> None:
    bad = {"type": "and", "rules": [{"type": "compare", "field": "country", "op": "=", "value": "MY"},
                                    {"type": "compare", "field": "country", "op": "??", "value": "SG"}]}
    with pytest.raises(InvalidInput) as caught:
        service.parse_input(session, tenant.id, rule_json=bad)
    assert any(e["path"] == "rules/1/op" and e["line"] is None for e in caught.value.errors)
    typed = {"type": "compare", "field": "order_count", "op": ">", "value": "many"}
    with pytest.raises(InvalidInput) as caught:
        service.parse_input(session, tenant.id, rule_json=typed)
    assert caught.value.errors[0]["path"] is not None


def test_in_segment_must_name_a_segment_of_the_workspace(session: Session, tenant: Tenant,
                                                         other_tenant: Tenant) -> None:
    create(session, other_tenant, "theirs", MY)
    with pytest.raises(InvalidInput) as caught:
        create(session, tenant, "mine", 'country = "MY" and in_segment "theirs"')
    [error] = caught.value.errors
    assert "no segment named 'theirs'" in error["message"]
    assert (error["line"], error["column"], error["end_column"]) == (1, 31, 39)
    assert error["path"] == "rules/1/name"


def test_cycles_are_refused_and_named(session: Session, tenant: Tenant) -> None:
    a = create(session, tenant, "a", MY)
    create(session, tenant, "b", 'in_segment "a"')
    with pytest.raises(InvalidInput, match="a → b → a"):
        service.update_segment(session, workspace_id=tenant.id, actor=ACTOR, segment_id=a,
                               data=schemas.SegmentUpdate(text='in_segment "b"'))
    create(session, tenant, "c", 'in_segment "b" or country = "SG"')
    with pytest.raises(InvalidInput, match="a → c → b → a") as caught:
        service.update_segment(session, workspace_id=tenant.id, actor=ACTOR, segment_id=a,
                               data=schemas.SegmentUpdate(text='in_segment "c"'))
    assert caught.value.errors[0]["cycle"] == ["a", "c", "b", "a"]
    with pytest.raises(InvalidInput, match="a → a"):
        service.update_segment(session, workspace_id=tenant.id, actor=ACTOR, segment_id=a,
                               data=schemas.SegmentUpdate(text='in_segment "a"'))
    assert service.get_segment(session, workspace_id=tenant.id, segment_id=a).rule_text == MY


def test_a_referenced_segment_cannot_be_deleted_or_renamed(session: Session, tenant: Tenant) -> None:
    a = create(session, tenant, "a", MY)
    b = create(session, tenant, "b", 'in_segment "a"')
    with pytest.raises(Conflict, match="segment 'b'"):
        service.delete_segment(session, workspace_id=tenant.id, actor=ACTOR, segment_id=a)
    with pytest.raises(Conflict, match="segment 'b'"):
        service.update_segment(session, workspace_id=tenant.id, actor=ACTOR, segment_id=a,
                               data=schemas.SegmentUpdate(name="renamed"))
    service.delete_segment(session, workspace_id=tenant.id, actor=ACTOR, segment_id=b)
    service.delete_segment(session, workspace_id=tenant.id, actor=ACTOR, segment_id=a)
    with pytest.raises(NotFound):
        service.get_segment(session, workspace_id=tenant.id, segment_id=a)


def test_preview_counts_samples_and_reachability_by_hand(session: Session, tenant: Tenant,
                                                         other_tenant: Tenant) -> None:
    people = make_people(session, tenant.id)
    make_people(session, other_tenant.id)
    result = preview.preview(session, tenant.id, service.parse_input(session, tenant.id, MY), sample_size=3)
    assert result.count == 4
    assert result.reachable == schemas.Reachability(email=1, sms=2, push=1, ads=1, direct_mail=1)
    assert [c.id for c in result.sample] == [people["dee"], people["cid"], people["bob"]]
    assert result.sample[1].first_name == "Cid" and result.sample[1].email == "cid@example.com"
    everyone = preview.preview(session, tenant.id, service.parse_input(session, tenant.id, "email is set or phone is set"))
    assert everyone.count == 5
    assert everyone.reachable == schemas.Reachability(email=2, sms=2, push=2, ads=2, direct_mail=2)
    assert preview.count_members(session, tenant.id, service.parse_input(session, tenant.id, MY)) == 4
    nobody = preview.preview(session, tenant.id, service.parse_input(session, tenant.id, 'country = "FR"'))
    assert nobody.count == 0 and nobody.sample == [] and nobody.reachable.email == 0


def test_segments_compose_through_in_segment(session: Session, tenant: Tenant) -> None:
    make_people(session, tenant.id)
    create(session, tenant, "malaysia", MY)
    rule = service.parse_input(session, tenant.id, 'in_segment "malaysia" and consent.push')
    assert preview.count_members(session, tenant.id, rule) == 1


def test_a_snapshot_is_frozen_while_the_segment_moves(session: Session, tenant: Tenant) -> None:
    people = make_people(session, tenant.id)
    segment_id = create(session, tenant, "malaysia", MY)
    snap = snapshots.take_snapshot(session, workspace_id=tenant.id, actor=ACTOR, segment_id=segment_id,
                                   reason="spring campaign")
    assert snap.member_count == 4 and snap.rule_text == MY
    late = add_contact(session, tenant.id, "Fay", email="fay@example.com")
    rule = service.parse_input(session, tenant.id, MY)
    assert preview.count_members(session, tenant.id, rule) == 5
    members, cursor = snapshots.snapshot_members(session, workspace_id=tenant.id, snapshot_id=snap.id, limit=3)
    rest, end = snapshots.snapshot_members(session, workspace_id=tenant.id, snapshot_id=snap.id, cursor=cursor)
    ids = [c.id for c in members + rest]
    assert end is None and late not in ids and sorted(ids) == sorted(v for k, v in people.items() if k != "eve")
    assert [s.id for s in snapshots.list_snapshots(session, workspace_id=tenant.id, segment_id=segment_id)] == [snap.id]
    unsaved = snapshots.take_snapshot(session, workspace_id=tenant.id, actor=ACTOR, rule=rule)
    assert unsaved.segment_id is None and unsaved.member_count == 5


def _read_csv(chunks: list[str]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(chunks))))


def test_export_streams_every_member_in_chunks(db: Engine, session: Session, tenant: Tenant) -> None:
    people = make_people(session, tenant.id)
    segment_id = create(session, tenant, "malaysia", MY)
    session.commit()
    factory = sessionmaker(bind=db)
    source = export.export_source(session, workspace_id=tenant.id, segment_id=segment_id)
    chunks = list(export.stream_csv(factory, source, chunk_rows=3))
    assert len(chunks) == 3  # header, 3 rows, 1 row
    rows = _read_csv(chunks)
    assert list(rows[0]) == list(export.COLUMNS)
    assert [int(r["id"]) for r in rows] == sorted(v for k, v in people.items() if k != "eve")
    bob = rows[1]
    assert (bob["email"], bob["phone"], bob["first_name"], bob["country"], bob["lifecycle_stage"]) == (
        "Bob@Example.com", "+60123450002", "Bob", "MY", "lead")
    assert bob["external_id"] == "ext-Bob" and datetime.fromisoformat(bob["created_at"]).tzinfo is not None


def test_export_of_a_rule_and_of_a_snapshot(db: Engine, session: Session, tenant: Tenant) -> None:
    people = make_people(session, tenant.id)
    add_contact(session, tenant.id, "=HYPERLINK(1)", email="x@example.com", country="SG")
    rule = service.parse_input(session, tenant.id, 'country = "SG"')
    snap = snapshots.take_snapshot(session, workspace_id=tenant.id, actor=ACTOR, rule=rule)
    session.commit()
    factory = sessionmaker(bind=db)
    rows = _read_csv(list(export.stream_csv(factory, export.export_source(
        session, workspace_id=tenant.id, rule=rule))))
    assert [r["first_name"] for r in rows] == ["Eve", "'=HYPERLINK(1)"]  # no formula reaches a spreadsheet
    add_contact(session, tenant.id, "Gus", country="SG")
    session.commit()
    frozen = _read_csv(list(export.stream_csv(factory, export.export_source(
        session, workspace_id=tenant.id, snapshot_id=snap.id))))
    assert len(frozen) == 2 and int(frozen[0]["id"]) == people["eve"]


def test_lead_score_rules_are_checked_like_segments(session: Session, tenant: Tenant) -> None:
    rule = scoring.create_rule(session, workspace_id=tenant.id, actor=ACTOR,
                               data=schemas.LeadScoreRuleCreate(name="malaysia", text=MY, points=10))
    assert rule.rule == rules.rule_to_json(service.parse_input(session, tenant.id, MY))
    with pytest.raises(InvalidInput, match="cannot use lead_score"):
        scoring.create_rule(session, workspace_id=tenant.id, actor=ACTOR,
                            data=schemas.LeadScoreRuleCreate(name="loop", text="lead_score > 5", points=1))
    create(session, tenant, "scored", "lead_score > 5")
    with pytest.raises(InvalidInput, match="cannot use lead_score"):
        scoring.create_rule(session, workspace_id=tenant.id, actor=ACTOR,
                            data=schemas.LeadScoreRuleCreate(name="loop", text='in_segment "scored"', points=1))
    with pytest.raises(Conflict):
        scoring.create_rule(session, workspace_id=tenant.id, actor=ACTOR,
                            data=schemas.LeadScoreRuleCreate(name="malaysia", text=MY, points=1))
    segment_id = create(session, tenant, "used", MY)
    scoring.create_rule(session, workspace_id=tenant.id, actor=ACTOR,
                        data=schemas.LeadScoreRuleCreate(name="uses", text='in_segment "used"', points=1))
    with pytest.raises(Conflict, match="lead-score rule 'uses'"):
        service.delete_segment(session, workspace_id=tenant.id, actor=ACTOR, segment_id=segment_id)


def test_scheduled_refresh_runs_each_workspace_once_per_period(db: Engine, session: Session, tenant: Tenant) -> None:
    make_people(session, tenant.id)
    session.commit()
    factory = sessionmaker(bind=db)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    last: dict[int, datetime] = {}
    assert tenant.id in schedule.refresh_due_metrics(factory, every=timedelta(minutes=60), last=last, now=now)
    assert last[tenant.id] == now
    later = now + timedelta(minutes=30)
    assert tenant.id not in schedule.refresh_due_metrics(factory, every=timedelta(minutes=60), last=last, now=later)
    # A restarted process reads the last refresh from the database instead of redoing it.
    assert tenant.id not in schedule.refresh_due_metrics(factory, every=timedelta(minutes=60), last={}, now=later)
    assert tenant.id in schedule.refresh_due_metrics(factory, every=timedelta(minutes=60), last=last,
                                                     now=now + timedelta(minutes=61))


def test_validate_never_raises(session: Session, tenant: Tenant) -> None:
    for text, rule in [("", None), ("(((", None), (None, None), ("x" * 5000, None), (None, [1, 2]),
                       (None, {"type": "nope"}), ("(" * 3000 + "country = 'MY'", None), (MY, {"type": "tag"})]:
        result = service.validate_rule(session, tenant.id, text, rule)
        assert not result.valid and result.errors and result.text is None
    good = service.validate_rule(session, tenant.id, 'country="MY"', None)
    assert good.valid and good.errors == [] and good.rule == {"type": "compare", "field": "country", "op": "=",
                                                              "value": "MY"}


def test_members_are_found_in_the_right_workspace_only(session: Session, tenant: Tenant,
                                                       other_tenant: Tenant) -> None:
    theirs = create(session, other_tenant, "theirs", MY)
    with pytest.raises(NotFound):
        service.get_segment(session, workspace_id=tenant.id, segment_id=theirs)
    with pytest.raises(NotFound):
        snapshots.take_snapshot(session, workspace_id=tenant.id, actor=ACTOR, segment_id=theirs)
    with pytest.raises(NotFound):
        export.export_source(session, workspace_id=tenant.id, segment_id=theirs)


def test_the_background_loop_refreshes_and_stops(db: Engine, session: Session, tenant: Tenant) -> None:
    people = make_people(session, tenant.id)
    session.commit()
    stop = threading.Event()
    thread = threading.Thread(target=metrics_loop, args=(stop,),
                              kwargs={"minutes": 60, "check_every": 0.05, "first_wait": 0})
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and schedule.last_refresh(session, tenant.id) is None:
            session.rollback()
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    computed = session.scalar(select(func.count()).select_from(ContactMetrics).where(
        ContactMetrics.workspace_id == tenant.id))
    assert computed == len(people)

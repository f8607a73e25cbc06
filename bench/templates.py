"""Benchmark: compiled email renders and bulk template contexts, the per-email work of the delivery engine.

Standalone (not part of the test suite).

- **render**: µs per email of `CompiledEmail.render` (Jinja only: CSS inlined and the text part
  derived at compile time) for bench/send_template.html (~5 KB) and a ~10 KB version of it (four times
  the products), against inlining with premailer per render (`inline_once=False`, how every email
  was rendered before). Personalised: first name with a default, city, the last order's items in a
  loop, links with the contact id, the unsubscribe URL.
- **contexts**: µs per contact of `contact_contexts` for N contacts (half with a company, 70 % with
  an order of three items, metrics recomputed) in a fresh PostgreSQL database (dropped afterwards),
  against `contact_context` one contact at a time.

    .venv/bin/python bench/templates.py
    .venv/bin/python bench/templates.py --contacts 500 --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import make_url
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.db import make_engine
from kempen.migrate import upgrade_database
from kempen.models import Company, Contact, Order, OrderItem
from kempen.segments.metrics import recompute_metrics
from kempen.templates.compiled import compile_email
from kempen.templates.context import contact_context, contact_contexts, sample_context
from kempen.templates.email import EmailTemplate

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NEWSLETTER = (Path(__file__).resolve().parent / "send_template.html").read_text()
_PRODUCTS = NEWSLETTER[NEWSLETTER.index('  <tr><td class="products">'):NEWSLETTER.index('  <tr><td class="hero">\n    <p>Not')]
NEWSLETTER_10K = NEWSLETTER.replace(_PRODUCTS, _PRODUCTS * 4)


def timings(action: Callable[[], Any], *, runs: int, rounds: int) -> list[float]:
    """Seconds per call of each round."""
    found = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(runs):
            action()
        found.append((time.perf_counter() - start) / runs)
    return found


def report(label: str, seconds: list[float], unit: float = 1e6, per: str = "us") -> float:
    median = statistics.median(seconds) * unit
    print(f"{label:<58} median {median:9.1f} {per}   best {min(seconds) * unit:9.1f} {per}")
    return median


def bench_render(rounds: int) -> None:
    context = sample_context() | {"city": "Utrecht", "unsubscribe_url": "https://kempen.example/u/" + "x" * 80}
    for name, html in (("5 KB newsletter", NEWSLETTER), ("10 KB newsletter", NEWSLETTER_10K)):
        template = EmailTemplate(subject="{{ first_name|default('Hello') }}, your November picks from {{ city }}",
                                 preheader="New teas for {{ first_name|default('you') }}", html=html)
        compiled = compile_email(template, postal_address="Theehuis B.V., Oudegracht 1, Utrecht")
        assert compiled.fast, compiled.slow_reason
        per_render = compile_email(template, postal_address="Theehuis B.V., Oudegracht 1, Utrecht",
                                   inline_once=False)
        rendered = compiled.render(context)
        print(f"{name}: source {len(html)} chars, rendered HTML {len(rendered.html)}, text {len(rendered.text)}")
        compile_time = timings(lambda: compile_email(template), runs=1, rounds=rounds)  # noqa: B023
        report("  compile (once per variant)", compile_time, 1e3, "ms")
        fast = report("  render, compiled", timings(lambda: compiled.render(context), runs=500, rounds=rounds))  # noqa: B023
        slow = report("  render, premailer per render",
                      timings(lambda: per_render.render(context), runs=10, rounds=rounds))  # noqa: B023
        print(f"  speed-up {slow / fast:.0f}x")


@contextmanager
def bench_database(server_url: str) -> Iterator[str]:
    url = make_url(server_url)
    name = f"kempen_bench_{secrets.token_hex(4)}"
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(session: Session, contacts: int) -> tuple[int, list[int]]:
    workspace = accounts.create_workspace(session, name="bench", slug="bench")
    companies = [Company(workspace_id=workspace.id, name=f"Company {n}", domain=f"c{n}.example") for n in range(20)]
    session.add_all(companies)
    session.flush()
    people = [Contact(workspace_id=workspace.id, email=f"p{n}@example.com", first_name=f"Person{n}",
                      last_name="Bench" if n % 3 else None, city="Utrecht",
                      company_id=companies[n % 20].id if n % 2 else None,
                      custom_fields={"plan": "pro" if n % 4 else "free", "points": n})
              for n in range(contacts)]
    session.add_all(people)
    session.flush()
    placed = datetime(2026, 1, 1, tzinfo=UTC)
    orders = [Order(workspace_id=workspace.id, external_id=f"o{p.id}-{k}", contact_id=p.id,
                    placed_at=placed + timedelta(days=k), amount=Decimal("30.00"), currency="EUR")
              for n, p in enumerate(people) if n % 10 < 7 for k in range(2)]
    session.add_all(orders)
    session.flush()
    session.add_all(OrderItem(workspace_id=workspace.id, order_id=o.id, sku=f"s{i}", name=f"Tea {i}",
                              quantity=i + 1, price=Decimal("10.00")) for o in orders for i in range(3))
    recompute_metrics(session, workspace_id=workspace.id, now=placed + timedelta(days=30))
    session.commit()
    return workspace.id, [p.id for p in people]


def bench_contexts(server_url: str, contacts: int, rounds: int) -> None:
    with bench_database(server_url) as url:
        engine = make_engine(url)
        upgrade_database(engine)
        with Session(engine) as session:
            workspace_id, ids = seed(session, contacts)
        print(f"contexts: {contacts} contacts on PostgreSQL")

        def bulk() -> None:
            with Session(engine) as session:
                assert len(contact_contexts(session, workspace_id=workspace_id, contact_ids=ids)) == contacts

        def one_by_one() -> None:
            with Session(engine) as session:
                for contact_id in ids[:100]:
                    contact_context(session, workspace_id=workspace_id, contact_id=contact_id)

        bulk_us = report("  contact_contexts, per contact",
                         [s / contacts for s in timings(bulk, runs=1, rounds=rounds)])
        single_us = report("  contact_context one at a time, per contact",
                           [s / 100 for s in timings(one_by_one, runs=1, rounds=rounds)])
        print(f"  speed-up {single_us / bulk_us:.0f}x")
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--skip-contexts", action="store_true")
    args = parser.parse_args()
    bench_render(args.rounds)
    if not args.skip_contexts:
        bench_contexts(args.postgres, args.contacts, args.rounds)


if __name__ == "__main__":
    main()

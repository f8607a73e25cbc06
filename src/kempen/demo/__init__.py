"""The deterministic demo dataset generator behind `kempen demo` and `kempen init`.

Decisions (see the module docstrings for details):

- Determinism: numpy `default_rng` streams seeded by (seed, first contact number of the chunk, table), and
  every timestamp is relative to midnight UTC of `--as-of` (default: today's UTC date), never the clock.
  The same --contacts, --seed and --as-of on an empty workspace give the same rows (ids follow the
  database's existing rows). Changing the as-of day shifts all dates with it.
- Identity: external ids `demo-<seed>-<number>`, emails under `@demo-s<seed>.example.com`, order external
  ids `demo-<seed>-<number>-<k>` and event idempotency keys `demo-<seed>-<number>-e<k>`; `--append` continues
  the numbering, so nothing clashes. Phones are unique per country up to about two million contacts.
- Money: orders are in the contact's local currency (MYR, IDR, INR, USD, GBP, EUR, BRL, NGN, KES, ETB, PHP);
  an order's amount is the sum of its items' price × quantity.
- Scale per million contacts: about 1.7M orders, 2.9M order items, 3.6M events, 1.8M consents,
  0.1M suppressions, 0.3M tags and 0.05M list memberships, plus 25,000 companies.
- Speed: columns are generated with numpy per chunk of 50,000 contacts and written with COPY on
  PostgreSQL and executemany on SQLite, in one transaction; ids are assigned up front and the PostgreSQL
  sequences moved past them, so later ORM inserts never collide.
- Demo rows are bulk-loaded: they enqueue no webhooks; one audit entry records each run.
"""

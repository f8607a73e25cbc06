"""The migrations build exactly the schema the models declare, on every backend."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine

from kempen.migrate import alembic_config, current_revision


def test_models_match_migrations(db: Engine) -> None:
    assert current_revision(db) is not None
    config = alembic_config()
    with db.begin() as connection:
        config.attributes["connection"] = connection
        command.check(config)  # raises if autogenerate would emit any operation

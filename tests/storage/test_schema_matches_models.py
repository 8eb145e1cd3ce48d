"""The migrations build exactly the schema the models declare, on SQLite and PostgreSQL: a column or
table added to one and not the other fails here, not in production."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from judge.storage.db import make_engine, migrate
from judge.storage.models import Base


def _differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False, "compare_server_default": False})
        diff = compare_metadata(context, Base.metadata)
    # Alembic's own version table is not a model.
    return [d for d in diff if not (d[0] == "remove_table" and d[1].name == "alembic_version")]


def test_migrated_schema_equals_the_models(database_settings):
    engine = make_engine(database_settings)
    migrate(engine)
    try:
        assert _differences(engine) == []
    finally:
        engine.dispose()

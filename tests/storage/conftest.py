"""Storage fixtures: a migrated database, on a SQLite file and (integration) on real PostgreSQL."""

from __future__ import annotations

import pytest

from judge.settings import Settings
from judge.storage.db import make_engine, migrate, session_factory
from tests.api.support import fresh_postgres_database, service_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def database_settings(request, tmp_path) -> Settings:
    """Settings on an empty database of each kind."""
    if request.param == "sqlite":
        yield Settings(storage={"data_dir": tmp_path / "data"})
        return
    base = service_url("postgres")
    for url in fresh_postgres_database(base):
        yield Settings(storage={"data_dir": tmp_path / "data", "database_url": url})


@pytest.fixture
def sessions(database_settings):
    """Sessions on the migrated database."""
    engine = make_engine(database_settings)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()

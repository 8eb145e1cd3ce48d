"""The bank's ownership rows live in the service's database: the same SQLite and PostgreSQL fixtures as tests/storage."""

from tests.storage.conftest import database_settings, sessions

__all__ = ["database_settings", "sessions"]

"""Alembic migrations of the service's database, shipped inside the package (see judge.storage.db.migrate)."""

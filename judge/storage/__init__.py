"""Durable state of the service: submissions, their check events, and API keys (SQLAlchemy 2)."""

"""Grading queued submissions: in-process (embedded) or in Celery workers over Redis, with the same jobs."""

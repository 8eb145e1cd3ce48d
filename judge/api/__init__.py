"""The judge's HTTP service (FastAPI): submissions, problems, health and metrics under /api/v1."""

"""Sandbox backends: where the trusted runner and the candidate process run."""

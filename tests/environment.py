"""What the machine running the tests offers and demands: the test services' URLs and whether a missing
Docker engine is a failure. Read from the environment the way judge.settings reads the judge's own."""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(BaseSettings):
    """The tests' own settings, kept out of the judge's `Settings`."""

    model_config = SettingsConfigDict(env_prefix="JUDGE_", extra="ignore")

    test_postgres_url: str | None = Field(
        default=None, description="PostgreSQL the integration tests use (scripts/services.sh)."
    )
    test_redis_url: str | None = Field(
        default=None, description="Redis the integration tests use (scripts/services.sh)."
    )
    require_docker: bool = Field(default=False, description="Tests needing Docker fail instead of skipping without it.")
    ci: bool = Field(
        default=False,
        validation_alias=AliasChoices("JUDGE_CI", "CI"),
        description="Running in CI (the CI variable is 'true'): a missing Docker engine fails the tests needing it.",
    )

    @field_validator("ci", mode="before")
    @classmethod
    def _ci_flag(cls, value: object) -> object:
        """CI services set CI to 'true' (or '1'); any other text means not CI rather than an error."""
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return value

    @property
    def docker_required(self) -> bool:
        """Whether a missing Docker engine is an error (CI, or asked for) rather than a reason to skip."""
        return self.require_docker or self.ci

"""The judge's one settings object, built once at start-up and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_PROBLEMS_DIR = Path(__file__).resolve().parent.parent / "problems"

SandboxName = Literal["auto", "docker", "bwrap", "process"]


class Settings(BaseSettings):
    """Every tunable of the judge; read from `JUDGE_*` environment variables, nowhere else."""

    model_config = SettingsConfigDict(env_prefix="JUDGE_", env_nested_delimiter="__", extra="ignore")

    problems_dirs: list[Path] = Field(
        default_factory=lambda: [REPO_PROBLEMS_DIR],
        description="Directories holding one sub-directory per problem.",
    )
    data_dir: Path = Field(
        default=Path(".judge-data"),
        description="Where the judge keeps its own state; hidden from candidate code.",
    )
    sandbox: SandboxName = Field(default="auto", description="Sandbox backend; auto picks the best available.")

    # Server-wide maxima: a problem may ask for less, never for more.
    max_wall_timeout_s: float = Field(default=300.0, gt=0)
    max_check_timeout_s: float = Field(default=120.0, gt=0)
    max_memory_mb: int = Field(default=4096, gt=0)

    output_cap_bytes: int = Field(default=64 * 1024, gt=0, description="Captured stdout/stderr kept per run.")
    max_source_bytes: int = Field(default=256 * 1024, gt=0, description="Largest accepted submission file.")
    candidate_pids: int = Field(default=64, gt=0, description="Processes and threads the candidate may run.")
    candidate_open_files: int = Field(default=256, gt=0)
    candidate_file_size_mb: int = Field(default=64, gt=0)

"""The judge's one settings object, built once at start-up and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
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
    sandbox: SandboxName = Field(
        default="auto",
        description=(
            "Sandbox backend. auto: docker, else bwrap; the service (serve, worker) refuses to start without either, the"
            " CLI falls back to process with a warning. process (trusted code only) is used by the service only when named."
        ),
    )

    # Server-wide maxima: a problem may ask for less, never for more.
    max_wall_timeout_s: float = Field(default=300.0, gt=0)
    max_check_timeout_s: float = Field(default=120.0, gt=0)
    max_memory_mb: int = Field(default=4096, gt=0)

    output_cap_bytes: int = Field(default=64 * 1024, gt=0, description="Captured stdout/stderr kept per run.")
    max_source_bytes: int = Field(default=256 * 1024, gt=0, description="Largest accepted submission file.")
    candidate_pids: int = Field(default=64, gt=0, description="Processes and threads the candidate may run.")
    candidate_open_files: int = Field(default=256, gt=0)
    candidate_file_size_mb: int = Field(default=64, gt=0)
    # The runner imports a problem's checks (a team's upload): contained too, with limits of its own.
    runner_memory_mb: int = Field(default=2048, gt=0, description="Memory of the runner that runs a problem's checks.")
    runner_pids: int = Field(default=64, gt=0, description="Processes and threads the runner may run.")

    # The HTTP service, its storage and queue (judge/api, judge/storage, judge/queue).
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the service's database; None: the SQLite file data_dir/judge.db.",
    )
    uploaded_problems_dir: Path | None = Field(
        default=None,
        description="Where problems uploaded over POST /problems live (the bank includes it); None: data_dir/problems.",
    )
    host: str = Field(default="127.0.0.1", description="Address `judge serve` listens on.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port `judge serve` listens on.")
    queue: Literal["embedded", "celery"] = Field(
        default="embedded",
        description="embedded: `judge serve` grades in-process; celery: `judge worker` processes grade over Redis.",
    )
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", description="The Celery broker, when queue is celery.")
    workers: int = Field(
        default=1, ge=1, le=64, description="Grades run at once: embedded threads, or each worker's concurrency."
    )
    queue_limit: int = Field(
        default=200, ge=1, description="Queued submissions beyond which POST /submissions answers 503."
    )
    queue_retry_after_s: int = Field(default=30, ge=1, description="Retry-After of a 503 when the queue is full.")
    max_attempts: int = Field(
        default=3, ge=1, le=20, description="Grading attempts of one submission before internal_error."
    )
    retry_backoff_s: float = Field(
        default=5.0, ge=0, description="Delay before regrading after a sandbox fault, doubled per attempt."
    )
    heartbeat_interval_s: float = Field(
        default=5.0, gt=0, description="How often a grading worker marks its submission alive."
    )
    heartbeat_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="A running submission whose heartbeat is older than this belongs to a dead worker.",
    )
    sweep_interval_s: float = Field(
        default=5.0,
        gt=0,
        description="How often `judge serve` queues again the running submissions whose heartbeat timed out (their worker died or hangs).",
    )
    celery_visibility_timeout_s: float | None = Field(
        default=None,
        gt=0,
        description="Seconds before Redis redelivers an unacknowledged grade; None: longer than the longest grade.",
    )
    celery_restore_interval_s: int = Field(
        default=10, ge=1, description="How often workers look for abandoned messages."
    )
    poll_interval_s: float = Field(
        default=0.5, gt=0, description="How often long-polls and event streams look for news."
    )
    max_wait_s: float = Field(default=60.0, ge=0, description="Longest ?wait= of GET /submissions/{id}.")
    stream_max_s: float = Field(default=900.0, gt=0, description="Longest an event stream stays open.")
    rate_limit_per_minute: int = Field(
        default=120,
        ge=1,
        description="Requests per credential (API key, invitation) in any minute, counted across API processes.",
    )
    rate_limit_burst: int = Field(default=30, ge=1, description="Requests per credential in any one second.")
    auth_failures_per_minute: int = Field(
        default=10,
        ge=1,
        description=(
            "Failed authentications (unknown, revoked or expired API key or invitation token; refused team sign-in) one client"
            " address may make in any minute; beyond, every authentication from that address answers 429 until the minute has passed."
        ),
    )
    rate_limit_storage_url: str | None = Field(
        default=None,
        description=(
            "Where rate-limit counts live, a `limits` storage URI (redis://..., memory://); None: redis_url when queue is celery"
            " (shared by every API process), else memory:// (this process only). A storage that does not answer lets requests"
            " through unlimited, with a logged warning, and is asked again after 5 s."
        ),
    )
    rate_limit_key_prefix: str = Field(
        default="judge",
        min_length=1,
        description="Namespace of this deployment's rate-limit counts: deployments sharing one Redis database need different ones.",
    )
    max_package_bytes: int = Field(default=16 * 2**20, gt=0, description="Largest problem package upload (compressed).")
    max_package_unpacked_bytes: int = Field(
        default=64 * 2**20, gt=0, description="Largest problem package once unpacked."
    )
    max_package_files: int = Field(
        default=500, gt=0, description="Most entries (files and directories) in one problem package."
    )
    max_uploads_per_team: int = Field(
        default=2,
        ge=1,
        description="Problem uploads one team (admins: the public bank) may have queued or validating at once; beyond, 429.",
    )
    callback_secret: SecretStr | None = Field(
        default=None,
        description="HMAC-SHA256 key signing result callbacks; None: submissions cannot ask for callbacks.",
    )
    callback_max_attempts: int = Field(
        default=6, ge=1, le=20, description="Deliveries of one callback before giving up."
    )
    callback_backoff_s: float = Field(
        default=2.0, ge=0, description="Delay before the second delivery, doubled after each."
    )
    callback_timeout_s: float = Field(default=10.0, gt=0, description="How long one callback POST may take.")
    callback_allowed_hosts: list[str] = Field(
        default_factory=list,
        description=(
            "Host names and addresses or networks (CIDR) a callback_url may reach although they are not public"
            " (JSON in JUDGE_CALLBACK_ALLOWED_HOSTS), for a team's own receiver inside the network; every other"
            " callback host must resolve only to public addresses."
        ),
    )
    team_problems_dirs: dict[str, list[Path]] = Field(
        default_factory=dict,
        description="Private problem banks: team -> directories of problems only that team sees and uses (JSON in JUDGE_TEAM_PROBLEMS_DIRS).",
    )
    invitation_grace_s: int = Field(
        default=7 * 24 * 3600,
        ge=0,
        description="How long after an assessment closes its invitations stay valid by default (to read results).",
    )
    # The web pages (judge/web).
    session_secret: SecretStr | None = Field(
        default=None,
        description="Signs team members' browser sessions and CSRF tokens; None: a random secret kept in data_dir/session-secret.",
    )
    session_max_age_s: int = Field(
        default=8 * 3600, ge=60, description="How long a team member's browser session lasts."
    )
    secure_cookies: bool = Field(
        default=False,
        description="Always mark cookies Secure; without it they are Secure when the request came over HTTPS.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description=(
            "Addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed"
            " (JSON in JUDGE_TRUSTED_PROXIES); from any other peer those headers are ignored."
        ),
    )
    test_postgres_url: str | None = Field(
        default=None, description="PostgreSQL the integration tests use (scripts/services.sh)."
    )
    test_redis_url: str | None = Field(
        default=None, description="Redis the integration tests use (scripts/services.sh)."
    )

    # Integrity (judge/similarity.py) and offline batch grading (judge/batch.py).
    similarity_threshold: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="Pairs of submissions at least this similar are flagged (copies measure 0.89-1.0, independent solutions at most 0.69).",
    )
    batch_max_archive_bytes: int = Field(
        default=256 * 2**20, gt=0, description="Largest .zip of submissions `judge grade` reads."
    )
    batch_max_submissions: int = Field(
        default=5000, gt=0, description="Most submissions one `judge grade` batch grades."
    )

    # Sandbox backends (judge/sandbox/docker.py, bwrap.py).
    docker_image: str = Field(default="judge-sandbox:latest", description="The runner image candidate containers run.")
    docker_base_image: str = Field(
        default="python:3.11-slim", description="BASE_IMAGE of an online `judge sandbox build`."
    )
    docker_offline_base_image: str = Field(
        default="judge-sandbox-base:bookworm",
        description="The debootstrapped base `judge sandbox build --offline` imports and builds on.",
    )
    # The deployment's images (docker-compose.yml; judge/sandbox/deploy.py builds them).
    service_image: str = Field(
        default="judge-service:latest", description="The service image docker-compose.yml's api and workers run."
    )
    offline_redis_image: str = Field(
        default="judge-redis:bookworm",
        description="Redis from Debian's package, built by `judge deploy build-images --offline`.",
    )
    offline_postgres_image: str = Field(
        default="judge-postgres:bookworm",
        description="PostgreSQL from Debian's package, built by `judge deploy build-images --offline`.",
    )
    docker_host: str | None = Field(
        default=None,
        description="Docker engine address (unix:// or tcp://); None: unix:///var/run/docker.sock. DOCKER_HOST and CLI contexts are not read.",
    )
    docker_cpus: float = Field(default=1.0, gt=0, description="CPU quota of each candidate container, in CPUs.")
    docker_problem_images: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Problem slug -> the runner image its candidates run in (JSON in JUDGE_DOCKER_PROBLEM_IMAGES), for problems that"
            " need more packages; build it FROM docker_image so it carries the same harness. Others use docker_image."
        ),
    )
    bwrap_path: str = Field(default="bwrap", description="The bubblewrap executable.")
    pool_size: int = Field(
        default=1,
        ge=0,
        le=16,
        description="Warm sandboxes each grading process keeps started ahead of demand (judge/sandbox/pool.py); 0: grade cold.",
    )
    pool_nice: int = Field(
        default=19,
        ge=0,
        le=19,
        description="Niceness of warm-ups (as root; raised to 0 on hand-out): 19 uses only CPU time gradings leave idle.",
    )
    pool_idle_s: float = Field(
        default=300.0,
        gt=0,
        le=3600,
        description="The warm pool empties after this long without a submission; a slot waits no longer.",
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

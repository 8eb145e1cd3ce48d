"""The judge's one settings object, built once at start-up and passed down.

`Settings` holds one group per concern. Each group reads its own `JUDGE_*` environment variables (the names
are those of the flat settings before they were grouped: `JUDGE_MAX_MEMORY_MB` is `settings.limits.max_memory_mb`,
`JUDGE_SANDBOX` is `settings.sandbox.backend`), so a deployment's environment keeps working unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_PROBLEMS_DIR = Path(__file__).resolve().parent.parent / "problems"

SandboxName = Literal["auto", "docker", "bwrap", "process"]

#: Every group: `JUDGE_` + the field's name, or its alias where the name in the group is shorter.
GROUP_CONFIG = SettingsConfigDict(env_prefix="JUDGE_", extra="forbid", populate_by_name=True)


class LimitsSettings(BaseSettings):
    """Server-wide maxima of a grading (a problem may ask for less, never for more) and the sizes kept of it."""

    model_config = GROUP_CONFIG

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
    # A notebook carries outputs and a zip its headers: the upload may exceed the code it holds.
    max_upload_bytes: int = Field(
        default=4 * 1024 * 1024, gt=0, description="Largest accepted notebook (.ipynb) or zip of a submission's files."
    )


class SandboxSettings(BaseSettings):
    """Which sandbox contains candidate code, how each backend reaches its engine, and the warm pool."""

    model_config = GROUP_CONFIG

    backend: SandboxName = Field(
        default="auto",
        validation_alias="JUDGE_SANDBOX",
        description=(
            "Sandbox backend. auto: docker, else bwrap; the service (serve, worker) refuses to start without either, the"
            " CLI falls back to process with a warning. process (trusted code only) is used by the service only when named."
        ),
    )
    docker_image: str = Field(default="judge-sandbox:latest", description="The runner image candidate containers run.")
    docker_problem_images: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Problem slug -> the runner image its candidates run in (JSON in JUDGE_DOCKER_PROBLEM_IMAGES), for problems that"
            " need more packages; build it FROM docker_image so it carries the same harness. Others use docker_image."
        ),
    )
    docker_host: str | None = Field(
        default=None,
        description="Docker engine address (unix:// or tcp://); None: unix:///var/run/docker.sock. DOCKER_HOST and CLI contexts are not read.",
    )
    docker_cpus: float = Field(default=1.0, gt=0, description="CPU quota of each candidate container, in CPUs.")
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


class ImagesSettings(BaseSettings):
    """The images `judge sandbox build` and `judge deploy build-images` build on and make (judge/sandbox/deploy.py)."""

    model_config = GROUP_CONFIG

    docker_base_image: str = Field(
        default="python:3.11-slim", description="BASE_IMAGE of an online `judge sandbox build`."
    )
    docker_offline_base_image: str = Field(
        default="judge-sandbox-base:bookworm",
        description="The debootstrapped base `judge sandbox build --offline` imports and builds on.",
    )
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


class StorageSettings(BaseSettings):
    """Where the judge keeps its state (judge/storage)."""

    model_config = GROUP_CONFIG

    data_dir: Path = Field(
        default=Path(".judge-data"),
        description="Where the judge keeps its own state; hidden from candidate code.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the service's database; None: the SQLite file data_dir/judge.db.",
    )


class ProblemsSettings(BaseSettings):
    """Where the problem bank's problems come from."""

    model_config = GROUP_CONFIG

    dirs: list[Path] = Field(
        default_factory=lambda: [REPO_PROBLEMS_DIR],
        validation_alias="JUDGE_PROBLEMS_DIRS",
        description="Directories holding one sub-directory per problem.",
    )
    uploaded_dir: Path | None = Field(
        default=None,
        validation_alias="JUDGE_UPLOADED_PROBLEMS_DIR",
        description="Where problems uploaded over POST /problems live (the bank includes it); None: data_dir/problems.",
    )
    team_dirs: dict[str, list[Path]] = Field(
        default_factory=dict,
        validation_alias="JUDGE_TEAM_PROBLEMS_DIRS",
        description="Private problem banks: team -> directories of problems only that team sees and uses (JSON in JUDGE_TEAM_PROBLEMS_DIRS).",
    )


class UploadsSettings(BaseSettings):
    """Bounds of a problem package uploaded over POST /problems."""

    model_config = GROUP_CONFIG

    max_package_bytes: int = Field(default=16 * 2**20, gt=0, description="Largest problem package upload (compressed).")
    max_package_unpacked_bytes: int = Field(
        default=64 * 2**20, gt=0, description="Largest problem package once unpacked."
    )
    max_package_files: int = Field(
        default=500, gt=0, description="Most entries (files and directories) in one problem package."
    )
    max_per_team: int = Field(
        default=2,
        ge=1,
        validation_alias="JUDGE_MAX_UPLOADS_PER_TEAM",
        description="Problem uploads one team (admins: the public bank) may have queued or validating at once; beyond, 429.",
    )


class ServiceSettings(BaseSettings):
    """The HTTP service (`judge serve`): where it listens, whom it believes, its cookies and long polls."""

    model_config = GROUP_CONFIG

    host: str = Field(default="127.0.0.1", description="Address `judge serve` listens on.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port `judge serve` listens on.")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description=(
            "Addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed"
            " (JSON in JUDGE_TRUSTED_PROXIES); from any other peer those headers are ignored."
        ),
    )
    secure_cookies: bool = Field(
        default=False,
        description="Always mark cookies Secure; without it they are Secure when the request came over HTTPS.",
    )
    session_secret: SecretStr | None = Field(
        default=None,
        description="Signs team members' browser sessions and CSRF tokens; None: a random secret kept in data_dir/session-secret.",
    )
    session_max_age_s: int = Field(
        default=8 * 3600, ge=60, description="How long a team member's browser session lasts."
    )
    poll_interval_s: float = Field(
        default=0.5, gt=0, description="How often long-polls and event streams look for news."
    )
    max_wait_s: float = Field(default=60.0, ge=0, description="Longest ?wait= of GET /submissions/{id}.")
    stream_max_s: float = Field(default=900.0, gt=0, description="Longest an event stream stays open.")


class QueueSettings(BaseSettings):
    """How queued submissions reach a grader (judge/queue): the backend, its bounds, retries and heartbeats."""

    model_config = GROUP_CONFIG

    backend: Literal["embedded", "celery"] = Field(
        default="embedded",
        validation_alias="JUDGE_QUEUE",
        description="embedded: `judge serve` grades in-process; celery: `judge worker` processes grade over Redis.",
    )
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0", description="The Celery broker, when the backend is celery."
    )
    workers: int = Field(
        default=1, ge=1, le=64, description="Grades run at once: embedded threads, or each worker's concurrency."
    )
    limit: int = Field(
        default=200,
        ge=1,
        validation_alias="JUDGE_QUEUE_LIMIT",
        description="Queued submissions beyond which POST /submissions answers 503.",
    )
    retry_after_s: int = Field(
        default=30, ge=1, validation_alias="JUDGE_QUEUE_RETRY_AFTER_S", description="Retry-After of a 503 when full."
    )
    max_tries: int = Field(
        default=3,
        ge=1,
        le=20,
        validation_alias="JUDGE_MAX_ATTEMPTS",
        description="Times one submission (or uploaded problem) is graded after a fault before internal_error.",
    )
    retry_backoff_s: float = Field(
        default=5.0, ge=0, description="Delay before regrading after a sandbox fault, doubled per try."
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


class RateLimitsSettings(BaseSettings):
    """Requests per credential and failed authentications per client address (judge/app/ratelimits.py)."""

    model_config = GROUP_CONFIG

    per_minute: int = Field(
        default=120,
        ge=1,
        validation_alias="JUDGE_RATE_LIMIT_PER_MINUTE",
        description="Requests per credential (API key, invitation) in any minute, counted across API processes.",
    )
    burst: int = Field(
        default=30,
        ge=1,
        validation_alias="JUDGE_RATE_LIMIT_BURST",
        description="Requests per credential in any one second.",
    )
    runs_per_minute: int = Field(
        default=6,
        ge=1,
        validation_alias="JUDGE_RUNS_PER_MINUTE",
        description=(
            "Runs (public checks, never counted; judge/runs.py) per candidate or API key in any minute, on top of"
            " the request limit: each Run takes a sandbox."
        ),
    )
    auth_failures_per_minute: int = Field(
        default=10,
        ge=1,
        description=(
            "Failed authentications (unknown, revoked or expired API key or invitation token; refused team sign-in) one client"
            " address may make in any minute; beyond, every authentication from that address answers 429 until the minute has passed."
        ),
    )
    storage_url: str | None = Field(
        default=None,
        validation_alias="JUDGE_RATE_LIMIT_STORAGE_URL",
        description=(
            "Where rate-limit counts live, a `limits` storage URI (redis://..., memory://); None: the queue's redis_url when"
            " its backend is celery (shared by every API process), else memory:// (this process only). A storage that does"
            " not answer lets requests through unlimited, with a logged warning, and is asked again after 5 s."
        ),
    )
    key_prefix: str = Field(
        default="judge",
        min_length=1,
        validation_alias="JUDGE_RATE_LIMIT_KEY_PREFIX",
        description="Namespace of this deployment's rate-limit counts: deployments sharing one Redis database need different ones.",
    )


class CallbacksSettings(BaseSettings):
    """Signed result callbacks to a team's receiver (judge/queue/callbacks.py)."""

    model_config = GROUP_CONFIG

    secret: SecretStr | None = Field(
        default=None,
        validation_alias="JUDGE_CALLBACK_SECRET",
        description="HMAC-SHA256 key signing result callbacks; None: submissions cannot ask for callbacks.",
    )
    max_deliveries: int = Field(
        default=6,
        ge=1,
        le=20,
        validation_alias="JUDGE_CALLBACK_MAX_ATTEMPTS",
        description="Deliveries of one callback before giving up.",
    )
    backoff_s: float = Field(
        default=2.0,
        ge=0,
        validation_alias="JUDGE_CALLBACK_BACKOFF_S",
        description="Delay before the second delivery, doubled after each.",
    )
    timeout_s: float = Field(
        default=10.0,
        gt=0,
        validation_alias="JUDGE_CALLBACK_TIMEOUT_S",
        description="How long one callback POST may take.",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        validation_alias="JUDGE_CALLBACK_ALLOWED_HOSTS",
        description=(
            "Host names and addresses or networks (CIDR) a callback_url may reach although they are not public"
            " (JSON in JUDGE_CALLBACK_ALLOWED_HOSTS), for a team's own receiver inside the network; every other"
            " callback host must resolve only to public addresses."
        ),
    )


class AssessmentsSettings(BaseSettings):
    """Defaults of assessments and the integrity check of their reports (judge/similarity.py)."""

    model_config = GROUP_CONFIG

    invitation_grace_s: int = Field(
        default=7 * 24 * 3600,
        ge=0,
        description="How long after an assessment closes its invitations stay valid by default (to read results).",
    )
    similarity_threshold: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description=(
            "Pairs of submissions at least this similar are flagged, in assessment reports and `judge grade` batches"
            " (copies measure 0.89-1.0, independent solutions at most 0.69)."
        ),
    )
    draft_sweep_interval_s: float = Field(
        default=5.0,
        gt=0,
        description=(
            "How often each API process submits the drafts of candidates whose time ran out"
            " (judge/assessments/drafts.py); a candidate's own next visit does it at once."
        ),
    )


class BatchSettings(BaseSettings):
    """Bounds of offline batch grading (`judge grade` of a .zip, judge/batch.py)."""

    model_config = GROUP_CONFIG

    max_archive_bytes: int = Field(
        default=256 * 2**20,
        gt=0,
        validation_alias="JUDGE_BATCH_MAX_ARCHIVE_BYTES",
        description="Largest .zip of submissions `judge grade` reads.",
    )
    max_submissions: int = Field(
        default=5000,
        gt=0,
        validation_alias="JUDGE_BATCH_MAX_SUBMISSIONS",
        description="Most submissions one `judge grade` batch grades.",
    )


class PlaybackSettings(BaseSettings):
    """Code playback: the editor events a candidate's page records (judge/assessments/playback.py) and the
    thresholds of the flags derived from them (never scored)."""

    model_config = GROUP_CONFIG

    max_bytes: int = Field(
        default=2 * 2**20,
        gt=0,
        validation_alias="JUDGE_PLAYBACK_MAX_BYTES",
        description="Most bytes of edit log kept per candidate, all problems together; past it a batch is a 413.",
    )
    paste_flag_percent: float = Field(
        default=20.0,
        ge=0,
        le=100,
        validation_alias="JUDGE_PLAYBACK_PASTE_FLAG_PERCENT",
        description="Pasted text that survives in a submitted file and makes up at least this share of it is flagged.",
    )
    away_flag_s: float = Field(
        default=60.0,
        ge=0,
        validation_alias="JUDGE_PLAYBACK_AWAY_FLAG_S",
        description="A candidate away from the problem page this long in total (tab switched, window left) is flagged.",
    )


class ClientSettings(BaseSettings):
    """How the CLI reaches a judge service (`judge submit`, `judge problems ... --server`; judge/client)."""

    model_config = GROUP_CONFIG

    server_url: str | None = Field(
        default=None, description="The service to talk to, e.g. http://127.0.0.1:8000 (`--server` beats it)."
    )
    api_key: SecretStr | None = Field(default=None, description="The API key sent to it (`--key` beats it).")
    invite_token: SecretStr | None = Field(
        default=None, description="A candidate's invitation token, sent instead of a key (`--invite` beats it)."
    )
    timeout_s: float = Field(
        default=30.0, gt=0, validation_alias="JUDGE_CLIENT_TIMEOUT_S", description="Timeout of one request."
    )
    wait_s: float = Field(
        default=1800.0,
        gt=0,
        validation_alias="JUDGE_CLIENT_WAIT_S",
        description="Longest `judge submit --server` waits for grading to finish.",
    )


class Settings(BaseModel):
    """Every tunable of the judge, one group per concern; each group reads its `JUDGE_*` environment variables.

    A group given as a mapping (`Settings(queue={"workers": 2})`) takes the fields it names from the mapping
    and the others from the environment, like an omitted group."""

    model_config = ConfigDict(extra="forbid")

    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    images: ImagesSettings = Field(default_factory=ImagesSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    problems: ProblemsSettings = Field(default_factory=ProblemsSettings)
    uploads: UploadsSettings = Field(default_factory=UploadsSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)
    rate_limits: RateLimitsSettings = Field(default_factory=RateLimitsSettings)
    callbacks: CallbacksSettings = Field(default_factory=CallbacksSettings)
    assessments: AssessmentsSettings = Field(default_factory=AssessmentsSettings)
    batch: BatchSettings = Field(default_factory=BatchSettings)
    playback: PlaybackSettings = Field(default_factory=PlaybackSettings)
    client: ClientSettings = Field(default_factory=ClientSettings)

    @model_validator(mode="before")
    @classmethod
    def _groups_read_the_environment(cls, data: Any) -> Any:
        """Build a group given as a mapping through its constructor: validating a mapping alone would skip the
        environment and silently give the group's defaults for every field the mapping leaves out."""
        if not isinstance(data, dict):
            return data
        built = dict(data)
        for name, value in data.items():
            field = cls.model_fields.get(name)
            group = field.annotation if field is not None else None
            if isinstance(value, dict) and isinstance(group, type) and issubclass(group, BaseSettings):
                built[name] = group(**value)
        return built

"""The service the hostile-input tests attack: the real app over real HTTP (uvicorn) on the suite's
private PostgreSQL, grading with the FakeSandbox (grading is not what these tests attack)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from judge.app.factory import create_app
from judge.app.state import ServiceState
from judge.settings import Settings
from judge.storage import keys
from judge.storage.models import Role, utcnow
from tests.api.support import fake_sandbox_factory, free_port, wait_for
from tests.conftest import PROBLEMS

#: Small caps, so that over-limit bodies are cheap to send.
MAX_SOURCE_BYTES = 64 * 1024
MAX_PACKAGE_BYTES = 256 * 1024
MAX_PACKAGE_UNPACKED_BYTES = 2 * 2**20


@dataclass
class Snapshot:
    """What the service holds: rows per table and files under its data directory."""

    rows: dict[str, int]
    files: list[str]


@dataclass
class HostileService:
    """The running service, its keys and invitation tokens."""

    base: str
    state: ServiceState
    settings: Settings
    server: uvicorn.Server
    thread: threading.Thread
    keys: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    expired_after_s: float = 0.0  # time.monotonic() after which the "expired" invitation has expired

    def client(self, **headers: str) -> httpx.Client:
        """A client with `headers` (e.g. X-API-Key)."""
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)

    def as_key(self, who: str) -> httpx.Client:
        """A client authenticated with the API key of `who` (admin, team, candidate, other_candidate)."""
        return self.client(**{"X-API-Key": self.keys[who]})

    def snapshot(self) -> Snapshot:
        """Rows per table and every file under the data directory."""
        engine = create_engine(self.settings.storage.database_url, poolclass=NullPool)
        try:
            tables = inspect(engine).get_table_names()
            with engine.connect() as connection:
                rows = {
                    t: connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                    for t in tables
                    if t != "alembic_version"
                }
        finally:
            engine.dispose()
        root = self.settings.storage.data_dir
        files = (
            sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink())
            if root.exists()
            else []
        )
        return Snapshot(rows, [f for f in files if not f.startswith("judge.db")])

    def stop(self) -> None:
        """Stop the server."""
        self.server.should_exit = True
        self.thread.join(30)


def start_hostile_service(root: Path, database_url: str) -> HostileService:
    """Start the app on `database_url` in a uvicorn thread; make keys and an assessment with invitations."""
    settings = Settings(
        problems={"dirs": [PROBLEMS]},
        storage={"data_dir": root / "data", "database_url": database_url},
        queue={"backend": "embedded"},
        limits={"max_source_bytes": MAX_SOURCE_BYTES},
        uploads={
            "max_package_bytes": MAX_PACKAGE_BYTES,
            "max_package_unpacked_bytes": MAX_PACKAGE_UNPACKED_BYTES,
            "max_package_files": 50,
        },
        rate_limits={"per_minute": 10**6, "burst": 10**6, "auth_failures_per_minute": 10**6},
        service={"poll_interval_s": 0.05, "max_wait_s": 1, "stream_max_s": 1},
    )
    app = create_app(settings, sandbox_factory=fake_sandbox_factory)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True, name="hostile-uvicorn")
    thread.start()
    wait_for(lambda: server.started, 60, "the hostile-input service to start")
    state: ServiceState = app.state.judge
    service = HostileService(
        base=f"http://127.0.0.1:{port}", state=state, settings=state.settings, server=server, thread=thread
    )
    with state.sessions() as session:
        for who, role in (
            ("admin", Role.ADMIN),
            ("team", Role.TEAM),
            ("candidate", Role.CANDIDATE),
            ("other_candidate", Role.CANDIDATE),
        ):
            service.keys[who] = keys.create_key(session, role, who).secret
        revoked = keys.create_key(session, Role.ADMIN, "revoked")
        keys.revoke_key(session, revoked.row.id)
        service.keys["revoked"] = revoked.secret
    _invite(service)
    return service


def _invite(service: HostileService) -> None:
    """An open assessment with invitations for alice, bob, the fuzzer, and one expiring in two seconds."""
    now = utcnow()
    with service.as_key("team") as team:
        body = {
            "title": "hostile",
            "problems": [{"problem": "vae-mnist"}, {"problem": "aigc-concepts"}],
            "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(hours=2)).isoformat(),
            "duration_s": 3600,
        }
        made = team.post("/api/v1/assessments", json=body)
        assert made.status_code == 201, made.text
        assessment = made.json()["id"]
        invitations = [
            ("alice", {}),
            ("bob", {}),
            ("fuzz", {}),
            ("expired", {"expires_at": (utcnow() + timedelta(seconds=2)).isoformat()}),
        ]
        for who, extra in invitations:
            issued = team.post(f"/api/v1/assessments/{assessment}/invitations", json={"candidate_name": who, **extra})
            assert issued.status_code == 201, issued.text
            service.tokens[who] = issued.json()["token"]
    service.expired_after_s = time.monotonic() + 2.5

"""Hostile input over real HTTP: a fuzzer over the whole OpenAPI schema, then oversized, malformed and
crafted requests, forged tokens and path tricks. Every one gets a clear 4xx (application/problem+json
from the app, or the HTTP server's own 4xx for what never reaches it) and leaves no row and no file.
"""

from __future__ import annotations

import io
import json
import socket
import stat
import tarfile
import time
import uuid
import zipfile
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase

from tests.conftest import PROBLEMS
from tests.reliability import report
from tests.reliability.hostile_service import (
    MAX_PACKAGE_UNPACKED_BYTES,
    MAX_SOURCE_BYTES,
    HostileService,
    start_hostile_service,
)

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

#: Hypothesis examples per API operation: about 40 operations, a few seconds each.
EXAMPLES_PER_OPERATION = 25
PROBLEM_JSON = "application/problem+json"


@pytest.fixture(scope="module")
def hostile(private_postgres, tmp_path_factory):
    """The service under attack, on its own database of the suite's PostgreSQL."""
    database_url = private_postgres.create_database(f"hostile_{uuid.uuid4().hex[:8]}")
    service = start_hostile_service(tmp_path_factory.mktemp("hostile"), database_url)
    yield service
    service.stop()


def _lines(problem: Path, patterns: tuple[str, ...]) -> set[str]:
    found: set[str] = set()
    for pattern in patterns:
        for path in problem.glob(pattern):
            found |= {line.strip() for line in path.read_text().splitlines() if len(line.strip()) >= 30}
    return found


def secret_texts() -> list[str]:
    """Distinctive lines of every problem's hidden checks, reference solutions, mutants and quiz keys
    that no problem's public files (statement, starter, public checks) hold too: a line any problem shows
    (an import every check file starts with) is no secret of another."""
    hidden: set[str] = set()
    public: set[str] = set()
    for problem in PROBLEMS.iterdir():
        hidden |= _lines(problem, ("checks/*.py", "solution.py", "mutants/*.py", "solution.json"))
        # A quiz's questions and options are public; its answers and explanations are not.
        hidden |= {line for line in _lines(problem, ("quiz.toml",)) if line.startswith(("answer", "explanation"))}
        public |= _lines(problem, ("statement.md", "starter.*", "public/*.py", "problem.toml"))
    return sorted(line for line in hidden - public if not any(line in p for p in public))


def assert_clear_4xx(answer, *, statuses: tuple[int, ...] = (), app: bool = True) -> None:
    """A 4xx (one of `statuses` when given); from the app, a problem+json with a detail."""
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:500])
    if statuses:
        assert answer.status_code in statuses, (answer.status_code, answer.text[:500])
    if app:
        assert answer.headers.get("content-type", "").startswith(PROBLEM_JSON), answer.headers
        assert answer.json()["detail"], answer.text


def assert_nothing_left(service: HostileService, before) -> None:
    """No row and no file appeared."""
    after = service.snapshot()
    assert after.rows == before.rows, f"rows changed: {before.rows} -> {after.rows}"
    assert after.files == before.files, f"files appeared: {sorted(set(after.files) - set(before.files))}"


# ---------------------------------------------------------------------------------- fuzzing


def test_schemathesis_over_the_whole_api(hostile):
    """Every operation of the OpenAPI schema, fuzzed: no 5xx, and every answer matches the schema
    (documented status, content type, body and headers)."""
    started = time.monotonic()
    schema = schemathesis.openapi.from_url(f"{hostile.base}/api/v1/openapi.json")
    checks = [
        schemathesis.checks.not_a_server_error,
        schemathesis.checks.status_code_conformance,
        schemathesis.checks.content_type_conformance,
        schemathesis.checks.response_schema_conformance,
        schemathesis.checks.response_headers_conformance,
    ]
    # The fuzzer's own invitation: it may well press Finish.
    headers = {"X-API-Key": hostile.keys["admin"], "X-Invitation-Token": hostile.tokens["fuzz"]}
    failures: dict[str, str] = {}
    calls = 0
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case) -> None:
            nonlocal calls
            calls += 1
            case.call_and_validate(headers=headers, checks=checks, timeout=30)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every operation is fuzzed; failures are listed together
            failures[operation.label] = str(exc)[:1500]
    report.note(
        "hostile: schemathesis",
        f"{operations} operations, {calls} requests, failing operations: {len(failures)}",
        time.monotonic() - started,
    )
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


# ---------------------------------------------------------------------------------- bodies


def test_bodies_over_the_size_limit(hostile):
    before = hostile.snapshot()
    tried = 0
    with hostile.as_key("candidate") as client:
        big = "x" * (MAX_SOURCE_BYTES + 1)
        for answer in (
            client.post("/api/v1/submissions", json={"problem": "vae-mnist", "source": big}),
            client.post("/api/v1/submissions", data={"problem": "vae-mnist"}, files={"file": ("s.py", big.encode())}),
            # Over the whole-body cap, declared up front and sent in chunks without a length.
            client.post(
                "/api/v1/submissions", content=b"{" * (64 * 2**20), headers={"Content-Type": "application/json"}
            ),
            client.post(
                "/api/v1/submissions", content=iter([b"x" * 2**20] * 40), headers={"Content-Type": "application/json"}
            ),
        ):
            tried += 1
            assert_clear_4xx(answer, statuses=(413,))
    with hostile.as_key("team") as client:
        tried += 1
        answer = client.post(
            "/api/v1/problems", files={"package": ("p.zip", b"\0" * (hostile.settings.uploads.max_package_bytes + 10))}
        )
        assert_clear_4xx(answer, statuses=(413,))
    assert_nothing_left(hostile, before)
    report.note("hostile: oversized bodies", f"{tried} requests, all 413, nothing stored")


def test_invalid_utf8_and_nul_bytes(hostile):
    before = hostile.snapshot()
    cases = {
        "multipart file not UTF-8": dict(
            data={"problem": "vae-mnist"}, files={"file": ("s.py", b"def f():\n    return '\xff\xfe'\n")}
        ),
        "JSON body not UTF-8": dict(
            content=b'{"problem": "vae-mnist", "source": "\xff\xfe"}', headers={"Content-Type": "application/json"}
        ),
        "source with a NUL byte": dict(json={"problem": "vae-mnist", "source": "import os\x00\n"}),
        "file with a NUL byte": dict(data={"problem": "vae-mnist"}, files={"file": ("s.py", b"x = 1\x00\n")}),
        "problem slug with a NUL byte": dict(json={"problem": "vae-mnist\x00", "source": "x = 1\n"}),
        "multipart slug not UTF-8": dict(files={"problem": (None, b"vae\xff"), "file": ("s.py", b"x = 1\n")}),
    }
    with hostile.as_key("candidate") as client:
        for request in cases.values():
            answer = client.post("/api/v1/submissions", **request)
            assert_clear_4xx(answer, statuses=(400, 413, 415, 422))
        nul_paths = [
            "/api/v1/submissions/%00",
            "/api/v1/submissions/abc%00def",
            "/api/v1/problems/%00",
            "/api/v1/assessments/%00",
            "/api/v1/problems?x=%00",
        ]
        for path in nul_paths:
            answer = client.get(path)
            assert answer.status_code < 500, (path, answer.status_code, answer.text)
            if answer.status_code >= 400:
                assert_clear_4xx(answer)
    with hostile.client(**{"X-API-Key": "judge_%00_x"}) as client:
        assert_clear_4xx(client.get("/api/v1/submissions"), statuses=(401,))
    with hostile.client(Cookie="judge_invitation=inv_\x01") as client:
        assert_clear_4xx(client.get("/api/v1/candidate"), statuses=(401,))
    assert_nothing_left(hostile, before)
    report.note(
        "hostile: invalid UTF-8 and NUL bytes", f"{len(cases) + len(nul_paths) + 2} requests, all 4xx, nothing stored"
    )


def test_deeply_nested_json(hostile):
    before = hostile.snapshot()
    depth = 100_000
    bodies = {
        "nested arrays": "[" * depth + "]" * depth,
        "nested objects in a field": '{"problem": "vae-mnist", "source": "x", "callback_url": '
        + '{"a":' * depth
        + "1"
        + "}" * depth
        + "}",
        "unterminated nesting": "[" * depth,
    }
    with hostile.as_key("team") as client:
        for body in bodies.values():
            for path in ("/api/v1/submissions", "/api/v1/assessments"):
                answer = client.post(path, content=body, headers={"Content-Type": "application/json"})
                assert_clear_4xx(answer, statuses=(400, 422))
    assert_nothing_left(hostile, before)
    report.note("hostile: deeply nested JSON", f"{len(bodies) * 2} requests ({depth} levels), all 4xx, nothing stored")


def _raw_request(base: str, head: bytes) -> bytes:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(head)
        chunks = []
        try:
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
    return b"".join(chunks)


def test_huge_and_malformed_headers(hostile):
    key = hostile.keys["candidate"].encode()
    heads = {
        "one 1 MiB header": b"GET /api/v1/submissions HTTP/1.1\r\nHost: x\r\nX-API-Key: "
        + key
        + b"\r\nX-Big: "
        + b"a" * 2**20
        + b"\r\n\r\n",
        "10 000 headers": b"GET /api/v1/submissions HTTP/1.1\r\nHost: x\r\n"
        + b"".join(b"X-H%d: v\r\n" % i for i in range(10_000))
        + b"\r\n",
        "1 MiB URL": b"GET /api/v1/submissions?" + b"a" * 2**20 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        "NUL in a header": b"GET /api/v1/submissions HTTP/1.1\r\nHost: x\r\nX-API-Key: judge_\x00_x\r\n\r\n",
        "header without a colon": b"GET /api/v1/submissions HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n",
        "bad Content-Length": b"POST /api/v1/submissions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        "huge API key": b"GET /api/v1/submissions HTTP/1.1\r\nHost: x\r\nX-API-Key: judge_"
        + b"a" * 8000
        + b"_b\r\n\r\n",
    }
    for name, head in heads.items():
        # Ask the server to close after answering, so that reading to the end does not wait for a timeout.
        answer = _raw_request(hostile.base, head.replace(b"Host: x\r\n", b"Host: x\r\nConnection: close\r\n", 1))
        status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None
        # The server may also just close the connection on garbage; it must never answer 5xx.
        assert status is None or 400 <= status < 500, (name, answer[:300])
    with hostile.as_key("candidate") as client:
        assert client.get("/api/v1/submissions").status_code == 200, "the service survived"
    report.note(
        "hostile: huge and malformed headers",
        f"{len(heads)} raw requests, all 4xx or closed; the service still answers",
    )


# ---------------------------------------------------------------------------------- uploads


def _zip(entries: list[tuple[str, bytes, int | None]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode is not None:
                info.external_attr = mode << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _tar(add) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        add(archive)
    return buffer.getvalue()


def _tar_member(
    archive: tarfile.TarFile, name: str, data: bytes = b"x", kind: bytes = tarfile.REGTYPE, link: str = ""
) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(data) if kind == tarfile.REGTYPE else 0
    archive.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def hostile_packages() -> dict[str, bytes]:
    """Archives the upload route must refuse before anything reaches the bank."""
    toml = (
        (PROBLEMS / "vae-mnist" / "problem.toml")
        .read_bytes()
        .replace(b'slug = "vae-mnist"', b'slug = "hostile-upload"')
    )
    ok = [("p/problem.toml", toml, None)]
    zero = b"\0" * (MAX_PACKAGE_UNPACKED_BYTES * 4)
    return {
        "zip bomb": _zip([*ok, ("p/bomb.bin", zero, None)]),
        "zip bomb across many files": _zip(
            [*ok, *[(f"p/b{i}.bin", b"\0" * (MAX_PACKAGE_UNPACKED_BYTES // 4), None) for i in range(8)]]
        ),
        "too many files": _zip([*ok, *[(f"p/f{i}.txt", b"x", None) for i in range(200)]]),
        "zip symlink": _zip([*ok, ("p/link", b"/etc/passwd", stat.S_IFLNK | 0o777)]),
        "zip absolute path": _zip([*ok, ("/tmp/judge-hostile-abs.txt", b"x", None)]),
        "zip dot-dot path": _zip([*ok, ("p/../../judge-hostile-up.txt", b"x", None)]),
        "zip backslash dot-dot": _zip([*ok, ("p\\..\\..\\judge-hostile-bs.txt", b"x", None)]),
        "tar symlink": _tar(
            lambda a: (
                _tar_member(a, "p/problem.toml", toml),
                _tar_member(a, "p/solution.py", kind=tarfile.SYMTYPE, link="/etc/passwd"),
            )
        ),
        "tar hard link": _tar(
            lambda a: (
                _tar_member(a, "p/problem.toml", toml),
                _tar_member(a, "p/solution.py", kind=tarfile.LNKTYPE, link="/etc/passwd"),
            )
        ),
        "tar absolute path": _tar(
            lambda a: (_tar_member(a, "p/problem.toml", toml), _tar_member(a, "/tmp/judge-hostile-tar.txt"))
        ),
        "tar dot-dot path": _tar(
            lambda a: (_tar_member(a, "p/problem.toml", toml), _tar_member(a, "p/../../judge-hostile-tar-up.txt"))
        ),
        "tar device": _tar(
            lambda a: (_tar_member(a, "p/problem.toml", toml), _tar_member(a, "p/dev", kind=tarfile.CHRTYPE))
        ),
        "tar bomb": _tar(lambda a: (_tar_member(a, "p/problem.toml", toml), _tar_member(a, "p/bomb.bin", zero))),
        "not an archive": b"MZ this is not a zip or a tar",
        "empty": b"",
    }


def test_hostile_problem_uploads(hostile):
    before = hostile.snapshot()
    packages = hostile_packages()
    with hostile.as_key("team") as client:
        for name, data in packages.items():
            answer = client.post("/api/v1/problems", files={"package": ("package.bin", data)})
            assert_clear_4xx(answer, statuses=(413, 422))
            assert client.get("/api/v1/problems/hostile-upload").status_code == 404, name
    for leaked in ("/tmp/judge-hostile-abs.txt", "/tmp/judge-hostile-tar.txt"):
        assert not Path(leaked).exists()
    uploads = hostile.settings.problems.uploaded_dir or hostile.settings.storage.data_dir / "problems"
    staging = uploads.with_name(uploads.name + ".staging")
    assert not (staging.exists() and any(staging.iterdir())), "upload staging left behind"
    assert not (uploads.exists() and any(uploads.iterdir())), "a hostile package was installed"
    assert_nothing_left(hostile, before)
    report.note(
        "hostile: problem uploads",
        f"{len(packages)} archives (bombs, links, absolute and .. paths, devices), all 413/422, nothing left",
    )


# ---------------------------------------------------------------------------------- tokens


def test_wrong_revoked_expired_and_other_candidates_tokens(hostile):
    before = hostile.snapshot()
    tried = 0
    with hostile.as_key("candidate") as alice_key:
        mine = alice_key.post("/api/v1/submissions", json={"problem": "aigc-concepts", "source": '{"answers": {}}'})
        assert mine.status_code == 202, mine.text
    before = hostile.snapshot()  # that submission is legitimate
    mine_id = mine.json()["id"]
    real = hostile.keys["candidate"]
    bad_keys = {
        "unknown": "judge_000000000000_" + "a" * 43,
        "malformed": "not-a-key",
        "right id, wrong secret": real[: real.rindex("_") + 1] + "A" * 43,
        "revoked": hostile.keys["revoked"],
        "an invitation token": hostile.tokens["alice"],
        "a key with a NUL escape": "judge_%00_x",
    }
    for presented in bad_keys.values():
        for headers in ({"X-API-Key": presented}, {"Authorization": f"Bearer {presented}"}):
            with hostile.client(**headers) as client:
                tried += 1
                assert_clear_4xx(client.get("/api/v1/submissions"), statuses=(401, 403))
    with hostile.as_key("other_candidate") as other:
        for path in (f"/api/v1/submissions/{mine_id}", f"/api/v1/submissions/{mine_id}/events"):
            tried += 1
            assert_clear_4xx(other.get(path), statuses=(404,))
        tried += 1
        assert mine_id not in other.get("/api/v1/submissions").text
    # Invitation tokens: unknown, an API key, another candidate's submission, expired.
    for presented in ("inv_" + "a" * 40, "", hostile.keys["admin"], hostile.tokens["alice"] + "x"):
        with hostile.client(**{"X-Invitation-Token": presented}) as client:
            tried += 1
            assert_clear_4xx(client.get("/api/v1/candidate"), statuses=(401,))
    with hostile.client(**{"X-Invitation-Token": hostile.tokens["alice"]}) as alice:
        started = alice.post("/api/v1/candidate/start")
        assert started.status_code in (200, 201), started.text
        sent = alice.post(
            "/api/v1/candidate/submissions", json={"problem": "aigc-concepts", "source": '{"answers": {}}'}
        )
        assert sent.status_code == 202, sent.text
        entry = sent.json()["id"]
    before = hostile.snapshot()
    with hostile.client(**{"X-Invitation-Token": hostile.tokens["bob"]}) as bob:
        for path in (f"/api/v1/candidate/submissions/{entry}", f"/api/v1/candidate/submissions/{entry}/events"):
            tried += 1
            assert_clear_4xx(bob.get(path), statuses=(404,))
        tried += 1
        assert_clear_4xx(bob.get(f"/api/v1/submissions/{mine_id}"), statuses=(401,))
    time.sleep(max(0.0, hostile.expired_after_s - time.monotonic()))
    with hostile.client(**{"X-Invitation-Token": hostile.tokens["expired"]}) as expired:
        for method, path in (("GET", "/api/v1/candidate"), ("POST", "/api/v1/candidate/start")):
            tried += 1
            assert_clear_4xx(expired.request(method, path), statuses=(401,))
    assert_nothing_left(hostile, before)
    report.note(
        "hostile: tokens",
        f"{tried} requests with wrong, revoked, expired or other candidates' credentials, all 401/404",
    )


# ---------------------------------------------------------------------------------- hidden files


TRAVERSALS = [
    "../vae-mnist/solution.py",
    "vae-mnist/solution.py",
    "vae-mnist/checks/test_vae.py",
    "vae-mnist%2Fsolution.py",
    "vae-mnist%2fchecks%2ftest_vae.py",
    "%2e%2e%2fvae-mnist%2fsolution.py",
    "..%2fvae-mnist%2fsolution.py",
    "..%252fvae-mnist%252fsolution.py",
    "vae-mnist%00.py",
    "vae-mnist/starter/../solution.py",
    "vae-mnist/starter%2f..%2fsolution.py",
    "..%5cvae-mnist%5csolution.py",
    "%c0%ae%c0%ae/vae-mnist/solution.py",
    "vae-mnist/../../problems/vae-mnist/solution.py",
    "aigc-concepts/solution.json",
    "aigc-concepts/quiz.toml",
    "VAE-MNIST",
    "vae-mnist.",
    "vae-mnist/mutants",
]


def test_candidates_cannot_reach_hidden_checks_or_references(hostile):
    before = hostile.snapshot()
    secrets = secret_texts()
    raw_paths = [f"/api/v1/problems/{t}" for t in TRAVERSALS]
    raw_paths += [f"/api/v1/problems/{t}/starter" for t in TRAVERSALS]
    raw_paths += [f"/api/v1/candidate/problems/{t}" for t in TRAVERSALS]
    raw_paths += [
        "/problems/vae-mnist/solution.py",
        "/api/v1/../../problems/vae-mnist/solution.py",
        "/static/../problems/vae-mnist/solution.py",
    ]
    tried = 0
    for headers in ({"X-API-Key": hostile.keys["candidate"]}, {"X-Invitation-Token": hostile.tokens["alice"]}):
        for path in raw_paths:
            tried += 1
            answer = _raw_request(
                hostile.base,
                f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".encode()
                + b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items())
                + b"\r\n",
            )
            status = int(answer.split(b" ", 2)[1])
            assert 400 <= status < 500, (path, answer[:300])
            text = answer.decode(errors="replace")
            assert not [s for s in secrets if s in text], f"{path} leaked hidden text"
    # What candidates may read never holds hidden text either.
    with hostile.as_key("candidate") as client:
        for slug in ("vae-mnist", "aigc-concepts"):
            for path in (f"/api/v1/problems/{slug}", f"/api/v1/problems/{slug}/starter"):
                tried += 1
                body = client.get(path).text
                assert not [s for s in secrets if s in body], f"{path} leaked hidden text"
    with hostile.client(**{"X-Invitation-Token": hostile.tokens["alice"]}) as alice:
        tried += 1
        body = alice.get("/api/v1/candidate/problems/vae-mnist").text
        assert not [s for s in secrets if s in body], "the candidate's problem view leaked hidden text"
    assert_nothing_left(hostile, before)
    report.note(
        "hostile: hidden files",
        f"{tried} requests for hidden checks, references and quiz keys by path tricks: 4xx, nothing leaked",
    )


def test_service_still_healthy_after_the_attacks(hostile):
    with hostile.as_key("candidate") as client:
        sent = client.post(
            "/api/v1/submissions", json={"problem": "aigc-concepts", "source": json.dumps({"answers": {}})}
        )
        assert sent.status_code == 202, sent.text
        done = client.get(f"/api/v1/submissions/{sent.json()['id']}", params={"wait": 1}).json()
        assert done["status"] in ("queued", "running", "completed")

"""Every flag of a candidate in the reports with its evidence, and a team's reviews of flags over HTTP (real
app, FakeSandbox): the round trip, who may review, the refusals, and the exports carrying both."""

from __future__ import annotations

import csv
import io

from tests.api.test_assessments import SOLUTION_BODY, clock, refused, started, world  # noqa: F401 - fixtures

# Bob's copy of Ada's code, renamed and with a tampering import on line 2.
COPIED = "# fake: fail=gaussian_value\nimport ctypes\n" + SOLUTION_BODY.replace("ratio", "r").replace("squared", "sq")


def _flagged(world):
    """Ada's solution and Bob's flagged copy of it; (service, acme, acme2, globex, assessment, ada, bob)."""
    service, acme, acme2, globex = world
    assessment = acme.create()
    ada, ada_token = started(service, acme, assessment["id"], "Ada")
    bob, bob_token = started(service, acme, assessment["id"], "Bob")
    ada_token.submitted(SOLUTION_BODY)
    bob_token.submitted(COPIED)
    bob_token.submitted(COPIED)
    return service, acme, acme2, globex, assessment, ada, bob


def _review_path(assessment: dict, invitation: dict, key: str) -> str:
    return f"/assessments/{assessment['id']}/candidates/{invitation['id']}/flags/{key}/review"


def test_the_candidate_report_lists_every_flag_with_its_evidence(world):
    _service, acme, _acme2, _globex, assessment, ada, bob = _flagged(world)
    report = acme.candidate(assessment["id"], bob["id"])
    flags = {f["key"]: f for f in report["flags"]}
    ctypes_flag = flags["ast:kl-divergence:ctypes:2"]
    assert ctypes_flag["source"] == "code" and ctypes_flag["kind"] == "ctypes"
    assert ctypes_flag["problem"] == "kl-divergence" and "ctypes" in ctypes_flag["message"]
    assert ctypes_flag["evidence"] == {
        "type": "code",
        "line": 2,
        "snippet": "import ctypes",
        "attempts": [1, 2],
    }, "one flag for the same construct in both attempts"
    similar = flags[f"similar:kl-divergence:{ada['id']}"]
    assert similar["source"] == "similarity" and similar["review"] is None
    evidence = similar["evidence"]
    assert evidence["type"] == "similarity" and evidence["other_candidate"] == "Ada"
    assert evidence["other_invitation_id"] == ada["id"] and evidence["similarity"] >= 0.5 and evidence["lines"]
    assert evidence["compare_url"].startswith(f"/team/assessments/{assessment['id']}/similar/kl-divergence/")
    assert report["row"]["flags"] == len(flags) and report["row"]["unreviewed_flags"] == len(flags)
    # The AST flags of each attempt stay where current clients read them.
    assert report["row"]["integrity_flags"] == 2
    assert all(e["integrity_flags"] for e in report["problems"][0]["entries"])
    ada_flags = acme.candidate(assessment["id"], ada["id"])["flags"]
    assert ada_flags[0]["key"] == f"similar:kl-divergence:{bob['id']}"
    # Bob's other attempts are not compared pairwise in the assessment, but the stored fingerprints find them.
    for other in ada_flags[1:]:
        assert other["source"] == "cross_assessment" and other["evidence"]["other_invitation_id"] == bob["id"]


def test_a_team_reviews_a_flag_changes_the_review_and_takes_it_back(world):
    _service, acme, acme2, _globex, assessment, _ada, bob = _flagged(world)
    key = "ast:kl-divergence:ctypes:2"
    path = _review_path(assessment, bob, key)
    answer = acme.call("PUT", path, json={"outcome": "dismissed", "note": "ctypes only imported, never used"})
    assert answer.status_code == 200, answer.text
    review = answer.json()["review"]
    assert review["outcome"] == "dismissed" and review["reviewer"] == "acme recruiter"
    assert review["note"] == "ctypes only imported, never used" and review["reviewed_at"]
    # Another key of the same team sees it, and the counts follow.
    report = acme2.candidate(assessment["id"], bob["id"])
    assert next(f for f in report["flags"] if f["key"] == key)["review"]["outcome"] == "dismissed"
    assert report["row"]["unreviewed_flags"] == report["row"]["flags"] - 1
    assert f"{key}=dismissed" in report["row"]["flag_list"]
    # A new review replaces the one before.
    answer = acme2.call("PUT", path, json={"outcome": "confirmed"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["review"] == {
        **answer.json()["review"],
        "outcome": "confirmed",
        "note": "",
        "reviewer": "acme lead",
    }
    flags = acme.candidate(assessment["id"], bob["id"])["flags"]
    assert [f["review"]["outcome"] for f in flags if f["review"]] == ["confirmed"]
    # Taking it back, twice: the second is a no-op.
    for _ in range(2):
        answer = acme.call("DELETE", path)
        assert answer.status_code == 200 and answer.json()["key"] == key and answer.json()["review"] is None
    report = acme.candidate(assessment["id"], bob["id"])
    assert all(f["review"] is None for f in report["flags"])
    assert report["row"]["unreviewed_flags"] == report["row"]["flags"]


def test_reviews_of_what_is_not_a_current_flag_or_not_the_team_s_are_refused(world):
    _service, acme, _acme2, globex, assessment, ada, bob = _flagged(world)
    body = {"outcome": "dismissed", "note": "fine"}
    stale = acme.call("PUT", _review_path(assessment, bob, "ast:kl-divergence:gc:7"), json=body)
    detail = refused(stale, 404, None)["detail"]
    assert "no flag 'ast:kl-divergence:gc:7'" in detail and "report lists the current flags" in detail
    # Bob's flag is not Ada's: keys belong to one invitation.
    refused(acme.call("PUT", _review_path(assessment, ada, "ast:kl-divergence:ctypes:2"), json=body), 404, None)
    refused(acme.call("DELETE", _review_path(assessment, bob, "ast:kl-divergence:gc:7")), 404, None)
    key = "ast:kl-divergence:ctypes:2"
    too_long = refused(
        acme.call("PUT", _review_path(assessment, bob, key), json={**body, "note": "x" * 2001}), 422, None
    )
    assert "note" in too_long["detail"]
    assert acme.call("PUT", _review_path(assessment, bob, key), json={**body, "note": "x" * 2000}).status_code == 200
    refused(acme.call("PUT", _review_path(assessment, bob, key), json={"outcome": "maybe"}), 422, None)
    refused(acme.call("PUT", _review_path(assessment, bob, key), json={**body, "score": 0}), 422, None)
    refused(acme.call("PUT", _review_path(assessment, bob, "not a key!"), json=body), 422, None)
    # Another team: the 404 of an unknown assessment, and nothing changes.
    unknown = refused(globex.call("PUT", _review_path({"id": "nope"}, bob, key), json=body), 404, None)
    theirs = refused(globex.call("PUT", _review_path(assessment, bob, key), json=body), 404, None)
    assert theirs["detail"] == unknown["detail"].replace("nope", assessment["id"])
    refused(globex.call("DELETE", _review_path(assessment, bob, key)), 404, None)
    flag = next(f for f in acme.candidate(assessment["id"], bob["id"])["flags"] if f["key"] == key)
    assert flag["review"]["note"] == "x" * 2000 and flag["review"]["reviewer"] == "acme recruiter"


def test_the_exports_carry_every_flag_with_its_review(world):
    _service, acme, _acme2, _globex, assessment, ada, bob = _flagged(world)
    key = "ast:kl-divergence:ctypes:2"
    answer = acme.call("PUT", _review_path(assessment, bob, key), json={"outcome": "confirmed", "note": "see line 2"})
    assert answer.status_code == 200, answer.text
    exported = acme.call("GET", f"/assessments/{assessment['id']}/export", params={"format": "json"}).json()
    by_name = {c["row"]["candidate_name"]: c for c in exported["candidates"]}
    bob_flags = {f["key"]: f for f in by_name["Bob"]["flags"]}
    assert bob_flags[key]["review"]["note"] == "see line 2" and bob_flags[key]["evidence"]["snippet"] == "import ctypes"
    assert bob_flags[f"similar:kl-divergence:{ada['id']}"]["evidence"]["other_candidate"] == "Ada"
    as_csv = acme.call("GET", f"/assessments/{assessment['id']}/export", params={"format": "csv"}).text
    rows = {r["candidate_name"]: r for r in csv.DictReader(io.StringIO(as_csv))}
    assert rows["Bob"]["flags"] == "2" and rows["Bob"]["unreviewed_flags"] == "1"
    assert rows["Bob"]["flag_list"] == f"{key}=confirmed; similar:kl-divergence:{ada['id']}=unreviewed"
    ada_listed = rows["Ada"]["flag_list"].split("; ")
    assert ada_listed[0] == f"similar:kl-divergence:{bob['id']}=unreviewed"
    # The rest: Bob's other attempts, found through the stored fingerprints.
    assert all(item.startswith("cross:kl-divergence:") for item in ada_listed[1:])
    assert rows["Ada"]["flags"] == str(len(ada_listed))

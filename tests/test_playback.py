"""Replaying edit logs (judge/assessments/playback.py) without a service: batches onto the server's clock,
edits and snapshots of one and several files packed as the editor packs them, several page loads, and
the facts and flags derived from a log."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from judge import bundle
from judge.assessments.playback import (
    SubmissionMark,
    events_summary,
    files_at,
    merged_events,
    pack,
    playback_flags,
    text_at,
    texts,
)
from judge.settings import PlaybackSettings
from judge.storage.models import EditLog

T = 1_900_000_000_000


def _log(events: list[dict], page: str = "page-a", seq: int = 0, offset: int = 0) -> EditLog:
    body = json.dumps(events)
    return EditLog(
        invitation_id="inv",
        problem="p",
        page=page,
        seq=seq,
        received_at=datetime.now(UTC),
        clock_offset_ms=offset,
        events=body,
        size_bytes=len(body),
    )


def _snapshot(t: int, *files: tuple[str | None, str]) -> dict:
    return {"type": "snapshot", "t": t, "reason": "load", "files": [{"file": f, "text": x} for f, x in files]}


def _edit(t: int, at: int, delete: int, insert: str, file: str | None = None, kind: str = "insertText") -> dict:
    return {"type": "edit", "t": t, "file": file, "at": at, "delete": delete, "insert": insert, "input": kind}


def test_edits_replay_to_each_moments_text():
    rows = [_log([_snapshot(T, (None, "abc")), _edit(T + 1, 3, 0, "d"), _edit(T + 2, 0, 1, "X")])]
    events = merged_events(rows)
    assert [text for _position, _event, text in texts(events)] == ["abc", "abcd", "Xbcd"]
    assert [text_at(events, n) for n in range(4)] == ["", "abc", "abcd", "Xbcd"]


def test_each_page_load_is_put_on_the_servers_clock_by_its_smallest_offset_and_keeps_its_order():
    first = _log([_snapshot(T, (None, "one")), _edit(T + 10, 3, 0, "!")], page="page-a", seq=0, offset=500)
    late = _log([_edit(T + 20, 4, 0, "?")], page="page-a", seq=1, offset=900)  # a slow network: more delay
    other = _log([_snapshot(T + 100, (None, "two"))], page="page-b", offset=0)
    events = merged_events([late, other, first])
    assert [(e.page, e.event.t) for e in events] == [
        ("page-b", T + 100),
        ("page-a", T + 500),
        ("page-a", T + 510),
        ("page-a", T + 520),
    ]
    assert text_at(events, 1) == "two"
    assert text_at(events, 4) == "one!?", "the text is that of the page load changed last"


def test_several_files_are_packed_as_the_editor_and_judge_bundle_pack_them():
    names = ["model.py", "utils.py"]
    rows = [
        _log(
            [
                _snapshot(T, ("model.py", "import utils\n"), ("utils.py", "")),
                _edit(T + 1, 0, 0, "X = 1", "utils.py"),
            ]
        )
    ]
    events = merged_events(rows)
    packed = text_at(events, 2)
    assert packed == bundle.pack({"model.py": "import utils\n", "utils.py": "X = 1"}, names)
    assert bundle.unpack(packed, names) == {"model.py": "import utils\n", "utils.py": "X = 1\n"}
    assert [(f.file, f.text) for f in files_at(events, 2)] == [("model.py", "import utils\n"), ("utils.py", "X = 1")]
    assert pack({None: "alone"}, [None]) == "alone"


def test_a_paste_that_survives_is_counted_and_one_from_the_editor_itself_is_told_apart():
    code = "def f(x):\n    return x * 2\n"
    head = "import torch\n"
    rows = [
        _log(
            [
                _snapshot(T, (None, head)),
                {"type": "paste", "t": T + 1, "file": None, "size": len(code), "text": code},
                _edit(T + 2, len(head), 0, code, kind="insertFromPaste"),
                {"type": "paste", "t": T + 3, "file": None, "size": len(head), "text": head},
                _edit(T + 4, len(head + code), 0, head, kind="insertFromPaste"),
                _edit(T + 5, 0, 0, "# hi\n"),
            ]
        )
    ]
    summary = events_summary("pp", rows, "# hi\n" + head + code)
    outside, inside = summary.pastes
    assert (outside.survives, outside.from_editor, outside.surviving_chars) == (True, False, len(code.strip()))
    assert (inside.survives, inside.from_editor) == (True, True)
    assert summary.characters_typed == len("# hi\n")
    assert summary.characters_pasted == len(code) + len(head)
    assert summary.pasted_share_percent == round(100 * len(code.strip()) / len(("# hi\n" + head + code).strip()), 1)


def test_times_away_end_with_the_page_coming_back_and_one_never_back_is_not_counted():
    rows = [
        _log(
            [
                {"type": "away", "t": T, "reason": "blur"},
                {"type": "away", "t": T + 500, "reason": "hidden"},  # the same leaving, seen twice
                {"type": "back", "t": T + 30_000},
                {"type": "away", "t": T + 40_000, "reason": "hidden"},  # left for good (closed, another page)
            ]
        )
    ]
    summary = events_summary("pp", rows, None)
    assert (summary.away_count, summary.away_s) == (1, 30.0)
    assert summary.pasted_share_percent is None


def _mark(entry_id: str, matches: bool) -> SubmissionMark:
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    return SubmissionMark(entry_id=entry_id, number=1, submitted_at=moment, t=0, position=0, matches_log=matches)


def test_code_with_no_history_is_flagged_only_where_the_page_recorded_something():
    recorded = events_summary("aa", [_log([_snapshot(T, (None, "x"))])], "x")
    silent = events_summary("bb", [], "y")
    settings = PlaybackSettings()
    flags = playback_flags([recorded, silent], {"aa": [_mark("e1", True)], "bb": [_mark("e2", False)]}, settings)
    assert [(f.key, f.message) for f in flags] == [
        (
            "no_history:bb:e2",
            "attempt 1: the submitted code appeared with no typing history (the page recorded nothing for this problem)",
        )
    ]
    assert playback_flags([silent], {"bb": [_mark("e2", False)]}, settings) == [], (
        "no recording at all (the API, or script off): nothing to compare with"
    )

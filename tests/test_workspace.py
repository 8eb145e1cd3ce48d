"""The workspace: checks kept in a private directory, the submission read-only, removal that follows no link."""

import os
import stat

from judge.problem import load_problem
from judge.workspace import prepare_workspace
from tests.problem_factory import make_problem


def test_layout_and_permissions(tmp_path):
    problem = load_problem(make_problem(tmp_path))
    workspace = prepare_workspace(problem, b"print('hi')\n", candidate_uid=None)
    try:
        assert sorted(p.name for p in workspace.checks_dir.iterdir()) == ["test_add.py", "test_add_public.py"]
        assert stat.S_IMODE(os.stat(workspace.trusted_dir).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(workspace.candidate_dir).st_mode) == 0o755
        submission = workspace.candidate_dir / "solution.py"
        assert submission.read_bytes() == b"print('hi')\n"
        assert stat.S_IMODE(os.stat(submission).st_mode) == 0o644
        assert workspace.probes_path.read_text() == problem.probes_path.read_text()
        assert not (workspace.candidate_dir / "checks").exists()
    finally:
        workspace.remove()
    assert not workspace.root.exists()


def test_removal_does_not_follow_planted_links(tmp_path):
    problem = load_problem(make_problem(tmp_path))
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("keep")
    workspace = prepare_workspace(problem, b"", candidate_uid=None)
    (workspace.candidate_dir / "tmp" / "link").symlink_to(precious)
    (workspace.candidate_dir / "tmp" / "file-link").symlink_to(precious / "keep.txt")
    workspace.remove()
    assert (precious / "keep.txt").read_text() == "keep"

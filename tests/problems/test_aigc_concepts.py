"""aigc-concepts: the key scores full marks, every known-bad answers file loses points, malformed files score 0
without raising, and `judge problems show` never reveals the key or the explanations."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from judge.cli import app
from judge.errors import InvalidSubmission
from judge.problem import load_problem
from judge.quiz import parse_answers
from judge.result import Outcome, Verdict

SLUG = "aigc-concepts"
ROOT = Path(__file__).resolve().parents[2] / "problems" / SLUG
PROBLEM = load_problem(ROOT)
QUIZ = PROBLEM.quiz
KEY = json.loads(PROBLEM.solution_path.read_text(encoding="utf-8"))["answers"]
MUTANTS = PROBLEM.mutants
QUESTIONS = {q.id: q for q in QUIZ.questions}

# The mistake each targeted mutant makes: which questions it must lose, and the reason graded for each.
TARGETED = {
    "one_wrong_option": ({"gan_training_difficulties"}, "incorrect"),
    "missing_answer": ({"reparameterization_gradient"}, "not answered"),
    "superset": ({"kl_term"}, "incorrect"),
    "subset": ({"applications"}, "incorrect"),
    "nonexistent_option": ({"watermarking"}, "chose an option that does not exist"),
    "misconceptions": (
        {"vae_blurriness", "temperature_effect", "reparameterization_formula", "non_saturating_loss"},
        "incorrect",
    ),
    "uppercase_labels": (set(QUESTIONS), "chose an option that does not exist"),
}

MALFORMED = {
    "not_json": "a, b, c",
    "empty_file": "",
    "truncated_json": '{"answers": {"gan_roles": "a"',
    "top_level_list": '["a", "b"]',
    "top_level_string": '"a"',
    "null": "null",
    "missing_answers_key": '{"gan_roles": "a"}',
    "misspelled_answers_key": '{"answer": {"gan_roles": "a"}}',
    "extra_top_level_key": '{"answers": {"gan_roles": "a"}, "name": "me"}',
    "answers_is_list": '{"answers": ["a", "b"]}',
    "answer_is_number": '{"answers": {"gan_roles": 1}}',
    "answer_is_object": '{"answers": {"gan_roles": {"label": "a"}}}',
    "nested_list": '{"answers": {"model_families": [["a", "c"], "e"]}}',
    "list_with_number": '{"answers": {"model_families": ["a", 3]}}',
    "answer_is_null": '{"answers": {"gan_roles": null}}',
}


def _collapse(text: str) -> str:
    """Text with every run of whitespace turned into one space, so Rich's line wrapping does not matter."""
    return re.sub(r"\s+", " ", text).strip()


def _show(env: dict[str, str] | None = None) -> str:
    """The output of `judge problems show aigc-concepts`, asserting that it succeeded."""
    result = CliRunner().invoke(app, ["problems", "show", SLUG], env=env)
    assert result.exit_code == 0, result.output
    return result.output


# --- The package itself ----------------------------------------------------------------------------


def test_quiz_covers_both_kinds_with_enough_questions():
    kinds = Counter(q.kind for q in QUIZ.questions)
    assert len(QUIZ.questions) >= 14
    assert kinds["single"] >= 5 and kinds["multiple"] >= 5, kinds


def test_every_question_has_a_substantial_explanation_and_prompt():
    for q in QUIZ.questions:
        assert len(q.explanation) >= 80, q.id
        assert q.prompt.rstrip().endswith("?"), q.id


def test_key_is_not_guessable_from_label_or_length():
    # A key concentrated on one label, or always on the longest option, could be guessed without knowledge.
    singles = [q for q in QUIZ.questions if q.kind == "single"]
    by_label = Counter(q.answer[0] for q in singles)
    assert max(by_label.values()) <= len(singles) // 2, by_label
    longest_is_key = sum(
        q.labels[max(range(len(q.options)), key=lambda i: len(q.options[i]))] == q.answer[0] for q in singles
    )
    assert longest_is_key <= len(singles) // 2
    multiples = [q for q in QUIZ.questions if q.kind == "multiple"]
    # Every multiple-choice question has at least one wrong option, and no two keys make a trivial pattern.
    assert all(len(q.answer) < len(q.options) for q in multiples)
    assert len({tuple(q.answer) for q in multiples}) >= 4


def test_solution_answers_every_question_with_the_key():
    assert set(KEY) == set(QUESTIONS)
    for qid, choice in KEY.items():
        chosen = {choice} if isinstance(choice, str) else set(choice)
        assert chosen == set(QUESTIONS[qid].answer), qid


def test_statement_example_is_a_valid_answers_file_that_reveals_nothing():
    example = re.search(r"```json\n(.*?)```", PROBLEM.statement(), re.S)
    assert example is not None, "statement.md shows an example answers file"
    answers = parse_answers(example.group(1))
    # The example uses made-up ids, so it cannot hint at any real question's key.
    assert answers.answers and not set(answers.answers) & set(QUESTIONS)


def test_statement_totals_match_the_quiz():
    text = PROBLEM.statement()
    singles = [q for q in QUIZ.questions if q.kind == "single"]
    multiples = [q for q in QUIZ.questions if q.kind == "multiple"]
    assert {q.points for q in singles} == {1.0} and {q.points for q in multiples} == {2.0}
    assert f"| single choice | 1 | {len(singles)} | {len(singles)} |" in text
    assert f"| multiple choice | 2 | {len(multiples)} | {2 * len(multiples)} |" in text
    assert f"**{len(QUIZ.questions)}** | **{PROBLEM.max_score:g}** |" in text
    assert f"A quiz of {len(QUIZ.questions)} questions" in text


# --- Grading -----------------------------------------------------------------------------------------


def test_solution_gets_full_marks(grade):
    result = grade(SLUG, PROBLEM.solution_path)
    assert result.score == result.max_score == PROBLEM.max_score
    assert result.verdict == Verdict.ACCEPTED
    assert all(c.outcome is Outcome.PASSED and c.message == "" for c in result.checks)


def test_key_written_as_lists_in_any_order_gets_full_marks(grade):
    # The statement promises: "b" == ["b"], label order does not matter, repeats count once.
    rewritten = {qid: ([c] if isinstance(c, str) else list(reversed(c)) + c[:1]) for qid, c in KEY.items()}
    result = grade(SLUG, json.dumps({"answers": rewritten}))
    assert result.score == result.max_score


def test_unknown_question_ids_are_ignored(grade):
    result = grade(SLUG, json.dumps({"answers": {**KEY, "not_a_question": "a"}}))
    assert result.verdict == Verdict.ACCEPTED


def test_starter_scores_zero_with_every_question_unanswered(grade):
    result = grade(SLUG, PROBLEM.starter_path)
    assert result.score == 0
    assert result.verdict == Verdict.WRONG_ANSWER
    assert {c.message for c in result.checks} == {"not answered"}
    assert len(result.checks) == len(QUIZ.questions)


def test_every_mutant_is_targeted_or_known():
    assert len(MUTANTS) >= 5
    assert {m.stem for m in MUTANTS} == set(TARGETED) | {"all_a"}


@pytest.mark.parametrize("path", MUTANTS, ids=lambda p: p.stem)
def test_mutant_loses_points(grade, path):
    result = grade(SLUG, path)
    assert result.score < result.max_score
    assert result.verdict != Verdict.ACCEPTED
    lost = {c.id: c.message for c in result.checks if c.points < c.max_points}
    if path.stem in TARGETED:
        questions, message = TARGETED[path.stem]
        assert set(lost) == questions, lost
        assert set(lost.values()) == {message}
    # Points are all-or-nothing per question.
    assert all(c.points in (0.0, c.max_points) for c in result.checks)
    assert result.score == sum(QUESTIONS[c.id].points for c in result.checks if c.outcome is Outcome.PASSED)


def test_all_a_scores_only_the_questions_keyed_a(grade):
    result = grade(SLUG, ROOT / "mutants" / "all_a.json")
    expected = {q.id for q in QUIZ.questions if q.answer == ["a"]}
    assert {c.id for c in result.checks if c.outcome is Outcome.PASSED} == expected
    assert result.score == sum(QUESTIONS[i].points for i in expected)
    assert result.score < result.max_score / 4


@pytest.mark.parametrize("text", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_answers_file_scores_zero_with_a_clear_message(grade, text):
    result = grade(SLUG, text)  # must not raise
    assert result.score == 0
    assert result.verdict == Verdict.RUNTIME_ERROR
    assert len(result.checks) == len(QUIZ.questions)
    messages = {c.message for c in result.checks}
    assert len(messages) == 1, "every question reports the same problem with the file"
    (message,) = messages
    assert message.startswith("answers file ") and "\n" not in message and len(message) <= 300
    assert all(c.outcome is Outcome.ERROR and c.points == 0 for c in result.checks)


def test_not_json_message_names_the_problem(grade):
    result = grade(SLUG, "a, b, c")
    assert result.checks[0].message.startswith("answers file is not valid JSON")


def test_wrong_shape_message_shows_the_expected_shape(grade):
    result = grade(SLUG, '{"answers": {"gan_roles": 1}}')
    assert '{"answers": {"q1": "b"}}' in result.checks[0].message


def test_non_utf8_answers_file_is_refused_not_graded(grade):
    # Undecodable bytes cannot be graded at all: grading raises InvalidSubmission (CLI exit 2), by design.
    with pytest.raises(InvalidSubmission, match="UTF-8"):
        grade(SLUG, b'{"answers": {"gan_roles": "\xff"}}')


# --- `judge problems show` -------------------------------------------------------------------------


def test_show_prints_every_question_and_option():
    out = _collapse(_show())
    for number, q in enumerate(QUIZ.questions, 1):
        kind = "choose one" if q.kind == "single" else "choose all that apply"
        assert f"{number}. {q.id} ({kind}, {q.points:g} pt)" in out, q.id
        assert _collapse(q.prompt) in out, q.id
        for label, option in zip(q.labels, q.options):
            assert _collapse(f"{label}) {option}") in out, (q.id, label)


def test_show_never_prints_explanations_or_the_key():
    raw = _show()
    out = _collapse(raw)
    for q in QUIZ.questions:
        assert _collapse(q.explanation) not in out, q.id
        assert _collapse(q.explanation[:60]) not in out, q.id
        # The key as it would appear if solution.json or quiz.toml were echoed.
        assert f'"{q.id}"' not in raw, q.id
    assert "explanation" not in out.lower()
    assert "answer = [" not in raw and PROBLEM.solution_path.read_text(encoding="utf-8").strip() not in raw


def test_show_output_does_not_depend_on_the_key(tmp_path):
    # Same questions with a different key and different explanations must render identically:
    # the strongest evidence that nothing derived from the key reaches the candidate.
    copy = tmp_path / SLUG
    shutil.copytree(ROOT, copy)
    quiz_path = copy / "quiz.toml"
    text = quiz_path.read_text(encoding="utf-8")
    text, n_answers = re.subn(r"^answer = \[.*\]$", 'answer = ["b"]', text, flags=re.M)
    text, n_explanations = re.subn(r'^explanation = ".*"$', 'explanation = "replaced"', text, flags=re.M)
    assert n_answers == n_explanations == len(QUIZ.questions)
    quiz_path.write_text(text, encoding="utf-8")
    assert load_problem(copy).quiz.questions[0].answer == ["b"]
    env = {"JUDGE_PROBLEMS_DIRS": json.dumps([str(tmp_path)])}
    assert _show() == _show(env=env)
    # Guard against a vacuous pass: the env really points `show` at the copy.
    with (copy / "statement.md").open("a", encoding="utf-8") as statement:
        statement.write("\nmarker-of-the-copy\n")
    assert "marker-of-the-copy" in _show(env=env)

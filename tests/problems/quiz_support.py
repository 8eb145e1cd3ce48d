"""Checks shared by the tests of quiz problems: the package is well formed, the key is not guessable, the
key scores full marks, each known-bad answers file loses exactly the points it should, and
`judge problems show` prints the questions but nothing derived from the key.

Each test module of a quiz builds one `QuizPackage` and one `TARGETED` table and calls these helpers from
short, explicitly named test functions, so a failure names the quiz and the property that broke.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from typer.testing import CliRunner

from judge.bank.loader import find_packages
from judge.cli import app
from judge.problem import Kind, Problem, load_problem
from judge.quiz import Question, load_quiz, parse_answers
from judge.result import GradeResult, Outcome, Verdict
from tests.conftest import PROBLEMS

# Messages the grader gives a question that earned nothing (judge/quiz.py).
NOT_ANSWERED = "not answered"
INCORRECT = "incorrect"
NONEXISTENT = "chose an option that does not exist"

# A few malformed answers files: the quiz must grade each 0 on every question, with one clear message.
MALFORMED = {
    "not_json": "a, b, c",
    "empty_file": "",
    "top_level_list": '["a", "b"]',
    "missing_answers_key": '{"q": "a"}',
    "answer_is_number": '{"answers": {"q": 1}}',
    "nested_list": '{"answers": {"q": [["a", "c"], "e"]}}',
}


@dataclass
class QuizPackage:
    """One quiz problem as its tests see it: the loaded problem, its questions and its key."""

    slug: str
    problem: Problem = field(init=False)
    questions: dict[str, Question] = field(init=False)
    key: dict[str, str | list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.problem = load_problem(self.root)
        assert self.problem.spec.kind is Kind.QUIZ and self.problem.quiz is not None
        self.questions = {q.id: q for q in self.problem.quiz.questions}
        self.key = json.loads(self.problem.solution_path.read_text(encoding="utf-8"))["answers"]

    @property
    def root(self) -> Path:
        """The problem's directory in the repository's bank."""
        return PROBLEMS / self.slug

    @property
    def mutants(self) -> list[Path]:
        """The known-bad answers files."""
        return self.problem.mutants

    def singles(self) -> list[Question]:
        """The single-choice questions, in quiz order."""
        return [q for q in self.questions.values() if q.kind == "single"]

    def multiples(self) -> list[Question]:
        """The multiple-choice questions, in quiz order."""
        return [q for q in self.questions.values() if q.kind == "multiple"]


def _collapse(text: str) -> str:
    """Text with every run of whitespace turned into one space, so Rich's line wrapping does not matter."""
    return re.sub(r"\s+", " ", text).strip()


def show(slug: str, env: dict[str, str] | None = None) -> str:
    """The output of `judge problems show <slug>`, asserting that it succeeded."""
    result = CliRunner().invoke(app, ["problems", "show", slug], env=env)
    assert result.exit_code == 0, result.output
    return result.output


# --- The package -------------------------------------------------------------------------------------


def assert_well_formed(pkg: QuizPackage, min_questions: int = 14) -> None:
    """Enough questions of both kinds; every prompt is a question without Rich markup; explanations are
    substantial; single-choice questions are worth 1 point and multiple-choice ones 2."""
    kinds = Counter(q.kind for q in pkg.questions.values())
    assert len(pkg.questions) >= min_questions, len(pkg.questions)
    assert kinds["single"] >= 5 and kinds["multiple"] >= 5, kinds
    for q in pkg.questions.values():
        assert q.prompt.rstrip().endswith("?"), q.id
        # The CLI renders prompts and options with Rich markup on: a square bracket could swallow text.
        assert "[" not in q.prompt and not any("[" in option for option in q.options), q.id
        assert len(q.explanation) >= 80, q.id
        assert len(set(q.options)) == len(q.options), f"{q.id}: two options are the same"
        assert q.points == (1.0 if q.kind == "single" else 2.0), q.id


def assert_key_not_guessable(pkg: QuizPackage) -> None:
    """No label dominates the single-choice key, the key is not usually the longest option, every
    multiple-choice question has a wrong option, and the multiple-choice keys do not repeat one pattern."""
    singles = pkg.singles()
    by_label = Counter(q.answer[0] for q in singles)
    assert max(by_label.values()) <= len(singles) // 3 + 1, by_label
    longest_is_key = sum(
        q.labels[max(range(len(q.options)), key=lambda i: len(q.options[i]))] == q.answer[0] for q in singles
    )
    assert longest_is_key <= len(singles) // 3 + 1, longest_is_key
    multiples = pkg.multiples()
    assert all(1 <= len(q.answer) < len(q.options) for q in multiples)
    assert len({tuple(sorted(q.answer)) for q in multiples}) >= min(len(multiples), 5)
    # Picking the longest options of a multiple-choice question must not reproduce its key too often.
    longest_set_is_key = 0
    for q in multiples:
        by_length = sorted(range(len(q.options)), key=lambda i: -len(q.options[i]))
        longest_set_is_key += {q.labels[i] for i in by_length[: len(q.answer)]} == set(q.answer)
    assert longest_set_is_key <= len(multiples) // 3, longest_set_is_key


def assert_solution_is_the_key(pkg: QuizPackage) -> None:
    """solution.json answers every question with exactly the keyed labels."""
    assert set(pkg.key) == set(pkg.questions)
    for qid, choice in pkg.key.items():
        chosen = {choice} if isinstance(choice, str) else set(choice)
        assert chosen == set(pkg.questions[qid].answer), qid


def assert_starter_is_empty(pkg: QuizPackage) -> None:
    """starter.json is exactly the empty answers file the statement describes."""
    assert json.loads(pkg.problem.starter_path.read_text(encoding="utf-8")) == {"answers": {}}


def assert_statement_matches(pkg: QuizPackage) -> None:
    """The statement's example is a valid answers file with made-up ids, and its totals match the quiz."""
    text = pkg.problem.statement()
    example = re.search(r"```json\n(.*?)```", text, re.S)
    assert example is not None, "statement.md shows an example answers file"
    answers = parse_answers(example.group(1))
    assert answers.answers and not set(answers.answers) & set(pkg.questions)
    singles, multiples = pkg.singles(), pkg.multiples()
    assert f"| single choice | 1 | {len(singles)} | {len(singles)} |" in text
    assert f"| multiple choice | 2 | {len(multiples)} | {2 * len(multiples)} |" in text
    assert f"**{len(pkg.questions)}** | **{pkg.problem.max_score:g}** |" in text
    assert f"A quiz of {len(pkg.questions)} questions" in text
    assert f"judge problems show {pkg.slug}" in text and f"judge grade {pkg.slug} answers.json" in text


def _shingles(q: Question) -> set[tuple[str, ...]]:
    """The question's word 3-grams (prompt and options, lower case): the usual near-duplicate fingerprint."""
    words = re.findall(r"[a-z0-9]+", " ".join([q.prompt, *q.options]).lower())
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def assert_no_duplicate_of_other_quizzes(pkg: QuizPackage) -> None:
    """No question repeats, or nearly repeats, a question of another quiz problem in the bank.

    Questions are compared by the Jaccard similarity of their word 3-grams over prompt and options. Distinct
    questions of the bank stay below 0.1; a copied question, even with reworded options, is far above 0.3.
    """
    others = []
    for slug, directory in find_packages([PROBLEMS]).items():
        # Only quiz.toml is read, so a code problem that another change left half-built cannot fail this.
        if slug == pkg.slug or not (directory / "quiz.toml").is_file():
            continue
        others += [(slug, q.id, _shingles(q)) for q in load_quiz(directory / "quiz.toml").questions]
    assert others, "the bank has other quizzes to compare with"
    for q in pkg.questions.values():
        own = _shingles(q)
        for slug, qid, theirs in others:
            similarity = len(own & theirs) / len(own | theirs)
            assert similarity < 0.3, f"{pkg.slug}:{q.id} repeats {slug}:{qid} ({similarity:.2f})"


# --- Grading -----------------------------------------------------------------------------------------


def assert_full_marks(pkg: QuizPackage, result: GradeResult) -> None:
    """The key's grade: every question passed, full marks, accepted."""
    assert result.score == result.max_score == pkg.problem.max_score
    assert result.verdict == Verdict.ACCEPTED
    assert all(c.outcome is Outcome.PASSED and c.message == "" for c in result.checks)
    assert {c.id for c in result.checks} == set(pkg.questions)


def key_rewritten(pkg: QuizPackage) -> str:
    """The key in another legal spelling: lists everywhere, reversed, with a repeated label and an
    unknown id; the statement promises all of this grades the same."""
    rewritten = {qid: ([c] if isinstance(c, str) else list(reversed(c)) + c[:1]) for qid, c in pkg.key.items()}
    return json.dumps({"answers": {**rewritten, "not_a_question": "a"}})


def assert_starter_scores_zero(pkg: QuizPackage, result: GradeResult) -> None:
    """The starter's grade: 0, every question reported unanswered."""
    assert result.score == 0
    assert result.verdict == Verdict.WRONG_ANSWER
    assert {c.message for c in result.checks} == {NOT_ANSWERED}
    assert len(result.checks) == len(pkg.questions)


def assert_every_mutant_targeted(pkg: QuizPackage, targeted: dict[str, tuple[set[str], set[str]]]) -> None:
    """At least 5 mutants, each with a stated expectation, and every expectation names real questions."""
    assert len(pkg.mutants) >= 5
    assert {m.stem for m in pkg.mutants} == set(targeted)
    for name, (questions, messages) in targeted.items():
        assert questions and questions <= set(pkg.questions), name
        assert messages and messages <= {NOT_ANSWERED, INCORRECT, NONEXISTENT}, name


def assert_mutant_loses(
    pkg: QuizPackage, result: GradeResult, name: str, targeted: dict[str, tuple[set[str], set[str]]]
) -> None:
    """A mutant's grade: below full marks, exactly the targeted questions lost, with the expected reasons,
    and all-or-nothing points per question."""
    assert result.score < result.max_score
    assert result.verdict != Verdict.ACCEPTED
    lost = {c.id: c.message for c in result.checks if c.points < c.max_points}
    questions, messages = targeted[name]
    assert set(lost) == questions, sorted(set(lost) ^ questions)
    assert set(lost.values()) == messages, set(lost.values())
    assert all(c.points in (0.0, c.max_points) for c in result.checks)
    assert result.score == sum(pkg.questions[c.id].points for c in result.checks if c.outcome is Outcome.PASSED)


def keyed(pkg: QuizPackage, label: str) -> set[str]:
    """Ids of the single-choice questions whose key is `label`; an all-`label` guess scores exactly these."""
    return {q.id for q in pkg.singles() if q.answer == [label]}


def assert_malformed_scores_zero(pkg: QuizPackage, result: GradeResult) -> None:
    """A malformed answers file: 0 on every question, one short message about the file for all of them."""
    assert result.score == 0
    assert result.verdict == Verdict.RUNTIME_ERROR
    assert len(result.checks) == len(pkg.questions)
    messages = {c.message for c in result.checks}
    assert len(messages) == 1
    (message,) = messages
    assert message.startswith("answers file ") and "\n" not in message and len(message) <= 300
    assert all(c.outcome is Outcome.ERROR and c.points == 0 for c in result.checks)


# --- `judge problems show` -------------------------------------------------------------------------


def assert_show_prints_questions(pkg: QuizPackage) -> None:
    """Every question is shown with its number, id, kind, points, prompt and labelled options."""
    out = _collapse(show(pkg.slug))
    for number, q in enumerate(pkg.questions.values(), 1):
        kind = "choose one" if q.kind == "single" else "choose all that apply"
        assert f"{number}. {q.id} ({kind}, {q.points:g} pt)" in out, q.id
        assert _collapse(q.prompt) in out, q.id
        for label, option in zip(q.labels, q.options):
            assert _collapse(f"{label}) {option}") in out, (q.id, label)


def assert_show_hides_key_and_explanations(pkg: QuizPackage) -> None:
    """Neither an explanation (or its start) nor anything that looks like the key file is printed."""
    raw = show(pkg.slug)
    out = _collapse(raw)
    for q in pkg.questions.values():
        assert _collapse(q.explanation) not in out, q.id
        assert _collapse(q.explanation[:60]) not in out, q.id
        assert f'"{q.id}"' not in raw, q.id
    assert "explanation" not in out.lower()
    assert "answer = [" not in raw
    assert pkg.problem.solution_path.read_text(encoding="utf-8").strip() not in raw


def assert_show_independent_of_key(pkg: QuizPackage, tmp_path: Path) -> None:
    """The same questions with another key and other explanations render identically."""
    copy = tmp_path / pkg.slug
    shutil.copytree(pkg.root, copy)
    quiz_path = copy / "quiz.toml"
    text = quiz_path.read_text(encoding="utf-8")
    text, n_answers = re.subn(r"^answer = \[.*\]$", 'answer = ["b"]', text, flags=re.M)
    text, n_explanations = re.subn(r'^explanation = ".*"$', 'explanation = "replaced"', text, flags=re.M)
    assert n_answers == n_explanations == len(pkg.questions)
    quiz_path.write_text(text, encoding="utf-8")
    assert load_problem(copy).quiz.questions[0].answer == ["b"]
    env = {"JUDGE_PROBLEMS_DIRS": json.dumps([str(tmp_path)])}
    assert show(pkg.slug) == show(pkg.slug, env=env)
    # Guard against a vacuous pass: the env really points `show` at the copy.
    with (copy / "statement.md").open("a", encoding="utf-8") as statement:
        statement.write("\nmarker-of-the-copy\n")
    assert "marker-of-the-copy" in show(pkg.slug, env=env)

"""Every quiz problem of the bank: the package is well formed, the key is not guessable, the key scores full
marks and the starter 0, each known-bad answers file loses exactly the points it should, malformed files
score 0 without raising, and `judge problems show` prints the questions but nothing derived from the key.

What differs between the quizzes is one row each in `QUIZZES`; every test is parametrised over the rows (or,
for a check that belongs to one quiz, over that quiz alone), so a failure names the quiz and the property.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from judge.bank.loader import find_packages
from judge.cli import app
from judge.errors import InvalidSubmission
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

# Which questions a mutant must lose, and the set of reasons graded for them.
Targeted = dict[str, tuple[set[str], set[str]]]


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


def keyed(pkg: QuizPackage, label: str) -> set[str]:
    """Ids of the single-choice questions whose key is `label`; an all-`label` guess scores exactly these."""
    return {q.id for q in pkg.singles() if q.answer == [label]}


@dataclass
class Quiz:
    """One row of the table: a quiz package and what its tests expect of it.

    `longest_keys` overrides the bounds of `longest_keys_allowed` for a quiz that predates them.
    """

    pkg: QuizPackage
    targeted: Targeted
    malformed: dict[str, str] = field(default_factory=lambda: MALFORMED)
    longest_keys: tuple[int, int] | None = None

    @property
    def slug(self) -> str:
        """The quiz's slug, which names its test cases."""
        return self.pkg.slug

    @property
    def longest_keys_allowed(self) -> tuple[int, int]:
        """How many single-choice keys may be the longest option, and how many multiple-choice keys may be
        exactly the longest options: a third of each (plus one for the singles) unless the row says otherwise."""
        if self.longest_keys is not None:
            return self.longest_keys
        return len(self.pkg.singles()) // 3 + 1, len(self.pkg.multiples()) // 3


CONCEPTS = QuizPackage("aigc-concepts")
RISKS = QuizPackage("aigc-risks-quiz")
DIFFUSION = QuizPackage("diffusion-evaluation-quiz")
GENERATIVE = QuizPackage("generative-models-quiz")
TRANSFORMERS = QuizPackage("transformers-decoding-quiz")
LLM_STACK = QuizPackage("llm-stack-quiz")

# Shifting every label by one runs past the last option exactly where the key uses the last label.
RUNS_PAST_THE_END = {q.id for q in DIFFUSION.questions.values() if q.labels[-1] in q.answer}

QUIZZES = [
    Quiz(
        CONCEPTS,
        targeted={
            "all_a": (set(CONCEPTS.questions) - keyed(CONCEPTS, "a"), {INCORRECT}),
            "one_wrong_option": ({"gan_training_difficulties"}, {INCORRECT}),
            "missing_answer": ({"reparameterization_gradient"}, {NOT_ANSWERED}),
            "superset": ({"kl_term"}, {INCORRECT}),
            "subset": ({"applications"}, {INCORRECT}),
            "nonexistent_option": ({"watermarking"}, {NONEXISTENT}),
            "misconceptions": (
                {"vae_blurriness", "temperature_effect", "reparameterization_formula", "non_saturating_loss"},
                {INCORRECT},
            ),
            "uppercase_labels": (set(CONCEPTS.questions), {NONEXISTENT}),
        },
        malformed={
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
        },
        # The first quiz, written before the longest-option rule: its key is the longest option in half of
        # the single-choice questions, and the multiple-choice keys were never held to it.
        longest_keys=(len(CONCEPTS.singles()) // 2, len(CONCEPTS.multiples())),
    ),
    Quiz(
        RISKS,
        targeted={
            "all_a": (set(RISKS.questions) - keyed(RISKS, "a"), {INCORRECT}),
            "comma_separated_string": ({q.id for q in RISKS.multiples()}, {NONEXISTENT}),
            "one_wrong_option": ({"differential_privacy"}, {INCORRECT}),
            "missing_answer": ({"hallucination"}, {NOT_ANSWERED}),
            "superset": ({"prompt_injection"}, {INCORRECT}),
            "subset": ({"memorization_risk_factors"}, {INCORRECT}),
            "nonexistent_option": ({"red_teaming"}, {NONEXISTENT}),
            "misconceptions": (
                {
                    "watermark_guarantees",
                    "training_data_copyright",
                    "deepfake_detection",
                    "bias_audit",
                    "synthetic_training_data",
                },
                {INCORRECT},
            ),
        },
    ),
    Quiz(
        DIFFUSION,
        targeted={
            "all_a": (set(DIFFUSION.questions) - keyed(DIFFUSION, "a"), {INCORRECT}),
            "off_by_one_labels": (set(DIFFUSION.questions), {INCORRECT, NONEXISTENT}),
            "one_wrong_option": ({"fid_pitfalls"}, {INCORRECT}),
            "missing_answer": ({"latent_diffusion"}, {NOT_ANSWERED}),
            "superset": ({"reference_metrics"}, {INCORRECT}),
            "subset": ({"ddpm_sampling"}, {INCORRECT}),
            "nonexistent_option": ({"fid_arithmetic"}, {NONEXISTENT}),
            "misconceptions": (
                {"ddpm_forward_arithmetic", "fid_arithmetic", "bleu_clipping", "precision_recall", "inception_score"},
                {INCORRECT},
            ),
        },
    ),
    Quiz(
        GENERATIVE,
        targeted={
            "all_a": (set(GENERATIVE.questions) - keyed(GENERATIVE, "a"), {INCORRECT}),
            "hedging": ({q.id for q in GENERATIVE.singles()}, {INCORRECT}),
            "one_wrong_option": ({"wgan_critic"}, {INCORRECT}),
            "missing_answer": ({"elbo_gap"}, {NOT_ANSWERED}),
            "superset": ({"exposure_bias_remedies"}, {INCORRECT}),
            "subset": ({"flow_design"}, {INCORRECT}),
            "nonexistent_option": ({"flow_arithmetic"}, {NONEXISTENT}),
            "misconceptions": (
                {"elbo_gap", "change_of_variables", "kl_direction", "flow_arithmetic", "discriminator_optimum"},
                {INCORRECT},
            ),
        },
    ),
    Quiz(
        TRANSFORMERS,
        targeted={
            "all_a": (set(TRANSFORMERS.questions) - keyed(TRANSFORMERS, "a"), {INCORRECT}),
            "option_text_instead_of_labels": (set(TRANSFORMERS.questions), {NONEXISTENT}),
            "one_wrong_option": ({"positional_schemes"}, {INCORRECT}),
            "missing_answer": ({"kv_cache_memory"}, {NOT_ANSWERED}),
            "superset": ({"beam_search_properties"}, {INCORRECT}),
            "subset": ({"sampling_methods"}, {INCORRECT}),
            "nonexistent_option": ({"perplexity_value"}, {NONEXISTENT}),
            "misconceptions": (
                {"attention_scaling", "kv_cache_memory", "top_p_nucleus", "perplexity_value"},
                {INCORRECT},
            ),
        },
    ),
    Quiz(
        LLM_STACK,
        targeted={
            "all_a": (set(LLM_STACK.questions) - keyed(LLM_STACK, "a"), {INCORRECT}),
            "one_wrong_option": ({"quantization_facts"}, {INCORRECT}),
            "missing_answer": ({"moe_active_parameters"}, {NOT_ANSWERED}),
            "superset": ({"serving_techniques"}, {INCORRECT}),
            "subset": ({"grpo_properties"}, {INCORRECT}),
            "nonexistent_option": ({"lora_parameters"}, {NONEXISTENT}),
            "misconceptions": (
                {"gqa_kv_memory", "dpo_beta", "speculative_acceptance", "absmax_scale", "moe_active_parameters"},
                {INCORRECT},
            ),
        },
    ),
]

EACH_QUIZ = pytest.mark.parametrize("quiz", QUIZZES, ids=lambda quiz: quiz.slug)
# A check that belongs to one quiz (its ids, or a mutant only it has) is parametrised over that quiz alone.
CONCEPTS_ONLY = pytest.mark.parametrize("quiz", [q for q in QUIZZES if q.pkg is CONCEPTS], ids=lambda q: q.slug)
DIFFUSION_ONLY = pytest.mark.parametrize("quiz", [q for q in QUIZZES if q.pkg is DIFFUSION], ids=lambda q: q.slug)


def _collapse(text: str) -> str:
    """Text with every run of whitespace turned into one space, so Rich's line wrapping does not matter."""
    return re.sub(r"\s+", " ", text).strip()


def show(slug: str, env: dict[str, str] | None = None) -> str:
    """The output of `judge problems show <slug>`, asserting that it succeeded."""
    result = CliRunner().invoke(app, ["problems", "show", slug], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def _shingles(q: Question) -> set[tuple[str, ...]]:
    """The question's word 3-grams (prompt and options, lower case): the usual near-duplicate fingerprint."""
    words = re.findall(r"[a-z0-9]+", " ".join([q.prompt, *q.options]).lower())
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def assert_full_marks(pkg: QuizPackage, result: GradeResult) -> None:
    """The key's grade: every question passed, full marks, accepted."""
    assert result.score == result.max_score == pkg.problem.max_score
    assert result.verdict == Verdict.ACCEPTED
    assert all(c.outcome is Outcome.PASSED and c.message == "" for c in result.checks)
    assert {c.id for c in result.checks} == set(pkg.questions)


# --- The package -------------------------------------------------------------------------------------


@EACH_QUIZ
def test_package_is_well_formed(quiz):
    """Enough questions of both kinds; every prompt is a question without Rich markup; explanations are
    substantial; single-choice questions are worth 1 point and multiple-choice ones 2."""
    pkg = quiz.pkg
    kinds = Counter(q.kind for q in pkg.questions.values())
    assert len(pkg.questions) >= 14, len(pkg.questions)
    assert kinds["single"] >= 5 and kinds["multiple"] >= 5, kinds
    for q in pkg.questions.values():
        assert q.prompt.rstrip().endswith("?"), q.id
        # The CLI renders prompts and options with Rich markup on: a square bracket could swallow text.
        assert "[" not in q.prompt and not any("[" in option for option in q.options), q.id
        assert len(q.explanation) >= 80, q.id
        assert len(set(q.options)) == len(q.options), f"{q.id}: two options are the same"
        assert q.points == (1.0 if q.kind == "single" else 2.0), q.id


@EACH_QUIZ
def test_key_is_not_guessable(quiz):
    """No label dominates the single-choice key, the key is not usually the longest option, every
    multiple-choice question has a wrong option, and the multiple-choice keys do not repeat one pattern."""
    pkg = quiz.pkg
    longest_singles_allowed, longest_multiples_allowed = quiz.longest_keys_allowed
    singles = pkg.singles()
    by_label = Counter(q.answer[0] for q in singles)
    assert max(by_label.values()) <= len(singles) // 3 + 1, by_label
    longest_is_key = sum(
        q.labels[max(range(len(q.options)), key=lambda i: len(q.options[i]))] == q.answer[0] for q in singles
    )
    assert longest_is_key <= longest_singles_allowed, longest_is_key
    multiples = pkg.multiples()
    assert all(1 <= len(q.answer) < len(q.options) for q in multiples)
    assert len({tuple(sorted(q.answer)) for q in multiples}) >= min(len(multiples), 5)
    # Picking the longest options of a multiple-choice question must not reproduce its key too often.
    longest_set_is_key = 0
    for q in multiples:
        by_length = sorted(range(len(q.options)), key=lambda i: -len(q.options[i]))
        longest_set_is_key += {q.labels[i] for i in by_length[: len(q.answer)]} == set(q.answer)
    assert longest_set_is_key <= longest_multiples_allowed, longest_set_is_key


@EACH_QUIZ
def test_solution_and_starter_files(quiz):
    """solution.json answers every question with exactly the keyed labels; starter.json is exactly the empty
    answers file the statement describes."""
    pkg = quiz.pkg
    assert set(pkg.key) == set(pkg.questions)
    for qid, choice in pkg.key.items():
        chosen = {choice} if isinstance(choice, str) else set(choice)
        assert chosen == set(pkg.questions[qid].answer), qid
    assert json.loads(pkg.problem.starter_path.read_text(encoding="utf-8")) == {"answers": {}}


@EACH_QUIZ
def test_statement_matches_the_quiz(quiz):
    """The statement's example is a valid answers file with made-up ids, and its totals match the quiz."""
    pkg = quiz.pkg
    text = pkg.problem.statement()
    example = re.search(r"```json\n(.*?)```", text, re.S)
    assert example is not None, "statement.md shows an example answers file"
    answers = parse_answers(example.group(1))
    # The example uses made-up ids, so it cannot hint at any real question's key.
    assert answers.answers and not set(answers.answers) & set(pkg.questions)
    singles, multiples = pkg.singles(), pkg.multiples()
    assert f"| single choice | 1 | {len(singles)} | {len(singles)} |" in text
    assert f"| multiple choice | 2 | {len(multiples)} | {2 * len(multiples)} |" in text
    assert f"**{len(pkg.questions)}** | **{pkg.problem.max_score:g}** |" in text
    assert f"A quiz of {len(pkg.questions)} questions" in text
    assert f"judge problems show {pkg.slug}" in text and f"judge grade {pkg.slug} answers.json" in text


@EACH_QUIZ
def test_no_question_repeats_another_quiz(quiz):
    """No question repeats, or nearly repeats, a question of another quiz problem in the bank.

    Questions are compared by the Jaccard similarity of their word 3-grams over prompt and options. Distinct
    questions of the bank stay below 0.1; a copied question, even with reworded options, is far above 0.3.
    """
    pkg = quiz.pkg
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


@EACH_QUIZ
def test_solution_gets_full_marks(grade, quiz):
    assert_full_marks(quiz.pkg, grade(quiz.slug, quiz.pkg.problem.solution_path))


def _as_lists_reversed_with_a_repeat(key: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
    """The key with every answer a list, in reverse label order, its first label repeated."""
    return {qid: ([c] if isinstance(c, str) else [*reversed(c), *c[:1]]) for qid, c in key.items()}


def _with_an_unknown_id(key: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
    """The key plus an answer to a question the quiz does not have."""
    return {**key, "not_a_question": "a"}


# The key in other legal spellings; the statement promises each grades the same: "b" == ["b"], label order
# does not matter, repeats count once, and ids that are not questions are ignored.
KEY_SPELLINGS = {
    "as_lists_reversed_with_a_repeat": _as_lists_reversed_with_a_repeat,
    "with_an_unknown_id": _with_an_unknown_id,
    "both": lambda key: _with_an_unknown_id(_as_lists_reversed_with_a_repeat(key)),
}


@EACH_QUIZ
@pytest.mark.parametrize("spelling", KEY_SPELLINGS.values(), ids=KEY_SPELLINGS.keys())
def test_key_in_another_legal_spelling_gets_full_marks(grade, quiz, spelling):
    assert_full_marks(quiz.pkg, grade(quiz.slug, json.dumps({"answers": spelling(quiz.pkg.key)})))


@EACH_QUIZ
def test_starter_scores_zero(grade, quiz):
    """The starter's grade: 0, every question reported unanswered."""
    result = grade(quiz.slug, quiz.pkg.problem.starter_path)
    assert result.score == 0
    assert result.verdict == Verdict.WRONG_ANSWER
    assert {c.message for c in result.checks} == {NOT_ANSWERED}
    assert len(result.checks) == len(quiz.pkg.questions)


@EACH_QUIZ
def test_every_mutant_has_an_expectation(quiz):
    """At least 5 mutants, each with a stated expectation, and every expectation names real questions."""
    pkg = quiz.pkg
    assert len(pkg.mutants) >= 5
    assert {m.stem for m in pkg.mutants} == set(quiz.targeted)
    for name, (questions, messages) in quiz.targeted.items():
        assert questions and questions <= set(pkg.questions), name
        assert messages and messages <= {NOT_ANSWERED, INCORRECT, NONEXISTENT}, name


MUTANT_CASES = [(quiz, path) for quiz in QUIZZES for path in quiz.pkg.mutants]


@pytest.mark.parametrize(
    ("quiz", "path"), MUTANT_CASES, ids=[f"{quiz.slug}/{path.stem}" for quiz, path in MUTANT_CASES]
)
def test_mutant_loses_exactly_its_questions(grade, quiz, path):
    """A mutant's grade: below full marks, exactly the targeted questions lost, with the expected reasons,
    and all-or-nothing points per question."""
    pkg = quiz.pkg
    result = grade(quiz.slug, path)
    assert result.score < result.max_score
    assert result.verdict != Verdict.ACCEPTED
    lost = {c.id: c.message for c in result.checks if c.points < c.max_points}
    questions, messages = quiz.targeted[path.stem]
    assert set(lost) == questions, sorted(set(lost) ^ questions)
    assert set(lost.values()) == messages, set(lost.values())
    assert all(c.points in (0.0, c.max_points) for c in result.checks)
    assert result.score == sum(pkg.questions[c.id].points for c in result.checks if c.outcome is Outcome.PASSED)


@CONCEPTS_ONLY
def test_all_a_scores_only_the_questions_keyed_a(grade, quiz):
    pkg = quiz.pkg
    result = grade(quiz.slug, pkg.root / "mutants" / "all_a.json")
    expected = {q.id for q in pkg.questions.values() if q.answer == ["a"]}
    assert {c.id for c in result.checks if c.outcome is Outcome.PASSED} == expected
    assert result.score == sum(pkg.questions[i].points for i in expected)
    assert result.score < result.max_score / 4


@DIFFUSION_ONLY
def test_off_by_one_labels_reasons_follow_the_key(grade, quiz):
    # Both reasons occur, each exactly where the shifted key lands: inside the options or past the last one.
    pkg = quiz.pkg
    assert RUNS_PAST_THE_END and RUNS_PAST_THE_END != set(pkg.questions)
    result = grade(quiz.slug, pkg.root / "mutants" / "off_by_one_labels.json")
    reasons = {c.id: c.message for c in result.checks}
    assert {qid for qid, message in reasons.items() if message == NONEXISTENT} == RUNS_PAST_THE_END
    assert {qid for qid, message in reasons.items() if message == INCORRECT} == set(pkg.questions) - RUNS_PAST_THE_END


MALFORMED_CASES = [(quiz, name, text) for quiz in QUIZZES for name, text in quiz.malformed.items()]


@pytest.mark.parametrize(
    ("quiz", "text"),
    [(quiz, text) for quiz, _, text in MALFORMED_CASES],
    ids=[f"{quiz.slug}/{name}" for quiz, name, _ in MALFORMED_CASES],
)
def test_malformed_answers_file_scores_zero(grade, quiz, text):
    """A malformed answers file: 0 on every question, one short message about the file for all of them."""
    result = grade(quiz.slug, text)  # must not raise
    assert result.score == 0
    assert result.verdict == Verdict.RUNTIME_ERROR
    assert len(result.checks) == len(quiz.pkg.questions)
    messages = {c.message for c in result.checks}
    assert len(messages) == 1, "every question reports the same problem with the file"
    (message,) = messages
    assert message.startswith("answers file ") and "\n" not in message and len(message) <= 300
    assert all(c.outcome is Outcome.ERROR and c.points == 0 for c in result.checks)


@CONCEPTS_ONLY
def test_not_json_message_names_the_problem(grade, quiz):
    result = grade(quiz.slug, "a, b, c")
    assert result.checks[0].message.startswith("answers file is not valid JSON")


@CONCEPTS_ONLY
def test_wrong_shape_message_shows_the_expected_shape(grade, quiz):
    result = grade(quiz.slug, '{"answers": {"gan_roles": 1}}')
    assert '{"answers": {"q1": "b"}}' in result.checks[0].message


@CONCEPTS_ONLY
def test_non_utf8_answers_file_is_refused_not_graded(grade, quiz):
    # Undecodable bytes cannot be graded at all: grading raises InvalidSubmission (CLI exit 2), by design.
    with pytest.raises(InvalidSubmission, match="UTF-8"):
        grade(quiz.slug, b'{"answers": {"gan_roles": "\xff"}}')


# --- `judge problems show` -------------------------------------------------------------------------


@EACH_QUIZ
def test_show_prints_every_question_and_option(quiz):
    """Every question is shown with its number, id, kind, points, prompt and labelled options."""
    out = _collapse(show(quiz.slug))
    for number, q in enumerate(quiz.pkg.questions.values(), 1):
        kind = "choose one" if q.kind == "single" else "choose all that apply"
        assert f"{number}. {q.id} ({kind}, {q.points:g} pt)" in out, q.id
        assert _collapse(q.prompt) in out, q.id
        for label, option in zip(q.labels, q.options):
            assert _collapse(f"{label}) {option}") in out, (q.id, label)


@EACH_QUIZ
def test_show_never_prints_explanations_or_the_key(quiz):
    """Neither an explanation (or its start) nor anything that looks like the key file is printed."""
    raw = show(quiz.slug)
    out = _collapse(raw)
    for q in quiz.pkg.questions.values():
        assert _collapse(q.explanation) not in out, q.id
        assert _collapse(q.explanation[:60]) not in out, q.id
        # The key as it would appear if solution.json or quiz.toml were echoed.
        assert f'"{q.id}"' not in raw, q.id
    # The statement speaks of explanations (when they are shown); the key file's fields never appear.
    assert "explanation =" not in raw and '"explanation"' not in raw
    assert "answer = [" not in raw
    assert quiz.pkg.problem.solution_path.read_text(encoding="utf-8").strip() not in raw


@EACH_QUIZ
def test_show_output_does_not_depend_on_the_key(quiz, tmp_path):
    """The same questions with another key and other explanations render identically: the strongest evidence
    that nothing derived from the key reaches the candidate."""
    pkg = quiz.pkg
    copy = tmp_path / pkg.slug
    shutil.copytree(pkg.root, copy)
    quiz_path = copy / "quiz.toml"
    text = quiz_path.read_text(encoding="utf-8")
    text, n_answers = re.subn(r"^answer = \[.*\]$", 'answer = ["b"]', text, flags=re.M)
    text, n_explanations = re.subn(r'^explanation = ".*"$', 'explanation = "replaced"', text, flags=re.M)
    assert n_answers == n_explanations == len(pkg.questions)
    quiz_path.write_text(text, encoding="utf-8")
    copied = load_problem(copy).quiz
    assert copied is not None and copied.questions[0].answer == ["b"]
    env = {"JUDGE_PROBLEMS_DIRS": json.dumps([str(tmp_path)])}
    assert show(pkg.slug) == show(pkg.slug, env=env)
    # Guard against a vacuous pass: the env really points `show` at the copy.
    with (copy / "statement.md").open("a", encoding="utf-8") as statement:
        statement.write("\nmarker-of-the-copy\n")
    assert "marker-of-the-copy" in show(pkg.slug, env=env)


def test_every_quiz_of_the_bank_has_a_row():
    # A new quiz package without a row here would get none of the checks above.
    in_bank = {slug for slug, directory in find_packages([PROBLEMS]).items() if (directory / "quiz.toml").is_file()}
    assert in_bank == {quiz.slug for quiz in QUIZZES}

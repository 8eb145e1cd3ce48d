"""aigc-risks-quiz: the key scores full marks, the starter 0, every known-bad answers file loses
exactly the questions it should, and `judge problems show` never reveals the key or the explanations."""

from __future__ import annotations

import pytest

from tests.problems import quiz_support as qs

PKG = qs.QuizPackage("aigc-risks-quiz")

# The mistake each mutant makes: which questions it must lose, and the reasons graded for them.
MULTIPLES = {q.id for q in PKG.multiples()}

TARGETED = {
    "all_a": (set(PKG.questions) - qs.keyed(PKG, "a"), {qs.INCORRECT}),
    "comma_separated_string": (MULTIPLES, {qs.NONEXISTENT}),
    "one_wrong_option": ({"differential_privacy"}, {qs.INCORRECT}),
    "missing_answer": ({"hallucination"}, {qs.NOT_ANSWERED}),
    "superset": ({"prompt_injection"}, {qs.INCORRECT}),
    "subset": ({"memorization_risk_factors"}, {qs.INCORRECT}),
    "nonexistent_option": ({"red_teaming"}, {qs.NONEXISTENT}),
    "misconceptions": (
        {
            "watermark_guarantees",
            "training_data_copyright",
            "deepfake_detection",
            "bias_audit",
            "synthetic_training_data",
        },
        {qs.INCORRECT},
    ),
}


def test_package_is_well_formed():
    qs.assert_well_formed(PKG)


def test_key_is_not_guessable():
    qs.assert_key_not_guessable(PKG)


def test_solution_and_starter_files():
    qs.assert_solution_is_the_key(PKG)
    qs.assert_starter_is_empty(PKG)


def test_statement_matches_the_quiz():
    qs.assert_statement_matches(PKG)


def test_no_question_repeats_another_quiz():
    qs.assert_no_duplicate_of_other_quizzes(PKG)


def test_solution_gets_full_marks(grade):
    qs.assert_full_marks(PKG, grade(PKG.slug, PKG.problem.solution_path))


def test_key_in_another_legal_spelling_gets_full_marks(grade):
    qs.assert_full_marks(PKG, grade(PKG.slug, qs.key_rewritten(PKG)))


def test_starter_scores_zero(grade):
    qs.assert_starter_scores_zero(PKG, grade(PKG.slug, PKG.problem.starter_path))


def test_every_mutant_has_an_expectation():
    qs.assert_every_mutant_targeted(PKG, TARGETED)


@pytest.mark.parametrize("path", PKG.mutants, ids=lambda p: p.stem)
def test_mutant_loses_exactly_its_questions(grade, path):
    qs.assert_mutant_loses(PKG, grade(PKG.slug, path), path.stem, TARGETED)


@pytest.mark.parametrize("text", qs.MALFORMED.values(), ids=qs.MALFORMED.keys())
def test_malformed_answers_file_scores_zero(grade, text):
    qs.assert_malformed_scores_zero(PKG, grade(PKG.slug, text))


def test_show_prints_every_question_and_option():
    qs.assert_show_prints_questions(PKG)


def test_show_never_prints_explanations_or_the_key():
    qs.assert_show_hides_key_and_explanations(PKG)


def test_show_output_does_not_depend_on_the_key(tmp_path):
    qs.assert_show_independent_of_key(PKG, tmp_path)

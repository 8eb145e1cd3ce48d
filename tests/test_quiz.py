"""Unit tests of judge/quiz.py: question and quiz validation, loading quiz.toml, parsing answers, grading."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from judge.errors import InvalidProblem, InvalidSubmission
from judge.quiz import Answers, Question, Quiz, answered_questions, grade_quiz, load_quiz, parse_answers
from judge.result import Outcome


def question(**overrides) -> dict:
    """The fields of a valid single-choice question, with some replaced."""
    fields = {
        "id": "q1",
        "kind": "single",
        "prompt": "Which one?",
        "options": ["first", "second", "third"],
        "answer": ["b"],
        "points": 1.0,
        "explanation": "Because.",
    }
    return {**fields, **overrides}


@pytest.fixture
def quiz() -> Quiz:
    """A single-choice question (key b, 1 pt) and a multiple-choice one (key a, c, 2.5 pt)."""
    return Quiz(
        questions=[
            Question(**question(id="one", answer=["b"])),
            Question(
                **question(id="many", kind="multiple", options=["w", "x", "y", "z"], answer=["a", "c"], points=2.5)
            ),
        ]
    )


def graded(quiz: Quiz, answers: dict) -> dict:
    """grade_quiz on an answers mapping, as {question id: CheckResult}."""
    return {r.id: r for r in grade_quiz(quiz, parse_answers(json.dumps({"answers": answers})))}


# --- Question and Quiz validation --------------------------------------------------------------------


def test_valid_question_and_its_labels():
    q = Question(**question())
    assert q.labels == ["a", "b", "c"]
    assert q.answer == ["b"]


def test_points_default_to_one():
    fields = question()
    del fields["points"]
    assert Question(**fields).points == 1.0


@pytest.mark.parametrize("answer", [["d"], ["z"], ["B"], [""], ["a", "d"]])
def test_key_must_name_existing_options(answer):
    kind = "multiple" if len(answer) > 1 else "single"
    with pytest.raises(ValidationError, match="answer names an option that does not exist"):
        Question(**question(kind=kind, answer=answer))


def test_single_choice_has_exactly_one_answer():
    with pytest.raises(ValidationError, match="exactly one answer"):
        Question(**question(kind="single", answer=["a", "b"]))


def test_multiple_choice_may_have_one_or_several_answers():
    assert Question(**question(kind="multiple", answer=["a"])).answer == ["a"]
    assert Question(**question(kind="multiple", answer=["a", "b", "c"])).answer == ["a", "b", "c"]


def test_key_may_not_repeat_an_option():
    with pytest.raises(ValidationError, match="repeats an option"):
        Question(**question(kind="multiple", answer=["a", "a"]))


@pytest.mark.parametrize(
    "overrides",
    [
        {"answer": []},
        {"options": ["only one"], "answer": ["a"]},
        {"options": [f"o{i}" for i in range(27)]},
        {"kind": "ranking"},
        {"prompt": ""},
        {"explanation": ""},
        {"points": 0},
        {"points": -1},
        {"id": "Q1"},
        {"id": "1q"},
        {"id": "has space"},
        {"hint": "extra fields are rejected"},
    ],
    ids=lambda o: next(iter(o)) + "=" + repr(next(iter(o.values())))[:20],
)
def test_invalid_question_fields_are_rejected(overrides):
    with pytest.raises(ValidationError):
        Question(**question(**overrides))


def test_duplicate_question_ids_are_rejected():
    with pytest.raises(ValidationError, match="question ids must be unique"):
        Quiz(questions=[Question(**question(id="same")), Question(**question(id="same", answer=["a"]))])


def test_quiz_needs_a_question():
    with pytest.raises(ValidationError):
        Quiz(questions=[])


# --- load_quiz ---------------------------------------------------------------------------------------


def test_load_quiz_reads_toml(tmp_path):
    path = tmp_path / "quiz.toml"
    path.write_text(
        '[[questions]]\nid = "q1"\nkind = "multiple"\nprompt = "Pick"\noptions = ["x", "y", "z"]\n'
        'answer = ["a", "c"]\npoints = 2\nexplanation = "x and z."\n',
        encoding="utf-8",
    )
    quiz = load_quiz(path)
    assert [q.id for q in quiz.questions] == ["q1"]
    assert quiz.questions[0].answer == ["a", "c"] and quiz.questions[0].points == 2


def test_load_quiz_reports_bad_toml_with_the_path(tmp_path):
    path = tmp_path / "quiz.toml"
    path.write_text("[[questions]\nid = ", encoding="utf-8")
    with pytest.raises(InvalidProblem, match="quiz.toml"):
        load_quiz(path)


def test_load_quiz_reports_the_first_validation_error(tmp_path):
    path = tmp_path / "quiz.toml"
    path.write_text(
        '[[questions]]\nid = "q1"\nkind = "single"\nprompt = "Pick"\noptions = ["x", "y"]\n'
        'answer = ["c"]\nexplanation = "none"\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidProblem, match="answer names an option that does not exist"):
        load_quiz(path)


# --- parse_answers -----------------------------------------------------------------------------------


def test_parse_answers_accepts_strings_and_lists():
    answers = parse_answers('{"answers": {"one": "b", "many": ["c", "a"], "none": []}}')
    assert answers.answers == {"one": "b", "many": ["c", "a"], "none": []}
    assert answers.chosen("one") == {"b"}
    assert answers.chosen("many") == {"a", "c"}
    assert answers.chosen("none") == set()
    assert answers.chosen("absent") == set()


def test_parse_answers_accepts_an_empty_mapping():
    assert parse_answers('{"answers": {}}').answers == {}


def test_parse_answers_keeps_a_string_a_string():
    # A string is one label, never split into characters.
    assert parse_answers('{"answers": {"q": "ab"}}').chosen("q") == {"ab"}


@pytest.mark.parametrize("text", ["", "not json", '{"answers": {', "{'answers': {}}", '{"answers": {"q": "a",}}'])
def test_invalid_json_gives_a_one_line_message(text):
    with pytest.raises(InvalidSubmission) as info:
        parse_answers(text)
    message = str(info.value)
    assert message.startswith("answers file is not valid JSON: ")
    assert "\n" not in message and "line 1" in message


def test_invalid_json_message_names_the_line():
    with pytest.raises(InvalidSubmission, match="at line 3"):
        parse_answers('{\n  "answers": {\n    "q": oops\n  }\n}')


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        "null",
        "42",
        '"a"',
        "{}",
        '{"answer": {}}',
        '{"answers": {}, "extra": 1}',
        '{"answers": []}',
        '{"answers": "a"}',
        '{"answers": {"q": 1}}',
        '{"answers": {"q": true}}',
        '{"answers": {"q": null}}',
        '{"answers": {"q": {"a": true}}}',
        '{"answers": {"q": ["a", 1]}}',
        '{"answers": {"q": [["a"]]}}',
    ],
)
def test_wrong_types_give_a_one_line_message(text):
    with pytest.raises(InvalidSubmission) as info:
        parse_answers(text)
    message = str(info.value)
    assert message.startswith('answers file must look like {"answers": {"q1": "b"}}: ')
    assert "\n" not in message


def test_wrong_type_message_says_where():
    with pytest.raises(InvalidSubmission, match=r"answers\.q"):
        parse_answers('{"answers": {"q": 1}}')
    with pytest.raises(InvalidSubmission, match="answers: Field required"):
        parse_answers('{"answer": {}}')


def test_too_many_answers_are_rejected():
    text = json.dumps({"answers": {f"q{i}": "a" for i in range(1001)}})
    with pytest.raises(InvalidSubmission, match="too many answers"):
        parse_answers(text)
    assert len(parse_answers(json.dumps({"answers": {f"q{i}": "a" for i in range(1000)}})).answers) == 1000


def test_deeply_nested_json_is_an_invalid_submission():
    # 100,000 brackets fit well inside the 256 KiB submission limit.
    with pytest.raises(InvalidSubmission, match="nested too deeply"):
        parse_answers('{"answers": {"q": ' + "[" * 100_000 + "]" * 100_000 + "}}")


# --- grade_quiz ---------------------------------------------------------------------------------------


def test_exact_key_earns_each_questions_points(quiz):
    results = graded(quiz, {"one": "b", "many": ["a", "c"]})
    assert [r.id for r in results.values()] == ["one", "many"]
    assert results["one"].points == 1.0 and results["many"].points == 2.5
    assert results["many"].max_points == 2.5
    assert all(r.outcome is Outcome.PASSED and r.message == "" and r.category == "quiz" for r in results.values())


@pytest.mark.parametrize("choice", [["c", "a"], ["a", "c", "a"]])
def test_exact_set_match_ignores_order_and_repeats(quiz, choice):
    assert graded(quiz, {"many": choice})["many"].outcome is Outcome.PASSED


def test_single_answer_may_be_a_one_element_list(quiz):
    assert graded(quiz, {"one": ["b"]})["one"].points == 1.0


@pytest.mark.parametrize("choice", [["a"], "c", ["a", "b", "c"], ["a", "c", "d"], ["b", "d"]])
def test_subset_or_superset_or_other_set_is_incorrect(quiz, choice):
    result = graded(quiz, {"many": choice})["many"]
    assert result.outcome is Outcome.FAILED
    assert result.points == 0.0 and result.max_points == 2.5
    assert result.message == "incorrect"


def test_two_answers_on_a_single_choice_question_are_incorrect(quiz):
    assert graded(quiz, {"one": ["a", "b"]})["one"].message == "incorrect"


@pytest.mark.parametrize("answers", [{}, {"many": []}, {"other": "b"}])
def test_unanswered(quiz, answers):
    result = graded(quiz, answers)["one" if "many" not in answers else "many"]
    assert result.outcome is Outcome.FAILED and result.points == 0.0
    assert result.message == "not answered"


@pytest.mark.parametrize("choice", ["d", "B", "", ["a", "e"], ["a", "c", "z"], "a,c"])
def test_nonexistent_option(quiz, choice):
    qid = "many" if isinstance(choice, list) or choice == "a,c" else "one"
    # "d" exists in the 4-option question but not in the 3-option one.
    result = graded(quiz, {qid: choice})[qid]
    assert result.outcome is Outcome.FAILED and result.points == 0.0
    assert result.message == "chose an option that does not exist"


def test_option_of_the_four_option_question_exists_there(quiz):
    assert graded(quiz, {"many": ["d"]})["many"].message == "incorrect"


def test_each_question_is_graded_independently(quiz):
    results = graded(quiz, {"one": "a", "many": ["a", "c"]})
    assert results["one"].points == 0.0 and results["many"].points == 2.5


def test_messages_never_reveal_the_key(quiz):
    allowed = {"", "incorrect", "not answered", "chose an option that does not exist"}
    for answers in ({}, {"one": "a", "many": ["a"]}, {"one": "z", "many": ["a", "b", "c", "d"]}):
        assert {r.message for r in graded(quiz, answers).values()} <= allowed


def test_grade_quiz_accepts_answers_built_directly(quiz):
    results = grade_quiz(quiz, Answers(answers={"one": "b"}))
    assert [r.points for r in results] == [1.0, 0.0]


def test_answered_questions_show_the_choice_beside_the_key(quiz):
    rows = answered_questions(quiz, json.dumps({"answers": {"one": "b", "many": ["c", "a", "z"]}}))
    assert rows is not None and [r.id for r in rows] == ["one", "many"]
    one, many = rows
    assert one.correct and [c.label for c in one.chosen] == [c.label for c in one.key] == ["b"]
    assert one.chosen[0].text == "second" and one.points == one.max_points == 1.0
    assert [c.label for c in many.chosen] == ["a", "c", "z"] and many.chosen[2].text == ""
    assert [c.text for c in many.key] == ["w", "y"]
    assert not many.correct and many.points == 0 and many.max_points == 2.5
    assert answered_questions(quiz, "{not json") is None

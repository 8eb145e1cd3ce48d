"""Quiz problems: questions with a hidden key, the candidate's answers file, and grading it."""

from __future__ import annotations

import json
import string
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from judge.errors import InvalidProblem, InvalidSubmission
from judge.result import CheckResult, Outcome

OPTION_LABELS = string.ascii_lowercase


class Question(BaseModel):
    """One single- or multiple-choice question, with its key and the explanation shown after grading."""

    model_config = {"extra": "forbid"}

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    kind: Literal["single", "multiple"]
    prompt: str = Field(min_length=1)
    options: list[str] = Field(min_length=2, max_length=len(OPTION_LABELS))
    answer: list[str] = Field(min_length=1, description="Labels (a, b, ...) of the correct options.")
    points: float = Field(default=1.0, gt=0)
    explanation: str = Field(min_length=1)

    @model_validator(mode="after")
    def _key_fits_options(self) -> Question:
        labels = set(self.labels)
        if not set(self.answer) <= labels:
            raise ValueError(f"question {self.id}: answer names an option that does not exist")
        if len(set(self.answer)) != len(self.answer):
            raise ValueError(f"question {self.id}: answer repeats an option")
        if self.kind == "single" and len(self.answer) != 1:
            raise ValueError(f"question {self.id}: a single-choice question has exactly one answer")
        return self

    @property
    def labels(self) -> list[str]:
        """The option labels, a, b, c, ..."""
        return list(OPTION_LABELS[: len(self.options)])


class Quiz(BaseModel):
    """All questions of one quiz problem."""

    model_config = {"extra": "forbid"}

    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Quiz:
        ids = [q.id for q in self.questions]
        if len(ids) != len(set(ids)):
            raise ValueError("question ids must be unique")
        return self


class Answers(BaseModel):
    """A candidate's answers file: `{"answers": {"question_id": "b" | ["a", "c"]}}`."""

    model_config = {"extra": "forbid"}

    answers: dict[str, str | list[str]]

    @field_validator("answers")
    @classmethod
    def _as_lists(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        if len(value) > 1000:
            raise ValueError("too many answers")
        return value

    def chosen(self, question_id: str) -> set[str]:
        """The option labels chosen for one question (empty when unanswered)."""
        choice = self.answers.get(question_id, [])
        return {choice} if isinstance(choice, str) else set(choice)


def load_quiz(path: Path) -> Quiz:
    """Load and validate a quiz.toml file."""
    try:
        return Quiz.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidProblem(f"{path}: {exc}") from exc
    except ValidationError as exc:
        raise InvalidProblem(f"{path}: {exc.errors()[0]['msg']}") from exc


def parse_answers(text: str) -> Answers:
    """Parse an answers file; raises InvalidSubmission with a one-line reason when it is malformed."""
    try:
        return Answers.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise InvalidSubmission(f"answers file is not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    except RecursionError as exc:
        raise InvalidSubmission("answers file is nested too deeply") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p not in ("str", "list[str]")) or "top level"
        raise InvalidSubmission(
            f'answers file must look like {{"answers": {{"q1": "b"}}}}: {where}: {first["msg"]}'
        ) from exc


def grade_quiz(quiz: Quiz, answers: Answers) -> list[CheckResult]:
    """Score each question: full points for exactly the keyed set of options, else none."""
    results = []
    for question in quiz.questions:
        chosen = answers.chosen(question.id)
        correct = chosen == set(question.answer)
        if correct:
            message = ""
        elif not chosen:
            message = "not answered"
        elif not chosen <= set(question.labels):
            message = "chose an option that does not exist"
        else:
            message = "incorrect"
        results.append(
            CheckResult(
                id=question.id,
                category="quiz",
                outcome=Outcome.PASSED if correct else Outcome.FAILED,
                points=question.points if correct else 0.0,
                max_points=question.points,
                message=message,
            )
        )
    return results


class Choice(BaseModel):
    """One option as a reader sees it: its label and text."""

    label: str
    text: str = Field(description="The option's text; empty for a label the question does not have.")


class AnsweredQuestion(BaseModel):
    """One question of an answers file as the hiring team reads it: what was chosen, the key, the points."""

    id: str
    prompt: str
    chosen: list[Choice]
    key: list[Choice]
    correct: bool
    points: float
    max_points: float


def answered_questions(quiz: Quiz, text: str) -> list[AnsweredQuestion] | None:
    """Each question with the options the answers file `text` chose, graded as grade_quiz grades it;
    None when the file does not parse (then every question scored 0 and the file itself is the story)."""
    try:
        answers = parse_answers(text)
    except InvalidSubmission:
        return None
    rows = []
    for question in quiz.questions:
        options = dict(zip(question.labels, question.options, strict=True))
        chosen = answers.chosen(question.id)
        correct = chosen == set(question.answer)
        rows.append(
            AnsweredQuestion(
                id=question.id,
                prompt=question.prompt,
                chosen=[Choice(label=label, text=options.get(label, "")) for label in sorted(chosen)],
                key=[Choice(label=label, text=options[label]) for label in question.answer],
                correct=correct,
                points=question.points if correct else 0.0,
                max_points=question.points,
            )
        )
    return rows

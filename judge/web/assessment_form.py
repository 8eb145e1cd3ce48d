"""The new-assessment form of the team pages: the problems a team may choose, the posted fields read
into an AssessmentCreate, and each refusal placed next to the field it is about.

The form is what the team typed, kept as strings, so that a refused form comes back filled in as it
was sent. Times are UTC (a datetime-local input has no zone); the duration is typed in minutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from judge.assessments.schemas import MAX_DURATION_S, AssessmentCreate
from judge.bank import ownership
from judge.bank.ownership import Viewer
from judge.errors import InvalidProblem
from judge.problem import Kind, load_problem
from judge.settings import Settings
from judge.storage.models import FeedbackLevel, ScoringPolicy

#: The form's own fields; a point field of one problem is named POINTS_PREFIX + its slug.
FIELDS = (
    "title",
    "description",
    "problems",
    "opens_at",
    "closes_at",
    "duration_min",
    "max_attempts",
    "feedback",
    "scoring",
    "compile_error_uses_attempt",
)
POINTS_PREFIX = "points."
#: The model's fields under the form's names (the duration is typed in minutes, not seconds).
MODEL_TO_FORM = {"duration_s": "duration_min"}
DEFAULT_WINDOW = timedelta(days=7)
DEFAULT_DURATION_MIN = 60
MAX_FIELD_CHARS = 20_000
#: The form's labels of the fields a refusal's sentence may name (as the API names them).
LABELS = {
    "opens_at": "Opens at",
    "closes_at": "Closes at",
    "duration_s": "Time per candidate",
    "max_attempts": "Attempts per problem",
}
_NAMED_FIELD = re.compile(r"\b(opens_at|closes_at|duration_s|max_attempts|title|problems?)\b")

FEEDBACK_HELP = {
    FeedbackLevel.FULL: "each check's outcome and message",
    FeedbackLevel.CHECK_NAMES: "which checks passed, without their messages",
    FeedbackLevel.SCORE_ONLY: "only the score",
}
SCORING_HELP = {
    ScoringPolicy.BEST: "the best attempt at each problem counts",
    ScoringPolicy.LAST: "the last graded attempt counts",
}


@dataclass(frozen=True)
class ProblemOption:
    """A problem the team can see, as the form offers it."""

    slug: str
    title: str
    kind: Kind
    max_score: float
    practice_only: bool


def problem_options(session: Session, settings: Settings, viewer: Viewer) -> list[ProblemOption]:
    """Every problem the viewer may see (public and its private bank), by slug; practice-only ones marked."""
    options = []
    for slug, directory in sorted(ownership.visible_directories(session, settings, viewer).items()):
        try:
            problem = load_problem(directory)
        except InvalidProblem:
            continue  # a broken package cannot be graded, so it cannot be chosen; `judge validate` reports it
        if problem.max_score <= 0:
            continue
        marked = viewer.team is not None and ownership.is_practice_only(session, viewer.team, slug)
        options.append(ProblemOption(slug, problem.spec.title, problem.spec.kind, problem.max_score, marked))
    return options


class AssessmentForm(BaseModel):
    """The new-assessment form as typed, and what is wrong with it (field name -> message)."""

    title: str = ""
    description: str = ""
    problems: list[str] = Field(default_factory=list)
    points: dict[str, str] = Field(default_factory=dict)
    opens_at: str = ""
    closes_at: str = ""
    duration_min: str = str(DEFAULT_DURATION_MIN)
    max_attempts: str = "3"
    feedback: str = FeedbackLevel.FULL.value
    scoring: str = ScoringPolicy.BEST.value
    compile_error_uses_attempt: bool = False
    errors: dict[str, str] = Field(default_factory=dict)
    form_error: str | None = None

    def error_of(self, field: str) -> str | None:
        """The message about `field` (a form field, or POINTS_PREFIX + slug), if any."""
        return self.errors.get(field)

    def refused(self, field: str | None, message: str) -> AssessmentForm:
        """This form with `message` placed at `field` (or over the whole form when None)."""
        if field is None:
            return self.model_copy(update={"form_error": message})
        return self.model_copy(update={"errors": {**self.errors, field: message}})


def _local(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def blank_form(now: datetime) -> AssessmentForm:
    """A new form: opening now, open for a week, an hour per candidate."""
    opens = now.replace(second=0, microsecond=0)
    return AssessmentForm(opens_at=_local(opens), closes_at=_local(opens + DEFAULT_WINDOW))


def read_form(posted: FormData) -> AssessmentForm:
    """The posted fields, as typed (over-long values cut: the model refuses them anyway)."""

    def text(name: str) -> str:
        value = posted.get(name)
        return value.strip()[:MAX_FIELD_CHARS] if isinstance(value, str) else ""

    chosen = list(dict.fromkeys(v for v in posted.getlist("problem") if isinstance(v, str)))
    points = {slug: text(POINTS_PREFIX + slug) for slug in chosen if text(POINTS_PREFIX + slug)}
    return AssessmentForm(
        title=text("title"),
        description=text("description"),
        problems=chosen,
        points=points,
        opens_at=text("opens_at"),
        closes_at=text("closes_at"),
        duration_min=text("duration_min"),
        max_attempts=text("max_attempts"),
        feedback=text("feedback"),
        scoring=text("scoring"),
        compile_error_uses_attempt=text("compile_error_uses_attempt") == "on",
    )


def _moment(value: str) -> datetime | None:
    """A datetime-local value (or any ISO 8601 time); one without a zone is UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _whole(value: str) -> int | None:
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value) else None


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def field_named_in(message: str) -> str | None:
    """The form field a refusal's sentence is about (the service names fields as the API has them)."""
    found = _NAMED_FIELD.search(message)
    if found is None:
        return None
    name = found.group(1)
    name = "problems" if name.startswith("problem") else name
    return MODEL_TO_FORM.get(name, name)


def _message(error: ErrorDetails) -> str:
    """Pydantic's sentence, in the form's terms where the model's would mislead."""
    kind, where = error.get("type", ""), tuple(error.get("loc", ()))
    if where == ("problems",) and kind == "too_short":
        return "choose at least one problem"
    if where == ("title",) and kind in ("string_too_short", "missing"):
        return "enter a title"
    if where == ("duration_s",):
        return f"enter between 1 and {MAX_DURATION_S // 60} minutes (7 days)"
    message = str(error.get("msg", "invalid"))
    return humanize(message.removeprefix("Value error, "))


def _field_of(error: ErrorDetails, chosen: list[str]) -> str | None:
    where = tuple(error.get("loc", ()))
    if (
        len(where) >= 3
        and where[0] == "problems"
        and where[2] == "points"
        and isinstance(where[1], int)
        and where[1] < len(chosen)
    ):
        return POINTS_PREFIX + chosen[where[1]]
    if where and where[0] == "problems":
        return "problems"
    if where and isinstance(where[0], str) and where[0] in MODEL_TO_FORM:
        return MODEL_TO_FORM[where[0]]
    if where and where[0] in FIELDS:
        return str(where[0])
    return field_named_in(str(error.get("msg", "")))


def humanize(message: str) -> str:
    """A refusal's sentence with the model's field names (`closes_at`) put as the form labels them (Closes at)."""
    return _NAMED_FIELD.sub(lambda found: LABELS.get(found.group(1), found.group(1)), message)


def to_model(form: AssessmentForm, now: datetime | None = None) -> AssessmentCreate | AssessmentForm:
    """The AssessmentCreate the form asks for, or the form with every error placed at once (one per
    field): what cannot be read, what the model refuses, and a window that closes before it opens or
    (given `now`) in the past."""
    errors: dict[str, str] = {}
    opens_at, closes_at = _moment(form.opens_at), _moment(form.closes_at)
    for name, moment in (("opens_at", opens_at), ("closes_at", closes_at)):
        if moment is None:
            errors[name] = "enter a date and time (UTC), e.g. 2026-12-01T09:00"
    if opens_at is not None and closes_at is not None:
        if closes_at <= opens_at:
            errors["closes_at"] = "Closes at must be after Opens at"
        elif now is not None and closes_at <= now:
            errors["closes_at"] = f"Closes at ({closes_at:%Y-%m-%d %H:%M} UTC) is in the past"
    minutes = _whole(form.duration_min)
    if minutes is None:
        errors["duration_min"] = "enter a whole number of minutes"
    attempts = _whole(form.max_attempts)
    if attempts is None:
        errors["max_attempts"] = "enter a whole number of attempts"
    points: dict[str, float | None] = {}
    for slug in form.problems:
        typed = form.points.get(slug, "")
        points[slug] = _number(typed) if typed else None
        if typed and points[slug] is None:
            errors[POINTS_PREFIX + slug] = "enter a number of points, or leave it empty for the problem's own"
    # Whatever could be read goes to the model too, so its refusals come with the errors above, not after them.
    fields: dict[str, object] = {
        "title": form.title,
        "description": form.description,
        "problems": [{"problem": slug, "points": points[slug]} for slug in form.problems],
        "feedback": form.feedback,
        "scoring": form.scoring,
        "compile_error_uses_attempt": form.compile_error_uses_attempt,
    }
    read = {"opens_at": opens_at, "closes_at": closes_at, "max_attempts": attempts}
    fields.update({name: value for name, value in read.items() if value is not None})
    if minutes is not None:
        fields["duration_s"] = minutes * 60
    placed = form.model_copy(update={"errors": errors})
    try:
        made = AssessmentCreate.model_validate(fields)
    except ValidationError as exc:
        for error in exc.errors():
            field = _field_of(error, form.problems)
            if field is not None and placed.error_of(field):
                continue  # one message per field: the first is the one to fix first
            placed = placed.refused(field, _message(error))
        return _in_form_order(placed)
    return _in_form_order(placed) if errors else made


def _in_form_order(form: AssessmentForm) -> AssessmentForm:
    """The form with its errors listed top to bottom, as the summary should read (a problem's points
    right after the problems)."""

    def position(field: str) -> float:
        if field.startswith(POINTS_PREFIX):
            return FIELDS.index("problems") + 0.5
        return FIELDS.index(field) if field in FIELDS else len(FIELDS)

    return form.model_copy(update={"errors": dict(sorted(form.errors.items(), key=lambda item: position(item[0])))})

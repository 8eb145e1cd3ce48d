"""Examples of the main calls' request and response bodies, for the OpenAPI document (Swagger UI and ReDoc show
them; client generators put them in docstrings).

Each example is built as its model, so that one which no longer fits the model fails on import, not in a
reader's hands; tests/api/test_openapi_clients.py checks them against the served document's schemas too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from judge.api.schemas import SubmissionAccepted, SubmissionCreate
from judge.assessments.flags import (
    FlagReviewCreate,
    FlagReviewView,
    FlagSource,
    ReviewableFlag,
    ReviewOutcome,
    SimilarityEvidence,
)
from judge.assessments.schemas import (
    AssessmentCreate,
    AssessmentProblemView,
    AssessmentView,
    CandidateReport,
    CandidateRow,
    CandidateState,
    EntryReport,
    GradingView,
    InvitationCreate,
    InvitationIssued,
    InvitationView,
    ProblemChoice,
    ProblemReport,
    SimilarPairView,
)
from judge.problem import Kind
from judge.result import CheckResult, GradeResult, Outcome, Verdict
from judge.similarity import LineRange
from judge.storage.models import SubmissionStatus
from judge.views import API_PREFIX, LimitsView, Links, ProblemDetail, ProblemSummary, PublicCheck, SubmissionView

SUBMISSION_ID = "4f0c9a6e2b7d4e1f8a3c5b9d7e6f1a2b"
ASSESSMENT_ID = "9d2e7c41a5b84f06b3e1c8a7d6f5e4c3"
INVITATION_ID = "3f9c2a7d51e08b64"
SUBMITTED_AT = datetime(2026, 3, 2, 9, 30, 5, tzinfo=UTC)
FINISHED_AT = datetime(2026, 3, 2, 9, 30, 41, tzinfo=UTC)
SOURCE = "import torch\n\n\ndef kl_diag_gaussian(mu1, logvar1, mu2, logvar2):\n    ...\n"
LINKS = Links(
    self=f"{API_PREFIX}/submissions/{SUBMISSION_ID}", events=f"{API_PREFIX}/submissions/{SUBMISSION_ID}/events"
)

KL_SUMMARY = ProblemSummary(
    slug="kl-divergence",
    title="KL divergences: diagonal Gaussians and categoricals",
    kind=Kind.CODE,
    difficulty="easy",
    tags=["kl-divergence", "vae", "probability", "numerics"],
    max_score=14.0,
    entrypoint="solution.py",
)
CHECKS = [
    CheckResult(id="gaussian_shapes", category="shape", outcome=Outcome.PASSED, points=1.0, max_points=1.0),
    CheckResult(id="gaussian_value", category="formula", outcome=Outcome.PASSED, points=3.0, max_points=3.0),
    CheckResult(
        id="categorical_zeros",
        category="stability",
        outcome=Outcome.FAILED,
        points=0.0,
        max_points=2.0,
        message="kl_categorical is nan where p = 0; 0 log 0 is 0",
    ),
]
GRADED = SubmissionView(
    id=SUBMISSION_ID,
    problem="kl-divergence",
    status=SubmissionStatus.COMPLETED,
    attempts=1,
    verdict=Verdict.PARTIAL,
    score=4.0,
    max_score=6.0,
    result=GradeResult(problem="kl-divergence", verdict=Verdict.PARTIAL, score=4.0, max_score=6.0, checks=CHECKS),
    created_at=SUBMITTED_AT,
    started_at=datetime(2026, 3, 2, 9, 30, 6, tzinfo=UTC),
    finished_at=FINISHED_AT,
    links=LINKS,
)
NEW_ASSESSMENT = AssessmentCreate(
    title="ML engineer, generative models",
    description="Two problems, 90 minutes. Submit as often as you like: your best attempt counts.",
    problems=[ProblemChoice(problem="kl-divergence", points=40), ProblemChoice(problem="vae-mnist", points=60)],
    opens_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
    closes_at=datetime(2026, 3, 9, 18, 0, tzinfo=UTC),
    duration_s=5400,
)
INVITATION = InvitationView(
    id=INVITATION_ID,
    assessment_id=ASSESSMENT_ID,
    candidate_name="Ada Lovelace",
    candidate_email="ada@example.com",
    state=CandidateState.FINISHED,
    expires_at=datetime(2026, 3, 10, 18, 0, tzinfo=UTC),
    created_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    started_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    deadline_at=datetime(2026, 3, 2, 10, 30, tzinfo=UTC),
    finished_at=datetime(2026, 3, 2, 10, 12, tzinfo=UTC),
    revoked_at=None,
)
NEW_INVITATION = InvitationCreate(candidate_name="Ada Lovelace", candidate_email="ada@example.com")
TOKEN = f"inv_{INVITATION_ID}_q7T2kYb1x0N3wR5mVc8sLz4pHf6jDg9aUe2iKo1tBy0"
ISSUED = InvitationIssued(
    **INVITATION.model_copy(
        update={"state": CandidateState.INVITED, "started_at": None, "deadline_at": None, "finished_at": None}
    ).model_dump(),
    token=TOKEN,
    link=f"/invite/{TOKEN}",
)
OTHER_INVITATION_ID = "8b1e4d2c90f37a65"
PAIR = SimilarPairView(
    problem="kl-divergence",
    invitation_a=INVITATION_ID,
    candidate_a="Ada Lovelace",
    invitation_b=OTHER_INVITATION_ID,
    candidate_b="Grace Hopper",
    similarity=0.84,
    a_lines=[LineRange(start=4, end=5)],
    b_lines=[LineRange(start=6, end=7)],
)
FLAG_REVIEW = FlagReviewCreate(
    outcome=ReviewOutcome.DISMISSED, note="Both follow the statement's formula line by line."
)
FLAG = ReviewableFlag(
    key=f"similar:kl-divergence:{OTHER_INVITATION_ID}",
    source=FlagSource.SIMILARITY,
    kind="similar_code",
    problem="kl-divergence",
    message="84% of the code is shared with Grace Hopper's",
    evidence=SimilarityEvidence(
        similarity=PAIR.similarity,
        other_invitation_id=OTHER_INVITATION_ID,
        other_candidate="Grace Hopper",
        lines=PAIR.a_lines,
        other_lines=PAIR.b_lines,
        compare_url=f"/team/assessments/{ASSESSMENT_ID}/similar/kl-divergence/{INVITATION_ID}/{OTHER_INVITATION_ID}",
    ),
    review=FlagReviewView(
        outcome=FLAG_REVIEW.outcome,
        note=FLAG_REVIEW.note,
        reviewer="recruiting lead",
        reviewed_at=datetime(2026, 3, 3, 10, 15, tzinfo=UTC),
    ),
)
CANDIDATE_REPORT = CandidateReport(
    assessment_id=ASSESSMENT_ID,
    invitation=INVITATION,
    row=CandidateRow(
        rank=1,
        invitation_id=INVITATION_ID,
        candidate_name="Ada Lovelace",
        candidate_email="ada@example.com",
        state=CandidateState.FINISHED,
        started_at=INVITATION.started_at,
        time_used_s=4320.0,
        total_score=26.67,
        max_score=40.0,
        percent=66.7,
        attempts=1,
        scores={"kl-divergence": 26.67},
        verdicts={"kl-divergence": Verdict.PARTIAL},
        integrity_flags=0,
        similar_to=["Grace Hopper"],
        pending=0,
        flags=1,
        unreviewed_flags=0,
        flag_list=f"{FLAG.key}=dismissed",
    ),
    problems=[
        ProblemReport(
            problem="kl-divergence",
            title=KL_SUMMARY.title,
            points=40.0,
            score=26.67,
            attempts=1,
            verdict=Verdict.PARTIAL,
            entries=[
                EntryReport(
                    id="c1d2e3f4a5b6478899aabbccddeeff00",
                    number=1,
                    submitted_at=SUBMITTED_AT,
                    status=SubmissionStatus.COMPLETED,
                    verdict=Verdict.PARTIAL,
                    score=26.67,
                    raw_score=4.0,
                    raw_max_score=6.0,
                    counted=True,
                    source=SOURCE,
                    integrity_flags=[],
                    checks=CHECKS,
                    gradings=[
                        GradingView(
                            round=0,
                            submission_id=SUBMISSION_ID,
                            status=SubmissionStatus.COMPLETED,
                            verdict=Verdict.PARTIAL,
                            score=26.67,
                        )
                    ],
                )
            ],
        )
    ],
    similar_pairs=[PAIR],
    flags=[FLAG],
)


class OperationExamples(BaseModel):
    """One operation's examples: its request body's and its responses' (by status)."""

    request: BaseModel | None = None
    responses: dict[int, BaseModel | list[BaseModel]]


#: By operationId (judge.api.openapi.operation_id).
EXAMPLES: dict[str, OperationExamples] = {
    "create_submission": OperationExamples(
        request=SubmissionCreate(problem="kl-divergence", source=SOURCE),
        responses={
            202: SubmissionAccepted(
                id=SUBMISSION_ID,
                status=SubmissionStatus.QUEUED,
                problem="kl-divergence",
                created_at=SUBMITTED_AT,
                links=LINKS,
            )
        },
    ),
    "get_submission": OperationExamples(responses={200: GRADED}),
    "list_problems": OperationExamples(responses={200: [KL_SUMMARY]}),
    "get_problem": OperationExamples(
        responses={
            200: ProblemDetail(
                **KL_SUMMARY.model_dump(),
                statement="# KL divergences\n\nImplement `kl_diag_gaussian` and `kl_categorical` ...",
                starter=SOURCE,
                limits=LimitsView(check_timeout_s=20, run_timeout_s=60, memory_mb=1024),
                public_checks=[
                    PublicCheck(
                        id="gaussian_shapes",
                        category="shape",
                        points=1,
                        title="kl_diag_gaussian sums over the last dim and broadcasts a [D] prior",
                    )
                ],
                public_files=[],
                hidden_checks=10,
                files=["solution.py"],
            )
        }
    ),
    "create_assessment": OperationExamples(
        request=NEW_ASSESSMENT,
        responses={
            201: AssessmentView(
                id=ASSESSMENT_ID,
                team="recruiting",
                **NEW_ASSESSMENT.model_dump(include={"title", "description", "opens_at", "closes_at", "duration_s"}),
                max_attempts=NEW_ASSESSMENT.max_attempts,
                feedback=NEW_ASSESSMENT.feedback,
                scoring=NEW_ASSESSMENT.scoring,
                compile_error_uses_attempt=False,
                problems=[
                    AssessmentProblemView(
                        problem="kl-divergence", title=KL_SUMMARY.title, kind=Kind.CODE, points=40, max_score=40
                    ),
                    AssessmentProblemView(
                        problem="vae-mnist", title="A VAE on MNIST", kind=Kind.CODE, points=60, max_score=60
                    ),
                ],
                total_points=100,
                invitations=0,
                created_at=datetime(2026, 3, 1, 11, 0, tzinfo=UTC),
            )
        },
    ),
    "create_invitation": OperationExamples(request=NEW_INVITATION, responses={201: ISSUED}),
    "list_invitations": OperationExamples(responses={200: [INVITATION]}),
    "get_candidate_report": OperationExamples(responses={200: CANDIDATE_REPORT}),
    "review_flag": OperationExamples(request=FLAG_REVIEW, responses={200: FLAG}),
}


def _value(example: BaseModel | list[BaseModel]) -> Any:
    if isinstance(example, list):
        return [item.model_dump(mode="json", exclude_unset=True) for item in example]
    return example.model_dump(mode="json", exclude_unset=True)


def with_examples(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with EXAMPLES on the JSON bodies of their operations."""
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            examples = EXAMPLES.get(operation.get("operationId", "")) if isinstance(operation, dict) else None
            if examples is None:
                continue
            if examples.request is not None:
                body = operation["requestBody"]["content"]["application/json"]
                body["example"] = _value(examples.request)
            for status, example in examples.responses.items():
                operation["responses"][str(status)]["content"]["application/json"]["example"] = _value(example)
    return document

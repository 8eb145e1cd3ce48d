"""The upload job: validate one queued problem package (see bank.packages.accept_package) and store
whether it was accepted or refused.

Delivery is at least once, as for grades: the job claims the row (storage.uploads.claim), so a
duplicate or the late redelivery of a dead try's job is done without work. A package's own faults
(InvalidProblem, ProblemConflict) refuse it; a fault of the judge (its sandbox failing, the database
going away) is never the package's refusal: the upload is validated again, up to settings.queue.max_tries tries.
"""

from __future__ import annotations

import logging

from judge.bank import ownership
from judge.bank.packages import ProblemConflict, accept_package
from judge.errors import InvalidProblem, SandboxFault
from judge.queue.jobs import Heartbeat, WorkerContext
from judge.storage import uploads
from judge.storage.uploads import ClaimState

log = logging.getLogger(__name__)

#: What a team reads when the judge could not validate its package: the fault's detail is logged, not shown.
GAVE_UP = "the judge could not validate this package (a fault of the judge, not of the package); upload it again later"


def validate_upload(context: WorkerContext, upload_id: str) -> float | None:
    """Validate one upload once: claim it, validate while beating, store the outcome. None when
    done, or the seconds after which the job must run again (after a fault of the judge)."""
    settings = context.settings
    with context.sessions() as session:
        claim = uploads.claim(
            session,
            upload_id,
            worker=context.worker,
            max_tries=settings.queue.max_tries,
            heartbeat_timeout_s=settings.queue.heartbeat_timeout_s,
            exhausted_message=GAVE_UP,
        )
    if claim.state is not ClaimState.CLAIMED:
        # Finished, held by a live job (whose death the sweeper notices), or out of tries (now failed).
        return None
    try_number = claim.try_number
    # ownership knows an admin's upload, which joins the public bank, as team None.
    team = None if claim.team == uploads.PUBLIC else claim.team

    beat = Heartbeat(
        context,
        f"upload {upload_id} try {try_number}",
        lambda session: uploads.heartbeat(session, upload_id, try_number),
    )
    beat.start()
    try:
        accepted = accept_package(
            claim.archive,
            context.bank,
            context.sandbox,
            ownership.upload_claim(context.sessions, settings, team, claim.key_id),
        )
        with context.sessions() as session:
            ownership.record_upload(session, accepted.problem.slug, team, claim.key_id)
    except (InvalidProblem, ProblemConflict) as exc:
        with context.sessions() as session:
            uploads.reject(session, upload_id, try_number, str(exc))
        return None
    except Exception as exc:  # SandboxFault, the database, any other fault of the judge: never the package's refusal
        return _judge_fault(context, upload_id, try_number, exc)
    finally:
        beat.stopped.set()
        beat.join()
    with context.sessions() as session:
        stored = uploads.accept(
            session,
            upload_id,
            try_number,
            slug=accepted.problem.slug,
            replaced=accepted.replaced,
            report=accepted.report,
            package_hash=accepted.package_hash,
        )
    if not stored:
        log.warning(
            "upload %s try %d was installed after losing its claim; the newer try records it",
            upload_id,
            try_number,
        )
    return None


def _judge_fault(context: WorkerContext, upload_id: str, try_number: int, exc: Exception) -> float | None:
    settings = context.settings
    kind = "sandbox fault" if isinstance(exc, SandboxFault) else f"judge fault ({type(exc).__name__})"
    log.error(
        "validating upload %s try %d: %s: %s",
        upload_id,
        try_number,
        kind,
        exc,
        exc_info=not isinstance(exc, SandboxFault),
    )
    with context.sessions() as session:
        if try_number >= settings.queue.max_tries:
            uploads.fail(session, upload_id, try_number, GAVE_UP)
            return None
        uploads.release(session, upload_id, try_number)
    return settings.queue.retry_backoff_s * 2.0 ** (try_number - 1)

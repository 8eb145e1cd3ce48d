"""Similarity between candidates' submissions to one problem: winnowed fingerprints, as MOSS does.

The fingerprinting is copydetect's: code is tokenised and names, strings and comments are normalised
away (so renaming variables or reformatting changes nothing), k-grams of the token text are hashed and
winnowed. Fingerprints of the problem's starter are removed from every submission first, so code every
candidate was given never makes two candidates look alike.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from itertools import combinations

from pydantic import BaseModel, Field

#: k-gram length in normalised characters: shorter shared runs are noise (copydetect's default).
NOISE_CHARS = 25
#: Any shared run this long is guaranteed to be found; equal to NOISE_CHARS, every k-gram is kept.
GUARANTEE_CHARS = 25
#: Pairs sharing fewer normalised characters than this are never flagged, however small the files.
MIN_SHARED_CHARS = 2 * NOISE_CHARS


class LineRange(BaseModel):
    """Lines `start` to `end` (1-based, inclusive) of one submission."""

    start: int = Field(ge=1)
    end: int = Field(ge=1)

    def __str__(self) -> str:
        return f"{self.start}-{self.end}" if self.end != self.start else str(self.start)


class SimilarPair(BaseModel):
    """Two submissions that share more code than independent work plausibly would."""

    a: str
    b: str
    score: float = Field(ge=0, le=1, description="The larger of a_fraction and b_fraction.")
    a_fraction: float = Field(ge=0, le=1, description="Share of a's own (non-starter) code also found in b.")
    b_fraction: float = Field(ge=0, le=1, description="Share of b's own (non-starter) code also found in a.")
    shared_chars: int = Field(ge=0, description="Normalised characters of a that b shares.")
    a_lines: list[LineRange] = Field(default_factory=list, description="Where in a the shared code is.")
    b_lines: list[LineRange] = Field(default_factory=list, description="Where in b the shared code is.")

    def __str__(self) -> str:
        return f"{self.a}~{self.b} {self.score:.2f}"

    def other(self, label: str) -> str:
        """The label of the submission paired with `label`."""
        return self.b if label == self.a else self.a


def similar_pairs(sources: Mapping[str, str], starter: str, threshold: float) -> list[SimilarPair]:
    """Every pair of submissions whose similarity is at least `threshold`, most similar first.

    `sources` maps a label (candidate, submission id) to the submission's Python source; `starter` is
    the code all candidates were given, excluded from the fingerprints."""
    if not 0 <= threshold <= 1:
        raise ValueError(f"similarity threshold must lie in [0, 1], not {threshold}")
    pairs = [p for p in all_pairs(sources, starter) if p.score >= threshold and p.shared_chars >= MIN_SHARED_CHARS]
    return sorted(pairs, key=lambda p: (-p.score, p.a, p.b))


def all_pairs(sources: Mapping[str, str], starter: str) -> list[SimilarPair]:
    """The similarity of every pair of submissions (labels in sorted order within a pair), unfiltered."""
    printer = _printer(starter)
    prints = {label: printer(label, text) for label, text in sorted(sources.items())}
    return [_pair(a, sources[a], prints[a], b, sources[b], prints[b]) for a, b in combinations(sorted(prints), 2)]


def _printer(starter: str):
    """A function fingerprinting one labelled source, with the starter's code left out."""
    # copydetect pulls in matplotlib at import; only code that compares pays for it.
    from copydetect import CodeFingerprint

    boilerplate = list(CodeFingerprint("starter.py", NOISE_CHARS, 1, fp=io.StringIO(starter), language="python").hashes)
    window = GUARANTEE_CHARS - NOISE_CHARS + 1

    def printed(label: str, text: str):
        return CodeFingerprint(f"{label}.py", NOISE_CHARS, window, boilerplate, fp=io.StringIO(text), language="python")

    return printed


def _pair(a: str, a_text: str, a_print, b: str, b_text: str, b_print) -> SimilarPair:
    """copydetect's comparison of two fingerprinted sources as a SimilarPair."""
    from copydetect import compare_files

    shared, (a_fraction, b_fraction), (a_slices, b_slices) = compare_files(a_print, b_print)
    a_fraction, b_fraction = min(float(a_fraction), 1.0), min(float(b_fraction), 1.0)
    return SimilarPair(
        a=a,
        b=b,
        score=max(a_fraction, b_fraction),
        a_fraction=a_fraction,
        b_fraction=b_fraction,
        shared_chars=int(shared),
        a_lines=_line_ranges(a_text, a_slices),
        b_lines=_line_ranges(b_text, b_slices),
    )


def _line_ranges(text: str, slices) -> list[LineRange]:
    """Character slices (copydetect's 2xN array of starts and ends) as merged 1-based line ranges."""
    if len(slices) == 0 or len(slices[0]) == 0:
        return []
    starts_of_lines = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts_of_lines.append(index + 1)

    def line_of(offset: int) -> int:
        low, high = 0, len(starts_of_lines) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if starts_of_lines[middle] <= offset:
                low = middle
            else:
                high = middle - 1
        return low + 1

    ranges: list[LineRange] = []
    for start, end in sorted(zip(slices[0], slices[1])):
        first, last = line_of(int(start)), line_of(max(int(start), int(end) - 1))
        if ranges and first <= ranges[-1].end + 1:
            ranges[-1].end = max(ranges[-1].end, last)
        else:
            ranges.append(LineRange(start=first, end=last))
    return ranges


#: Winnowing window of the stored fingerprints: about 2/(w+1) of the k-grams are kept, and any shared run of
#: NOISE_CHARS + INDEX_WINDOW - 1 normalised characters still shares a stored hash.
INDEX_WINDOW = 4


def stored_fingerprints(source: str, starter: str) -> list[int]:
    """The winnowed fingerprints of `source` worth storing to find similar code later, starter's removed.

    The tokenisation and winnowing are copydetect's; the k-gram hash is not: copydetect uses Python's
    `hash`, salted per process, so its hashes could never be compared with ones stored by another process.
    Here each k-gram of the normalised text is hashed with BLAKE2b (8 bytes, as a signed 64-bit integer)."""
    from copydetect.utils import filter_code, winnow

    own = _winnowed(filter_code(source, "submission.py", "python")[0], winnow)
    given = _winnowed(filter_code(starter, "starter.py", "python")[0], winnow) if starter else set()
    return sorted(own - given)


def _winnowed(normalised: str, winnow) -> set[int]:
    import numpy as np

    grams = [
        int.from_bytes(
            hashlib.blake2b(normalised[i : i + NOISE_CHARS].encode(), digest_size=8).digest(), "big", signed=True
        )
        for i in range(len(normalised) - NOISE_CHARS + 1)
    ]
    if not grams:
        return set()
    selected, _ = winnow(np.array(grams, dtype=np.int64), INDEX_WINDOW)
    return {int(h) for h in selected}


def pairs_with(label: str, source: str, others: Mapping[str, str], starter: str) -> dict[str, SimilarPair]:
    """The similarity of one submission with each of `others` (label -> source), unfiltered, keyed by the
    other's label; `label` is always the pair's `a`. Each file is fingerprinted once, so comparing one new
    submission with n others costs n + 1 fingerprints, not the 2n of n separate all_pairs calls."""
    printer = _printer(starter)
    mine = printer(label, source)
    return {other: _pair(label, source, mine, other, text, printer(other, text)) for other, text in others.items()}

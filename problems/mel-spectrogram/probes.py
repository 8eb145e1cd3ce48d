"""Probes: run inside the candidate's process, call the submission, return plain tensors.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; the
checks compute every reference themselves, in float64. Dtypes cross the channel as names.
"""

import sys

import torch

# The statement asks for an implementation from torch primitives: audio libraries are not importable here.
for _name in ("torchaudio", "librosa"):
    sys.modules[_name] = None

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def frame(sol, x, frame_length, hop_length):
    """("ok", frames) or ("error", exception type name) for frame(x, frame_length, hop_length)."""
    try:
        return "ok", sol.frame(x, frame_length, hop_length)
    except Exception as exc:  # noqa: BLE001 - the check only looks at the exception's type
        return "error", type(exc).__name__


def hann(sol, n, dtype):
    """hann_window(n) with the default dtype when `dtype` is None, else hann_window(n, dtype=...)."""
    if dtype is None:
        return sol.hann_window(n)
    return sol.hann_window(n, dtype=DTYPES[dtype])


def spectrogram(sol, x, n_fft, hop_length, power):
    """spectrogram(x, n_fft, hop_length, power=power)."""
    return sol.spectrogram(x, n_fft, hop_length, power=power)


def filterbank(sol, n_fft, n_mels, sample_rate, f_min, f_max, dtype):
    """mel_filterbank with the default dtype when `dtype` is None."""
    kwargs = {} if dtype is None else {"dtype": DTYPES[dtype]}
    return sol.mel_filterbank(n_fft, n_mels, sample_rate, f_min=f_min, f_max=f_max, **kwargs)


def log_mel(sol, x, sample_rate, n_fft, hop_length, n_mels, f_min, f_max, floor):
    """log_mel_spectrogram; the default floor when `floor` is None."""
    kwargs = {} if floor is None else {"floor": floor}
    return sol.log_mel_spectrogram(x, sample_rate, n_fft, hop_length, n_mels, f_min=f_min, f_max=f_max, **kwargs)

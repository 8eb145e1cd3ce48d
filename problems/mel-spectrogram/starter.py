"""Framing, window, spectrogram, mel filterbank and log-mel from torch primitives: fill in every function.

See the statement for the exact shapes, conventions and tolerances. torchaudio and librosa are not available.
"""

import math

import torch


def frame(x, frame_length, hop_length):
    """[..., T] -> [..., n_frames, frame_length], n_frames = 1 + (T - frame_length) // hop_length."""
    raise NotImplementedError


def hann_window(n, dtype=torch.float32):
    """Periodic Hann window of length n."""
    raise NotImplementedError


def spectrogram(x, n_fft, hop_length, power=2.0):
    """[..., T] -> [..., n_fft // 2 + 1, n_frames]: |rfft(window * frame)| ** power."""
    raise NotImplementedError


def mel_filterbank(n_fft, n_mels, sample_rate, f_min=0.0, f_max=None, dtype=torch.float32):
    """[n_mels, n_fft // 2 + 1] triangular filters on the HTK mel scale."""
    raise NotImplementedError


def log_mel_spectrogram(x, sample_rate, n_fft, hop_length, n_mels, f_min=0.0, f_max=None, floor=1e-10):
    """[..., T] -> [..., n_mels, n_frames]: log(max(mel power, floor))."""
    raise NotImplementedError

"""Mutant: the Hann window is symmetric (divides by n - 1), not periodic."""

import math

import torch


def frame(x, frame_length, hop_length):
    """[..., T] -> [..., n_frames, frame_length] with n_frames = 1 + (T - frame_length) // hop_length.

    No padding: frame i is x[..., i * hop_length : i * hop_length + frame_length], and trailing samples
    that do not fill a whole frame are dropped. A signal shorter than one frame raises ValueError.
    """
    length = x.shape[-1]
    if length < frame_length:
        raise ValueError(f"signal of {length} samples is shorter than one frame of {frame_length}")
    # unfold makes a strided view; contiguous() gives the caller an ordinary tensor.
    return x.unfold(-1, frame_length, hop_length).contiguous()


def hann_window(n, dtype=torch.float32):
    """Periodic Hann window: w[k] = 0.5 - 0.5 * cos(2 * pi * k / n), k = 0 .. n - 1."""
    k = torch.arange(n, dtype=torch.float64)
    return (0.5 - 0.5 * torch.cos(2 * math.pi * k / (n - 1))).to(dtype)


def spectrogram(x, n_fft, hop_length, power=2.0):
    """|rfft(hann * frame)|^power: [..., T] -> [..., n_fft // 2 + 1, n_frames], frames of n_fft samples."""
    frames = frame(x, n_fft, hop_length) * hann_window(n_fft, dtype=x.dtype)
    magnitude = torch.fft.rfft(frames, n=n_fft, dim=-1).abs()
    return (magnitude**power).transpose(-1, -2)


def hz_to_mel(f):
    """HTK mel scale: 2595 * log10(1 + f / 700)."""
    return 2595.0 * torch.log10(1.0 + f / 700.0)


def mel_to_hz(m):
    """Inverse of the HTK mel scale: 700 * (10^(m / 2595) - 1)."""
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def mel_filterbank(n_fft, n_mels, sample_rate, f_min=0.0, f_max=None, dtype=torch.float32):
    """Triangular filters on the HTK mel scale, peak 1, no normalisation: [n_mels, n_fft // 2 + 1].

    Built in float64 and cast to `dtype`: edges f_0 .. f_{n_mels+1} equally spaced in mel between
    f_min and f_max (sample_rate / 2 when None); bin k has frequency k * sample_rate / n_fft.
    """
    f_max = sample_rate / 2 if f_max is None else f_max
    n_freqs = n_fft // 2 + 1
    mels = torch.linspace(hz_to_mel(torch.tensor(float(f_min), dtype=torch.float64)).item(),
                          hz_to_mel(torch.tensor(float(f_max), dtype=torch.float64)).item(),
                          n_mels + 2, dtype=torch.float64)
    edges = mel_to_hz(mels)
    freqs = torch.arange(n_freqs, dtype=torch.float64) * sample_rate / n_fft
    lower, center, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs - lower) / (center - lower)
    falling = (upper - freqs) / (upper - center)
    return torch.clamp(torch.minimum(rising, falling), min=0.0).to(dtype)


def log_mel_spectrogram(x, sample_rate, n_fft, hop_length, n_mels, f_min=0.0, f_max=None, floor=1e-10):
    """log(max(fb @ power spectrogram, floor)), natural log: [..., T] -> [..., n_mels, n_frames]."""
    power = spectrogram(x, n_fft, hop_length, power=2.0)
    fb = mel_filterbank(n_fft, n_mels, sample_rate, f_min, f_max, dtype=power.dtype)
    return torch.log(torch.clamp(fb @ power, min=floor))

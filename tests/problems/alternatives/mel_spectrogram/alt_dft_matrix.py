"""Alternative: as_strided frames, an explicit cosine/sine DFT matrix instead of an FFT, vectorised filters."""

import math

import torch


def frame(x, frame_length, hop_length):
    """A strided view over a contiguous copy, then cloned."""
    length = x.shape[-1]
    if length < frame_length:
        raise ValueError("signal shorter than one frame")
    x = x.contiguous()
    n_frames = 1 + (length - frame_length) // hop_length
    size = (*x.shape[:-1], n_frames, frame_length)
    stride = (*x.stride()[:-1], hop_length, 1)
    return x.as_strided(size, stride).clone()


def hann_window(n, dtype=torch.float32):
    """sin^2(pi k / n) is the periodic Hann window."""
    k = torch.arange(n, dtype=torch.float64)
    return torch.sin(math.pi * k / n).pow(2).to(dtype)


def spectrogram(x, n_fft, hop_length, power=2.0):
    """Real and imaginary parts of the one-sided DFT as two matrix products."""
    frames = frame(x, n_fft, hop_length) * hann_window(n_fft, dtype=x.dtype)
    n = torch.arange(n_fft, dtype=torch.float64)
    k = torch.arange(n_fft // 2 + 1, dtype=torch.float64)
    # Reduce k * n modulo n_fft in integers first, so large products lose no precision in the angle.
    phase = (torch.outer(n.long(), k.long()) % n_fft).double() * (2 * math.pi / n_fft)
    real = frames @ torch.cos(phase).to(x.dtype)
    imag = frames @ (-torch.sin(phase)).to(x.dtype)
    magnitude = torch.hypot(real, imag)
    return magnitude.pow(power).movedim(-1, -2)


def mel_filterbank(n_fft, n_mels, sample_rate, f_min=0.0, f_max=None, dtype=torch.float32):
    """Vectorised triangles from linearly interpolated edges."""
    f_max = sample_rate / 2 if f_max is None else f_max
    mel_lo = 2595.0 * math.log10(1.0 + f_min / 700.0)
    mel_hi = 2595.0 * math.log10(1.0 + f_max / 700.0)
    mels = mel_lo + (mel_hi - mel_lo) * torch.arange(n_mels + 2, dtype=torch.float64) / (n_mels + 1)
    hz = 700.0 * (torch.pow(10.0, mels / 2595.0) - 1.0)
    freqs = torch.arange(n_fft // 2 + 1, dtype=torch.float64) * (sample_rate / n_fft)
    widths = hz[1:] - hz[:-1]
    slopes = hz[:, None] - freqs[None, :]  # [n_mels + 2, n_freqs]
    down = -slopes[:-2] / widths[:-1, None]  # rising edge: (f - f_m) / (f_{m+1} - f_m)
    up = slopes[2:] / widths[1:, None]  # falling edge: (f_{m+2} - f) / (f_{m+2} - f_{m+1})
    return torch.zeros(1, dtype=torch.float64).max(torch.min(down, up)).to(dtype)


def log_mel_spectrogram(x, sample_rate, n_fft, hop_length, n_mels, f_min=0.0, f_max=None, floor=1e-10):
    """log(max(fb @ |X|^2, floor))."""
    mel = mel_filterbank(n_fft, n_mels, sample_rate, f_min, f_max, dtype=x.dtype) @ spectrogram(
        x, n_fft, hop_length, 2.0
    )
    return torch.log(torch.maximum(mel, torch.tensor(floor, dtype=mel.dtype)))

"""Alternative: frames by index gathering, the spectrogram through torch.stft(center=False), filters by Python loops."""

import math

import torch


def frame(x, frame_length, hop_length):
    """Gather samples with an index matrix [n_frames, frame_length]."""
    if x.shape[-1] < frame_length:
        raise ValueError("signal shorter than one frame")
    n_frames = 1 + (x.shape[-1] - frame_length) // hop_length
    index = torch.arange(n_frames)[:, None] * hop_length + torch.arange(frame_length)[None, :]
    return x[..., index]


def hann_window(n, dtype=torch.float32):
    """torch's own periodic Hann window, in float64 then cast."""
    return torch.hann_window(n, periodic=True, dtype=torch.float64).to(dtype)


def spectrogram(x, n_fft, hop_length, power=2.0):
    """torch.stft without centring frames the signal exactly as frame() does."""
    if x.shape[-1] < n_fft:
        raise ValueError("signal shorter than one frame")
    lead = x.shape[:-1]
    flat = x.reshape(-1, x.shape[-1])
    spec = torch.stft(flat, n_fft, hop_length, window=hann_window(n_fft, x.dtype), center=False, return_complex=True)
    return spec.abs().pow(power).reshape(*lead, *spec.shape[-2:])


def mel_filterbank(n_fft, n_mels, sample_rate, f_min=0.0, f_max=None, dtype=torch.float32):
    """Each weight from Python floats: exact in float64 before the cast."""
    f_max = sample_rate / 2 if f_max is None else f_max
    to_mel = lambda f: 2595.0 * math.log10(1.0 + f / 700.0)
    to_hz = lambda m: 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    step = (to_mel(f_max) - to_mel(f_min)) / (n_mels + 1)
    edges = [to_hz(to_mel(f_min) + i * step) for i in range(n_mels + 2)]
    rows = []
    for m in range(n_mels):
        row = []
        for k in range(n_fft // 2 + 1):
            f = k * sample_rate / n_fft
            if edges[m] < f <= edges[m + 1]:
                row.append((f - edges[m]) / (edges[m + 1] - edges[m]))
            elif edges[m + 1] < f < edges[m + 2]:
                row.append((edges[m + 2] - f) / (edges[m + 2] - edges[m + 1]))
            else:
                row.append(0.0)
        rows.append(row)
    return torch.tensor(rows, dtype=torch.float64).to(dtype)


def log_mel_spectrogram(x, sample_rate, n_fft, hop_length, n_mels, f_min=0.0, f_max=None, floor=1e-10):
    """Mel power by einsum, floored, natural log."""
    power = spectrogram(x, n_fft, hop_length, 2.0)
    fb = mel_filterbank(n_fft, n_mels, sample_rate, f_min, f_max, dtype=x.dtype)
    return torch.einsum("mf,...ft->...mt", fb, power).clamp_min(floor).log()

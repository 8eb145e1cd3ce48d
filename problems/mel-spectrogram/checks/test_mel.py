"""Hidden checks for mel-spectrogram. References are built here, in float64, from the statement's formulas."""

import math

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def reference_frames(x, frame_length, hop_length):
    """Frame i is x[..., i * hop : i * hop + frame_length], for every i whose frame fits in the signal."""
    starts = range(0, x.shape[-1] - frame_length + 1, hop_length)
    return torch.stack([x[..., s : s + frame_length] for s in starts], dim=-2)


def reference_hann(n):
    """Periodic Hann window 0.5 - 0.5 cos(2 pi k / n), in float64."""
    return torch.tensor([0.5 - 0.5 * math.cos(2 * math.pi * k / n) for k in range(n)], dtype=torch.float64)


def reference_spectrogram(x, n_fft, hop_length, power):
    """|sum_n w[n] frame[n] exp(-2 pi i k n / n_fft)|^power for k = 0 .. n_fft // 2, as [..., freq, frame]."""
    frames = reference_frames(x.double(), n_fft, hop_length) * reference_hann(n_fft)
    n = torch.arange(n_fft, dtype=torch.float64)
    k = torch.arange(n_fft // 2 + 1, dtype=torch.float64)
    angle = -2 * math.pi * torch.outer(n, k) / n_fft
    real, imag = frames @ torch.cos(angle), frames @ torch.sin(angle)
    return (real**2 + imag**2).sqrt().pow(power).transpose(-1, -2)


def reference_filterbank(n_fft, n_mels, sample_rate, f_min, f_max):
    """Triangular filters with HTK-mel-spaced edges and unit peaks, element by element in float64."""
    f_max = sample_rate / 2 if f_max is None else f_max
    mel = lambda f: 2595.0 * math.log10(1.0 + f / 700.0)
    hz = lambda m: 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    low, high = mel(f_min), mel(f_max)
    edges = [hz(low + (high - low) * i / (n_mels + 1)) for i in range(n_mels + 2)]
    bank = torch.zeros(n_mels, n_fft // 2 + 1, dtype=torch.float64)
    for m in range(n_mels):
        left, center, right = edges[m], edges[m + 1], edges[m + 2]
        for k in range(n_fft // 2 + 1):
            f = k * sample_rate / n_fft
            bank[m, k] = max(0.0, min((f - left) / (center - left), (right - f) / (right - center)))
    return bank


def reference_log_mel(x, sample_rate, n_fft, hop_length, n_mels, f_min, f_max, floor):
    """log(max(filterbank @ power spectrogram, floor)), natural log, in float64."""
    mel = reference_filterbank(n_fft, n_mels, sample_rate, f_min, f_max) @ reference_spectrogram(x, n_fft, hop_length, 2.0)
    return torch.log(torch.clamp(mel, min=floor))


def tones(n, sample_rate, seed, dtype=torch.float64):
    """A few sines plus a little noise: energy in every band, a clear peak in some."""
    g = gen(seed)
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    signal = 0.5 * torch.sin(2 * math.pi * 440.0 * t) + 0.3 * torch.sin(2 * math.pi * 1234.5 * t + 1.0)
    signal = signal + 0.2 * torch.sin(2 * math.pi * 3000.0 * t) + 0.01 * torch.randn(n, generator=g, dtype=torch.float64)
    return signal.to(dtype)


def test_frame_values(candidate):
    g = gen(3)
    for shape, frame_length, hop in (((103,), 20, 10), ((2, 3, 64), 64, 7), ((57,), 8, 12), ((2, 40), 7, 1)):
        x = torch.randn(*shape, generator=g)
        status, frames = candidate.call("frame", x, frame_length, hop)
        assert status == "ok", "frame raised for a signal at least one frame long"
        expected = reference_frames(x, frame_length, hop)
        frames = expect.tensor(frames, f"frame(x of shape {list(shape)}, {frame_length}, {hop})", tuple(expected.shape), dtype=torch.float32)
        assert torch.equal(frames, expected), f"frame(x of shape {list(shape)}, {frame_length}, {hop}) does not hold the samples x[..., i*hop : i*hop + frame_length]"
    status, kind = candidate.call("frame", torch.randn(10, generator=g), 16, 4)
    assert status == "error" and kind == "ValueError", "a signal shorter than one frame must raise ValueError"


def test_hann_window(candidate):
    for n in (8, 9, 400, 2):
        out = expect.tensor(candidate.call("hann", n, "float64"), f"hann_window({n}, dtype=torch.float64)", (n,), dtype=torch.float64)
        expect.close(out, reference_hann(n), f"hann_window({n}, dtype=torch.float64)", rtol=0, atol=1e-12)
        out = expect.tensor(candidate.call("hann", n, None), f"hann_window({n})", (n,), dtype=torch.float32)
        expect.close(out, reference_hann(n), f"hann_window({n})", rtol=0, atol=1e-6)


def test_spectrogram_value(candidate):
    x = torch.randn(2, 700, generator=gen(4), dtype=torch.float64)
    x[1] = tones(700, 8000, 5)
    for n_fft, hop, power in ((128, 64, 2.0), (128, 50, 1.0), (101, 33, 2.0), (64, 100, 1.0)):
        expected = reference_spectrogram(x, n_fft, hop, power)
        out = candidate.call("spectrogram", x, n_fft, hop, power)
        out = expect.tensor(out, f"spectrogram(float64 x, n_fft={n_fft}, hop={hop}, power={power:g})", tuple(expected.shape), dtype=torch.float64)
        scale = float(expected.abs().max())
        expect.close(out, expected, f"spectrogram(float64 x, n_fft={n_fft}, hop={hop}, power={power:g})", rtol=1e-9, atol=1e-9 * scale)
    x32 = x.float()
    expected = reference_spectrogram(x32, 128, 64, 2.0)
    out = expect.tensor(candidate.call("spectrogram", x32, 128, 64, 2.0), "spectrogram(float32 x)", tuple(expected.shape), dtype=torch.float32)
    expect.close(out, expected, "spectrogram(float32 x, n_fft=128, hop=64)", rtol=1e-4, atol=1e-5 * float(expected.max()))


FILTERBANKS = ((512, 40, 16000, 0.0, None), (400, 64, 22050, 50.0, 7000.0), (255, 10, 8000, 0.0, None))


def test_mel_filterbank_value(candidate):
    for n_fft, n_mels, sample_rate, f_min, f_max in FILTERBANKS:
        expected = reference_filterbank(n_fft, n_mels, sample_rate, f_min, f_max)
        name = f"mel_filterbank({n_fft}, {n_mels}, {sample_rate}, f_min={f_min:g}, f_max={f_max})"
        out = expect.tensor(candidate.call("filterbank", n_fft, n_mels, sample_rate, f_min, f_max, "float64"), name + " float64", tuple(expected.shape), dtype=torch.float64)
        expect.close(out, expected, name + " float64", rtol=0, atol=1e-9)
        out = expect.tensor(candidate.call("filterbank", n_fft, n_mels, sample_rate, f_min, f_max, None), name, tuple(expected.shape), dtype=torch.float32)
        expect.close(out, expected, name, rtol=0, atol=1e-4)


def test_log_mel_value(candidate):
    x = torch.stack([tones(3200, 16000, 6), 0.1 * torch.randn(3200, generator=gen(7), dtype=torch.float64)])
    for args in ((16000, 512, 160, 40, 0.0, None), (16000, 400, 200, 32, 20.0, 7600.0)):
        expected = reference_log_mel(x, *args, 1e-10)
        out = expect.tensor(candidate.call("log_mel", x, *args, None), f"log_mel_spectrogram(float64 x, n_fft={args[1]}, n_mels={args[3]})", tuple(expected.shape), dtype=torch.float64)
        expect.close(out, expected, f"log_mel_spectrogram(float64 x, n_fft={args[1]}, n_mels={args[3]})", rtol=0, atol=1e-6)
    # float32: compare mel powers, relative to the largest one, since the log of a tiny power is ill-conditioned.
    x32 = x.float()
    expected = reference_log_mel(x32, 16000, 512, 160, 40, 0.0, None, 1e-10).exp()
    out = expect.tensor(candidate.call("log_mel", x32, 16000, 512, 160, 40, 0.0, None, None), "log_mel_spectrogram(float32 x)", tuple(expected.shape), dtype=torch.float32)
    expect.finite(out, "log_mel_spectrogram(float32 x)")
    expect.close(out.double().exp(), expected, "exp(log_mel_spectrogram(float32 x))", rtol=1e-3, atol=1e-5 * float(expected.max()))


def test_log_mel_floor(candidate):
    # Silence in the second half: those frames' mel power is exactly 0 and must sit on the floor.
    x = tones(3200, 16000, 8)
    x[1600:] = 0.0
    for floor in (None, 1e-5):
        value = 1e-10 if floor is None else floor
        expected = reference_log_mel(x, 16000, 256, 128, 24, 0.0, None, value)
        out = candidate.call("log_mel", x, 16000, 256, 128, 24, 0.0, None, floor)
        expect.close(out, expected, f"log_mel_spectrogram of a half-silent signal, floor={value:g}", rtol=0, atol=1e-6)
    silent = torch.zeros(2, 1000)
    out = expect.tensor(candidate.call("log_mel", silent, 16000, 256, 128, 20, 0.0, None, None), "log_mel_spectrogram of silence", (2, 20, 6), dtype=torch.float32)
    expect.close(out, torch.full((2, 20, 6), math.log(1e-10), dtype=torch.float64), "log_mel_spectrogram of silence (float32)", rtol=0, atol=1e-5)

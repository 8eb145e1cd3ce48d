"""Public checks: run them yourself with `judge grade mel-spectrogram your_file.py`."""

import torch

from judge.harness import expect


def test_frame_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    for shape, frame_length, hop in (((100,), 20, 10), ((2, 101), 16, 8), ((2, 3, 64), 64, 5), ((50,), 8, 12)):
        x = torch.randn(*shape, generator=g)
        status, frames = candidate.call("frame", x, frame_length, hop)
        assert status == "ok", f"frame raised {frames} for a signal of length {shape[-1]} >= frame_length"
        n_frames = 1 + (shape[-1] - frame_length) // hop
        expect.tensor(frames, f"frame(x of shape {list(shape)}, {frame_length}, {hop})", (*shape[:-1], n_frames, frame_length), dtype=torch.float32)


def test_spectrogram_shapes(candidate):
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 1000, generator=g)
    for n_fft, hop in ((256, 128), (255, 100), (64, 64)):
        n_frames = 1 + (1000 - n_fft) // hop
        out = expect.tensor(candidate.call("spectrogram", x, n_fft, hop, 2.0), f"spectrogram(x [2, 1000], n_fft={n_fft}, hop={hop})", (2, n_fft // 2 + 1, n_frames), dtype=torch.float32)
        expect.finite(out, "spectrogram")
    out = expect.tensor(candidate.call("log_mel", x[0], 16000, 256, 128, 20, 0.0, None, None), "log_mel_spectrogram(x [1000], n_mels=20)", (20, 1 + (1000 - 256) // 128), dtype=torch.float32)
    expect.finite(out, "log_mel_spectrogram")

"""mel-spectrogram: the hidden checks' references agree with torch."""

import pytest
import torch

from tests.problems.support import load_checks


@pytest.mark.parametrize("n_fft,hop", [(128, 64), (101, 33), (64, 100)])
def test_reference_spectrogram_matches_torch_stft(n_fft, hop):
    checks = load_checks("mel-spectrogram", "test_mel.py")
    x = torch.randn(2, 700, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    window = torch.hann_window(n_fft, periodic=True, dtype=torch.float64)
    expected = torch.stft(x, n_fft, hop, window=window, center=False, return_complex=True).abs() ** 2
    assert torch.allclose(
        checks.reference_spectrogram(x, n_fft, hop, 2.0), expected, rtol=1e-10, atol=1e-10 * float(expected.max())
    )
    assert torch.allclose(checks.reference_hann(n_fft), window, rtol=0, atol=1e-15)


def test_reference_frames_match_unfold():
    checks = load_checks("mel-spectrogram", "test_mel.py")
    x = torch.randn(3, 57)
    assert torch.equal(checks.reference_frames(x, 8, 12), x.unfold(-1, 8, 12))


def test_reference_filterbank_is_triangular_and_unnormalised():
    """Weights lie in [0, 1]; with f_min = 0 and f_max = sample_rate / 2, bin 0 sits on f_0 and the last bin on f_{n_mels+1}."""
    checks = load_checks("mel-spectrogram", "test_mel.py")
    bank = checks.reference_filterbank(512, 40, 16000, 0.0, None)
    assert float(bank.max()) <= 1.0 and float(bank.min()) >= 0.0
    assert float(bank[:, 0].abs().max()) == 0.0 and float(bank[:, -1].abs().max()) < 1e-9
    # Unnormalised: a filter whose centre lies close to a bin reaches a weight close to 1 there.
    assert float(bank.max(dim=1).values.max()) > 0.99

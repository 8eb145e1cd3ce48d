"""beam-search: the small-beam inputs have no near-ties at a pruning boundary (so float32 rounding cannot
change which beams survive), and the stated algorithm agrees with brute force when nothing is pruned."""

from tests.problems.support import load_checks


def test_pruning_boundaries_are_clear():
    checks = load_checks("beam-search", "test_beam.py")
    configs = [
        (vocab, bos, eos, max_len, beam, alpha, seed, bias)
        for vocab, bos, eos, max_len, beam, alpha, seed, bias in checks.SMALL
    ]
    configs += [
        (6, 1, 4, max_len, beam, 0.5, seed, bias) for beam, max_len, bias, seed in ((3, 6, 1.5, 31), (4, 5, 0.5, 32))
    ]
    for vocab, bos, eos, max_len, beam, alpha, seed, bias in configs:
        table = checks.make_table(vocab, seed, eos, eos_bias=bias)
        _, gaps = checks.stated_algorithm(table, bos, eos, beam, max_len, alpha)
        assert min(gaps) > 1e-3, (vocab, beam, seed)


def test_brute_force_matches_the_stated_algorithm_when_nothing_is_pruned():
    checks = load_checks("beam-search", "test_beam.py")
    for vocab, bos, eos, max_len, beam, seed in checks.EXHAUSTIVE:
        table = checks.make_table(vocab, seed, eos, eos_bias=0.5)
        for alpha in (0.0, 0.6):
            stated, gaps = checks.stated_algorithm(table, bos, eos, beam, max_len, alpha)
            brute = checks.brute_force(table, bos, eos, max_len, alpha, beam)
            assert not gaps
            assert [round(s, 9) for _, s in stated] == [round(s, 9) for _, s in brute]

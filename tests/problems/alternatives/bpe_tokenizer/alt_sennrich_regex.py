"""Alternative: Sennrich's original formulation: words as space-separated symbol strings, merges by regex."""

import re
from collections import Counter, defaultdict

END = "</w>"


def _apply(pair, vocab):
    pattern = re.compile(r"(?<!\S)" + re.escape(" ".join(pair)) + r"(?!\S)")
    return {pattern.sub("".join(pair), word): count for word, count in vocab.items()}


def train_bpe(corpus, num_merges):
    vocab = Counter()
    for text in corpus:
        for word in text.split():
            vocab[" ".join(list(word) + [END])] += 1
    merges = []
    for _ in range(num_merges):
        stats = defaultdict(int)
        for word, count in vocab.items():
            symbols = word.split()
            for i in range(len(symbols) - 1):
                stats[symbols[i], symbols[i + 1]] += count
        if not stats:
            break
        best_count = max(stats.values())
        best = min(pair for pair, count in stats.items() if count == best_count)
        merges.append(best)
        vocab = _apply(best, vocab)
    return merges


def encode(text, merges):
    ranks = {tuple(m): r for r, m in enumerate(merges)}
    out = []
    for word in text.split():
        symbols = " ".join(list(word) + [END])
        while True:
            parts = symbols.split()
            ranked = sorted((ranks[p], p) for p in zip(parts, parts[1:]) if p in ranks)
            if not ranked:
                break
            symbols = _apply(ranked[0][1], {symbols: 1}).popitem()[0]
        out.extend(symbols.split())
    return out


def decode(tokens):
    return " ".join("".join(tokens).split(END)).strip()

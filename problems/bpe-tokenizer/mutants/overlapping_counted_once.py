"""Mutant: a pair repeated inside a word ("aaa") counts once."""

from collections import Counter

END = "</w>"


def _merge(symbols, pair):
    """Every occurrence of pair in symbols joined, left to right."""
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def train_bpe(corpus, num_merges):
    """The merges learned from the corpus, in order."""
    words = Counter(word for text in corpus for word in text.split())
    vocab = {tuple(word) + (END,): count for word, count in words.items()}
    merges = []
    for _ in range(num_merges):
        pairs = Counter()
        for symbols, count in vocab.items():
            for pair in set(zip(symbols, symbols[1:])):
                pairs[pair] += count
        if not pairs:
            break
        best = min(pairs, key=lambda pair: (-pairs[pair], pair))
        merges.append(best)
        vocab = {tuple(_merge(list(symbols), best)): count for symbols, count in vocab.items()}
    return merges


def encode(text, merges):
    """Tokens of text, merges applied by rank."""
    rank = {tuple(pair): i for i, pair in enumerate(merges)}
    tokens = []
    for word in text.split():
        symbols = list(word) + [END]
        while True:
            candidates = [pair for pair in zip(symbols, symbols[1:]) if pair in rank]
            if not candidates:
                break
            symbols = _merge(symbols, min(candidates, key=rank.__getitem__))
        tokens += symbols
    return tokens


def decode(tokens):
    """The text of the tokens, words separated by single spaces."""
    return "".join(tokens).replace(END, " ").rstrip(" ")

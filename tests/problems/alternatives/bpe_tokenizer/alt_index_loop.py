"""Alternative: symbol lists rewritten with an index loop; ties broken by sorting candidates."""

from collections import Counter

END = "</w>"


def _join_all(symbols, a, b):
    i, out = 0, []
    n = len(symbols)
    while i < n:
        if i < n - 1 and symbols[i] == a and symbols[i + 1] == b:
            out.append(a + b)
            i += 2
            continue
        out.append(symbols[i])
        i += 1
    return out


def train_bpe(corpus, num_merges):
    freq = Counter()
    for line in corpus:
        freq.update(line.split())
    words = [(list(w) + [END], c) for w, c in freq.items()]
    merges = []
    while len(merges) < num_merges:
        counts = Counter()
        for symbols, c in words:
            for i in range(len(symbols) - 1):
                counts[(symbols[i], symbols[i + 1])] += c
        if not counts:
            break
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        a, b = ordered[0][0]
        merges.append((a, b))
        words = [(_join_all(symbols, a, b), c) for symbols, c in words]
    return merges


def encode(text, merges):
    order = {}
    for i, (a, b) in enumerate(merges):
        order.setdefault((a, b), i)
    result = []
    for word in text.split():
        symbols = list(word) + [END]
        while len(symbols) > 1:
            best = None
            for pair in zip(symbols, symbols[1:]):
                if pair in order and (best is None or order[pair] < order[best]):
                    best = pair
            if best is None:
                break
            symbols = _join_all(symbols, *best)
        result.extend(symbols)
    return result


def decode(tokens):
    words, current = [], ""
    for token in tokens:
        if token.endswith(END):
            words.append(current + token[: -len(END)])
            current = ""
        else:
            current += token
    if current:
        words.append(current)
    return " ".join(words)

"""Alternative: plain Python loops over probabilities."""


def sample_index(probs, u):
    values = probs.tolist()
    total = 0.0
    for j, value in enumerate(values):
        total += value
        if total > u:
            return j
    return max(j for j, value in enumerate(values) if value > 0)


def residual(p, q):
    r = (p - q).clamp_min(0.0)
    return r / r.sum()


def speculative_step(draft_tokens, draft_probs, target_probs, u_accept, u_sample):
    k = draft_tokens.shape[0]
    tokens = []
    i = 0
    while i < k:
        x = int(draft_tokens[i])
        p_x, q_x = float(target_probs[i][x]), float(draft_probs[i][x])
        if float(u_accept[i]) * q_x < p_x:
            tokens.append(x)
            i += 1
        else:
            tokens.append(sample_index(residual(target_probs[i], draft_probs[i]), u_sample))
            return tokens
    tokens.append(sample_index(target_probs[k], u_sample))
    return tokens

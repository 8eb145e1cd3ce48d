"""Alternative: out-of-place arithmetic on plain tensors, written back with copy_()."""

import torch


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    @staticmethod
    def _update(p, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
        decayed = p - lr * weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g.square()
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        return decayed - lr * m_hat / (torch.sqrt(v_hat) + eps), m, v

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                t = st.get("t", 0) + 1
                m = st.get("m", torch.zeros_like(p))
                v = st.get("v", torch.zeros_like(p))
                new_p, st["m"], st["v"] = self._update(
                    p, p.grad, m, v, t, group["lr"], *group["betas"], group["eps"], group["weight_decay"]
                )
                st["t"] = t
                p.copy_(new_p)
        return loss

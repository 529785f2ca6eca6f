"""The Resource model (arXiv:2501.12391): a fixed resource per step, shared among tasks by competitiveness.

MSE form, residuals l_k (skill 1 - l_k), l(0) = 1:
    c = gate(l) * p * l;   l <- l - eta_eff * (C c) / (sum_k c_k + N0);   l <- max(l, 0) if clipping.
CE form, logits z_k (skill sigmoid(z_k)), z(0) = 0:
    c = p * sigmoid(-z);   z <- z + eta_eff * (C c) / (sum_k c_k + N0).
Records are taken after each update (record t = after t + 1 updates; ``start=True`` prepends the initial state: the
Geometry model's clock). All settings broadcast, so a grid of N0 values or frequencies is one array program.
"""
import re

import numpy as np

from .util import check_choice, check_finite, check_frequencies, check_steps

LOSSES = ("mse", "ce")
START = {"mse": 0.0, "ce": 0.5}     # a skill before training: 1 - l(0) (MSE), sigmoid(z(0)) (CE)


def effective_rate(lr, n_dim, factor=2.0):
    """The Resource-model step eta_eff = factor * lr * sqrt(N) matched to a Geometry-model run (ad hoc, as in the
    paper's code)."""
    return factor * lr * np.sqrt(n_dim)


def resource_model(frequencies, *, eta_eff, n0, steps, overlap=None, loss="mse", clip=True, gates=None,
                   frequency_rule=None, start=False):
    """Iterate the Resource model.

    Parameters
    ----------
    frequencies : array (..., K)
        Task frequencies p (need not sum to 1).
    eta_eff : float or array broadcastable to the batch shape (...)
    n0 : float or array broadcastable to the batch shape (...)
        Wasted resource N0 >= 0.
    steps : int
        Number of updates, > 0.
    overlap : array (K, K) or (..., K, K), optional
        Overlap matrix C (default identity).
    loss : {'mse', 'ce'}
    clip : bool
        Clip residuals at 0 (MSE form only).
    gates : callable l -> array (..., K), optional
        Dependency gates multiplying the competitiveness, e.g. a ``Dependencies``.
    frequency_rule : callable (l, p) -> array (..., K), optional
        Frequencies re-evaluated each step from the residuals l and the base frequencies p (e.g. Fig 16's switch).

    start : bool
        Also return the skills before the first update, as row 0: row t then holds the state after t updates, the
        clock of ``geometry.train_geometry``'s records. Default: row t holds the state after t + 1 updates.

    Returns
    -------
    ndarray, shape (steps, ..., K) (``start``: (steps + 1, ..., K)), float64: the skills.
    """
    check_choice("loss", loss, LOSSES)
    check_steps(steps)
    check_frequencies("frequencies", frequencies)
    check_finite("eta_eff", eta_eff, low=0)
    check_finite("n0", n0, low=0)
    p = np.asarray(frequencies, float)
    eta = np.asarray(eta_eff, float)[..., None]
    n0 = np.asarray(n0, float)[..., None]
    C = None if overlap is None else np.asarray(overlap, float)
    if C is not None:
        check_finite("overlap", C)
        if C.ndim < 2 or C.shape[-2:] != (p.shape[-1],) * 2:
            raise ValueError(f"overlap must be (K, K) or (..., K, K) with K = {p.shape[-1]} tasks, got shape {C.shape}")
    shape = np.broadcast_shapes(p.shape, eta.shape, n0.shape, p.shape if C is None else C.shape[:-1])
    state = np.ones(shape) if loss == "mse" else np.zeros(shape)   # l for MSE, z for CE
    out = np.empty((steps + start,) + shape)
    if start:
        out[0] = START[loss]
    for t in range(start, steps + start):
        residual = state if loss == "mse" else 1 / (1 + np.exp(state))   # CE: 1 - sigmoid(z)
        c = (p if frequency_rule is None else frequency_rule(residual, p)) * residual
        if gates is not None:
            c = c * gates(residual)
        flow = c if C is None else np.einsum("...kj,...j->...k", C, c)
        total = c.sum(-1, keepdims=True) + n0
        # N0 = 0 and every task learned: nothing competes, nothing moves (not 0/0)
        # (eta * flow) / total, in this order: the paper code's exact values (Fig 17 case 2) depend on the
        # rounding of residuals that reach 0 in a few steps
        share = np.divide(eta * flow, total, out=np.zeros(np.broadcast_shapes(flow.shape, total.shape)),
                          where=total > 0)
        if loss == "mse":
            state = state - share
            if clip:
                state = np.maximum(state, 0.0)
            out[t] = 1 - state
        else:
            state = state + share
            out[t] = 1 / (1 + np.exp(-state))
    return out


def resource_loss(skills, frequencies, loss="mse"):
    """Population loss sum_k p_k l_k of Resource-model skills: l = (1 - s)^2 (MSE) or -log s (CE); shape (...)."""
    p = np.asarray(frequencies, float)
    per_task = (1 - skills) ** 2 if loss == "mse" else -np.log(skills)
    return (p * per_task).sum(-1)


class Dependencies:
    """Dependency gates from a small text description of which task needs which.

    One rule per line or separated by ';', tasks numbered from 1 as in the paper:
        "T2 = T1; T3 = T2"                            a chain
        "T5 = T1 & T2; T6 = T3 | T4; T7 = T5 | T6"    AND (&) and OR (|)
    The soft indicator that prerequisite j is learned is h(l_j) = 1 - l_j^a (a small exponent ``a``: h is near 0 while
    l_j = O(1) and exactly 1 once l_j is clipped to 0). A task's gate is the product of its prerequisites' h (AND) or
    their maximum (OR); tasks without a rule have gate 1.

    Parameters
    ----------
    rules : str
    n_tasks : int
    exponent : float
        a > 0.
    """

    _RULE = re.compile(r"^\s*T(\d+)\s*=\s*(T\d+(?:\s*[&|]\s*T\d+)*)\s*$")

    def __init__(self, rules, n_tasks, exponent):
        if not exponent > 0:
            raise ValueError(f"exponent must be > 0, got {exponent!r}")
        self.n_tasks, self.exponent = int(n_tasks), float(exponent)
        self.rules = {}   # 0-based task -> ('and' | 'or', [0-based prerequisites])
        for text in filter(str.strip, re.split(r"[;\n]", rules)):
            m = self._RULE.match(text)
            if m is None:
                raise ValueError(f"cannot parse dependency rule {text!r}; write e.g. 'T3 = T1 & T2' or 'T3 = T1 | T2'")
            ops = set(re.findall(r"[&|]", m.group(2)))
            if len(ops) > 1:
                raise ValueError(f"rule {text!r} mixes & and |; give the mixed part its own task")
            task = int(m.group(1)) - 1
            needs = [int(n) - 1 for n in re.findall(r"T(\d+)", m.group(2))]
            if not all(0 <= k < self.n_tasks for k in needs + [task]):
                raise ValueError(f"rule {text!r} names a task outside T1..T{self.n_tasks}")
            self.rules[task] = ("or" if ops == {"|"} else "and", needs)

    def __call__(self, residuals):
        """Gates of shape (..., K) for residuals l of shape (..., K)."""
        h = 1 - np.maximum(residuals, 0.0) ** self.exponent
        gate = np.ones_like(residuals)
        for task, (op, needs) in self.rules.items():
            gate[..., task] = h[..., needs].prod(-1) if op == "and" else h[..., needs].max(-1)
        return gate

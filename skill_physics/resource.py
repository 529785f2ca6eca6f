"""The Resource model (arXiv:2501.12391, Sec. 4): a fixed learning resource per step, shared by competitiveness.

MSE form, residuals l_k (skill 1 - l_k), l(0) = 1:  c = gate(l) p l,  l <- max(l - eta_eff C c / (sum_k c_k + N0), 0).
CE form, logits z_k (skill sigmoid(z_k)), z(0) = 0:  c = p sigmoid(-z),  z <- z + eta_eff C c / (sum_k c_k + N0).
"""
import re
from dataclasses import dataclass

import numpy as np

from .util import check_choice, check_finite, check_frequencies, check_steps

LOSSES = ("mse", "ce")
START = {"mse": 0.0, "ce": 0.5}     # a skill before training: 1 - l(0) (MSE), sigmoid(z(0)) (CE)


@dataclass
class ResourceRecord:
    """What ``resource_model`` recorded; entry t is the state after t updates."""

    steps: np.ndarray    # (T + 1,) update counts 0 .. T
    skills: np.ndarray   # (T + 1, ..., K) skills s_k
    loss: np.ndarray     # (T + 1, ...) population loss sum_k p_k l_k (``resource_loss``)


def effective_rate(lr, n_dim, factor=2.0):
    """eta_eff = factor lr sqrt(N): the Resource-model step of a Geometry-model run moving N coordinates by ~lr each."""
    return factor * lr * np.sqrt(n_dim)


def resource_model(frequencies, *, eta_eff, n0, steps, overlap=None, loss="mse", clip=True, gates=None,
                   frequency_rule=None):
    """Iterate the Resource model for ``steps`` updates: a ``ResourceRecord``. Settings broadcast together.

    Parameters
    ----------
    frequencies : array (..., K), task frequencies p (need not sum to 1)
    eta_eff, n0 : float or array broadcastable to (...), resource per step and wasted resource N0, both >= 0
    steps : int, number of updates T > 0
    overlap : array (K, K) or (..., K, K), optional, overlap matrix C (default identity)
    loss : {'mse', 'ce'};  clip : bool, clip residuals at 0 (MSE form only)
    gates : callable l -> (..., K), optional, factors on the competitiveness, e.g. a ``Dependencies``
    frequency_rule : callable (l, p) -> (..., K), optional, frequencies re-evaluated at every update
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
    skills = np.empty((steps + 1,) + shape)
    skills[0] = START[loss]
    for t in range(1, steps + 1):
        residual = state if loss == "mse" else 1 / (1 + np.exp(state))   # CE: 1 - sigmoid(z)
        c = (p if frequency_rule is None else frequency_rule(residual, p)) * residual
        if gates is not None:
            c = c * gates(residual)
        flow = c if C is None else np.einsum("...kj,...j->...k", C, c)
        total = c.sum(-1, keepdims=True) + n0
        # eta * flow first: Fig 17 depends on this rounding; total = 0 (N0 = 0, all learned) moves nothing
        share = np.divide(eta * flow, total, out=np.zeros(np.broadcast_shapes(flow.shape, total.shape)),
                          where=total > 0)
        if loss == "mse":
            state = np.maximum(state - share, 0.0) if clip else state - share
            skills[t] = 1 - state
        else:
            state = state + share
            skills[t] = 1 / (1 + np.exp(-state))
    return ResourceRecord(steps=np.arange(steps + 1), skills=skills, loss=resource_loss(skills, p, loss))


def resource_loss(skills, frequencies, loss="mse"):
    """Population loss sum_k p_k l_k of Resource-model skills: l = (1 - s)^2 (MSE) or -log s (CE); shape (...)."""
    p = np.asarray(frequencies, float)
    per_task = (1 - skills) ** 2 if loss == "mse" else -np.log(skills)
    return (p * per_task).sum(-1)


class Dependencies:
    """Gates from rules such as "T2 = T1; T3 = T2" or "T5 = T1 & T2; T6 = T3 | T4" (Fig 17), tasks counted from 1.

    A gate is the product (&) or maximum (|) of h(l_j) = 1 - l_j^a over the prerequisites j (a small: h ~ 0 while
    l_j = O(1), 1 once l_j = 0); tasks without a rule have gate 1."""

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
        """Gates (..., K) for residuals l (..., K)."""
        h = 1 - np.maximum(residuals, 0.0) ** self.exponent
        gate = np.ones_like(residuals)
        for task, (op, needs) in self.rules.items():
            gate[..., task] = h[..., needs].prod(-1) if op == "and" else h[..., needs].max(-1)
        return gate

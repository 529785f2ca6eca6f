"""The sparse-parity MLP's loss and gradient written by hand: the figures' fast path (Figs 2, 16).

``sparse_parity.autograd_pass`` allocates several (R, n, hidden) tensors per update; on a CPU those allocations and the
extra passes cost more than the arithmetic. ``FusedBackprop`` computes the same loss, counts and gradients in
row blocks that stay in cache, into buffers allocated once. Its sums run in another order than autograd's, so the two
agree to rounding (tests/test_parity_backprop.py); the figures' numbers come from this one.
"""
import torch


class FusedBackprop:
    """The loss-and-gradient pass of ``sparse_parity.train_parity_mlps(backprop=FusedBackprop)``.

    Built from the stacked layers [(W1 (R, n_bits, h), b1 (R, 1, h)), (W2 (R, h, K), b2 (R, 1, K))] and the number of
    rows; ``block_rows`` defaults to about 8 MB of hidden activations per block.
    """

    def __init__(self, layers, n_rows, block_rows=None):
        (w1, _), (w2, _) = layers
        n_runs, hidden, n_tasks = w2.shape
        self.block = max(1, min(n_rows, block_rows or max(64, 2 ** 20 // (n_runs * hidden))))
        kw = {"dtype": w1.dtype, "device": w1.device}
        self.h = torch.empty(n_runs, self.block, hidden, **kw)
        self.dh = torch.empty_like(self.h)
        self.out = torch.empty(n_runs, self.block, n_tasks, **kw)
        self.grads = [torch.zeros_like(p) for layer in layers for p in layer]
        # W2's gradient lives transposed, (R, K, h) in memory: e^T h is a far faster product than h^T e
        self.grads[2] = torch.zeros(n_runs, n_tasks, hidden, **kw).transpose(1, 2)
        for p, g in zip((p for layer in layers for p in layer), self.grads):
            p.grad = g                              # Adam reads the buffers filled here

    @torch.no_grad()
    def __call__(self, layers, x, y, mask=None, backward=True):
        """Loss (R,) and correct counts (R, K) of the current MLPs; with ``backward``, the gradients in the buffers."""
        (w1, b1), (w2, b2) = layers
        g_w1, g_b1, g_w2, g_b2 = self.grads
        n_rows, n_tasks = y.shape[1], y.shape[2]
        for g in self.grads:
            g.zero_()
        loss = torch.zeros(y.shape[0], dtype=y.dtype, device=y.device)
        correct = torch.zeros(y.shape[0], n_tasks, dtype=torch.int64, device=y.device)
        for start in range(0, n_rows, self.block):
            rows = slice(start, start + self.block)
            xb, yb = x[:, rows], y[:, rows]
            h, dh, out = (buf[:, :xb.shape[1]] for buf in (self.h, self.dh, self.out))
            torch.baddbmm(b1, xb, w1, out=h).clamp_min_(0)
            torch.baddbmm(b2, h, w2, out=out)
            correct += ((out > 0.5) == (yb > 0.5)).sum(1)
            out.sub_(yb)                            # the error e = f(x) - y of the entries ...
            if mask is not None:
                out.mul_(mask[:, rows])             # ... that carry loss at this update
            loss += (out * out).sum((1, 2))
            if not backward:
                continue
            g_w2.transpose(1, 2).baddbmm_(out.transpose(1, 2), h)
            g_b2 += out.sum(1, keepdim=True)
            torch.bmm(out, w2.transpose(1, 2), out=dh)
            torch.ops.aten.threshold_backward.grad_input(dh, h, 0, grad_input=dh)   # the ReLU's derivative
            g_w1.baddbmm_(xb.transpose(1, 2), dh)
            g_b1 += dh.sum(1, keepdim=True)
        scale = 1.0 / (n_rows * n_tasks)
        for g in self.grads:
            g.mul_(2 * scale)                       # d/df of the mean of e^2 is 2 e / (n K)
        return loss * scale, correct

"""Optimization of the twin, per docs/spec/model.md "Optimization": gradients, Adam (PyTorch's
torch.optim.Adam formula) with two parameter groups and their schedules, the simplex projection
of kappa/alpha, freezing; plus conversion between parameter dicts and safetensors tensors."""
import json
import math
from array import array
from collections import OrderedDict

import torch

import model as M
import safetensors_io as st

BETA1, BETA2, ADAM_EPS = 0.9, 0.98, 1e-9


# ---------------------------------------------------------------- schedules

def noam(s, scale, warmup):
    """min(s^-0.5, s * warmup^-1.5) * scale, s 1-based; warmup 0 means no warmup."""
    ramp = s * warmup ** -1.5 if warmup > 0 else math.inf
    return scale * min(s ** -0.5, ramp)


def lr_main(s, cfg, lr_scale, warmup):
    return noam(s, lr_scale * cfg["dModel"] ** -0.5, warmup)


def lr_kappa(s, cfg, lr_scale, kappa_warmup):
    return noam(s, lr_scale * (cfg["dModel"] / cfg["encLayers"]) ** -0.5, kappa_warmup)


# ---------------------------------------------------------------- simplex projection

def project_simplex(y):
    """Euclidean projection of a vector onto {w : w_i >= 0, sum w_i = 1}
    (sort-based, Wang & Carreira-Perpinan 2013, arXiv 1101.6081, Algorithm 1)."""
    if not bool(torch.isfinite(y).all()):
        return torch.full_like(y, float("nan"))  # no projection of NaN/Inf (callers check finiteness)
    u, _ = torch.sort(y, descending=True)
    css = torch.cumsum(u, 0)
    j = torch.arange(1, y.numel() + 1, dtype=y.dtype, device=y.device)
    hits = torch.nonzero(u + (1 - css) / j > 0)
    if hits.numel() == 0:  # only when the sums overflow (|y| near the dtype's largest value)
        return torch.full_like(y, float("nan"))
    rho = int(hits.max()) + 1  # largest j with u_j + (1-css_j)/j > 0
    lam = (1 - css[rho - 1]) / rho
    return torch.clamp(y + lam, min=0)


# ---------------------------------------------------------------- gradients

def loss_and_grads(params, batch, cfg, train=False):
    """(loss float, OrderedDict {key: grad}) at params (not modified)."""
    leaves = OrderedDict((k, v.detach().clone().requires_grad_(True)) for k, v in params.items())
    value = M.loss(leaves, batch, cfg, train)
    grads = torch.autograd.grad(value, list(leaves.values()), allow_unused=True)
    out = OrderedDict()
    for (k, v), g in zip(leaves.items(), grads):
        out[k] = torch.zeros_like(v) if g is None else g.detach()
    return float(value.detach()), out


# ---------------------------------------------------------------- Adam

class Adam:
    """torch.optim.Adam (1.13, non-capturable path) applied per key with a per-key step count:
    m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)."""

    def __init__(self, params):
        self.m = OrderedDict((k, torch.zeros_like(v)) for k, v in params.items())
        self.v = OrderedDict((k, torch.zeros_like(v)) for k, v in params.items())
        self.t = OrderedDict((k, 0) for k in params)

    def update(self, key, param, grad, lr):
        """Returns the updated parameter (a new tensor)."""
        self.t[key] += 1
        t = self.t[key]
        self.m[key] = BETA1 * self.m[key] + (1 - BETA1) * grad
        self.v[key] = BETA2 * self.v[key] + (1 - BETA2) * grad * grad
        denom = self.v[key].sqrt() / math.sqrt(1 - BETA2 ** t) + ADAM_EPS
        return param - (lr / (1 - BETA1 ** t)) * self.m[key] / denom


def train_steps(params, batch, cfg, steps, warmup, kappa_warmup, lr_scale, freeze_steps=0, adam=None):
    """Runs `steps` optimizer steps (s = 1..steps) on one batch. kappa/alpha: own schedule;
    not trained for weighting=uniform; frozen (no update, no projection, moments untouched) for
    s > steps - freeze_steps; for weighting=projected, projected onto the simplex after each step.
    Returns (params, adam, losses) with losses[s-1] the loss before step s."""
    params = OrderedDict((k, v.detach().clone()) for k, v in params.items())
    adam = adam or Adam(params)
    weighted = cfg["variant"] == "weighted"
    losses = []
    for s in range(1, steps + 1):
        value, grads = loss_and_grads(params, batch, cfg, train=cfg["dropout"] > 0)
        losses.append(value)
        branch_live = weighted and cfg["weighting"] != "uniform" and s <= steps - freeze_steps
        for k in params:
            if not M.is_branch_weight(k):
                params[k] = adam.update(k, params[k], grads[k], lr_main(s, cfg, lr_scale, warmup))
            elif branch_live:
                p = adam.update(k, params[k], grads[k], lr_kappa(s, cfg, lr_scale, kappa_warmup))
                params[k] = project_simplex(p) if cfg["weighting"] == "projected" else p
    return params, adam, losses


# ---------------------------------------------------------------- checkpoints

def to_st(tensors, prefix=""):
    """{key: torch tensor} -> {prefix+key: (shape, array('f'))} (rounded to F32)."""
    return OrderedDict((prefix + k, (list(v.shape), array("f", v.detach().double().flatten().tolist())))
                       for k, v in tensors.items())


def from_st(tensors, dtype=torch.float64):
    return OrderedDict((k, torch.tensor(list(vals), dtype=dtype).view(*shape)) for k, (shape, vals) in tensors.items())


def load_params(path, cfg, dtype=torch.float64):
    """Loads a checkpoint and checks it holds exactly the spec's keys and shapes for cfg
    (extra `adam.*` tensors are allowed and ignored)."""
    tensors, _ = st.load(path)
    shapes = M.parameter_shapes(cfg)
    params = OrderedDict()
    for k, shape in shapes.items():
        if k not in tensors:
            raise ValueError(f"{path}: missing parameter {k}")
        if tuple(tensors[k][0]) != tuple(shape):
            raise ValueError(f"{path}: {k} has shape {tensors[k][0]}, spec says {list(shape)}")
        params[k] = from_st({k: tensors[k]}, dtype)[k]
    unknown = [k for k in tensors if k not in shapes and not k.startswith("adam.")]
    if unknown:
        raise ValueError(f"{path}: unknown tensors {unknown}")
    return params


def save_params(path, params, cfg, extra_meta=None, extra_tensors=None):
    meta = {"config": json.dumps(cfg, separators=(",", ":"))}
    meta.update(extra_meta or {})
    tensors = to_st(params)
    tensors.update(extra_tensors or {})
    st.save(path, tensors, meta)

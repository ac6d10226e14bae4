"""PyTorch twin of docs/spec/model.md: the Weighted Transformer and its multi-head baseline.

Independent of the WebGPU engine; it is the oracle the engine's parity tests use. The model is
functional: parameters are a dict {checkpoint key: tensor} with exactly the spec's keys and
shapes (weights (in, out), applied as x @ W). Computation follows the tensors' dtype; fixtures
use float64. Shapes: B sentences, S/T source/target length, D width, M heads = branches,
dk = D/M, F feed-forward width, V vocabulary.
"""
import json
import math
from collections import OrderedDict

import torch
import torch.nn.functional as F

PAD, BOS, EOS, UNK = 0, 1, 2, 3
CONFIG_KEYS = ("variant", "weighting", "vocab", "dModel", "branches", "dFF", "encLayers", "decLayers",
               "maxLen", "dropout", "labelSmoothing")
PROJ = ("wq", "bq", "wk", "bk", "wv", "bv", "wo")
LN_EPS = 1e-5


# ---------------------------------------------------------------- config and parameter table

def check_config(cfg):
    """Validates a model config dict (keys exactly as the spec) and returns it."""
    missing = [k for k in CONFIG_KEYS if k not in cfg]
    extra = [k for k in cfg if k not in CONFIG_KEYS]
    if missing or extra:
        raise ValueError(f"config: missing keys {missing}, unknown keys {extra}")
    if cfg["variant"] not in ("baseline", "weighted"):
        raise ValueError(f"config: variant must be baseline|weighted, got {cfg['variant']!r}")
    if cfg["weighting"] not in ("projected", "softmax", "uniform"):
        raise ValueError(f"config: weighting must be projected|softmax|uniform, got {cfg['weighting']!r}")
    D, M, Fw = cfg["dModel"], cfg["branches"], cfg["dFF"]
    if D % M or Fw % M:
        raise ValueError(f"config: dModel {D} and dFF {Fw} must be divisible by branches {M}")
    if D % 2:
        raise ValueError(f"config: dModel {D} must be even (sinusoidal PE pairs)")
    return cfg


def load_config(path):
    with open(path) as f:
        return check_config(json.load(f))


def parameter_shapes(cfg):
    """OrderedDict {key: shape} in the spec's table order; drives init, checkpoints and Adam."""
    D, M, Fw, V = cfg["dModel"], cfg["branches"], cfg["dFF"], cfg["vocab"]
    weighted = cfg["variant"] == "weighted"
    shapes = OrderedDict(embed=(V, D))

    def proj(prefix):
        for n in PROJ:
            shapes[f"{prefix}.{n}"] = (D, D) if n.startswith("w") else (D,)

    def ln(prefix):
        shapes[prefix + ".g"] = (D,)
        shapes[prefix + ".b"] = (D,)

    def ffn(prefix):
        if weighted:
            shapes.update({prefix + ".w1": (M, D, Fw // M), prefix + ".b1": (M, Fw // M),
                           prefix + ".w2": (M, Fw // M, D), prefix + ".b2": (M, D)})
        else:
            shapes.update({prefix + ".w1": (D, Fw), prefix + ".b1": (Fw,),
                           prefix + ".w2": (Fw, D), prefix + ".b2": (D,)})

    def tail(prefix):  # what follows the (last) attention sublayer of a layer
        if weighted:
            ffn(prefix + ".ffn")
            shapes[prefix + ".kappa"] = (M,)
            shapes[prefix + ".alpha"] = (M,)
            ln(prefix + ".ln")
        else:
            ln(prefix + ".ln1")
            ffn(prefix + ".ffn")
            ln(prefix + ".ln2")

    for l in range(cfg["encLayers"]):
        proj(f"enc.{l}.attn")
        tail(f"enc.{l}")
    for l in range(cfg["decLayers"]):
        proj(f"dec.{l}.self")
        ln(f"dec.{l}.ln0")
        proj(f"dec.{l}.cross")
        tail(f"dec.{l}")
    return shapes


def is_branch_weight(key):
    return key.endswith(".kappa") or key.endswith(".alpha")


def init_params(cfg, seed, dtype=torch.float64):
    """Spec "Initialization": Xavier-uniform matrices (per-branch slices for weighted FFNs),
    embed ~ N(0, std D^-0.5), biases 0, LN g=1 b=0, kappa/alpha per `weighting`. All draws come
    from one torch.Generator seeded with `seed`, in parameter_shapes order."""
    gen = torch.Generator().manual_seed(int(seed))
    D, M = cfg["dModel"], cfg["branches"]
    params = OrderedDict()
    for key, shape in parameter_shapes(cfg).items():
        leaf = key.rsplit(".", 1)[-1]
        if key == "embed":
            t = torch.randn(shape, generator=gen, dtype=dtype) * D ** -0.5
        elif leaf in ("wq", "wk", "wv", "wo", "w1", "w2"):
            fan_in, fan_out = shape[-2], shape[-1]  # a 3-D shape is M slices of (fan_in, fan_out)
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            t = (torch.rand(shape, generator=gen, dtype=dtype) * 2 - 1) * bound
        elif leaf == "g":
            t = torch.ones(shape, dtype=dtype)
        elif leaf in ("kappa", "alpha"):
            if cfg["weighting"] == "uniform":  # ignored by the model; stored as 1/M for readability
                t = torch.full(shape, 1.0 / M, dtype=dtype)
            else:
                t = torch.rand(shape, generator=gen, dtype=dtype)
                if cfg["weighting"] == "projected":
                    t = t / t.sum()
        else:  # biases and LN b
            t = torch.zeros(shape, dtype=dtype)
        params[key] = t
    return params


# ---------------------------------------------------------------- shared pieces

def positional_encoding(length, D, dtype=torch.float64, device=None):
    """PE[pos, 2i] = sin(pos / 10000^(2i/D)), PE[pos, 2i+1] = cos(same); (length, D)."""
    pos = torch.arange(length, dtype=dtype, device=device)[:, None]
    two_i = torch.arange(0, D, 2, dtype=dtype, device=device)
    angle = pos / torch.pow(torch.tensor(10000.0, dtype=dtype, device=device), two_i / D)
    pe = torch.zeros(length, D, dtype=dtype, device=device)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe


def embed_tokens(p, tok, cfg, train):
    """x = embed[tok] * sqrt(D) + PE[pos], then dropout; tok (B, T) -> (B, T, D)."""
    D = cfg["dModel"]
    if tok.shape[1] > cfg["maxLen"]:
        raise ValueError(f"sequence length {tok.shape[1]} exceeds maxLen {cfg['maxLen']}")
    emb = p["embed"]
    x = emb[tok] * math.sqrt(D) + positional_encoding(tok.shape[1], D, emb.dtype, emb.device)
    return F.dropout(x, cfg["dropout"], train)


def layer_norm(x, p, prefix):
    """LayerNorm over the last dim, biased variance, eps 1e-5."""
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + LN_EPS) * p[prefix + ".g"] + p[prefix + ".b"]


def attention_heads(p, prefix, xq, xkv, key_pad, causal, cfg, train):
    """Per-head attention outputs (B, M, Tq, dk) = softmax(Q K^T / sqrt(dk) + mask) V.
    key_pad (B, Tk) bool marks PAD keys (-inf). A query row whose keys are all masked gets
    probabilities 0, hence output 0 (not NaN); real batches never produce such a row."""
    M = cfg["branches"]
    B, Tq, D = xq.shape
    Tk, dk = xkv.shape[1], D // M
    q = (xq @ p[prefix + ".wq"] + p[prefix + ".bq"]).view(B, Tq, M, dk).transpose(1, 2)
    k = (xkv @ p[prefix + ".wk"] + p[prefix + ".bk"]).view(B, Tk, M, dk).transpose(1, 2)
    v = (xkv @ p[prefix + ".wv"] + p[prefix + ".bv"]).view(B, Tk, M, dk).transpose(1, 2)
    scores = q @ k.transpose(-1, -2) / math.sqrt(dk)  # (B, M, Tq, Tk)
    mask = key_pad[:, None, None, :].expand(B, 1, Tq, Tk)
    if causal:
        later = torch.arange(Tk, device=xq.device)[None, :] > torch.arange(Tq, device=xq.device)[:, None]  # key j > query i
        mask = mask | later[None, None]
    empty = mask.all(-1, keepdim=True)  # (B, 1, Tq, 1)
    scores = scores.masked_fill(mask, float("-inf")).masked_fill(empty, 0.0)
    probs = torch.softmax(scores, -1).masked_fill(empty, 0.0)
    probs = F.dropout(probs, cfg["dropout"], train)
    return probs @ v


def mha(p, prefix, xq, xkv, key_pad, causal, cfg, train):
    """concat_i(head_i) @ wo (no bias); (B, Tq, D)."""
    heads = attention_heads(p, prefix, xq, xkv, key_pad, causal, cfg, train)
    B, M, Tq, dk = heads.shape
    return heads.transpose(1, 2).reshape(B, Tq, M * dk) @ p[prefix + ".wo"]


def ffn(p, prefix, z, cfg, train):
    """Baseline FFN: relu(z @ w1 + b1) @ w2 + b2, dropout on the hidden activation."""
    h = F.dropout(torch.relu(z @ p[prefix + ".w1"] + p[prefix + ".b1"]), cfg["dropout"], train)
    return h @ p[prefix + ".w2"] + p[prefix + ".b2"]


# ---------------------------------------------------------------- weighted (branched) block

def branch_weights(p, prefix, cfg):
    """Effective (kappa, alpha), each (M,), per cfg['weighting']."""
    M = cfg["branches"]
    kappa, alpha = p[prefix + ".kappa"], p[prefix + ".alpha"]
    if cfg["weighting"] == "softmax":
        return torch.softmax(kappa, 0), torch.softmax(alpha, 0)
    if cfg["weighting"] == "uniform":
        u = torch.full((M,), 1.0 / M, dtype=kappa.dtype, device=kappa.device)
        return u, u
    return kappa, alpha


def branched_block(p, layer, attn, xq, xkv, key_pad, cfg, train):
    """out = LN(x_q + drop(sum_i alpha_i FFN_i(kappa_i head_i W_i^O))); (B, Tq, D)."""
    heads = attention_heads(p, f"{layer}.{attn}", xq, xkv, key_pad, False, cfg, train)  # (B,M,Tq,dk)
    M, dk = heads.shape[1], heads.shape[3]
    D = M * dk
    wo = p[f"{layer}.{attn}.wo"].view(M, dk, D)  # rows i*dk..(i+1)*dk = W_i^O
    kappa, alpha = branch_weights(p, layer, cfg)
    a = torch.einsum("bmtk,mkd->btmd", heads, wo) * kappa[:, None]  # (B, Tq, M, D)
    hid = torch.relu(torch.einsum("btmd,mdf->btmf", a, p[layer + ".ffn.w1"]) + p[layer + ".ffn.b1"])
    hid = F.dropout(hid, cfg["dropout"], train)
    f = torch.einsum("btmf,mfd->btmd", hid, p[layer + ".ffn.w2"]) + p[layer + ".ffn.b2"]
    y = (f * alpha[:, None]).sum(2)
    return layer_norm(xq + F.dropout(y, cfg["dropout"], train), p, layer + ".ln")


# ---------------------------------------------------------------- stacks, logits, loss

def encode(p, src, cfg, train=False):
    """Encoder stack; src (B, S) -> (B, S, D). No final LayerNorm."""
    drop = lambda t: F.dropout(t, cfg["dropout"], train)
    pad = src == PAD
    x = embed_tokens(p, src, cfg, train)
    for l in range(cfg["encLayers"]):
        L = f"enc.{l}"
        if cfg["variant"] == "weighted":
            x = branched_block(p, L, "attn", x, x, pad, cfg, train)
        else:
            h = layer_norm(x + drop(mha(p, L + ".attn", x, x, pad, False, cfg, train)), p, L + ".ln1")
            x = layer_norm(h + drop(ffn(p, L + ".ffn", h, cfg, train)), p, L + ".ln2")
    return x


def decode(p, tgt_in, enc, src, cfg, train=False):
    """Decoder stack; tgt_in (B, T), enc (B, S, D) -> (B, T, D). No final LayerNorm."""
    drop = lambda t: F.dropout(t, cfg["dropout"], train)
    tpad, spad = tgt_in == PAD, src == PAD
    y = embed_tokens(p, tgt_in, cfg, train)
    for l in range(cfg["decLayers"]):
        L = f"dec.{l}"
        h0 = layer_norm(y + drop(mha(p, L + ".self", y, y, tpad, True, cfg, train)), p, L + ".ln0")
        if cfg["variant"] == "weighted":
            y = branched_block(p, L, "cross", h0, enc, spad, cfg, train)
        else:
            h1 = layer_norm(h0 + drop(mha(p, L + ".cross", h0, enc, spad, False, cfg, train)), p, L + ".ln1")
            y = layer_norm(h1 + drop(ffn(p, L + ".ffn", h1, cfg, train)), p, L + ".ln2")
    return y


def logits(p, batch, cfg, train=False):
    """(B, T, V) = decoder output @ embed^T (tied, no bias)."""
    enc = encode(p, batch["src"], cfg, train)
    return decode(p, batch["tgt_in"], enc, batch["src"], cfg, train) @ p["embed"].T


def smoothed_ce(lg, y, eps):
    """Mean over non-PAD targets of (1-eps)(-log p[y]) + eps * mean_v(-log p[v]);
    equals F.cross_entropy(lg.view(-1,V), y.view(-1), ignore_index=0, label_smoothing=eps)."""
    logp = torch.log_softmax(lg, -1)
    nll = -logp.gather(-1, y.unsqueeze(-1)).squeeze(-1)
    smooth = -logp.mean(-1)
    keep = (y != PAD).to(lg.dtype)
    return (((1 - eps) * nll + eps * smooth) * keep).sum() / keep.sum()


def loss(p, batch, cfg, train=False):
    return smoothed_ce(logits(p, batch, cfg, train), batch["tgt_out"], cfg["labelSmoothing"])


def batch_from_json(obj, cfg=None):
    """{"src","tgt_in","tgt_out"} lists -> int64 tensors; checks the spec's batch invariants."""
    b = {k: torch.tensor(obj[k], dtype=torch.long) for k in ("src", "tgt_in", "tgt_out")}
    if b["tgt_in"].shape != b["tgt_out"].shape or b["src"].shape[0] != b["tgt_in"].shape[0]:
        raise ValueError("batch: src (B,S), tgt_in and tgt_out (B,T) shapes disagree")
    if not torch.equal(b["tgt_in"] == PAD, b["tgt_out"] == PAD):
        raise ValueError("batch: tgt_out must be PAD exactly where tgt_in is PAD")
    if cfg is not None:
        for k, t in b.items():
            if t.min() < 0 or t.max() >= cfg["vocab"]:
                raise ValueError(f"batch: {k} ids outside [0, {cfg['vocab']})")
    return b


def load_batch(path, cfg=None):
    with open(path) as f:
        return batch_from_json(json.load(f), cfg)

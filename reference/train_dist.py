"""Train the model of docs/spec/model.md on many GPUs (or CPU processes) with PyTorch
DistributedDataParallel, reading and writing the product's checkpoints.

  torchrun --standalone --nproc_per_node N reference/train_dist.py --init IN.safetensors --data pairs.tsv \\
      --steps K --out OUT.safetensors [--batch-tokens T] [--metrics M.jsonl] [--dev dev.tsv] [--eval-every E]

(one process also runs without torchrun; several machines use torchrun's usual --nnodes/--rdzv flags).

- The model is the twin (model.py) wrapped in DistributedDataParallel: backend nccl on CUDA GPUs (one per
  local rank), gloo on CPUs (or with --cpu).
- Batches are the product's (batching.py = src/data/batching.ts with src/train/data.ts's options): the
  length-bucketed batches of the global budget T x ranks padded positions, shuffled by --seed; every rank
  forms the same global batch and takes its share of the rows (rank r: rows floor(rB/W) .. floor((r+1)B/W)).
  Each rank's loss is its token-loss sum x W / (target tokens of the global batch), so DDP's gradient
  average is the gradient of the global batch's mean loss: 2 ranks x T equal 1 rank x 2T.
- Optimization as the product's Trainer (src/train/trainer.ts, model.md "Optimization"): Adam (b1 0.9,
  b2 0.98, eps 1e-9, PyTorch's form, bias correction by the global step), two learning-rate groups and
  schedules (--kappa-lr-scale as the product's kappaLrScale), gradient clipping to a global norm (--grad-clip, 0 off), kappa/alpha frozen for the last
  --freeze-steps steps of the run and projected onto the simplex after each update (weighting projected),
  identically on every rank. A NaN/Inf gradient, or an update that would make a weight NaN/Inf, updates
  nothing and stops the run; the checkpoint keeps the last good step.
- --steps K is the step the run ends at (the product's train.steps: freezing counts back from it); a
  checkpoint at step s continues with batch s of the stream (what the product would train on next).
- Checkpoints are the product's (src/model/checkpoint.ts): F32 parameters, adam.m.* / adam.v.*, metadata
  config, step, tokenizer, train settings, tokens_seen (and whatever else the input checkpoint carried),
  written by rank 0 every --save-every steps, at the end and on SIGTERM/SIGINT, atomically (a temp file
  in the same folder, fsync, rename). --resume continues from --out when it exists. The page's bounded
  metrics history ("playground_history") is continued too, so the page shows the run's curves on loading.
- --metrics writes the JSON lines of `cli train` (src/cli/train.ts): per step {step, loss, tokens,
  gradNorm, nonfinite, nonfiniteCause, lr, gpuMs, hostMs, branches: [{layer, kappa, alpha}], tokens_seen}
  (kappa/alpha effective, after the step), per evaluation {step, tokens_seen, dev_loss}.

Exit codes: 0 done, 1 stopped early (NaN/Inf), 2 bad arguments or files, 128 + signal after saving.
"""
import argparse
import json
import math
import os
import signal
import sys
import time
from array import array
from collections import OrderedDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import batching as bt  # noqa: E402
import model as M  # noqa: E402
import safetensors_io as st  # noqa: E402
import tokenizer as tk  # noqa: E402
import train as TR  # noqa: E402

GENERATOR = "reference/train_dist.py (PyTorch DistributedDataParallel)"
CHECKPOINT_FORMAT = "weighted-transformer-playground/1"
# metadata the trainer writes itself; everything else in the input checkpoint is carried over as it is
OWN_METADATA = ("format", "config", "step", "tokenizer", "train", "tokens_seen", "generated_by", "distributed",
                "playground_history")
# the page's bounded metrics history (src/ui/checkpoint-load.ts boundedHistory / readHistory)
HISTORY_POINTS, HISTORY_DEV = 500, 100


class UsageError(Exception):
    """Bad arguments or input files (exit 2)."""


# ---------------------------------------------------------------- the model as a module for DDP

class Net(torch.nn.Module):
    """The twin's functional model over one nn.Parameter per checkpoint key (parameter_shapes order)."""

    def __init__(self, params, cfg):
        super().__init__()
        self.cfg, self.keys = cfg, list(params)
        self.weights = torch.nn.ParameterList([torch.nn.Parameter(v) for v in params.values()])

    def tensors(self):
        return OrderedDict(zip(self.keys, self.weights))

    def forward(self, src, tgt_in, tgt_out, train):
        """Sum over non-PAD targets of the label-smoothed token loss (model.md "Loss", unnormalized).
        0 x every weight is added so that every parameter takes part in every step (uniform's ignored
        kappa/alpha, a rank whose share of a small batch is empty): DDP then reduces all gradients."""
        anchor = sum(w.sum() for w in self.weights) * 0.0
        if src.shape[0] == 0:
            return anchor
        lg = M.logits(self.tensors(), {"src": src, "tgt_in": tgt_in, "tgt_out": tgt_out}, self.cfg, train)
        eps = self.cfg["labelSmoothing"]
        logp = torch.log_softmax(lg, -1)
        nll = -logp.gather(-1, tgt_out.unsqueeze(-1)).squeeze(-1)
        smooth = -logp.mean(-1)
        keep = (tgt_out != M.PAD).to(lg.dtype)
        return (((1 - eps) * nll + eps * smooth) * keep).sum() + anchor


# ---------------------------------------------------------------- checkpoints

def tensor_of(values, shape, dtype, device):
    return torch.frombuffer(values, dtype=torch.float32 if values.typecode == "f" else torch.float64) \
        .clone().view(*shape).to(device=device, dtype=dtype)


def f32_array(t):
    arr = array("f")
    arr.frombytes(t.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return arr


def finite_problem(name, t):
    """The first NaN/Inf of a tensor (named as the product's loader does), or None."""
    bad = ~torch.isfinite(t.reshape(-1))
    if not bool(bad.any()):
        return None
    i = int(bad.nonzero()[0])
    return f"tensor \"{name}\" has {float(t.reshape(-1)[i])} at flat index {i} ({int(bad.sum())} values are not finite)"


def read_checkpoint(path, dtype, device):
    """{cfg, params, m, v, step, meta, tokenizer or None, tokens_seen} of a product checkpoint, checked
    like the product's strict loader (keys and shapes exactly, moments complete, values finite)."""
    try:
        tensors, meta = st.load(path)
    except OSError as err:
        raise UsageError(f"{path}: cannot read it ({err.strerror})") from err
    except ValueError as err:
        raise UsageError(f"{path}: not a safetensors checkpoint ({err})") from err
    if "config" not in meta:
        raise UsageError(f"{path}: no \"config\" in __metadata__ (model.md requires the model config there)")
    try:
        cfg = M.check_config(json.loads(meta["config"]))
    except ValueError as err:
        raise UsageError(f"{path}: __metadata__.config: {err}") from err
    shapes = M.parameter_shapes(cfg)
    groups = {}
    for prefix in ("", "adam.m.", "adam.v."):
        present = [k for k in shapes if prefix + k in tensors]
        if not present and prefix:
            continue
        group = OrderedDict()
        for k, shape in shapes.items():
            name = prefix + k
            if name not in tensors:
                raise UsageError(f"{path}: missing tensor \"{name}\"")
            got, values = tensors[name]
            if tuple(got) != tuple(shape):
                raise UsageError(f"{path}: tensor \"{name}\" has shape {got} but the config gives {list(shape)}")
            t = tensor_of(values, shape, dtype, device)
            problem = finite_problem(name, t)
            if problem:
                raise UsageError(f"{path}: {problem}")
            group[k] = t
        groups[prefix] = group
    unknown = [n for n in tensors if not (n in shapes or (n[:7] in ("adam.m.", "adam.v.") and n[7:] in shapes))]
    if unknown:
        raise UsageError(f"{path}: unexpected tensor \"{unknown[0]}\" (not a parameter of this config)")
    if ("adam.m." in groups) != ("adam.v." in groups):
        raise UsageError(f"{path}: Adam moments are incomplete (adam.m.* and adam.v.* must both be present)")
    step_text = meta.get("step", "0")
    if not step_text.isdigit():
        raise UsageError(f"{path}: __metadata__.step \"{step_text}\" is not a non-negative integer")
    tokenizer = None
    if "tokenizer" in meta:
        try:
            tokenizer = tk.Tokenizer.from_json(json.loads(meta["tokenizer"]), f"{path}: __metadata__.tokenizer")
        except ValueError as err:
            raise UsageError(str(err)) from err
    try:
        tokens_seen = float(json.loads(meta.get("tokens_seen", "0")))
    except (ValueError, TypeError):
        tokens_seen = 0.0
    return {"cfg": cfg, "params": groups[""], "m": groups.get("adam.m."), "v": groups.get("adam.v."),
            "step": int(step_text), "meta": meta, "tokenizer": tokenizer,
            "tokens_seen": int(tokens_seen) if math.isfinite(tokens_seen) and tokens_seen >= 0 else 0}


def checkpoint_bytes(cfg, params, m, v, step, tokenizer, train_settings, tokens_seen, carried, distributed, history=None):
    tensors = OrderedDict()
    for prefix, group in (("", params), ("adam.m.", m), ("adam.v.", v)):
        for k, t in group.items():
            tensors[prefix + k] = (list(t.shape), f32_array(t))
    compact = dict(separators=(",", ":"), ensure_ascii=False)
    meta = dict(carried)
    meta.update({
        "format": CHECKPOINT_FORMAT,
        "config": json.dumps({k: cfg[k] for k in M.CONFIG_KEYS}, **compact),
        "step": str(step),
        "tokenizer": json.dumps(tokenizer.to_json(), **compact),
        "train": json.dumps(train_settings, **compact),
        "tokens_seen": str(tokens_seen),
        "generated_by": GENERATOR,
        "distributed": json.dumps(distributed, **compact),
    })
    if history is not None:
        meta["playground_history"] = history
    return st.encode(tensors, meta)


def write_atomic(path, data):
    """Write to a temp file in the same folder, fsync, rename over path (a reader sees old or new)."""
    tmp = os.path.join(os.path.dirname(path) or ".", f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# ---------------------------------------------------------------- metrics

def thin_indices(n, most):
    """src/ui/chart-data.ts thinIndices: every ceil(n/most)-th index and the last, at most `most`."""
    if n <= most:
        return list(range(n))
    stride = -(-n // most)
    out = list(range(0, n, stride))
    if out[-1] != n - 1:
        if len(out) >= most:
            out.pop()
        out.append(n - 1)
    return out


class History:
    """The metrics history the page keeps in a checkpoint ("playground_history": steps, loss, lr, gradNorm,
    tokens seen, effective kappa/alpha per layer, dev results), so that the page shows a cluster run's
    curves and kappa/alpha when it loads the checkpoint. Continues the input checkpoint's history when it
    has one of the same layers; thinned to HISTORY_POINTS steps as the page thins its own. A dev result
    has no BLEU here (sentences 0, as the page records a run without BLEU sentences)."""

    FIELDS = ("steps", "loss", "lr", "gradNorm", "tokens")

    def __init__(self, carried_json, start, layers):
        self.layers = layers
        self.series = {f: [] for f in self.FIELDS}
        self.kappa = [[] for _ in layers]
        self.alpha = [[] for _ in layers]
        self.dev = []
        try:
            h = json.loads(carried_json) if carried_json else None
        except ValueError:
            h = None
        if not isinstance(h, dict) or not isinstance(h.get("steps"), list):
            return
        n = len(h["steps"])
        ok = all(isinstance(h.get(f), list) and len(h[f]) == n for f in self.FIELDS) and             all(isinstance(x, int) and 1 <= x <= start for x in h["steps"]) and             isinstance(h.get("branches"), list) and [b.get("layer") for b in h["branches"] if isinstance(b, dict)] == layers and             all(len(b.get("kappa", [])) == n and len(b.get("alpha", [])) == n for b in h["branches"])
        if not ok:
            return
        for f in self.FIELDS:
            self.series[f] = list(h[f])
        for i, b in enumerate(h["branches"]):
            self.kappa[i], self.alpha[i] = list(b["kappa"]), list(b["alpha"])
        self.dev = [d for d in h.get("dev", []) if isinstance(d, dict) and isinstance(d.get("step"), int) and d["step"] <= start]

    def add_step(self, step, loss, lr, grad_norm, tokens_seen, branches):
        if not all(math.isfinite(x) for x in (loss, lr, grad_norm)):
            return  # the page's history holds numbers only (a NaN step is in the metrics file)
        for f, x in zip(self.FIELDS, (step, loss, lr, grad_norm, tokens_seen)):
            self.series[f].append(x)
        for i, b in enumerate(branches):
            self.kappa[i].append(b["kappa"])
            self.alpha[i].append(b["alpha"])
        if len(self.series["steps"]) > 4 * HISTORY_POINTS:  # bounded memory on long runs
            self._keep(thin_indices(len(self.series["steps"]), 2 * HISTORY_POINTS))

    def add_dev(self, step, loss):
        if math.isfinite(loss):
            self.dev = (self.dev + [{"step": step, "loss": loss, "bleu": 0, "sentences": 0, "samples": []}])[-HISTORY_DEV:]

    def _keep(self, idx):
        for f in self.FIELDS:
            self.series[f] = [self.series[f][i] for i in idx]
        self.kappa = [[k[i] for i in idx] for k in self.kappa]
        self.alpha = [[a[i] for i in idx] for a in self.alpha]

    def to_json(self):
        idx = thin_indices(len(self.series["steps"]), HISTORY_POINTS)
        out = {f: [self.series[f][i] for i in idx] for f in self.FIELDS}
        out["branches"] = [{"layer": L, "kappa": [self.kappa[j][i] for i in idx], "alpha": [self.alpha[j][i] for i in idx]}
                           for j, L in enumerate(self.layers)]
        out["dev"] = self.dev
        return json.dumps(out, separators=(",", ":"))


def metrics_line(record):
    """JSON with NaN/Infinity/-Infinity as those strings, as the product's metricsLine."""
    def fix(x):
        if isinstance(x, float) and not math.isfinite(x):
            return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
        if isinstance(x, dict):
            return {k: fix(y) for k, y in x.items()}
        if isinstance(x, list):
            return [fix(y) for y in x]
        return x
    return json.dumps(fix(record), separators=(",", ":"), ensure_ascii=False) + "\n"


def effective(cfg, stored):
    """Effective weights of one kappa/alpha vector (model/config.ts effectiveWeights)."""
    w = cfg["weighting"]
    if w == "uniform":
        return [1.0 / len(stored)] * len(stored)
    if w == "softmax":
        return [float(x) for x in torch.softmax(stored.detach().double().cpu(), 0)]
    return [float(x) for x in stored.detach().double().cpu()]


def trim_metrics(path, last_step):
    """Keep the lines of steps <= last_step (a resumed run rewrites what the killed one logged after it)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
    except FileNotFoundError:
        return
    kept = []
    for line in lines:
        try:
            if json.loads(line).get("step", 0) <= last_step:
                kept.append(line if line.endswith("\n") else line + "\n")
        except ValueError:
            break  # a partial last line
    write_atomic(path, "".join(kept).encode("utf-8"))


# ---------------------------------------------------------------- arguments

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--init", required=True, help="a product checkpoint (.safetensors) or a model config JSON")
    p.add_argument("--tokenizer-from", help="checkpoint or tokenizer JSON whose tokenizer to use (required with a config JSON)")
    p.add_argument("--data", required=True, help="training pairs: source<TAB>target per line")
    p.add_argument("--steps", type=int, required=True, help="the step the run ends at (the product's train.steps)")
    p.add_argument("--out", required=True, help="checkpoint to write (.safetensors)")
    p.add_argument("--batch-tokens", type=int, default=2048, help="padded positions B*(S+T) per rank and batch (default 2048)")
    p.add_argument("--seed", type=int, default=1, help="batch shuffle seed (the product's train.seed), init seed with a config JSON, dropout seed")
    p.add_argument("--warmup", type=int, default=400)
    p.add_argument("--kappa-warmup", type=int, help="default round(warmup / 10), at least 1")
    p.add_argument("--lr-scale", type=float, default=1.0)
    p.add_argument("--kappa-lr-scale", type=float, default=1.0, help="extra factor on the kappa/alpha rate only (the product's kappaLrScale; 1 = model.md)")
    p.add_argument("--freeze-steps", type=int, default=0, help="kappa/alpha frozen for the last N steps of the run")
    p.add_argument("--grad-clip", type=float, default=0.0, help="clip the global gradient norm to G (0: off)")
    p.add_argument("--metrics", help="JSON-lines metrics file (the format of `cli train --metrics`)")
    p.add_argument("--dev", help="dev pairs (TSV) for the dev loss")
    p.add_argument("--eval-every", type=int, default=0, help="dev loss every E steps (0: never; needs --dev)")
    p.add_argument("--save-every", type=int, default=0, help="checkpoint every N steps (0: only at the end)")
    p.add_argument("--resume", action="store_true", help="continue from --out if it exists (else start from --init)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="compute precision (the checkpoint is F32 either way)")
    p.add_argument("--cpu", action="store_true", help="use CPUs (gloo) even when CUDA is available")
    p.add_argument("--final-f64", help="also write the final parameters as F64 safetensors (for tests)")
    a = p.parse_args(argv)
    if a.kappa_warmup is None:
        a.kappa_warmup = max(1, int(math.floor(a.warmup / 10 + 0.5)))
    checks = [
        (a.steps >= 1, f"--steps must be >= 1, got {a.steps}"),
        (a.batch_tokens >= 16, f"--batch-tokens must be >= 16, got {a.batch_tokens}"),
        (0 <= a.seed <= 0xFFFFFFFF, f"--seed must be in [0, 4294967295], got {a.seed}"),
        (a.warmup >= 1, f"--warmup must be >= 1, got {a.warmup}"),
        (a.kappa_warmup >= 1, f"--kappa-warmup must be >= 1, got {a.kappa_warmup}"),
        (math.isfinite(a.lr_scale) and a.lr_scale >= 0, f"--lr-scale must be a finite number >= 0, got {a.lr_scale}"),
        (math.isfinite(a.kappa_lr_scale) and a.kappa_lr_scale >= 0, f"--kappa-lr-scale must be a finite number >= 0, got {a.kappa_lr_scale}"),
        (0 <= a.freeze_steps <= a.steps, f"--freeze-steps must be in [0, --steps {a.steps}], got {a.freeze_steps}"),
        (math.isfinite(a.grad_clip) and a.grad_clip >= 0, f"--grad-clip must be a finite number >= 0, got {a.grad_clip}"),
        (a.eval_every >= 0, f"--eval-every must be >= 0, got {a.eval_every}"),
        (a.save_every >= 0, f"--save-every must be >= 0, got {a.save_every}"),
        (not (a.eval_every > 0 and not a.dev), "--eval-every needs --dev"),
    ]
    for ok, msg in checks:
        if not ok:
            raise UsageError(msg)
    for name in ("out", "metrics", "final_f64"):
        path = getattr(a, name)
        if path is None:
            continue
        folder = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(path):
            raise UsageError(f"--{name.replace('_', '-')} {path} is a folder, not a file")
        if not os.path.isdir(folder):
            raise UsageError(f"--{name.replace('_', '-')} {path}: the folder {folder} does not exist")
        if not os.access(folder, os.W_OK):
            raise UsageError(f"--{name.replace('_', '-')} {path}: the folder {folder} is not writable")
    if a.metrics and os.path.abspath(a.metrics) == os.path.abspath(a.out):
        raise UsageError(f"--metrics and --out are the same file ({a.out})")
    return a


# ---------------------------------------------------------------- training

class Dist:
    """Rank, world size, device and the process group (none for a single process without torchrun)."""

    def __init__(self, cpu):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.cuda = torch.cuda.is_available() and not cpu
        self.device = torch.device(f"cuda:{self.local_rank}") if self.cuda else torch.device("cpu")
        if self.cuda:
            torch.cuda.set_device(self.device)
        self.backend = "nccl" if self.cuda else "gloo"
        self.grouped = "RANK" in os.environ
        if self.grouped:
            dist.init_process_group(self.backend)

    def sum_(self, t):
        if self.grouped:
            dist.all_reduce(t)
        return t

    def any(self, flag):
        if not self.grouped:
            return flag
        t = torch.tensor([1.0 if flag else 0.0], device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item() > 0)

    def barrier(self):
        if self.grouped:
            dist.barrier()

    def close(self):
        if self.grouped:
            dist.destroy_process_group()


def start_state(a, d, dtype):
    """The run's starting point: --out when resuming and it exists, else --init (checkpoint or config)."""
    source = a.out if a.resume and os.path.exists(a.out) else a.init
    override = tk.load_tokenizer(a.tokenizer_from) if a.tokenizer_from else None
    if source.endswith(".json"):
        try:
            cfg = M.load_config(source)
        except (OSError, ValueError) as err:
            raise UsageError(f"--init {source}: {err}") from err
        if override is None:
            raise UsageError(f"--init {source} is a model config: --tokenizer-from CHECKPOINT_OR_TOKENIZER.json is required")
        params = OrderedDict((k, v.to(device=d.device, dtype=dtype)) for k, v in M.init_params(cfg, a.seed, dtype).items())
        state = {"cfg": cfg, "params": params, "m": None, "v": None, "step": 0, "meta": {}, "tokenizer": override, "tokens_seen": 0}
    else:
        state = read_checkpoint(source, dtype, d.device)
        if override is not None:
            state["tokenizer"] = override
        if state["tokenizer"] is None:
            raise UsageError(f"{source}: it has no tokenizer in its metadata; give one with --tokenizer-from")
    if state["tokenizer"].vocab_size != state["cfg"]["vocab"]:
        raise UsageError(f"{source}: the tokenizer has {state['tokenizer'].vocab_size} tokens but the model a vocabulary of {state['cfg']['vocab']}")
    if state["step"] > a.steps:
        raise UsageError(f"{source} is at step {state['step']}, beyond --steps {a.steps} (--steps is the step the run ends at)")
    for key in ("m", "v"):
        if state[key] is None:
            state[key] = OrderedDict((k, torch.zeros_like(t)) for k, t in state["params"].items())
    state["source"] = source
    return state


def encoded_pairs(path, tokenizer, what):
    try:
        text = bt.read_tsv(path)
    except ValueError as err:
        raise UsageError(f"--{what} {err}") from err
    # arrays of 32-bit ids: a few bytes per token (Python lists of ints take ~36), for millions of pairs per rank
    return [(array("i", tokenizer.encode(s)), array("i", tokenizer.encode(t))) for s, t in text]


def as_tensors(rows, device):
    return {k: torch.tensor(v, dtype=torch.long, device=device) for k, v in rows.items()}


def shard(rows, rank, world, S, T, device):
    """Rank's rows of a global batch as tensors: rows floor(rB/W) .. floor((r+1)B/W) (maybe none)."""
    B = len(rows["src"])
    lo, hi = rank * B // world, (rank + 1) * B // world
    width = {"src": S, "tgt_in": T, "tgt_out": T}
    return {k: torch.tensor(v[lo:hi], dtype=torch.long, device=device).view(hi - lo, width[k]) for k, v in rows.items()}


def evaluate(net, dev_batches, d, dtype):
    """Token-weighted mean loss over the dev batches, dropout off; batch i on rank i mod W."""
    sums = torch.zeros(2, dtype=torch.float64, device=d.device)
    with torch.no_grad():
        for i, (rows, tokens) in enumerate(dev_batches):
            if i % d.world != d.rank:
                continue
            b = as_tensors(rows, d.device)
            sums[0] += net(b["src"], b["tgt_in"], b["tgt_out"], False).double()
            sums[1] += tokens
    d.sum_(sums)
    return float(sums[0] / sums[1]) if sums[1] > 0 else float("nan")


def adam_update(p, g, m, v, lr, step):
    """torch.optim.Adam's formula (as shaders/adam.wgsl): returns new (p, m, v); nothing in place."""
    m2 = m + (1 - TR.BETA1) * (g - m)
    v2 = v * TR.BETA2 + (1 - TR.BETA2) * g * g
    denom = v2.sqrt() / math.sqrt(1 - TR.BETA2 ** step) + TR.ADAM_EPS
    return p - (lr / (1 - TR.BETA1 ** step)) * (m2 / denom), m2, v2


def run(a, d):
    dtype = torch.float64 if a.dtype == "float64" else torch.float32
    state = start_state(a, d, dtype)
    cfg, tokenizer = state["cfg"], state["tokenizer"]
    train_pairs = encoded_pairs(a.data, tokenizer, "data")
    batcher = bt.Batcher(train_pairs, a.batch_tokens * d.world, cfg["maxLen"], a.seed)
    dev_batches = []
    if a.dev:
        dev_pairs = encoded_pairs(a.dev, tokenizer, "dev")
        dev_b = bt.Batcher(dev_pairs, a.batch_tokens, cfg["maxLen"], a.seed, shuffle=False)
        dev_batches = [bt.fill_batch(dev_pairs, dev_b.by_index, idx, S, T) for S, T, idx in dev_b.plan(0)]
    net = Net(state["params"], cfg).to(d.device)
    model = torch.nn.parallel.DistributedDataParallel(net, device_ids=[d.local_rank] if d.cuda else None) if d.grouped else net
    keys = net.keys
    m, v = state["m"], state["v"]
    weighted = cfg["variant"] == "weighted"
    branched_layers = [k[:-len(".kappa")] for k in keys if k.endswith(".kappa")]
    settings = {"seed": a.seed, "gradClip": a.grad_clip, "lrScale": a.lr_scale, "warmup": a.warmup,
                "kappaWarmup": a.kappa_warmup, "steps": a.steps, "freezeSteps": a.freeze_steps}
    if a.kappa_lr_scale != 1.0:
        settings["kappaLrScale"] = a.kappa_lr_scale
    carried = {k: val for k, val in state["meta"].items() if k not in OWN_METADATA}
    history = History(state["meta"].get("playground_history"), state["step"], [k[:-len(".kappa")] for k in keys if k.endswith(".kappa")])
    distributed = {"ranks": d.world, "backend": d.backend, "batchTokensPerRank": a.batch_tokens, "dtype": a.dtype}
    tokens_seen = state["tokens_seen"]
    start = state["step"]
    lead = d.rank == 0

    if lead:
        print(f"train_dist: {d.world} rank(s), {d.backend} on {d.device.type}, {a.dtype}; model {json.dumps(cfg)}; "
              f"{sum(t.numel() for t in state['params'].values())} parameters; from {state['source']} at step {start}; "
              f"{len(train_pairs)} training pairs, {batcher.batches_per_epoch()} batches of <= {a.batch_tokens * d.world} "
              f"padded tokens per epoch ({a.batch_tokens} per rank)", flush=True)
    metrics = None
    if lead and a.metrics:
        if start > 0 and state["source"] == a.out:
            trim_metrics(a.metrics, start)
            metrics = open(a.metrics, "a", encoding="utf-8")
        else:
            metrics = open(a.metrics, "w", encoding="utf-8")

    saved = {"step": None}
    last_good = {"step": start}

    def save(step):
        if saved["step"] == step:
            return
        if lead:
            params = net.tensors()
            if metrics:
                metrics.flush()
                os.fsync(metrics.fileno())
            write_atomic(a.out, checkpoint_bytes(cfg, params, m, v, step, tokenizer, settings, tokens_seen, carried, distributed,
                                                 history.to_json() if step > 0 else state["meta"].get("playground_history")))
            print(f"saved step {step} to {a.out}", flush=True)
        d.barrier()
        saved["step"] = step

    signalled = {"name": None}

    def on_signal(signum, _frame):
        if signalled["name"] is None:
            signalled["name"] = signal.Signals(signum).name
            print(f"{signalled['name']}: stopping after the current step to save a checkpoint", file=sys.stderr, flush=True)
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, on_signal)

    stream = batcher.iterate_from(start)
    diverged = None
    for step in range(start + 1, a.steps + 1):
        if d.any(signalled["name"] is not None):
            signalled["name"] = signalled["name"] or "SIGTERM"
            break
        t0 = time.perf_counter()
        _, _, (S, T, idx) = next(stream)
        rows, tokens = bt.fill_batch(train_pairs, batcher.by_index, idx, S, T)
        mine = shard(rows, d.rank, d.world, S, T, d.device)
        torch.manual_seed((a.seed * 1_000_003 + step * 4099 + d.rank) & 0xFFFFFFFFFFFF)  # dropout masks
        for w in net.weights:
            w.grad = None
        loss_sum = model(mine["src"], mine["tgt_in"], mine["tgt_out"], cfg["dropout"] > 0)
        (loss_sum * (d.world / tokens)).backward()  # DDP averages: the global batch's mean-loss gradient
        with torch.no_grad():
            loss = float(d.sum_(loss_sum.detach().clone().double().reshape(1))) / tokens
            grads = [w.grad for w in net.weights]
            norm = float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads)))
            cause = None if math.isfinite(norm) else "gradient"
            clip = a.grad_clip / norm if cause is None and a.grad_clip > 0 and norm > a.grad_clip else 1.0
            lr_main = TR.lr_main(step, cfg, a.lr_scale, a.warmup)
            lr_branch = TR.lr_kappa(step, cfg, a.lr_scale * a.kappa_lr_scale, a.kappa_warmup)
            frozen = a.freeze_steps > 0 and step > a.steps - a.freeze_steps
            branch_live = weighted and cfg["weighting"] != "uniform" and not frozen
            updates = {}
            if cause is None:
                for k, w, g in zip(keys, net.weights, grads):
                    if M.is_branch_weight(k) and not branch_live:
                        continue
                    lr = lr_branch if M.is_branch_weight(k) else lr_main
                    updates[k] = adam_update(w.data, g * clip if clip != 1.0 else g, m[k], v[k], lr, step)
                finite = lambda t: bool(torch.isfinite(t).all())  # noqa: E731
                if not all(finite(p) and finite(mk) and finite(vk) for p, mk, vk in updates.values()):
                    cause = "update"
                elif cfg["weighting"] == "projected":  # the projection of a finite but huge update can overflow
                    for k in updates:
                        if M.is_branch_weight(k):
                            p, mk, vk = updates[k]
                            p = TR.project_simplex(p.double()).to(p.dtype)  # f64: no overflow of the sums
                            updates[k] = (p, mk, vk)
                            if not finite(p):
                                cause = "update"
            if cause is None:
                for k, w in zip(keys, net.weights):
                    if k in updates:
                        p, m[k], v[k] = updates[k]
                        w.data.copy_(p)
                last_good["step"] = step
        tokens_seen += tokens
        if lead:
            tensors = net.tensors()
            record = {"step": step, "loss": loss, "tokens": tokens, "gradNorm": norm, "nonfinite": cause is not None,
                      "nonfiniteCause": cause, "lr": lr_main, "gpuMs": None, "hostMs": (time.perf_counter() - t0) * 1000,
                      "branches": [{"layer": L, "kappa": effective(cfg, tensors[L + ".kappa"]),
                                    "alpha": effective(cfg, tensors[L + ".alpha"])} for L in branched_layers],
                      "tokens_seen": tokens_seen}
            if cause is None:
                history.add_step(step, loss, lr_main, norm, tokens_seen, record["branches"])
            if metrics:
                metrics.write(metrics_line(record))
                metrics.flush()  # whole lines on disk as they come (a page or a tail -f can follow the run)
        if cause is not None:
            diverged = (step, cause)
            break
        if lead and (step % 50 == 0 or step == start + 1):
            print(f"step {step}/{a.steps} loss {loss:.4f} lr {lr_main:.2e} |g| {norm:.3f} "
                  f"{(time.perf_counter() - t0) * 1000:.0f} ms", flush=True)
        if a.eval_every > 0 and step % a.eval_every == 0 and dev_batches:
            dev_loss = evaluate(net, dev_batches, d, dtype)
            if lead:
                print(f"step {step} dev loss {dev_loss:.4f}", flush=True)
                history.add_dev(step, dev_loss)
                if metrics:
                    metrics.write(metrics_line({"step": step, "tokens_seen": tokens_seen, "dev_loss": dev_loss}))
                    metrics.flush()
        if a.save_every > 0 and step % a.save_every == 0 and step < a.steps:
            save(step)
    if diverged:
        print(f"stopped at step {diverged[0]}: " + ("the update would have made the weights NaN/Inf (is the learning "
              "rate too large?)" if diverged[1] == "update" else "the gradient was NaN/Inf") +
              "; the weights are those of the last good step", file=sys.stderr, flush=True)
    save(last_good["step"])
    if lead and a.final_f64:
        tensors = OrderedDict((k, (list(t.shape), array("d", t.detach().double().cpu().flatten().tolist())))
                              for k, t in net.tensors().items())
        write_atomic(a.final_f64, st.encode(tensors, dtype="F64"))
    if metrics:
        metrics.close()
    if signalled["name"]:
        print(f"interrupted by {signalled['name']}: saved step {saved['step']} to {a.out}", file=sys.stderr, flush=True)
        return 128 + getattr(signal, signalled["name"])
    return 1 if diverged else 0


def main(argv=None):
    try:
        a = parse_args(argv)
    except UsageError as err:
        print(f"train_dist: {err}", file=sys.stderr)
        return 2
    d = Dist(a.cpu)
    try:
        return run(a, d)
    except UsageError as err:
        print(f"train_dist: {err}", file=sys.stderr)
        return 2
    finally:
        d.close()


if __name__ == "__main__":
    sys.exit(main())

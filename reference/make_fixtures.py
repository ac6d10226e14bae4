"""Generates the whole-model parity fixtures test/fixtures/parity/<name>/ with the PyTorch twin:
config.json, batch.json, weights.safetensors (initial, F32), grads.safetensors (loss + grad.<key>,
metadata `tokens` = non-PAD target count), step5.safetensors (parameters after 5 Adam steps on the
batch, metadata `losses`), GENERATED.md. Two shapes: `baseline` and `weighted` (D 16, M 4, powers
of two) and the `odd-*` set (D 18, M 3, F 27, 2 encoder and 3 decoder layers, V 29, ragged batch)
for the baseline and each `weighting` of the weighted model. All results are computed in float64
from the F32-rounded initial weights and stored as F32.

  /usr/bin/python3 reference/make_fixtures.py [--out test/fixtures/parity]
"""
import argparse
import json
import os
import sys
from collections import namedtuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

import model as M  # noqa: E402
import train as T  # noqa: E402

SCRIPT = "reference/make_fixtures.py"
COMMAND = "/usr/bin/python3 reference/make_fixtures.py"
DEFAULT_OUT = os.path.join(os.path.dirname(HERE), "test", "fixtures", "parity")
SEED = 1234
STEP = {"steps": 5, "warmup": 4, "kappaWarmup": 2, "lrScale": 1.0}
# The odd set: seed and schedule picked so that 5 Adam steps are well conditioned. At step 1 Adam moves
# every entry by ~lr * g/(|g| + 1e-9), so an entry whose gradient happens to be ~1e-9 turns an F32
# rounding of its gradient into a visible change of the parameter. `--f32-spread` measures it (a 1e-7
# relative perturbation of the weights moves step5 by ~1e-5 of each tensor's largest value here, against
# ~1e-4 for seed 1234 with warmup 4), leaving an F32 engine room under a 1e-4 tolerance.
ODD_SEED = 4
ODD_STEP = {"steps": 5, "warmup": 8, "kappaWarmup": 4, "lrScale": 1.0}

BASE_CONFIG = {"variant": "baseline", "weighting": "projected", "vocab": 37, "dModel": 16, "branches": 4,
               "dFF": 32, "encLayers": 2, "decLayers": 2, "maxLen": 16, "dropout": 0.0, "labelSmoothing": 0.1}
# The odd shape: D not a power of two (d_k = 6), M = 3, F/M = 9, encoder and decoder depths differ (the
# kappa/alpha learning rate uses N_e), vocabulary prime, S and T odd and different.
ODD_CONFIG = {"variant": "baseline", "weighting": "projected", "vocab": 29, "dModel": 18, "branches": 3,
              "dFF": 27, "encLayers": 2, "decLayers": 3, "maxLen": 11, "dropout": 0.0, "labelSmoothing": 0.1}

# B = 3, S = 8, T = 7. Row 0: full source, padded target; row 1: padded source, full target;
# row 2: padded in both. Token 3 (UNK) appears once on each side.
BATCH = {
    "src": [[5, 9, 14, 22, 7, 30, 11, 2],
            [12, 4, 3, 27, 18, 2, 0, 0],
            [33, 8, 16, 2, 0, 0, 0, 0]],
    "tgt_in": [[1, 6, 21, 13, 36, 0, 0],
               [1, 17, 25, 3, 10, 29, 19],
               [1, 24, 15, 0, 0, 0, 0]],
    "tgt_out": [[6, 21, 13, 36, 2, 0, 0],
                [17, 25, 3, 10, 29, 19, 2],
                [24, 15, 2, 0, 0, 0, 0]],
}

# B = 5, S = 9, T = 7; every row padded differently on each side (source lengths 9, 6, 3, 8, 2; target
# lengths 4, 7, 6, 2, 5), 24 target tokens. UNK (3) and the largest id (28) appear on both sides.
ODD_BATCH = {
    "src": [[5, 9, 14, 22, 7, 28, 11, 19, 2],
            [12, 4, 3, 27, 18, 2, 0, 0, 0],
            [26, 8, 2, 0, 0, 0, 0, 0, 0],
            [6, 13, 21, 10, 3, 17, 24, 2, 0],
            [15, 2, 0, 0, 0, 0, 0, 0, 0]],
    "tgt_in": [[1, 6, 21, 13, 0, 0, 0],
               [1, 17, 25, 3, 10, 28, 19],
               [1, 24, 15, 7, 20, 9, 0],
               [1, 11, 0, 0, 0, 0, 0],
               [1, 4, 27, 16, 5, 0, 0]],
    "tgt_out": [[6, 21, 13, 2, 0, 0, 0],
                [17, 25, 3, 10, 28, 19, 2],
                [24, 15, 7, 20, 9, 2, 0],
                [11, 2, 0, 0, 0, 0, 0],
                [4, 27, 16, 5, 2, 0, 0]],
}

Fixture = namedtuple("Fixture", "config batch seed step")

# Directory name -> fixture; the engine's parity tests loop over these directories.
VARIANTS = {
    "baseline": Fixture(dict(BASE_CONFIG), BATCH, SEED, STEP),
    "weighted": Fixture(dict(BASE_CONFIG, variant="weighted", weighting="projected"), BATCH, ODD_SEED, ODD_STEP),
    "odd-baseline": Fixture(dict(ODD_CONFIG), ODD_BATCH, ODD_SEED, ODD_STEP),
    "odd-projected": Fixture(dict(ODD_CONFIG, variant="weighted", weighting="projected"), ODD_BATCH, ODD_SEED, ODD_STEP),
    "odd-softmax": Fixture(dict(ODD_CONFIG, variant="weighted", weighting="softmax"), ODD_BATCH, ODD_SEED, ODD_STEP),
    "odd-uniform": Fixture(dict(ODD_CONFIG, variant="weighted", weighting="uniform"), ODD_BATCH, ODD_SEED, ODD_STEP),
}


def f32_rounded(params):
    return {k: v.float().double() for k, v in params.items()}


def write_json(path, obj, rows=False):
    with open(path, "w") as f:
        if rows:  # one matrix row per line, readable in a diff
            parts = [f'  "{k}": [\n' + ",\n".join("    " + json.dumps(r) for r in v) + "\n  ]" for k, v in obj.items()]
            f.write("{\n" + ",\n".join(parts) + "\n}\n")
        else:
            f.write(json.dumps(obj, indent=2) + "\n")


def target_tokens(raw_batch):
    """Non-PAD positions of tgt_out: the denominator of the loss."""
    return sum(1 for row in raw_batch["tgt_out"] for t in row if t != M.PAD)


def shape_line(cfg, raw_batch):
    c = cfg
    return (f"vocab {c['vocab']}, dModel {c['dModel']}, branches {c['branches']} (d_k {c['dModel'] // c['branches']}), "
            f"dFF {c['dFF']}, encLayers {c['encLayers']}, decLayers {c['decLayers']}, maxLen {c['maxLen']}, "
            f"labelSmoothing {c['labelSmoothing']:g}; batch B {len(raw_batch['src'])}, S {len(raw_batch['src'][0])}, "
            f"T {len(raw_batch['tgt_in'][0])}, {target_tokens(raw_batch)} target tokens")


BRANCH_NOTES = {
    "projected": "kappa/alpha are the weights themselves, projected onto the simplex after every step.",
    "softmax": "kappa/alpha are logits; the model uses softmax(kappa), softmax(alpha).",
    "uniform": ("kappa/alpha are ignored by the model (stored as 1/M): their `grad.<key>` are 0 and step5 holds them "
                "unchanged (not trained)."),
}


def step_args(step):
    return (f"--steps {step['steps']} --warmup {step['warmup']} --kappa-warmup {step['kappaWarmup']} "
            f"--lr-scale {step['lrScale']:g}")


def generated_note(name, fx, loss, losses):
    cfg, raw_batch, step = fx.config, fx.batch, fx.step
    branch = f"\n- {BRANCH_NOTES[cfg['weighting']]}" if cfg["variant"] == "weighted" else ""
    return f"""# Generated fixture: {name}

Generated by {SCRIPT}; do not edit. Regenerate with (from the repository root):

    {COMMAND}

The same files can be cross-checked one by one with the twin's CLI (reference/cli.py):

    /usr/bin/python3 reference/cli.py grads --config config.json --weights weights.safetensors --batch batch.json --out grads.safetensors
    /usr/bin/python3 reference/cli.py step --config config.json --weights weights.safetensors --batch batch.json {step_args(step)} --out step5.safetensors

- config.json: variant `{cfg['variant']}`, weighting `{cfg['weighting']}`, dropout 0.
- Shape: {shape_line(cfg, raw_batch)}.
- weights.safetensors: initial parameters (twin init, seed {fx.seed}, rounded to F32).
- grads.safetensors: `loss` (1) and `grad.<key>` for every parameter key at the initial weights; metadata
  `tokens` = {target_tokens(raw_batch)}, the non-PAD target count the loss is averaged over.
- step5.safetensors: parameters after {step['steps']} Adam steps on batch.json ({step_args(step)});
  metadata `losses`, the loss before each step.{branch}
- Computed in float64 from the F32 weights, stored as F32.

Loss at the initial weights: {loss:.9g}
Loss before each of the {step['steps']} steps: {", ".join(f"{x:.9g}" for x in losses)}
"""


def run_steps(params, batch, cfg, step):
    return T.train_steps(params, batch, cfg, step["steps"], step["warmup"], step["kappaWarmup"], step["lrScale"])


def make_variant(out_dir, name, fx):
    cfg, raw_batch = M.check_config(fx.config), fx.batch
    os.makedirs(out_dir, exist_ok=True)
    batch = M.batch_from_json(raw_batch, cfg)
    params = f32_rounded(M.init_params(cfg, fx.seed))
    loss, grads = T.loss_and_grads(params, batch, cfg)
    stepped, _, losses = run_steps(params, batch, cfg, fx.step)
    cfg_text = json.dumps(cfg, separators=(",", ":"))
    gen = {"generated_by": SCRIPT}
    write_json(os.path.join(out_dir, "config.json"), cfg)
    write_json(os.path.join(out_dir, "batch.json"), raw_batch, rows=True)
    T.save_params(os.path.join(out_dir, "weights.safetensors"), params, cfg, dict(gen, seed=str(fx.seed)))
    tensors = T.to_st(grads, "grad.")
    tensors["loss"] = ([1], [loss])
    grad_meta = dict(gen, config=cfg_text, tokens=str(target_tokens(raw_batch)))
    T.st.save(os.path.join(out_dir, "grads.safetensors"), tensors, grad_meta)
    step_meta = dict(gen, **{k: f"{v:g}" for k, v in fx.step.items()}, freezeSteps="0", losses=json.dumps(losses))
    T.save_params(os.path.join(out_dir, "step5.safetensors"), stepped, cfg, step_meta)
    with open(os.path.join(out_dir, "GENERATED.md"), "w") as f:
        f.write(generated_note(name, fx, loss, losses))
    return loss, losses


def worst_relative(a, b, keep):
    """(largest |a - b| over a tensor / that tensor's largest |a|, its key) over the keys `keep` accepts."""
    out, where = 0.0, "-"
    for k in a:
        scale = float(a[k].abs().max())
        if keep(k) and scale > 0:
            d = float((a[k] - b[k].double()).abs().max()) / scale
            out, where = (d, k) if d > out else (out, where)
    return out, where


def f32_spread(name, fx):
    """Prints how far the same twin lands from the float64 fixtures when computed in float32, and when
    the initial weights are perturbed by 1e-7 relative (F32 rounding of the engine's inputs): a
    yardstick for the tolerances of an F32 engine, measured as the engine's tests measure (per tensor,
    the largest deviation relative to the tensor's largest magnitude). `bk` is reported apart: its
    gradient is zero analytically (softmax shift invariance), so in F32 it is pure rounding noise,
    which Adam (eps 1e-9) turns into updates of the order of the learning rate."""
    cfg = M.check_config(fx.config)
    batch = M.batch_from_json(fx.batch, cfg)
    p64 = f32_rounded(M.init_params(cfg, fx.seed))
    p32 = {k: v.float() for k, v in p64.items()}
    gen = torch.Generator().manual_seed(0)
    noisy = {k: v * (1 + 1e-7 * torch.randn(v.shape, generator=gen, dtype=v.dtype)) for k, v in p64.items()}
    (l64, g64), (l32, g32) = T.loss_and_grads(p64, batch, cfg), T.loss_and_grads(p32, batch, cfg)
    s64, s32, sn = (run_steps(p, batch, cfg, fx.step)[0] for p in (p64, p32, noisy))
    not_bk = lambda k: not k.endswith(".bk")
    fmt = lambda w: f"{w[0]:.1e} ({w[1]})"
    bk = max((float((s64[k] - s32[k].double()).abs().max()) for k in s64 if not not_bk(k)), default=0.0)
    print(f"{name}: loss {abs(l64 - l32) / l64:.1e} rel; grads {fmt(worst_relative(g64, g32, not_bk))}; "
          f"step5 {fmt(worst_relative(s64, s32, not_bk))}, with 1e-7 noise on the weights "
          f"{fmt(worst_relative(s64, sn, not_bk))}; step5 bk {bk:.1e} abs")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--f32-spread", action="store_true", help="only print the float32-vs-float64 spread")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)  # deterministic float64 reductions
    if a.f32_spread:
        print("float32 twin vs float64 fixtures; tensors: largest deviation / the tensor's largest value, bk apart")
        for name, fx in VARIANTS.items():
            f32_spread(name, fx)
        return 0
    for name, fx in VARIANTS.items():
        loss, losses = make_variant(os.path.join(a.out, name), name, fx)
        print(f"{name}: loss {loss:.9g} over {target_tokens(fx.batch)} tokens; losses before steps 1..{fx.step['steps']}: "
              + " ".join(f"{x:.9g}" for x in losses))
    return 0


if __name__ == "__main__":
    sys.exit(main())

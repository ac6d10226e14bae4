"""Command-line mirror of the spec's parity tools (docs/spec/model.md "Parity tools"), computed by
the PyTorch twin in float64 from the F32 checkpoint, written as F32:

  /usr/bin/python3 reference/cli.py grads --config C.json --weights W.safetensors --batch X.json --out G.safetensors
  /usr/bin/python3 reference/cli.py step --config C.json --weights W.safetensors --batch X.json --steps K \
      --warmup W0 --kappa-warmup W1 --lr-scale R [--freeze-steps F] [--with-moments] --out P.safetensors
  /usr/bin/python3 reference/cli.py init --config C.json --seed S --out W.safetensors
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import model as M  # noqa: E402
import safetensors_io as st  # noqa: E402
import train as T  # noqa: E402

GENERATOR = "reference/cli.py (PyTorch twin, float64)"


def cmd_grads(a):
    cfg = M.load_config(a.config)
    params = T.load_params(a.weights, cfg)
    batch = M.load_batch(a.batch, cfg)
    torch.manual_seed(a.dropout_seed)
    value, grads = T.loss_and_grads(params, batch, cfg, train=cfg["dropout"] > 0)
    tensors = T.to_st(grads, "grad.")
    tensors["loss"] = ([1], [value])
    st.save(a.out, tensors, {"config": json.dumps(cfg, separators=(",", ":")), "generated_by": GENERATOR})
    print(f"loss {value:.10g}")
    return 0


def cmd_step(a):
    cfg = M.load_config(a.config)
    params = T.load_params(a.weights, cfg)
    batch = M.load_batch(a.batch, cfg)
    torch.manual_seed(a.dropout_seed)
    out, adam, losses = T.train_steps(params, batch, cfg, a.steps, a.warmup, a.kappa_warmup, a.lr_scale,
                                      a.freeze_steps)
    meta = {"generated_by": GENERATOR, "steps": str(a.steps), "warmup": f"{a.warmup:g}",
            "kappaWarmup": f"{a.kappa_warmup:g}", "lrScale": f"{a.lr_scale:g}", "freezeSteps": str(a.freeze_steps),
            "losses": json.dumps(losses)}
    extra = {}
    if a.with_moments:
        extra.update(T.to_st(adam.m, "adam.m."))
        extra.update(T.to_st(adam.v, "adam.v."))
    T.save_params(a.out, out, cfg, meta, extra)
    print("losses " + " ".join(f"{x:.10g}" for x in losses))
    return 0


def cmd_init(a):
    cfg = M.load_config(a.config)
    params = M.init_params(cfg, a.seed)
    T.save_params(a.out, params, cfg, {"generated_by": GENERATOR, "seed": str(a.seed)})
    return 0


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("grads", "step"):
        s = sub.add_parser(name)
        s.add_argument("--config", required=True)
        s.add_argument("--weights", required=True)
        s.add_argument("--batch", required=True)
        s.add_argument("--out", required=True)
        s.add_argument("--dropout-seed", type=int, default=0, help="torch global seed (only matters if dropout > 0)")
    s = sub.choices["step"]
    s.add_argument("--steps", type=int, required=True)
    s.add_argument("--warmup", type=float, required=True)
    s.add_argument("--kappa-warmup", type=float, required=True)
    s.add_argument("--lr-scale", type=float, required=True)
    s.add_argument("--freeze-steps", type=int, default=0)
    s.add_argument("--with-moments", action="store_true", help="also write adam.m.<key> / adam.v.<key>")
    s = sub.add_parser("init")
    s.add_argument("--config", required=True)
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--out", required=True)
    return p


def main(argv=None):
    a = parser().parse_args(argv)
    return {"grads": cmd_grads, "step": cmd_step, "init": cmd_init}[a.command](a)


if __name__ == "__main__":
    sys.exit(main())

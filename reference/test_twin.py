"""Self-checks of the PyTorch twin. Run from the repository root:
    /usr/bin/python3 -m unittest reference/test_twin.py
"""
import contextlib
import io
import json
import math
import os
import struct
import sys
import tempfile
import unittest
from collections import OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import cli  # noqa: E402
import make_fixtures as MF  # noqa: E402
import model as M  # noqa: E402
import safetensors_io as st  # noqa: E402
import train as T  # noqa: E402

GEN = torch.Generator().manual_seed(0)
FIXTURES = os.path.join(os.path.dirname(HERE), "test", "fixtures", "parity")


def tiny(**over):
    return M.check_config(dict(MF.BASE_CONFIG, **over))


def batch():
    return M.batch_from_json(MF.BATCH)


class SafetensorsTest(unittest.TestCase):
    def test_round_trip_and_layout(self):
        tensors = {"b": ([2, 3], [0.1 * i for i in range(6)]), "a": ([1], [math.pi]), "z": ([0], [])}
        blob = st.encode(tensors, {"config": "{}", "k": "v"})
        (n,) = struct.unpack("<Q", blob[:8])
        self.assertEqual(n % 8, 0)
        header = json.loads(blob[8:8 + n])
        self.assertEqual(header["__metadata__"], {"config": "{}", "k": "v"})
        self.assertEqual(header["a"], {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]})
        self.assertEqual(header["b"]["data_offsets"], [4, 28])
        self.assertEqual(len(blob), 8 + n + 28)
        self.assertEqual(blob[8 + n:8 + n + 4], struct.pack("<f", math.pi))
        back, meta = st.decode(blob)
        self.assertEqual(meta, {"config": "{}", "k": "v"})
        self.assertEqual(back["b"][0], [2, 3])
        self.assertEqual(list(back["b"][1]), [struct.unpack("<f", struct.pack("<f", 0.1 * i))[0] for i in range(6)])
        self.assertEqual(back["z"][0], [0])

    def test_rejects_bad_input(self):
        with self.assertRaises(TypeError):
            st.encode({"a": ([1], [1.0])}, {"step": 5})
        with self.assertRaises(ValueError):
            st.encode({"a": ([2], [1.0])})


class ParameterTableTest(unittest.TestCase):
    def test_keys_and_shapes(self):
        b = M.parameter_shapes(tiny())
        w = M.parameter_shapes(tiny(variant="weighted"))
        self.assertEqual(b["enc.1.ffn.w1"], (16, 32))
        self.assertEqual(w["enc.1.ffn.w1"], (4, 16, 8))
        self.assertEqual(w["dec.0.ffn.b1"], (4, 8))
        self.assertEqual(w["dec.0.ffn.w2"], (4, 8, 16))
        self.assertEqual(w["dec.0.ffn.b2"], (4, 16))
        self.assertEqual(w["dec.1.kappa"], (4,))
        self.assertIn("dec.1.ln0.g", w)
        self.assertIn("dec.1.ln.b", w)
        self.assertNotIn("enc.0.attn.bo", b)
        for k in ("enc.0.ln1.g", "enc.0.ln2.b", "dec.1.ln1.g", "dec.1.ln2.b", "dec.1.cross.wo"):
            self.assertIn(k, b)
        self.assertFalse(any(k.endswith((".kappa", ".alpha", ".ln.g")) for k in b))

    def test_weighted_count_equals_baseline_up_to_biases_and_layer_norms(self):
        cfg_b, cfg_w = tiny(), tiny(variant="weighted", weighting="uniform")
        count = lambda shapes, keep: sum(math.prod(s) for k, s in shapes.items() if keep(k))
        is_matrix = lambda k: k.rsplit(".", 1)[-1] in ("embed", "wq", "wk", "wv", "wo", "w1", "w2")
        sb, sw = M.parameter_shapes(cfg_b), M.parameter_shapes(cfg_w)
        self.assertEqual(count(sb, is_matrix), count(sw, is_matrix))
        D, Mb, layers = 16, 4, 4
        # per layer: b2 grows (M-1)D, one LayerNorm (2D) fewer, kappa and alpha (2M) added
        expected = layers * ((Mb - 1) * D - 2 * D + 2 * Mb)
        self.assertEqual(count(sw, lambda k: True) - count(sb, lambda k: True), expected)

    def test_init(self):
        cfg = tiny(variant="weighted")
        p = M.init_params(cfg, 7)
        self.assertTrue(torch.equal(p["enc.0.ln.g"], torch.ones(16, dtype=torch.float64)))
        self.assertTrue(torch.equal(p["dec.0.ffn.b2"], torch.zeros(4, 16, dtype=torch.float64)))
        self.assertAlmostEqual(float(p["enc.1.kappa"].sum()), 1.0, places=12)
        self.assertLessEqual(float(p["enc.0.ffn.w1"].abs().max()), math.sqrt(6 / (16 + 8)))
        self.assertLessEqual(float(p["enc.0.attn.wq"].abs().max()), math.sqrt(6 / 32))
        self.assertTrue(torch.equal(M.init_params(cfg, 7)["embed"], p["embed"]))
        big = M.init_params(tiny(vocab=4000), 1)["embed"]
        self.assertAlmostEqual(float(big.std()), 16 ** -0.5, delta=0.01)


class LossAndGradTest(unittest.TestCase):
    def test_ce_equals_torch(self):
        g = torch.Generator().manual_seed(3)
        lg = torch.randn(3, 7, 37, generator=g, dtype=torch.float64)
        y = batch()["tgt_out"]
        ours = M.smoothed_ce(lg, y, 0.1)
        ref = F.cross_entropy(lg.view(-1, 37), y.view(-1), ignore_index=0, label_smoothing=0.1)
        self.assertAlmostEqual(float(ours), float(ref), places=13)

    def check_fd(self, cfg, entries):
        params = M.init_params(cfg, 11)
        b = batch()
        _, grads = T.loss_and_grads(params, b, cfg)
        h = 1e-6
        for key, idx in entries:
            plus = OrderedDict((k, v.clone()) for k, v in params.items())
            minus = OrderedDict((k, v.clone()) for k, v in params.items())
            plus[key][idx] += h
            minus[key][idx] -= h
            fd = (float(M.loss(plus, b, cfg)) - float(M.loss(minus, b, cfg))) / (2 * h)
            self.assertAlmostEqual(float(grads[key][idx]), fd, delta=1e-7 + 1e-6 * abs(fd), msg=f"{key}{idx}")

    def test_grads_vs_finite_differences_baseline(self):
        self.check_fd(tiny(), [("embed", (5, 3)), ("enc.0.attn.wq", (2, 7)), ("dec.1.ffn.w1", (4, 30)),
                               ("dec.0.self.bv", (9,)), ("enc.1.ln2.g", (0,)), ("dec.1.cross.wo", (15, 1))])

    def test_grads_vs_finite_differences_weighted(self):
        for w in ("projected", "softmax"):
            self.check_fd(tiny(variant="weighted", weighting=w),
                          [("enc.0.kappa", (1,)), ("dec.1.alpha", (3,)), ("dec.0.ffn.w1", (2, 5, 7)),
                           ("enc.1.ffn.b2", (3, 9)), ("dec.1.cross.wk", (6, 12)), ("enc.0.ln.b", (4,))])

    def test_key_bias_gradient_vanishes(self):
        # Softmax is invariant to adding q.bk to every score of a row, so d loss / d bk = 0 exactly.
        for cfg in (tiny(), tiny(variant="weighted")):
            _, grads = T.loss_and_grads(M.init_params(cfg, 5), batch(), cfg)
            for k, g in grads.items():
                if k.endswith(".bk"):
                    self.assertLess(float(g.abs().max()), 1e-14, k)

    def test_fully_masked_row_gives_zero(self):
        cfg = tiny()
        p = {k: v.requires_grad_(True) for k, v in M.init_params(cfg, 2).items()}
        x = torch.randn(2, 3, 16, generator=GEN, dtype=torch.float64)
        pad = torch.tensor([[True, True, True], [False, True, True]])
        out = M.attention_heads(p, "enc.0.attn", x, x, pad, False, cfg, False)
        self.assertTrue(torch.equal(out[0], torch.zeros_like(out[0])))
        out.sum().backward()
        self.assertTrue(all(torch.isfinite(t.grad).all() for t in p.values() if t.grad is not None))


def torch_nn_baseline(p, cfg):
    """The baseline built from torch.nn layers (an independent implementation of the same
    post-LN Transformer); nn.Linear / MultiheadAttention store W^T, so weights are transposed."""
    D, H, Fw = cfg["dModel"], cfg["branches"], cfg["dFF"]
    kw = dict(d_model=D, nhead=H, dim_feedforward=Fw, dropout=0.0, batch_first=True, dtype=torch.float64)
    enc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(**kw), cfg["encLayers"], enable_nested_tensor=False)
    dec = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(**kw), cfg["decLayers"])

    def attn(mod, pre):
        mod.in_proj_weight.copy_(torch.cat([p[f"{pre}.w{n}"].T for n in "qkv"]))
        mod.in_proj_bias.copy_(torch.cat([p[f"{pre}.b{n}"] for n in "qkv"]))
        mod.out_proj.weight.copy_(p[pre + ".wo"].T)
        mod.out_proj.bias.zero_()

    def rest(layer, pre, norms):
        layer.linear1.weight.copy_(p[pre + ".ffn.w1"].T)
        layer.linear1.bias.copy_(p[pre + ".ffn.b1"])
        layer.linear2.weight.copy_(p[pre + ".ffn.w2"].T)
        layer.linear2.bias.copy_(p[pre + ".ffn.b2"])
        for norm, name in norms:
            norm.weight.copy_(p[f"{pre}.{name}.g"])
            norm.bias.copy_(p[f"{pre}.{name}.b"])

    with torch.no_grad():
        for l, layer in enumerate(enc.layers):
            attn(layer.self_attn, f"enc.{l}.attn")
            rest(layer, f"enc.{l}", [(layer.norm1, "ln1"), (layer.norm2, "ln2")])
        for l, layer in enumerate(dec.layers):
            attn(layer.self_attn, f"dec.{l}.self")
            attn(layer.multihead_attn, f"dec.{l}.cross")
            rest(layer, f"dec.{l}", [(layer.norm1, "ln0"), (layer.norm2, "ln1"), (layer.norm3, "ln2")])
    return enc.train(), dec.train()  # train mode (dropout 0) avoids the nested-tensor fast path


class StructureTest(unittest.TestCase):
    def test_baseline_equals_torch_nn_transformer(self):
        cfg = tiny()
        p = M.init_params(cfg, 12)
        for k in p:  # non-trivial biases and LayerNorm parameters
            if k != "embed" and p[k].dim() == 1:
                p[k] = p[k] + 0.1 * torch.randn(p[k].shape, generator=GEN, dtype=torch.float64)
        b = batch()
        enc, dec = torch_nn_baseline(p, cfg)
        T_ = b["tgt_in"].shape[1]
        causal = torch.triu(torch.ones(T_, T_, dtype=torch.bool), 1)
        with torch.no_grad():
            mem = enc(M.embed_tokens(p, b["src"], cfg, False), src_key_padding_mask=b["src"] == 0)
            out = dec(M.embed_tokens(p, b["tgt_in"], cfg, False), mem, tgt_mask=causal,
                      tgt_key_padding_mask=b["tgt_in"] == 0, memory_key_padding_mask=b["src"] == 0)
            ref = out @ p["embed"].T
            ours = M.logits(p, b, cfg)
        keep = b["tgt_out"] != 0
        self.assertLess(float((ours - ref)[keep].abs().max()), 1e-12)

    def test_positional_encoding(self):
        pe = M.positional_encoding(5, 16)
        self.assertAlmostEqual(float(pe[3, 4]), math.sin(3 / 10000 ** (4 / 16)), places=14)
        self.assertAlmostEqual(float(pe[3, 5]), math.cos(3 / 10000 ** (4 / 16)), places=14)
        self.assertEqual(float(pe[0, 1]), 1.0)

    def test_weightings_agree_at_uniform_weights(self):
        cfg_u = tiny(variant="weighted", weighting="uniform")
        p = M.init_params(cfg_u, 4)
        ref = float(M.loss(p, batch(), cfg_u))
        q = OrderedDict(p)
        for k in q:
            if M.is_branch_weight(k):
                q[k] = torch.full((4,), 0.37, dtype=torch.float64)
        self.assertAlmostEqual(float(M.loss(q, batch(), tiny(variant="weighted", weighting="softmax"))), ref, places=12)
        self.assertNotAlmostEqual(float(M.loss(q, batch(), tiny(variant="weighted", weighting="projected"))), ref, 6)
        for k in q:
            if M.is_branch_weight(k):
                q[k] = torch.full((4,), 0.25, dtype=torch.float64)
        self.assertAlmostEqual(float(M.loss(q, batch(), tiny(variant="weighted", weighting="projected"))), ref, places=12)

    def test_branch_permutation_invariance(self):
        cfg = tiny(variant="weighted")
        p = M.init_params(cfg, 9)
        perm, dk = torch.tensor([2, 0, 3, 1]), 4
        cols = torch.cat([torch.arange(i * dk, (i + 1) * dk) for i in perm.tolist()])
        q = OrderedDict(p)
        for l in ("enc.0", "enc.1", "dec.0", "dec.1"):
            a = l + (".attn" if l.startswith("enc") else ".cross")
            for n in ("wq", "wk", "wv"):
                q[f"{a}.{n}"] = p[f"{a}.{n}"][:, cols]
            for n in ("bq", "bk", "bv"):
                q[f"{a}.{n}"] = p[f"{a}.{n}"][cols]
            q[a + ".wo"] = p[a + ".wo"][cols, :]
            for n in ("ffn.w1", "ffn.b1", "ffn.w2", "ffn.b2", "kappa", "alpha"):
                q[f"{l}.{n}"] = p[f"{l}.{n}"][perm]
        self.assertAlmostEqual(float(M.loss(q, batch(), cfg)), float(M.loss(p, batch(), cfg)), places=12)

    def test_single_branch_block_is_attention_then_ffn(self):
        cfg = tiny(variant="weighted", branches=1)
        p = M.init_params(cfg, 6)
        p["enc.0.kappa"], p["enc.0.alpha"] = torch.ones(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64)
        x = torch.randn(3, 8, 16, generator=GEN, dtype=torch.float64)
        pad = batch()["src"] == 0
        got = M.branched_block(p, "enc.0", "attn", x, x, pad, cfg, False)
        flat = {"f.w1": p["enc.0.ffn.w1"][0], "f.b1": p["enc.0.ffn.b1"][0],
                "f.w2": p["enc.0.ffn.w2"][0], "f.b2": p["enc.0.ffn.b2"][0]}
        want = M.layer_norm(x + M.ffn(flat, "f", M.mha(p, "enc.0.attn", x, x, pad, False, cfg, False), cfg, False),
                            p, "enc.0.ln")
        self.assertTrue(torch.allclose(got, want, atol=1e-13))

    def test_padding_and_causality(self):
        for cfg in (tiny(), tiny(variant="weighted")):
            p = M.init_params(cfg, 8)
            b = batch()
            padded = {k: F.pad(v, (0, 2)) for k, v in b.items()}
            self.assertAlmostEqual(float(M.loss(p, padded, cfg)), float(M.loss(p, b, cfg)), places=12)
            changed = {k: v.clone() for k, v in b.items()}
            changed["tgt_in"][1, 5] = 30
            l0, l1 = M.logits(p, b, cfg), M.logits(p, changed, cfg)
            self.assertTrue(torch.allclose(l0[1, :5], l1[1, :5], atol=1e-13))
            self.assertFalse(torch.allclose(l0[1, 5:], l1[1, 5:]))


class OptimizerTest(unittest.TestCase):
    def test_schedules(self):
        cfg = tiny()
        self.assertAlmostEqual(T.lr_main(1, cfg, 1.0, 4), 16 ** -0.5 * 4 ** -1.5)
        self.assertAlmostEqual(T.lr_main(9, cfg, 2.0, 4), 2 * 16 ** -0.5 / 3)
        self.assertAlmostEqual(T.lr_kappa(2, cfg, 1.0, 2), (16 / 2) ** -0.5 * 2 ** -0.5)

    def test_projection(self):
        g = torch.Generator().manual_seed(1)
        self.assertTrue(torch.allclose(T.project_simplex(torch.tensor([2.0, 0.0, 0.0], dtype=torch.float64)),
                                       torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)))
        self.assertTrue(torch.allclose(T.project_simplex(torch.tensor([0.5, 0.5, 0.5], dtype=torch.float64)),
                                       torch.full((3,), 1 / 3, dtype=torch.float64)))
        for _ in range(200):
            y = torch.randn(5, generator=g, dtype=torch.float64) * 2
            x = T.project_simplex(y)
            self.assertTrue(bool((x >= 0).all()))
            self.assertAlmostEqual(float(x.sum()), 1.0, places=12)
            self.assertTrue(torch.allclose(T.project_simplex(x), x, atol=1e-14))
            # optimality: <y - x, z - x> <= 0 for every z in the simplex (checking the vertices suffices)
            for i in range(5):
                z = torch.zeros(5, dtype=torch.float64)
                z[i] = 1
                self.assertLessEqual(float((y - x) @ (z - x)), 1e-12)

    def test_adam_equals_torch_optim(self):
        g = torch.Generator().manual_seed(2)
        a = torch.randn(6, generator=g, dtype=torch.float64)
        b = torch.randn(3, generator=g, dtype=torch.float64)
        ta, tb = a.clone().requires_grad_(True), b.clone().requires_grad_(True)
        opt = torch.optim.Adam([{"params": [ta]}, {"params": [tb]}], betas=(0.9, 0.98), eps=1e-9)
        ours = T.Adam({"a": a, "b": b})
        for s in range(1, 6):
            ga, gb = torch.randn(6, generator=g, dtype=torch.float64), torch.randn(3, generator=g, dtype=torch.float64)
            opt.param_groups[0]["lr"], opt.param_groups[1]["lr"] = 0.1 / s, 0.3 * s
            ta.grad, tb.grad = ga.clone(), gb.clone()
            opt.step()
            a, b = ours.update("a", a, ga, 0.1 / s), ours.update("b", b, gb, 0.3 * s)
            self.assertTrue(torch.allclose(a, ta.detach(), rtol=1e-14, atol=1e-15))
            self.assertTrue(torch.allclose(b, tb.detach(), rtol=1e-14, atol=1e-15))

    def test_branch_weights_training_modes(self):
        b = batch()
        cfg = tiny(variant="weighted")
        p0 = M.init_params(cfg, 3)
        p, _, losses = T.train_steps(p0, b, cfg, 3, 4, 2, 1.0)
        self.assertLess(losses[-1], losses[0])
        for k in p:
            if M.is_branch_weight(k):
                self.assertAlmostEqual(float(p[k].sum()), 1.0, places=12)
                self.assertTrue(bool((p[k] >= 0).all()))
                self.assertFalse(torch.equal(p[k], p0[k]))
        frozen, _, _ = T.train_steps(p0, b, cfg, 3, 4, 2, 1.0, freeze_steps=3)
        half, _, _ = T.train_steps(p0, b, cfg, 3, 4, 2, 1.0, freeze_steps=1)
        two, _, _ = T.train_steps(p0, b, cfg, 2, 4, 2, 1.0)
        for k in p:
            if M.is_branch_weight(k):
                self.assertTrue(torch.equal(frozen[k], p0[k]))
                self.assertTrue(torch.equal(half[k], two[k]))
        cfg_u = tiny(variant="weighted", weighting="uniform")
        pu = M.init_params(cfg_u, 3)
        after, _, _ = T.train_steps(pu, b, cfg_u, 2, 4, 2, 1.0)
        self.assertTrue(all(torch.equal(after[k], pu[k]) for k in pu if M.is_branch_weight(k)))


class FixtureTest(unittest.TestCase):
    def test_fixtures_are_current(self):
        with tempfile.TemporaryDirectory() as tmp:
            with contextlib.redirect_stdout(io.StringIO()):
                MF.main(["--out", tmp])
            for variant in MF.VARIANTS:
                for name in ("weights", "grads", "step5"):
                    want, want_meta = st.load(os.path.join(tmp, variant, name + ".safetensors"))
                    have, have_meta = st.load(os.path.join(FIXTURES, variant, name + ".safetensors"))
                    self.assertEqual(have_meta, want_meta, f"{variant}/{name} metadata")
                    self.assertEqual(sorted(have), sorted(want), f"{variant}/{name} keys")
                    for k in want:
                        diff = max((abs(x - y) for x, y in zip(have[k][1], want[k][1])), default=0.0)
                        self.assertLess(diff, 1e-6, f"{variant}/{name}:{k}; rerun {MF.COMMAND}")
                for name in ("config.json", "batch.json", "GENERATED.md"):
                    with open(os.path.join(tmp, variant, name)) as f1, open(os.path.join(FIXTURES, variant, name)) as f2:
                        self.assertEqual(f2.read(), f1.read(), f"{variant}/{name}")

    def test_cli_reproduces_fixture_grads(self):
        d = os.path.join(FIXTURES, "weighted")
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "g.safetensors")
            args = ["--config", d + "/config.json", "--weights", d + "/weights.safetensors", "--batch", d + "/batch.json"]
            with contextlib.redirect_stdout(io.StringIO()):
                cli.main(["grads", *args, "--out", out])
            got, _ = st.load(out)
            want, _ = st.load(os.path.join(d, "grads.safetensors"))
            self.assertEqual(sorted(got), sorted(want))
            self.assertEqual(list(got["loss"][1]), list(want["loss"][1]))
            cli.main(["init", "--config", d + "/config.json", "--seed", "5", "--out", out])
            params = T.load_params(out, M.load_config(d + "/config.json"))
            self.assertEqual(list(params), list(M.parameter_shapes(M.load_config(d + "/config.json"))))


if __name__ == "__main__":
    unittest.main()

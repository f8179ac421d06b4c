#!/usr/bin/python3
"""make_fixture.py — regenerate tests/core/fixtures/ from the PyTorch twin (pope_torch.py).

For each positional encoding it writes
  tests/core/fixtures/<pe>.safetensors           a tiny random pope model (float32 weights,
                                                 __metadata__ "pope.config")
  tests/core/fixtures/<pe>.expected.safetensors  inputs, targets (int32, (B, T)), logits
                                                 (B, T, V), loss (1,) and "grad.<param>" for
                                                 every parameter, all float32
The expected values are computed in float64 from the float32 weights (so they are the
exact answer for those weights up to float64 rounding) and cast to float32.

Model: V 13, d 16, 2 layers, 2 heads (D 8), B 2, T 9. Weights are N(0, 0.3) (larger
than pope's 0.02 init so that every path, positional ones included, moves the output
measurably), norm weights 1 + N(0, 0.1). For rope and polar, <pe>.long.expected.safetensors
holds the same model on one row of T 131 (past the attention kernels' key tiles). Polar gets delta ~ U(-2pi, 0) with three
entries outside the clamp range ([-2pi, 0]): their gradient must be exactly 0. The
"none" model ties its embeddings, to cover tying. One target per row is ignored (-1).

Usage: /usr/bin/python3 tools/make_fixture.py [OUTDIR]   (default tests/core/fixtures)
Deterministic: the same torch version writes the same files.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pope_torch as pt  # noqa: E402

V, d, L, H, B, T = 13, 16, 2, 2, 2, 9
T_LONG = 131          # not a multiple of any power-of-two tile
LONG_PES = ("rope", "polar")


def make_one(pe, seed, outdir):
    g = torch.Generator().manual_seed(seed)
    cfg = pt.default_config(vocab_size=V, d_model=d, n_layers=L, n_heads=H, context_length=T,
                            pe=pe, init_std=0.3, tie_embeddings=(pe == "none"),
                            delta_init="uniform" if pe == "polar" else "zero")
    params = pt.init_params(cfg, generator=g, dtype=torch.float32)
    for name in params:
        if name.endswith("norm.weight"):
            params[name] = 1.0 + 0.1 * torch.randn(params[name].shape, generator=g)
    if pe == "polar":
        # outside the clamp range: gradient must be zero there (torch.clamp semantics)
        params["layers.0.attention.pope_delta"][0, 1] = 0.25
        params["layers.0.attention.pope_delta"][1, 5] = -7.0
        params["layers.1.attention.pope_delta"][1, 0] = 0.5
    inputs = torch.randint(0, V, (B, T), generator=g, dtype=torch.int64)
    targets = torch.randint(0, V, (B, T), generator=g, dtype=torch.int64)
    targets[0, 3] = -1
    targets[1, 7] = -1

    base = os.path.join(outdir, pe)
    pt.save_model(base + ".safetensors", cfg, params,
                  {"pope.fixture": "tools/make_fixture.py, torch %s" % torch.__version__})
    loss = write_expected(base + ".expected.safetensors", cfg, params, inputs, targets)
    if pe in LONG_PES:
        # the same model on one longer row: T_LONG is past the attention kernels' tiles
        inputs = torch.randint(0, V, (1, T_LONG), generator=g, dtype=torch.int64)
        targets = torch.randint(0, V, (1, T_LONG), generator=g, dtype=torch.int64)
        targets[0, 40] = -1
        write_expected(base + ".long.expected.safetensors", cfg, params, inputs, targets)
    return loss


def write_expected(path, cfg, params, inputs, targets):
    p64 = {k: v.detach().to(torch.float64).requires_grad_(True) for k, v in params.items()}
    logits, loss = pt.forward(cfg, p64, inputs, targets)
    loss.backward()
    expected = {
        "inputs": inputs.to(torch.int32),
        "targets": targets.to(torch.int32),
        "logits": logits.detach().to(torch.float32),
        "loss": loss.detach().reshape(1).to(torch.float32),
    }
    for name, _ in pt.param_names(cfg):
        expected["grad." + name] = p64[name].grad.to(torch.float32)
    pt.save_safetensors(path, expected,
                        {"pope.config": json.dumps(cfg, separators=(",", ":")),
                         "pope.fixture": "loss and gradients computed in float64 by tools/pope_torch.py"})
    return loss.item()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "tests", "core", "fixtures")
    os.makedirs(outdir, exist_ok=True)
    for i, pe in enumerate(pt.PE_KINDS):
        loss = make_one(pe, 1000 + i, outdir)
        print("%-10s loss %.6f (ln V = %.4f)" % (pe, loss, math.log(V)))


if __name__ == "__main__":
    main()

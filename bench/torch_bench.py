#!/usr/bin/python3
"""torch_bench.py — the pope model in PyTorch (tools/pope_torch.py), timed on training steps.

One step = forward + cross-entropy + backward + torch.optim.AdamW (lr 3e-4, betas 0.9/0.999,
eps 1e-8, weight decay 0.1), float32, same shape, batch and thread count as pope_bench.
Attention: with --attn auto (default) F.scaled_dot_product_attention(is_causal=True) where
this torch has it (PyTorch >= 2.0: its fused CPU flash kernel, the fastest PyTorch peer), else
the plain materialised softmax(q k^T / sqrt(D)) (PyTorch 1.13, Debian 12, has no fused
attention); --attn materialised forces the latter. The JSON says which ran.
--precision fp32,bf16 also times each encoding under torch.autocast("cpu", dtype=torch.bfloat16)
(the bf16 peer: oneDNN's AVX512-BF16/AMX kernels for the matmuls; parameters, grads and AdamW
stay float32, as in pope's bf16 precision).

Prints one JSON object on stdout:
  {"torch_version", "threads", "shape": {...}, "results": [{"pe", "precision", "step_s": [..],
   "step_s_median", "tokens_per_s"}]}
pope_bench runs it via popen when /usr/bin/python3 (or $POPE_PYTHON) can import torch.

Usage: /usr/bin/python3 bench/torch_bench.py [--V 90 --d 256 --layers 6 --heads 8 --T 2048
       --B 4 --threads 2 --warmup 1 --reps 3 --pe polar,rope,legendre,sinusoidal,none
       --precision fp32]
"""
import argparse
import contextlib
import json
import os
import statistics
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tools"))


def time_steps(pt, a, pe, flash, prec):
    """Median and list of the timed training steps of encoding pe in precision prec."""
    import torch
    cfg = pt.default_config(vocab_size=a.V, d_model=a.d, n_layers=a.layers, n_heads=a.heads,
                            context_length=a.T, pe=pe)
    params = pt.init_params(cfg)
    for p in params.values():
        p.requires_grad_(True)
    decay = [p for n, p in params.items() if p.dim() == 2]
    no_decay = [p for n, p in params.items() if p.dim() != 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=3e-4, betas=(0.9, 0.999), eps=1e-8)
    x = torch.randint(0, a.V, (a.B, a.T))
    y = torch.randint(0, a.V, (a.B, a.T))
    times = []
    for i in range(a.warmup + a.reps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if prec == "bf16" else contextlib.nullcontext()
        with ctx:
            _, loss = pt.forward(cfg, params, x, y, flash=flash)
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t0
        if i >= a.warmup:
            times.append(dt)
        print("torch %s %s step %d: %.2f s (loss %.4f)" % (pe, prec, i, dt, loss.item()), file=sys.stderr)
    return statistics.median(times), times


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--V", type=int, default=90)
    ap.add_argument("--d", type=int, default=256)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--T", type=int, default=2048)
    ap.add_argument("--B", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--pe", default="polar,rope,legendre,sinusoidal,none")
    ap.add_argument("--attn", choices=["auto", "materialised"], default="auto")
    ap.add_argument("--precision", default="fp32", help="comma list of fp32, bf16 (autocast)")
    a = ap.parse_args()

    try:
        import torch
        import pope_torch as pt
    except ImportError as e:
        print(json.dumps({"error": "PyTorch not importable: %s" % e}))
        return 0

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    flash = a.attn == "auto" and hasattr(torch.nn.functional, "scaled_dot_product_attention")
    out = {"torch_version": torch.__version__, "threads": torch.get_num_threads(),
           "attention": "sdpa" if flash else "materialised",
           "shape": {"V": a.V, "d": a.d, "layers": a.layers, "heads": a.heads, "T": a.T, "B": a.B},
           "results": []}
    for prec in a.precision.split(","):
        if prec not in ("fp32", "bf16"):
            print(json.dumps({"error": "--precision: fp32 or bf16, got %s" % prec}))
            return 0
        for pe in a.pe.split(","):
            med, times = time_steps(pt, a, pe, flash, prec)
            out["results"].append({"pe": pe, "precision": prec, "step_s": times, "step_s_median": med,
                                   "tokens_per_s": a.B * a.T / med})
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

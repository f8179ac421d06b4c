#!/usr/bin/python3
"""report.py — a pope_bench JSON as Markdown tables; given two, the second against the first.

Usage: python3 bench/report.py RESULTS.json             # tables (as in bench/README.md)
       python3 bench/report.py OLD.json NEW.json        # NEW's numbers and NEW / OLD
Works with any python3 (standard library only).
"""
import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def key_train(r):
    return (r["shape"], r["pe"])


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def tables(new, old=None):
    out = []
    m = new["machine"]
    out.append("Run %s%s: %s, %d threads, BLIS `%s`, load average %.2f → %.2f." % (
        new["date"], " (--quick)" if new.get("quick") else "", m["cpu"], m["threads"], m["blis_arch"],
        m.get("load_avg_start", float("nan")), m.get("load_avg_end", float("nan"))))
    shapes = {s["name"]: s for s in new.get("shapes", [])}
    out.append("Shapes: " + "; ".join("%s V %d d %d L %d H %d T %d B %d" % (
        n, s["V"], s["d"], s["layers"], s["heads"], s["T"], s["B"]) for n, s in shapes.items()) + ".")
    g = new.get("sgemm")
    if g:
        rates = ", ".join("%s %.0f" % kv for kv in g["model_rate_gflops"].items())
        out.append("sgemm: FMA peak %.0f GFLOP/s (%s), 2048³ %.0f GFLOP/s, model GEMM sets: %s GFLOP/s." % (
            g["fma_peak_gflops"], g["fma_isa"], g["square_2048_gflops"], rates))
    out.append("")
    old_train = {key_train(r): r for r in (old or {}).get("train", [])}
    hdr = "| shape | pe | tokens/s | step s | fwd s | bwd s | model GFLOP/s | MFU | PyTorch tokens/s | pope / PyTorch |"
    if old:
        hdr += " tokens/s vs old |"
    out.append(hdr)
    out.append("|" + "---|" * (hdr.count("|") - 1))
    for r in new.get("train", []):
        row = "| %s | %s | %.0f | %.2f | %.2f | %.2f | %.1f | %s | %s | %s |" % (
            r["shape"], r["pe"], r["tokens_per_s"], r["step_s"], r["forward_s"], r["backward_s"],
            r["model_gflops"], fmt(r.get("mfu_vs_sgemm") and 100 * r["mfu_vs_sgemm"], ".1f") + "%"
            if r.get("mfu_vs_sgemm") else "-", fmt(r.get("torch_tokens_per_s"), ".0f"),
            fmt(r.get("ratio_pope_over_torch"), ".2f"))
        if old:
            o = old_train.get(key_train(r))
            row += " %s |" % (fmt(r["tokens_per_s"] / o["tokens_per_s"], ".2f") + "×" if o else "-")
        out.append(row)
    ratio = new.get("polar_over_rope_step", {})
    if ratio:
        out.append("")
        out.append("Polar step / RoPE step: " + ", ".join("%s %.2f" % kv for kv in ratio.items()) + ".")
    paired = new.get("polar_over_rope_paired", {})
    if paired:
        out.append("Polar / RoPE with steps alternating (median of the per-pair ratios): " +
                   ", ".join("%s %.2f (%d pairs, %.2f-%.2f)" % (k, v["ratio_median"], v["pairs"],
                                                                min(v["ratios"]), max(v["ratios"]))
                             for k, v in paired.items() if "ratio_median" in v) + ".")
    if new.get("torch", {}).get("torch_version"):
        t = new["torch"]
        out.append("PyTorch %s, attention: %s." % (t["torch_version"], t.get("attention", "materialised")))
    if new.get("torch_skipped"):
        out.append("PyTorch skipped: " + new["torch_skipped"])
    if new.get("generate"):
        out.append("")
        out.append("| generate (KV cache) | tokens/s |")
        out.append("|---|---|")
        for r in new["generate"]:
            out.append("| %s, %d tokens | %.0f |" % (r["pe"], r["tokens"], r["tokens_per_s"]))
    if new.get("eval"):
        out.append("")
        out.append("| eval pe | context | tokens/s | model GFLOP/s | peak memory MiB |")
        out.append("|---|---|---|---|---|")
        for r in sorted(new["eval"], key=lambda r: (r["pe"], r["T"])):
            out.append("| %s | %d | %.0f | %.1f | %.0f |" % (r["pe"], r["T"], r["tokens_per_s"],
                                                          r["model_gflops"], r["peak_rss_mib"]))
    return "\n".join(out)


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__)
        return 2
    if len(sys.argv) == 2:
        print(tables(load(sys.argv[1])))
    else:
        print(tables(load(sys.argv[2]), load(sys.argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())

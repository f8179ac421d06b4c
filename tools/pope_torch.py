#!/usr/bin/python3
"""pope_torch.py — the pope transformer in PyTorch, written from the spec (issue 2,
docs/MODEL.md), independently of the C code. Used to make the C test fixtures
(tools/make_fixture.py) and by the speed benchmark (bench/torch_bench.py).

The model: decoder-only, pre-norm RMSNorm blocks (eps from the config), causal
multi-head attention (q, k, v, o: d x d, no bias), MLP w2 . gelu_tanh(w1 . n) with
hidden 4d, final RMSNorm, untied (or tied) output. Positional encodings:

  none        score = q_t . k_s
  sinusoidal  x += PE, PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(same)
  legendre    x += PE, PE[p, i] = P_p(x_i), x_i = -1 + 2i/d (endpoint) or
              -1 + (2i+1)/d (midpoint), by (n+1)P_{n+1} = (2n+1) x P_n - n P_{n-1}
  rope        pairs (2c, 2c+1) of each head rotated by +p*theta_c,
              theta_c = base^(-2c/D), c = 0..D/2-1:
                out[2c]   = x[2c] cos - x[2c+1] sin
                out[2c+1] = x[2c] sin + x[2c+1] cos
  polar       mu_q = softplus(q), mu_k = softplus(k); theta_c = base^(-c/D), c = 0..D-1;
              delta (H, D) per layer, used clamped to [-2pi, 0] (torch.clamp);
              q~_t = [mu_q cos(t theta), mu_q sin(t theta)]          (2D wide)
              k~_s = [mu_k cos(s theta + delta), mu_k sin(s theta + delta)]
              score = q~_t . k~_s = sum_c mu_q mu_k cos((s - t) theta_c + delta_c)

In every case p = softmax(score / sqrt(D)) over s <= t (D = d / H, also for polar).
Positions count from 0 within the window.

Checkpoints are pope safetensors: 8-byte little-endian header length, a JSON header
{name: {dtype, shape, data_offsets}, "__metadata__": {"pope.config": "<json>"}}, then
raw little-endian float32 data. No safetensors package is needed.

Only /usr/bin/python3 (Debian's python3-torch, numpy) is assumed.
"""
import json
import math
import struct

import numpy as np
import torch
import torch.nn.functional as F

PE_KINDS = ("none", "sinusoidal", "legendre", "rope", "polar")


def default_config(**kw):
    """The fields of pope_config (include/pope.h), with pope's defaults."""
    cfg = dict(vocab_size=256, d_model=128, n_layers=4, n_heads=4, context_length=512,
               pe="polar", pe_base=10000.0, legendre_grid="endpoint", delta_init="zero",
               norm_eps=1e-5, tie_embeddings=False, dropout_attn=0.0, dropout_resid=0.0,
               init_std=0.02, embed_init_std=0.0, tokenizer="none")
    for k, v in kw.items():
        if k not in cfg:
            raise KeyError("unknown config key %r" % k)
        cfg[k] = v
    if cfg["pe"] not in PE_KINDS:
        raise ValueError("unknown positional encoding %r" % cfg["pe"])
    return cfg


# ----------------------------------------------------------------------- encodings
def sinusoidal_table(T, d, dtype=torch.float64):
    """PE (T, d): PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d))."""
    pos = torch.arange(T, dtype=torch.float64)[:, None]
    i2 = torch.arange(0, d, 2, dtype=torch.float64)[None, :]          # 2i
    ang = pos / torch.pow(torch.tensor(10000.0, dtype=torch.float64), i2 / d)
    pe = torch.zeros(T, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(ang)
    pe[:, 1::2] = torch.cos(ang)
    return pe.to(dtype)


def legendre_table(T, d, grid="endpoint", dtype=torch.float64):
    """PE (T, d): PE[p, i] = P_p(x_i) on an equidistant grid of [-1, 1]."""
    i = torch.arange(d, dtype=torch.float64)
    if grid == "endpoint":
        x = -1.0 + 2.0 * i / d
    elif grid == "midpoint":
        x = -1.0 + (2.0 * i + 1.0) / d
    else:
        raise ValueError("legendre_grid %r" % grid)
    rows = []
    p_prev, p_cur = None, torch.ones(d, dtype=torch.float64)      # P_0 = 1
    for n in range(T):
        rows.append(p_cur)
        if n == 0:
            p_next = x.clone()                                        # P_1 = x
        else:
            p_next = ((2 * n + 1) * x * p_cur - n * p_prev) / (n + 1)
        p_prev, p_cur = p_cur, p_next
    return torch.stack(rows).to(dtype)


def rope_apply(x, base):
    """x (B, H, T, D) -> rotated pairs (2c, 2c+1) by angle t * base^(-2c/D)."""
    B, H, T, D = x.shape
    c = torch.arange(D // 2, dtype=torch.float64)
    theta = torch.pow(torch.tensor(float(base), dtype=torch.float64), -2.0 * c / D)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * theta[None, :]   # (T, D/2)
    cos, sin = torch.cos(ang).to(x.dtype), torch.sin(ang).to(x.dtype)
    xe, xo = x[..., 0::2], x[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = xe * cos - xo * sin
    out[..., 1::2] = xe * sin + xo * cos
    return out


def polar_angles(T, D, base, dtype):
    """(T, D) angles t * theta_c, theta_c = base^(-c/D), c = 0..D-1 (computed in float64)."""
    c = torch.arange(D, dtype=torch.float64)
    theta = torch.pow(torch.tensor(float(base), dtype=torch.float64), -c / D)
    return (torch.arange(T, dtype=torch.float64)[:, None] * theta[None, :]).to(dtype)


def polar_apply(q, k, delta, base):
    """q, k (B, H, T, D); delta (H, D) unclamped -> q~, k~ (B, H, T, 2D)."""
    B, H, T, D = q.shape
    ang = polar_angles(T, D, base, q.dtype)                          # (T, D)
    d = torch.clamp(delta, -2.0 * math.pi, 0.0)[None, :, None, :]   # (1, H, 1, D)
    mq, mk = F.softplus(q), F.softplus(k)
    qt = torch.cat([mq * torch.cos(ang), mq * torch.sin(ang)], dim=-1)
    kt = torch.cat([mk * torch.cos(ang + d), mk * torch.sin(ang + d)], dim=-1)
    return qt, kt


# ----------------------------------------------------------------------- model
def param_names(cfg):
    """(name, shape) of every parameter, in checkpoint order."""
    V, d, L, H = cfg["vocab_size"], cfg["d_model"], cfg["n_layers"], cfg["n_heads"]
    D = d // H
    out = [("tok_embeddings.weight", (V, d))]
    for l in range(L):
        p = "layers.%d." % l
        out.append((p + "attention_norm.weight", (d,)))
        for w in ("wq", "wk", "wv", "wo"):
            out.append((p + "attention.%s.weight" % w, (d, d)))
        if cfg["pe"] == "polar":
            out.append((p + "attention.pope_delta", (H, D)))
        out.append((p + "ffn_norm.weight", (d,)))
        out.append((p + "feed_forward.w1.weight", (4 * d, d)))
        out.append((p + "feed_forward.w2.weight", (d, 4 * d)))
    out.append(("norm.weight", (d,)))
    if not cfg["tie_embeddings"]:
        out.append(("output.weight", (V, d)))
    return out


def embed_init_std(cfg):
    """pope_embed_init_std: 0 means auto, 1 for sinusoidal/legendre with an untied output."""
    if cfg.get("embed_init_std", 0.0) > 0:
        return cfg["embed_init_std"]
    absolute = cfg["pe"] in ("sinusoidal", "legendre")
    return 1.0 if absolute and not cfg["tie_embeddings"] else cfg["init_std"]


def init_params(cfg, generator=None, dtype=torch.float32):
    """pope_model_new's recipe (not bit-identical to the C RNG): N(0, init_std) for
    matrices and embeddings, ones for norms, delta zero or U(-2pi, 0)."""
    params = {}
    for name, shape in param_names(cfg):
        if name.endswith("norm.weight"):
            t = torch.ones(shape, dtype=dtype)
        elif name.endswith("pope_delta"):
            if cfg["delta_init"] == "uniform":
                t = -2.0 * math.pi * torch.rand(shape, generator=generator, dtype=dtype)
            else:
                t = torch.zeros(shape, dtype=dtype)
        else:
            std = cfg["init_std"]
            if name == "tok_embeddings.weight":
                std = embed_init_std(cfg)
            t = torch.randn(shape, generator=generator, dtype=dtype) * std
        params[name] = t
    return params


def rmsnorm(x, w, eps):
    return x * torch.rsqrt((x * x).mean(dim=-1, keepdim=True) + eps) * w


def gelu_tanh(x):
    """0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): PyTorch's own fused kernel (>= 1.12),
    what a PyTorch script would call, so that the speed comparison is fair."""
    return F.gelu(x, approximate="tanh")


def gelu_tanh_formula(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


def forward(cfg, params, inputs, targets=None, flash=False):
    """inputs, targets: int64 (B, T) tensors (targets < 0 are ignored).
    Returns (logits (B, T, V), loss or None). Math in the dtype of params.
    flash=False materialises the (T, T) scores; flash=True uses
    F.scaled_dot_product_attention when this torch has it (PyTorch >= 2.0)."""
    B, T = inputs.shape
    d, L, H = cfg["d_model"], cfg["n_layers"], cfg["n_heads"]
    D = d // H
    eps = cfg["norm_eps"]
    pe = cfg["pe"]
    wte = params["tok_embeddings.weight"]
    dtype = wte.dtype
    x = wte[inputs]                                                   # (B, T, d)
    if pe == "sinusoidal":
        x = x + sinusoidal_table(T, d, dtype)
    elif pe == "legendre":
        x = x + legendre_table(T, d, cfg["legendre_grid"], dtype)
    mask = torch.ones(T, T, dtype=torch.bool).tril()                  # s <= t
    scale = 1.0 / math.sqrt(D)
    for l in range(L):
        p = "layers.%d." % l
        n = rmsnorm(x, params[p + "attention_norm.weight"], eps)
        q = (n @ params[p + "attention.wq.weight"].t()).view(B, T, H, D).transpose(1, 2)
        k = (n @ params[p + "attention.wk.weight"].t()).view(B, T, H, D).transpose(1, 2)
        v = (n @ params[p + "attention.wv.weight"].t()).view(B, T, H, D).transpose(1, 2)
        if pe == "rope":
            q, k = rope_apply(q, cfg["pe_base"]), rope_apply(k, cfg["pe_base"])
        elif pe == "polar":
            q, k = polar_apply(q, k, params[p + "attention.pope_delta"], cfg["pe_base"])
        if flash and hasattr(F, "scaled_dot_product_attention"):
            # SDPA scales by 1/sqrt(last dim): pre-scale q so that the scale stays 1/sqrt(D)
            q = q * (scale * math.sqrt(q.shape[-1]))
            if v.shape[-1] != q.shape[-1]:
                # polar's q~, k~ are 2D wide, v is D: PyTorch's fused CPU kernel needs one head
                # width, so v is zero-padded to 2D and the output cut back (what a user would do)
                a = F.scaled_dot_product_attention(q, k, F.pad(v, (0, q.shape[-1] - v.shape[-1])),
                                                   is_causal=True)[..., :v.shape[-1]]
            else:
                a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            s = (q @ k.transpose(-1, -2)) * scale                     # (B, H, T, T)
            s = s.masked_fill(~mask, float("-inf"))
            a = torch.softmax(s, dim=-1) @ v                          # (B, H, T, D)
        a = a.transpose(1, 2).reshape(B, T, d)
        x = x + a @ params[p + "attention.wo.weight"].t()
        n = rmsnorm(x, params[p + "ffn_norm.weight"], eps)
        h = gelu_tanh(n @ params[p + "feed_forward.w1.weight"].t())
        x = x + h @ params[p + "feed_forward.w2.weight"].t()
    n = rmsnorm(x, params["norm.weight"], eps)
    wout = wte if cfg["tie_embeddings"] else params["output.weight"]
    logits = n @ wout.t()                                             # (B, T, V)
    loss = None
    if targets is not None:
        targets = torch.where(targets < 0, torch.full_like(targets, -1), targets)
        loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(-1),
                               ignore_index=-1, reduction="mean")
        # pope: any negative target is ignored; mean over the others (0 when none)
        if (targets >= 0).sum() == 0:
            loss = logits.sum() * 0.0
    return logits, loss


# ----------------------------------------------------------------------- safetensors
def save_safetensors(path, tensors, metadata=None):
    """tensors: ordered dict name -> tensor/ndarray (float32, float64, int32, int64)."""
    dt_names = {np.dtype("float32"): "F32", np.dtype("float64"): "F64",
                np.dtype("int32"): "I32", np.dtype("int64"): "I64"}
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
        a = np.ascontiguousarray(a)
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        b = a.tobytes()
        header[name] = {"dtype": dt_names[a.dtype.newbyteorder("=")], "shape": list(a.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)                          # align the data to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    """-> (dict name -> numpy array, metadata dict)."""
    np_types = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8"}
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {}) or {}
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=np_types[info["dtype"]]).reshape(info["shape"]).copy()
    return out, meta


def save_model(path, cfg, params, extra_metadata=None):
    meta = {"pope.config": json.dumps(cfg, separators=(",", ":"))}
    if extra_metadata:
        meta.update(extra_metadata)
    tensors = {name: params[name].to(torch.float32) for name, _ in param_names(cfg)}
    save_safetensors(path, tensors, meta)


def load_model(path, dtype=torch.float32):
    """-> (cfg, params) from a pope checkpoint (optimizer tensors are skipped)."""
    tensors, meta = load_safetensors(path)
    if "pope.config" not in meta:
        raise ValueError("%s: no pope.config in __metadata__" % path)
    cfg = default_config()
    cfg.update(json.loads(meta["pope.config"]))
    params = {}
    for name, shape in param_names(cfg):
        if name not in tensors:
            raise ValueError("%s: missing tensor %s" % (path, name))
        if tuple(tensors[name].shape) != tuple(shape):
            raise ValueError("%s: %s has shape %s, config says %s"
                             % (path, name, tensors[name].shape, shape))
        params[name] = torch.from_numpy(tensors[name]).to(dtype)
    return cfg, params


def selftest():
    """Checks the encodings against their written formulas (independent of forward())."""
    torch.manual_seed(0)
    B, H, T, D = 1, 2, 7, 6
    q, k = torch.randn(B, H, T, D, dtype=torch.float64), torch.randn(B, H, T, D, dtype=torch.float64)
    delta = -2 * math.pi * torch.rand(H, D, dtype=torch.float64)
    qt, kt = polar_apply(q, k, delta, 10000.0)
    th = [10000.0 ** (-c / D) for c in range(D)]
    mq, mk = F.softplus(q), F.softplus(k)
    err = 0.0
    for h in range(H):
        for t in range(T):
            for s_ in range(T):
                want = sum(mq[0, h, t, c] * mk[0, h, s_, c] * math.cos((s_ - t) * th[c] + delta[h, c])
                           for c in range(D))
                err = max(err, abs(float(qt[0, h, t] @ kt[0, h, s_]) - float(want)))
    assert err < 1e-12, "polar score formula %g" % err
    # rope: q_t . k_s depends only on t - s when the same vectors sit at every position
    qv, kv = torch.randn(D, dtype=torch.float64), torch.randn(D, dtype=torch.float64)
    qr = rope_apply(qv.expand(1, 1, T, D).clone(), 10000.0)[0, 0]
    kr = rope_apply(kv.expand(1, 1, T, D).clone(), 10000.0)[0, 0]
    sc = qr @ kr.t()
    for t in range(1, T):
        assert torch.allclose(sc.diagonal(-t), sc.diagonal(-t)[0].expand(T - t)), "rope relative"
    # rope at position 1, pair 0 is a rotation by +1 rad
    e = torch.zeros(1, 1, 2, 2, dtype=torch.float64); e[..., 0] = 1.0
    r = rope_apply(e, 10000.0)[0, 0, 1]
    assert abs(r[0] - math.cos(1.0)) < 1e-15 and abs(r[1] - math.sin(1.0)) < 1e-15
    # legendre: P_2 = (3x^2 - 1)/2, P_3 = (5x^3 - 3x)/2 on the endpoint grid
    dd = 10
    pe = legendre_table(4, dd, "endpoint")
    for i in range(dd):
        x = -1 + 2 * i / dd
        assert abs(pe[2, i] - (3 * x * x - 1) / 2) < 1e-14 and abs(pe[3, i] - (5 * x ** 3 - 3 * x) / 2) < 1e-14
    pe = legendre_table(2, dd, "midpoint")
    assert abs(pe[1, 0] - (-1 + 1 / dd)) < 1e-15
    # sinusoidal
    st = sinusoidal_table(5, 8)
    assert abs(st[3, 2] - math.sin(3 / 10000 ** (2 / 8))) < 1e-15 and abs(st[3, 3] - math.cos(3 / 10000 ** (2 / 8))) < 1e-15
    xs = torch.linspace(-6, 6, 101, dtype=torch.float64)
    assert torch.allclose(gelu_tanh(xs), gelu_tanh_formula(xs), rtol=0, atol=1e-14), "gelu"
    print("pope_torch selftest: ok")


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["--selftest"]:
        selftest()
        sys.exit(0)
    if len(sys.argv) < 2:
        print("usage: pope_torch.py --selftest | CHECKPOINT.safetensors [TOKENS...]\n"
              "  prints the config and, given tokens, the next-token logits argmax and the loss")
        sys.exit(2)
    cfg, params = load_model(sys.argv[1], torch.float64)
    print(json.dumps(cfg))
    if len(sys.argv) > 2:
        toks = torch.tensor([[int(t) for t in sys.argv[2:]]], dtype=torch.int64)
        logits, loss = forward(cfg, params, toks[:, :-1], toks[:, 1:])
        print("loss %.6f" % loss.item())

#!/usr/bin/python3
"""jsb_voice_probe.py — does a chorale model keep its four channels as S A T B after an opening
it never saw? (models/README.md, "Sampling quality").

Samples 40 voice steps at temperature 1 without nucleus truncation (PAD, BOS and EOS excluded, as
`pope-music generate` does) after BOS + one opening step, for seeds 1-10, and prints the share of
steps in SATB order per seed. Two openings: a silent soprano over a B-flat chord (no JSB chorale
starts with a rest: the token `generate` occasionally draws first at top-p 1.0), and the full chord
(the control). Uses tools/pope_torch.py, Debian's PyTorch.

Usage: /usr/bin/python3 tools/jsb_voice_probe.py [models/music-default.safetensors]
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pope_torch as pt  # noqa: E402
from jsb_grid import BOS, MIN_PITCH, PITCH0, SILENCE, satb_order  # noqa: E402


def token(pitch):
    return SILENCE if pitch is None else PITCH0 + pitch - MIN_PITCH


def satb_share(cfg, params, opening, seed, steps=40):
    g = torch.Generator().manual_seed(seed)
    seq = [BOS] + [token(p) for p in opening]
    for _ in range(4 * steps):
        with torch.no_grad():
            logits, _ = pt.forward(cfg, params, torch.tensor([seq[-cfg["context_length"]:]]))
        lg = logits[0, -1].double()
        lg[:SILENCE] = float("-inf")   # PAD, BOS, EOS
        seq.append(int(torch.multinomial(torch.softmax(lg, -1), 1, generator=g)))
    judged = [o for o in (satb_order(seq[i:i + 4]) for i in range(1 + 4, len(seq) - 3, 4)) if o is not None]
    return sum(judged) / max(len(judged), 1)   # over the sampled steps


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "models/music-default.safetensors"
    cfg, params = pt.load_model(path)
    for name, opening in [("silent soprano, A T B = Eb4 Bb3 G3", [None, 63, 58, 55]),
                          ("full chord G4 Eb4 Bb3 G3 (control)", [67, 63, 58, 55])]:
        shares = [satb_share(cfg, params, opening, s) for s in range(1, 11)]
        print("%-38s rotated (< 50%% in order) in %d of 10 seeds; per seed: %s" %
              (name, sum(x < 0.5 for x in shares), " ".join("%.0f%%" % (100 * x) for x in shares)))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""jsb_satb_by_seed.py — SATB order of a chorale model's samples, seed by seed
(models/README.md, "Top-p 1.0: what was tried").

Generates 30 s with `pope-music generate` for each seed (as tests/music/test_music_generate_quality.c
does: --threads 1, the model as the default one) and prints the share of voice steps (at least two
voices sounding) in soprano >= alto >= tenor >= bass order, the first misordered step and, for a
piece below 90%, its steps around it (pitches as MIDI numbers, '-' a rest). Then the mean over the
seeds and the pieces below 50% ("derailed").

Usage: /usr/bin/python3 tools/jsb_satb_by_seed.py MODEL.safetensors TEMPERATURE TOP_P [SEEDS [GENERATE-OPTION...]]
       (SEEDS: 1-10 by default, e.g. 1-40 or 3,9; the options go to generate, e.g.
       --voice-ranges off; needs build/pope-music and numpy)
"""
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from jsb_grid import BOS, MIN_PITCH, PITCH0, SILENCE, satb_order


def seeds_of(arg):
    if "-" in arg:
        lo, hi = arg.split("-")
        return range(int(lo), int(hi) + 1)
    return [int(x) for x in arg.split(",")]


def name(t):
    return "-" if t == SILENCE else str(t - PITCH0 + MIN_PITCH) if t >= PITCH0 else "<%d>" % t


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    model, temperature, top_p = sys.argv[1:4]
    seeds = seeds_of(sys.argv[4] if len(sys.argv) > 4 else "1-10")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(model, os.path.join(tmp, "music-default.safetensors"))
        env = dict(os.environ, POPE_MODELS_DIR=tmp)
        shares = []
        for seed in seeds:
            npy = os.path.join(tmp, "gen.npy")
            subprocess.run([os.path.join(root, "build", "pope-music"), "generate", "--midi", os.path.join(tmp, "g.mid"),
                            "--tokens-out", npy, "--seconds", "30", "--seed", str(seed), "--temperature", temperature,
                            "--top-p", top_p, "--threads", "1"] + sys.argv[5:], env=env, check=True, stderr=subprocess.DEVNULL)
            t = np.load(npy).astype(int)
            t = t[1:] if t[0] == BOS else t
            steps = t[: len(t) // 4 * 4].reshape(-1, 4)
            order = [satb_order(list(s)) for s in steps]
            judged = sum(o is not None for o in order)
            bad = [i for i, o in enumerate(order) if o is False]
            share = (judged - len(bad)) / max(judged, 1)
            shares.append(share)
            print("seed %d: %.1f%% of %d steps; first misordered step %s" % (seed, 100 * share, judged, bad[0] if bad else "none"))
            if bad and share < 0.9:
                for i in range(max(0, bad[0] - 3), min(len(steps), bad[0] + 4)):
                    print("   step %d  %s" % (i, " ".join(name(x) for x in steps[i])))
        derailed = [s for s, x in zip(seeds, shares) if x < 0.5]
        print("mean %.1f%% over %d seeds; derailed (< 50%%): %s" % (100 * sum(shares) / len(shares), len(shares),
                                                                     ", ".join(map(str, derailed)) or "none"))


if __name__ == "__main__":
    main()

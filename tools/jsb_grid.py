"""jsb_grid.py — the jsb token layout (include/pope_music.h) and the SATB-order rule of
tests/music/test_music_generate_quality.c, for the chorale tools (jsb_voice_probe.py,
jsb_satb_by_seed.py)."""

BOS, SILENCE, PITCH0, MIN_PITCH = 1, 3, 4, 21


def satb_order(step):
    """A voice step's four tokens (S A T B): True when its sounding voices are in soprano >=
    alto >= tenor >= bass order, False when not, None when fewer than two sound (not judged)."""
    p = [t for t in step if t >= PITCH0]
    if len(p) < 2:
        return None
    return all(p[k] >= p[k + 1] for k in range(len(p) - 1))

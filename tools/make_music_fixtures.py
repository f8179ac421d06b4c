#!/usr/bin/env python3
"""Regenerates tests/music/data/miditok/: what MidiTok and pretty_midi make of real MAESTRO files.

    pip install miditok==3.1.0 symusic==0.6.0 pretty_midi==0.2.11.post0 mido
    python3 tools/make_music_fixtures.py [../shared/data/maestro-asap]

For each file in PIECES: the first SECONDS of the performance are cut into NAME.mid (every event
before the cut kept as is, the notes still sounding released at the cut, then End of Track), and

  NAME.remi.txt   MidiTok's REMI tokens of NAME.mid, default TokenizerConfig: 'id token' lines
  NAME.notes.txt  pretty_midi's notes of NAME.mid (for NOTE_LISTS): 'start end pitch velocity'
                  lines (seconds, repr precision), sorted by (start, pitch, end); no pedal
  vocab.txt       MidiTok's REMI vocabulary: 'id token' lines, id order

tests/music/test_music_fixtures.c compares pope's remi tokenizer and its MIDI reader with them.
The versions used are written to versions.txt (tokens depend on MidiTok and symusic versions).
"""
import importlib.metadata
import os
import sys

import mido
import pretty_midi
from miditok import REMI
from symusic import Score

# (source file under the data set, seconds kept). Different pieces and composers, the three
# resolutions of the set (384, 480, 960 ticks per quarter). Bach_Fugue_bwv_883_KaiRuiR03 is the
# one file of maestro-asap with a note-on written before the previous note's note-off on the
# same tick (at 118 s), the case of issue 13's pairing: kept to 125 s.
PIECES = [
    ("validation/Bach_Fugue_bwv_883_KaiRuiR03.mid", 125),
    ("train/Bach_Prelude_bwv_846_Shi05M.mid", 40),
    ("test/Beethoven_Piano_Sonatas_16-1_Woo05M.mid", 40),
    ("test/Chopin_Etudes_op_10_12_HuNY03M.mid", 40),
    ("test/Liszt_Transcendental_Etudes_10_CaoJ03M.mid", 40),
    ("test/Schubert_Impromptu_op.90_D.899_4_no_repeat_Huang10M.mid", 40),
    ("train/Mozart_Piano_Sonatas_12-1_MunA03M.mid", 40),
    ("test/Debussy_Pour_le_Piano_1_MunA12M.mid", 40),
    ("train/Rachmaninoff_Preludes_op_23_4_ChenGuang12M.mid", 40),
]

# pretty_midi's note lists are kept for these (issue 13: the reader's pairing).
NOTE_LISTS = {"Bach_Fugue_bwv_883_KaiRuiR03", "Chopin_Etudes_op_10_12_HuNY03M", "Debussy_Pour_le_Piano_1_MunA12M"}

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "music", "data", "miditok")


def cut(src, dst, seconds):
    """Keeps the events before `seconds`, releases the notes sounding then, ends the track."""
    mf = mido.MidiFile(src)
    out = mido.MidiFile(type=mf.type, ticks_per_beat=mf.ticks_per_beat)
    tempo = 500000
    for track in mf.tracks:
        new, t_sec, tick, last_tick, sounding = mido.MidiTrack(), 0.0, 0, 0, {}
        for msg in track:
            t_sec += mido.tick2second(msg.time, mf.ticks_per_beat, tempo)
            tick += msg.time
            if msg.type == "set_tempo":
                tempo = msg.tempo
            if msg.type == "end_of_track" or t_sec >= seconds:
                break
            if msg.type == "note_on" and msg.velocity > 0:
                sounding[(msg.channel, msg.note)] = sounding.get((msg.channel, msg.note), 0) + 1
            elif msg.type in ("note_on", "note_off"):
                sounding.pop((msg.channel, msg.note), None)
            new.append(msg.copy(time=tick - last_tick))
            last_tick = tick
        for (channel, note) in sorted(sounding):
            new.append(mido.Message("note_off", channel=channel, note=note, velocity=0, time=tick - last_tick))
            last_tick = tick
        new.append(mido.MetaMessage("end_of_track", time=0))
        out.tracks.append(new)
    out.save(dst)


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join("..", "shared", "data", "maestro-asap")
    os.makedirs(OUT, exist_ok=True)
    tok = REMI()   # the default TokenizerConfig
    with open(os.path.join(OUT, "vocab.txt"), "w") as f:
        for name, i in sorted(tok.vocab.items(), key=lambda kv: kv[1]):
            f.write(f"{i} {name}\n")
    names = []
    for rel, seconds in PIECES:
        name = os.path.splitext(os.path.basename(rel))[0]
        names.append(name)
        mid = os.path.join(OUT, name + ".mid")
        cut(os.path.join(data, rel), mid, seconds)
        seqs = tok.encode(Score(mid))
        assert len(seqs) == 1, f"{name}: {len(seqs)} tracks"   # MAESTRO: one piano track
        with open(os.path.join(OUT, name + ".remi.txt"), "w") as f:
            for i, t in zip(seqs[0].ids, seqs[0].tokens):
                f.write(f"{i} {t}\n")
        pm = pretty_midi.PrettyMIDI(mid)
        notes = sorted(((float(n.start), n.pitch, float(n.end), n.velocity) for ins in pm.instruments for n in ins.notes))
        with open(os.path.join(OUT, name + ".notes.txt"), "w") as f:
            for s, p, e, v in notes:
                f.write(f"{s!r} {e!r} {p} {v}\n")
        if name not in NOTE_LISTS:
            os.remove(os.path.join(OUT, name + ".notes.txt"))
        print(f"{name}: {len(seqs[0].ids)} tokens, {len(notes)} notes")
    with open(os.path.join(OUT, "versions.txt"), "w") as f:
        for pkg in ("miditok", "symusic", "pretty_midi", "mido"):
            f.write(f"{pkg} {importlib.metadata.version(pkg)}\n")
    with open(os.path.join(OUT, "pieces.txt"), "w") as f:
        f.write("\n".join(names) + "\n")


if __name__ == "__main__":
    main()

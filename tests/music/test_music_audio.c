// test_music_audio.c — MIDI to WAV through FluidSynth (formats/music/audio.c): a piece of
// two 1-second notes with a 1-second rest between them renders to a WAV of the piece's
// length plus the 1 s release tail, loud where the notes sound and near silence in the
// middle of the rest; a missing soundfont and a MIDI without notes are clear errors.
// Skips (naming the package) when pope was built without FluidSynth or no General MIDI
// soundfont is installed.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pope.h"
#include "pope_music.h"

#define RATE 44100

// RMS of the left+right samples in [t0, t1) seconds of a 16-bit stereo WAV body.
static double rms(const int16_t *pcm, size_t frames, double t0, double t1) {
    size_t a = (size_t)(t0 * RATE), b = (size_t)(t1 * RATE);
    if (b > frames) b = frames;
    double s = 0;
    for (size_t i = a; i < b; i++) s += (double)pcm[2 * i] * pcm[2 * i] + (double)pcm[2 * i + 1] * pcm[2 * i + 1];
    return b > a ? sqrt(s / (2.0 * (double)(b - a))) : 0;
}

int main(void) {
    if (!pope_music_soundfont(NULL)) {
        printf("SKIP: no General MIDI soundfont (apt-get install fluid-soundfont-gm)\n");
        return CHECK_SKIP;
    }
    char dir[] = "/tmp/pope-audio-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char mid[512], wav[512], empty[512];
    snprintf(mid, sizeof mid, "%s/two.mid", dir);
    snprintf(wav, sizeof wav, "%s/two.wav", dir);
    snprintf(empty, sizeof empty, "%s/empty.mid", dir);

    pope_midi m;
    pope_midi_init(&m);
    pope_note a = {.start = 0, .end = 1, .start_beat = -1, .end_beat = -1, .pitch = 60, .velocity = 100};
    pope_note b = {.start = 2, .end = 3, .start_beat = -1, .end_beat = -1, .pitch = 67, .velocity = 100};
    CHECK(pope_midi_add_note(&m, a) == 0 && pope_midi_add_note(&m, b) == 0, "add notes");
    CHECK(pope_midi_write(mid, &m) == 0, "write: %s", pope_last_error());
    pope_midi_free(&m);

    double seconds = 0;
    int rc = pope_music_render_wav(mid, wav, NULL, &seconds);
    if (rc != 0 && strstr(pope_last_error(), "without FluidSynth")) {
        printf("SKIP: %s\n", pope_last_error());
        return CHECK_SKIP;
    }
    CHECK(rc == 0, "render: %s", pope_last_error());
    CHECK_NEAR(seconds, 4.0, 1e-3, 0, "audio length = 3 s of music + 1 s tail");

    size_t len = 0;
    char *bytes = pope_read_file(wav, &len);
    CHECK(bytes && len > 44 && !memcmp(bytes, "RIFF", 4) && !memcmp(bytes + 8, "WAVEfmt ", 8), "a WAV file");
    if (bytes && len > 44) {
        uint32_t data = (uint32_t)(uint8_t)bytes[40] | (uint32_t)(uint8_t)bytes[41] << 8 |
                        (uint32_t)(uint8_t)bytes[42] << 16 | (uint32_t)(uint8_t)bytes[43] << 24;
        CHECK(data == len - 44, "data chunk %u bytes, file body %zu", data, len - 44);
        size_t frames = (len - 44) / 4;
        CHECK(frames == 4 * RATE, "%zu frames, want %d", frames, 4 * RATE);
        const int16_t *pcm = (const int16_t *)(bytes + 44);
        double note1 = rms(pcm, frames, 0.1, 0.9), rest = rms(pcm, frames, 1.7, 1.95),
               note2 = rms(pcm, frames, 2.1, 2.9);
        printf("rms: note 1 %.1f, rest %.1f, note 2 %.1f\n", note1, rest, note2);
        CHECK(note1 > 100 && note2 > 100, "the notes are audible");
        CHECK(rest < note1 / 10 && rest < note2 / 10, "the rest is (nearly) silent");
    }
    free(bytes);

    CHECK(pope_music_render_wav(mid, wav, "/nonexistent/x.sf2", NULL) != 0 &&
              strstr(pope_last_error(), "fluid-soundfont-gm"),
          "a missing soundfont names the package: %s", pope_last_error());
    pope_midi_init(&m);
    CHECK(pope_midi_write(empty, &m) == 0, "write empty");
    pope_midi_free(&m);
    CHECK(pope_music_render_wav(empty, wav, NULL, NULL) != 0, "no notes is an error");

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "rm");
    return check_summary("test_music_audio");
}

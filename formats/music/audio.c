// audio.c — MIDI to audio (16-bit stereo WAV) through FluidSynth and a General MIDI
// soundfont, so that a generated piece can be listened to without other tools.
// FluidSynth is optional at build time (POPE_HAVE_FLUIDSYNTH); the soundfont is looked up at
// run time (--soundfont, $POPE_SOUNDFONT, then Debian's fluid-soundfont-gm).
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pope.h"
#include "pope_music.h"

#define SAMPLE_RATE 44100
#define TAIL_SECONDS 1.0      // the release of the last notes
#define BLOCK 1024            // frames rendered per call

static const char *const default_soundfonts[] = {
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",   // fluid-soundfont-gm
    "/usr/share/sounds/sf2/default-GM.sf2",
    NULL,
};

const char *pope_music_soundfont(const char *given) {
    if (given) return access(given, R_OK) == 0 ? given : NULL;
    const char *env = getenv("POPE_SOUNDFONT");
    if (env && *env) return access(env, R_OK) == 0 ? env : NULL;
    for (int i = 0; default_soundfonts[i]; i++)
        if (access(default_soundfonts[i], R_OK) == 0) return default_soundfonts[i];
    return NULL;
}

#ifndef POPE_HAVE_FLUIDSYNTH
int pope_music_render_wav(const char *midi_path, const char *wav_path, const char *soundfont,
                          double *seconds) {
    (void)midi_path, (void)wav_path, (void)soundfont, (void)seconds;
    return pope_error("audio: this pope was built without FluidSynth (install libfluidsynth-dev and rebuild)");
}
#else
#include <fluidsynth.h>

static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

// The 44-byte RIFF/WAVE header of `frames` 16-bit stereo frames.
static void wav_header(unsigned char h[44], uint32_t frames) {
    uint32_t data = frames * 4;
    memcpy(h, "RIFF", 4);
    put_u32(h + 4, 36 + data);
    memcpy(h + 8, "WAVEfmt ", 8);
    put_u32(h + 16, 16);
    h[20] = 1, h[21] = 0;   // PCM
    h[22] = 2, h[23] = 0;   // stereo
    put_u32(h + 24, SAMPLE_RATE);
    put_u32(h + 28, SAMPLE_RATE * 4);
    h[32] = 4, h[33] = 0;   // block align
    h[34] = 16, h[35] = 0;  // bits per sample
    memcpy(h + 36, "data", 4);
    put_u32(h + 40, data);
}

static void quiet_log(int level, const char *message, void *data) {
    (void)level, (void)message, (void)data;
}

int pope_music_render_wav(const char *midi_path, const char *wav_path, const char *soundfont,
                          double *seconds) {
    // pope's own reader validates the file first (FluidSynth gets only files pope can read)
    // and gives the length, which bounds the output.
    pope_midi m;
    if (pope_midi_read(&m, midi_path) != 0) return -1;
    double duration = m.duration;
    size_t n_notes = m.n_notes;
    pope_midi_free(&m);
    if (n_notes == 0) return pope_error("%s: no notes to render", midi_path);
    if (!(duration <= POPE_RENDER_MAX_SECONDS))
        return pope_error("%s: %.0f s of music; rendering is limited to %d s", midi_path, duration,
                          POPE_RENDER_MAX_SECONDS);
    const char *sf = pope_music_soundfont(soundfont);
    if (!sf)
        return pope_error("no soundfont%s%s: install fluid-soundfont-gm (apt-get install fluid-soundfont-gm), "
                          "or give --soundfont FILE.sf2 or $POPE_SOUNDFONT",
                          soundfont ? " at " : "", soundfont ? soundfont : "");
    for (int level = 0; level < LAST_LOG_LEVEL; level++) fluid_set_log_function(level, quiet_log, NULL);

    int rc = -1;
    FILE *f = NULL;
    pope_atomic out = {0};
    fluid_settings_t *settings = new_fluid_settings();
    fluid_synth_t *synth = NULL;
    fluid_player_t *player = NULL;
    if (!settings) { pope_error("audio: FluidSynth: out of memory"); goto done; }
    fluid_settings_setnum(settings, "synth.sample-rate", SAMPLE_RATE);
    fluid_settings_setstr(settings, "player.timing-source", "sample");   // follow the rendered samples
    fluid_settings_setint(settings, "synth.lock-memory", 0);
    fluid_settings_setnum(settings, "synth.gain", 0.5);   // FluidSynth's 0.2 is quiet for solo piano
    synth = new_fluid_synth(settings);
    if (!synth) { pope_error("audio: FluidSynth: cannot create a synthesizer"); goto done; }
    if (fluid_synth_sfload(synth, sf, 1) == FLUID_FAILED) { pope_error("%s: not a soundfont FluidSynth can load", sf); goto done; }
    player = new_fluid_player(synth);
    if (!player || fluid_player_add(player, midi_path) != FLUID_OK || fluid_player_play(player) != FLUID_OK) {
        pope_error("%s: FluidSynth cannot play it", midi_path);
        goto done;
    }
    if (pope_atomic_begin(&out, wav_path, "wb") != 0) goto done;
    f = out.f;
    unsigned char header[44];
    wav_header(header, 0);
    int ok = fwrite(header, 1, sizeof header, f) == sizeof header;
    // Exactly the piece's length as pope reads it, plus the release tail (FluidSynth's player
    // lingers a little past the last event; the audio should not).
    uint64_t total = (uint64_t)((duration + TAIL_SECONDS) * SAMPLE_RATE + 0.5), frames = 0;
    int16_t buf[2 * BLOCK];
    while (ok && frames < total) {
        int n = total - frames < BLOCK ? (int)(total - frames) : BLOCK;
        if (fluid_synth_write_s16(synth, n, buf, 0, 2, buf, 1, 2) != FLUID_OK) {
            pope_error("audio: FluidSynth failed while rendering");
            ok = 0;
            break;
        }
        ok = fwrite(buf, sizeof *buf, 2 * (size_t)n, f) == 2 * (size_t)n;
        if (!ok) pope_error("%s: %s", wav_path, strerror(errno));
        frames += (uint64_t)n;
    }
    if (ok) {
        wav_header(header, (uint32_t)frames);
        ok = fseek(f, 0, SEEK_SET) == 0 && fwrite(header, 1, sizeof header, f) == sizeof header;
        if (!ok) pope_error("%s: %s", wav_path, strerror(errno));
    }
    f = NULL;
    if (!ok) {
        pope_atomic_abort(&out);
        goto done;
    }
    if (pope_atomic_commit(&out, 0) != 0) goto done;
    if (seconds) *seconds = (double)frames / SAMPLE_RATE;
    rc = 0;
done:
    if (f) pope_atomic_abort(&out);
    if (player) { fluid_player_stop(player); delete_fluid_player(player); }
    if (synth) delete_fluid_synth(synth);
    if (settings) delete_fluid_settings(settings);
    return rc;
}
#endif

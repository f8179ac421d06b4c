// cmd_render.c — `pope-music render in.mid -o out.wav`: any MIDI to audio through FluidSynth
// (formats/music/audio.c), so that generated music can be listened to.
#include <stddef.h>
#include <string.h>

#include "music_cli.h"

typedef struct {
    const char *in, *out, *soundfont;
} render_opts;

#define RND(field) .dst = POPE_DST_LOCAL, .off = offsetof(render_opts, field)
static const pope_opt render_options[] = {
    {.name = "--output", .alias = "-o", .kind = POPE_OPT_STR, RND(out), .arg = "FILE.wav",
     .help = "the .wav to write; required"},
    {.name = "--soundfont", .kind = POPE_OPT_STR, RND(soundfont), .arg = "FILE.sf2",
     .help = "a General MIDI soundfont", .def = "$POPE_SOUNDFONT, else fluid-soundfont-gm's FluidR3_GM.sf2"},
    POPE_OPT_END,
};

int cmd_render(const pope_program *p, int argc, char **argv) {
    static const char usage[] =
        "usage: " PROG " render FILE.mid -o out.wav [--soundfont FILE.sf2]\n\n"
        "Renders a MIDI file to a 44.1 kHz 16-bit stereo WAV with FluidSynth and a General MIDI\n"
        "soundfont: the music plus a 1 s release, at most 1 hour of music.\n\n";
    pope_cli cli;
    render_opts o = {0};
    int prc = pope_program_parse(p, "render", render_options, usage, &cli, &o, pope_positional_file, &o.in, argc, argv);
    if (prc) return prc < 0 ? 0 : prc;
    if (!o.in) return usage_error("render", "no input FILE.mid");
    if (!o.out) return usage_error("render", "-o out.wav is required");
    double seconds = 0;
    if (pope_music_render_wav(o.in, o.out, o.soundfont, &seconds) != 0) return die("render");
    fprintf(stderr, PROG ": %s: %.1f s of audio\n", o.out, seconds);
    return 0;
}

// cmd_render.c — `pope-music render in.mid -o out.wav`: any MIDI to audio through FluidSynth
// (formats/music/audio.c), so that generated music can be listened to.
#include <string.h>

#include "music_cli.h"

int cmd_render(const pope_program *p, int argc, char **argv) {
    (void)p;
    static const char help[] =
        "usage: " PROG " render FILE.mid -o out.wav [--soundfont FILE.sf2]\n\n"
        "Renders a MIDI file to a 44.1 kHz 16-bit stereo WAV with FluidSynth and a General MIDI\n"
        "soundfont (the music plus a 1 s release; at most 1 hour of music).\n\n"
        "options:\n"
        "  -o, --output FILE    the .wav to write (required)\n"
        "  --soundfont FILE     a .sf2 soundfont (default: $POPE_SOUNDFONT, else\n"
        "                       /usr/share/sounds/sf2/FluidR3_GM.sf2 from fluid-soundfont-gm)\n";
    const char *in = NULL, *out = NULL, *soundfont = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(help, stdout); return 0; }
        if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc) out = argv[++i];
        else if (!strcmp(a, "--soundfont") && i + 1 < argc) soundfont = argv[++i];
        else if (a[0] == '-' && a[1]) {
            char msg[300];
            snprintf(msg, sizeof msg, "unknown option or missing value '%s'", a);
            return usage_error("render", msg);
        } else if (in) return usage_error("render", "one input FILE.mid only");
        else in = a;
    }
    if (!in) return usage_error("render", "no input FILE.mid");
    if (!out) return usage_error("render", "-o out.wav is required");
    double seconds = 0;
    if (pope_music_render_wav(in, out, soundfont, &seconds) != 0) return die("render");
    fprintf(stderr, PROG ": %s: %.1f s of audio\n", out, seconds);
    return 0;
}

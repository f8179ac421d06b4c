// midi_validate.c — walks a Standard MIDI File's bytes the way libsmf 1.3 will parse them and
// refuses, with a message, everything that would make libsmf abort (assert), read past an
// event, or stop with only a log message: libsmf is told nothing it cannot take.
//
// libsmf's rules, which the walk follows so that it sees the events libsmf will see:
// - the first ntracks chunks are read; each chunk id must be 4 letters; non-MTrk chunks are
//   skipped (libsmf warns, which pope_midi_read_memory reports);
// - an event is a delta time (a VLQ of at most 4 bytes), then a status byte or running status;
// - a meta event (FF type len) is len + 3 bytes with len one byte (libsmf does not read a VLQ);
// - a SysEx (F0) is F0, a VLQ length, that many bytes; running status after it asserts;
// - escaped events (F7) assert; F4, F5 and FD are unknown to it;
// - a track must end with End of Track (FF 2F): running out of bytes asserts;
// - an event's tick (the track's sum of delta times) is an int: past INT_MAX it asserts.
// And for pope's own bounds: at most MIDI_MAX_EVENTS events in the file, and (tempo events +
// tracks) × events at most MIDI_MAX_TEMPO_WORK (libsmf's time grows with that product).
// And for the tempo map built from them: a tempo (FF 51) must have 3 bytes and be > 0 (libsmf
// reads 3 bytes whatever the length), a time signature (FF 58) at least 4, with a denominator
// 2^d that an int holds (libsmf computes (int)pow(2, d)).
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "pope.h"
#include "smf_util.h"

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

// A VLQ of at most 4 bytes at b[*i..len): its value, *i moved past it; -1 when it is cut off
// or longer.
static int64_t read_vlq(const uint8_t *b, size_t len, size_t *i) {
    int64_t v = 0;
    for (int k = 0; k < 4; k++) {
        if (*i >= len) return -1;
        uint8_t c = b[(*i)++];
        v = v << 7 | (c & 0x7F);
        if (!(c & 0x80)) return v;
    }
    return -1;
}

// Length of a message with this status (status byte included), as libsmf counts it; 0 when
// libsmf does not know the status.
static size_t message_length(int status) {
    if (status < 0xF0) return (status & 0xF0) == 0xC0 || (status & 0xF0) == 0xD0 ? 2 : 3;
    switch (status) {
    case 0xF2: return 3;
    case 0xF1: case 0xF3: return 2;
    case 0xF6: case 0xF8: case 0xF9: case 0xFA: case 0xFB: case 0xFC: case 0xFE: return 1;
    default: return 0;
    }
}

#define TRACK_ERROR(...) pope_error("%s: track %d: " __VA_ARGS__)

// Events in a whole file, at most: libsmf holds ~150 bytes per event (1 M events: 150 MB and
// 1.7 s), so a few MB of running-status bytes must not become gigabytes. The longest MAESTRO
// performance has ~0.3 M events.
#define MIDI_MAX_EVENTS (1L << 21)
// (Tempo and time-signature events + tracks) × all events, at most: libsmf scans its tempo map
// per event (and rebuilds it per tempo event) and all tracks per event it merges, so its time
// grows with these products: 40,000 tempo changes among 40,000 notes (a 600 KB file) took
// 6.7 s, 80,000 of each 29 s; 16,000 tracks of one note 5.7 s. 2^29 is ~2-4 s here; a MAESTRO
// performance has one or two tempo events and two tracks.
#define MIDI_MAX_TEMPO_WORK (1LL << 29)

typedef struct { long events, tempo_events; } midi_counts;

static int check_track(const uint8_t *b, size_t len, const char *name, int track, midi_counts *count) {
    size_t i = 0;
    int last_status = 0;
    int64_t tick = 0;
    for (;;) {
        if (i >= len) return TRACK_ERROR("ends without an End of Track event (truncated?)", name, track);
        if (++count->events > MIDI_MAX_EVENTS)
            return pope_error("%s: more than %ld MIDI events: not a piece pope reads", name, MIDI_MAX_EVENTS);
        int64_t delta = read_vlq(b, len, &i);
        if (delta < 0) return TRACK_ERROR("bad delta time at byte %zu (cut off or longer than 4 bytes)", name, track, i);
        tick += delta;
        if (tick >= INT_MAX)
            return TRACK_ERROR("events past tick %d (INT_MAX): not a piece", name, track, INT_MAX);
        if (i >= len) return TRACK_ERROR("ends inside an event (truncated?)", name, track);
        int has_status = b[i] & 0x80, status = has_status ? b[i] : last_status;
        if (!(status & 0x80)) return TRACK_ERROR("data byte 0x%02X without a status at byte %zu", name, track, b[i], i);
        if (status == 0xF7) return TRACK_ERROR("escaped (0xF7) MIDI events are not supported", name, track);
        if (status == 0xF0) {
            if (!has_status) return TRACK_ERROR("running status after a SysEx event (corrupt file)", name, track);
            size_t j = i + 1;
            int64_t n = read_vlq(b, len, &j);
            if (n < 0 || (uint64_t)n >= len - j) return TRACK_ERROR("SysEx event at byte %zu runs past the track", name, track, i);
            i = j + (size_t)n;
            last_status = status;
            continue;
        }
        size_t c = has_status ? i + 1 : i;   // the first byte after the status
        if (status == 0xFF) {
            if (len - c < 2) return TRACK_ERROR("meta event at byte %zu runs past the track", name, track, i);
            int type = b[c], mlen = b[c + 1];
            if ((size_t)mlen + 2 > len - c) return TRACK_ERROR("meta event at byte %zu runs past the track", name, track, i);
            if (type == 0x2F) return 0;   // End of Track: libsmf reads no further
            const uint8_t *d = b + c + 2;
            if (type == 0x51 && (mlen != 3 || (d[0] | d[1] | d[2]) == 0))
                return TRACK_ERROR("bad tempo event at byte %zu (%d bytes, want 3 giving a tempo > 0)", name, track, i, mlen);
            if (type == 0x58 && (mlen < 4 || d[1] > 30))
                return TRACK_ERROR("bad time signature at byte %zu", name, track, i);
            count->tempo_events += type == 0x51 || type == 0x58;
            i = c + 2 + (size_t)mlen;
        } else {
            size_t n = message_length(status);
            if (n == 0) return TRACK_ERROR("unknown status byte 0x%02X at byte %zu", name, track, status, i);
            if (c + n - 1 > len) return TRACK_ERROR("event at byte %zu runs past the track", name, track, i);
            i = c + n - 1;
        }
        last_status = status;
    }
}

int midi_validate(const uint8_t *b, size_t len, const char *name) {
    if (len < 4 || memcmp(b, "MThd", 4) != 0)
        return pope_error("%s: not a MIDI file (no MThd header)", name);
    if (len < 14) return pope_error("%s: truncated MIDI header", name);
    uint32_t hlen = be32(b + 4);
    if (hlen != 6) return pope_error("%s: MIDI header length %u (6 expected)", name, hlen);
    int format = be16(b + 8), ntracks = be16(b + 10), division = be16(b + 12);
    if (format > 2) return pope_error("%s: unknown MIDI format %d", name, format);
    if (format == 2)
        return pope_error("%s: MIDI format 2 (independent sequences) is not supported", name);
    if (ntracks == 0) return pope_error("%s: MIDI file has no tracks", name);
    if (division & 0x8000)
        return pope_error("%s: SMPTE time division is not supported (only ticks per quarter note)", name);
    if (division == 0) return pope_error("%s: MIDI division is 0 ticks per quarter note", name);
    size_t off = 14;
    midi_counts count = {0, 0};
    for (int chunk = 1; chunk <= ntracks; chunk++) {   // libsmf reads the first ntracks chunks
        if (len - off <= 8)
            return pope_error("%s: truncated MIDI file (%d of %d tracks present)", name, chunk - 1, ntracks);
        for (int k = 0; k < 4; k++) {
            uint8_t ch = b[off + k];
            if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')))
                return pope_error("%s: chunk %d at byte %zu has no chunk id (corrupt file)", name, chunk, off);
        }
        uint32_t clen = be32(b + off + 4);
        if (clen > len - off - 8)
            return pope_error("%s: truncated MIDI file (chunk at byte %zu claims %u bytes, %zu left)",
                              name, off, clen, len - off - 8);
        if (memcmp(b + off, "MTrk", 4) == 0 && check_track(b + off + 8, clen, name, chunk, &count) != 0) return -1;
        off += 8 + (size_t)clen;
    }
    if ((long long)(count.tempo_events + ntracks) * count.events > MIDI_MAX_TEMPO_WORK)
        return pope_error("%s: %ld tempo and time-signature changes and %d tracks among %ld events: more than "
                          "libsmf reads in reasonable time (their sum times the events is at most 2^29)", name,
                          count.tempo_events, ntracks, count.events);
    return 0;
}

// smf_util.h — libsmf reports errors as GLib log messages in the domain "libsmf" (g_critical,
// g_warning), not as return codes; a truncated file even loads with only a warning. The
// first helpers capture the messages of the calling thread so that readers and writers can turn
// them into failures.
#ifndef POPE_MUSIC_SMF_UTIL_H
#define POPE_MUSIC_SMF_UTIL_H

// Starts capturing (installs the handler once per process, clears this thread's message).
void smf_log_begin(void);
// The first warning/critical message since smf_log_begin, or NULL when there was none.
const char *smf_log_failure(void);

// 0 when libsmf 1.3 can load these bytes without aborting (assert) or misreading; else -1 with
// "<name>: <why>" (midi_validate.c lists libsmf's rules).
#include <stddef.h>
#include <stdint.h>
int midi_validate(const uint8_t *buf, size_t len, const char *name);

// smf_delete without libsmf's quadratic cost: smf_track_delete removes events one by one
// from the front of a GPtrArray (memmove + renumbering each time), 0.06 s for a 66k-event
// file and 30 s for MAESTRO-ASAP's 519 files. Frees each event as smf_event_delete does
// (malloc'd event and midi_buffer), empties the arrays, then calls smf_delete.
#include <smf.h>
void smf_fast_delete(smf_t *smf);

#endif

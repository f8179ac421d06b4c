// smf_log.c — capture libsmf's GLib log messages per thread (see smf_util.h).
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "smf_util.h"

static _Thread_local char first_failure[512];
static _Thread_local int failed;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;

static void smf_log_handler(const gchar *domain, GLogLevelFlags level, const gchar *message,
                            gpointer user) {
    (void)domain;
    (void)user;
    // Debug and info messages are chatter; warnings and criticals mean the file or the call
    // was bad (libsmf goes on regardless).
    if (!(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))) return;
    if (failed) return;
    failed = 1;
    snprintf(first_failure, sizeof first_failure, "%s", message ? message : "libsmf error");
    // libsmf's messages often end with a newline or a period; keep them one clean line.
    size_t n = strlen(first_failure);
    while (n > 0 && (first_failure[n - 1] == '\n' || first_failure[n - 1] == '.')) first_failure[--n] = 0;
}

static void install_handler(void) {
    g_log_set_handler("libsmf", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
                      smf_log_handler, NULL);
}

void smf_log_begin(void) {
    pthread_once(&handler_once, install_handler);
    failed = 0;
    first_failure[0] = 0;
}

const char *smf_log_failure(void) { return failed ? first_failure : NULL; }

void smf_fast_delete(smf_t *smf) {
    if (!smf) return;
    for (int t = 1; t <= smf->number_of_tracks; t++) {
        smf_track_t *track = smf_get_track_by_number(smf, t);
        if (!track || !track->events_array) continue;
        for (guint i = 0; i < track->events_array->len; i++) {
            smf_event_t *ev = g_ptr_array_index(track->events_array, i);
            free(ev->midi_buffer);
            free(ev);
        }
        g_ptr_array_set_size(track->events_array, 0);
        track->number_of_events = 0;
    }
    smf_delete(smf);
}

// filelist.h — appending to a pope_music_filelist (shared by maestro.c and mididir.c).
#ifndef POPE_MUSIC_FILELIST_H
#define POPE_MUSIC_FILELIST_H
#include "pope_music.h"
int music_filelist_push(pope_music_filelist *l, const char *path, pope_split split);
#endif

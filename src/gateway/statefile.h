/* SPDX-License-Identifier: MIT */
/*
 * statefile.h - files the gateway keeps in its state directory across a
 * restart (the ticket keys, the session cache): written whole to a
 * temporary file of mode 0600 and renamed over the old one, so a reader
 * sees the old file or the new one, never half of one; read only when
 * nobody but the owner can read them.
 */
#ifndef GW_STATEFILE_H
#define GW_STATEFILE_H

#include <stdio.h>

#define GW_STATE_ERR_LEN	256

struct gw_statefile {
	FILE	*fp;
	char	*tmp;		/* the temporary file's path */
	const char *path;	/* linked in */
};

/* Starts writing path (its directory must exist): 0, or -1 with a
 * sentence in err. */
int gw_state_begin(struct gw_statefile *sf, const char *path, char *err);
/* Flushes, fsyncs and renames into place; on any failure the old file
 * stays. Always ends sf. 0, or -1 with a sentence in err. */
int gw_state_commit(struct gw_statefile *sf, char *err);
/* Ends sf and removes the temporary file. */
void gw_state_abort(struct gw_statefile *sf);

/*
 * Opens path to read. NULL with *missing set when there is no file;
 * NULL with a sentence in err when it is not a regular file or others
 * than its owner may read or write it (it holds secrets: such a file
 * is not trusted and is replaced at the next write).
 */
FILE *gw_state_open(const char *path, int *missing, char *err);

#endif

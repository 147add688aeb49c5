/* SPDX-License-Identifier: MIT */
/*
 * artifacts.h - what `tether provision` and `tether device rotate` write
 * for a batch of devices: per device DIR/<id>/tether_identity.h and
 * DIR/<id>/identity.bin, for the batch manifest.json, manifest.csv and
 * labels.txt. All of it is staged and made durable before the registry
 * commits, and moved into place after, so a batch is registered only if
 * its secrets were written down. A new DIR is staged beside it, as
 * .DIR.tether-partial, and appears whole with one rename; an existing DIR
 * is staged in DIR/.tether-partial and its entries are moved one by one.
 */
#ifndef CLI_ARTIFACTS_H
#define CLI_ARTIFACTS_H

#include <limits.h>
#include <stddef.h>

#include "registry/registry.h"

#define CLI_STAGING	".tether-partial"

struct cli_out {
	const char	*dir;		/* --out DIR */
	int		 per_device;	/* write DIR/<id>/ */
	int		 whole;		/* DIR is new: staged beside it */
	int		 dir_fd;	/* DIR, or its parent when whole */
	int		 staging_fd;
	char		 staging[PATH_MAX];
	char		 err[2 * PATH_MAX];
};

/* Makes the staging directory (mode 0700); refuses a DIR that holds a
 * batch, and an interrupted run's staging directory. Prints the error and
 * returns -1. */
int cli_out_prepare(struct cli_out *o, const char *dir, int per_device);

/* reg_batch.before_commit: writes every file into the staging directory
 * and flushes them to disk. On failure returns -1 with o->err set. */
int cli_out_write(void *arg, const struct reg_new_device *devs, size_t n);

/* After the commit: moves the files into DIR, manifest.json last. Prints
 * the error (the devices are registered: it says what to do by hand) and
 * returns -1. */
int cli_out_publish(struct cli_out *o, const struct reg_new_device *devs,
    size_t n);

/* Before or instead of the commit: removes what was staged. */
void cli_out_abort(struct cli_out *o);

/* Closes what prepare opened. */
void cli_out_close(struct cli_out *o);

#endif

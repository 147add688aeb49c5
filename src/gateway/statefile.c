/* SPDX-License-Identifier: MIT */
/*
 * statefile.c - the state directory's files, written atomically and read
 * only when private (statefile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/statefile.h"

static void __attribute__((format(printf, 2, 3)))
say(char *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, GW_STATE_ERR_LEN, fmt, ap);
	va_end(ap);
}

int
gw_state_begin(struct gw_statefile *sf, const char *path, char *err)
{
	size_t len = strlen(path) + sizeof(".XXXXXX");
	int fd;

	memset(sf, 0, sizeof(*sf));
	sf->path = path;
	if ((sf->tmp = malloc(len)) == NULL) {
		say(err, "out of memory writing %s", path);
		return -1;
	}
	snprintf(sf->tmp, len, "%s.XXXXXX", path);
	/* mkostemp makes the file with mode 0600, whatever the umask */
	if ((fd = mkostemp(sf->tmp, O_CLOEXEC)) < 0) {
		say(err, "cannot create a file beside %s: %s (is the state "
		    "directory writable by the gateway's user?)", path,
		    strerror(errno));
		free(sf->tmp);
		sf->tmp = NULL;
		return -1;
	}
	if ((sf->fp = fdopen(fd, "w")) == NULL) {
		say(err, "cannot write %s: %s", sf->tmp, strerror(errno));
		close(fd);
		gw_state_abort(sf);
		return -1;
	}
	return 0;
}

void
gw_state_abort(struct gw_statefile *sf)
{
	if (sf->fp != NULL)
		fclose(sf->fp);
	if (sf->tmp != NULL) {
		unlink(sf->tmp);
		free(sf->tmp);
	}
	sf->fp = NULL;
	sf->tmp = NULL;
}

int
gw_state_commit(struct gw_statefile *sf, char *err)
{
	char *copy;
	int fd, rc;

	if (fflush(sf->fp) != 0 || ferror(sf->fp) || fsync(fileno(sf->fp)) != 0) {
		say(err, "cannot write %s: %s (is the disk full?)", sf->path,
		    strerror(errno));
		gw_state_abort(sf);
		return -1;
	}
	rc = fclose(sf->fp);
	sf->fp = NULL;
	if (rc != 0 || rename(sf->tmp, sf->path) != 0) {
		say(err, "cannot put %s in place: %s", sf->path,
		    strerror(errno));
		gw_state_abort(sf);
		return -1;
	}
	free(sf->tmp);
	sf->tmp = NULL;
	/* The rename itself, durable. */
	if ((copy = strdup(sf->path)) != NULL) {
		if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) >= 0) {
			(void)fsync(fd);
			close(fd);
		}
		free(copy);
	}
	return 0;
}

FILE *
gw_state_open(const char *path, int *missing, char *err)
{
	struct stat st;
	FILE *fp;
	int fd;

	*missing = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT) {
			*missing = 1;
			return NULL;
		}
		say(err, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		say(err, "%s is not a regular file", path);
		close(fd);
		return NULL;
	}
	if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
		say(err, "%s has mode %03o or another owner; it holds secrets "
		    "and must be the gateway user's, mode 0600: not used",
		    path, (unsigned)(st.st_mode & 0777));
		close(fd);
		return NULL;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		say(err, "cannot read %s: %s", path, strerror(errno));
		close(fd);
	}
	return fp;
}

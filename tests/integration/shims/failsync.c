/* SPDX-License-Identifier: MIT */
/*
 * failsync.c - a test-only LD_PRELOAD shim: while the file named by
 * TETHER_FAILSYNC exists, fdatasync(2) and fsync(2) fail with EIO, as on
 * a disk that has started to fail. t_store uses it to check that the
 * gateway never acknowledges a message its log could not make durable.
 * While the file named by TETHER_SLOWSYNC exists, they succeed after
 * 0.6 s, as on an overloaded disk: the gateway should say so in its log.
 *
 * With TETHER_FAILWALOPEN set, opening a write-ahead log ("...-wal")
 * without O_CREAT fails with EACCES: SQLite creates the log with O_CREAT
 * and goes on; the gateway's own open of that log for its syncer (which
 * never creates it) fails, as when the log vanished or lost its
 * permissions between the two. t_store checks the gateway then refuses
 * to start and says why.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* RTLD_NEXT */
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* EIO while the fail flag file exists, late while the slow one does,
 * else the real call (looked up once). */
static int
sync_or_fail(int (**real)(int), const char *name, int fd)
{
	const char *flag = getenv("TETHER_FAILSYNC");
	const char *slow = getenv("TETHER_SLOWSYNC");

	if (flag != NULL && access(flag, F_OK) == 0) {
		errno = EIO;
		return -1;
	}
	if (slow != NULL && access(slow, F_OK) == 0)
		usleep(600 * 1000);
	if (*real == NULL)
		*real = (int (*)(int))dlsym(RTLD_NEXT, name);
	return (*real)(fd);
}

int
fdatasync(int fd)
{
	static int (*real)(int);

	return sync_or_fail(&real, "fdatasync", fd);
}

int
fsync(int fd)
{
	static int (*real)(int);

	return sync_or_fail(&real, "fsync", fd);
}

/* EACCES for an existing "-wal" opened without O_CREAT, else the real
 * call (with the mode, which only O_CREAT and O_TMPFILE pass). */
static int
open_or_fail(int (**real)(const char *, int, ...), const char *name,
    const char *path, int flags, va_list ap)
{
	size_t len = strlen(path);
	/* glibc's rule: O_TMPFILE includes O_DIRECTORY, which takes none */
	mode_t mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ?
	    va_arg(ap, mode_t) : 0;

	if (getenv("TETHER_FAILWALOPEN") != NULL && !(flags & O_CREAT) &&
	    len > 4 && strcmp(path + len - 4, "-wal") == 0) {
		errno = EACCES;
		return -1;
	}
	if (*real == NULL)
		*real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, name);
	return (*real)(path, flags, mode);
}

int
open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	va_list ap;
	int fd;

	va_start(ap, flags);
	fd = open_or_fail(&real, "open", path, flags, ap);
	va_end(ap);
	return fd;
}

/* The same call on a 64-bit system, where every file is large. */
int open64(const char *path, int flags, ...) __attribute__((alias("open")));

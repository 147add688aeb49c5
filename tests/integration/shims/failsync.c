/*
 * failsync.c - a test-only LD_PRELOAD shim: while the file named by
 * TETHER_FAILSYNC exists, fdatasync(2) and fsync(2) fail with EIO, as on
 * a disk that has started to fail. t_store uses it to check that the
 * gateway never acknowledges a message its log could not make durable.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* RTLD_NEXT */
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* EIO while the flag file exists, else the real call (looked up once). */
static int
sync_or_fail(int (**real)(int), const char *name, int fd)
{
	const char *flag = getenv("TETHER_FAILSYNC");

	if (flag != NULL && access(flag, F_OK) == 0) {
		errno = EIO;
		return -1;
	}
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

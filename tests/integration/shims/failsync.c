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

static int
failing(void)
{
	const char *flag = getenv("TETHER_FAILSYNC");

	return flag != NULL && access(flag, F_OK) == 0;
}

int
fdatasync(int fd)
{
	static int (*real)(int);

	if (failing()) {
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	return real(fd);
}

int
fsync(int fd)
{
	static int (*real)(int);

	if (failing()) {
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	return real(fd);
}

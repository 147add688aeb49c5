/* SPDX-License-Identifier: MIT */
/*
 * random.c - getrandom(2) in a loop: it may return fewer bytes than asked
 * for (above 256 bytes) or be interrupted by a signal before the pool is
 * ready, and neither is an error.
 */
#include <errno.h>
#include <sys/random.h>

#include "registry/random.h"

int
reg_random(void *buf, size_t n)
{
	unsigned char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

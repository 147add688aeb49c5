/* SPDX-License-Identifier: MIT */
/*
 * sqlite_shm.c - no SIGBUS from SQLite's WAL index on a full disk.
 *
 * The WAL index (the "-shm" file) is shared memory mapped from a file.
 * SQLite extends that file by writing one byte at the end of each 4 KiB
 * page; on a file system with smaller blocks (ext4 with 1 KiB blocks,
 * Debian's default below 512 MiB) the rest of each page stays a hole, and
 * the first store into a hole on a full disk is a SIGBUS, not an error:
 * the gateway died at its first message (#12, item 6). So every shared,
 * writable mapping SQLite's unix VFS makes gets its blocks first
 * (fallocate, keeping the size): when the disk has none the mapping fails,
 * SQLite returns an error, the commit fails and the device gets 503.
 *
 * The hook is the unix VFS's own: xSetSystemCall replaces its "mmap". The
 * database file itself is never mapped writable (mmap_size is 0, and its
 * writes are write(2), which fail with ENOSPC as they should).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "registry/sqlite_int.h"

typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);

static mmap_fn real_mmap;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void *
allocated_mmap(void *addr, size_t len, int prot, int flags, int fd,
    off_t off)
{
	if ((prot & PROT_WRITE) && (flags & MAP_SHARED) && fd >= 0) {
		int r;

		while ((r = fallocate(fd, FALLOC_FL_KEEP_SIZE, off,
		    (off_t)len)) < 0 && errno == EINTR)
			;
		/* A file system without fallocate: mapped as SQLite would. */
		if (r < 0 && errno != EOPNOTSUPP && errno != ENOSYS)
			return MAP_FAILED;	/* errno says why: ENOSPC, ... */
	}
	return real_mmap(addr, len, prot, flags, fd, off);
}

static void
install(void)
{
	sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);

	/* Not the unix VFS (no "mmap" to replace): nothing to guard. */
	if (vfs == NULL || vfs->iVersion < 3 || vfs->xGetSystemCall == NULL)
		return;
	real_mmap = (mmap_fn)vfs->xGetSystemCall(vfs, "mmap");
	if (real_mmap == NULL)
		return;
	if (vfs->xSetSystemCall(vfs, "mmap",
	    (sqlite3_syscall_ptr)allocated_mmap) != SQLITE_OK)
		real_mmap = NULL;
}

void
reg_sq_shm_guard(void)
{
	(void)pthread_once(&once, install);
}

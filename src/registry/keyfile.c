/* SPDX-License-Identifier: MIT */
/*
 * keyfile.c - loading and making the registry key file. A new key is
 * written to a temporary file and link(2)ed into place, so a reader never
 * sees a half-written key and two processes racing to make it agree on
 * one: the loser's link fails with EEXIST and it reads the winner's.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "registry/keyfile.h"
#include "registry/random.h"

/* Reads exactly n bytes; returns the count read (short at end of file)
 * or -1. */
static ssize_t
read_full(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, buf + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int
write_full(int fd, const uint8_t *buf, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = write(fd, buf, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Makes the directory entry of a new file durable. */
static int
fsync_parent(const char *path)
{
	char *copy, *dir;
	int fd, rc;

	if ((copy = strdup(path)) == NULL)
		return -1;
	dir = dirname(copy);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Makes path with a new key. Returns 0 when this process made it, 1 when
 * another process made it first, -1 on error (err set). */
static int
key_create(const char *path, char err[REG_ERR_LEN])
{
	uint8_t key[REG_KEY_LEN];
	size_t len = strlen(path) + sizeof(".XXXXXX");
	char *tmp;
	int fd, rc = -1;

	if ((tmp = malloc(len)) == NULL) {
		snprintf(err, REG_ERR_LEN, "out of memory");
		return -1;
	}
	snprintf(tmp, len, "%s.XXXXXX", path);
	/* mkstemp creates the file with mode 0600 */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		snprintf(err, REG_ERR_LEN,
		    "cannot create the registry key file %s: %m", path);
		free(tmp);
		return -1;
	}
	if (reg_random(key, sizeof(key)) != 0) {
		snprintf(err, REG_ERR_LEN,
		    "cannot get random bytes for a registry key: %m");
		goto out;
	}
	if (write_full(fd, key, sizeof(key)) != 0 || fsync(fd) != 0) {
		snprintf(err, REG_ERR_LEN,
		    "cannot write the registry key file %s: %m", path);
		goto out;
	}
	if (link(tmp, path) != 0) {
		if (errno == EEXIST)
			rc = 1;
		else
			snprintf(err, REG_ERR_LEN,
			    "cannot create the registry key file %s: %m", path);
		goto out;
	}
	if (fsync_parent(path) != 0) {
		snprintf(err, REG_ERR_LEN, "cannot make the registry key "
		    "file %s durable (fsync of its directory): %m", path);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	close(fd);
	unlink(tmp);
	free(tmp);
	return rc;
}

enum reg_key_result
reg_key_load(const char *path, int may_create, uint8_t key[REG_KEY_LEN],
    char err[REG_ERR_LEN])
{
	enum reg_key_result made = REG_KEY_LOADED;
	struct stat sb;
	uint8_t extra;
	ssize_t n;
	int fd;

	while ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno != ENOENT) {
			snprintf(err, REG_ERR_LEN,
			    "cannot open the registry key file %s: %m", path);
			return REG_KEY_ERROR;
		}
		if (!may_create)
			return REG_KEY_MISSING;
		switch (key_create(path, err)) {
		case 0:
			made = REG_KEY_CREATED;
			break;
		case 1:
			break;
		default:
			return REG_KEY_ERROR;
		}
	}
	if (fstat(fd, &sb) != 0) {
		snprintf(err, REG_ERR_LEN,
		    "cannot read the registry key file %s: %m", path);
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, REG_ERR_LEN,
		    "the registry key file %s is not a regular file", path);
		goto fail;
	}
	/* Like ssh with its private keys: a key others can read is a leak
	 * waiting to happen, so say so rather than use it. */
	if (sb.st_mode & 077) {
		snprintf(err, REG_ERR_LEN, "the registry key file %s can be "
		    "read or written by other users (mode %04o); make it "
		    "private: chmod 600 %s", path,
		    (unsigned)(sb.st_mode & 07777), path);
		goto fail;
	}
	if ((n = read_full(fd, key, REG_KEY_LEN)) < 0) {
		snprintf(err, REG_ERR_LEN,
		    "cannot read the registry key file %s: %m", path);
		goto fail;
	}
	if (n != REG_KEY_LEN || read_full(fd, &extra, 1) != 0) {
		snprintf(err, REG_ERR_LEN, "the registry key file %s has "
		    "%lld bytes, but a registry key is exactly %d bytes: it "
		    "is damaged or not a registry key", path,
		    (long long)sb.st_size, REG_KEY_LEN);
		goto fail;
	}
	close(fd);
	return made;
fail:
	OPENSSL_cleanse(key, REG_KEY_LEN);
	close(fd);
	return REG_KEY_ERROR;
}

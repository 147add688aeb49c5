/* SPDX-License-Identifier: MIT */
/*
 * send_io.c - the files `tether send` reads and writes besides the
 * network: the credential file, the body on stdin, and the session blob
 * a device would keep in RTC memory, wiped from memory once used.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/send.h"

/* The first line of path, without its line end, into cred. */
int
send_read_credential(const char *path, char cred[TETHER_CREDENTIAL_MAX])
{
	char raw[SEND_CRED_FILE_MAX];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return cli_error("--credential-file %s: %s", path,
		    strerror(errno));
	n = fread(raw, 1, sizeof(raw) - 1, f);
	if (ferror(f)) {
		fclose(f);
		explicit_bzero(raw, sizeof(raw));
		return cli_error("--credential-file %s: %s", path,
		    strerror(errno));
	}
	fclose(f);
	raw[n] = '\0';
	n = strcspn(raw, "\r\n");
	while (n > 0 && (raw[n - 1] == ' ' || raw[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= TETHER_CREDENTIAL_MAX) {
		explicit_bzero(raw, sizeof(raw));
		return cli_error("--credential-file %s: the first line is %s",
		    path, n == 0 ? "empty" : "too long to be a credential");
	}
	memcpy(cred, raw, n);
	cred[n] = '\0';
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

/* BODY, or stdin for "-" (then *owned is the buffer to free). */
int
send_read_body(const char *arg, const char **body, size_t *len,
    char **owned)
{
	size_t cap = SEND_BODY_CHUNK, n = 0, r;
	char *b, *nb;

	if (strcmp(arg, "-") != 0) {
		*body = arg;
		*len = strlen(arg);
		return 0;
	}
	if ((b = malloc(cap)) == NULL)
		return cli_error("out of memory reading the body");
	for (;;) {
		if (n == cap) {
			if (cap >= SEND_BODY_MAX) {
				free(b);
				return cli_error("the body on stdin is longer "
				    "than %d bytes", SEND_BODY_MAX);
			}
			cap *= 2;
			if ((nb = realloc(b, cap)) == NULL) {
				free(b);
				return cli_error("out of memory reading the "
				    "body");
			}
			b = nb;
		}
		r = fread(b + n, 1, cap - n, stdin);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(stdin)) {
		free(b);
		return cli_error("reading the body from stdin: %s",
		    strerror(errno));
	}
	*body = b;
	*owned = b;
	*len = n;
	return 0;
}

/* see send.h */
int
send_read_identity(struct send_state *s, const char *path,
    const uint8_t *mac)
{
	uint8_t raw[SEND_IDENTITY_MAX];
	size_t n;
	FILE *f;
	int r;

	if ((f = fopen(path, "rb")) == NULL)
		return cli_error("--identity %s: %s", path, strerror(errno));
	n = fread(raw, 1, sizeof(raw), f);
	r = ferror(f);
	fclose(f);
	if (r) {
		explicit_bzero(raw, sizeof(raw));
		return cli_error("--identity %s: %s", path, strerror(errno));
	}
	/* the library's own reader, as a device reads its flash */
	r = tether_identity_load(&s->id, raw, n);
	explicit_bzero(raw, sizeof(raw));
	if (r != 0)
		return cli_error("--identity %s: %s", path, tether_strerror(r));
	r = tether_identity_credential(&s->id, mac, s->cred);
	if (r < 0) {
		explicit_bzero(&s->id, sizeof(s->id));
		return cli_error("--identity %s: %s", path,
		    tether_strerror(-r));
	}
	explicit_bzero(s->id.secret, sizeof(s->id.secret));
	return 0;
}

/*
 * Restores the session kept in path, if the file exists. A damaged or
 * foreign blob costs one full handshake and is said as a warning; only an
 * unreadable file is an error.
 */
int
send_restore_session(struct send_state *s, const char *path)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;
		return cli_error("--save-session %s: %s", path,
		    strerror(errno));
	}
	n = read(fd, s->blob, sizeof(s->blob));
	if (n < 0) {
		int e = errno;

		close(fd);
		return cli_error("--save-session %s: %s", path, strerror(e));
	}
	close(fd);
	/* 112 bytes: the layout before commands, which the library still
	 * reads (the rest of the buffer is not looked at then) */
	if ((size_t)n != sizeof(s->blob) && n != SEND_SESSION_V1_SIZE)
		cli_warning("--save-session %s: not a session file (%zd bytes, "
		    "want %d); a full handshake follows", path, n,
		    TETHER_SESSION_SIZE);
	else if (tether_session_restore(&s->client, s->blob) != 0)
		cli_warning("--save-session %s: %s", path,
		    tether_strerror(tether_last_error(&s->client)));
	explicit_bzero(s->blob, sizeof(s->blob));
	return 0;
}

/* Writes the session blob to path: a new file, then renamed over. */
int
send_save_session(struct send_state *s, const char *path)
{
	char tmp[PATH_MAX];
	size_t off = 0;
	ssize_t n;
	int fd, e;

	/* nothing to keep: the last handshake failed and its session was
	 * forgotten; the file keeps what it had (a stale blob costs one full
	 * handshake, nothing more) */
	if (tether_session_save(&s->client, s->blob) != 0)
		return 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		explicit_bzero(s->blob, sizeof(s->blob));
		return cli_error("--save-session %s: the path is too long",
		    path);
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    SEND_SESSION_MODE);
	if (fd < 0) {
		e = errno;
		goto failed;
	}
	while (off < sizeof(s->blob)) {
		n = write(fd, s->blob + off, sizeof(s->blob) - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = errno;
			close(fd);
			unlink(tmp);
			goto failed;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		e = errno;
		unlink(tmp);
		goto failed;
	}
	if (rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		goto failed;
	}
	explicit_bzero(s->blob, sizeof(s->blob));
	return 0;
failed:
	explicit_bzero(s->blob, sizeof(s->blob));
	return cli_error("--save-session %s: %s", path, strerror(e));
}

/* SPDX-License-Identifier: MIT */
/*
 * posix.c - the transport for POSIX systems: getaddrinfo, a non-blocking
 * connect bounded in time, then reads and writes each bounded in time.
 * Failures come back as the transport codes of tether.h (DNS, refused,
 * time-out, unreachable, reset), so the device can say which.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "inner.h"

#define PORT_TEXT	6	/* "65535" and a NUL */

static int
errno_code(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return -TETHER_E_REFUSED;
	case ETIMEDOUT:
		return -TETHER_E_CONNECT_TIMEOUT;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
	case EADDRNOTAVAIL:
		return -TETHER_E_UNREACHABLE;
	case ECONNRESET:
	case EPIPE:
		return -TETHER_E_RESET;
	}
	return -TETHER_E_TRANSPORT;
}

/* Waits for fd to be ready for events; 1 ready, 0 timed out, -1 error. */
static int
wait_fd(int fd, short events, int ms)
{
	struct pollfd p;
	int r;

	p.fd = fd;
	p.events = events;
	do {
		r = poll(&p, 1, ms < 0 ? -1 : ms);
	} while (r < 0 && errno == EINTR);
	return r;
}

static int
try_connect(struct tether_posix *s, const struct addrinfo *ai)
{
	socklen_t elen = sizeof(int);
	int fd, e = 0, r, one = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd < 0) {
		s->sys = errno;
		return errno_code(errno);
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	/* requests are small: send them at once */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			e = errno;
			goto failed;
		}
		r = wait_fd(fd, POLLOUT, s->connect_ms);
		if (r == 0) {
			close(fd);
			s->sys = ETIMEDOUT;
			return -TETHER_E_CONNECT_TIMEOUT;
		}
		if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e,
		    &elen) < 0)
			e = errno;
		if (e != 0)
			goto failed;
	}
	s->fd = fd;
	return 0;
failed:
	close(fd);
	s->sys = e;
	return errno_code(e);
}

static int
posix_open(void *ctx, const char *host, uint16_t port)
{
	struct tether_posix *s = ctx;
	struct addrinfo hints, *res, *ai;
	char service[PORT_TEXT];
	int r, rc = -TETHER_E_CONNECT, sys = 0;	/* below every code */

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	r = getaddrinfo(host, service, &hints, &res);
	if (r != 0) {
		s->sys = r;
		return r == EAI_SYSTEM ? errno_code(errno) : -TETHER_E_DNS;
	}
	/*
	 * Every address in turn. The failure reported is the most telling,
	 * not the last: a refusal on 127.0.0.1 must not become "I/O failed"
	 * because ::1 then had no socket (the codes run from refused, 101,
	 * to the catch-all TETHER_E_TRANSPORT, 107).
	 */
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((r = try_connect(s, ai)) == 0) {
			rc = 0;
			break;
		}
		if (r > rc) {
			rc = r;
			sys = s->sys;
		}
	}
	if (rc != 0)
		s->sys = sys;
	freeaddrinfo(res);
	return rc;
}

static int
posix_read(void *ctx, unsigned char *buf, size_t len)
{
	struct tether_posix *s = ctx;
	ssize_t n;
	int r;

	for (;;) {
		n = recv(s->fd, buf, len, 0);
		if (n >= 0)
			return (int)n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			s->sys = errno;
			return errno_code(errno);
		}
		r = wait_fd(s->fd, POLLIN, s->io_ms);
		if (r == 0) {
			s->sys = ETIMEDOUT;
			return -TETHER_E_IO_TIMEOUT;
		}
		if (r < 0) {
			s->sys = errno;
			return -TETHER_E_TRANSPORT;
		}
	}
}

static int
posix_write(void *ctx, const unsigned char *buf, size_t len)
{
	struct tether_posix *s = ctx;
	ssize_t n;
	int r;

	for (;;) {
		n = send(s->fd, buf, len, MSG_NOSIGNAL);
		if (n > 0)
			return (int)n;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			s->sys = errno;
			return errno_code(errno);
		}
		r = wait_fd(s->fd, POLLOUT, s->io_ms);
		if (r == 0) {
			s->sys = ETIMEDOUT;
			return -TETHER_E_IO_TIMEOUT;
		}
		if (r < 0) {
			s->sys = errno;
			return -TETHER_E_TRANSPORT;
		}
	}
}

static void
posix_close(void *ctx)
{
	struct tether_posix *s = ctx;

	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* see tether.h */
void
tether_posix_init(struct tether_posix *sock, struct tether_transport *io,
    int connect_ms, int io_ms)
{
	sock->fd = -1;
	sock->connect_ms = connect_ms;
	sock->io_ms = io_ms;
	sock->sys = 0;
	io->open = posix_open;
	io->read = posix_read;
	io->write = posix_write;
	io->close = posix_close;
	io->ctx = sock;
}

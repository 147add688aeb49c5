/* SPDX-License-Identifier: MIT */
/*
 * worker.c - one event loop on one thread (the shape of Redis's ae.c):
 * epoll, its own listening sockets (SO_REUSEPORT, so the kernel spreads
 * connections over the loops), connections in an array by fd, one sweep a
 * tick for deadlines, and an eventfd through which the intake, the
 * registry watcher and the main thread reach it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway/worker.h"

/* epoll data: connections are their fd; these tags mark the rest. */
#define TAG_EVENT	(1ull << 32)
#define TAG_LISTEN	(2ull << 32)

/* see worker.h */
void
gw_format_peer(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(out, len, "%s:%u", ip, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(out, len, "[%s]:%u", ip, ntohs(s->sin6_port));
	} else {
		snprintf(out, len, "unknown");
	}
}

static void
accept_some(struct gw_worker *w, size_t li)
{
	int lfd = w->lfd[li], app = li >= w->nlisten - w->napp;
	int proxied = !app && li >= w->nlisten - w->napp - w->nproxy;
	const struct gw_config *cf = w->sh->config;
	static _Atomic int64_t last_limit_log;

	for (int i = 0; i < GW_ACCEPTS; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char peer[GW_PEER_MAX];
		struct gw_conn *c;
		int fd, one = 1;

		fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				gw_log(GW_LOG_WARN, "accept_failed", "reason",
				    "out of file descriptors (raise ulimit -n "
				    "or lower --max-connections)", NULL);
			} else if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED) {
				gw_log(GW_LOG_WARN, "accept_failed", "reason",
				    strerror(errno), NULL);
			}
			return;
		}
		gw_format_peer(&ss, peer, sizeof(peer));
		if (fd >= w->maxfd ||
		    atomic_fetch_add(&w->sh->nconn, 1) >= cf->max_conn) {
			gw_count_refused(&w->ctr, GW_REFUSED_MAX_CONNECTIONS);
			if (fd < w->maxfd)
				atomic_fetch_sub(&w->sh->nconn, 1);
			/* Log at most once a second: a flood must not flood. */
			if (w->now - atomic_load(&last_limit_log) >= 1000) {
				atomic_store(&last_limit_log, w->now);
				gw_log(GW_LOG_WARN, "connection_refused",
				    "peer", peer, "reason",
				    "connection limit reached "
				    "(--max-connections)", NULL);
			}
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if ((c = conn_new(w, fd, peer)) == NULL) {
			if (errno != EAGAIN)	/* EAGAIN: conn_new said why */
				gw_log(GW_LOG_ERROR, "accept_failed", "peer",
				    peer, "reason", "out of memory", NULL);
			atomic_fetch_sub(&w->sh->nconn, 1);
			close(fd);
			continue;
		}
		if (app)
			c->proto = &gw_proto_app;
		c->proxied = (unsigned)proxied;
		gw_count(&w->ctr, GW_C_ACCEPTED);
		w->conns[fd] = c;
		w->nconn++;
		if (fd >= w->hifd)
			w->hifd = fd + 1;
		/* Edge-triggered, both directions, registered once: no
		 * epoll_ctl per request (see conn_run). */
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT |
		    EPOLLRDHUP | EPOLLET, .data.u64 = (uint64_t)fd };
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			conn_close(w, c, "epoll_ctl failed");
			continue;
		}
		conn_set_timer(w, c, TIMER_HANDSHAKE);
	}
}

static void
close_listeners(struct gw_worker *w)
{
	for (size_t i = 0; i < w->nlisten; i++) {
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->lfd[i], NULL);
		close(w->lfd[i]);
	}
	w->nlisten = w->nproxy = w->napp = 0;
}

static void
start_drain(struct gw_worker *w)
{
	w->draining = 1;
	w->drain_deadline = w->now + w->sh->config->drain_ms;
	close_listeners(w);
	/* Connections with nothing in flight close now; the others when
	 * their request is answered (conn_run checks draining). */
	for (int fd = 0; fd < w->hifd; fd++) {
		struct gw_conn *c = w->conns[fd];

		if (c == NULL)
			continue;
		if (c->state == CONN_HANDSHAKE ||
		    (c->in_len == 0 && c->wait == WAIT_NONE && c->out_len == 0)) {
			c->end = "shutdown";
			conn_close(w, c, "gateway stopping");
		}
	}
}

/* Takes what other threads left for this loop. */
static void
take_messages(struct gw_worker *w)
{
	struct gw_intake_item *done, *next;
	struct gw_lookup *looked, *lnext;
	struct gw_read *reads, *rnext;
	char (*changed)[REG_ID_MAX];
	size_t nchanged;
	uint64_t n;
	int stop;

	if (read(w->evfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&w->lock);
	done = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	looked = w->looked;
	w->looked = NULL;
	w->looked_tail = &w->looked;
	reads = w->reads;
	w->reads = NULL;
	w->reads_tail = &w->reads;
	changed = w->changed;
	nchanged = w->nchanged;
	w->changed = NULL;
	w->nchanged = w->changed_cap = 0;
	stop = w->stop;
	pthread_mutex_unlock(&w->lock);

	for (; done != NULL; done = next) {
		struct gw_conn *c = done->fd < w->maxfd ? w->conns[done->fd] : NULL;

		next = done->next;
		if (c != NULL && c->gen == done->gen && c->wait == WAIT_STORE) {
			c->wait = WAIT_NONE;
			done->answer(w, c, done);
			conn_run(w, c);
		}
		free(done);
	}
	for (; looked != NULL; looked = lnext) {
		lnext = looked->next;
		gw_auth_resolved(w, looked);
	}
	for (; reads != NULL; reads = rnext) {
		rnext = reads->next;
		gw_app_read_done(w, reads);
	}
	for (size_t i = 0; i < nchanged; i++) {
		for (int fd = 0; fd < w->hifd; fd++) {
			struct gw_conn *c = w->conns[fd];

			if (c != NULL && c->ident.authed &&
			    strcmp(c->ident.device, changed[i]) == 0) {
				gw_log(GW_LOG_INFO, "device_disconnected",
				    "peer", c->peer, "device", c->ident.device,
				    "reason", "revoked or credential changed "
				    "in the registry", NULL);
				c->end = "revoked";
				conn_close(w, c, NULL);
			}
		}
	}
	free(changed);
	if (stop && !w->draining)
		start_drain(w);
}

/* Hands this iteration's messages to the intake in one go. */
static void
submit_pending(struct gw_worker *w)
{
	struct gw_intake_item *last;

	if (w->pending == NULL)
		return;
	last = (struct gw_intake_item *)((char *)w->pending_tail -
	    offsetof(struct gw_intake_item, next));
	gw_intake_submit(w->sh->intake, w->pending, last, w->npending);
	w->pending = NULL;
	w->pending_tail = &w->pending;
	w->npending = 0;
}

static void
sweep(struct gw_worker *w)
{
	int hi = 0;

	for (int fd = 0; fd < w->hifd; fd++) {
		struct gw_conn *c = w->conns[fd];

		if (c == NULL)
			continue;
		if (c->deadline <= w->now || (w->draining &&
		    w->now >= w->drain_deadline))
			conn_timeout(w, c);	/* closes it, or answers 503 */
		if (w->conns[fd] != NULL)
			hi = fd + 1;
	}
	w->hifd = hi;
}

static void *
worker_main(void *arg)
{
	struct gw_worker *w = arg;
	struct epoll_event evs[GW_EVENTS];
	int64_t next_tick = 0;
	char name[16];

	snprintf(name, sizeof(name), "tether-w%d", w->index);
	pthread_setname_np(pthread_self(), name);	/* for top -H, perf */

	for (;;) {
		int n = epoll_wait(w->epfd, evs, GW_EVENTS, GW_TICK_MS);

		w->now = reg_mono_us() / 1000;
		for (int i = 0; i < n; i++) {
			uint64_t d = evs[i].data.u64;

			if (d == TAG_EVENT) {
				take_messages(w);
			} else if ((d & TAG_LISTEN) == TAG_LISTEN) {
				if (!w->draining)
					accept_some(w, (size_t)(uint32_t)d);
			} else {
				struct gw_conn *c = w->conns[(int)d];

				if (c == NULL)
					continue;
				/* Edge-triggered EPOLLOUT also fires when nothing
				 * waits to be written: skip it, it would cost a
				 * read(2) for nothing. */
				if ((evs[i].events & (EPOLLIN | EPOLLOUT | EPOLLHUP |
				    EPOLLERR | EPOLLRDHUP)) == EPOLLOUT &&
				    c->state == CONN_OPEN && c->out_off == c->out_len)
					continue;
				/* A hang-up is reported whatever the interest;
				 * a connection waiting for the store would spin.
				 * Its message is still stored; nobody is left to
				 * answer. */
				if (c->wait != WAIT_NONE &&
				    (evs[i].events & (EPOLLHUP | EPOLLERR |
				    (c->wait == WAIT_READER &&
				    !c->answer_half_closed ? EPOLLRDHUP : 0))))
					conn_close(w, c, c->wait == WAIT_STORE ?
					    "peer hung up while its message was "
					    "being stored" : c->wait == WAIT_READER ?
					    "peer hung up while its read waited" :
					    "peer hung up while its credential "
					    "was looked up");
				else
					conn_run(w, c);
			}
		}
		if (w->now >= next_tick) {
			sweep(w);
			gw_log_flush_suppressed();
			next_tick = w->now + GW_TICK_MS;
		}
		submit_pending(w);	/* after sweep: it may route requests */
		if (w->draining && w->nconn == 0)
			break;
	}
	return NULL;
}

struct gw_worker *
gw_worker_new(struct gw_shared *sh, int index, const int *fds, size_t nd,
    size_t np, size_t na, char *err)
{
	struct gw_worker *w;
	struct rlimit rl;
	char rerr[REG_ERR_LEN];

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, GW_ERR_LEN, "worker: out of memory");
		return NULL;
	}
	w->sh = sh;
	w->index = index;
	w->epfd = w->evfd = -1;
	pthread_mutex_init(&w->lock, NULL);
	w->done_tail = &w->done;
	w->looked_tail = &w->looked;
	w->reads_tail = &w->reads;
	w->pending_tail = &w->pending;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		rl.rlim_cur = 65536;
	w->maxfd = (int)rl.rlim_cur;
	if ((w->conns = calloc((size_t)w->maxfd, sizeof(*w->conns))) == NULL) {
		snprintf(err, GW_ERR_LEN, "worker: out of memory");
		goto fail;
	}
	if (reg_open(&w->store, sh->config->db, sh->config->key_file,
	    rerr) < 0) {
		snprintf(err, GW_ERR_LEN, "%s", rerr);
		goto fail;
	}
	if ((w->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		snprintf(err, GW_ERR_LEN, "worker: %s", strerror(errno));
		goto fail;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_EVENT };
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev) < 0) {
		snprintf(err, GW_ERR_LEN, "worker: %s", strerror(errno));
		goto fail;
	}
	w->nproxy = np;
	w->napp = na;
	for (size_t i = 0; i < nd + np + na; i++) {
		int fd = fds[i];

		ev.events = EPOLLIN;
		ev.data.u64 = TAG_LISTEN | (uint32_t)w->nlisten;
		w->lfd[w->nlisten++] = fd;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			snprintf(err, GW_ERR_LEN, "worker: %s", strerror(errno));
			goto fail;
		}
	}
	return w;
fail:
	gw_worker_free(w);
	return NULL;
}

int
gw_worker_start(struct gw_worker *w)
{
	return pthread_create(&w->thread, NULL, worker_main, w) == 0 ? 0 : -1;
}

void
gw_worker_join(struct gw_worker *w)
{
	pthread_join(w->thread, NULL);
}

static void
free_items(struct gw_intake_item *it)
{
	struct gw_intake_item *next;

	for (; it != NULL; it = next) {
		next = it->next;
		free(it);
	}
}

void
gw_worker_free(struct gw_worker *w)
{
	if (w == NULL)
		return;
	for (int fd = 0; w->conns != NULL && fd < w->maxfd; fd++)
		if (w->conns[fd] != NULL) {
			w->conns[fd]->end = "shutdown";
			conn_close(w, w->conns[fd], NULL);
		}
	close_listeners(w);
	free_items(w->done);	/* answers nobody is left to send */
	free_items(w->pending);	/* never handed to the intake */
	while (w->looked != NULL) {	/* their connections are closed */
		struct gw_lookup *l = w->looked;

		w->looked = l->next;
		gw_auth_resolved(w, l);
	}
	while (w->reads != NULL) {	/* their connections are closed */
		struct gw_read *r = w->reads;

		w->reads = r->next;
		gw_read_free(r);
	}
	free(w->changed);
	free(w->conns);
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->evfd >= 0)
		close(w->evfd);
	reg_close(w->store);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static void
wake(struct gw_worker *w)
{
	uint64_t one = 1;

	if (write(w->evfd, &one, sizeof(one)) < 0)
		return;		/* EAGAIN: the counter is already set */
}

void
gw_worker_done(struct gw_worker *w, struct gw_intake_item *first,
    struct gw_intake_item *last)
{
	last->next = NULL;
	pthread_mutex_lock(&w->lock);
	*w->done_tail = first;
	w->done_tail = &last->next;
	pthread_mutex_unlock(&w->lock);
	wake(w);
}

void
gw_worker_looked_up(struct gw_worker *w, struct gw_lookup *l)
{
	l->next = NULL;
	pthread_mutex_lock(&w->lock);
	*w->looked_tail = l;
	w->looked_tail = &l->next;
	pthread_mutex_unlock(&w->lock);
	wake(w);
}

void
gw_worker_read_done(struct gw_worker *w, struct gw_read *r)
{
	r->next = NULL;
	pthread_mutex_lock(&w->lock);
	*w->reads_tail = r;
	w->reads_tail = &r->next;
	pthread_mutex_unlock(&w->lock);
	wake(w);
}

void
gw_worker_device_changed(struct gw_worker *w, const char *id)
{
	pthread_mutex_lock(&w->lock);
	if (w->nchanged == w->changed_cap) {
		size_t cap = w->changed_cap ? w->changed_cap * 2 : 8;
		void *p = realloc(w->changed, cap * sizeof(*w->changed));

		if (p == NULL) {
			pthread_mutex_unlock(&w->lock);
			return;
		}
		w->changed = p;
		w->changed_cap = cap;
	}
	snprintf(w->changed[w->nchanged++], REG_ID_MAX, "%s", id);
	pthread_mutex_unlock(&w->lock);
	wake(w);
}

void
gw_worker_stop(struct gw_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_mutex_unlock(&w->lock);
	wake(w);
}

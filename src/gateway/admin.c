/* SPDX-License-Identifier: MIT */
/*
 * admin.c - the admin listener (--admin-listen, default 127.0.0.1:9464):
 * GET /metrics in the Prometheus text format, GET /v1/health with the
 * version. Plain HTTP, as Prometheus scrapes by default, on its own
 * thread, one connection at a time with a short deadline: a scrape a few
 * times a minute needs no event loop, and a slow client holds only it.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/text.h"
#include "gateway/metrics.h"
#include "gateway/resume.h"
#include "gateway/sesscache.h"
#include "gateway/tls.h"
#include "gateway/worker.h"

#define ADMIN_DEADLINE_MS	2000	/* a request read and answered */

struct gw_admin {
	pthread_t	 thread;
	int		 fd;		/* listening */
	int		 evfd;		/* wakes it to stop */
	struct gw_shared *sh;
	struct gw_worker **workers;
	int		 nworkers;
};

struct gw_histogram gw_hist_commit, gw_hist_flush, gw_hist_lookup,
    gw_hist_app_lookup;

/* Upper bounds, µs; the last bucket is +Inf. */
static const int64_t bounds_us[GW_HIST_BUCKETS - 1] = { 500, 1000, 2500,
    5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
    5000000 };

void
gw_histogram_observe(struct gw_histogram *h, int64_t us)
{
	size_t i = 0;

	while (i < GW_HIST_BUCKETS - 1 && us > bounds_us[i])
		i++;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, (uint64_t)(us < 0 ? 0 : us),
	    memory_order_relaxed);
}

static void
head(struct text *t, const char *name, const char *type, const char *help)
{
	text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static uint64_t
sum(const struct gw_admin *a, enum gw_counter k)
{
	uint64_t n = 0;

	for (int i = 0; i < a->nworkers; i++)
		n += atomic_load_explicit(&a->workers[i]->ctr.v[k],
		    memory_order_relaxed);
	return n;
}

static void
counter(struct text *t, const struct gw_admin *a, const char *name,
    const char *help, enum gw_counter k)
{
	head(t, name, "counter", help);
	text_printf(t, "%s %llu\n", name, (unsigned long long)sum(a, k));
}

/* One counter with a label, its values from several counters. */
static void
labelled(struct text *t, const struct gw_admin *a, const char *name,
    const char *help, const char *label, const char *const *values,
    const enum gw_counter *ks, size_t n)
{
	head(t, name, "counter", help);
	for (size_t i = 0; i < n; i++)
		text_printf(t, "%s{%s=\"%s\"} %llu\n", name, label, values[i],
		    (unsigned long long)sum(a, ks[i]));
}

/* One counter with a label, its values from a run of counters from
 * first (metrics.h), every value shown from 0 so that rate() sees it. */
static void
labelled_run(struct text *t, const struct gw_admin *a, const char *name,
    const char *help, const char *label, const char *const *values,
    enum gw_counter first, size_t n)
{
	head(t, name, "counter", help);
	for (size_t i = 0; i < n; i++)
		text_printf(t, "%s{%s=\"%s\"} %llu\n", name, label, values[i],
		    (unsigned long long)sum(a, (enum gw_counter)(first + i)));
}

static void
histogram(struct text *t, const char *name, const char *help,
    struct gw_histogram *h)
{
	uint64_t cum = 0;

	head(t, name, "histogram", help);
	for (size_t i = 0; i < GW_HIST_BUCKETS; i++) {
		cum += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
		if (i < GW_HIST_BUCKETS - 1)
			text_printf(t, "%s_bucket{le=\"%g\"} %llu\n", name,
			    (double)bounds_us[i] / 1e6, (unsigned long long)cum);
		else
			text_printf(t, "%s_bucket{le=\"+Inf\"} %llu\n", name,
			    (unsigned long long)cum);
	}
	text_printf(t, "%s_sum %.6f\n%s_count %llu\n", name,
	    (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6,
	    name, (unsigned long long)cum);
}

/* The forwarders' (forward.c), labelled by URL: a '"' or '\\' in one
 * (which no label may hold unescaped) is written as '_'. */
static void
forward_metrics(struct text *t)
{
	struct gw_forward_stat fs[GW_MAX_FORWARD];
	char names[GW_MAX_FORWARD][GW_FORWARD_URL_MAX];
	size_t n = gw_forward_stats(fs, GW_MAX_FORWARD);

	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "%s", fs[i].name);
		for (char *p = names[i]; *p != '\0'; p++)
			if (*p == '"' || *p == '\\')
				*p = '_';
	}
	head(t, "tether_forward_delivered_total", "counter",
	    "Messages a forwarder's receiver acknowledged (repeats count).");
	for (size_t i = 0; i < n; i++)
		text_printf(t, "tether_forward_delivered_total{forwarder="
		    "\"%s\"} %llu\n", names[i],
		    (unsigned long long)fs[i].delivered);
	head(t, "tether_forward_failures_total", "counter",
	    "Deliveries that failed and are retried (forward_failed lines).");
	for (size_t i = 0; i < n; i++)
		text_printf(t, "tether_forward_failures_total{forwarder="
		    "\"%s\"} %llu\n", names[i],
		    (unsigned long long)fs[i].failures);
	head(t, "tether_forward_up", "gauge",
	    "1 when a forwarder's last delivery was acknowledged, else 0.");
	for (size_t i = 0; i < n; i++)
		text_printf(t, "tether_forward_up{forwarder=\"%s\"} %d\n",
		    names[i], fs[i].up);
	head(t, "tether_forward_backlog", "gauge",
	    "Messages stored after a forwarder's cursor (counted at most "
	    "every 5 s while it is behind; 0 once it has caught up).");
	for (size_t i = 0; i < n; i++)
		text_printf(t, "tether_forward_backlog{forwarder=\"%s\"} %lld\n",
		    names[i], fs[i].backlog);
	head(t, "tether_forward_lag_seconds", "gauge",
	    "How long ago the oldest message a forwarder has read and its "
	    "receiver not yet acknowledged was received; 0 when caught up.");
	for (size_t i = 0; i < n; i++) {
		int64_t lag = fs[i].waiting_since == 0 ? 0 :
		    reg_now_ms() - fs[i].waiting_since;

		text_printf(t, "tether_forward_lag_seconds{forwarder=\"%s\"} "
		    "%.3f\n", names[i], lag > 0 ? (double)lag / 1000 : 0.0);
	}
}

/* The session cache (sesscache.c) and its sharing through the store
 * (resume.c). */
static void
session_metrics(struct text *t, const struct gw_admin *a)
{
	static const char *const ev[] = { "written", "read", "dropped",
	    "refused", "pruned" };
	struct gw_session_share *sh = &gw_session_share;
	const uint64_t v[] = { atomic_load(&sh->written),
	    atomic_load(&sh->read), atomic_load(&sh->dropped),
	    atomic_load(&sh->refused), atomic_load(&sh->pruned) };
	struct gw_sesscache_stats st;
	struct gw_sesscache *c;

	c = gw_tls_sessions(__atomic_load_n(&a->sh->tls, __ATOMIC_ACQUIRE));
	if (c != NULL) {
		gw_sesscache_stats(c, &st);
		head(t, "tether_session_cache_sessions", "gauge", "TLS "
		    "sessions held for resumption by session id.");
		text_printf(t, "tether_session_cache_sessions %zu\n",
		    st.count);
		head(t, "tether_session_cache_bytes", "gauge", "Memory the "
		    "session cache holds: its sessions and its table.");
		text_printf(t, "tether_session_cache_bytes %zu\n",
		    st.bytes + st.table_bytes);
		if (atomic_load(&sh->on)) {
			head(t, "tether_session_cache_foreign", "gauge", "Of "
			    "the sessions held, other nodes' (half the cache at "
			    "most).");
			text_printf(t, "tether_session_cache_foreign %zu\n",
			    st.foreign);
		}
	}
	if (!atomic_load(&sh->on))
		return;
	head(t, "tether_session_share_total", "counter", "Sessions shared "
	    "through the store, by event (written: this node's; read: other "
	    "nodes' taken in; dropped: never written, the queue was full; "
	    "refused: rows not sealed under this registry key; pruned: rows "
	    "deleted, expired or past the bound).");
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		text_printf(t, "tether_session_share_total{event=\"%s\"} "
		    "%llu\n", ev[i], (unsigned long long)v[i]);
	head(t, "tether_session_share_failures_total", "counter", "Syncs of "
	    "sessions the store failed (sessions_unshared lines).");
	text_printf(t, "tether_session_share_failures_total %llu\n",
	    (unsigned long long)atomic_load(&sh->failures));
}

static void
metrics(struct text *t, const struct gw_admin *a)
{
	static const char *const hs[] = { "full", "resumed" };
	static const enum gw_counter hs_k[] = { GW_C_HANDSHAKE_FULL,
	    GW_C_HANDSHAKE_RESUMED };
	static const char *const by[] = { "ticket", "session_id" };
	static const enum gw_counter by_k[] = { GW_C_RESUMED_TICKET,
	    GW_C_RESUMED_SESSION_ID };
	static const char *const out[] = { "stored", "duplicate",
	    "rate_limited", "unavailable" };
	static const enum gw_counter out_k[] = { GW_C_MSG_STORED,
	    GW_C_MSG_DUPLICATE, GW_C_MSG_RATE_LIMITED, GW_C_MSG_UNAVAILABLE };
	static const char *const cmd[] = { "delivered", "acknowledged",
	    "rejected" };
	static const enum gw_counter cmd_k[] = { GW_C_CMD_DELIVERED,
	    GW_C_CMD_ACKED, GW_C_CMD_REJECTED };
	static const char *const refused[GW_REFUSED_COUNT] = {
	    [GW_REFUSED_MAX_CONNECTIONS] = "max_connections",
	    [GW_REFUSED_MAX_HANDSHAKES] = "max_handshakes",
	    [GW_REFUSED_PROXY_HEADER] = "proxy_header" };
	static const char *const hs_fail[GW_HS_COUNT] = {
	    [GW_HS_NOT_TLS] = "not_tls",
	    [GW_HS_PROTOCOL_VERSION] = "protocol_version",
	    [GW_HS_NO_SHARED_CIPHER] = "no_shared_cipher",
	    [GW_HS_NO_SHARED_GROUP] = "no_shared_group",
	    [GW_HS_NO_SHARED_SIGNATURE] = "no_shared_signature",
	    [GW_HS_CLIENT_ALERT] = "client_alert",
	    [GW_HS_CLOSED] = "closed",
	    [GW_HS_TIMEOUT] = "timeout",
	    [GW_HS_OTHER] = "other" };
	static const char *const status[GW_REFUSED_NSTATUS] = { "400", "411",
	    "413", "414", "417", "431", "501", "505" };	/* as metrics.h */
	static const char *const who[] = { "device", "application" };
	static const enum gw_counter who_k[] = { GW_C_AUTH_FAILED,
	    GW_C_APP_AUTH_FAILED };

	head(t, "tether_build_info", "gauge", "The gateway's version.");
	text_printf(t, "tether_build_info{version=\"%s\"} 1\n", TETHER_VERSION);
	{
		char node[REG_NODE_MAX];

		gw_config_node(a->sh->config, node);	/* no quote in it */
		head(t, "tether_node_info", "gauge", "This gateway's node "
		    "name (--node), as presence records it.");
		text_printf(t, "tether_node_info{node=\"%s\"} 1\n", node);
	}
	if (a->sh->presence != NULL) {
		head(t, "tether_devices_online", "gauge", "Devices with an "
		    "authenticated connection to this node now.");
		text_printf(t, "tether_devices_online %zu\n",
		    gw_presence_count(a->sh->presence));
	}
	head(t, "tether_connections_open", "gauge",
	    "Connections open now, devices' and applications'.");
	text_printf(t, "tether_connections_open %d\n",
	    atomic_load(&a->sh->nconn));
	counter(t, a, "tether_connections_accepted_total",
	    "Connections accepted.", GW_C_ACCEPTED);
	labelled_run(t, a, "tether_connections_refused_total",
	    "Connections refused, by reason (max_connections, "
	    "max_handshakes: at accept; proxy_header: accepted, then no "
	    "PROXY header came).", "reason", refused, GW_C_CONN_REFUSED,
	    GW_REFUSED_COUNT);
	labelled(t, a, "tether_handshakes_total",
	    "TLS handshakes completed, by kind.", "kind", hs, hs_k, 2);
	labelled(t, a, "tether_handshakes_resumed_total",
	    "Resumed TLS handshakes, by what the client resumed with.", "by",
	    by, by_k, 2);
	session_metrics(t, a);
	labelled_run(t, a, "tether_handshake_failures_total",
	    "TLS handshakes begun that failed, by reason (each failure but a "
	    "timeout has a handshake_failed line saying more).", "reason",
	    hs_fail, GW_C_HANDSHAKE_FAILED, GW_HS_COUNT);
	labelled(t, a, "tether_messages_total",
	    "Device messages answered, by outcome (stored: 201; duplicate: "
	    "200; rate_limited: 429; unavailable: 503).", "outcome", out,
	    out_k, 4);
	labelled_run(t, a, "tether_requests_refused_total",
	    "Malformed requests refused, by the status answered "
	    "(request_refused lines).", "status", status,
	    GW_C_REQUEST_REFUSED, GW_REFUSED_NSTATUS);
	labelled(t, a, "tether_auth_failures_total",
	    "Requests refused 401, by who sent them.", "client", who, who_k,
	    2);
	counter(t, a, "tether_app_reads_total",
	    "Application reads answered (each long poll and stream batch).",
	    GW_C_APP_READS);
	counter(t, a, "tether_timeouts_total",
	    "Connections closed or answered at a deadline.", GW_C_TIMEOUTS);
	labelled(t, a, "tether_commands_total",
	    "Commands to devices, by event (delivered: put in an answer, "
	    "repeats count; acknowledged; rejected: larger than the device "
	    "takes).", "event", cmd, cmd_k, 3);
	head(t, "tether_commands_expired_total", "counter",
	    "Commands this gateway's sweep marked expired (command_expired "
	    "lines).");
	text_printf(t, "tether_commands_expired_total %llu\n",
	    (unsigned long long)atomic_load(&gw_commands_expired));
	if (atomic_load(&gw_retention_held) >= 0) {	/* with --retain */
		head(t, "tether_retention_pruned_total", "counter",
		    "Messages retention (--retain) deleted.");
		text_printf(t, "tether_retention_pruned_total %llu\n",
		    (unsigned long long)atomic_load(&gw_retention_pruned));
		head(t, "tether_retention_held", "gauge",
		    "1 while messages older than --retain are kept because a "
		    "forwarder has not delivered them (retention_held lines "
		    "name it), else 0.");
		text_printf(t, "tether_retention_held %d\n",
		    atomic_load(&gw_retention_held));
	}
	head(t, "tether_intake_backlog", "gauge",
	    "Messages waiting for the store.");
	text_printf(t, "tether_intake_backlog %zu\n",
	    gw_intake_backlog(a->sh->intake));
	head(t, "tether_store_healthy", "gauge",
	    "1 when the store commits (as /v1/health), else 0.");
	text_printf(t, "tether_store_healthy %d\n",
	    gw_intake_healthy(a->sh->intake));
	forward_metrics(t);
	histogram(t, "tether_store_commit_seconds",
	    "Time of one group commit of messages.", &gw_hist_commit);
	histogram(t, "tether_store_flush_seconds",
	    "Time of one flush of the write-ahead log to disk (SQLite).",
	    &gw_hist_flush);
	histogram(t, "tether_registry_lookup_seconds",
	    "Time of one credential lookup in the registry (cache misses).",
	    &gw_hist_lookup);
	histogram(t, "tether_app_token_lookup_seconds",
	    "Time of one application token lookup in the registry (tokens "
	    "refused lately are not looked up).", &gw_hist_app_lookup);
}

/* Writes all of p within the deadline; 0 or -1. */
static int
write_all(int fd, const char *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		int64_t left = deadline - reg_mono_us() / 1000;
		ssize_t w;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -1;
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
respond(int fd, int status, const char *ctype, const char *body, size_t len,
    int64_t deadline)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d %s\r\nContent-Type: "
	    "%s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", status,
	    http_status_text(status), ctype, len);

	if (write_all(fd, hdr, (size_t)n, deadline) == 0)
		(void)write_all(fd, body, len, deadline);
}

static void
serve_one(struct gw_admin *a, int fd)
{
	int64_t deadline = reg_mono_us() / 1000 + ADMIN_DEADLINE_MS;
	char buf[GW_MAX_HEAD];
	struct http_request req;
	struct http_error err;
	size_t len = 0;
	int r = 0;

	while (r == 0 && len < sizeof(buf)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - reg_mono_us() / 1000;
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return;		/* too slow: closed without a word */
		if ((n = recv(fd, buf + len, sizeof(buf) - len, 0)) <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			return;
		}
		len += (size_t)n;
		r = http_parse_request(buf, len, sizeof(buf), &req, &err);
	}
	if (r <= 0) {
		static const char bad[] = "{\"error\":\"malformed request\"}\n";

		respond(fd, r < 0 ? err.status : 431, "application/json", bad,
		    sizeof(bad) - 1, deadline);
		return;
	}
	if (!http_method_is(&req, "GET")) {
		static const char m[] = "{\"error\":\"use GET\"}\n";

		respond(fd, 405, "application/json", m, sizeof(m) - 1, deadline);
	} else if (route_path_is(&req, "/metrics")) {
		struct text t = { 0 };

		metrics(&t, a);
		if (t.failed)
			respond(fd, 503, "text/plain", "out of memory\n", 14,
			    deadline);
		else
			respond(fd, 200, "text/plain; version=0.0.4", t.buf,
			    t.len, deadline);
		text_free(&t);
	} else if (route_path_is(&req, "/v1/health")) {
		char body[128];
		int ok = gw_intake_healthy(a->sh->intake) &&
		    !atomic_load(&a->sh->stopping);
		int n = snprintf(body, sizeof(body), "{\"status\":\"%s\","
		    "\"version\":\"%s\"}\n", ok ? "ok" : "unavailable",
		    TETHER_VERSION);

		respond(fd, ok ? 200 : 503, "application/json", body, (size_t)n,
		    deadline);
	} else {
		static const char nf[] = "{\"error\":\"no such path (GET "
		    "/metrics, /v1/health)\"}\n";

		respond(fd, 404, "application/json", nf, sizeof(nf) - 1,
		    deadline);
	}
}

static void *
admin_main(void *arg)
{
	struct gw_admin *a = arg;

	pthread_setname_np(pthread_self(), "tether-admin");
	for (;;) {
		struct pollfd pfd[2] = { { .fd = a->fd, .events = POLLIN },
		    { .fd = a->evfd, .events = POLLIN } };
		int fd;

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		if ((fd = accept4(a->fd, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC)) < 0) {
			/* Out of descriptors the connection stays queued and
			 * poll returns at once: not a busy loop. */
			if (errno == EMFILE || errno == ENFILE)
				(void)poll(NULL, 0, 100);
			continue;
		}
		serve_one(a, fd);
		close(fd);
	}
	return NULL;
}

struct gw_admin *
gw_admin_start(int fd, struct gw_shared *sh, struct gw_worker **workers,
    int nworkers, char *err)
{
	struct gw_admin *a = calloc(1, sizeof(*a));

	if (a == NULL || (a->evfd = eventfd(0, EFD_CLOEXEC)) < 0) {
		snprintf(err, GW_ERR_LEN, "admin listener: %s", strerror(errno));
		free(a);
		close(fd);
		return NULL;
	}
	a->fd = fd;
	a->sh = sh;
	a->workers = workers;
	a->nworkers = nworkers;
	if (pthread_create(&a->thread, NULL, admin_main, a) != 0) {
		snprintf(err, GW_ERR_LEN, "cannot start the admin thread");
		close(a->evfd);
		close(fd);
		free(a);
		return NULL;
	}
	return a;
}

void
gw_admin_stop(struct gw_admin *a)
{
	uint64_t one = 1;

	if (a == NULL)
		return;
	ssize_t n = write(a->evfd, &one, sizeof(one));	/* < 0: set already */

	(void)n;
	pthread_join(a->thread, NULL);	/* a request takes 2 s at most */
	close(a->evfd);
	close(a->fd);
	free(a);
}

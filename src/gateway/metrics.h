/* SPDX-License-Identifier: MIT */
/*
 * metrics.h - what the gateway counts for operators (docs/metrics.md):
 * per-worker counters that only their worker writes (no lock, no locked
 * instruction on the message path), latency histograms that one thread
 * each writes, and the admin listener that prints them all in the
 * Prometheus text format (admin.c).
 */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "gateway/tls.h"		/* enum gw_hs_fail */
#include "tether_version.h"	/* generated: TETHER_VERSION */

/* Why a connection was refused before it was served: the reason label
 * of tether_connections_refused_total (admin.c names them). */
enum gw_conn_refusal {
	GW_REFUSED_MAX_CONNECTIONS,	/* at accept: --max-connections */
	GW_REFUSED_MAX_HANDSHAKES,	/* at accept: --max-handshakes */
	GW_REFUSED_PROXY_HEADER,	/* no PROXY header (--proxy-listen) */
	GW_REFUSED_COUNT
};

/* The statuses conn_refuse answers with, the status label of
 * tether_requests_refused_total: http.c's reason_status, 411 and 413
 * (proto_http.c), 400 (routes.c). */
#define GW_REFUSED_STATUSES	400, 411, 413, 414, 417, 431, 501, 505
#define GW_REFUSED_NSTATUS	8

/*
 * A worker's counters; each metric's name and help are in admin.c. A
 * labelled counter is a run of them, one a label value, in the order of
 * its enum (or of GW_REFUSED_STATUSES).
 */
enum gw_counter {
	GW_C_ACCEPTED,
	GW_C_CONN_REFUSED,		/* + enum gw_conn_refusal */
	GW_C_CONN_REFUSED_END = GW_C_CONN_REFUSED + GW_REFUSED_COUNT - 1,
	GW_C_HANDSHAKE_FULL,
	GW_C_HANDSHAKE_RESUMED,
	GW_C_RESUMED_TICKET,		/* of them, by a ticket */
	GW_C_RESUMED_SESSION_ID,	/* ... by a session id */
	GW_C_HANDSHAKE_FAILED,		/* + enum gw_hs_fail */
	GW_C_HANDSHAKE_FAILED_END = GW_C_HANDSHAKE_FAILED + GW_HS_COUNT - 1,
	GW_C_MSG_STORED,
	GW_C_MSG_DUPLICATE,
	GW_C_MSG_RATE_LIMITED,
	GW_C_MSG_UNAVAILABLE,
	GW_C_REQUEST_REFUSED,		/* + the index of its status */
	GW_C_REQUEST_REFUSED_END = GW_C_REQUEST_REFUSED + GW_REFUSED_NSTATUS - 1,
	GW_C_AUTH_FAILED,
	GW_C_APP_AUTH_FAILED,
	GW_C_APP_READS,
	GW_C_TIMEOUTS,
	GW_C_CMD_DELIVERED,
	GW_C_CMD_ACKED,
	GW_C_CMD_REJECTED,
	GW_C_COUNT
};

struct gw_counters {
	_Atomic uint64_t v[GW_C_COUNT];
};

/* By the counters' one writer: a plain load, add and store (relaxed
 * atomics only so that the admin thread's reads are defined). */
static inline void
gw_count(struct gw_counters *c, enum gw_counter k)
{
	atomic_store_explicit(&c->v[k], atomic_load_explicit(&c->v[k],
	    memory_order_relaxed) + 1, memory_order_relaxed);
}

/* The counters of a connection refused, a handshake failed (why), a
 * request refused (its status; one not in GW_REFUSED_STATUSES, which
 * would be a bug, under 400: counted, not lost). */
static inline void
gw_count_refused(struct gw_counters *c, enum gw_conn_refusal why)
{
	gw_count(c, (enum gw_counter)(GW_C_CONN_REFUSED + (int)why));
}

static inline void
gw_count_hs_failed(struct gw_counters *c, enum gw_hs_fail why)
{
	gw_count(c, (enum gw_counter)(GW_C_HANDSHAKE_FAILED + (int)why));
}

static inline void
gw_count_request_refused(struct gw_counters *c, int status)
{
	static const int st[GW_REFUSED_NSTATUS] = { GW_REFUSED_STATUSES };
	int i = GW_REFUSED_NSTATUS - 1;

	while (i > 0 && st[i] != status)
		i--;
	gw_count(c, (enum gw_counter)(GW_C_REQUEST_REFUSED + i));
}

/* Latency, in the buckets of gw_histogram_bounds_us (one writer each). */
#define GW_HIST_BUCKETS	14
struct gw_histogram {
	_Atomic uint64_t bucket[GW_HIST_BUCKETS];	/* not cumulative */
	_Atomic uint64_t count;
	_Atomic uint64_t sum_us;
};

void gw_histogram_observe(struct gw_histogram *h, int64_t us);

/* The histograms: the store's commits (intake thread), the write-ahead
 * log's flushes (syncer), the registry's lookups (lookup thread), the
 * application tokens' lookups (reader thread). */
extern struct gw_histogram gw_hist_commit, gw_hist_flush, gw_hist_lookup,
    gw_hist_app_lookup;
/* Commands marked expired by this gateway's sweep (sweep.c, its one
 * writer). */
extern _Atomic uint64_t gw_commands_expired;
/* Retention (retain.c, their one writer): messages it deleted, and 1
 * while a forwarder that has not delivered them keeps messages older
 * than --retain (-1: no --retain, the gauge is not shown). */
extern _Atomic uint64_t gw_retention_pruned;
extern atomic_int gw_retention_held;

struct gw_worker;
struct gw_shared;
struct gw_admin;

/* Starts the admin thread on the listening socket fd (taken). NULL with
 * err. */
struct gw_admin *gw_admin_start(int fd, struct gw_shared *sh,
    struct gw_worker **workers, int nworkers, char *err);
void gw_admin_stop(struct gw_admin *a);

#endif

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

#include "tether_version.h"	/* generated: TETHER_VERSION */

/* A worker's counters; each metric's name and help are in metrics.c. */
enum gw_counter {
	GW_C_ACCEPTED,
	GW_C_REFUSED_LIMIT,
	GW_C_HANDSHAKE_FULL,
	GW_C_HANDSHAKE_RESUMED,
	GW_C_RESUMED_TICKET,		/* of them, by a ticket */
	GW_C_RESUMED_SESSION_ID,	/* ... by a session id */
	GW_C_HANDSHAKE_FAILED,
	GW_C_MSG_STORED,
	GW_C_MSG_DUPLICATE,
	GW_C_MSG_RATE_LIMITED,
	GW_C_MSG_UNAVAILABLE,
	GW_C_REQUEST_REFUSED,
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

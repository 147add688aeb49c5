/* SPDX-License-Identifier: MIT */
/*
 * retain.c - retention (--retain): a thread with its own registry handle
 * that, every GW_RETAIN_PERIOD_MS, deletes the messages older than the
 * retention, GW_RETAIN_BATCH at a time in short transactions with pauses
 * between them, so that the intake's commits are never held up for long.
 * reg_prune never deletes what a forwarder has not delivered; when that
 * holds retention back, a log line names the forwarder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"
#include "gateway/metrics.h"

_Atomic uint64_t gw_retention_pruned;
atomic_int gw_retention_held = -1;

struct gw_retain {
	struct gw_thread t;
	const struct gw_config *c;
	struct reg_store *store;
};

/* A retention thread a stop left behind: never freed. */
static struct gw_retain *abandoned;

static void *
retain_main(void *arg)
{
	struct gw_retain *r = arg;
	char held[REG_FORWARDER_MAX], count[24];
	int64_t last_held = 0, now;
	int was_held = 0;

	pthread_setname_np(pthread_self(), "tether-retain");
	while (!gw_thread_sleep(&r->t, 0)) {
		long long n, total = 0;
		int is_held = 0;

		/* one round: batches until a short one */
		do {
			n = reg_prune(r->store, reg_now_ms() - r->c->retain_ms,
			    GW_RETAIN_BATCH, held);
			if (n < 0) {
				gw_log(GW_LOG_WARN, "retention_failed", "reason",
				    reg_error(r->store), "effect", "old messages "
				    "are kept until the next round", NULL);
				break;
			}
			total += n;
			atomic_fetch_add(&gw_retention_pruned, (uint64_t)n);
			is_held = held[0] != '\0';
		} while (n == GW_RETAIN_BATCH &&
		    !gw_thread_sleep(&r->t, GW_RETAIN_PAUSE_MS));
		if (total > 0) {
			snprintf(count, sizeof(count), "%lld", total);
			gw_log(GW_LOG_INFO, "retention_pruned", "messages", count,
			    NULL);
		}
		now = reg_mono_us() / 1000;
		if (is_held && (!was_held ||
		    now - last_held >= GW_RETAIN_HELD_LOG_MS)) {
			gw_log(GW_LOG_WARN, "retention_held", "forwarder", held,
			    "reason", "messages older than --retain are kept: "
			    "this forwarder has not delivered them (tether "
			    "forward status)", NULL);
			last_held = now;
		} else if (!is_held && was_held) {
			gw_log(GW_LOG_INFO, "retention_released", NULL);
		}
		was_held = is_held;
		atomic_store(&gw_retention_held, is_held);
		if (gw_thread_sleep(&r->t, GW_RETAIN_PERIOD_MS))
			break;
	}
	pthread_mutex_lock(&r->t.lock);
	gw_thread_exit(&r->t);
	pthread_mutex_unlock(&r->t.lock);
	return NULL;
}

static void
retain_free(struct gw_retain *r)
{
	reg_close(r->store);
	free(r);
}

/* see gateway.h */
struct gw_retain *
gw_retain_start(const struct gw_config *c, char *err)
{
	struct gw_retain *r;
	char rerr[REG_ERR_LEN], age[32];

	if (c->retain_ms == 0) {
		gw_log(GW_LOG_INFO, "retention", "keep", "every message (no "
		    "--retain)", NULL);
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, GW_ERR_LEN, "retention: out of memory");
		return NULL;
	}
	r->c = c;
	if (reg_open(&r->store, c->db, c->key_file, rerr) < 0) {
		snprintf(err, GW_ERR_LEN, "%s", rerr);
		retain_free(r);
		return NULL;
	}
	atomic_store(&gw_retention_held, 0);
	if (gw_thread_start(&r->t, retain_main, r) < 0) {
		snprintf(err, GW_ERR_LEN, "cannot start the retention thread");
		retain_free(r);
		return NULL;
	}
	snprintf(age, sizeof(age), "%llds", (long long)(c->retain_ms / 1000));
	gw_log(GW_LOG_INFO, "retention", "keep", "messages received in the "
	    "last --retain, and every one a forwarder has not delivered",
	    "retain", age, NULL);
	return r;
}

/* see gateway.h */
void
gw_retain_stop(struct gw_retain *r, int64_t deadline)
{
	if (r == NULL)
		return;
	if (!gw_thread_stop(&r->t, deadline)) {
		gw_log(GW_LOG_WARN, "retention_abandoned", "reason", "the "
		    "registry has not answered a delete; exiting without "
		    "waiting for it (the delete is one transaction: all or "
		    "nothing)", NULL);
		abandoned = r;
		return;
	}
	gw_thread_destroy(&r->t);
	retain_free(r);
}

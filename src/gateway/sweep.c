/* SPDX-License-Identifier: MIT */
/*
 * sweep.c - the expiry of commands to devices: a thread with its own
 * registry handle that, every GW_SWEEP_PERIOD_MS, marks pending commands
 * past their expiry expired, REG_COMMAND_SWEEP_MAX at a time in short
 * transactions, and logs command_expired for each. The intake never
 * delivers an expired command whether or not this ran (commands.c): the
 * sweep is what the applications and the log see. With several gateways
 * on one PostgreSQL each sweeps; a command is marked (and logged) once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"
#include "gateway/metrics.h"

_Atomic uint64_t gw_commands_expired;

struct gw_sweep {
	struct gw_thread t;
	struct reg_store *store;
};

/* A sweep thread a stop left behind: never freed. */
static struct gw_sweep *abandoned;

static void
expired(void *arg, int64_t id, const char *device)
{
	char text[24];

	(void)arg;
	snprintf(text, sizeof(text), "%lld", (long long)id);
	atomic_fetch_add(&gw_commands_expired, 1);
	gw_log(GW_LOG_INFO, "command_expired", "command", text, "device",
	    device, "reason", "not acknowledged before its --ttl; it is "
	    "never delivered again", NULL);
}

static void *
sweep_main(void *arg)
{
	struct gw_sweep *sw = arg;
	int failing = 0;

	pthread_setname_np(pthread_self(), "tether-sweep");
	while (!gw_thread_sleep(&sw->t, GW_SWEEP_PERIOD_MS)) {
		long long n;

		do {
			n = reg_command_expire(sw->store, reg_now_ms(),
			    REG_COMMAND_SWEEP_MAX, expired, NULL);
		} while (n == REG_COMMAND_SWEEP_MAX &&
		    !gw_thread_sleep(&sw->t, GW_RETAIN_PAUSE_MS));
		if (n < 0 && !failing)
			gw_log(GW_LOG_WARN, "command_sweep_failed", "reason",
			    reg_error(sw->store), "effect", "expired commands "
			    "are never delivered, but show their state late",
			    NULL);
		failing = n < 0;
	}
	pthread_mutex_lock(&sw->t.lock);
	gw_thread_exit(&sw->t);
	pthread_mutex_unlock(&sw->t.lock);
	return NULL;
}

static void
sweep_free(struct gw_sweep *sw)
{
	reg_close(sw->store);
	free(sw);
}

/* see gateway.h */
struct gw_sweep *
gw_sweep_start(const struct gw_config *c, char *err)
{
	struct gw_sweep *sw;
	char rerr[REG_ERR_LEN];

	if ((sw = calloc(1, sizeof(*sw))) == NULL) {
		snprintf(err, GW_ERR_LEN, "command sweep: out of memory");
		return NULL;
	}
	if (reg_open(&sw->store, c->db, c->key_file, rerr) < 0) {
		snprintf(err, GW_ERR_LEN, "%s", rerr);
		sweep_free(sw);
		return NULL;
	}
	reg_set_timeout(sw->store, c->registry_ms);
	if (gw_thread_start(&sw->t, sweep_main, sw) < 0) {
		snprintf(err, GW_ERR_LEN, "cannot start the command sweep "
		    "thread");
		sweep_free(sw);
		return NULL;
	}
	return sw;
}

/* see gateway.h */
void
gw_sweep_stop(struct gw_sweep *sw, int64_t deadline)
{
	if (sw == NULL)
		return;
	if (!gw_thread_stop(&sw->t, deadline)) {
		gw_log(GW_LOG_WARN, "command_sweep_abandoned", "reason", "the "
		    "registry has not answered; exiting without waiting for it "
		    "(each batch is one transaction: all or nothing)", NULL);
		abandoned = sw;
		return;
	}
	gw_thread_destroy(&sw->t);
	sweep_free(sw);
}

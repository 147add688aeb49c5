/* SPDX-License-Identifier: MIT */
/*
 * intake.c - durable message intake with group commit. Workers queue
 * messages; one thread takes everything queued, stores it in one
 * transaction (one fsync for the batch) and only then hands each outcome
 * back to its worker, which answers. While a batch commits, the next one
 * gathers, so many devices share one fsync without a timer.
 *
 * With SQLite the fsync is not part of the commit: a second thread, the
 * syncer, fdatasyncs the write-ahead log and only then lets the batches
 * committed before it began be answered. The committer meanwhile writes
 * the next batch, so the disk's flush and the next batch's work overlap
 * (one core otherwise sat idle during every flush with all devices
 * waiting), and one flush can cover several commits.
 *
 * The per-device rate limit lives here too: every message of every worker
 * passes this one thread, so the count is exact without a lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "gateway/metrics.h"

/*
 * One device's allowance, as a generic cell rate algorithm: tat is the
 * time at which the device will have used its allowance; a message is
 * refused when that lies more than the burst ahead of now. Slots are
 * direct-mapped by a 64-bit hash of the id (24 bytes each, 1.5 MiB at
 * most, touched only by devices that send): two devices in one slot push
 * each other out, and a device pushed out starts afresh, which errs
 * towards letting a message through, never towards refusing one.
 */
struct rate_slot {
	uint64_t	 key;		/* 64-bit hash of the device id */
	int64_t		 tat;		/* microseconds, monotonic */
	int64_t		 logged;	/* last "rate_limited" line */
};

struct gw_intake {
	/* The committer; t.lock guards the queues and stop flags, t.cond
	 * wakes it. A commit that never returns (a PostgreSQL that stopped
	 * answering) leaves it behind at a stop (thread.c). */
	struct gw_thread t;
	struct gw_intake_item *head, **tail;	/* to commit */
	atomic_size_t	 backlog;
	atomic_int	 healthy;
	atomic_llong	 commit_since;	/* µs: a commit running since; 0: none */
	int64_t		 deadline_us;	/* a commit longer than this: unhealthy */
	/* The syncer: committed items waiting for the log's fdatasync. */
	int		 wal_fd;	/* -1: commits are durable (PostgreSQL) */
	pthread_t	 syncer;
	int		 syncer_started;
	pthread_cond_t	 sync_cond;
	struct gw_intake_item *sync_head, **sync_tail;
	int		 sync_stop;
	atomic_int	 sync_failed;	/* for good: see sync_main */
	atomic_llong	 slow_logged;	/* last store_slow line, µs */
	struct reg_store *store;
	/* Presence (presence.c): its changes ride the batches, events
	 * first; the node beats every REG_NODE_BEAT_MS. */
	struct gw_presence *presence;	/* NULL: off */
	const char	*node;
	struct gw_presence_event pev[GW_PRESENCE_BATCH];
	int64_t		 next_beat;	/* µs, monotonic */
	int64_t		 presence_retry;	/* µs: a lone change batch failed */
	int		 presence_failing;	/* its presence_failed line is out */
	struct reg_message msgs[GW_PRESENCE_BATCH + GW_MAX_BATCH];
	struct gw_intake_item *batch[GW_MAX_BATCH];
	struct gw_intake_item *stored[GW_MAX_BATCH];	/* msgs[i]'s item */
	int64_t		 interval;	/* microseconds per message; 0: off */
	int64_t		 tolerance;	/* how far tat may run ahead */
	int		 rate;		/* for the log line */
	struct rate_slot *slots;	/* GW_RATE_SLOTS */
	void		(*hook[GW_INTAKE_HOOKS])(void *);	/* t.lock */
	void		*hook_arg[GW_INTAKE_HOOKS];
	int		 nhooks;
};

/* 1 when the device is over its rate (it->retry_after set), else 0. */
static int
over_rate(struct gw_intake *in, struct gw_intake_item *it, int64_t now)
{
	uint64_t h;
	struct rate_slot *sl;
	int64_t tat;

	if (in->interval == 0)
		return 0;
	h = reg_hash_id(it->device) | 1;	/* 0 marks a free slot */
	sl = &in->slots[h >> 48 & (GW_RATE_SLOTS - 1)];
	if (sl->key != h) {
		sl->key = h;
		sl->tat = now;
		sl->logged = 0;
	}
	tat = sl->tat > now ? sl->tat : now;
	if (tat - now > in->tolerance) {
		int64_t wait = tat - now - in->tolerance;

		it->retry_after = (int)((wait + 999999) / 1000000);
		if (now - sl->logged >= 10 * 1000000 || sl->logged == 0) {
			char rate[24];

			sl->logged = now;
			snprintf(rate, sizeof(rate), "%d/s", in->rate);
			gw_log(GW_LOG_WARN, "rate_limited", "device", it->device,
			    "peer", it->peer, "limit", rate, "reason",
			    "the device sends faster than --device-rate allows; "
			    "its messages get 429 until it slows down", NULL);
		}
		return 1;
	}
	sl->tat = tat + in->interval;
	return 0;
}

/*
 * A commit or a flush that took long: every device of the batch waited
 * that long for its answer, and the operator should hear why (a disk or
 * database in trouble) before devices start timing out. One line per
 * GW_SLOW_STORE_EVERY_MS at most, from either thread.
 */
static void
note_slow(struct gw_intake *in, const char *what, int64_t t0, size_t n)
{
	int64_t now = reg_mono_us(), ms = (now - t0) / 1000;
	long long last = atomic_load(&in->slow_logged);
	char took[24], count[24], why[160];

	if (ms < GW_SLOW_STORE_MS || (last != 0 &&
	    now - last < (int64_t)GW_SLOW_STORE_EVERY_MS * 1000) ||
	    !atomic_compare_exchange_strong(&in->slow_logged, &last, now))
		return;
	snprintf(took, sizeof(took), "%lld", (long long)ms);
	snprintf(count, sizeof(count), "%zu", n);
	snprintf(why, sizeof(why), "the %s took %lld ms; its devices waited "
	    "that long for their answers", what, (long long)ms);
	gw_log(GW_LOG_WARN, "store_slow", "ms", took, "messages", count,
	    "reason", why, NULL);
}

/*
 * Hands outcomes back, one chain per worker in arrival order: one lock and
 * one wake-up per worker and batch, not per message.
 */
static void
dispatch(struct gw_intake *in, struct gw_intake_item *head)
{
	for (int i = 0; i < in->nhooks; i++)	/* readers waiting, say */
		in->hook[i](in->hook_arg[i]);
	while (head != NULL) {
		struct gw_worker *w = head->worker;
		struct gw_intake_item *mine = NULL, **mt = &mine, *last = NULL;
		struct gw_intake_item *rest = NULL, **rt = &rest, *next;

		for (struct gw_intake_item *it = head; it != NULL; it = next) {
			next = it->next;
			if (it->worker == w) {
				*mt = last = it;
				mt = &it->next;
			} else {
				*rt = it;
				rt = &it->next;
			}
		}
		*rt = NULL;
		gw_worker_done(w, mine, last);
		head = rest;
	}
}

/*
 * A write of presence alone that failed: a store that refuses it is told
 * by presence_failed, not by health (the devices' commits say whether
 * messages are taken). One that hung until the deadline is a stuck store,
 * as a message's commit would be: health stays 503 until the probe's
 * write goes in (wait_or_probe), not only while the write hangs.
 */
static void
presence_write_failed(struct gw_intake *in, int64_t t0)
{
	if (reg_mono_us() - t0 >= in->deadline_us)
		atomic_store(&in->healthy, 0);
}

/* The node's beat, when due (after a commit, or when nothing else is to
 * do): a transaction of its own every REG_NODE_BEAT_MS, which also tells
 * of nodes lost (their devices' disconnected events). Without the lock. */
static void
beat(struct gw_intake *in, int64_t now)
{
	long long n;
	int lost = 0;

	if (in->presence == NULL || now < in->next_beat)
		return;
	in->next_beat = now + (int64_t)REG_NODE_BEAT_MS * 1000;
	/* On a quiet node the beat is what finds a frozen store: one that
	 * gave up at the deadline marks it (presence_write_failed). Not
	 * timed while it runs, as a commit is: a beat that records a lost
	 * node's devices takes several round trips each, and may pass the
	 * deadline on a slow link with every statement answered. */
	n = reg_node_beat(in->store, in->node, 0, &lost);
	if (n < 0) {
		presence_write_failed(in, now);
		gw_log(GW_LOG_WARN, "presence_failed", "node", in->node,
		    "reason", reg_error(in->store), "effect", "other gateways "
		    "take this node's devices for offline after 15 s without "
		    "its beat", NULL);
		return;
	}
	if (lost) {
		gw_log(GW_LOG_WARN, "node_was_lost", "node", in->node, "reason",
		    "another gateway found this node's beat too old and took "
		    "its devices for offline; recording them again", NULL);
		gw_presence_reannounce(in->presence);
	}
	if (n > 0) {
		char count[24];

		snprintf(count, sizeof(count), "%lld", n);
		gw_log(GW_LOG_INFO, "nodes_lost", "devices", count, "reason",
		    "a gateway sharing the store stopped beating; its devices "
		    "are offline (disconnected, node lost)", NULL);
		pthread_mutex_lock(&in->t.lock);
		for (int i = 0; !in->t.left && i < in->nhooks; i++)
			in->hook[i](in->hook_arg[i]);	/* readers look */
		pthread_mutex_unlock(&in->t.lock);
	}
}

/* The presence changes queued, as the batch's first rows: how many. */
static size_t
take_presence(struct gw_intake *in)
{
	size_t ne;

	if (in->presence == NULL)
		return 0;
	ne = gw_presence_take(in->presence, in->pev, GW_PRESENCE_BATCH, NULL);
	for (size_t i = 0; i < ne; i++)
		in->msgs[i] = (struct reg_message){
			.device_id = in->pev[i].device,
			.seq = -1,
			.kind = in->pev[i].kind,
			.node = in->node,
			.reason = in->pev[i].reason,
			.at = in->pev[i].at,
		};
	return ne;
}

/*
 * Stores a batch and answers it (now, or through the syncer). Called
 * without the lock, returns with it held: whatever reaches the workers is
 * done under it, and not at all once the stop has left this thread behind.
 * n may be 0: presence changes alone.
 */
static void
commit_batch(struct gw_intake *in, size_t n)
{
	int64_t now = reg_mono_us();
	size_t ne = take_presence(in), m = ne, mm;
	int ok;

	for (size_t i = 0; i < n; i++) {
		struct gw_intake_item *it = in->batch[i];

		if (atomic_load(&in->sync_failed)) {
			it->outcome = GW_UNAVAILABLE;	/* see sync_main */
			continue;
		}
		if (over_rate(in, it, now)) {
			it->outcome = GW_RATE_LIMITED;
			continue;
		}
		in->stored[m - ne] = it;
		in->msgs[m++] = (struct reg_message){
			.device_id = it->device,
			.seq = it->seq,
			.body = it->body,
			.len = it->len,
			.peer = it->peer,
			.cmd_ack = it->cmd_ack,
			.cmd_max = it->cmd_max,
			.cmd_buf = it->cmd_max > 0 ? it->body + it->len : NULL,
		};
	}
	/* The histogram and store_failed are about the devices' messages
	 * (mm of them); a batch of presence changes alone that fails is
	 * retried after GW_STORE_PROBE_MS, with a line of its own. Any
	 * write that hangs tells health, as a message's commit would: the
	 * store is stuck either way. */
	mm = m - ne;
	if (m > 0)
		atomic_store(&in->commit_since, now);
	ok = m == 0 || reg_store_messages(in->store, in->msgs, m) == 0;
	atomic_store(&in->commit_since, 0);
	if (mm > 0)
		gw_histogram_observe(&gw_hist_commit, reg_mono_us() - now);
	if (mm > 0 && ok)	/* a failed one has its store_failed line */
		note_slow(in, "database's commit", now, n);
	if (!ok && mm > 0) {
		char count[24];

		snprintf(count, sizeof(count), "%zu", mm);
		gw_log(GW_LOG_ERROR, "store_failed", "messages", count,
		    "reason", reg_error(in->store),
		    "answer", "503 (nothing acknowledged)", NULL);
	} else if (!ok) {
		presence_write_failed(in, now);
		in->presence_retry = reg_mono_us() +
		    (int64_t)GW_STORE_PROBE_MS * 1000;
		if (!in->presence_failing)
			gw_log(GW_LOG_WARN, "presence_failed", "node", in->node,
			    "reason", reg_error(in->store), "effect",
			    "connection changes wait in memory and are written "
			    "once the store takes them", NULL);
		in->presence_failing = 1;
	} else if (mm > 0 && !atomic_load(&in->healthy)) {
		gw_log(GW_LOG_INFO, "store_recovered", NULL);
	}
	if (ok && ne > 0)
		in->presence_failing = 0;
	if (mm > 0)
		atomic_store(&in->healthy, ok);
	for (size_t j = ne; j < m; j++) {
		struct gw_intake_item *it = in->stored[j - ne];
		const struct reg_message *msg = &in->msgs[j];

		it->outcome = !ok ? GW_UNAVAILABLE :
		    msg->duplicate ? GW_DUPLICATE : GW_STORED;
		it->cmd_id = ok ? msg->cmd_id : 0;
		it->cmd_len = ok ? msg->cmd_len : 0;
		it->cmd_acked = ok && msg->cmd_acked;
		it->cmd_rejected = ok ? msg->cmd_rejected : 0;
	}
	if (!ok && ne > 0)	/* with the next commit, in their order */
		gw_presence_untake(in->presence, in->pev, ne);
	if (ok)		/* after a failure, the probe asks the store first */
		beat(in, reg_mono_us());
	if (n == 0) {
		pthread_mutex_lock(&in->t.lock);
		for (int i = 0; ok && ne > 0 && !in->t.left && i < in->nhooks;
		    i++)
			in->hook[i](in->hook_arg[i]);	/* readers look */
		return;
	}
	/* Chain the batch in order, then answer it: now, or once the
	 * syncer has made the log durable. */
	for (size_t i = 0; i + 1 < n; i++)
		in->batch[i]->next = in->batch[i + 1];
	in->batch[n - 1]->next = NULL;
	pthread_mutex_lock(&in->t.lock);
	if (in->t.left)
		return;		/* the workers may be gone: answer nobody */
	if (in->wal_fd < 0 || m == 0 || !ok) {
		dispatch(in, in->batch[0]);
		return;
	}
	*in->sync_tail = in->batch[0];
	in->sync_tail = &in->batch[n - 1]->next;
	pthread_cond_signal(&in->sync_cond);
}

/*
 * The syncer. A batch may be answered once an fdatasync that began after
 * its commit has returned: each round takes everything committed so far,
 * syncs once, answers it all. If fdatasync fails, Linux may already have
 * dropped the unwritten pages while SQLite still sees the rows, so a
 * retry could be answered "duplicate" for a message that is not on disk:
 * the gateway stops acknowledging for good (503, health 503) and says to
 * restart it, which rebuilds everything from what is on disk.
 */
static void *
sync_main(void *arg)
{
	struct gw_intake *in = arg;

	pthread_setname_np(pthread_self(), "tether-sync");

	pthread_mutex_lock(&in->t.lock);
	for (;;) {
		struct gw_intake_item *chain;
		int64_t t0;
		size_t n = 0;
		int ok;

		while (in->sync_head == NULL && !in->sync_stop)
			pthread_cond_wait(&in->sync_cond, &in->t.lock);
		if (in->sync_head == NULL)
			break;
		chain = in->sync_head;
		in->sync_head = NULL;
		in->sync_tail = &in->sync_head;
		pthread_mutex_unlock(&in->t.lock);

		for (struct gw_intake_item *it = chain; it != NULL; it = it->next)
			n++;
		t0 = reg_mono_us();
		ok = !atomic_load(&in->sync_failed) && fdatasync(in->wal_fd) == 0;
		if (ok)
			note_slow(in, "disk's flush of the write-ahead log", t0, n);
		gw_histogram_observe(&gw_hist_flush, reg_mono_us() - t0);
		if (!ok && !atomic_exchange(&in->sync_failed, 1)) {
			char why[128];

			snprintf(why, sizeof(why), "cannot make the write-ahead "
			    "log durable (fdatasync: %s)", strerror(errno));
			atomic_store(&in->healthy, 0);
			gw_log(GW_LOG_ERROR, "store_failed", "reason", why,
			    "answer", "503 until the gateway is restarted "
			    "(nothing acknowledged)", NULL);
		}
		for (struct gw_intake_item *it = chain; !ok && it != NULL;
		    it = it->next)
			if (it->outcome == GW_STORED || it->outcome == GW_DUPLICATE)
				it->outcome = GW_UNAVAILABLE;
		dispatch(in, chain);
		pthread_mutex_lock(&in->t.lock);
	}
	pthread_mutex_unlock(&in->t.lock);
	return NULL;
}

/*
 * While the last commit failed and nothing is queued: wait for work, and
 * once every GW_STORE_PROBE_MS ask the store to take a write (reg_ping: a
 * store that reads may still not write, a lock or a full disk), so health
 * turns 200 when it does again. Behind a balancer that takes an
 * unhealthy node out, no message would come to try a commit, and the
 * node would stay out for good. Called and returns with the lock held;
 * -1 when the stop left this thread behind during the probe.
 */
static int
wait_or_probe(struct gw_intake *in)
{
	struct timespec ts;
	int64_t t0;
	int ok;

	gw_monotonic_in(&ts, GW_STORE_PROBE_MS);	/* t.cond's clock */
	if (pthread_cond_timedwait(&in->t.cond, &in->t.lock, &ts) != ETIMEDOUT ||
	    in->head != NULL || in->t.stop)
		return 0;
	pthread_mutex_unlock(&in->t.lock);
	/* A write of one row: what a commit needs, and cheap. */
	t0 = reg_mono_us();
	atomic_store(&in->commit_since, t0);
	ok = reg_ping(in->store) == 0;
	atomic_store(&in->commit_since, 0);
	pthread_mutex_lock(&in->t.lock);
	if (in->t.left)
		return -1;
	if (ok && !atomic_exchange(&in->healthy, 1))
		gw_log(GW_LOG_INFO, "store_recovered", "reason",
		    "the store took a probe's write", NULL);
	return 0;
}

/*
 * With no message queued, how long (ms) until presence wants a commit:
 * its oldest change has waited GW_PRESENCE_DELAY_MS for messages to ride
 * with, or the beat is due. 0: now; -1: nothing wants one. Under the lock.
 */
static int64_t
presence_wait(struct gw_intake *in)
{
	int64_t oldest, wait = -1, now_us = reg_mono_us();

	if (in->presence == NULL)
		return -1;
	(void)gw_presence_take(in->presence, NULL, 0, &oldest);
	if (oldest != 0) {
		wait = oldest + GW_PRESENCE_DELAY_MS - reg_now_ms();
		if (in->presence_retry > now_us &&
		    (in->presence_retry - now_us) / 1000 + 1 > wait)
			wait = (in->presence_retry - now_us) / 1000 + 1;
		if (wait < 0)
			wait = 0;
	}
	if (wait < 0 || (in->next_beat - now_us) / 1000 < wait)
		wait = in->next_beat > now_us ?
		    (in->next_beat - now_us + 999) / 1000 : 0;
	return wait;
}

static int
presence_queued(struct gw_intake *in)
{
	int64_t oldest = 0;

	if (in->presence != NULL)
		(void)gw_presence_take(in->presence, NULL, 0, &oldest);
	return oldest != 0;
}

/* A change was queued to presence's empty queue: the committer looks. */
static void
presence_kick(void *arg)
{
	struct gw_intake *in = arg;

	pthread_mutex_lock(&in->t.lock);
	pthread_cond_signal(&in->t.cond);
	pthread_mutex_unlock(&in->t.lock);
}

/* Waits on t.cond for ms at most (CLOCK_MONOTONIC). Under the lock. */
static void
timed_wait(struct gw_intake *in, int64_t ms)
{
	struct timespec ts;

	gw_monotonic_in(&ts, ms);
	(void)pthread_cond_timedwait(&in->t.cond, &in->t.lock, &ts);
}

/*
 * The stop, once every message queued is answered: the changes left (the
 * workers closed their connections: "shutdown") are written, then the
 * node's remaining rows go. Called and returns with the lock held.
 */
static void
stop_presence(struct gw_intake *in)
{
	long long n;

	if (in->presence == NULL || in->t.left)
		return;
	pthread_mutex_unlock(&in->t.lock);
	commit_batch(in, 0);		/* returns with the lock */
	if (in->t.left)
		return;
	pthread_mutex_unlock(&in->t.lock);
	atomic_store(&in->commit_since, reg_mono_us());
	n = reg_node_stop(in->store, in->node, "shutdown");
	atomic_store(&in->commit_since, 0);
	if (n < 0)
		gw_log(GW_LOG_WARN, "presence_failed", "node", in->node,
		    "reason", reg_error(in->store), "effect", "this node's "
		    "devices count as online until its beat is 15 s old",
		    NULL);
	pthread_mutex_lock(&in->t.lock);
}

static void *
intake_main(void *arg)
{
	struct gw_intake *in = arg;

	pthread_setname_np(pthread_self(), "tether-intake");

	pthread_mutex_lock(&in->t.lock);
	for (;;) {
		size_t n = 0;
		int64_t wait = -1;

		while (in->head == NULL && !in->t.stop) {
			if (!atomic_load(&in->healthy) &&
			    !atomic_load(&in->sync_failed)) {
				if (wait_or_probe(in) < 0)
					break;	/* left behind in the probe */
				continue;
			}
			if ((wait = presence_wait(in)) == 0)
				break;	/* presence's commit, or a beat */
			if (wait < 0)
				pthread_cond_wait(&in->t.cond, &in->t.lock);
			else
				timed_wait(in, wait);
		}
		if (in->head == NULL && in->t.stop && !in->t.left)
			stop_presence(in);
		if ((in->head == NULL && in->t.stop) || in->t.left)
			break;
		while (in->head != NULL && n < GW_MAX_BATCH) {
			in->batch[n++] = in->head;
			in->head = in->head->next;
		}
		if (in->head == NULL)
			in->tail = &in->head;
		atomic_fetch_sub(&in->backlog, n);
		pthread_mutex_unlock(&in->t.lock);
		if (n == 0 && wait == 0 && !presence_queued(in)) {
			beat(in, reg_mono_us());	/* only the beat was due */
			pthread_mutex_lock(&in->t.lock);
			continue;
		}
		commit_batch(in, n);	/* returns with the lock held */
	}
	gw_thread_exit(&in->t);
	pthread_mutex_unlock(&in->t.lock);
	return NULL;
}

/* Lets the syncer answer what is queued, stops it, closes the log. */
static void
stop_syncer(struct gw_intake *in)
{
	if (in->syncer_started) {
		pthread_mutex_lock(&in->t.lock);
		in->sync_stop = 1;
		pthread_cond_signal(&in->sync_cond);
		pthread_mutex_unlock(&in->t.lock);
		pthread_join(in->syncer, NULL);
		in->syncer_started = 0;
	}
	if (in->wal_fd >= 0)
		close(in->wal_fd);
	in->wal_fd = -1;
}

void
gw_intake_on_commit(struct gw_intake *in, void (*fn)(void *), void *arg)
{
	pthread_mutex_lock(&in->t.lock);
	if (in->nhooks < GW_INTAKE_HOOKS) {
		in->hook[in->nhooks] = fn;
		in->hook_arg[in->nhooks++] = arg;
	}
	pthread_mutex_unlock(&in->t.lock);
}

struct gw_intake *
gw_intake_start(const struct gw_config *c, struct gw_presence *presence,
    char *err)
{
	struct gw_intake *in;
	char rerr[REG_ERR_LEN];

	if ((in = calloc(1, sizeof(*in))) == NULL ||
	    (c->device_rate > 0 && (in->slots = calloc(GW_RATE_SLOTS,
	    sizeof(*in->slots))) == NULL)) {
		snprintf(err, GW_ERR_LEN, "intake: out of memory");
		free(in);
		return NULL;
	}
	in->wal_fd = -1;
	if (c->device_rate > 0) {
		in->rate = c->device_rate;
		in->interval = 1000000 / c->device_rate;
		if (in->interval == 0)
			in->interval = 1;
		in->tolerance = in->interval * (c->device_burst - 1);
	}
	if (reg_open(&in->store, c->db, c->key_file, rerr) < 0) {
		snprintf(err, GW_ERR_LEN, "%s", rerr);
		free(in->slots);
		free(in);
		return NULL;
	}
	if (reg_store_prepare(in->store) < 0 ||
	    reg_store_defer_sync(in->store, &in->wal_fd) < 0) {
		snprintf(err, GW_ERR_LEN, "%s", reg_error(in->store));
		reg_close(in->store);
		free(in->slots);
		free(in);
		return NULL;
	}
	reg_set_timeout(in->store, c->registry_ms);
	if (presence != NULL) {
		long long left;
		char count[24];

		in->presence = presence;
		in->node = gw_presence_node(presence);
		if ((left = reg_node_beat(in->store, in->node, 1, NULL)) < 0) {
			snprintf(err, GW_ERR_LEN, "%s", reg_error(in->store));
			reg_close(in->store);
			free(in->slots);
			free(in);
			return NULL;
		}
		in->next_beat = reg_mono_us() + (int64_t)REG_NODE_BEAT_MS * 1000;
		snprintf(count, sizeof(count), "%lld", left);
		gw_log(left > 0 ? GW_LOG_WARN : GW_LOG_INFO, "node_started",
		    "node", in->node, "left_online", count, "reason", left > 0 ?
		    "the last run of this node ended without its stop (killed "
		    "or crashed): its devices are told disconnected (gateway "
		    "restarted)" : "presence is recorded", NULL);
	}
	pthread_cond_init(&in->sync_cond, NULL);
	in->tail = &in->head;
	in->sync_tail = &in->sync_head;
	in->deadline_us = (int64_t)c->registry_ms * 1000;
	atomic_init(&in->healthy, 1);
	/* The committer first: it makes t.lock, which the syncer shares.
	 * Nothing is submitted before this returns. */
	if (gw_thread_start(&in->t, intake_main, in) < 0)
		goto no_thread;
	if (in->wal_fd >= 0) {
		if (pthread_create(&in->syncer, NULL, sync_main, in) != 0) {
			(void)gw_thread_stop(&in->t, INT64_MAX);
			gw_thread_destroy(&in->t);
			goto no_thread;
		}
		in->syncer_started = 1;
	}
	if (presence != NULL)
		gw_presence_on_change(presence, presence_kick, in);
	return in;
no_thread:
	snprintf(err, GW_ERR_LEN, "intake: cannot start its threads");
	stop_syncer(in);
	pthread_cond_destroy(&in->sync_cond);
	reg_close(in->store);
	free(in->slots);
	free(in);
	return NULL;
}

void
gw_intake_submit(struct gw_intake *in, struct gw_intake_item *first,
    struct gw_intake_item *last, size_t n)
{
	last->next = NULL;
	pthread_mutex_lock(&in->t.lock);
	*in->tail = first;
	in->tail = &last->next;
	atomic_fetch_add(&in->backlog, n);
	pthread_cond_signal(&in->t.cond);
	pthread_mutex_unlock(&in->t.lock);
}

int
gw_intake_stop(struct gw_intake *in, int64_t deadline)
{
	int joined;

	if (in == NULL)
		return 1;
	/* The workers are stopped: what they changed is queued, and the
	 * connections gw_worker_free closes later are the node's stop's. */
	if (in->presence != NULL)
		gw_presence_on_change(in->presence, NULL, NULL);
	/* The committer answers what is queued, then exits; one stuck in a
	 * commit is left behind with its store and this struct, and answers
	 * nobody once it returns (commit_batch checks t.left). */
	joined = gw_thread_stop(&in->t, deadline);
	stop_syncer(in);	/* after the committer: it answers the rest */
	if (!joined) {
		gw_log(GW_LOG_WARN, "store_abandoned", "reason", "a commit "
		    "was still running at the end of the drain time; its "
		    "messages were answered 503 or not at all", NULL);
		return 0;
	}
	gw_thread_destroy(&in->t);
	reg_close(in->store);
	pthread_cond_destroy(&in->sync_cond);
	free(in->slots);
	free(in);
	return 1;
}

int
gw_intake_healthy(const struct gw_intake *in)
{
	long long since = atomic_load(&in->commit_since);

	/* A commit past the deadline counts as failed already: a balancer
	 * moves devices elsewhere while it hangs (its devices got 503). */
	if (since != 0 && reg_mono_us() - since > in->deadline_us)
		return 0;
	return atomic_load(&in->healthy) && !atomic_load(&in->sync_failed);
}

size_t
gw_intake_backlog(const struct gw_intake *in)
{
	return atomic_load(&((struct gw_intake *)in)->backlog);
}

/* SPDX-License-Identifier: MIT */
/*
 * forward.c - pushing the stored messages to the operator's receivers: a
 * thread per --forward URL reads after its cursor (reg_read_messages, the
 * order that never skips), hands a batch to its transport, and stores the
 * cursor only once the receiver acknowledged it (at-least-once). A
 * receiver that fails is retried with capped exponential backoff; intake
 * never waits for a forwarder (docs/forwarding.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "gateway/forward_int.h"

struct gw_forward {
	struct fwd	*head;
};

/* The running forwarders, for gw_forward_kick: the intake's threads call
 * it as each commit is answered, and may outlive the forwarders
 * (thread.c). */
static pthread_mutex_t kick_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gw_forward *running;

/* Forwarders a stop left behind (in a registry or receiver that does not
 * answer): never freed, until the process exits. */
static struct fwd *abandoned;

static int64_t
now_ms(void)
{
	return reg_mono_us() / 1000;
}

static int
stopping(struct fwd *f)
{
	int s;

	pthread_mutex_lock(&f->t.lock);
	s = f->t.stop;
	pthread_mutex_unlock(&f->t.lock);
	return s;
}

/* Sleeps ms, or until the stop; with kickable, also until a kick. */
static void
sleep_for(struct fwd *f, int64_t ms, int kickable)
{
	struct timespec ts;

	gw_monotonic_in(&ts, ms);
	pthread_mutex_lock(&f->t.lock);
	atomic_store(&f->sleeping, 1);
	while (!f->t.stop && !(kickable && atomic_load(&f->kicked)))
		if (pthread_cond_timedwait(&f->wake, &f->t.lock, &ts) ==
		    ETIMEDOUT)
			break;
	atomic_store(&f->sleeping, 0);
	pthread_mutex_unlock(&f->t.lock);
}

/* see gateway.h */
void
gw_forward_kick(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&kick_lock);
	for (struct fwd *f = running != NULL ? running->head : NULL; f != NULL;
	    f = f->next) {
		/* sleep_for sets sleeping before it looks at kicked: either it
		 * sees this store, or this sees it sleep and signals */
		atomic_store(&f->kicked, 1);
		if (atomic_load(&f->sleeping)) {
			pthread_mutex_lock(&f->t.lock);
			pthread_cond_signal(&f->wake);
			pthread_mutex_unlock(&f->t.lock);
		}
	}
	pthread_mutex_unlock(&kick_lock);
}

/* see gateway.h */
size_t
gw_forward_stats(struct gw_forward_stat *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&kick_lock);
	for (struct fwd *f = running != NULL ? running->head : NULL;
	    f != NULL && n < max; f = f->next, n++) {
		out[n].name = f->name;
		out[n].delivered = atomic_load(&f->delivered);
		out[n].failures = atomic_load(&f->failures);
		out[n].up = atomic_load(&f->up);
		out[n].waiting_since = atomic_load(&f->waiting_since);
		out[n].backlog = atomic_load(&f->backlog);
	}
	pthread_mutex_unlock(&kick_lock);
	return n;
}

static void
batch_clear(struct fwd_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->rows[i].line);
		free(b->rows[i].state);
		b->rows[i].state = NULL;
	}
	b->n = 0;
	b->failed = 0;
	b->cursor[0] = '\0';
}

/*
 * An event's state for MQTT: its head, then the members of its body (the
 * store's own object, {"reason", "node", "online"}) spliced in after it.
 * 0, or -1 when out of memory.
 */
static int
fwd_state(struct fwd_row *r, const struct reg_read_row *row)
{
	const char *body = row->body;
	char when[REG_TIME_TEXT];
	struct json j;

	reg_time_format(row->received_at, when);
	json_init_heap(&j);
	json_object(&j, NULL, JSON_COMPACT);
	json_str(&j, "event", reg_kind_name(row->kind));
	json_str(&j, "device", row->device_id);
	json_str(&j, "at", when);
	json_int(&j, "id", row->id);
	json_end(&j);
	if (json_finish(&j) == NULL || j.failed) {
		json_free(&j);
		return -1;
	}
	/* j.buf ends with '}': drop it, add ",<members>}" of the body */
	if (body != NULL && row->len > 2 && body[0] == '{' &&
	    body[row->len - 1] == '}' && json_valid_line(body, row->len)) {
		char *p = realloc(j.buf, j.len + row->len + 1);

		if (p == NULL) {
			json_free(&j);
			return -1;
		}
		p[j.len - 1] = ',';
		memcpy(p + j.len, body + 1, row->len - 1);
		j.len += row->len - 1;
		p[j.len] = '\0';
		j.buf = p;
	}
	r->state = j.buf;		/* ours: freed by batch_clear */
	r->state_len = j.len;
	return 0;
}

/* reg_read_messages' callback: the row as its JSON line. */
static void
collect(void *arg, const struct reg_read_row *row)
{
	struct fwd_batch *b = arg;
	struct fwd_row *r;
	struct json j;

	if (b->failed || b->n == b->cap) {
		b->failed = 1;
		return;
	}
	r = &b->rows[b->n];
	json_init_heap(&j);
	if (reg_row_json(&j, row) < 0 || json_finish(&j) == NULL || j.failed) {
		json_free(&j);
		b->failed = 1;
		return;
	}
	snprintf(r->device, sizeof(r->device), "%s", row->device_id);
	if (b->n == 0)
		b->first_at = row->received_at;
	r->line = j.buf;		/* ours now: freed by batch_clear */
	r->len = j.len;
	r->kind = row->kind;
	r->state = NULL;
	if (row->kind != REG_KIND_MESSAGE && fwd_state(r, row) < 0) {
		free(r->line);
		b->failed = 1;
		return;
	}
	reg_cursor_format(&row->cursor, b->cursor);
	b->n++;
}

static int
deliver(struct fwd *f, const struct fwd_batch *b, char *err)
{
	if (f->url.scheme == GW_FWD_MQTT || f->url.scheme == GW_FWD_MQTTS)
		return fwd_mqtt_deliver(f, b, err);
	return fwd_http_deliver(f, b, err);
}

static void
close_transport(struct fwd *f)
{
	if (f->url.scheme == GW_FWD_MQTT || f->url.scheme == GW_FWD_MQTTS)
		fwd_mqtt_close(f);
	else
		fwd_http_close(f);
}

/* Stores the cursor after n more delivered messages. One the store
 * refuses costs repeats after a restart, never a loss: carry on. */
static void
save(struct fwd *f, const struct reg_cursor *c, long long n)
{
	if (reg_forwarder_advance(f->store, f->name, c, n) < 0)
		gw_log(GW_LOG_WARN, "forward_cursor_unsaved", "forwarder",
		    f->name, "reason", reg_error(f->store), "effect",
		    "messages delivered since the last saved cursor are "
		    "delivered again after a restart", NULL);
}

/* The backlog for the metrics, counted from c (after what was
 * acknowledged) at most every GW_FORWARD_COUNT_MS: a count is a read of
 * every row waiting, so not one a batch. A count that fails keeps the
 * last. */
static void
count_backlog(struct fwd *f, const struct reg_cursor *c)
{
	long long n;

	if (f->counted_at != 0 && now_ms() - f->counted_at < GW_FORWARD_COUNT_MS)
		return;
	f->counted_at = now_ms();
	if ((n = reg_count_after(f->store, c)) >= 0)
		atomic_store(&f->backlog, n);
}

/* Caught up at the read: nothing waits, and the next count is due as
 * soon as the forwarder falls behind again. */
static void
caught_up(struct fwd *f)
{
	atomic_store(&f->waiting_since, 0);
	atomic_store(&f->backlog, 0);
	f->counted_at = 0;
}

static void *
fwd_main(void *arg)
{
	struct fwd *f = arg;
	struct fwd_batch b = { .cap = (size_t)f->c->forward_batch };
	/* presence events too: receivers tell them by "event" */
	struct reg_read q = { .limit = (size_t)f->c->forward_batch,
	    .events = 1 };
	struct reg_cursor at = { 0 }, next;
	int64_t retry = GW_FORWARD_RETRY_MIN_MS;
	char err[GW_ERR_LEN], ms[24], count[24];
	int started = 0, failing = 0;
	long long n, unsaved = 0;
	int64_t saved_at = 0;

	pthread_setname_np(pthread_self(), "tether-forward");
	if ((b.rows = calloc(b.cap, sizeof(*b.rows))) == NULL) {
		gw_log(GW_LOG_ERROR, "forward_failed", "forwarder", f->name,
		    "reason", "out of memory: this forwarder stopped", NULL);
		goto out;
	}
	while (!stopping(f)) {
		if (!started) {
			if (reg_forwarder_start(f->store, f->name, &at) < 0) {
				snprintf(err, sizeof(err), "%s",
				    reg_error(f->store));
				goto failed;
			}
			started = 1;
		}
		batch_clear(&b);
		/* before the read: a commit after it kicks again */
		atomic_store(&f->kicked, 0);
		next = at;
		if ((n = reg_read_messages(f->store, &q, &next, collect,
		    &b)) < 0) {
			snprintf(err, sizeof(err), "%s", reg_error(f->store));
			goto failed;
		}
		if (b.failed) {
			snprintf(err, sizeof(err), "out of memory for a batch "
			    "of %zu messages (--forward-batch)", b.cap);
			goto failed;
		}
		if (n == 0) {
			caught_up(f);
			if (unsaved > 0) {	/* caught up */
				save(f, &at, unsaved);
				unsaved = 0;
				saved_at = now_ms();
			}
			if (f->mosq != NULL)
				fwd_mqtt_idle(f);
			sleep_for(f, GW_FORWARD_POLL_MS, 1);
			continue;
		}
		atomic_store(&f->waiting_since, b.first_at);
		if (deliver(f, &b, err) < 0)
			goto failed;
		/* Acknowledged. The cursor is stored once the forwarder has
		 * caught up, and at most every GW_FORWARD_SAVE_MS while it
		 * has not: each store is a write transaction the intake's
		 * commits would queue behind. What a crash loses of it is
		 * repeated, never lost. */
		unsaved += n;
		if (n < (long long)q.limit ||
		    now_ms() - saved_at >= GW_FORWARD_SAVE_MS) {
			save(f, &next, unsaved);
			unsaved = 0;
			saved_at = now_ms();
		}
		at = next;
		if (n < (long long)q.limit)
			caught_up(f);
		else
			count_backlog(f, &at);
		atomic_fetch_add(&f->delivered, (uint64_t)n);
		atomic_store(&f->up, 1);
		retry = GW_FORWARD_RETRY_MIN_MS;
		if (failing) {
			gw_log(GW_LOG_INFO, "forward_recovered", "forwarder",
			    f->name, NULL);
			failing = 0;
		}
		if (gw_log_enabled(GW_LOG_DEBUG)) {
			snprintf(count, sizeof(count), "%lld", n);
			gw_log(GW_LOG_DEBUG, "forwarded", "forwarder", f->name,
			    "messages", count, "cursor", b.cursor, NULL);
		}
		continue;
failed:
		atomic_fetch_add(&f->failures, 1);
		atomic_store(&f->up, 0);
		close_transport(f);
		if (unsaved > 0) {	/* what was delivered before it */
			save(f, &at, unsaved);
			unsaved = 0;
			saved_at = now_ms();
		}
		snprintf(ms, sizeof(ms), "%lldms", (long long)retry);
		gw_log(GW_LOG_WARN, "forward_failed", "forwarder", f->name,
		    "reason", err, "retry_in", ms, NULL);
		if (started && reg_forwarder_error(f->store, f->name, err) < 0)
			gw_log(GW_LOG_DEBUG, "forward_error_unsaved", "forwarder",
			    f->name, "reason", reg_error(f->store), NULL);
		failing = 1;
		if (started)	/* what waits meanwhile, for the metrics */
			count_backlog(f, &at);
		sleep_for(f, retry, 0);
		retry = retry * 2 > GW_FORWARD_RETRY_MAX_MS ?
		    GW_FORWARD_RETRY_MAX_MS : retry * 2;
	}
out:
	if (unsaved > 0)	/* a clean stop repeats nothing */
		save(f, &at, unsaved);
	close_transport(f);
	batch_clear(&b);
	free(b.rows);
	pthread_mutex_lock(&f->t.lock);
	gw_thread_exit(&f->t);
	pthread_mutex_unlock(&f->t.lock);
	return NULL;
}

static void
fwd_free(struct fwd *f)
{
	if (f->url.scheme == GW_FWD_HTTP || f->url.scheme == GW_FWD_HTTPS)
		fwd_http_free(f);
	pthread_cond_destroy(&f->wake);
	reg_close(f->store);
	free(f);
}

static struct fwd *
fwd_new(const struct gw_config *c, const char *url, char *err)
{
	pthread_condattr_t ca;
	char rerr[REG_ERR_LEN];
	struct fwd *f;
	int wal;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		snprintf(err, GW_ERR_LEN, "forwarder: out of memory");
		return NULL;
	}
	f->c = c;
	f->name = url;
	f->fd = -1;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (gw_fwd_url_parse(url, &f->url, err) < 0)
		goto fail;
	if (reg_open(&f->store, c->db, c->key_file, rerr) < 0) {
		snprintf(err, GW_ERR_LEN, "%s", rerr);
		goto fail;
	}
	/* A cursor's commit need not wait for the disk (an fsync each cost
	 * 45 ms a batch): one lost to a power cut is a repeat, never a loss,
	 * and the intake's next sync of the same log makes it durable. */
	if (reg_store_defer_sync(f->store, &wal) < 0) {
		snprintf(err, GW_ERR_LEN, "%s", reg_error(f->store));
		goto fail;
	}
	if (wal >= 0)
		close(wal);
	if ((f->url.scheme == GW_FWD_MQTT || f->url.scheme == GW_FWD_MQTTS ?
	    fwd_mqtt_init(f, err) : fwd_http_init(f, err)) < 0)
		goto fail;
	return f;
fail:
	fwd_free(f);
	return NULL;
}

/* see gateway.h */
struct gw_forward *
gw_forward_start(const struct gw_config *c, char *err)
{
	struct gw_forward *fw;
	struct fwd **tail;

	if (c->nforward == 0)
		return NULL;
	if ((fw = calloc(1, sizeof(*fw))) == NULL) {
		snprintf(err, GW_ERR_LEN, "forwarders: out of memory");
		return NULL;
	}
	tail = &fw->head;
	for (size_t i = 0; i < c->nforward; i++) {
		struct fwd *f = fwd_new(c, c->forward[i], err);

		if (f == NULL)
			goto fail;
		if (gw_thread_start(&f->t, fwd_main, f) < 0) {
			snprintf(err, GW_ERR_LEN, "cannot start the forwarder "
			    "thread of %.120s", c->forward[i]);
			fwd_free(f);
			goto fail;
		}
		*tail = f;
		tail = &f->next;
		gw_log(GW_LOG_INFO, "forwarding", "forwarder", c->forward[i],
		    "wakes", "at each commit, and every "
		    GW_STR(GW_FORWARD_POLL_MS) "ms", NULL);
	}
	pthread_mutex_lock(&kick_lock);
	running = fw;
	pthread_mutex_unlock(&kick_lock);
	return fw;
fail:
	gw_forward_stop(fw, now_ms() + 1000);
	return NULL;
}

/* see gateway.h */
void
gw_forward_stop(struct gw_forward *fw, int64_t deadline)
{
	struct fwd *f, *next;

	if (fw == NULL)
		return;
	pthread_mutex_lock(&kick_lock);
	if (running == fw)
		running = NULL;
	pthread_mutex_unlock(&kick_lock);
	/* every thread told first, so they stop side by side */
	for (f = fw->head; f != NULL; f = f->next) {
		pthread_mutex_lock(&f->t.lock);
		f->t.stop = 1;
		pthread_cond_signal(&f->wake);
		pthread_mutex_unlock(&f->t.lock);
	}
	for (f = fw->head; f != NULL; f = next) {
		next = f->next;
		if (!gw_thread_stop(&f->t, deadline)) {
			gw_log(GW_LOG_WARN, "forward_abandoned", "forwarder",
			    f->name, "reason", "its registry or receiver has "
			    "not answered; exiting without waiting for it "
			    "(what it delivered and did not record is "
			    "delivered again)", NULL);
			f->next = abandoned;
			abandoned = f;
			continue;
		}
		gw_thread_destroy(&f->t);
		fwd_free(f);
	}
	free(fw);
}

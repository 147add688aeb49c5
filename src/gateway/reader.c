/* SPDX-License-Identifier: MIT */
/*
 * reader.c - the application API's reads, on a thread with its own
 * registry handle: the token's check, the messages after a cursor, the
 * answer's bytes (NDJSON lines or Server-Sent Events), and the reads
 * that wait for a message to come (wait=, a stream), woken by the
 * intake's commits and, for other gateways' commits, every
 * GW_APP_POLL_MS. A slow store holds reads, never a worker loop.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/json.h"
#include "common/text.h"
#include "gateway/app.h"
#include "gateway/gateway.h"
#include "gateway/metrics.h"

/* An application token refused (unknown or revoked), until `until`. */
struct refused {
	uint8_t		 hash[REG_HASH_LEN];
	int64_t		 until;		/* ms, monotonic; 0: empty */
};

/* A read whose connection closed while the reader had it in hand. */
struct cancel {
	const struct gw_worker *worker;
	int		 fd;
	uint32_t	 gen;
};

#define READER_CANCELS	64

struct gw_reader {
	struct gw_thread t;		/* t.lock guards everything below */
	struct gw_read	*head, **tail;	/* new reads, oldest first */
	struct gw_read	*parked;	/* reads waiting for messages */
	size_t		 queued;	/* new and parked */
	atomic_int	 nparked;	/* for gw_reader_kick without the lock */
	int		 kicked;	/* a commit since the parked last looked */
	int64_t		 kicked_at;	/* ms: the first such commit */
	int		 released;	/* stopping: no read waits */
	struct reg_store *store;
	/* Cancelled reads the thread has in hand (not in head or parked):
	 * dropped when they would park, forgotten once its pass is over. */
	struct cancel	 cancels[READER_CANCELS];
	size_t		 ncancels;
	/* Tokens refused lately, so a client repeating a junk token costs
	 * no store lookup (as auth.c's negative cache for credentials). */
	struct refused	 refused[GW_NEGCACHE_SLOTS];
};

/* Left behind at a stop, as the lookup thread (auth.c). */
static struct gw_reader *abandoned;

static int64_t
now_ms(void)
{
	return reg_mono_us() / 1000;
}

void
gw_read_free(struct gw_read *r)
{
	if (r == NULL)
		return;
	OPENSSL_cleanse(r->token_hash, sizeof(r->token_hash));
	free(r->body);
	free(r->payload);
	free(r);
}

/* The answer's bytes as they grow (text.h). */
struct answer {
	struct gw_read	*r;
	struct text	 t;
	struct reg_cursor last;		/* of the last message put in */
};

/* One message: a line, or an event whose id is the cursor after it. */
static void
put_row(void *arg, const struct reg_read_row *row)
{
	struct answer *a = arg;
	struct json j;

	/* Past the limit (one more is read to tell) or the size budget the
	 * rest waits for the next read: the answer's cursor is the last
	 * message in it. */
	if (a->t.failed || a->r->count == a->r->limit ||
	    a->t.len >= GW_APP_MAX_BYTES) {
		a->r->more = 1;
		return;
	}
	json_init_heap(&j);
	if (reg_row_json(&j, row) < 0 || json_finish(&j) == NULL || j.failed) {
		json_free(&j);
		a->t.failed = 1;
		return;
	}
	if (a->r->kind == GW_READ_EVENTS) {
		char cursor[REG_CURSOR_TEXT];

		reg_cursor_format(&row->cursor, cursor);
		text_str(&a->t, "id: ");
		text_str(&a->t, cursor);
		/* events by their own names: EventSource's onmessage takes
		 * messages alone */
		text_str(&a->t, "\nevent: ");
		text_str(&a->t, reg_kind_name(row->kind) != NULL ?
		    reg_kind_name(row->kind) : "message");
		text_str(&a->t, "\ndata: ");
		text_put(&a->t, j.buf, j.len);
		text_str(&a->t, "\n\n");
	} else {
		text_put(&a->t, j.buf, j.len);
		text_str(&a->t, "\n");
	}
	json_free(&j);
	a->last = row->cursor;
	a->r->count++;
}

/* A keyed hash: its bytes are uniform, and without the registry key
 * nobody aims two tokens at one slot. */
static struct refused *
refused_slot(struct gw_reader *rd, const uint8_t hash[REG_HASH_LEN])
{
	uint32_t h = (uint32_t)hash[0] | (uint32_t)hash[1] << 8 |
	    (uint32_t)hash[2] << 16 | (uint32_t)hash[3] << 24;

	return &rd->refused[h % GW_NEGCACHE_SLOTS];
}

int
gw_reader_refused(struct gw_reader *rd, const uint8_t hash[REG_HASH_LEN],
    int64_t now)
{
	struct refused *s;
	int hit;

	pthread_mutex_lock(&rd->t.lock);
	s = refused_slot(rd, hash);
	hit = s->until > now && CRYPTO_memcmp(s->hash, hash, REG_HASH_LEN) == 0;
	pthread_mutex_unlock(&rd->t.lock);
	return hit;
}

/* The token's check for scope: 0 (app filled), or the status to
 * answer. */
static int
authorize(struct gw_reader *rd, struct gw_read *r, unsigned scope,
    struct reg_app *out)
{
	struct reg_app app;
	int64_t t0 = reg_mono_us();
	int x = reg_app_lookup(rd->store, r->token_hash, &app);

	gw_histogram_observe(&gw_hist_app_lookup, reg_mono_us() - t0);
	if (x < 0) {
		gw_log(GW_LOG_ERROR, "registry_failed", "reason",
		    reg_error(rd->store), NULL);
		return 503;
	}
	if (x == REG_NOT_FOUND || app.revoked_at != 0) {
		/* Unknown and revoked alike: remembered a while. */
		struct refused *s;

		pthread_mutex_lock(&rd->t.lock);
		s = refused_slot(rd, r->token_hash);
		memcpy(s->hash, r->token_hash, REG_HASH_LEN);
		s->until = now_ms() + GW_NEGCACHE_MS;
		pthread_mutex_unlock(&rd->t.lock);
		return 401;
	}
	if (!(app.scopes & scope))
		return 403;
	if (out != NULL)
		*out = app;
	return 0;
}

/* t as r's answer with status, or 503 when t could not be written
 * whole (out of memory: app.c says so). 1 (answered). */
static int
answer_text(struct gw_read *r, struct text *t, int status)
{
	if (t->failed) {
		text_free(t);
		r->status = 503;
		r->body = NULL;
		r->len = 0;
		return 1;
	}
	r->status = status;
	r->body = t->buf;
	r->len = t->len;
	return 1;
}

/* A command route's answer: status and one JSON object (text.h). */
static int
cmd_answer(struct gw_read *r, struct text *t, int status)
{
	text_str(t, "\n");
	return answer_text(r, t, status);
}

/* j, built (failed: a part of it could not be), as the answer; j is
 * freed. */
static int
cmd_json(struct gw_read *r, struct json *j, int failed, int status)
{
	struct text t = { 0 };

	if (failed || json_finish(j) == NULL || j->failed) {
		json_free(j);
		return cmd_answer(r, &t, 503);
	}
	text_put(&t, j->buf, j->len);
	json_free(j);
	return cmd_answer(r, &t, status);
}

static int
cmd_error(struct gw_read *r, int status, const char *why)
{
	struct json j;

	json_init_heap(&j);
	json_object(&j, NULL, JSON_COMPACT);
	json_str(&j, "error", why);
	json_end(&j);
	return cmd_json(r, &j, 0, status);
}

/* The store failed: logged, 503. */
static int
cmd_unavailable(struct gw_reader *rd, struct gw_read *r)
{
	gw_log(GW_LOG_ERROR, "registry_failed", "reason",
	    reg_error(rd->store), NULL);
	return cmd_error(r, 503, "message store unavailable; retry later");
}

struct cmd_list {
	struct json	 j;
	int		 failed;
};

static void
cmd_row(void *arg, const struct reg_command *c)
{
	struct cmd_list *l = arg;

	if (reg_command_json(&l->j, c) < 0)
		l->failed = 1;
}

/* One command as the answer's object. */
static int
cmd_object(struct gw_read *r, const struct reg_command *c, int status)
{
	struct json j;
	int failed;

	json_init_heap(&j);
	failed = reg_command_json(&j, c) < 0;
	return cmd_json(r, &j, failed, status);
}

/* A command route (docs/app-api.md, "Commands"): the scope its
 * operation needs, then the operation, its answer in r. */
static int
run_command(struct gw_reader *rd, struct gw_read *r)
{
	const int change = r->cmd_op == GW_CMD_QUEUE ||
	    r->cmd_op == GW_CMD_CANCEL;
	struct reg_app app;
	struct reg_command c;
	char why[REG_ERR_LEN + 64];
	int status, x;

	if ((status = authorize(rd, r, change ? REG_SCOPE_COMMAND :
	    REG_SCOPE_READ, &app)) != 0) {
		if (status == 403)
			return cmd_error(r, 403, change ? "this application's "
			    "token has no command scope (tether app add NAME "
			    "--scope read,command makes one that has)" :
			    "this application's token has no read scope");
		return cmd_error(r, status, status == 401 ? "unknown or "
		    "revoked application token" : "message store "
		    "unavailable; retry later");
	}
	switch (r->cmd_op) {
	case GW_CMD_QUEUE: {
		int64_t id, expires;
		char when[REG_TIME_TEXT];
		struct text t = { 0 };

		x = reg_command_queue(rd->store, r->device, r->payload,
		    r->payload_len, REG_COMMAND_DEFAULT_MAX, r->ttl_ms,
		    app.name, &id, &expires);
		if (x == REG_NOT_FOUND) {
			snprintf(why, sizeof(why), "no device has the id '%s'",
			    r->device);
			return cmd_error(r, 404, why);
		}
		if (x < 0)
			return cmd_unavailable(rd, r);
		reg_time_format(expires, when);
		text_printf(&t, "{\"id\":%lld,\"device\":\"%s\","
		    "\"state\":\"queued\",\"expires_at\":\"%s\"}",
		    (long long)id, r->device, when);
		return cmd_answer(r, &t, 201);
	}
	case GW_CMD_LIST: {
		struct cmd_list l = { .failed = 0 };
		struct reg_device dev;
		long long n;

		if ((x = reg_device_get(rd->store, r->device, &dev)) < 0)
			return cmd_unavailable(rd, r);
		if (x == REG_NOT_FOUND) {
			snprintf(why, sizeof(why), "no device has the id '%s'",
			    r->device);
			return cmd_error(r, 404, why);
		}
		json_init_heap(&l.j);
		json_object(&l.j, NULL, JSON_COMPACT);
		json_array(&l.j, "commands", JSON_COMPACT);
		n = reg_command_list(rd->store, r->device, r->cmd_state,
		    cmd_row, &l);
		json_end(&l.j);
		json_end(&l.j);
		if (n < 0) {
			json_free(&l.j);
			return cmd_unavailable(rd, r);
		}
		return cmd_json(r, &l.j, l.failed, 200);
	}
	case GW_CMD_GET:
	case GW_CMD_CANCEL:
		x = r->cmd_op == GW_CMD_GET ?
		    reg_command_get(rd->store, r->cmd_id, &c) :
		    reg_command_cancel(rd->store, r->cmd_id, app.name);
		if (x < 0)
			return cmd_unavailable(rd, r);
		if (x == REG_NOT_FOUND) {
			snprintf(why, sizeof(why), "no command has the id %lld",
			    (long long)r->cmd_id);
			return cmd_error(r, 404, why);
		}
		if (x == REG_CONFLICT)
			return cmd_error(r, 409, reg_error(rd->store));
		if (r->cmd_op == GW_CMD_CANCEL &&
		    reg_command_get(rd->store, r->cmd_id, &c) != 0)
			return cmd_unavailable(rd, r);
		return cmd_object(r, &c, 200);
	}
	return cmd_error(r, 503, "message store unavailable; retry later");
}

/* One device of GET /v1/devices: an element of its "devices" array. */
static int
put_device(void *arg, const struct reg_presence *p)
{
	struct answer *a = arg;
	char since[REG_TIME_TEXT];
	struct json j;

	json_init_heap(&j);
	json_object(&j, NULL, JSON_COMPACT);
	json_str(&j, "id", p->id);
	json_str(&j, "label", p->label);
	json_bool(&j, "online", p->online);
	if (p->online) {
		reg_time_format(p->since, since);
		json_str(&j, "since", since);
	} else {
		json_null(&j, "since");
	}
	json_array(&j, "nodes", JSON_COMPACT);
	for (const char *s = p->nodes; *s != '\0';) {
		size_t n = strcspn(s, ",");

		json_strn(&j, NULL, s, n);
		s += n + (s[n] == ',');
	}
	json_end(&j);
	json_end(&j);
	if (json_finish(&j) == NULL || j.failed) {
		json_free(&j);
		a->t.failed = 1;
		return 1;
	}
	if (a->r->count++ > 0)
		text_str(&a->t, ",\n");
	text_put(&a->t, j.buf, j.len);
	json_free(&j);
	return a->t.failed;
}

/* GET /v1/devices: {"devices": [...], "count": N}. 1 (answered). */
static int
run_devices(struct gw_reader *rd, struct gw_read *r)
{
	struct answer a = { .r = r };

	text_str(&a.t, "{\"devices\":[\n");
	if (reg_presence_list(rd->store, r->online, put_device, &a) < 0 &&
	    !a.t.failed) {
		gw_log(GW_LOG_ERROR, "read_failed", "reason",
		    reg_error(rd->store), NULL);
		text_free(&a.t);
		r->status = 503;
		return 1;
	}
	text_printf(&a.t, "],\"count\":%zu}\n", r->count);
	return answer_text(r, &a.t, 200);
}

/*
 * Reads what r asks for into its body: 1 when it is answered (messages,
 * an error, or nothing when its wait is over), 0 when it waits on.
 */
static int
run_read(struct gw_reader *rd, struct gw_read *r, int first, int64_t now)
{
	struct reg_read q = { .device_id = r->device[0] ? r->device : NULL,
	    .limit = r->limit + 1,	/* the one more says "more" */
	    .events = r->events };
	_Static_assert(GW_APP_MAX_LIMIT < REG_READ_MAX, "limit + 1 is a read");
	struct answer a = { .r = r, .last = r->cursor };
	struct reg_cursor at = r->cursor;
	long long n;
	int status;

	if (r->kind == GW_READ_COMMAND)
		return run_command(rd, r);
	if (first && (status = authorize(rd, r, REG_SCOPE_READ, NULL)) != 0) {
		r->status = status;
		return 1;
	}
	r->count = 0;
	r->more = 0;
	if (r->kind == GW_READ_DEVICES)
		return run_devices(rd, r);
	n = reg_read_messages(rd->store, &q, &at, put_row, &a);
	if (n < 0 || a.t.failed) {
		if (n < 0)
			gw_log(GW_LOG_ERROR, "read_failed", "reason",
			    reg_error(rd->store), NULL);
		text_free(&a.t);
		r->status = 503;
		return 1;
	}
	if (r->count == 0 && now < r->until && !rd->released) {
		text_free(&a.t);
		return 0;
	}
	r->cursor = a.last;
	if (r->kind == GW_READ_LINES) {
		char next[REG_CURSOR_TEXT];

		reg_cursor_format(&r->cursor, next);
		text_printf(&a.t, "{\"next\":\"%s\",\"count\":%zu,"
		    "\"more\":%s}\n", next, r->count, r->more ? "true" :
		    "false");
	} else if (r->count == 0) {
		text_str(&a.t, ": no message for a while\n\n");
	}
	return answer_text(r, &a.t, 200);
}

/* When the parked reads look again (ms): the first wait to end, the next
 * poll for other gateways' commits, or shortly after a commit here. */
static int64_t
next_wake(const struct gw_reader *rd, int64_t next_poll)
{
	int64_t wake = INT64_MAX;

	for (const struct gw_read *r = rd->parked; r != NULL; r = r->next)
		if (r->until < wake)
			wake = r->until;
	if (rd->parked != NULL && next_poll < wake)
		wake = next_poll;
	/* Commits come every millisecond or so under load: the parked look
	 * once for all that came in GW_APP_COALESCE_MS, one query for many
	 * messages rather than one for each commit. */
	if (rd->kicked && rd->kicked_at + GW_APP_COALESCE_MS < wake)
		wake = rd->kicked_at + GW_APP_COALESCE_MS;
	return wake;
}

/* Whether r's connection closed while the thread had r in hand. */
static int
cancelled(const struct gw_reader *rd, const struct gw_read *r)
{
	for (size_t i = 0; i < rd->ncancels; i++)
		if (rd->cancels[i].worker == r->worker &&
		    rd->cancels[i].fd == r->fd && rd->cancels[i].gen == r->gen)
			return 1;
	return 0;
}

/* Unlinks and frees the read of (w, fd, gen) from the list at *pp; its
 * last element's next pointer, if that one went, moves to *tail (when
 * tail is not NULL). 1 if it was there. */
static int
drop_from(struct gw_reader *rd, struct gw_read **pp, struct gw_read ***tail,
    const struct gw_worker *w, int fd, uint32_t gen)
{
	for (struct gw_read *r; (r = *pp) != NULL; pp = &r->next) {
		if (r->worker != w || r->fd != fd || r->gen != gen)
			continue;
		*pp = r->next;
		if (tail != NULL && *tail == &r->next)
			*tail = pp;
		rd->queued--;
		gw_read_free(r);
		return 1;
	}
	return 0;
}

void
gw_reader_cancel(struct gw_reader *rd, const struct gw_worker *w, int fd,
    uint32_t gen)
{
	if (rd == NULL)
		return;
	pthread_mutex_lock(&rd->t.lock);
	/* Waiting or queued: its slot is free at once. In the thread's hand:
	 * remembered, and dropped if it would park (with no room to
	 * remember, it ends with its wait, as before). */
	if (!drop_from(rd, &rd->parked, NULL, w, fd, gen) &&
	    !drop_from(rd, &rd->head, &rd->tail, w, fd, gen) &&
	    rd->ncancels < READER_CANCELS) {
		rd->cancels[rd->ncancels].worker = w;
		rd->cancels[rd->ncancels].fd = fd;
		rd->cancels[rd->ncancels].gen = gen;
		rd->ncancels++;
	}
	pthread_mutex_unlock(&rd->t.lock);
}

static void *
reader_main(void *arg)
{
	struct gw_reader *rd = arg;
	int64_t next_poll = 0;

	pthread_setname_np(pthread_self(), "tether-reader");
	pthread_mutex_lock(&rd->t.lock);
	for (;;) {
		struct gw_read *fresh, *waiting = NULL, *r, *next, *done = NULL;
		struct gw_read **done_tail = &done;
		int64_t now = now_ms(), wake;

		/* Released (stopping), only parked reads end the wait at once:
		 * with none, the thread sleeps until the stop. */
		while (!rd->t.stop && rd->head == NULL &&
		    !(rd->released && rd->parked != NULL) &&
		    now < (wake = next_wake(rd, next_poll))) {
			if (wake == INT64_MAX) {
				pthread_cond_wait(&rd->t.cond, &rd->t.lock);
			} else {
				struct timespec ts = { .tv_sec = wake / 1000,
				    .tv_nsec = (wake % 1000) * 1000000L };

				pthread_cond_timedwait(&rd->t.cond,
				    &rd->t.lock, &ts);
			}
			now = now_ms();
		}
		if (rd->t.stop)
			break;
		wake = next_wake(rd, next_poll);
		fresh = rd->head;
		rd->head = NULL;
		rd->tail = &rd->head;
		/* A fresh read may park: a commit while it is being read must
		 * not find nobody waiting and skip its kick. */
		if (fresh != NULL)
			atomic_store(&rd->nparked, 1);
		if (rd->released || (rd->parked != NULL && now >= next_poll) ||
		    (rd->kicked && now >= rd->kicked_at + GW_APP_COALESCE_MS)) {
			/* Messages may have come: every parked read looks. */
			waiting = rd->parked;
			rd->parked = NULL;
			rd->kicked = 0;
			next_poll = now + GW_APP_POLL_MS;
		} else if (now >= wake) {
			/* Only some waits ended: those answer, the rest wait on
			 * (N streams' heartbeats are not N x N queries). */
			struct gw_read **pp = &rd->parked, **wt = &waiting;

			while ((r = *pp) != NULL) {
				if (r->until <= now) {
					*pp = r->next;
					*wt = r;
					wt = &r->next;
				} else {
					pp = &r->next;
				}
			}
			*wt = NULL;
		}
		pthread_mutex_unlock(&rd->t.lock);

		for (int pass = 0; pass < 2; pass++) {
			for (r = pass == 0 ? fresh : waiting; r != NULL; r = next) {
				next = r->next;
				now = now_ms();
				if (r->deadline <= now) {
					/* Its connection was answered 503. */
					pthread_mutex_lock(&rd->t.lock);
					rd->queued--;
					pthread_mutex_unlock(&rd->t.lock);
					gw_read_free(r);
					continue;
				}
				if (run_read(rd, r, pass == 0, now)) {
					*done_tail = r;
					done_tail = &r->next;
				} else {
					pthread_mutex_lock(&rd->t.lock);
					if (cancelled(rd, r)) {
						rd->queued--;
						gw_read_free(r);
					} else {
						r->next = rd->parked;
						rd->parked = r;
					}
					pthread_mutex_unlock(&rd->t.lock);
				}
			}
		}
		*done_tail = NULL;

		pthread_mutex_lock(&rd->t.lock);
		rd->ncancels = 0;	/* every read in hand is parked or done */
		atomic_store(&rd->nparked, rd->parked != NULL);
		for (r = done; r != NULL; r = next) {
			next = r->next;
			rd->queued--;
			if (rd->t.stop)		/* the workers may be gone */
				gw_read_free(r);
			else
				gw_worker_read_done(r->worker, r);
		}
		if (rd->t.stop)
			break;
	}
	gw_thread_exit(&rd->t);
	pthread_mutex_unlock(&rd->t.lock);
	return NULL;
}

struct gw_reader *
gw_reader_start(const struct gw_config *c, char *err)
{
	struct gw_reader *rd;
	char rerr[REG_ERR_LEN];

	if ((rd = calloc(1, sizeof(*rd))) == NULL) {
		snprintf(err, GW_ERR_LEN, "reader thread: out of memory");
		return NULL;
	}
	if (reg_open(&rd->store, c->db, c->key_file, rerr) < 0) {
		snprintf(err, GW_ERR_LEN, "%s", rerr);
		free(rd);
		return NULL;
	}
	reg_set_timeout(rd->store, c->registry_ms);	/* a read's deadline */
	rd->tail = &rd->head;
	if (gw_thread_start(&rd->t, reader_main, rd) < 0) {
		snprintf(err, GW_ERR_LEN, "cannot start the reader thread");
		reg_close(rd->store);
		free(rd);
		return NULL;
	}
	return rd;
}

int
gw_reader_submit(struct gw_reader *rd, struct gw_read *r)
{
	pthread_mutex_lock(&rd->t.lock);
	if (rd->queued >= GW_READ_QUEUE) {
		pthread_mutex_unlock(&rd->t.lock);
		return -1;
	}
	r->next = NULL;
	*rd->tail = r;
	rd->tail = &r->next;
	rd->queued++;
	pthread_cond_signal(&rd->t.cond);
	pthread_mutex_unlock(&rd->t.lock);
	return 0;
}

void
gw_reader_kick(void *arg)
{
	struct gw_reader *rd = arg;

	/* Every commit passes here: nobody waiting costs one load. */
	if (rd == NULL || !atomic_load(&rd->nparked))
		return;
	pthread_mutex_lock(&rd->t.lock);
	if (!rd->kicked) {
		rd->kicked = 1;
		rd->kicked_at = now_ms();
		pthread_cond_signal(&rd->t.cond);
	}
	pthread_mutex_unlock(&rd->t.lock);
}

void
gw_reader_release(struct gw_reader *rd)
{
	if (rd == NULL)
		return;
	pthread_mutex_lock(&rd->t.lock);
	rd->released = 1;
	pthread_cond_signal(&rd->t.cond);
	pthread_mutex_unlock(&rd->t.lock);
}

static void
free_chain(struct gw_read *r)
{
	struct gw_read *next;

	for (; r != NULL; r = next) {
		next = r->next;
		gw_read_free(r);
	}
}

void
gw_reader_stop(struct gw_reader *rd, int64_t deadline)
{
	int joined;

	if (rd == NULL)
		return;
	joined = gw_thread_stop(&rd->t, deadline);
	pthread_mutex_lock(&rd->t.lock);
	free_chain(rd->head);		/* nobody to answer */
	free_chain(rd->parked);
	rd->head = rd->parked = NULL;
	rd->tail = &rd->head;
	pthread_mutex_unlock(&rd->t.lock);
	if (!joined) {
		gw_log(GW_LOG_WARN, "reader_abandoned", "reason",
		    "the store has not answered a read; exiting without "
		    "waiting for it", NULL);
		abandoned = rd;
		return;
	}
	reg_close(rd->store);
	gw_thread_destroy(&rd->t);
	OPENSSL_cleanse(rd->refused, sizeof(rd->refused));
	free(rd);
}

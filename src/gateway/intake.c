/*
 * intake.c - durable message intake with group commit. Workers queue
 * messages; one thread takes everything queued, stores it in one
 * transaction (one fsync for the batch) and only then hands each outcome
 * back to its worker, which answers. While a batch commits, the next one
 * gathers, so many devices share one fsync without a timer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"

struct gw_intake {
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	struct gw_intake_item *head, **tail;
	atomic_size_t	 backlog;
	int		 stop;
	atomic_int	 healthy;
	struct reg_store *store;
	struct reg_message msgs[GW_MAX_BATCH];
	struct gw_intake_item *batch[GW_MAX_BATCH];
};

static void
commit_batch(struct gw_intake *in, size_t n)
{
	int status, ok;

	for (size_t i = 0; i < n; i++) {
		struct gw_intake_item *it = in->batch[i];

		in->msgs[i] = (struct reg_message){
			.device_id = it->device,
			.seq = it->seq,
			.body = it->body,
			.len = it->len,
			.peer = it->peer,
		};
	}
	ok = reg_store_messages(in->store, in->msgs, n) == 0;
	if (!ok) {
		char count[24];

		snprintf(count, sizeof(count), "%zu", n);
		gw_log(GW_LOG_ERROR, "store_failed", "messages", count,
		    "reason", reg_error(in->store),
		    "answer", "503 (nothing acknowledged)", NULL);
	} else if (!atomic_load(&in->healthy)) {
		gw_log(GW_LOG_INFO, "store_recovered", NULL);
	}
	atomic_store(&in->healthy, ok);
	/* Hand the outcomes back one chain per worker, in order: one lock
	 * and one wake-up per worker and batch, not per message. */
	for (size_t i = 0; i < n; i++) {
		struct gw_intake_item *it = in->batch[i], *last = it;

		if (it == NULL)
			continue;
		for (size_t j = i; j < n; j++) {
			struct gw_intake_item *jt = in->batch[j];

			if (jt == NULL || jt->worker != it->worker)
				continue;
			status = !ok ? 503 : in->msgs[j].duplicate ? 200 : 201;
			jt->status = status;
			if (jt != it)
				last = last->next = jt;
			in->batch[j] = NULL;
		}
		gw_worker_done(it->worker, it, last);
	}
}

static void *
intake_main(void *arg)
{
	struct gw_intake *in = arg;

	pthread_setname_np(pthread_self(), "tether-intake");

	pthread_mutex_lock(&in->lock);
	for (;;) {
		size_t n = 0;

		while (in->head == NULL && !in->stop)
			pthread_cond_wait(&in->cond, &in->lock);
		if (in->head == NULL && in->stop)
			break;
		while (in->head != NULL && n < GW_MAX_BATCH) {
			in->batch[n++] = in->head;
			in->head = in->head->next;
		}
		if (in->head == NULL)
			in->tail = &in->head;
		atomic_fetch_sub(&in->backlog, n);
		pthread_mutex_unlock(&in->lock);
		commit_batch(in, n);
		pthread_mutex_lock(&in->lock);
	}
	pthread_mutex_unlock(&in->lock);
	return NULL;
}

struct gw_intake *
gw_intake_start(const struct gw_config *c, char *err)
{
	struct gw_intake *in;
	char rerr[REG_ERR_LEN];

	if ((in = calloc(1, sizeof(*in))) == NULL) {
		snprintf(err, 256, "intake: out of memory");
		return NULL;
	}
	if (reg_open(&in->store, c->db, c->key_file, rerr) < 0) {
		snprintf(err, 256, "%s", rerr);
		free(in);
		return NULL;
	}
	pthread_mutex_init(&in->lock, NULL);
	pthread_cond_init(&in->cond, NULL);
	in->tail = &in->head;
	atomic_init(&in->healthy, 1);
	if (pthread_create(&in->thread, NULL, intake_main, in) != 0) {
		snprintf(err, 256, "intake: cannot start its thread");
		reg_close(in->store);
		free(in);
		return NULL;
	}
	return in;
}

void
gw_intake_submit(struct gw_intake *in, struct gw_intake_item *first,
    struct gw_intake_item *last, size_t n)
{
	last->next = NULL;
	pthread_mutex_lock(&in->lock);
	*in->tail = first;
	in->tail = &last->next;
	atomic_fetch_add(&in->backlog, n);
	pthread_cond_signal(&in->cond);
	pthread_mutex_unlock(&in->lock);
}

void
gw_intake_stop(struct gw_intake *in)
{
	if (in == NULL)
		return;
	pthread_mutex_lock(&in->lock);
	in->stop = 1;
	pthread_cond_signal(&in->cond);
	pthread_mutex_unlock(&in->lock);
	pthread_join(in->thread, NULL);
	reg_close(in->store);
	pthread_mutex_destroy(&in->lock);
	pthread_cond_destroy(&in->cond);
	free(in);
}

int
gw_intake_healthy(const struct gw_intake *in)
{
	return atomic_load(&in->healthy);
}

size_t
gw_intake_backlog(const struct gw_intake *in)
{
	return atomic_load(&((struct gw_intake *)in)->backlog);
}

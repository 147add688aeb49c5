/* SPDX-License-Identifier: MIT */
/*
 * thread.c - a thread the gateway may leave behind at a stop: one that
 * talks to the registry, which may hold it in a read that never returns.
 * Stopping waits for it until a deadline, then detaches it.
 */
#include <errno.h>
#include <time.h>

#include "gateway/gateway.h"

int
gw_thread_start(struct gw_thread *t, void *(*fn)(void *), void *arg)
{
	pthread_condattr_t ca;

	t->stop = t->exited = t->left = 0;
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &ca);	/* timed waits count monotonic ms */
	pthread_cond_init(&t->exit_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&t->thread, NULL, fn, arg) != 0) {
		gw_thread_destroy(t);
		return -1;
	}
	return 0;
}

/* see gateway.h */
void
gw_monotonic_in(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* see gateway.h */
int
gw_thread_sleep(struct gw_thread *t, int64_t ms)
{
	struct timespec ts;
	int stop;

	gw_monotonic_in(&ts, ms);
	pthread_mutex_lock(&t->lock);
	while (!t->stop)
		if (pthread_cond_timedwait(&t->cond, &t->lock, &ts) ==
		    ETIMEDOUT)
			break;
	stop = t->stop;
	pthread_mutex_unlock(&t->lock);
	return stop;
}

void
gw_thread_exit(struct gw_thread *t)
{
	t->exited = 1;
	pthread_cond_broadcast(&t->exit_cond);
}

int
gw_thread_stop(struct gw_thread *t, int64_t deadline)
{
	int exited;

	pthread_mutex_lock(&t->lock);
	t->stop = 1;
	pthread_cond_signal(&t->cond);
	while (!t->exited) {
		struct timespec ts = { .tv_sec = deadline / 1000,
		    .tv_nsec = (deadline % 1000) * 1000000L };

		if (pthread_cond_timedwait(&t->exit_cond, &t->lock, &ts) ==
		    ETIMEDOUT)
			break;
	}
	exited = t->exited;
	t->left = !exited;
	pthread_mutex_unlock(&t->lock);
	if (!exited) {
		pthread_detach(t->thread);
		return 0;
	}
	pthread_join(t->thread, NULL);
	return 1;
}

void
gw_thread_destroy(struct gw_thread *t)
{
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	pthread_cond_destroy(&t->exit_cond);
}

/* SPDX-License-Identifier: MIT */
/*
 * forward_int.h - what the forwarder (forward.c) and its two transports,
 * webhooks (forward_http.c) and MQTT (forward_mqtt.c), share: one
 * forwarder's state and a batch of messages on its way out.
 */
#ifndef GW_FORWARD_INT_H
#define GW_FORWARD_INT_H

#include <stdatomic.h>

#include <openssl/ssl.h>

#include "gateway/gateway.h"

struct mosquitto;

/* A message as it is delivered: the JSON line readers get (reg_row_json,
 * with its id and cursor), and the device it came from. */
struct fwd_row {
	char		 device[REG_ID_MAX];
	char		*line;		/* owned: free() */
	size_t		 len;
	/* A presence event (kind not 0): what MQTT publishes, retained, to
	 * PREFIX/<device>/presence, the state flat: {"event", "device",
	 * "at", "id", "reason", "node", "online"}. Owned: free(). */
	enum reg_kind	 kind;
	char		*state;
	size_t		 state_len;
};

struct fwd_batch {
	struct fwd_row	*rows;		/* cap entries */
	size_t		 n, cap;
	int		 failed;	/* out of memory while reading */
	char		 cursor[REG_CURSOR_TEXT];	/* after the last row */
	int64_t		 first_at;	/* the first row's received_at (unix ms) */
};

/* One forwarder: a thread, its registry handle, its receiver. */
struct fwd {
	struct gw_thread t;		/* t.lock guards the waits below */
	pthread_cond_t	 wake;		/* monotonic: kicks and the stop */
	atomic_int	 kicked;	/* messages were committed since the read */
	atomic_int	 sleeping;	/* waits on wake: a kick must signal */
	const struct gw_config *c;
	const char	*name;		/* the URL as configured: its key in the store */
	struct gw_fwd_url url;
	struct reg_store *store;	/* this thread's own handle */
	struct fwd	*next;
	/* for the metrics (gw_forward_stats): written by this thread */
	_Atomic uint64_t delivered, failures;
	atomic_int	 up;		/* the last attempt was acknowledged */
	/* received_at (unix ms) of the oldest message read and not yet
	 * acknowledged; 0: caught up at the last read */
	_Atomic int64_t	 waiting_since;
	/* messages after the cursor, counted at most every
	 * GW_FORWARD_COUNT_MS while behind; 0 once caught up */
	_Atomic long long backlog;
	int64_t		 counted_at;	/* monotonic ms of that count */

	/* webhooks */
	SSL_CTX		*ctx;		/* https:// only */
	SSL		*ssl;
	int		 fd;		/* -1: not connected */
	char		*reply;		/* GW_FORWARD_REPLY_MAX bytes */

	/* MQTT: the answers libmosquitto's callbacks report */
	struct mosquitto *mosq;		/* NULL: not connected */
	int		 connacked, connack_rc, lost;
	size_t		 acked;		/* PUBACKs of the batch in flight */
};

/*
 * A transport's calls: ready at the forwarder's start (0, or -1 with err:
 * the gateway does not start), delivers a batch and returns once the
 * receiver acknowledged every message of it (0), or -1 with a sentence
 * in err (GW_ERR_LEN) that names the receiver's side of the failure;
 * closes what it holds after a failure (and at the end).
 */
int fwd_http_init(struct fwd *f, char *err);
int fwd_http_deliver(struct fwd *f, const struct fwd_batch *b, char *err);
void fwd_http_close(struct fwd *f);
void fwd_http_free(struct fwd *f);

int fwd_mqtt_init(struct fwd *f, char *err);
int fwd_mqtt_deliver(struct fwd *f, const struct fwd_batch *b, char *err);
void fwd_mqtt_close(struct fwd *f);
/* Between batches: answers the broker's keepalive, notices a drop. */
void fwd_mqtt_idle(struct fwd *f);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * forward_mqtt.c - the MQTT transport (libmosquitto): each message of a
 * batch is published at QoS 1 to <prefix>/<device id>, its payload the
 * JSON line readers get; the batch is delivered once the broker sent a
 * PUBACK for every one. The client runs on the forwarder's own thread
 * (mosquitto_loop), with a clean session: after a failure a new client
 * publishes again from the stored cursor.
 *
 * Once connected, the thread runs libmosquitto's loop pieces itself
 * (poll, mosquitto_loop_read/_write/_misc) rather than mosquitto_loop:
 * the latter also selects on the library's wake-up socketpair, one byte
 * a publish, and so turned round once per message of a batch. With TLS
 * a batch's records are buffered (a BIO under libmosquitto's SSL) and
 * written at once, the socket corked meanwhile, and the reads read ahead
 * (many PUBACK records a read): the forwarder cost ~35 us of CPU a
 * message in syscalls before (bench/RESULTS.md, "Forwarding").
 */
#include <errno.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mosquitto.h>
#include <openssl/ssl.h>

#include "gateway/forward_int.h"

#define LOOP_MS		100	/* one mosquitto_loop wait */
#define TOPIC_MAX	(GW_FORWARD_URL_MAX + REG_ID_MAX + sizeof("/presence"))

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void
lib_init(void)
{
	mosquitto_lib_init();
}

static void
on_connect(struct mosquitto *m, void *arg, int rc)
{
	struct fwd *f = arg;

	(void)m;
	f->connacked = 1;
	f->connack_rc = rc;
}

static void
on_publish(struct mosquitto *m, void *arg, int mid)
{
	struct fwd *f = arg;

	(void)m;
	(void)mid;
	f->acked++;		/* QoS 1: the broker's PUBACK */
}

static void
on_disconnect(struct mosquitto *m, void *arg, int rc)
{
	struct fwd *f = arg;

	(void)m;
	(void)rc;
	f->lost = 1;
}

/*
 * One turn of libmosquitto's loop. The broker writes a PUBACK at a time,
 * and Nagle holds all but the first until our ACK, which the kernel
 * delays up to 40 ms: ACK at once (a batch of 100 took 44 ms, not 1).
 */
static int
connect_loop(struct fwd *f, int ms)
{
	int one = 1, fd = mosquitto_socket(f->mosq);

	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	return mosquitto_loop(f->mosq, ms, 1);
}

/* Records read ahead and not yet handed to libmosquitto: the socket says
 * nothing of them, so they are read without waiting. */
static int
tls_pending(struct fwd *f)
{
	SSL *ssl = f->url.scheme == GW_FWD_MQTTS ? mosquitto_ssl_get(f->mosq) :
	    NULL;

	return ssl != NULL && SSL_has_pending(ssl);
}

/* Writes out what the buffer holds: 1 when some is left (the socket is
 * full), 0 when empty, -1 on an error. */
static int
flush(struct fwd *f)
{
	/* Looked up each time: libmosquitto frees the SSL, and the buffer
	 * with it, whenever it closes the connection. */
	SSL *ssl = f->url.scheme == GW_FWD_MQTTS ? mosquitto_ssl_get(f->mosq) :
	    NULL;
	BIO *b = ssl != NULL ? SSL_get_wbio(ssl) : NULL;

	if (b == NULL || BIO_method_type(b) != BIO_TYPE_BUFFER ||
	    BIO_wpending(b) == 0)
		return 0;
	if (BIO_flush(b) == 1)
		return 0;
	return BIO_should_retry(b) ? 1 : -1;
}

/* One turn once connected: waits up to ms for the broker, reads what it
 * sent, writes what is queued, keeps the connection alive. */
static int
loop_once(struct fwd *f, int ms)
{
	struct pollfd p = { .fd = mosquitto_socket(f->mosq), .events = POLLIN };
	int one = 1, rc, left;

	if (p.fd < 0)
		return MOSQ_ERR_NO_CONN;
	if ((left = flush(f)) < 0)
		return MOSQ_ERR_CONN_LOST;
	if (left || mosquitto_want_write(f->mosq))
		p.events |= POLLOUT;
	/* Records read ahead wait in OpenSSL, not the socket: look again
	 * soon. Not at once: with read-ahead a part of a record counts as
	 * pending too, and its rest may be a round trip away. */
	if (tls_pending(f) && ms > 1)
		ms = 1;
	if (poll(&p, 1, ms) < 0 && errno != EINTR)
		return MOSQ_ERR_ERRNO;
	if ((p.revents & (POLLIN | POLLERR | POLLHUP)) || tls_pending(f)) {
		setsockopt(p.fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		if ((rc = mosquitto_loop_read(f->mosq, 1)) != MOSQ_ERR_SUCCESS)
			return rc;
	}
	if (mosquitto_want_write(f->mosq) &&
	    (rc = mosquitto_loop_write(f->mosq, 1)) != MOSQ_ERR_SUCCESS)
		return rc;
	if ((rc = mosquitto_loop_misc(f->mosq)) != MOSQ_ERR_SUCCESS)
		return rc;
	return flush(f) < 0 ? MOSQ_ERR_CONN_LOST : MOSQ_ERR_SUCCESS;
}

/* TCP_CORK on (1) while a batch is published, off (0) to send it. */
static void
cork(struct fwd *f, int on)
{
	int fd = mosquitto_socket(f->mosq);

	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
}

static const char *
mqtt_error(int rc)
{
	return rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
}

/* see forward_int.h */
int
fwd_mqtt_init(struct fwd *f, char *err)
{
	(void)f;
	(void)err;
	pthread_once(&lib_once, lib_init);
	return 0;
}

/* see forward_int.h */
void
fwd_mqtt_close(struct fwd *f)
{
	if (f->mosq == NULL)
		return;
	/* the TLS close_notify flushes the buffered DISCONNECT */
	if (!f->lost)
		mosquitto_disconnect(f->mosq);
	mosquitto_destroy(f->mosq);	/* frees the buffer with the SSL */
	f->mosq = NULL;
}

/* The TLS handshake failed: libmosquitto says no more than that. */
static void
tls_failed(struct fwd *f, char *err)
{
	snprintf(err, GW_ERR_LEN, "the TLS handshake with the MQTT broker at "
	    "%.60s:%d failed: its certificate was refused, or it takes no "
	    "TLS 1.2 (if a private CA signed it, give it with --forward-ca "
	    "FILE)", f->url.host, f->url.port);
}

/* Once the handshake is over: reads ahead, and writes through a buffer
 * that loop_once flushes (without one, each publish is a write). */
static void
tls_batching(SSL *ssl)
{
	BIO *sock = SSL_get_wbio(ssl), *buf;

	SSL_set_read_ahead(ssl, 1);
	if (sock == NULL || (buf = BIO_new(BIO_f_buffer())) == NULL)
		return;
	if (BIO_set_write_buffer_size(buf, 64 * 1024) != 1 ||
	    !BIO_up_ref(sock)) {
		BIO_free(buf);
		return;		/* unbuffered: slower, no less right */
	}
	BIO_push(buf, sock);	/* buf holds the reference just taken */
	SSL_set0_wbio(ssl, buf);	/* drops the SSL's own one to sock */
}

static int
mqtt_connect(struct fwd *f, char *err)
{
	const char *ca = f->c->forward_ca;
	char id[64];
	int64_t deadline;
	int rc;

	snprintf(id, sizeof(id), "tether-%08x-%d",
	    (unsigned)reg_hash_id(f->name), (int)getpid());
	f->connacked = f->connack_rc = f->lost = 0;
	if ((f->mosq = mosquitto_new(id, true, f)) == NULL) {
		snprintf(err, GW_ERR_LEN, "cannot make an MQTT client: %s",
		    strerror(errno));
		return -1;
	}
	mosquitto_int_option(f->mosq, MOSQ_OPT_PROTOCOL_VERSION,
	    MQTT_PROTOCOL_V311);
	mosquitto_int_option(f->mosq, MOSQ_OPT_TCP_NODELAY, 1);
	mosquitto_max_inflight_messages_set(f->mosq,
	    (unsigned)f->c->forward_batch);
	mosquitto_connect_callback_set(f->mosq, on_connect);
	mosquitto_publish_callback_set(f->mosq, on_publish);
	mosquitto_disconnect_callback_set(f->mosq, on_disconnect);
	if (f->url.scheme == GW_FWD_MQTTS &&
	    ((rc = mosquitto_tls_set(f->mosq, ca, ca != NULL ? NULL :
	    "/etc/ssl/certs", NULL, NULL, NULL)) != MOSQ_ERR_SUCCESS ||
	    (rc = mosquitto_tls_opts_set(f->mosq, 1, "tlsv1.2", NULL)) !=
	    MOSQ_ERR_SUCCESS)) {
		snprintf(err, GW_ERR_LEN, "cannot set up TLS for MQTT: %s",
		    mqtt_error(rc));
		goto fail;
	}
	if ((rc = mosquitto_connect(f->mosq, f->url.host, f->url.port,
	    GW_FORWARD_MQTT_KEEPALIVE)) != MOSQ_ERR_SUCCESS) {
		if (rc == MOSQ_ERR_TLS)
			tls_failed(f, err);
		else
			snprintf(err, GW_ERR_LEN, "cannot connect to the MQTT "
			    "broker at %.100s:%d: %s", f->url.host, f->url.port,
			    mqtt_error(rc));
		goto fail;
	}
	deadline = reg_mono_us() / 1000 + GW_FORWARD_IO_MS;
	while (!f->connacked) {
		if ((rc = connect_loop(f, LOOP_MS)) !=
		    MOSQ_ERR_SUCCESS) {
			/* with TLS, the handshake ends in the loop */
			if (rc == MOSQ_ERR_TLS ||
			    (f->url.scheme == GW_FWD_MQTTS && !f->connacked))
				tls_failed(f, err);
			else
				snprintf(err, GW_ERR_LEN, "the MQTT broker at "
				    "%.100s:%d closed the connection before it "
				    "answered: %s", f->url.host, f->url.port,
				    mqtt_error(rc));
			goto fail;
		}
		if (reg_mono_us() / 1000 > deadline) {
			snprintf(err, GW_ERR_LEN, "the MQTT broker at %.100s:%d "
			    "did not answer the connection within "
			    GW_STR(GW_FORWARD_IO_MS) "ms", f->url.host,
			    f->url.port);
			goto fail;
		}
	}
	if (f->connack_rc != 0) {
		snprintf(err, GW_ERR_LEN, "the MQTT broker refused the "
		    "connection: %s", mosquitto_connack_string(f->connack_rc));
		goto fail;
	}
	if (f->url.scheme == GW_FWD_MQTTS && mosquitto_ssl_get(f->mosq) != NULL)
		tls_batching(mosquitto_ssl_get(f->mosq));
	return 0;
fail:
	f->lost = 1;
	fwd_mqtt_close(f);
	return -1;
}

/* see forward_int.h */
void
fwd_mqtt_idle(struct fwd *f)
{
	int rc;

	/* keepalive: a client the broker does not hear from is dropped */
	if (f->mosq != NULL && ((rc = loop_once(f, 0)) !=
	    MOSQ_ERR_SUCCESS || f->lost)) {
		gw_log(GW_LOG_DEBUG, "forward_idle_closed", "forwarder",
		    f->name, "reason", rc != MOSQ_ERR_SUCCESS ? mqtt_error(rc) :
		    "the broker disconnected", NULL);
		f->lost = 1;
		fwd_mqtt_close(f);
	}
}

/* see forward_int.h */
int
fwd_mqtt_deliver(struct fwd *f, const struct fwd_batch *b, char *err)
{
	char topic[TOPIC_MAX];
	int64_t deadline;
	int rc;

	if (f->mosq == NULL && mqtt_connect(f, err) < 0)
		return -1;
	f->acked = 0;
	cork(f, 1);
	for (size_t i = 0; i < b->n; i++) {
		const struct fwd_row *r = &b->rows[i];
		int event = r->kind != REG_KIND_MESSAGE && r->state != NULL;

		/* an event: the device's state, retained, so a subscriber
		 * that comes later learns it at once */
		snprintf(topic, sizeof(topic), "%s/%s%s", f->url.path,
		    r->device, event ? "/presence" : "");
		if ((rc = mosquitto_publish(f->mosq, NULL, topic,
		    (int)(event ? r->state_len : r->len),
		    event ? r->state : r->line, 1, event)) !=
		    MOSQ_ERR_SUCCESS) {
			snprintf(err, GW_ERR_LEN, "cannot publish to the MQTT "
			    "broker: %s", mqtt_error(rc));
			return -1;
		}
	}
	if (flush(f) < 0) {
		snprintf(err, GW_ERR_LEN, "cannot write to the MQTT broker: %s",
		    strerror(errno));
		return -1;
	}
	cork(f, 0);
	deadline = reg_mono_us() / 1000 + GW_FORWARD_IO_MS;
	while (f->acked < b->n) {
		if ((rc = loop_once(f, LOOP_MS)) !=
		    MOSQ_ERR_SUCCESS || f->lost) {
			snprintf(err, GW_ERR_LEN, "lost the connection to the MQTT "
			    "broker with %zu of %zu messages acknowledged: %s",
			    f->acked, b->n, rc != MOSQ_ERR_SUCCESS ?
			    mqtt_error(rc) : "it disconnected");
			f->lost = 1;
			return -1;
		}
		if (reg_mono_us() / 1000 > deadline) {
			snprintf(err, GW_ERR_LEN, "the MQTT broker acknowledged "
			    "%zu of %zu messages within " GW_STR(GW_FORWARD_IO_MS)
			    "ms", f->acked, b->n);
			return -1;
		}
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * limits.h - every limit of the gateway, named, in one place. Flags and the
 * config file override the ones marked "default".
 */
#ifndef GW_LIMITS_H
#define GW_LIMITS_H

#define GW_MAX_HEAD		8192	/* request line + headers, bytes */
#define GW_MAX_HEADERS		32	/* header fields per request */
#define GW_MAX_TARGET		1024	/* request-target, bytes */
#define GW_DEFAULT_MAX_BODY	16384	/* default: message body, bytes */
#define GW_MAX_BODY_LIMIT	(1 << 20) /* --max-body cannot exceed this */
#define GW_DEFAULT_MAX_CONN	16384	/* default: open connections */
#define GW_DEFAULT_MAX_HANDSHAKES 4096	/* default: of them before TLS is up */
#define GW_DEFAULT_HANDSHAKE_MS	10000	/* default: TLS handshake */
#define GW_DEFAULT_HEAD_MS	10000	/* default: first byte to end of head */
#define GW_DEFAULT_BODY_MS	10000	/* default: end of head to end of body */
#define GW_DEFAULT_IDLE_MS	300000	/* default: keep-alive idle */
#define GW_DEFAULT_DRAIN_MS	10000	/* default: SIGTERM grace for in-flight */
#define GW_DEFAULT_SESSION_SAVE_MS 60000 /* default: session file, if changed */
/* Per device: messages a second on average, and how many at once above
 * that (a device back from a long outage sends its queue); beyond, 429. */
#define GW_DEFAULT_DEVICE_RATE	20
#define GW_DEFAULT_DEVICE_BURST	200
#define GW_RATE_SLOTS		65536	/* devices the limiter tracks at once */
#define GW_MAX_BATCH		1024	/* messages in one group commit */
#define GW_SLOW_STORE_MS	500	/* a commit or flush this long is logged */
#define GW_SLOW_STORE_EVERY_MS	10000	/* at most one such line this often */
#define GW_STORE_PROBE_MS	1000	/* a failed store is asked this often */
/* Presence (presence.c): changes one commit writes at most, how long a
 * change waits for a batch of messages to ride before it is committed on
 * its own, the changes queued at most while the store does not take
 * them, and the table's first size (it doubles as devices connect). */
#define GW_PRESENCE_BATCH	1024
#define GW_PRESENCE_DELAY_MS	100
#define GW_PRESENCE_QUEUE_MAX	(1 << 20)
#define GW_PRESENCE_BUCKETS	1024
/* Log lines above debug, per event: a burst, then so many a second; what
 * is left out is counted in a log_suppressed line at the event's next line
 * or GW_LOG_SUMMARY_MS after the first left out. */
#define GW_LOG_BURST		100
#define GW_LOG_PER_S		10
#define GW_LOG_SUMMARY_MS	5000
#define GW_LOG_CLASSES		128	/* events tracked (tether has ~50) */
/* Failed authentications on one connection: at this many, the 401 closes
 * it (a device with a wrong credential does not get better by retrying
 * on the same connection; a guesser must pay a handshake each time). */
#define GW_MAX_AUTH_FAILURES	3
#define GW_MAX_LISTEN		16	/* --listen addresses */
#define GW_MAX_CERTS		16	/* --cert/--key pairs */
#define GW_MAX_RENEWALS		1024	/* SIGHUP renewals until a restart
					 * (each keeps its old state until exit) */
#define GW_MAX_WORKERS		64	/* event loops */
#define GW_DEFAULT_REGISTRY_MS	3000	/* default: a credential lookup, then 503 */
#define GW_LOOKUP_QUEUE		1024	/* lookups waiting: more, 503 at once */
#define GW_NEGCACHE_SLOTS	4096	/* unknown credentials remembered */
#define GW_NEGCACHE_MS		5000	/* ... for this long (or a registry change) */
#define GW_STOP_GRACE_MS	200	/* at a stop, least wait for a registry thread */
#define GW_REVOKE_POLL_MS	200	/* registry change feed poll interval */
#define GW_SESSION_CACHE_MAX	20480	/* TLS sessions kept, resumed by id */
/* A TLS 1.2 server session is 120-250 bytes of DER: no peer certificate
 * (devices authenticate with a credential, not a client certificate).
 * Anything far bigger is not a session we made for a device; it is not
 * kept, and its client does a full handshake. */
#define GW_SESSCACHE_DER_MAX	2048	/* bytes */
#define GW_SESSCACHE_BUCKETS	256	/* session buckets at start; doubles */
#define GW_SESSCACHE_PURGE	16	/* expired sessions dropped a store */
#define GW_DEVCACHE_MIN		1024	/* device cache slots at start */
#define GW_DEVCACHE_MAX		(1u << 22) /* ... at most: then start over */
#define GW_LISTEN_BACKLOG	4096	/* listen(2) */
#define GW_TICK_MS		100	/* deadline sweep interval */
#define GW_EVENTS		256	/* epoll events per wait */
#define GW_ACCEPTS		64	/* accepts per listener per wake */
/* Smallest request buffer: most requests fit, and at 1 KiB it stays in
 * glibc's per-thread cache (tcache serves up to 1032 bytes), which a
 * buffer made and freed for every message hits instead of the bins. */
#define CONN_IN_FIRST		1024
#define CONN_OUT_FIRST		512	/* first response buffer */
#define GW_MAX_BACKLOG		65536	/* messages queued at the intake: more, 503 */
/* The application API (docs/app-api.md). */
#define GW_DEFAULT_APP_LISTEN	"127.0.0.1:8444"
#define GW_DEFAULT_ADMIN_LISTEN	"127.0.0.1:9464"	/* Prometheus' own port
							 * range for exporters */
#define GW_APP_LIMIT		100	/* default: messages one read gives */
#define GW_APP_MAX_LIMIT	5000	/* limit= at most */
#define GW_APP_MAX_WAIT_MS	60000	/* wait= at most */
#define GW_APP_MAX_BYTES	(4 << 20) /* a read's answer stops past this */
#define GW_APP_POLL_MS		1000	/* a waiting read looks again this often
					 * (other nodes' commits; local ones
					 * wake it at once) */
#define GW_APP_COALESCE_MS	20	/* a commit wakes waiting reads this
					 * much later, with what came meanwhile */
#define GW_APP_HEARTBEAT_MS	15000	/* an idle stream sends a comment */
#define GW_READ_QUEUE		1024	/* reads queued or waiting: more, 503 */
#define GW_ERR_LEN		256	/* every err buffer of the gateway's calls */
#define GW_PEER_MAX		64	/* "ip:port", "[ip6]:port", with NUL */
/* Retry-After, seconds: the store or the registry is unavailable, and the
 * gateway is busy (its queues are full, it is out of memory). */
#define GW_RETRY_UNAVAILABLE_S	5
#define GW_RETRY_BUSY_S		1
#define GW_STR_(x)		#x
#define GW_STR(x)		GW_STR_(x)
#define GW_RETRY_UNAVAILABLE	"Retry-After: " GW_STR(GW_RETRY_UNAVAILABLE_S) "\r\n"
#define GW_RETRY_BUSY		"Retry-After: " GW_STR(GW_RETRY_BUSY_S) "\r\n"

/* Forwarding (forward.c, docs/forwarding.md). */
#define GW_MAX_FORWARD		8	/* --forward URLs */
#define GW_FORWARD_URL_MAX	512	/* a URL, with NUL (REG_FORWARDER_MAX) */
#define GW_FORWARD_BATCH	100	/* messages a webhook post carries */
#define GW_FORWARD_BATCH_MAX	1000	/* --forward-batch, at most */
#define GW_FORWARD_POLL_MS	200	/* looks for new messages at least this often */
#define GW_FORWARD_SAVE_MS	1000	/* stores its cursor at least this often while busy */
#define GW_FORWARD_COUNT_MS	5000	/* counts its backlog at most this often while behind */
#define GW_FORWARD_RETRY_MIN_MS	100	/* first retry; doubles ... */
#define GW_FORWARD_RETRY_MAX_MS	30000	/* ... up to this */
#define GW_FORWARD_IO_MS	10000	/* connect, send, an answer: each */
#define GW_FORWARD_REPLY_MAX	16384	/* a receiver's answer head, bytes */
#define GW_FORWARD_MQTT_KEEPALIVE 30	/* seconds */
/* Retention (retain.c): a round every GW_RETAIN_PERIOD_MS deletes old
 * messages GW_RETAIN_BATCH at a time (one short transaction each), with
 * a pause between batches so that intake's commits come in between. */
#define GW_RETAIN_PERIOD_MS	5000
#define GW_RETAIN_BATCH		1000
#define GW_RETAIN_PAUSE_MS	20
#define GW_RETAIN_HELD_LOG_MS	600000	/* "held" again at most this often */
/* Commands to devices (sweep.c): expired ones are marked every
 * GW_SWEEP_PERIOD_MS (never delivered in between either way). */
#define GW_SWEEP_PERIOD_MS	2000

#endif

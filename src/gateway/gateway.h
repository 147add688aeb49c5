/* SPDX-License-Identifier: MIT */
/*
 * gateway.h - the gateway's internal interface, sectioned by file (the
 * shape of OpenBSD httpd's httpd.h): the configuration, the log, the
 * worker loops, connections, routes, the intake (group commit) and the
 * device cache.
 */
#ifndef GW_GATEWAY_H
#define GW_GATEWAY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/http.h"
#include "gateway/limits.h"
#include "gateway/tls.h"
#include "registry/registry.h"

/* config.c */

struct gw_config {
	const char	*listen[GW_MAX_LISTEN];	/* "127.0.0.1:8443", "[::1]:8443" */
	size_t		 nlisten;
	/* Devices' addresses behind a balancer that sends the PROXY
	 * protocol header first (HAProxy's send-proxy-v2). */
	const char	*proxy_listen[GW_MAX_LISTEN];
	size_t		 nproxy_listen;
	/* The application API's addresses; none given: 127.0.0.1:8444,
	 * unless app_off ("--app-listen off"). */
	const char	*app_listen[GW_MAX_LISTEN];
	size_t		 napp_listen;
	int		 app_off;
	const char	*admin_listen;	/* metrics; NULL: none (with admin_set) */
	int		 admin_set;	/* else GW_DEFAULT_ADMIN_LISTEN */
	struct gw_tls_pair certs[GW_MAX_CERTS];
	size_t		 ncerts;
	const char	*db;		/* SQLite path */
	const char	*key_file;	/* registry key, NULL: "<db>.key" */
	int		 no_create;	/* no db file: exit, not make one */
	const char	*state_dir;	/* development certificates */
	enum gw_profile	 profile;
	int		 workers;	/* event loops; 0: one per core */
	int		 max_conn;
	int		 max_handshakes;	/* before TLS is up, at most */
	size_t		 max_body;
	int		 device_rate;	/* messages/s per device; 0: no limit */
	int		 device_burst;
	int		 handshake_ms, head_ms, body_ms, idle_ms, drain_ms;
	int		 registry_ms;	/* a credential lookup's deadline */
	int		 session_save_ms;	/* the session file's period */
	int		 log_json;
	int		 log_debug;
	const char	*forward[GW_MAX_FORWARD];	/* --forward URLs */
	size_t		 nforward;
	const char	*forward_ca;	/* NULL: the system's trust store */
	int		 forward_batch;	/* messages a webhook post carries */
	int64_t		 retain_ms;	/* --retain; 0: keep every message */
	/* SIGHUP: the configuration again (the config file read anew, the
	 * command line over it), into fresh, its text in *storage (freed by
	 * the caller); 0, or -1 with a sentence in err (GW_ERR_LEN). NULL:
	 * no config file, SIGHUP reads only the certificates again. */
	int		(*reread)(struct gw_config *fresh, char **storage,
			    char *err);
	const char	*node;		/* --node; NULL: gw_config_node's */
	int		 presence_off;	/* --presence off */
};

/*
 * reload.c: what a SIGHUP may change in a running gateway. Writes into
 * names (len bytes) the options that differ between running and fresh
 * but are read at start only (addresses, the database, workers, limits,
 * timeouts, logging, forwarding, retention), comma-separated; returns
 * how many. The certificates and the profile change live.
 */
int gw_config_fixed_changes(const struct gw_config *running,
    const struct gw_config *fresh, char *names, size_t len);

/* The node's name: --node, else the host name, ':' and the port of the
 * first device listener (out: REG_NODE_MAX bytes). */
void gw_config_node(const struct gw_config *c, char *out);

/* Fills in the defaults (`tether serve` with no arguments). */
void gw_config_defaults(struct gw_config *c);

/*
 * Sets one option by its long name ("listen", "cert", "max-body", ...) to
 * value, as given on the command line or in the config file. value must
 * stay valid while c is used. Returns 0, or -1 with a sentence in err
 * (GW_ERR_LEN bytes).
 */
int gw_config_set(struct gw_config *c, const char *name, const char *value,
    char *err);

/* 1 if name is an option that takes no value ("debug", "json-log"). */
int gw_config_is_flag(const char *name);

/*
 * Reads a config file: one "name value" or "name = value" per line, '#'
 * comments, the names of the long options (the grammar: docs/cmd-serve.md).
 * Relative paths are taken from the file's directory. Lines are kept in
 * storage the caller frees with free() after the config is no longer used
 * (also after -1). Returns 0 or -1 with "file:line: sentence" in err.
 */
int gw_config_load(struct gw_config *c, const char *path, char **storage,
    char *err);

/* The same for a file's text (len bytes, copied; a NUL byte is refused),
 * read as if from path: what gw_config_load does once it has read it. */
int gw_config_parse(struct gw_config *c, const char *path, const char *text,
    size_t len, char **storage, char *err);

/* Checks the whole configuration once it is set. 0 or -1 with err. */
int gw_config_check(const struct gw_config *c, char *err);

/* The help text of the options, for `tether serve --help`. */
extern const char gw_config_help[];

/* log.c: one line per event, logfmt (default) or JSON, to stderr. */

enum gw_log_level { GW_LOG_DEBUG, GW_LOG_INFO, GW_LOG_WARN, GW_LOG_ERROR };

void gw_log_init(int json, int debug);
/* 1 if gw_log would write a line at this level (debug only with --debug):
 * for callers that would format a value just for the line. */
int gw_log_enabled(enum gw_log_level level);
/* gw_log(level, event, key, value, key, value, ..., NULL): values are
 * strings, quoted and escaped as needed. Never pass a credential. */
void gw_log(enum gw_log_level level, const char *event, ...)
    __attribute__((sentinel));
/* Writes the log_suppressed lines owed for events quiet since
 * GW_LOG_SUMMARY_MS (the workers call it at each tick; one load when
 * nothing was left out). */
void gw_log_flush_suppressed(void);

/* server.c: runs the gateway until SIGTERM/SIGINT. */

int gw_serve(const struct gw_config *c, char *err);

/* devcache.c: credential hash -> device, for active devices only. */

struct gw_devcache;

struct gw_devcache *gw_devcache_new(void);
void gw_devcache_free(struct gw_devcache *dc);
/* 1 and id filled if hash is a cached active device, else 0. */
int gw_devcache_get(struct gw_devcache *dc, const uint8_t hash[REG_HASH_LEN],
    char id[REG_ID_MAX]);
void gw_devcache_put(struct gw_devcache *dc, const uint8_t hash[REG_HASH_LEN],
    const char *id);
/* Drops every entry of device id. */
void gw_devcache_forget(struct gw_devcache *dc, const char *id);

/*
 * presence.c: which devices hold a connection to this node, and the
 * changes the intake writes with its next batch (connected, disconnected
 * with a reason). Any thread; a NULL presence (--presence off) takes
 * every call and does nothing.
 */
struct gw_presence;

struct gw_presence_event {
	char		 device[REG_ID_MAX];
	enum reg_kind	 kind;
	const char	*reason;	/* a string literal; NULL: connected */
	int64_t		 at;		/* unix ms */
};

struct gw_presence *gw_presence_new(const char *node);
void gw_presence_free(struct gw_presence *p);
const char *gw_presence_node(const struct gw_presence *p);
/* fn(arg) when a change is queued to an empty queue (the intake's wake-up);
 * called without the presence lock held. */
void gw_presence_on_change(struct gw_presence *p, void (*fn)(void *),
    void *arg);
/* A connection became device id's / a connection of id closed for
 * reason ("closed", "idle timeout", "revoked", ...). */
void gw_presence_up(struct gw_presence *p, const char *id);
void gw_presence_down(struct gw_presence *p, const char *id,
    const char *reason);
/* Takes up to max queued changes, oldest first (out NULL: none), and sets
 * *oldest (may be NULL) to the time of the oldest queued (0: none). */
size_t gw_presence_take(struct gw_presence *p, struct gw_presence_event *out,
    size_t max, int64_t *oldest);
/* Puts back what a failed commit took, at the front, in order. */
void gw_presence_untake(struct gw_presence *p,
    const struct gw_presence_event *ev, size_t n);
/* Queues connected for every device here (the store lost this node). */
void gw_presence_reannounce(struct gw_presence *p);
/* Devices with a connection here. */
size_t gw_presence_count(struct gw_presence *p);

/* intake.c: the group-commit thread. */

struct gw_worker;
struct gw_conn;

enum gw_outcome {
	GW_UNAVAILABLE,		/* not stored: the store failed */
	GW_STORED,
	GW_DUPLICATE,		/* stored before (same device and seq) */
	GW_RATE_LIMITED,	/* not stored: the device sends too fast */
};

/* A message on its way to the store, and back with its outcome. */
struct gw_intake_item {
	struct gw_intake_item *next;
	struct gw_worker *worker;	/* to answer */
	int		 fd;		/* connection, with gen to tell reuse */
	uint32_t	 gen;
	/* The protocol's answer, called on the worker's thread with the
	 * outcome if the connection still waits for it. */
	void		(*answer)(struct gw_worker *w, struct gw_conn *c,
			    const struct gw_intake_item *it);
	enum gw_outcome	 outcome;	/* out */
	int		 retry_after;	/* out, with GW_RATE_LIMITED: seconds */
	char		 device[REG_ID_MAX];
	char		 peer[GW_PEER_MAX];
	int64_t		 seq;
	/* Commands (docs/protocol.md): X-Tether-Command-Ack (0: none) and
	 * X-Tether-Commands (0: the device takes none); out, the command
	 * for the answer (cmd_id 0: none), its payload at body + len. */
	int64_t		 cmd_ack;
	size_t		 cmd_max;
	int64_t		 cmd_id;
	size_t		 cmd_len;
	int		 cmd_acked;	/* out: the ack changed a command */
	int		 cmd_rejected;	/* out: pending ones too large */
	size_t		 len;
	unsigned char	 body[];	/* len bytes, then min(cmd_max,
					 * REG_COMMAND_LIMIT) for the command */
};

struct gw_intake;

/* With presence (may be NULL: off), the node is recorded as started
 * before this returns (what an earlier run left is told as disconnected),
 * beaten every REG_NODE_BEAT_MS, and its changes written with the
 * batches; at the stop its remaining rows go ("shutdown"). presence must
 * outlive the intake (and a commit left behind). */
struct gw_intake *gw_intake_start(const struct gw_config *c,
    struct gw_presence *presence, char *err);
/* Hands a chain of n items (first..last, linked by next) to the intake;
 * each comes back through gw_worker_done(). */
void gw_intake_submit(struct gw_intake *in, struct gw_intake_item *first,
    struct gw_intake_item *last, size_t n);
/* Lets the committer answer what is queued and stops it, waiting until
 * deadline (ms, reg_mono_us()/1000) at most: one stuck in a commit is
 * left behind and answers nobody (thread.c). Before the workers are
 * freed. 1: joined (also for NULL); 0: left behind. */
int gw_intake_stop(struct gw_intake *in, int64_t deadline);
/* 1 when the last commit succeeded and none has been running for longer
 * than --registry-timeout (for /v1/health). */
int gw_intake_healthy(const struct gw_intake *in);
/* Calls fn(arg) on the intake's threads as each commit's outcomes are
 * handed back: fn must be quick (signal, no I/O), and what it uses must
 * outlive gw_intake_stop. Before the workers start; at most
 * GW_INTAKE_HOOKS. */
#define GW_INTAKE_HOOKS	4
void gw_intake_on_commit(struct gw_intake *in, void (*fn)(void *), void *arg);
/* Number of items waiting (for back-pressure). */
size_t gw_intake_backlog(const struct gw_intake *in);

/*
 * thread.c: a thread that talks to the registry and may be left behind at
 * a stop. It holds lock while it looks at stop, and touches nothing but
 * its own state once stop is set: whatever it does to the workers or the
 * caches it does under lock, after checking stop.
 */
struct gw_thread {
	pthread_t	 thread;
	pthread_mutex_t	 lock;		/* guards stop, exited, and the user's */
	pthread_cond_t	 cond;		/* signalled at the stop (and by the user);
					 * CLOCK_MONOTONIC for timed waits */
	pthread_cond_t	 exit_cond;
	int		 stop, exited;
	int		 left;		/* under lock: the stop gave up waiting */
};

/* ts = CLOCK_MONOTONIC now + ms: the deadline of a timed wait on a
 * monotonic condition variable. */
void gw_monotonic_in(struct timespec *ts, int64_t ms);
/* From the thread: waits ms, or until the stop (t->cond); 1 when
 * stopped. */
int gw_thread_sleep(struct gw_thread *t, int64_t ms);
/* Starts fn(arg) on t. 0, or -1 (nothing to destroy). */
int gw_thread_start(struct gw_thread *t, void *(*fn)(void *), void *arg);
/* From the thread, under lock, as it returns. */
void gw_thread_exit(struct gw_thread *t);
/* Sets stop, signals cond, waits for the thread until deadline (ms,
 * reg_mono_us()/1000). 1: joined (then gw_thread_destroy); 0: left
 * behind, detached: what it uses must never be freed. */
int gw_thread_stop(struct gw_thread *t, int64_t deadline);
void gw_thread_destroy(struct gw_thread *t);

/* auth.c: the lookup thread, for credentials no cache knows. */

struct gw_auth;
struct gw_lookup;

/* Starts the lookup thread with its own registry handle; found devices
 * go into dc (linked in, must outlive it). NULL with err on failure. */
struct gw_auth *gw_auth_start(const struct gw_config *c,
    struct gw_devcache *dc, char *err);
/* Stops the thread, waiting for it until deadline (ms, reg_mono_us/1000)
 * at most: one stuck in a registry that does not answer is left behind,
 * touching nothing once stopped. Before the workers are freed. */
void gw_auth_stop(struct gw_auth *a, int64_t deadline);
/* A device changed in the registry: forget the unknown credentials. */
void gw_auth_forget_unknown(struct gw_auth *a);

/* worker.c: one event loop per thread. */

/* What the workers share. */
struct gw_shared {
	const struct gw_config *config;
	struct gw_tls	*tls;		/* swapped at SIGHUP (__atomic) */
	struct gw_intake *intake;
	struct gw_devcache *devcache;
	struct gw_auth	*auth;
	struct gw_reader *reader;	/* the application API's (app.h) */
	struct gw_presence *presence;	/* NULL: --presence off */
	atomic_int	 nconn;		/* open connections, all workers */
	atomic_int	 stopping;	/* SIGTERM seen */
};

/* A worker that accepts on the listening sockets fds: nd devices', then
 * np devices' behind a PROXY-protocol balancer, then na the application
 * API's; its own (each worker binds the addresses with SO_REUSEPORT),
 * and it owns them. */
struct gw_worker *gw_worker_new(struct gw_shared *sh, int index,
    const int *fds, size_t nd, size_t np, size_t na, char *err);
int gw_worker_start(struct gw_worker *w);
void gw_worker_join(struct gw_worker *w);
void gw_worker_free(struct gw_worker *w);
/* From the intake thread: the outcomes of a chain of items (first to
 * last through next, oldest first) are ready; one wake-up for them all. */
void gw_worker_done(struct gw_worker *w, struct gw_intake_item *first,
    struct gw_intake_item *last);
/* From the lookup thread: the answer to lookup l, for its worker. */
void gw_worker_looked_up(struct gw_worker *w, struct gw_lookup *l);
/* From the reader thread: read r is answered, for its worker. */
struct gw_read;
void gw_worker_read_done(struct gw_worker *w, struct gw_read *r);
/* From the watcher: close the connections of device id. */
void gw_worker_device_changed(struct gw_worker *w, const char *id);
/* From the main thread: stop accepting, drain, exit the loop. */
void gw_worker_stop(struct gw_worker *w);

/*
 * forward_url.c: what forwarding reads, the URLs of the configuration and
 * a receiver's answer (its bytes are not trusted: fuzz/fwd_reply.c).
 */
enum gw_fwd_scheme { GW_FWD_HTTP, GW_FWD_HTTPS, GW_FWD_MQTT, GW_FWD_MQTTS };

struct gw_fwd_url {
	enum gw_fwd_scheme scheme;
	char		 host[256];	/* a name, or an address without [] */
	int		 port;
	int		 host_is_ip;
	/* http(s): the request target ("/hook?x=1"); mqtt(s): the topic
	 * prefix, without a leading '/' ("tether" when the URL has none) */
	char		 path[GW_FORWARD_URL_MAX];
	char		 app[REG_APP_NAME_MAX];	/* http(s): #app=NAME, the signer */
};

/* Parses a --forward URL; 0, or -1 with a sentence in err (GW_ERR_LEN)
 * that names what is wrong. http:// is taken for loopback hosts only. */
int gw_fwd_url_parse(const char *text, struct gw_fwd_url *u, char *err);

/* 1 if host (a name or an address) is loopback: localhost, 127.0.0.0/8,
 * ::1. */
int gw_fwd_host_loopback(const char *host);

struct gw_fwd_reply {
	int		 status;		/* 100 to 999 */
	long long	 content_length;	/* -1: not given */
	int		 keep;		/* the connection may carry the next post */
};

/* Reads the head of a receiver's HTTP/1.x answer in buf[0..len): the
 * head's length once its blank line is in, 0 while it is incomplete, -1
 * (with a sentence in err) when it is no HTTP answer. */
long gw_fwd_reply_parse(const char *buf, size_t len, struct gw_fwd_reply *r,
    char *err);

/* forward.c: a thread per --forward URL, each with its own registry handle
 * (docs/forwarding.md). */
struct gw_forward;

/* Starts the forwarders of c (NULL, and no error, when there are none).
 * NULL with err on failure. */
struct gw_forward *gw_forward_start(const struct gw_config *c, char *err);
/* Stops them, waiting until deadline (ms, reg_mono_us()/1000) at most: one
 * stuck in a registry or a receiver is left behind (thread.c). */
void gw_forward_stop(struct gw_forward *f, int64_t deadline);
/* The running forwarders' counts since the start, for the metrics: name
 * stays valid while the process runs (the configuration's). Returns how
 * many of at most max it wrote. Any thread. */
struct gw_forward_stat {
	const char	*name;
	uint64_t	 delivered;	/* acknowledged by the receiver */
	uint64_t	 failures;	/* attempts that failed */
	int		 up;		/* 1: the last attempt was acknowledged */
	int64_t		 waiting_since;	/* unix ms; 0: caught up */
	long long	 backlog;	/* as of at most GW_FORWARD_COUNT_MS ago */
};
size_t gw_forward_stats(struct gw_forward_stat *out, size_t max);

/* retain.c: deletes messages older than --retain, in small batches, on a
 * thread with its own registry handle; never what a forwarder has not
 * delivered. Start returns NULL (and no error) without --retain. */
struct gw_retain;
struct gw_retain *gw_retain_start(const struct gw_config *c, char *err);
/* As gw_forward_stop. */
void gw_retain_stop(struct gw_retain *r, int64_t deadline);

/* sweep.c: marks expired commands to devices expired (command_expired
 * lines), every GW_SWEEP_PERIOD_MS on a thread with its own registry
 * handle. NULL with err. */
struct gw_sweep;
struct gw_sweep *gw_sweep_start(const struct gw_config *c, char *err);
/* As gw_forward_stop. */
void gw_sweep_stop(struct gw_sweep *sw, int64_t deadline);

/* New messages were committed (the intake's gw_intake_on_commit hook; arg
 * unused): wakes the forwarders that sleep (cheap: an atomic store and
 * load each when they are busy). Any thread, also after gw_forward_stop. */
void gw_forward_kick(void *arg);

#endif

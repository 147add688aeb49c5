/* SPDX-License-Identifier: MIT */
/*
 * server.c - `tether serve` put together: certificates, the registry, the
 * intake, one worker loop per core, the registry watcher that closes the
 * connections of revoked devices, and an orderly stop on SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "gateway/app.h"
#include "gateway/gateway.h"
#include "pin/pin.h"
#include "gateway/metrics.h"
#include "gateway/resume.h"

/* "127.0.0.1:8443", "[::1]:8443", "localhost:8443" -> a socket address. */
static int
parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *sl,
    char *err)
{
	char host[NI_MAXHOST];
	const char *port;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICSERV }, *res;
	int r;

	if (spec[0] == '[') {
		const char *e = strchr(spec, ']');

		if (e == NULL || e[1] != ':' || (size_t)(e - spec) > sizeof(host)) {
			snprintf(err, GW_ERR_LEN, "--listen %s: write IPv6 as [::1]:8443",
			    spec);
			return -1;
		}
		memcpy(host, spec + 1, (size_t)(e - spec - 1));
		host[e - spec - 1] = '\0';
		port = e + 2;
	} else {
		const char *colon = strrchr(spec, ':');

		if (colon == NULL || (size_t)(colon - spec) >= sizeof(host)) {
			snprintf(err, GW_ERR_LEN, "--listen %s: give ADDRESS:PORT, like "
			    "127.0.0.1:8443", spec);
			return -1;
		}
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
		port = colon + 1;
	}
	if (*port == '\0' || strspn(port, "0123456789") != strlen(port) ||
	    atoi(port) > 65535) {
		snprintf(err, GW_ERR_LEN, "--listen %s: '%s' is not a port", spec, port);
		return -1;
	}
	if ((r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res)) != 0) {
		snprintf(err, GW_ERR_LEN, "--listen %s: %s", spec, gai_strerror(r));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sl = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
listen_on(const char *spec, char *err)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1;

	if (parse_addr(spec, &ss, &sl, err) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, GW_ERR_LEN, "--listen %s: %s", spec, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    listen(fd, GW_LISTEN_BACKLOG) < 0) {
		if (errno == EADDRINUSE)
			snprintf(err, GW_ERR_LEN, "cannot listen on %s: "
			    "address already in use by another process", spec);
		else
			snprintf(err, GW_ERR_LEN, "cannot listen on %s: %s",
			    spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Claims an address for this process before its workers bind it. Every
 * worker's socket sets SO_REUSEPORT, and Linux lets any socket of the same
 * user that sets it too join the group: a second tether would take a share
 * of the connections instead of failing. The claim is an abstract Unix
 * socket named after the address, which one process at most can bind in
 * a network namespace (the one TCP ports live in) and which goes away
 * with the process, however it ends. Other programs never set the option
 * for our port, or run as another user: bind(2) refuses them. Returns the
 * claim's fd, or -1 with err.
 */
static int
claim_address(const char *spec, char *err)
{
	struct sockaddr_storage ss;
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	char host[NI_MAXHOST], port[NI_MAXSERV];
	socklen_t sl;
	int fd, n;

	if (parse_addr(spec, &ss, &sl, err) < 0)
		return -1;
	if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port,
	    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(err, GW_ERR_LEN, "--listen %s: not an address", spec);
		return -1;
	}
	/* sun_path[0] = '\0': the abstract namespace, no file. */
	n = snprintf(un.sun_path + 1, sizeof(un.sun_path) - 1,
	    "tether-serve-listen %s %s", host, port);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, GW_ERR_LEN, "--listen %s: %s", spec, strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&un,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) < 0) {
		if (errno == EADDRINUSE)
			snprintf(err, GW_ERR_LEN, "cannot listen on %s: address "
			    "already in use by another process (another tether "
			    "serve listens there)", spec);
		else
			snprintf(err, GW_ERR_LEN, "--listen %s: %s", spec,
			    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The registry watcher: revocations made by any process reach the
 * workers within GW_REVOKE_POLL_MS. On the heap, and left behind at a stop
 * if it does not come back (a registry that does not answer holds it in a
 * read): once stopped it touches nothing but itself.
 */
struct watcher {
	struct gw_thread t;
	int		 notify;	/* reg_can_notify */
	struct reg_store *store;
	struct gw_shared *sh;
	struct gw_worker **workers;
	int		 nworkers;
	struct gw_resume *resume;	/* ticket keys rotated and shared */
};

static struct watcher *abandoned_watcher;	/* see stop_watcher */

static void
device_changed(void *arg, const char *id)
{
	struct watcher *wt = arg;

	pthread_mutex_lock(&wt->t.lock);
	if (!wt->t.stop) {	/* else the workers may be gone */
		gw_devcache_forget(wt->sh->devcache, id);
		gw_auth_forget_unknown(wt->sh->auth);
		for (int i = 0; i < wt->nworkers; i++)
			gw_worker_device_changed(wt->workers[i], id);
	}
	pthread_mutex_unlock(&wt->t.lock);
}

static void *
watcher_main(void *arg)
{
	struct watcher *wt = arg;
	int64_t cursor = 0;
	int failing = 0;

	pthread_setname_np(pthread_self(), "tether-watch");

	if (reg_changes(wt->store, &cursor, device_changed, wt) < 0)
		failing = 1;
	pthread_mutex_lock(&wt->t.lock);
	while (!wt->t.stop) {
		struct timespec ts;

		int r = -1;

		if (wt->notify) {
			/* LISTEN/NOTIFY: woken at the commit of a change made
			 * anywhere; the poll interval bounds a stop's wait. */
			pthread_mutex_unlock(&wt->t.lock);
			r = reg_wait_changes(wt->store, GW_REVOKE_POLL_MS);
			if (r == 1)
				gw_log(GW_LOG_DEBUG, "registry_change_announced",
				    "by", "PostgreSQL NOTIFY", NULL);
			pthread_mutex_lock(&wt->t.lock);
		}
		if (r < 0) {	/* SQLite, or PostgreSQL unreachable: poll */
			gw_monotonic_in(&ts, GW_REVOKE_POLL_MS);
			pthread_cond_timedwait(&wt->t.cond, &wt->t.lock, &ts);
		}
		if (wt->t.stop)
			break;
		pthread_mutex_unlock(&wt->t.lock);
		gw_resume_tick(wt->resume, wt->store);
		if (reg_changes(wt->store, &cursor, device_changed, wt) < 0) {
			if (!failing)
				gw_log(GW_LOG_ERROR, "registry_failed", "reason",
				    reg_error(wt->store), "effect",
				    "revocations are not seen until it recovers",
				    NULL);
			failing = 1;
		} else {
			failing = 0;
		}
		pthread_mutex_lock(&wt->t.lock);
	}
	gw_thread_exit(&wt->t);
	pthread_mutex_unlock(&wt->t.lock);
	return NULL;
}

static struct watcher *
start_watcher(struct gw_shared *sh, struct reg_store *store,
    struct gw_worker **workers, int nworkers, struct gw_resume *resume)
{
	struct watcher *wt;

	if ((wt = calloc(1, sizeof(*wt))) == NULL)
		return NULL;
	wt->sh = sh;
	wt->store = store;
	wt->workers = workers;
	wt->nworkers = nworkers;
	wt->resume = resume;
	wt->notify = reg_can_notify(store);
	if (gw_thread_start(&wt->t, watcher_main, wt) < 0) {
		free(wt);
		return NULL;
	}
	return wt;
}

/* Stops the watcher, waiting until deadline (ms, monotonic) at most.
 * Returns 1 if it stopped (its store may be closed), 0 if left behind. */
static int
stop_watcher(struct watcher *wt, int64_t deadline)
{
	if (!gw_thread_stop(&wt->t, deadline)) {
		gw_log(GW_LOG_WARN, "watcher_abandoned", "reason",
		    "the registry has not answered the change feed; exiting "
		    "without waiting for it", NULL);
		abandoned_watcher = wt;
		return 0;
	}
	gw_thread_destroy(&wt->t);
	free(wt);
	return 1;
}

/* When threads that may be stuck in the registry stop being waited for:
 * what is left of the drain time, and a moment at least. */
static int64_t
stop_deadline(int64_t drain_end)
{
	int64_t now = reg_mono_us() / 1000;

	return drain_end > now + GW_STOP_GRACE_MS ? drain_end :
	    now + GW_STOP_GRACE_MS;
}

static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * 1 when c->db names a file that is not there, so reg_open would make a new
 * empty database (and key): a mistyped --db would start a gateway that
 * knows no device. With --no-create that is an error instead: -1 with err.
 * 0 for a file that is there, a server, or a stat error reg_open reports.
 */
static int
db_missing(const struct gw_config *c, char *err)
{
	const char *file = reg_db_file(c->db);
	struct stat sb;

	if (file == NULL || stat(file, &sb) == 0 || errno != ENOENT)
		return 0;
	if (!c->no_create)
		return 1;
	snprintf(err, GW_ERR_LEN, "no database at %s, and --no-create forbids "
	    "making one: check --db (devices are provisioned into an existing "
	    "database), or leave out --no-create to start a new empty one",
	    file);
	return -1;
}

/* The SPKI pins of the pairs' certificates, for a renewal to compare;
 * a file that cannot be read gives "". */
#define PIN_TEXT	sizeof(((struct pin_set *)0)->spki_sha256_b64)

static void
spki_pins(const struct gw_tls_pair *pairs, size_t n, char pins[][PIN_TEXT])
{
	char err[GW_TLS_ERR_LEN];
	struct pin_set p;

	for (size_t i = 0; i < n; i++)
		if (pin_from_file(pairs[i].cert, &p, err) == 0)
			memcpy(pins[i], p.spki_sha256_b64, sizeof(pins[i]));
		else
			pins[i][0] = '\0';
}

/*
 * SIGHUP: the certificate and key files read again (a renewal in place),
 * for new handshakes; open connections keep what they began with, and
 * sessions and tickets made before resume after. A file that does not
 * load leaves the old certificates in use. The old state is kept until
 * exit (in retired), as connections may still use it.
 */
static void
renew_certificates(enum gw_profile profile, struct gw_shared *sh,
    const struct gw_tls_pair *pairs, size_t npairs,
    struct gw_tls **retired, size_t *nretired, char served[][PIN_TEXT])
{
	char after[GW_MAX_CERTS][PIN_TEXT];
	char tlserr[GW_ERR_LEN];
	struct gw_tls *old = sh->tls, *t;

	if (*nretired == GW_MAX_RENEWALS) {
		gw_log(GW_LOG_ERROR, "reload_failed", "reason", "renewed "
		    "too many times since the start; restart the gateway "
		    "to renew again", NULL);
		return;
	}
	if ((t = gw_tls_renew(old, pairs, npairs, profile, tlserr)) == NULL) {
		gw_log(GW_LOG_ERROR, "reload_failed", "reason", tlserr, "effect",
		    "the certificates loaded before stay in use", NULL);
		return;
	}
	spki_pins(pairs, npairs, after);
	retired[(*nretired)++] = old;
	__atomic_store_n(&sh->tls, t, __ATOMIC_RELEASE);
	for (size_t i = 0; i < npairs; i++)
		if (strcmp(served[i], after[i]) != 0 && served[i][0] != '\0')
			gw_log(GW_LOG_WARN, "key_changed", "cert", pairs[i].cert,
			    "reason", "the renewed certificate has another key: "
			    "devices pinned to the old key refuse this gateway "
			    "(renew with the same key, e.g. certbot "
			    "--reuse-key)", NULL);
	memcpy(served, after, sizeof(after[0]) * npairs);
	gw_tls_print_pins(pairs, npairs, stdout);
	gw_log(GW_LOG_INFO, "reloaded", "what", "certificates and keys",
	    "profile", gw_profile_name(profile),
	    "effect", "new handshakes use them; open connections and "
	    "sessions are kept", NULL);
}

/*
 * SIGHUP with a config file: it is read again (the command line still
 * over it), and the certificates and the profile it names are what the
 * renewal loads; every other option is read at start only, and one that
 * changed is named in a warning. *fresh and *storage hold the last
 * configuration read (pairs point into them) until the next replaces it.
 * 0 to renew; -1 when the file does not load (logged): all stays.
 */
static int
reread_config(const struct gw_config *c, struct gw_config **fresh,
    char **storage, struct gw_tls_pair **pairs, size_t *npairs,
    enum gw_profile *profile)
{
	char err[GW_ERR_LEN], names[512], *st = NULL;
	struct gw_config *f;

	if (c->reread == NULL)
		return 0;
	if ((f = malloc(sizeof(*f))) == NULL) {
		gw_log(GW_LOG_ERROR, "reload_failed", "reason", "out of memory",
		    NULL);
		return -1;
	}
	if (c->reread(f, &st, err) != 0) {
		gw_log(GW_LOG_ERROR, "reload_failed", "reason", err, "effect",
		    "the configuration, certificates and keys loaded before "
		    "stay in use", NULL);
		free(st);
		free(f);
		return -1;
	}
	if (gw_config_fixed_changes(c, f, names, sizeof(names)) > 0)
		gw_log(GW_LOG_WARN, "reload_ignored", "options", names,
		    "reason", "these are read at start only: restart the "
		    "gateway to change them", NULL);
	*profile = f->profile;
	/* From certificates to none (the development pair) is read at start
	 * only (named just above): the pairs in use point into the last
	 * reading (*fresh, *storage), which must then stay; freeing it
	 * served the next handshakes from freed memory. */
	if (c->ncerts > 0 && f->ncerts == 0) {
		free(st);
		free(f);
		return 0;
	}
	if (c->ncerts > 0) {
		*pairs = f->certs;
		*npairs = f->ncerts;
	}
	free(*storage);
	free(*fresh);
	*fresh = f;
	*storage = st;
	return 0;
}

int
gw_serve(const struct gw_config *c, char *err)
{
	struct gw_tls_pair dev[2], *pairs = (struct gw_tls_pair *)c->certs;
	size_t npairs = c->ncerts, nlisten = c->nlisten;
	const char *def_listen[] = { "127.0.0.1:8443" };
	const char *const *listen = nlisten ? c->listen : def_listen;
	const char *def_app[] = { GW_DEFAULT_APP_LISTEN };
	const char *const *app = c->napp_listen ? c->app_listen : def_app;
	size_t napp = c->app_off ? 0 : c->napp_listen ? c->napp_listen : 1;
	const char *admin = c->admin_set ? c->admin_listen :
	    GW_DEFAULT_ADMIN_LISTEN;
	struct gw_admin *adm = NULL;
	int admin_claim = -1, admin_fd = -1;
	char storage[2 * 4096], tlserr[GW_ERR_LEN], rerr[REG_ERR_LEN];
	struct gw_shared sh = { .config = c };
	struct gw_worker *workers[GW_MAX_WORKERS] = { 0 };
	struct reg_store *store = NULL;		/* the watcher's */
	struct gw_tls *retired[GW_MAX_RENEWALS];	/* before each SIGHUP */
	size_t nretired = 0;
	char served[GW_MAX_CERTS][PIN_TEXT] = { { 0 } };	/* the pins in use */
	struct gw_config *cfg = NULL;	/* SIGHUP's reading of the file */
	char *cfg_text = NULL;
	enum gw_profile profile = c->profile;
	struct watcher *wt = NULL;
	struct gw_resume *res = NULL;
	int left = 0;			/* the watcher, left behind */
	struct gw_forward *fw = NULL;
	struct gw_retain *ret = NULL;
	struct gw_sweep *sweep = NULL;
	int64_t drain_end = 0, stop_by;
	int nworkers = c->workers, started = 0, rc = -1, sig, created;
	int intake_joined = 1;
	/* Every address, in the workers' order: devices', proxied, apps'. */
	const char *addr[3 * GW_MAX_LISTEN];
	size_t naddr = 0, nproxy = c->nproxy_listen;
	int claims[3 * GW_MAX_LISTEN];
	sigset_t set;

	for (size_t j = 0; j < 3 * GW_MAX_LISTEN; j++)
		claims[j] = -1;
	gw_log_init(c->log_json, c->log_debug);
	/* Before anything is made: --no-create makes nothing. */
	if ((created = db_missing(c, err)) < 0)
		return -1;
	raise_fd_limit();
	if (nlisten == 0)
		nlisten = 1;
	for (size_t j = 0; j < nlisten; j++)
		addr[naddr++] = listen[j];
	for (size_t j = 0; j < nproxy; j++)
		addr[naddr++] = c->proxy_listen[j];
	for (size_t j = 0; j < napp; j++)
		addr[naddr++] = app[j];
	if (nworkers <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nworkers = n < 1 ? 1 : n > GW_MAX_WORKERS ? GW_MAX_WORKERS : (int)n;
	}

	if (npairs == 0) {
		if (gw_tls_devcert_ensure(c->state_dir, dev, storage,
		    sizeof(storage), tlserr) < 0) {
			snprintf(err, GW_ERR_LEN, "%s", tlserr);
			return -1;
		}
		pairs = dev;
		npairs = 2;
	}
	if ((sh.tls = gw_tls_new(pairs, npairs, c->profile, tlserr)) == NULL) {
		snprintf(err, GW_ERR_LEN, "%s", tlserr);
		return -1;
	}
	/* Before the registry: a second gateway must not create a database. */
	for (size_t j = 0; j < naddr; j++)
		if ((claims[j] = claim_address(addr[j], err)) < 0)
			goto out;
	if (admin != NULL && ((admin_claim = claim_address(admin, err)) < 0 ||
	    (admin_fd = listen_on(admin, err)) < 0))
		goto out;
	/* Opening the registry here creates and migrates it, and makes the
	 * registry key, before any thread races to. */
	if (reg_open(&store, c->db, c->key_file, rerr) < 0) {
		snprintf(err, GW_ERR_LEN, "%s", rerr);
		goto out;
	}
	/* Before any handshake: the keys and sessions of the last run. */
	if ((res = gw_resume_open(c, sh.tls, store)) == NULL) {
		snprintf(err, GW_ERR_LEN, "out of memory");
		goto out;
	}
	if (created)
		gw_log(GW_LOG_WARN, "database_created", "path", c->db, "reason",
		    "no database at this path: a new empty one was made; "
		    "devices provisioned elsewhere are unknown here", NULL);
	if ((sh.devcache = gw_devcache_new()) == NULL) {
		snprintf(err, GW_ERR_LEN, "out of memory");
		goto out;
	}
	if ((sh.auth = gw_auth_start(c, sh.devcache, err)) == NULL)
		goto out;
	if (!c->presence_off) {
		char node[REG_NODE_MAX];

		gw_config_node(c, node);
		if ((sh.presence = gw_presence_new(node)) == NULL) {
			snprintf(err, GW_ERR_LEN, "out of memory");
			goto out;
		}
	}
	if ((sh.intake = gw_intake_start(c, sh.presence, err)) == NULL)
		goto out;
	if ((sh.reader = gw_reader_start(c, err)) == NULL)
		goto out;
	gw_intake_on_commit(sh.intake, gw_reader_kick, sh.reader);

	/* Signals go to this thread only, through sigwait below. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A file-size limit must fail the write (then 503), not kill us. */
	signal(SIGXFSZ, SIG_IGN);
	/* After the mask: the forwarders' threads take no signal. */
	if (c->nforward > 0 && (fw = gw_forward_start(c, err)) == NULL)
		goto out;
	if (fw != NULL)		/* its kick outlives the forwarders */
		gw_intake_on_commit(sh.intake, gw_forward_kick, NULL);
	if ((ret = gw_retain_start(c, err)) == NULL && c->retain_ms > 0)
		goto out;
	if ((sweep = gw_sweep_start(c, err)) == NULL)
		goto out;

	for (int i = 0; i < nworkers; i++) {
		int lfds[3 * GW_MAX_LISTEN];

		for (size_t j = 0; j < naddr; j++) {
			if ((lfds[j] = listen_on(addr[j], err)) < 0) {
				while (j-- > 0)
					close(lfds[j]);
				goto out;
			}
		}
		if ((workers[i] = gw_worker_new(&sh, i, lfds, nlisten, nproxy,
		    napp, err)) == NULL)
			goto out;
	}
	if ((wt = start_watcher(&sh, store, workers, nworkers, res)) == NULL) {
		snprintf(err, GW_ERR_LEN, "cannot start the registry watcher");
		goto out;
	}
	if (admin_fd >= 0) {
		adm = gw_admin_start(admin_fd, &sh, workers, nworkers, err);
		admin_fd = -1;		/* taken, also on failure */
		if (adm == NULL)
			goto out;
	}
	for (started = 0; started < nworkers; started++)
		if (gw_worker_start(workers[started]) < 0) {
			snprintf(err, GW_ERR_LEN, "cannot start worker %d", started);
			break;
		}

	gw_tls_print_pins(pairs, npairs, stdout);
	spki_pins(pairs, npairs, served);
	/* Before "listening": who waits for that line may read at once. */
	if (adm != NULL)
		gw_log(GW_LOG_INFO, "admin_listening", "address", admin,
		    "routes", "GET /metrics, /v1/health", NULL);
	for (size_t j = 0; j < napp; j++)
		gw_log(GW_LOG_INFO, "app_listening", "address", app[j],
		    "routes", "GET /v1/messages, /v1/messages/stream, "
		    "/v1/devices, /v1/devices/ID/commands, /v1/commands/ID",
		    NULL);
	for (size_t j = 0; j < nproxy; j++)
		gw_log(GW_LOG_INFO, "proxy_listening", "address",
		    c->proxy_listen[j], "expects", "a PROXY protocol header "
		    "(v1 or v2) before TLS", NULL);
	for (size_t j = 0; j < nlisten; j++) {
		char nw[16], node[REG_NODE_MAX];

		snprintf(nw, sizeof(nw), "%d", nworkers);
		gw_config_node(c, node);
		gw_log(GW_LOG_INFO, "listening", "address", listen[j],
		    "profile", gw_profile_name(c->profile), "db", c->db,
		    "workers", nw, "node", node, NULL);
	}
	fflush(stdout);

	if (started == nworkers) {
		do {
			if (sigwait(&set, &sig) != 0)
				sig = SIGTERM;
			if (sig == SIGHUP && reread_config(c, &cfg, &cfg_text,
			    &pairs, &npairs, &profile) == 0)
				renew_certificates(profile, &sh, pairs, npairs,
				    retired, &nretired, served);
		} while (sig == SIGHUP);
		gw_log(GW_LOG_INFO, "stopping", "signal",
		    sig == SIGINT ? "SIGINT" : "SIGTERM", "effect",
		    "no new connections; answering what is in flight", NULL);
		rc = 0;
	}
	drain_end = reg_mono_us() / 1000 + c->drain_ms;
	gw_reader_release(sh.reader);	/* long polls answer now */
	atomic_store(&sh.stopping, 1);	/* the admin's health says 503 */
	for (int i = 0; i < started; i++)
		gw_worker_stop(workers[i]);
	for (int i = 0; i < started; i++)
		gw_worker_join(workers[i]);	/* each within the drain time */
out:
	/* One deadline for both: together they take the drain time at most. */
	stop_by = stop_deadline(drain_end);
	/* First: a scrape reads the intake, the forwarders and the workers. */
	gw_admin_stop(adm);
	if (wt != NULL && !stop_watcher(wt, stop_by)) {
		store = NULL;		/* the watcher still holds it */
		left = 1;		/* and its resume, and the TLS state */
	}
	gw_auth_stop(sh.auth, stop_by);
	gw_forward_stop(fw, stop_by);
	gw_retain_stop(ret, stop_by);
	gw_sweep_stop(sweep, stop_by);
	/* The intake answers its last items into the (stopped) workers. */
	intake_joined = gw_intake_stop(sh.intake, stop_by);
	/* After the intake: its commits kick the reader. */
	gw_reader_stop(sh.reader, stop_by);
	if (admin_fd >= 0)
		close(admin_fd);
	if (admin_claim >= 0)
		close(admin_claim);
	for (int i = 0; i < nworkers; i++)
		gw_worker_free(workers[i]);
	reg_close(store);
	gw_devcache_free(sh.devcache);	/* a thread left behind never uses it */
	if (intake_joined)
		gw_presence_free(sh.presence);	/* else the commit left uses it */
	/* After the workers: every session is in the cache. */
	if (!left) {
		gw_resume_close(res, rc == 0);
		gw_tls_free(sh.tls);
		while (nretired > 0)	/* the first, which owns the cache, last */
			gw_tls_free(retired[--nretired]);
	}
	for (size_t j = 0; j < naddr; j++)
		if (claims[j] >= 0)
			close(claims[j]);
	free(cfg);
	free(cfg_text);
	if (rc == 0)
		gw_log(GW_LOG_INFO, "stopped", NULL);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * reconnect.c - the fleet after a server restart, for bench/restart.sh:
 * "save" makes N clients connect once, send one request and keep their
 * TLS session in a file (as devices keep theirs in RTC memory); "load"
 * makes the same N clients come back at once, P at a time, each offering
 * its saved session, and prints how many handshakes resumed, how long
 * serving all N took, and the server's CPU (from /proc) over that time.
 * "fresh" is "load" with no session offered: the full-handshake storm.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_PIDS	16
#define MAX_SESS	4096	/* bytes of one session's DER */

static struct {
	const char	*mode;
	size_t		 n;
	int		 par;
	int		 tls12;
	int		 no_ticket;
	const char	*file;
	const char	*manifest;
	const char	*get;		/* GET this path instead of a message */
	int		 pids[MAX_PIDS];
	int		 npids;
	struct sockaddr_in addr;
} opt = { .n = 1000, .par = 32, .tls12 = 1 };

static SSL_CTX *ctx;
static SSL_SESSION **sess;	/* per client: saved (save) or to offer */
static char **creds;
static size_t ncreds;
static atomic_size_t next_client;
static atomic_size_t n_resumed, n_full, n_failed;

static void
die(const char *msg)
{
	fprintf(stderr, "reconnect: %s\n", msg);
	exit(1);
}

/* The "credential" strings of a tether manifest.json. */
static void
load_manifest(const char *path)
{
	static const char key[] = "\"credential\"";
	char *buf, *p, *q;
	FILE *fp;
	long len;

	if ((fp = fopen(path, "r")) == NULL)
		die("cannot open the manifest");
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	if ((buf = malloc((size_t)len + 1)) == NULL ||
	    fread(buf, 1, (size_t)len, fp) != (size_t)len)
		die("cannot read the manifest");
	buf[len] = '\0';
	fclose(fp);
	for (p = buf; (p = strstr(p, key)) != NULL; p = q + 1) {
		if ((p = strchr(p + sizeof(key) - 1, '"')) == NULL ||
		    (q = strchr(p + 1, '"')) == NULL)
			break;
		*q = '\0';
		creds = realloc(creds, (ncreds + 1) * sizeof(*creds));
		creds[ncreds++] = p + 1;
	}
	if (ncreds == 0)
		die("no credential in the manifest");
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* utime + stime of the server's processes, in clock ticks. */
static long long
server_ticks(void)
{
	long long sum = 0, ut, st;
	char path[64], line[1024], *p;
	FILE *fp;

	for (int i = 0; i < opt.npids; i++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", opt.pids[i]);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		if (fgets(line, sizeof(line), fp) != NULL &&
		    (p = strrchr(line, ')')) != NULL &&
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
		    "%lld %lld", &ut, &st) == 2)
			sum += ut + st;
		fclose(fp);
	}
	return sum;
}

/* One client: connect, handshake (offering its session), one request,
 * the answer to the end. 0, or -1. */
static int
one(size_t i)
{
	char req[512], buf[4096];
	const char *cred = ncreds ? creds[i % ncreds] : "none";
	SSL *ssl = NULL;
	int fd, n, len, rc = -1, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&opt.addr, sizeof(opt.addr)) != 0)
		goto out;
	if ((ssl = SSL_new(ctx)) == NULL)
		goto out;
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "localhost");
	if (strcmp(opt.mode, "load") == 0 && sess[i] != NULL)
		SSL_set_session(ssl, sess[i]);
	if (SSL_connect(ssl) != 1)
		goto out;
	if (opt.get != NULL)
		len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n"
		    "Host: localhost\r\nConnection: close\r\n\r\n", opt.get);
	else
		len = snprintf(req, sizeof(req), "POST /v1/messages HTTP/1.1\r\n"
	    "Host: localhost\r\nAuthorization: Device %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %d\r\n"
	    "Connection: close\r\n\r\n{\"n\":%5zu}", cred,
	    (int)strlen("{\"n\":00000}"), i % 100000);
	if (SSL_write(ssl, req, len) != len)
		goto out;
	while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0)
		;
	if (SSL_session_reused(ssl))
		atomic_fetch_add(&n_resumed, 1);
	else
		atomic_fetch_add(&n_full, 1);
	if (strcmp(opt.mode, "save") == 0)
		sess[i] = SSL_get1_session(ssl);
	rc = 0;
out:
	if (rc != 0)
		atomic_fetch_add(&n_failed, 1);
	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
	return rc;
}

static void *
worker(void *arg __attribute__((unused)))
{
	size_t i;

	while ((i = atomic_fetch_add(&next_client, 1)) < opt.n)
		(void)one(i);
	return NULL;
}

static void
save_sessions(void)
{
	unsigned char der[MAX_SESS], *p;
	FILE *fp;
	int len;

	if ((fp = fopen(opt.file, "w")) == NULL)
		die("cannot write the session file");
	for (size_t i = 0; i < opt.n; i++) {
		len = sess[i] ? i2d_SSL_SESSION(sess[i], NULL) : 0;
		if (len < 0 || len > MAX_SESS)
			len = 0;
		p = der;
		if (len > 0)
			i2d_SSL_SESSION(sess[i], &p);
		fputc(len >> 8, fp);
		fputc(len & 0xff, fp);
		fwrite(der, 1, (size_t)len, fp);
	}
	fclose(fp);
}

static void
load_sessions(void)
{
	unsigned char der[MAX_SESS];
	const unsigned char *p;
	FILE *fp;
	int hi, lo;
	size_t len;

	if ((fp = fopen(opt.file, "r")) == NULL)
		die("cannot read the session file (run save first)");
	for (size_t i = 0; i < opt.n; i++) {
		if ((hi = fgetc(fp)) == EOF || (lo = fgetc(fp)) == EOF)
			die("the session file has fewer clients than -c");
		len = (size_t)hi << 8 | (size_t)lo;
		if (len > MAX_SESS || fread(der, 1, len, fp) != len)
			die("the session file is damaged");
		p = der;
		sess[i] = len ? d2i_SSL_SESSION(NULL, &p, (long)len) : NULL;
	}
	fclose(fp);
}

int
main(int argc, char **argv)
{
	pthread_t th[256];
	long long t0, t1;
	double s0, s1;
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: reconnect save|load|fresh [-c N] [-P PAR] "
		    "[--tls 1.2|1.3] [--no-ticket] [--sessions FILE] "
		    "[--manifest FILE] [--get PATH] [--server-pid PID]... HOST:PORT\n");
		return 2;
	}
	opt.mode = argv[1];
	for (i = 2; i < argc - 1; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc - 1)
			opt.n = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-P") == 0 && i + 1 < argc - 1)
			opt.par = atoi(argv[++i]);
		else if (strcmp(argv[i], "--tls") == 0 && i + 1 < argc - 1)
			opt.tls12 = strcmp(argv[++i], "1.2") == 0;
		else if (strcmp(argv[i], "--no-ticket") == 0)
			opt.no_ticket = 1;
		else if (strcmp(argv[i], "--sessions") == 0 && i + 1 < argc - 1)
			opt.file = argv[++i];
		else if (strcmp(argv[i], "--manifest") == 0 && i + 1 < argc - 1)
			opt.manifest = argv[++i];
		else if (strcmp(argv[i], "--get") == 0 && i + 1 < argc - 1)
			opt.get = argv[++i];
		else if (strcmp(argv[i], "--server-pid") == 0 &&
		    i + 1 < argc - 1 && opt.npids < MAX_PIDS)
			opt.pids[opt.npids++] = atoi(argv[++i]);
		else
			die("unknown option (see the usage line)");
	}
	{
		char host[64];
		const char *colon = strrchr(argv[argc - 1], ':');

		if (colon == NULL || (size_t)(colon - argv[argc - 1]) >= sizeof(host))
			die("expected HOST:PORT last");
		memcpy(host, argv[argc - 1], (size_t)(colon - argv[argc - 1]));
		host[colon - argv[argc - 1]] = '\0';
		opt.addr.sin_family = AF_INET;
		opt.addr.sin_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET, host, &opt.addr.sin_addr) != 1)
			die("HOST must be an IPv4 address");
	}
	if (opt.par < 1 || opt.par > 256 || opt.n == 0)
		die("-P is 1..256 and -c at least 1");
	if (strcmp(opt.mode, "fresh") != 0 && opt.file == NULL)
		die("save and load need --sessions FILE");
	if (opt.manifest != NULL)
		load_manifest(opt.manifest);
	if ((sess = calloc(opt.n, sizeof(*sess))) == NULL ||
	    (ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		die("out of memory");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_min_proto_version(ctx, opt.tls12 ? TLS1_2_VERSION :
	    TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, opt.tls12 ? TLS1_2_VERSION :
	    TLS1_3_VERSION);
	/* ECDSA and P-256, as the devices (tether's and nginx's certs alike) */
	SSL_CTX_set1_sigalgs_list(ctx, "ECDSA+SHA256");
	SSL_CTX_set1_groups_list(ctx, "P-256");
	if (opt.no_ticket)
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (strcmp(opt.mode, "load") == 0)
		load_sessions();

	t0 = server_ticks();
	s0 = now_s();
	for (i = 0; i < opt.par; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0)
			die("cannot start a thread");
	for (i = 0; i < opt.par; i++)
		pthread_join(th[i], NULL);
	s1 = now_s();
	t1 = server_ticks();
	if (strcmp(opt.mode, "save") == 0)
		save_sessions();
	printf("mode=%s clients=%zu full=%zu resumed=%zu failed=%zu "
	    "seconds=%.3f server_cpu_ms=%.0f\n", opt.mode, opt.n,
	    atomic_load(&n_full), atomic_load(&n_resumed),
	    atomic_load(&n_failed), s1 - s0,
	    (double)(t1 - t0) * 1000.0 / (double)sysconf(_SC_CLK_TCK));
	return 0;
}

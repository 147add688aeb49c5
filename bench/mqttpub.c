/* SPDX-License-Identifier: MIT */
/*
 * mqttpub.c - the peer's publishers for bench/forward.sh: C libmosquitto
 * clients publish at QoS 1 (over TLS with --cafile) to PREFIX/pub-<i>,
 * either at full rate (each client keeps --window messages waiting for
 * their PUBACK, as devices each wait for their 201) or paced (--rate N/s
 * in all). Each payload is a JSON object carrying "seq" and "t", the
 * publish time (CLOCK_REALTIME ns), so a subscriber stamping what it
 * gets (mosquitto_sub -F '%U %p') has the delivery lag. Prints one line
 * of key=value: messages acknowledged in the measured window and the
 * broker's CPU per message (--server-pid).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#define MP_MAX_CLIENTS	256
#define MP_PAYLOAD_MAX	1024

struct client {
	struct mosquitto *m;
	int		 idx;
	atomic_int	 connected;
};

static struct {
	const char	*host, *cafile, *prefix;
	int		 port, clients, window, size;
	double		 rate, duration, warmup;
	int		 pid;
} opt = { .host = "127.0.0.1", .port = 1883, .prefix = "peer",
    .clients = 10, .window = 10, .size = 240, .duration = 5, .warmup = 1 };

static atomic_ullong seq_next;
static atomic_ullong acked;		/* PUBACKs, the whole run */
static atomic_int stop;

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("mqttpub: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void
sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
	    .tv_nsec = (long)(ns % 1000000000u) };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Process CPU seconds (utime + stime) from /proc, or -1. */
static double
proc_cpu(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double
self_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
publish(struct client *c)
{
	char topic[128], payload[MP_PAYLOAD_MAX];
	unsigned long long seq = atomic_fetch_add(&seq_next, 1);
	int n, rc;

	snprintf(topic, sizeof(topic), "%s/pub-%d", opt.prefix, c->idx);
	n = snprintf(payload, sizeof(payload), "{\"seq\":%llu,\"t\":%llu,"
	    "\"device\":\"pub-%d\",\"body\":{\"temp\":21.5,\"hum\":48.2,"
	    "\"press\":1013.25,\"volt\":3.31,\"rssi\":-67,\"up\":86400},"
	    "\"pad\":\"", seq, (unsigned long long)real_ns(), c->idx);
	while (n < opt.size - 2 && n < MP_PAYLOAD_MAX - 3)
		payload[n++] = 'x';
	payload[n++] = '"';
	payload[n++] = '}';
	if ((rc = mosquitto_publish(c->m, NULL, topic, n, payload, 1,
	    false)) != MOSQ_ERR_SUCCESS && !atomic_load(&stop))
		fprintf(stderr, "mqttpub: publish: %s\n",
		    mosquitto_strerror(rc));
}

static void
on_connect(struct mosquitto *m, void *arg, int rc)
{
	struct client *c = arg;

	(void)m;
	if (rc != 0)
		die("the broker refused the connection: %s",
		    mosquitto_connack_string(rc));
	atomic_store(&c->connected, 1);
}

static void
on_publish(struct mosquitto *m, void *arg, int mid)
{
	struct client *c = arg;

	(void)m;
	(void)mid;
	atomic_fetch_add(&acked, 1);
	if (opt.rate <= 0 && !atomic_load(&stop))
		publish(c);	/* full rate: the next in the freed slot */
}

static void
usage(FILE *out)
{
	fprintf(out,
"usage: mqttpub [options]\n"
"  -h HOST          broker (default 127.0.0.1)\n"
"  -p PORT          broker port (default 1883)\n"
"  --cafile FILE    TLS 1.2, the broker's certificate checked against FILE\n"
"  -t PREFIX        topics PREFIX/pub-<i> (default peer)\n"
"  -c N             clients (default 10)\n"
"  --window N       full rate: messages in flight per client (default 10)\n"
"  --rate N         N messages/s in all, paced (default: full rate)\n"
"  -d SEC           measured duration (default 5)\n"
"  -w SEC           warm-up before it (default 1)\n"
"  --size BYTES     payload size (default 240)\n"
"  --server-pid PID the broker: its CPU per message\n");
}

int
main(int argc, char **argv)
{
	enum { O_CAFILE = 256, O_WINDOW, O_RATE, O_SIZE, O_PID, O_HELP };
	static const struct option lo[] = {
		{ "cafile", required_argument, NULL, O_CAFILE },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "rate", required_argument, NULL, O_RATE },
		{ "size", required_argument, NULL, O_SIZE },
		{ "server-pid", required_argument, NULL, O_PID },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 }
	};
	static struct client cs[MP_MAX_CLIENTS];
	uint64_t t0, t_begin, t_end, sent = 0;
	unsigned long long a0, a1;
	double s0 = 0, s1 = 0, c0, c1;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h:p:t:c:d:w:", lo, NULL)) != -1) {
		switch (ch) {
		case 'h': opt.host = optarg; break;
		case 'p': opt.port = atoi(optarg); break;
		case 't': opt.prefix = optarg; break;
		case 'c': opt.clients = atoi(optarg); break;
		case 'd': opt.duration = atof(optarg); break;
		case 'w': opt.warmup = atof(optarg); break;
		case O_CAFILE: opt.cafile = optarg; break;
		case O_WINDOW: opt.window = atoi(optarg); break;
		case O_RATE: opt.rate = atof(optarg); break;
		case O_SIZE: opt.size = atoi(optarg); break;
		case O_PID: opt.pid = atoi(optarg); break;
		case O_HELP: usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (opt.clients < 1 || opt.clients > MP_MAX_CLIENTS || opt.window < 1 ||
	    opt.duration <= 0)
		die("bad -c, --window or -d (--help)");
	mosquitto_lib_init();
	for (int i = 0; i < opt.clients; i++) {
		struct client *c = &cs[i];
		char id[64];

		c->idx = i;
		snprintf(id, sizeof(id), "mqttpub-%d-%d", (int)getpid(), i);
		if ((c->m = mosquitto_new(id, true, c)) == NULL)
			die("mosquitto_new: %s", strerror(errno));
		mosquitto_int_option(c->m, MOSQ_OPT_PROTOCOL_VERSION,
		    MQTT_PROTOCOL_V311);
		mosquitto_int_option(c->m, MOSQ_OPT_TCP_NODELAY, 1);
		/* paced: no window of ours, nothing held back by the library */
		mosquitto_max_inflight_messages_set(c->m, opt.rate > 0 ? 0 :
		    (unsigned)opt.window);
		mosquitto_connect_callback_set(c->m, on_connect);
		mosquitto_publish_callback_set(c->m, on_publish);
		if (opt.cafile != NULL &&
		    ((rc = mosquitto_tls_set(c->m, opt.cafile, NULL, NULL, NULL,
		    NULL)) != MOSQ_ERR_SUCCESS ||
		    (rc = mosquitto_tls_opts_set(c->m, 1, "tlsv1.2", NULL)) !=
		    MOSQ_ERR_SUCCESS))
			die("TLS set-up: %s", mosquitto_strerror(rc));
		if ((rc = mosquitto_connect(c->m, opt.host, opt.port, 60)) !=
		    MOSQ_ERR_SUCCESS)
			die("connect to %s:%d: %s", opt.host, opt.port,
			    rc == MOSQ_ERR_ERRNO ? strerror(errno) :
			    mosquitto_strerror(rc));
		if ((rc = mosquitto_loop_start(c->m)) != MOSQ_ERR_SUCCESS)
			die("mosquitto_loop_start: %s", mosquitto_strerror(rc));
	}
	t0 = mono_ns();
	for (int i = 0; i < opt.clients; i++)
		while (!atomic_load(&cs[i].connected)) {
			if (mono_ns() - t0 > 10000000000u)
				die("client %d not connected after 10 s "
				    "(TLS refused?)", i);
			sleep_ns(1000000);
		}
	t0 = mono_ns();
	t_begin = t0 + (uint64_t)(opt.warmup * 1e9);
	t_end = t_begin + (uint64_t)(opt.duration * 1e9);
	if (opt.rate <= 0)
		for (int i = 0; i < opt.clients; i++)
			for (int k = 0; k < opt.window; k++)
				publish(&cs[i]);
	a0 = a1 = 0;
	c0 = c1 = 0;
	for (int phase = 0; phase < 2; phase++) {
		uint64_t until = phase == 0 ? t_begin : t_end, now;

		while ((now = mono_ns()) < until) {
			if (opt.rate > 0) {	/* what is due, round robin */
				uint64_t due = (uint64_t)((double)(now - t0) *
				    opt.rate / 1e9);

				for (; sent < due; sent++)
					publish(&cs[sent % (uint64_t)opt.clients]);
			}
			sleep_ns(opt.rate > 0 ? 500000 : 10000000);
		}
		if (phase == 0) {
			a0 = atomic_load(&acked);
			c0 = self_cpu();
			s0 = opt.pid ? proc_cpu(opt.pid) : 0;
		} else {
			a1 = atomic_load(&acked);
			c1 = self_cpu();
			s1 = opt.pid ? proc_cpu(opt.pid) : 0;
		}
	}
	atomic_store(&stop, 1);
	/* paced: let the last ones be acknowledged */
	t0 = mono_ns();
	while (opt.rate > 0 && atomic_load(&acked) < sent &&
	    mono_ns() - t0 < 5000000000u)
		sleep_ns(1000000);
	for (int i = 0; i < opt.clients; i++) {
		mosquitto_disconnect(cs[i].m);
		mosquitto_loop_stop(cs[i].m, false);
		mosquitto_destroy(cs[i].m);
	}
	mosquitto_lib_cleanup();
	{
		double n = (double)(a1 - a0);

		printf("mode=mqttpub clients=%d window=%d rate_target=%.0f "
		    "duration=%.1f ok=%.0f rate=%.1f published=%llu acked=%llu "
		    "client_cpu=%.3f", opt.clients, opt.window, opt.rate,
		    opt.duration, n, n / opt.duration,
		    (unsigned long long)atomic_load(&seq_next),
		    (unsigned long long)atomic_load(&acked),
		    (c1 - c0) / opt.duration);
		if (opt.pid)
			printf(" server_cpu=%.3f server_us_per_op=%.1f",
			    (s1 - s0) / opt.duration,
			    n > 0 ? (s1 - s0) * 1e6 / n : 0);
		printf("\n");
	}
	return a1 > a0 ? 0 : 1;
}

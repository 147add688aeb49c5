/*
 * sensor.c - a Linux "device" built on libtether: it reports the load
 * average every few seconds over one kept-alive TLS connection, and keeps
 * reporting through a gateway restart (the library reconnects; a report
 * that failed is sent again with the same sequence number).
 *
 *	sensor -H HOST [-p PORT] -P PIN -c CREDENTIAL_FILE [-i SECONDS] [-n N]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tether.h>

#define DEFAULT_PORT		8443
#define DEFAULT_INTERVAL	10	/* seconds between reports */
#define CONNECT_MS		5000
#define IO_MS			5000
#define BODY_MAX		128
#define CRED_LINE_MAX		(TETHER_CREDENTIAL_MAX + 2)

/* What a device keeps in RAM for the whole run: no heap. */
static struct tether_config cfg;
static struct tether_client client;
static struct tether_posix sock;
static unsigned char buf[TETHER_BUFSIZE_MIN];	/* 512-byte records */
static uint8_t pin[32];
static char credential[CRED_LINE_MAX];
static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
usage(void)
{
	fprintf(stderr, "usage: sensor -H HOST [-p PORT] -P SPKI_PIN "
	    "-c CREDENTIAL_FILE [-i SECONDS] [-n COUNT]\n");
	return 2;
}

static int
read_credential(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "sensor: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fgets(credential, sizeof(credential), f) == NULL)
		credential[0] = '\0';
	fclose(f);
	n = strcspn(credential, "\r\n");
	credential[n] = '\0';
	if (n == 0) {
		fprintf(stderr, "sensor: %s: no credential on the first "
		    "line\n", path);
		return -1;
	}
	return 0;
}

/* One reading: the 1-minute load average, as a short JSON body. */
static int
reading(char *body, size_t len)
{
	double load = 0;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f != NULL) {
		if (fscanf(f, "%lf", &load) != 1)
			load = 0;
		fclose(f);
	}
	return snprintf(body, len, "{\"load1\":%.2f}", load);
}

/* Sleeps s seconds, or less when a signal asks to stop. */
static void
pause_for(unsigned s)
{
	while (s-- > 0 && !stop)
		sleep(1);
}

int
main(int argc, char **argv)
{
	const char *host = NULL, *pin_text = NULL, *cred_path = NULL;
	unsigned port = DEFAULT_PORT, interval = DEFAULT_INTERVAL;
	long count = -1, sent = 0;
	struct tether_transport io;
	struct tether_stats before, after;
	char body[BODY_MAX], detail[TETHER_DETAIL_LEN];
	int c, status, len = 0, fresh = 1;

	while ((c = getopt(argc, argv, "H:p:P:c:i:n:")) != -1) {
		switch (c) {
		case 'H':
			host = optarg;
			break;
		case 'p':
			port = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'P':
			pin_text = optarg;
			break;
		case 'c':
			cred_path = optarg;
			break;
		case 'i':
			interval = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			count = strtol(optarg, NULL, 10);
			break;
		default:
			return usage();
		}
	}
	if (host == NULL || pin_text == NULL || cred_path == NULL ||
	    port == 0 || port > 65535)
		return usage();
	if (read_credential(cred_path) != 0)
		return 1;
	if (tether_pin_parse(TETHER_PIN_SPKI_SHA256, pin_text,
	    strlen(pin_text), pin) != 0) {
		fprintf(stderr, "sensor: -P: %s\n",
		    tether_strerror(TETHER_E_BAD_PIN));
		return 2;
	}

	tether_config_init(&cfg);
	tether_config_set_host(&cfg, host, (uint16_t)port);
	tether_config_add_pin(&cfg, TETHER_PIN_SPKI_SHA256, pin);
	tether_config_set_credential(&cfg, credential, strlen(credential));
	tether_posix_init(&sock, &io, CONNECT_MS, IO_MS);
	if (tether_client_init(&client, &cfg, &io, buf, sizeof(buf)) != 0) {
		fprintf(stderr, "sensor: %s (%s)\n", tether_strerror(
		    tether_last_error(&client)), tether_error_detail(&client,
		    detail, sizeof(detail)));
		return 1;
	}
	/* Milliseconds since 1970: a restarted sensor never reuses a
	 * sequence number the gateway has stored. */
	tether_set_seq(&client, (uint64_t)time(NULL) * 1000);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop && (count < 0 || sent < count)) {
		if (fresh)
			len = reading(body, sizeof(body));
		tether_stats(&client, &before);
		if (tether_send(&client, body, (size_t)len, &status) == 0) {
			tether_stats(&client, &after);
			sent++;
			fresh = 1;
			printf("report %llu stored (%d), %s\n",
			    (unsigned long long)tether_seq(&client) - 1, status,
			    after.handshakes_full > before.handshakes_full ?
			    "full handshake" : after.handshakes_resumed >
			    before.handshakes_resumed ? "resumed" :
			    "kept alive");
		} else {
			/* the report and its sequence number stay: the next
			 * try cannot be stored twice, even if this one was */
			fresh = 0;
			fprintf(stderr, "sensor: %s (%s)\n", tether_strerror(
			    tether_last_error(&client)), tether_error_detail(
			    &client, detail, sizeof(detail)));
		}
		fflush(stdout);
		if (count < 0 || sent < count)
			pause_for(interval);
	}
	tether_close(&client);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * sensor.c - a Linux "device" built on libtether: it reports the load
 * average every few seconds over one kept-alive TLS connection, and keeps
 * reporting through a gateway restart (the library reconnects; a report
 * that failed is sent again with the same sequence number). Sequence
 * numbers are kept in a state file, saved before each is used, so a
 * restart never repeats one; the credential comes from a credential file
 * or from identity.bin and the MAC, as a board derives it.
 *
 *	sensor -H HOST [-p PORT] -P PIN (-c CREDENTIAL_FILE |
 *	    -I IDENTITY_FILE [-m MAC|INTERFACE]) [-s STATE_FILE]
 *	    [-i SECONDS] [-n N]
 */
#include <errno.h>
#include <fcntl.h>
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
#define STATE_DEFAULT		"sensor.seq"
#define STATE_LINE_MAX		32	/* a uint64_t in decimal, a newline */
#define PATH_MAX_LEN		256

/* What a device keeps in RAM for the whole run: no heap. */
static struct tether_config cfg;
static struct tether_client client;
static struct tether_posix sock;
static unsigned char buf[TETHER_BUFSIZE_MIN];	/* 512-byte records */
static uint8_t pin[32];
static char credential[CRED_LINE_MAX];
static struct tether_identity identity;
static uint8_t identity_blob[TETHER_IDENTITY_SIZE];
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
	    "(-c CREDENTIAL_FILE | -I IDENTITY_FILE [-m MAC|INTERFACE])\n"
	    "              [-s STATE_FILE] [-i SECONDS] [-n COUNT]\n");
	return 2;
}

/*
 * The next sequence number, from the state file: the number saved there,
 * or, when there is no file yet, milliseconds since 1970 (so a sensor
 * whose file was lost still starts past what it sent before). Returns 0,
 * or -1 when the file exists but cannot be read as a number.
 */
static int
load_seq(const char *path, uint64_t *next)
{
	char line[STATE_LINE_MAX];
	FILE *f = fopen(path, "r");
	char *end;

	if (f == NULL) {
		if (errno != ENOENT) {
			fprintf(stderr, "sensor: %s: %s\n", path,
			    strerror(errno));
			return -1;
		}
		*next = (uint64_t)time(NULL) * 1000;
		return 0;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	errno = 0;
	*next = strtoull(line, &end, 10);
	if (errno != 0 || end == line || (*end != '\n' && *end != '\0')) {
		fprintf(stderr, "sensor: %s: not a sequence number; remove it "
		    "only if no report was sent with it\n", path);
		return -1;
	}
	return 0;
}

/*
 * Saves next in the state file before a sequence number below it is
 * used: a new file, fsync'd, renamed over the old one, and the directory
 * fsync'd, so after a crash or power cut the file holds the old number
 * or the new one, never less than what was sent. 0, or -1.
 */
static int
save_seq(const char *path, uint64_t next)
{
	char tmp[PATH_MAX_LEN], dir[PATH_MAX_LEN], line[STATE_LINE_MAX];
	char *slash;
	int fd, n, ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -1;
	n = snprintf(line, sizeof(line), "%llu\n", (unsigned long long)next);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		goto failed;
	ok = write(fd, line, (size_t)n) == n && fsync(fd) == 0;
	if (close(fd) != 0 || !ok || rename(tmp, path) != 0)
		goto failed;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir ? 1 : 0] = '\0';
	if ((fd = open(dir, O_RDONLY)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	return 0;
failed:
	fprintf(stderr, "sensor: %s: %s; no report is sent with a sequence "
	    "number that is not saved\n", path, strerror(errno));
	return -1;
}

/*
 * The board's MAC: "aa:bb:cc:dd:ee:ff", or the name of a network
 * interface whose address the kernel shows in /sys/class/net/IF/address
 * (what WiFi.macAddress() is on an ESP8266). 0, or -1.
 */
static int
read_mac(const char *arg, uint8_t mac[TETHER_MAC_LEN])
{
	char path[PATH_MAX_LEN], text[STATE_LINE_MAX];
	const char *t = arg;
	FILE *f;

	if (strchr(arg, ':') == NULL) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/address", arg);
		if ((f = fopen(path, "r")) == NULL ||
		    fgets(text, sizeof(text), f) == NULL) {
			fprintf(stderr, "sensor: -m %s: %s\n", arg, f == NULL ?
			    strerror(errno) : "no address");
			if (f != NULL)
				fclose(f);
			return -1;
		}
		fclose(f);
		t = text;
	}
	if (sscanf(t, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &mac[0], &mac[1],
	    &mac[2], &mac[3], &mac[4], &mac[5]) != TETHER_MAC_LEN) {
		fprintf(stderr, "sensor: -m %s: not a MAC address "
		    "(aa:bb:cc:dd:ee:ff) or an interface\n", arg);
		return -1;
	}
	return 0;
}

/*
 * identity.bin, as `tether provision` wrote it for this board, read and
 * checked by the library; the credential derived from its secret and
 * the MAC (mac_arg, or the MAC the blob was made for). 0, or -1.
 */
static int
read_identity(const char *path, const char *mac_arg)
{
	uint8_t mac[TETHER_MAC_LEN];
	FILE *f = fopen(path, "rb");
	size_t n;
	int r, len;

	if (f == NULL) {
		fprintf(stderr, "sensor: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(identity_blob, 1, sizeof(identity_blob), f);
	fclose(f);
	if (mac_arg != NULL && read_mac(mac_arg, mac) != 0)
		return -1;
	/* 0 or a TETHER_E_* code; the credential call's codes are negative */
	r = tether_identity_load(&identity, identity_blob, n);
	memset(identity_blob, 0, sizeof(identity_blob));
	if (r == 0 && (len = tether_identity_credential(&identity,
	    mac_arg != NULL ? mac : NULL, credential)) < 0)
		r = -len;
	/* the secret is not needed any more; the id and credential are */
	memset(identity.secret, 0, sizeof(identity.secret));
	if (r != 0) {
		fprintf(stderr, "sensor: %s: %s\n", path, tether_strerror(r));
		return -1;
	}
	return 0;
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
	const char *id_path = NULL, *mac_arg = NULL, *state = STATE_DEFAULT;
	uint64_t next = 0;
	unsigned port = DEFAULT_PORT, interval = DEFAULT_INTERVAL;
	long count = -1, sent = 0;
	struct tether_transport io;
	struct tether_stats before, after;
	char body[BODY_MAX], detail[TETHER_DETAIL_LEN];
	int c, status, len = 0, fresh = 1;

	while ((c = getopt(argc, argv, "H:p:P:c:I:m:s:i:n:")) != -1) {
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
		case 'I':
			id_path = optarg;
			break;
		case 'm':
			mac_arg = optarg;
			break;
		case 's':
			state = optarg;
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
	if (host == NULL || pin_text == NULL || port == 0 || port > 65535 ||
	    (cred_path == NULL) == (id_path == NULL) ||
	    (mac_arg != NULL && id_path == NULL))
		return usage();
	if (cred_path != NULL ? read_credential(cred_path) != 0 :
	    read_identity(id_path, mac_arg) != 0)
		return 1;
	if (load_seq(state, &next) != 0)
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
	/* from identity.bin: "stored" only when the gateway names us */
	if (id_path != NULL)
		tether_config_set_device(&cfg, identity.device);
	tether_posix_init(&sock, &io, CONNECT_MS, IO_MS);
	if (tether_client_init(&client, &cfg, &io, buf, sizeof(buf)) != 0) {
		fprintf(stderr, "sensor: %s (%s)\n", tether_strerror(
		    tether_last_error(&client)), tether_error_detail(&client,
		    detail, sizeof(detail)));
		return 1;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop && (count < 0 || sent < count)) {
		if (fresh) {
			len = reading(body, sizeof(body));
			/* a new reading takes a new number, saved first:
			 * a restart can never send it again for another */
			if (save_seq(state, next + 1) != 0)
				return 1;
			tether_set_seq(&client, next++);
		}
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

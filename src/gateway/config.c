/* SPDX-License-Identifier: MIT */
/*
 * config.c - the gateway's configuration: defaults, one setter shared by
 * the command line and the config file, and the checks that run before
 * anything is opened.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "gateway/gateway.h"

const char gw_config_help[] =
"  --listen ADDR:PORT     address to listen on; repeat for several; IPv6 as\n"
"                         [::1]:8443 (default 127.0.0.1:8443)\n"
"  --proxy-listen ADDR:PORT\n"
"                         an address for devices behind HAProxy: each\n"
"                         connection starts with a PROXY protocol header\n"
"                         (send-proxy-v2); repeat for several\n"
"  --app-listen ADDR:PORT the application API (GET /v1/messages); repeat for\n"
"                         several; off: none (default 127.0.0.1:8444)\n"
"  --admin-listen ADDR:PORT\n"
"                         Prometheus metrics (GET /metrics), plain HTTP;\n"
"                         off: none (default 127.0.0.1:9464)\n"
"  --cert FILE --key FILE certificate chain and key (PEM); repeat the pair to\n"
"                         serve RSA and ECDSA side by side or several names\n"
"                         (default: development pair in the state directory)\n"
"  --db PATH              SQLite database (default ./tether.db)\n"
"  --no-create            exit 1 if the --db file is missing, not make it\n"
"  --key-file PATH        registry key for credential hashes\n"
"                         (default <db>.key, made on first use)\n"
"  --state-dir DIR        development certificates, and the TLS ticket keys\n"
"                         and sessions a restart keeps (default ./tether-state)\n"
"  --profile NAME         modern | compat | legacy-esp8266 (default modern)\n"
"  --workers N            event loops (default: one per core)\n"
"  --max-connections N    open connections at most (default 16384)\n"
"  --max-handshakes N     of them before their TLS handshake ends (default 4096)\n"
"  --max-body BYTES       largest message body (default 16384)\n"
"  --device-rate N        messages a second one device may send on average;\n"
"                         more get 429 with Retry-After (default 20; 0: off)\n"
"  --device-burst N       messages a device may send at once before the rate\n"
"                         applies (default 200)\n"
"  --handshake-timeout T  TLS handshake (default 10s)\n"
"  --head-timeout T       first byte to end of request head (default 10s)\n"
"  --body-timeout T       end of head to end of body (default 10s)\n"
"  --idle-timeout T       idle keep-alive connection (default 300s)\n"
"  --drain-timeout T      on SIGTERM, time for in-flight requests (default 10s)\n"
"  --registry-timeout T   a credential lookup's deadline, then 503 (default 3s)\n"
"  --session-save T       write the TLS session cache to the state directory\n"
"                         this often when it changed, and at a stop, so a\n"
"                         crash loses at most T of sessions (default 60s)\n"
"  --log-format F         logfmt | json (default logfmt)\n"
"  --debug[=on|off]       also log every request and connection\n"
"  --config FILE          read options from FILE (\"name value\" lines); SIGHUP\n"
"                         reads it again (certificates and profile change live)\n"
"  --forward URL          push every stored message to a receiver; repeat for\n"
"                         several: https://HOST/PATH#app=NAME (a webhook signed\n"
"                         with NAME's secret; http:// to loopback only),\n"
"                         mqtt://HOST:PORT/PREFIX or mqtts:// (docs/forwarding.md)\n"
"  --forward-ca FILE      CAs (PEM) that sign the receivers' certificates\n"
"                         (default: the system's trust store)\n"
"  --forward-batch N      messages in one webhook post (default 100, 1 to 1000)\n"
"  --retain DURATION      delete messages older than DURATION (30d, 12h, 90m,\n"
"                         45s, 2w), never one a forwarder has not delivered\n"
"                         (default: keep every message)\n"
"  --node NAME            this gateway's name in presence, logs and metrics\n"
"                         (default: host name and the first --listen port,\n"
"                         like gw-1:8443); unique among the gateways of a store\n"
"  --presence on|off      record which devices are connected, with connected\n"
"                         and disconnected events (default on)\n"
"  Times take a unit: 500ms, 10s, 5m (a bare number is seconds).\n";

void
gw_config_defaults(struct gw_config *c)
{
	memset(c, 0, sizeof(*c));
	c->db = "tether.db";
	c->state_dir = "tether-state";
	c->profile = GW_PROFILE_MODERN;
	c->max_conn = GW_DEFAULT_MAX_CONN;
	c->max_handshakes = GW_DEFAULT_MAX_HANDSHAKES;
	c->max_body = GW_DEFAULT_MAX_BODY;
	c->device_rate = GW_DEFAULT_DEVICE_RATE;
	c->device_burst = GW_DEFAULT_DEVICE_BURST;
	c->handshake_ms = GW_DEFAULT_HANDSHAKE_MS;
	c->head_ms = GW_DEFAULT_HEAD_MS;
	c->body_ms = GW_DEFAULT_BODY_MS;
	c->idle_ms = GW_DEFAULT_IDLE_MS;
	c->drain_ms = GW_DEFAULT_DRAIN_MS;
	c->registry_ms = GW_DEFAULT_REGISTRY_MS;
	c->session_save_ms = GW_DEFAULT_SESSION_SAVE_MS;
	c->forward_batch = GW_FORWARD_BATCH;
}

/* A whole decimal number in [lo, hi], or -1 with err. */
static int
parse_int(const char *name, const char *v, long lo, long hi, long *out,
    char *err)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (v[0] == '\0' || *end != '\0' || errno != 0 || !isdigit((unsigned char)v[0])) {
		snprintf(err, GW_ERR_LEN, "--%s: '%s' is not a whole number", name, v);
		return -1;
	}
	if (n < lo || n > hi) {
		snprintf(err, GW_ERR_LEN, "--%s: %ld is out of range (%ld to %ld)",
		    name, n, lo, hi);
		return -1;
	}
	*out = n;
	return 0;
}

/* "500ms", "10s", "5m", "10" (seconds) -> milliseconds, 1 ms .. 1 day. */
static int
parse_duration(const char *name, const char *v, int *ms, char *err)
{
	char *end;
	long n, mult = 1000;

	errno = 0;
	n = strtol(v, &end, 10);
	if (v[0] == '\0' || !isdigit((unsigned char)v[0]) || errno != 0)
		goto bad;
	if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		mult = 1000;
	else if (strcmp(end, "m") == 0)
		mult = 60000;
	else
		goto bad;
	if (n <= 0 || n > 86400000L / mult) {
		snprintf(err, GW_ERR_LEN, "--%s: '%s' must be between 1ms and 24 hours",
		    name, v);
		return -1;
	}
	*ms = (int)(n * mult);
	return 0;
bad:
	snprintf(err, GW_ERR_LEN, "--%s: '%s' is not a duration (like 500ms, 10s, 5m)",
	    name, v);
	return -1;
}

/* "30d", "12h", "90m", "45s", "2w" -> milliseconds, 1 s .. 100 years. */
static int
parse_age(const char *name, const char *v, int64_t *ms, char *err)
{
	static const struct { char unit; int64_t ms; } units[] = {
		{ 's', 1000 }, { 'm', 60000 }, { 'h', 3600000 },
		{ 'd', 86400000 }, { 'w', 604800000 },
	};
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (!isdigit((unsigned char)v[0]) || errno != 0 || end[0] == '\0' ||
	    end[1] != '\0')
		goto bad;
	for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++) {
		if (end[0] != units[i].unit)
			continue;
		if (n < 1 || n > 100LL * 365 * 86400000 / units[i].ms) {
			snprintf(err, GW_ERR_LEN, "--%s: '%s' must be between 1s "
			    "and 100 years", name, v);
			return -1;
		}
		*ms = n * units[i].ms;
		return 0;
	}
bad:
	snprintf(err, GW_ERR_LEN, "--%s: '%.64s' is not a duration with a unit "
	    "(like 45s, 90m, 12h, 30d, 2w)", name, v);
	return -1;
}

/* A flag's value: "" (the flag alone) and on/yes/true/1 are 1,
 * off/no/false/0 are 0, anything else -1. */
static int
parse_bool(const char *v)
{
	static const char *const yes[] = { "", "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	return -1;
}

int
gw_config_is_flag(const char *name)
{
	return strcmp(name, "debug") == 0 || strcmp(name, "no-create") == 0;
}

int
gw_config_set(struct gw_config *c, const char *name, const char *v, char *err)
{
	long n;

	if (strcmp(name, "listen") == 0) {
		if (c->nlisten == GW_MAX_LISTEN) {
			snprintf(err, GW_ERR_LEN, "--listen: at most %d addresses",
			    GW_MAX_LISTEN);
			return -1;
		}
		c->listen[c->nlisten++] = v;
	} else if (strcmp(name, "proxy-listen") == 0) {
		if (c->nproxy_listen == GW_MAX_LISTEN) {
			snprintf(err, GW_ERR_LEN, "--proxy-listen: at most %d "
			    "addresses", GW_MAX_LISTEN);
			return -1;
		}
		c->proxy_listen[c->nproxy_listen++] = v;
	} else if (strcmp(name, "admin-listen") == 0) {
		c->admin_listen = strcmp(v, "off") == 0 ? NULL : v;
		c->admin_set = 1;
	} else if (strcmp(name, "app-listen") == 0) {
		if (strcmp(v, "off") == 0) {
			c->app_off = 1;
			c->napp_listen = 0;
			return 0;
		}
		if (c->napp_listen == GW_MAX_LISTEN) {
			snprintf(err, GW_ERR_LEN, "--app-listen: at most %d "
			    "addresses", GW_MAX_LISTEN);
			return -1;
		}
		c->app_off = 0;
		c->app_listen[c->napp_listen++] = v;
	} else if (strcmp(name, "cert") == 0 || strcmp(name, "key") == 0) {
		int is_cert = name[0] == 'c';
		size_t i;

		/* Pairs fill in order: --cert A --key A --cert B --key B. */
		for (i = 0; i < c->ncerts; i++)
			if ((is_cert ? c->certs[i].cert : c->certs[i].key) == NULL)
				break;
		if (i == c->ncerts) {
			if (c->ncerts == GW_MAX_CERTS) {
				snprintf(err, GW_ERR_LEN, "--%s: at most %d pairs",
				    name, GW_MAX_CERTS);
				return -1;
			}
			c->ncerts++;
		}
		if (is_cert)
			c->certs[i].cert = v;
		else
			c->certs[i].key = v;
	} else if (strcmp(name, "db") == 0) {
		c->db = v;
	} else if (strcmp(name, "key-file") == 0) {
		c->key_file = v;
	} else if (strcmp(name, "state-dir") == 0) {
		c->state_dir = v;
	} else if (strcmp(name, "profile") == 0) {
		int p = gw_profile_parse(v);
		if (p < 0) {
			snprintf(err, GW_ERR_LEN, "--profile: '%s' is not a profile "
			    "(modern, compat or legacy-esp8266)", v);
			return -1;
		}
		c->profile = (enum gw_profile)p;
	} else if (strcmp(name, "workers") == 0) {
		if (parse_int(name, v, 1, GW_MAX_WORKERS, &n, err) < 0)
			return -1;
		c->workers = (int)n;
	} else if (strcmp(name, "max-connections") == 0) {
		if (parse_int(name, v, 1, 10000000, &n, err) < 0)
			return -1;
		c->max_conn = (int)n;
	} else if (strcmp(name, "max-handshakes") == 0) {
		if (parse_int(name, v, 1, 10000000, &n, err) < 0)
			return -1;
		c->max_handshakes = (int)n;
	} else if (strcmp(name, "max-body") == 0) {
		if (parse_int(name, v, 1, GW_MAX_BODY_LIMIT, &n, err) < 0)
			return -1;
		c->max_body = (size_t)n;
	} else if (strcmp(name, "device-rate") == 0) {
		if (parse_int(name, v, 0, 1000000, &n, err) < 0)
			return -1;
		c->device_rate = (int)n;
	} else if (strcmp(name, "device-burst") == 0) {
		if (parse_int(name, v, 1, 1000000, &n, err) < 0)
			return -1;
		c->device_burst = (int)n;
	} else if (strcmp(name, "handshake-timeout") == 0) {
		return parse_duration(name, v, &c->handshake_ms, err);
	} else if (strcmp(name, "head-timeout") == 0) {
		return parse_duration(name, v, &c->head_ms, err);
	} else if (strcmp(name, "body-timeout") == 0) {
		return parse_duration(name, v, &c->body_ms, err);
	} else if (strcmp(name, "idle-timeout") == 0) {
		return parse_duration(name, v, &c->idle_ms, err);
	} else if (strcmp(name, "drain-timeout") == 0) {
		return parse_duration(name, v, &c->drain_ms, err);
	} else if (strcmp(name, "registry-timeout") == 0) {
		return parse_duration(name, v, &c->registry_ms, err);
	} else if (strcmp(name, "session-save") == 0) {
		return parse_duration(name, v, &c->session_save_ms, err);
	} else if (strcmp(name, "log-format") == 0) {
		if (strcmp(v, "json") == 0)
			c->log_json = 1;
		else if (strcmp(v, "logfmt") == 0)
			c->log_json = 0;
		else {
			snprintf(err, GW_ERR_LEN, "--log-format: '%s' is not logfmt "
			    "or json", v);
			return -1;
		}
	} else if (strcmp(name, "debug") == 0 ||
	    strcmp(name, "no-create") == 0) {
		int *flag = strcmp(name, "debug") == 0 ? &c->log_debug :
		    &c->no_create;

		if ((*flag = parse_bool(v)) < 0) {
			*flag = 0;
			snprintf(err, GW_ERR_LEN, "--%s: '%.64s' is not on or off (on, "
			    "off, yes, no, true, false, 1, 0)", name, v);
			return -1;
		}
	} else if (strcmp(name, "presence") == 0) {
		int on = parse_bool(v);

		if (on < 0) {
			snprintf(err, GW_ERR_LEN, "--presence: '%.64s' is not on "
			    "or off", v);
			return -1;
		}
		c->presence_off = !on;
	} else if (strcmp(name, "node") == 0) {
		size_t len = strlen(v);

		if (len == 0 || len >= REG_NODE_MAX) {
			snprintf(err, GW_ERR_LEN, "--node: a name of 1 to %d "
			    "bytes", REG_NODE_MAX - 1);
			return -1;
		}
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)v[i] <= ' ' || v[i] == ',' ||
			    v[i] == '"' || v[i] == '\\' || v[i] == 0x7f) {
				snprintf(err, GW_ERR_LEN, "--node: '%.64s' has a "
				    "space, comma, quote, backslash or control "
				    "character; use letters, digits and . - _ :",
				    v);
				return -1;
			}
		c->node = v;
	} else if (strcmp(name, "forward") == 0) {
		struct gw_fwd_url u;

		if (gw_fwd_url_parse(v, &u, err) < 0)
			return -1;
		for (size_t i = 0; i < c->nforward; i++)
			if (strcmp(c->forward[i], v) == 0) {
				snprintf(err, GW_ERR_LEN, "--forward: '%.120s' is "
				    "given twice (one receiver, one cursor)", v);
				return -1;
			}
		if (c->nforward == GW_MAX_FORWARD) {
			snprintf(err, GW_ERR_LEN, "--forward: at most %d "
			    "receivers", GW_MAX_FORWARD);
			return -1;
		}
		c->forward[c->nforward++] = v;
	} else if (strcmp(name, "retain") == 0) {
		return parse_age(name, v, &c->retain_ms, err);
	} else if (strcmp(name, "forward-ca") == 0) {
		c->forward_ca = v;
	} else if (strcmp(name, "forward-batch") == 0) {
		if (parse_int(name, v, 1, GW_FORWARD_BATCH_MAX, &n, err) < 0)
			return -1;
		c->forward_batch = (int)n;
	} else {
		snprintf(err, GW_ERR_LEN, "unknown option '%s'", name);
		return -1;
	}
	return 0;
}

/*
 * The grammar (docs/cmd-serve.md): a line is "name value", "name = value"
 * or a flag's "name"; '#' starts a comment at the start of a line or after
 * whitespace, so "db postgres://u:p#w@h/x" keeps its '#'; a value in
 * double quotes is taken as it is, up to the next '"', for a value with
 * " #" or edge spaces in it. Splits line in place; *name NULL: nothing on
 * it. -1 with err for a quote that does not close or text after it.
 */
static int
split_line(char *line, char **name, char **value, char *err)
{
	char *p = line, *q, *e;

	*name = *value = NULL;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	*name = p;
	while (*p != '\0' && !isspace((unsigned char)*p) && *p != '=')
		p++;
	e = p;	/* the name's end, cut last: the scan below looks behind */
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '=')
		for (p++; isspace((unsigned char)*p); p++)
			continue;
	if (*p == '"') {
		if ((q = strchr(p + 1, '"')) == NULL) {
			snprintf(err, GW_ERR_LEN, "a quoted value has no closing '\"'");
			return -1;
		}
		*q++ = '\0';
		while (isspace((unsigned char)*q))
			q++;
		if (*q != '\0' && *q != '#') {
			snprintf(err, GW_ERR_LEN, "text after a quoted value");
			return -1;
		}
		*e = '\0';
		*value = p + 1;
		return 0;
	}
	for (q = p; *q != '\0'; q++)
		if (*q == '#' && isspace((unsigned char)q[-1]))
			break;
	while (q > p && isspace((unsigned char)q[-1]))
		q--;
	*q = '\0';
	*e = '\0';
	*value = p;
	return 0;
}

/* Options that name a file or directory: relative ones in a config file
 * are taken from the file's directory, as nginx and sshd do. */
static int
is_path(const char *name, const char *v)
{
	if (strcmp(name, "db") == 0)
		return reg_db_file(v) != NULL;	/* not a URI */
	return strcmp(name, "cert") == 0 || strcmp(name, "key") == 0 ||
	    strcmp(name, "key-file") == 0 || strcmp(name, "state-dir") == 0 ||
	    strcmp(name, "forward-ca") == 0;
}

int
gw_config_parse(struct gw_config *c, const char *path, const char *text,
    size_t len, char **storage, char *err)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash == NULL ? 0 : (size_t)(slash - path);
	size_t lines = 1, i, n;
	char *buf, *arena, *line, *next, msg[GW_ERR_LEN];
	int lineno = 0;

	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	/* The text, then room for each line's value joined to the file's
	 * directory: at most dirlen + '/' + the line + NUL a line. */
	*storage = NULL;
	if (len > (SIZE_MAX - 1) / 2 || lines > (SIZE_MAX / 2 - len) /
	    (dirlen + 2) || (buf = malloc(2 * len + 1 + lines * (dirlen + 2))) ==
	    NULL) {
		snprintf(err, GW_ERR_LEN, "%.100s: out of memory", path);
		return -1;
	}
	*storage = buf;
	memcpy(buf, text, len);
	buf[len] = '\0';
	arena = buf + len + 1;

	for (line = buf; line != NULL; line = next) {
		char *name, *value;
		size_t linelen;

		lineno++;
		next = memchr(line, '\n', len - (size_t)(line - buf));
		linelen = next != NULL ? (size_t)(next - line) :
		    len - (size_t)(line - buf);
		if (next != NULL)
			*next++ = '\0';
		if (strlen(line) != linelen) {
			snprintf(msg, sizeof(msg), "a NUL byte");
			goto fail;
		}
		if (split_line(line, &name, &value, msg) < 0)
			goto fail;
		if (name == NULL)
			continue;
		if (strcmp(name, "config") == 0) {
			snprintf(msg, sizeof(msg), "config files do not nest");
			goto fail;
		}
		if (*value == '\0' && !gw_config_is_flag(name)) {
			snprintf(msg, sizeof(msg), "'%.64s' needs a value", name);
			goto fail;
		}
		if (value[0] != '/' && slash != NULL && is_path(name, value)) {
			n = strlen(value);
			memcpy(arena, path, dirlen);
			arena[dirlen] = '/';
			memcpy(arena + dirlen + 1, value, n + 1);
			value = arena;
			arena += dirlen + n + 2;
		}
		if (gw_config_set(c, name, value, err) < 0) {
			snprintf(msg, sizeof(msg), "%s", err);
			goto fail;
		}
	}
	return 0;
fail:
	snprintf(err, GW_ERR_LEN, "%.100s:%d: %.140s", path, lineno, msg);
	return -1;
}

int
gw_config_load(struct gw_config *c, const char *path, char **storage,
    char *err)
{
	FILE *f;
	char *buf;
	long size;
	int rc;

	*storage = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, GW_ERR_LEN, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    size > 1 << 20 || fseek(f, 0, SEEK_SET) != 0) {
		snprintf(err, GW_ERR_LEN, "%s: not a readable file under 1 MiB", path);
		fclose(f);
		return -1;
	}
	if ((buf = malloc((size_t)size + 1)) == NULL) {
		snprintf(err, GW_ERR_LEN, "%s: out of memory", path);
		fclose(f);
		return -1;
	}
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		snprintf(err, GW_ERR_LEN, "%s: read error", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	rc = gw_config_parse(c, path, buf, (size_t)size, storage, err);
	free(buf);
	return rc;
}

/* Each address serves one kind of client: devices, devices behind a
 * balancer, applications, or metrics. 0, or -1 with err. */
static int
distinct_addresses(const struct gw_config *c, char *err)
{
	const char *addr[3 * GW_MAX_LISTEN + 1], *opt[3 * GW_MAX_LISTEN + 1];
	size_t n = 0;

	for (size_t i = 0; i < c->nlisten; i++, n++)
		addr[n] = c->listen[i], opt[n] = "--listen";
	for (size_t i = 0; i < c->nproxy_listen; i++, n++)
		addr[n] = c->proxy_listen[i], opt[n] = "--proxy-listen";
	for (size_t i = 0; i < c->napp_listen; i++, n++)
		addr[n] = c->app_listen[i], opt[n] = "--app-listen";
	if (c->admin_listen != NULL)
		addr[n] = c->admin_listen, opt[n++] = "--admin-listen";
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(addr[i], addr[j]) == 0) {
				snprintf(err, GW_ERR_LEN, "%s %s is also a%s %s "
				    "address: each kind of client needs its own",
				    opt[j], addr[j], opt[i][2] == 'a' ? "n" : "",
				    opt[i]);
				return -1;
			}
	return 0;
}

int
gw_config_check(const struct gw_config *c, char *err)
{
	for (size_t i = 0; i < c->ncerts; i++) {
		if (c->certs[i].cert == NULL || c->certs[i].key == NULL) {
			snprintf(err, GW_ERR_LEN, "certificate pair %zu has %s but no "
			    "%s: give --cert and --key together", i + 1,
			    c->certs[i].cert ? "--cert" : "--key",
			    c->certs[i].cert ? "--key" : "--cert");
			return -1;
		}
	}
	if (distinct_addresses(c, err) < 0)
		return -1;
	if (c->head_ms > c->idle_ms) {
		snprintf(err, GW_ERR_LEN, "--head-timeout is longer than --idle-timeout");
		return -1;
	}
	return 0;
}

/* see gateway.h */
void
gw_config_node(const struct gw_config *c, char *out)
{
	const char *first = c->nlisten > 0 ? c->listen[0] :
	    c->nproxy_listen > 0 ? c->proxy_listen[0] : "127.0.0.1:8443";
	const char *port = strrchr(first, ':');
	char host[REG_NODE_MAX - 8];

	if (c->node != NULL) {
		snprintf(out, REG_NODE_MAX, "%s", c->node);
		return;
	}
	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(out, REG_NODE_MAX, "%s:%s", host, port != NULL ? port + 1 :
	    "8443");
}

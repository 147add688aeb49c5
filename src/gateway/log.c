/* SPDX-License-Identifier: MIT */
/*
 * log.c - one line per event, logfmt or JSON, on stderr. Each line is
 * built in a local buffer and written with one write(2), so lines from
 * several threads never interleave. A JSON line is made by the JSON
 * writer: a value too long for the line is shortened and the line says
 * "truncated":true, so every line parses.
 *
 * Lines above debug are rate-limited per event (a token bucket each,
 * GW_LOG_BURST lines, then GW_LOG_PER_S a second): a client can make the
 * gateway log, and must not be able to fill its disk. What was left out
 * is counted and said in one log_suppressed line per event.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "gateway/gateway.h"

#define GW_LOG_LINE 2048

/*
 * Keys whose values are always integers (every gw_log call passes them as
 * decimal text): a JSON line writes them as numbers when the text is a
 * canonical integer, as strings otherwise. Add a key here when a call
 * site starts passing a count.
 */
static const char *const int_keys[] = {
	"status",	/* conn.c, routes.c: the HTTP status answered */
	"offset",	/* conn.c: where the parser refused the head */
	"seq",		/* routes.c: X-Tether-Seq */
	"command",	/* routes.c, sweep.c: a command's id */
	"ms",		/* intake.c: how long a store took */
	"messages",	/* intake.c: messages in a batch */
	"workers",	/* server.c */
	"suppressed",	/* log.c: lines left out (log_suppressed) */
};

static int
is_int_key(const char *k)
{
	for (size_t i = 0; i < sizeof(int_keys) / sizeof(int_keys[0]); i++)
		if (strcmp(k, int_keys[i]) == 0)
			return 1;
	return 0;
}

static int log_json;
static int log_debug;

/* One event's bucket: keyed by the event's name (its text, not its
 * address: one name may be several literals). */
struct log_class {
	const char	*event;		/* NULL: a free slot */
	double		 tokens;
	int64_t		 at;		/* ms, monotonic: tokens counted then */
	int64_t		 since;		/* first line left out, ms */
	unsigned long	 suppressed;
};

static pthread_mutex_t classes_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_class classes[GW_LOG_CLASSES];
static atomic_int any_suppressed;	/* a summary is owed */

static void emit(enum gw_log_level level, const char *event, va_list ap);

static void
line_of(enum gw_log_level level, const char *event, ...)
{
	va_list ap;

	va_start(ap, event);
	emit(level, event, ap);
	va_end(ap);
}

/* Says how many lines of c were left out; called with classes_lock. */
static void
summarise(struct log_class *c, int64_t now)
{
	char count[24], why[160];

	snprintf(count, sizeof(count), "%lu", c->suppressed);
	snprintf(why, sizeof(why), "%lu %s lines left out in %lld ms "
	    "(at most %d a second an event after a burst of %d)",
	    c->suppressed, c->event, (long long)(now - c->since),
	    GW_LOG_PER_S, GW_LOG_BURST);
	line_of(GW_LOG_WARN, "log_suppressed", "of", c->event,
	    "suppressed", count, "reason", why, NULL);
	c->suppressed = 0;
}

/* 1: write this line of event; 0: leave it out (counted). */
static int
admit(const char *event)
{
	uint64_t h = 1469598103934665603ull;
	struct log_class *c = NULL;
	int64_t now = reg_mono_us() / 1000;
	int ok;

	for (const char *p = event; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	pthread_mutex_lock(&classes_lock);
	for (size_t i = 0; i < GW_LOG_CLASSES; i++) {
		struct log_class *s = &classes[(h + i) % GW_LOG_CLASSES];

		if (s->event == NULL) {
			*s = (struct log_class){ .event = event,
			    .tokens = GW_LOG_BURST, .at = now };
			c = s;
			break;
		}
		if (strcmp(s->event, event) == 0) {
			c = s;
			break;
		}
	}
	if (c == NULL) {	/* more events than slots: never limited */
		pthread_mutex_unlock(&classes_lock);
		return 1;
	}
	c->tokens += (double)(now - c->at) * GW_LOG_PER_S / 1000.0;
	if (c->tokens > GW_LOG_BURST)
		c->tokens = GW_LOG_BURST;
	c->at = now;
	if (c->tokens >= 1) {
		c->tokens -= 1;
		if (c->suppressed > 0 && now - c->since >= GW_LOG_SUMMARY_MS)
			summarise(c, now);
		ok = 1;
	} else {
		if (c->suppressed++ == 0)
			c->since = now;
		atomic_store(&any_suppressed, 1);
		ok = 0;
	}
	pthread_mutex_unlock(&classes_lock);
	return ok;
}

void
gw_log_flush_suppressed(void)
{
	int64_t now;

	if (!atomic_load(&any_suppressed))
		return;		/* the usual case: one load */
	now = reg_mono_us() / 1000;
	pthread_mutex_lock(&classes_lock);
	atomic_store(&any_suppressed, 0);
	for (size_t i = 0; i < GW_LOG_CLASSES; i++) {
		struct log_class *c = &classes[i];

		if (c->event == NULL || c->suppressed == 0)
			continue;
		if (now - c->since >= GW_LOG_SUMMARY_MS)
			summarise(c, now);
		else
			atomic_store(&any_suppressed, 1);
	}
	pthread_mutex_unlock(&classes_lock);
}

void
gw_log_init(int json, int debug)
{
	log_json = json;
	log_debug = debug;
}

int
gw_log_enabled(enum gw_log_level level)
{
	return level != GW_LOG_DEBUG || log_debug;
}

struct line {
	char	buf[GW_LOG_LINE];
	size_t	len;
};

static void
put(struct line *l, const char *s, size_t n)
{
	if (n > sizeof(l->buf) - 2 - l->len)
		n = sizeof(l->buf) - 2 - l->len;	/* room for "\n" */
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void
puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

/* A logfmt value: a bare word, or a quoted string with control
 * characters escaped. */
static void
put_value(struct line *l, const char *v)
{
	int quote = *v == '\0';
	char esc[8];

	for (const char *p = v; *p && !quote; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    (unsigned char)*p >= 0x7f)
			quote = 1;
	if (!quote) {
		puts_(l, v);
		return;
	}
	put(l, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			put(l, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			put(l, esc, strlen(esc));
		} else {
			put(l, (const char *)p, 1);
		}
	}
	put(l, "\"", 1);
}

static void
put_pair(struct line *l, const char *k, const char *v, int first)
{
	if (!first)
		put(l, " ", 1);
	puts_(l, k);
	put(l, "=", 1);
	put_value(l, v);
}

void
gw_log(enum gw_log_level level, const char *event, ...)
{
	va_list ap;

	if (!gw_log_enabled(level))
		return;
	/* Debug lines are asked for (--debug): not limited. */
	if (level != GW_LOG_DEBUG && !admit(event))
		return;
	va_start(ap, event);
	emit(level, event, ap);
	va_end(ap);
}

static void
emit(enum gw_log_level level, const char *event, va_list ap)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	struct line l;
	struct timespec ts;
	struct tm tm;
	char when[80];
	const char *k, *v;

	l.len = 0;	/* not "= { 0 }": 2 KiB zeroed for every debug event */
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	if (log_json) {
		struct json j;

		json_init(&j, l.buf, sizeof(l.buf) - 1);	/* and "\n" */
		json_object(&j, NULL, JSON_COMPACT);
		json_str(&j, "ts", when);
		json_str(&j, "level", names[level]);
		json_str(&j, "event", event);
		while ((k = va_arg(ap, const char *)) != NULL) {
			v = va_arg(ap, const char *);
			if (v != NULL && is_int_key(k))
				json_int_text(&j, k, v);
			else if (v != NULL)
				json_str(&j, k, v);
		}
		json_finish(&j);
		l.len = j.len;
	} else {
		put_pair(&l, "ts", when, 1);
		put_pair(&l, "level", names[level], 0);
		put_pair(&l, "event", event, 0);
		while ((k = va_arg(ap, const char *)) != NULL) {
			v = va_arg(ap, const char *);
			if (v != NULL)
				put_pair(&l, k, v, 0);
		}
	}
	l.buf[l.len++] = '\n';
	/* One write: a short line to a pipe or file is not interleaved. */
	if (write(STDERR_FILENO, l.buf, l.len) < 0)
		return;
}

/* SPDX-License-Identifier: MIT */
/*
 * test_config.c - the gateway's config file grammar (src/gateway/config.c,
 * docs/cmd-serve.md): flags take on/off and the like, '#' starts a comment
 * only at a line's start or after whitespace, quotes keep a value whole,
 * relative paths are the file's directory's, and a bad line is named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/gateway.h"

/* Parses text as the file path; returns gw_config_parse's result. */
static int
parse(struct gw_config *c, const char *path, const char *text, char **st,
    char *err)
{
	gw_config_defaults(c);
	err[0] = '\0';
	return gw_config_parse(c, path, text, strlen(text), st, err);
}

static void
test_debug_takes_a_boolean(void **state)
{
	static const struct {
		const char	*text;
		int		 rc, debug;
	} cases[] = {
		{ .text = "debug\n", .rc = 0, .debug = 1 },
		{ .text = "debug on\n", .rc = 0, .debug = 1 },
		{ .text = "debug = yes\n", .rc = 0, .debug = 1 },
		{ .text = "debug TRUE\n", .rc = 0, .debug = 1 },
		{ .text = "debug 1\n", .rc = 0, .debug = 1 },
		/* each of these turned debug on before */
		{ .text = "debug off\n", .rc = 0, .debug = 0 },
		{ .text = "debug=no\n", .rc = 0, .debug = 0 },
		{ .text = "debug false # quiet\n", .rc = 0, .debug = 0 },
		{ .text = "debug 0\n", .rc = 0, .debug = 0 },
		{ .text = "debug on\ndebug off\n", .rc = 0, .debug = 0 },
		{ .text = "\ndebug maybe\n", .rc = -1 },
	};
	struct gw_config c;
	char err[256], *st;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(&c, "t.conf", cases[i].text, &st, err),
		    cases[i].rc);
		if (cases[i].rc == 0)
			assert_int_equal(c.log_debug, cases[i].debug);
		free(st);
	}
	assert_non_null(strstr(err, "t.conf:2: --debug: 'maybe' is not on "
	    "or off"));

	/* The command line's --debug=0 goes through the same setter. */
	gw_config_defaults(&c);
	assert_int_equal(gw_config_set(&c, "debug", "0", err), 0);
	assert_int_equal(c.log_debug, 0);
	assert_int_equal(gw_config_set(&c, "debug", "", err), 0);
	assert_int_equal(c.log_debug, 1);
}

/* --no-create is a flag like --debug, and sets only itself. */
static void
test_no_create_is_a_flag(void **state)
{
	struct gw_config c;
	char err[256], *st;

	(void)state;
	assert_int_equal(gw_config_is_flag("no-create"), 1);
	assert_int_equal(parse(&c, "t.conf", "no-create\n", &st, err), 0);
	assert_int_equal(c.no_create, 1);
	assert_int_equal(c.log_debug, 0);
	free(st);
	assert_int_equal(parse(&c, "t.conf", "no-create off\n", &st, err), 0);
	assert_int_equal(c.no_create, 0);
	free(st);
	assert_int_equal(parse(&c, "t.conf", "no-create perhaps\n", &st, err),
	    -1);
	free(st);
	assert_non_null(strstr(err, "t.conf:1: --no-create: 'perhaps' is not "
	    "on or off"));
	gw_config_defaults(&c);
	assert_int_equal(c.no_create, 0);
	assert_int_equal(gw_config_set(&c, "no-create", "", err), 0);
	assert_int_equal(c.no_create, 1);
	assert_int_equal(c.log_debug, 0);
}

static void
test_hash_after_whitespace_is_a_comment(void **state)
{
	struct gw_config c;
	char err[256], *st;

	(void)state;
	/* '#' inside a value is the value's: a URI's password, a path */
	assert_int_equal(parse(&c, "/etc/t.conf",
	    "# a comment\n"
	    "  # an indented one\n"
	    "db postgres://gw:p#ss@db.example/tether # the store\n"
	    "key-file /var/lib/tether/key#1\n"
	    "state-dir=\"/srv/a #b \"  # quoted: the ' #' and the space kept\n"
	    "listen 127.0.0.1:1#\n"
	    "listen=#after-equals\n",
	    &st, err), 0);
	assert_string_equal(c.db, "postgres://gw:p#ss@db.example/tether");
	assert_string_equal(c.key_file, "/var/lib/tether/key#1");
	assert_string_equal(c.state_dir, "/srv/a #b ");
	assert_int_equal(c.nlisten, 2);
	assert_string_equal(c.listen[0], "127.0.0.1:1#");
	assert_string_equal(c.listen[1], "#after-equals");
	free(st);

	/* A value that is only a comment is no value. */
	assert_int_equal(parse(&c, "t.conf", "db #nothing\n", &st, err), -1);
	assert_string_equal(err, "t.conf:1: 'db' needs a value");
	free(st);
	assert_int_equal(parse(&c, "t.conf", "db \"open\n", &st, err), -1);
	assert_non_null(strstr(err, "t.conf:1: a quoted value has no closing"));
	free(st);
	assert_int_equal(parse(&c, "t.conf", "db \"a\" b\n", &st, err), -1);
	assert_string_equal(err, "t.conf:1: text after a quoted value");
	free(st);
}

static void
test_relative_paths_are_the_files(void **state)
{
	struct gw_config c;
	char err[256], *st;

	(void)state;
	assert_int_equal(parse(&c, "/etc/tether/serve.conf",
	    "cert gw.crt\nkey keys/gw.key\ncert /abs/b.crt\nkey ../b.key\n"
	    "db tether.db\nkey-file reg.key\nstate-dir state\n"
	    "listen 127.0.0.1:8443\n", &st, err), 0);
	assert_string_equal(c.certs[0].cert, "/etc/tether/gw.crt");
	assert_string_equal(c.certs[0].key, "/etc/tether/keys/gw.key");
	assert_string_equal(c.certs[1].cert, "/abs/b.crt");
	assert_string_equal(c.certs[1].key, "/etc/tether/../b.key");
	assert_string_equal(c.db, "/etc/tether/tether.db");
	assert_string_equal(c.key_file, "/etc/tether/reg.key");
	assert_string_equal(c.state_dir, "/etc/tether/state");
	assert_string_equal(c.listen[0], "127.0.0.1:8443");
	free(st);

	/* A URI is not a path; a file in the working directory changes
	 * nothing; one in / gets "/x". */
	assert_int_equal(parse(&c, "conf/serve.conf",
	    "db postgresql://h/db\n", &st, err), 0);
	assert_string_equal(c.db, "postgresql://h/db");
	free(st);
	assert_int_equal(parse(&c, "serve.conf", "db t.db\n", &st, err), 0);
	assert_string_equal(c.db, "t.db");
	free(st);
	assert_int_equal(parse(&c, "/serve.conf", "db t.db\n", &st, err), 0);
	assert_string_equal(c.db, "/t.db");
	free(st);
}

static void
test_bad_lines_are_named(void **state)
{
	static const char nul[] = "workers 2\nwork\0ers 3\n";
	struct gw_config c;
	char err[256], *st;

	(void)state;
	gw_config_defaults(&c);
	assert_int_equal(gw_config_parse(&c, "t.conf", nul, sizeof(nul) - 1,
	    &st, err), -1);
	assert_string_equal(err, "t.conf:2: a NUL byte");
	free(st);
	assert_int_equal(parse(&c, "t.conf", "\r\nworkers 2\r\nconfig x\r\n",
	    &st, err), -1);
	assert_string_equal(err, "t.conf:3: config files do not nest");
	assert_int_equal(c.workers, 2);
	free(st);
	assert_int_equal(parse(&c, "t.conf", "max-body = 12x\n", &st, err), -1);
	assert_string_equal(err, "t.conf:1: --max-body: '12x' is not a whole "
	    "number");
	free(st);
}

/* --forward URLs: what each part becomes, and each refusal's reason. */
static void
test_forward_urls(void **state)
{
	static const struct {
		const char	*url;
		int		 ok;
		enum gw_fwd_scheme scheme;
		const char	*host, *path, *app, *why;
		int		 port;
	} cases[] = {
		{ "https://hooks.example/in?k=1#app=dash", 1, GW_FWD_HTTPS,
		  "hooks.example", "/in?k=1", "dash", NULL, 443 },
		{ "http://127.0.0.1:9000#app=a", 1, GW_FWD_HTTP, "127.0.0.1",
		  "/", "a", NULL, 9000 },
		{ "http://[::1]:81/x#app=a", 1, GW_FWD_HTTP, "::1", "/x", "a",
		  NULL, 81 },
		{ "HTTP://localhost/x#app=a", 1, GW_FWD_HTTP, "localhost", "/x",
		  "a", NULL, 80 },
		{ "mqtt://broker:1884/site/1/", 1, GW_FWD_MQTT, "broker",
		  "site/1", "", NULL, 1884 },
		{ "mqtts://broker", 1, GW_FWD_MQTTS, "broker", "tether", "",
		  NULL, 8883 },
		{ "http://10.0.0.1/x#app=a", 0, 0, NULL, NULL, NULL,
		  "taken for a receiver on this machine only", 0 },
		{ "https://h/x", 0, 0, NULL, NULL, NULL, "#app=NAME", 0 },
		{ "https://h/x#app=", 0, 0, NULL, NULL, NULL, "#app=NAME", 0 },
		{ "https://h/x#app=A", 0, 0, NULL, NULL, NULL,
		  "takes an application name", 0 },
		{ "https://u:p@h/x#app=a", 0, 0, NULL, NULL, NULL,
		  "user and password", 0 },
		{ "https://h:0/#app=a", 0, 0, NULL, NULL, NULL, "port", 0 },
		{ "https://h:80x/#app=a", 0, 0, NULL, NULL, NULL, "port", 0 },
		{ "https:///x#app=a", 0, 0, NULL, NULL, NULL, "no host", 0 },
		{ "https://h x/#app=a", 0, 0, NULL, NULL, NULL, "space", 0 },
		{ "https://h\r\n/#app=a", 0, 0, NULL, NULL, NULL, "control", 0 },
		{ "https://[::1/#app=a", 0, 0, NULL, NULL, NULL, "without ']'", 0 },
		{ "https://a:b:c/#app=a", 0, 0, NULL, NULL, NULL, "port", 0 },
		{ "mqtt://h/a+b", 0, 0, NULL, NULL, NULL, "wildcard", 0 },
		{ "mqtt://h/a#b", 0, 0, NULL, NULL, NULL, "no query or '#'", 0 },
		{ "ftp://h/x", 0, 0, NULL, NULL, NULL, "not a URL", 0 },
	};
	struct gw_fwd_url u;
	char err[GW_ERR_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int r = gw_fwd_url_parse(cases[i].url, &u, err);

		if (!cases[i].ok) {
			if (r != -1 || strstr(err, cases[i].why) == NULL)
				fail_msg("%s: %d, %s", cases[i].url, r, err);
			continue;
		}
		if (r != 0)
			fail_msg("%s: %s", cases[i].url, err);
		assert_int_equal(u.scheme, cases[i].scheme);
		assert_string_equal(u.host, cases[i].host);
		assert_string_equal(u.path, cases[i].path);
		assert_string_equal(u.app, cases[i].app);
		assert_int_equal(u.port, cases[i].port);
	}
}

/* A receiver's answer head: complete or not, kept or not, refused. */
static void
test_forward_reply(void **state)
{
	static const struct {
		const char	*text;
		long		 head;		/* -1, 0, or strlen(text) */
		int		 status, keep;
		long long	 length;
	} cases[] = {
		{ "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", 1, 200, 1, 2 },
		{ "HTTP/1.1 204 No Content\r\n\r\n", 1, 204, 1, -1 },
		{ "HTTP/1.1 200 OK\r\n\r\n", 1, 200, 0, -1 },
		{ "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 1, 200, 0, 0 },
		{ "HTTP/1.1 503 x\r\nConnection: close\r\n"
		  "Content-Length: 1\r\n\r\n", 1, 503, 0, 1 },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 1,
		  200, 0, -1 },
		{ "HTTP/1.1 200\n\n", 1, 200, 0, -1 },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", 0, 0, 0, -1 },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
		  "Content-Length: 1\r\n\r\n", -1, 0, 0, 0 },
		{ "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", -1, 0, 0, 0 },
		{ "HTTP/2 200\r\n\r\n", -1, 0, 0, 0 },
		{ "SSH-2.0-OpenSSH\r\n\r\n", -1, 0, 0, 0 },
		{ "HTTP/1.1 099 x\r\n\r\n", -1, 0, 0, 0 },
	};
	struct gw_fwd_reply r;
	char err[GW_ERR_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *t = cases[i].text;
		long want = cases[i].head > 0 ? (long)strlen(t) : cases[i].head;
		long got = gw_fwd_reply_parse(t, strlen(t), &r, err);

		if (got != want)
			fail_msg("case %zu: %ld, want %ld (%s)", i, got, want,
			    got < 0 ? err : "");
		if (got <= 0)
			continue;
		assert_int_equal(r.status, cases[i].status);
		assert_int_equal(r.keep, cases[i].keep);
		assert_int_equal(r.content_length, cases[i].length);
	}
}

/* Forwarding and retention in a config file: repeatable URLs, a CA path
 * taken from the file's directory, durations with units. */
static void
test_forward_and_retain_options(void **state)
{
	struct gw_config c;
	char err[GW_ERR_LEN], *st;

	(void)state;
	assert_int_equal(parse(&c, "/etc/t/t.conf",
	    "forward http://127.0.0.1:9000/in#app=a\n"
	    "forward mqtt://broker/site\n"
	    "forward-ca ca.pem\nforward-batch 50\nretain 30d\n", &st, err), 0);
	assert_int_equal(c.nforward, 2);
	assert_string_equal(c.forward[1], "mqtt://broker/site");
	assert_string_equal(c.forward_ca, "/etc/t/ca.pem");
	assert_int_equal(c.forward_batch, 50);
	assert_true(c.retain_ms == 30LL * 86400000);
	free(st);
	assert_int_equal(parse(&c, "t.conf", "forward mqtt://b/x\n"
	    "forward mqtt://b/x\n", &st, err), -1);
	assert_non_null(strstr(err, "t.conf:2: --forward: 'mqtt://b/x' is given "
	    "twice"));
	free(st);
	assert_int_equal(parse(&c, "t.conf", "retain 30\n", &st, err), -1);
	assert_non_null(strstr(err, "not a duration with a unit"));
	free(st);
	assert_int_equal(parse(&c, "t.conf", "retain 0s\n", &st, err), -1);
	assert_non_null(strstr(err, "between 1s and 100 years"));
	free(st);
	assert_int_equal(parse(&c, "t.conf", "forward-batch 1001\n", &st, err),
	    -1);
	free(st);
	gw_config_defaults(&c);
	assert_int_equal(c.retain_ms, 0);
	assert_int_equal(c.forward_batch, GW_FORWARD_BATCH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debug_takes_a_boolean),
		cmocka_unit_test(test_no_create_is_a_flag),
		cmocka_unit_test(test_hash_after_whitespace_is_a_comment),
		cmocka_unit_test(test_relative_paths_are_the_files),
		cmocka_unit_test(test_bad_lines_are_named),
		cmocka_unit_test(test_forward_urls),
		cmocka_unit_test(test_forward_reply),
		cmocka_unit_test(test_forward_and_retain_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

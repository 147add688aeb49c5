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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debug_takes_a_boolean),
		cmocka_unit_test(test_no_create_is_a_flag),
		cmocka_unit_test(test_hash_after_whitespace_is_a_comment),
		cmocka_unit_test(test_relative_paths_are_the_files),
		cmocka_unit_test(test_bad_lines_are_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

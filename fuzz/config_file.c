/* SPDX-License-Identifier: MIT */
/*
 * config_file.c - libFuzzer target for the gateway's config file parser
 * (gw_config_parse in src/gateway/config.c): any text is taken or refused
 * with "file:line: sentence" naming a line the text has; taken, every
 * path it set is the file's directory's, and parsing it again gives the
 * same configuration.
 */
#include "fuzz.h"
#include "gateway/gateway.h"

#define PATH	"/etc/tether/serve.conf"

/* A path option set by the file: absolute, or the default. */
static void
is_rooted(const char *v, const char *dflt)
{
	require(v != NULL);
	require(v == dflt || v[0] == '/' || reg_db_file(v) == NULL);
}

static void
same_config(const struct gw_config *a, const struct gw_config *b)
{
	size_t i;

	require(a->nlisten == b->nlisten && a->ncerts == b->ncerts);
	for (i = 0; i < a->nlisten; i++)
		require(strcmp(a->listen[i], b->listen[i]) == 0);
	require(strcmp(a->db, b->db) == 0);
	require(strcmp(a->state_dir, b->state_dir) == 0);
	require((a->key_file == NULL) == (b->key_file == NULL));
	require(a->profile == b->profile && a->workers == b->workers);
	require(a->max_conn == b->max_conn && a->max_body == b->max_body);
	require(a->device_rate == b->device_rate &&
	    a->device_burst == b->device_burst);
	require(a->handshake_ms == b->handshake_ms && a->head_ms == b->head_ms &&
	    a->body_ms == b->body_ms && a->idle_ms == b->idle_ms &&
	    a->drain_ms == b->drain_ms);
	require(a->log_json == b->log_json && a->log_debug == b->log_debug);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_config c, again, dflt;
	char *text = fuzz_copy(data, size, 0), *st = NULL, *st2 = NULL;
	char err[256], err2[256];
	size_t i, lines = 1;
	long line;
	int r;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	gw_config_defaults(&dflt);
	gw_config_defaults(&c);
	err[0] = '\0';
	r = gw_config_parse(&c, PATH, text, size, &st, err);
	require(r == 0 || r == -1);
	if (r < 0) {
		require(strncmp(err, PATH ":", sizeof(PATH)) == 0);
		line = strtol(err + sizeof(PATH), NULL, 10);
		require(line >= 1 && (size_t)line <= lines);
	} else {
		require(c.nlisten <= GW_MAX_LISTEN && c.ncerts <= GW_MAX_CERTS);
		for (i = 0; i < c.ncerts; i++) {
			if (c.certs[i].cert != NULL)
				is_rooted(c.certs[i].cert, NULL);
			if (c.certs[i].key != NULL)
				is_rooted(c.certs[i].key, NULL);
		}
		is_rooted(c.db, dflt.db);
		is_rooted(c.state_dir, dflt.state_dir);
		if (c.key_file != NULL)
			is_rooted(c.key_file, NULL);
		(void)gw_config_check(&c, err);
	}

	/* The text is copied: the same text parses to the same again. */
	gw_config_defaults(&again);
	err2[0] = '\0';
	require(gw_config_parse(&again, PATH, text, size, &st2, err2) == r);
	if (r < 0)
		require(strcmp(err, err2) == 0);
	else
		same_config(&c, &again);
	free(st);
	free(st2);
	free(text);
	return 0;
}

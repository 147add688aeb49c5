/* SPDX-License-Identifier: MIT */
/*
 * reload.c - SIGHUP and the config file: which options a running gateway
 * takes anew (the certificates and keys, the profile: a new TLS state
 * for new handshakes, server.c) and which it reads at start only, so
 * that a changed one is named in the log instead of quietly ignored.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "gateway/gateway.h"

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
same_list(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (!same_str(a[i], b[i]))
			return 0;
	return 1;
}

/* Appends name to names (len bytes), comma-separated. */
static void
add(char *names, size_t len, int *n, const char *name)
{
	size_t used = strlen(names);

	if (used < len)
		snprintf(names + used, len - used, "%s%s", *n ? ", " : "",
		    name);
	(*n)++;
}

int
gw_config_fixed_changes(const struct gw_config *r, const struct gw_config *f,
    char *names, size_t len)
{
	int n = 0;

	if (len > 0)
		names[0] = '\0';
#define STR(field, name) \
	if (!same_str(r->field, f->field)) add(names, len, &n, name)
#define NUM(field, name) \
	if (r->field != f->field) add(names, len, &n, name)
#define LIST(field, count, name) \
	if (!same_list(r->field, r->count, f->field, f->count)) \
		add(names, len, &n, name)
	LIST(listen, nlisten, "listen");
	LIST(proxy_listen, nproxy_listen, "proxy-listen");
	if (r->app_off != f->app_off)
		add(names, len, &n, "app-listen");
	else
		LIST(app_listen, napp_listen, "app-listen");
	if (r->admin_set != f->admin_set)
		add(names, len, &n, "admin-listen");
	else
		STR(admin_listen, "admin-listen");
	STR(db, "db");
	STR(key_file, "key-file");
	NUM(no_create, "no-create");
	STR(state_dir, "state-dir");
	NUM(workers, "workers");
	NUM(max_conn, "max-connections");
	NUM(max_handshakes, "max-handshakes");
	NUM(max_body, "max-body");
	NUM(device_rate, "device-rate");
	NUM(device_burst, "device-burst");
	NUM(handshake_ms, "handshake-timeout");
	NUM(head_ms, "head-timeout");
	NUM(body_ms, "body-timeout");
	NUM(idle_ms, "idle-timeout");
	NUM(drain_ms, "drain-timeout");
	NUM(session_save_ms, "session-save");
	NUM(registry_ms, "registry-timeout");
	NUM(log_json, "log-format");
	NUM(log_debug, "debug");
	LIST(forward, nforward, "forward");
	STR(forward_ca, "forward-ca");
	NUM(forward_batch, "forward-batch");
	NUM(retain_ms, "retain");
	STR(node, "node");
	NUM(presence_off, "presence");
	/* Going from given certificates to none (the development pair) or
	 * back changes what the start made: read at start only. */
	if ((r->ncerts == 0) != (f->ncerts == 0))
		add(names, len, &n, "cert (to or from the development pair)");
#undef STR
#undef NUM
#undef LIST
	return n;
}

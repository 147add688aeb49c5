/* SPDX-License-Identifier: MIT */
/*
 * device.c - `tether device`: lists, shows and administers registered
 * devices. Changes that running gateways must see (revoke, restore,
 * rotate, forget) go through the registry's change feed, which they poll:
 * within a second they refuse the old credential and close its
 * connections. No subcommand prints a secret or a credential: rotate
 * writes the new ones to files, as provision does.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/admin.h"
#include "cli/artifacts.h"
#include "cli/cli.h"
#include "common/json.h"
#include "registry/registry.h"

#define SHOW_AUDIT_ROWS	10	/* audit rows `show` prints */
#define SUGGEST_MAX	3	/* ids offered after "did you mean" */

static void
usage(FILE *out)
{
	fprintf(out,
"usage: tether device list [--status active|revoked] [--label GLOB]\n"
"                          [--seen-since AGE] [--not-seen-since AGE]\n"
"                          [--online] [--json]\n"
"       tether device show ID [--json]\n"
"       tether device rename ID LABEL\n"
"       tether device revoke ID\n"
"       tether device restore ID\n"
"       tether device rotate ID --out DIR [--no-per-device-files]\n"
"       tether device forget ID [--delete-messages]\n"
"       tether device command ID PAYLOAD [--ttl AGE] [--hex] [--json]\n"
"       tether device command ID --file FILE [--ttl AGE] [--json]\n"
"       tether device command ID --cancel CMDID\n"
"       tether device commands ID [--state STATE] [--json]\n"
"  each also takes [--db PATH] [--key-file FILE]\n"
"\n"
"list     devices, oldest first; AGE is like 30s, 15m, 24h, 7d or 2w;\n"
"         --online: only those holding a connection to a gateway now\n"
"show     every field of one device and its latest audit rows\n"
"rename   set the owner label (\"\" clears it); the id never changes\n"
"revoke   refuse the device's credential: running gateways refuse it\n"
"         within a second and close its open connections\n"
"restore  accept a revoked device's credential again\n"
"rotate   give the device a new secret: the old credential is refused\n"
"         within a second; the new secret is written to DIR like a\n"
"         provisioned batch of one\n"
"forget   delete the device (its credential is refused within a second);\n"
"         its messages are kept unless --delete-messages is given\n"
"command  queue a command: the device gets it in the answer to its next\n"
"         message; prints its id (`tether device command --help`)\n"
"commands the device's commands and their state, oldest first\n"
"\n"
"ID is the device id, like d7k3-m9q2-x; case and dashes do not matter,\n"
"and its last character is a check that catches a mistyped character.\n"
"\n"
"options:\n"
"  --db PATH        registry database (default %s)\n"
"  --key-file FILE  registry key file (default PATH.key)\n"
"  --json           list, show: output for machines\n"
"  -h, --help       this text\n"
"\n"
"examples:\n"
"  tether device list --status active --not-seen-since 1d\n"
"  tether device rename d7k3-m9q2-x 'hall sensor'\n"
"  tether device rotate d7k3-m9q2-x --out rotated-1\n"
"\n"
"docs/cmd-device.md has more.\n", CLI_DEFAULT_DB);
}

/* Options, and which subcommands take them. */
enum {
	O_DB = 1 << 0,
	O_KEY = 1 << 1,
	O_JSON = 1 << 2,
	O_STATUS = 1 << 3,
	O_LABEL = 1 << 4,
	O_SEEN = 1 << 5,
	O_NOT_SEEN = 1 << 6,
	O_OUT = 1 << 7,
	O_NO_FILES = 1 << 8,
	O_DELETE_MSGS = 1 << 9,
	O_ONLINE = 1 << 10,
};

struct args {
	const char	*sub;
	const char	*db;
	const char	*key_file;
	const char	*label_glob;
	const char	*out;
	int		 json;
	int		 per_device;
	int		 delete_messages;
	int		 online;
	struct reg_filter filter;
	char		*pos[2];	/* positional arguments */
	int		 npos;
};

/*
 * Parses argv (argv[0] the subcommand) for a subcommand that takes the
 * options in allowed and npos positional arguments. Returns 0, or the
 * exit status (0 for --help, 2 for a usage error).
 */
static int
parse(int argc, char **argv, unsigned allowed, int npos, struct args *a)
{
	static const struct option opts[] = {
		{ "db",			required_argument, NULL, 'd' },
		{ "key-file",		required_argument, NULL, 'k' },
		{ "json",		no_argument,	   NULL, 'j' },
		{ "status",		required_argument, NULL, 's' },
		{ "label",		required_argument, NULL, 'l' },
		{ "seen-since",		required_argument, NULL, 'S' },
		{ "not-seen-since",	required_argument, NULL, 'N' },
		{ "out",		required_argument, NULL, 'o' },
		{ "no-per-device-files", no_argument,	   NULL, 'F' },
		{ "delete-messages",	no_argument,	   NULL, 'D' },
		{ "online",		no_argument,	   NULL, 'O' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct { int c; unsigned bit; } bits[] = {
		{ 'd', O_DB }, { 'k', O_KEY }, { 'j', O_JSON },
		{ 's', O_STATUS }, { 'l', O_LABEL }, { 'S', O_SEEN },
		{ 'N', O_NOT_SEEN }, { 'o', O_OUT }, { 'F', O_NO_FILES },
		{ 'D', O_DELETE_MSGS }, { 'O', O_ONLINE },
	};
	int c, idx;
	int64_t age;

	memset(a, 0, sizeof(*a));
	a->sub = argv[0];
	a->db = CLI_DEFAULT_DB;
	a->per_device = 1;
	optind = 1;
	opterr = 0;
	/* "+" would stop at the first positional; positionals may come
	 * before options ("rename ID LABEL --db x"), so permute */
	while ((c = getopt_long(argc, argv, ":h", opts, &idx)) != -1) {
		for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
			if (bits[i].c == c && !(allowed & bits[i].bit))
				return cli_usage_error("device", "%s does not "
				    "take --%s", a->sub, opts[idx].name);
		switch (c) {
		case 'd':
			a->db = optarg;
			break;
		case 'k':
			a->key_file = optarg;
			break;
		case 'j':
			a->json = 1;
			break;
		case 's':
			if (strcmp(optarg, "active") == 0)
				a->filter.status = REG_ACTIVE;
			else if (strcmp(optarg, "revoked") == 0)
				a->filter.status = REG_REVOKED;
			else
				return cli_usage_error("device", "--status "
				    "takes active or revoked, not '%s'",
				    optarg);
			break;
		case 'l':
			if (optarg[0] == '\0')
				return cli_usage_error("device", "--label "
				    "needs a pattern, like 'kitchen-*'");
			a->filter.label_glob = optarg;
			break;
		case 'S':
		case 'N':
			if ((age = cli_parse_age(optarg)) < 0)
				return cli_usage_error("device", "%s takes an "
				    "age like 30s, 15m, 24h, 7d or 2w, not "
				    "'%s'", c == 'S' ? "--seen-since" :
				    "--not-seen-since", optarg);
			/* "0s" still filters: everything up to now */
			if (c == 'S')
				a->filter.seen_since = reg_now_ms() - age;
			else
				a->filter.not_seen_since = reg_now_ms() - age;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'F':
			a->per_device = 0;
			break;
		case 'D':
			a->delete_messages = 1;
			break;
		case 'O':
			a->online = 1;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case ':':
		default:
			return cli_getopt_refused("device", c, argv);
		}
	}
	for (; optind < argc; optind++) {
		if (a->npos == npos) {
			if (npos == 0)
				return cli_usage_error("device", "%s takes no "
				    "argument; '%s' is one too many", a->sub,
				    argv[optind]);
			return cli_usage_error("device", "%s takes %s; '%s' is "
			    "one too many", a->sub, npos == 1 ?
			    "one device id" : "a device id and a label",
			    argv[optind]);
		}
		a->pos[a->npos++] = argv[optind];
	}
	if (a->npos < npos)
		return cli_usage_error("device", "%s needs %s", a->sub,
		    a->npos == 0 ? "a device id" : "a label (\"\" clears it)");
	return 0;
}

/* Opens the registry without a word when it cannot: for suggestions. */
static struct reg_store *
open_quietly(const struct args *a)
{
	struct reg_store *st = NULL;
	char err[REG_ERR_LEN];
	struct stat sb;

	if ((reg_db_file(a->db) != NULL && stat(a->db, &sb) != 0) ||
	    reg_open(&st, a->db, a->key_file, err) != 0)
		return NULL;
	return st;
}

/* "  did you mean X (label L)?" under an error, when anything is near. */
static void
suggest(struct reg_store *st, const char *typed)
{
	char ids[SUGGEST_MAX][REG_ID_MAX];
	struct reg_device dev;
	int n;

	if (st == NULL || (n = reg_suggest(st, typed, ids, SUGGEST_MAX)) <= 0)
		return;
	fputs("  did you mean ", stderr);
	for (int i = 0; i < n; i++) {
		if (i > 0)
			fputs(i + 1 < n ? ", " : " or ", stderr);
		fputs(ids[i], stderr);
		if (reg_device_get(st, ids[i], &dev) == 0 &&
		    dev.label[0] != '\0')
			fprintf(stderr, " (label %s)", dev.label);
	}
	fputs("?\n", stderr);
}

/* Keeps the newest audit row. */
static void
first_row(void *arg, const struct reg_audit *row)
{
	struct reg_audit *keep = arg;

	if (keep->id == 0)
		*keep = *row;
}

/*
 * Finds the device an argument names. Returns 0 with *st open and id
 * set; otherwise prints why (with "did you mean" for a near miss) and
 * returns the exit status: 2 for a text that is not an id, 1 for an id
 * that is not registered or a registry that cannot be opened.
 */
static int
resolve(const struct args *a, const char *arg, struct reg_store **st,
    char id[REG_ID_MAX], struct reg_device *dev)
{
	struct reg_audit last = { 0 };
	char when[40];
	int r;

	*st = NULL;
	switch (reg_id_normalize(arg, id)) {
	case REG_ID_OK:
		break;
	case REG_ID_MISTYPED:
		cli_error("'%s' is not a device id: the check character does "
		    "not match; look for a mistyped character", arg);
		*st = open_quietly(a);
		suggest(*st, arg);
		reg_close(*st);
		*st = NULL;
		return 2;
	default:
		cli_error("'%s' is not a device id: an id is 9 characters "
		    "like d7k3-m9q2-x (the manifest's \"id\", not its "
		    "label or secret)", arg);
		*st = open_quietly(a);
		suggest(*st, arg);
		reg_close(*st);
		*st = NULL;
		return 2;
	}
	if (cli_open_registry(st, a->db, a->key_file, 1) != 0)
		return 1;
	if ((r = reg_device_get(*st, id, dev)) == 0)
		return 0;
	if (r < 0) {
		cli_error("%s", reg_error(*st));
	} else if (reg_audit_list(*st, id, 1, first_row, &last) == 1 &&
	    strcmp(last.action, "forget") == 0) {
		cli_fmt_time(last.at, when, sizeof(when), 0);
		cli_error("no device '%s' in %s: it was forgotten on %s by %s",
		    id, a->db, when, last.actor);
	} else {
		cli_error("no device '%s' in %s", id, a->db);
		suggest(*st, arg);
	}
	reg_close(*st);
	*st = NULL;
	return 1;
}

/* see admin.h */
int
cli_device_resolve(const char *db, const char *key_file, const char *arg,
    struct reg_store **st, char id[REG_ID_MAX])
{
	struct args a = { .db = db, .key_file = key_file };
	struct reg_device dev;

	return resolve(&a, arg, st, id, &dev);
}

/* " (label L)" or "" */
static const char *
label_note(const char *label, char *buf, size_t size)
{
	buf[0] = '\0';
	if (label[0] != '\0')
		snprintf(buf, size, " (label %s)", label);
	return buf;
}

/* ---- list and show ---- */

/* A time as an ISO 8601 string, or null for "never". */
static void
json_time(struct json *j, const char *key, int64_t ms)
{
	char buf[40];

	if (ms == 0) {
		json_null(j, key);
		return;
	}
	cli_fmt_time(ms, buf, sizeof(buf), 1);
	json_str(j, key, buf);
}

/* The fields of a device as members of the object open in j. */
static void
json_fields(struct json *j, const struct reg_device *d)
{
	json_str(j, "id", d->id);
	json_str(j, "label", d->label);
	json_str(j, "status", d->status == REG_ACTIVE ? "active" : "revoked");
	json_str(j, "scheme", reg_scheme_name(d->scheme));
	json_str(j, "mac", d->mac[0] != '\0' ? d->mac : NULL);
	json_time(j, "created_at", d->created_at);
	json_time(j, "credential_at", d->credential_at);
	json_time(j, "last_seen_at", d->last_seen_at);
	json_str(j, "last_seen_addr", d->last_seen_addr[0] != '\0' ?
	    d->last_seen_addr : NULL);
}

/* "never", "12s ago", "5m ago", "3h ago", "4d ago" */
static void
fmt_age(int64_t now, int64_t ms, char *buf, size_t size)
{
	int64_t s = (now - ms) / 1000;

	if (ms == 0)
		snprintf(buf, size, "never");
	else if (s < 0)
		snprintf(buf, size, "just now");
	else if (s < 120)
		snprintf(buf, size, "%llds ago", (long long)s);
	else if (s < 7200)
		snprintf(buf, size, "%lldm ago", (long long)(s / 60));
	else if (s < 2 * 86400)
		snprintf(buf, size, "%lldh ago", (long long)(s / 3600));
	else
		snprintf(buf, size, "%lldd ago", (long long)(s / 86400));
}

/* A device online now (reg_presence_list), for the list to look up. */
struct online {
	char	 id[REG_ID_MAX];
	int64_t	 since;
	char	*nodes;		/* comma-separated */
};

struct lister {
	int	 json;
	int	 online_only;
	struct json j;		/* one device at a time, then flushed */
	long long n;
	int64_t	 now;
	struct online *on;	/* sorted by id */
	size_t	 non, cap;
	int	 failed;	/* out of memory gathering on */
};

static int
gather_online(void *arg, const struct reg_presence *p)
{
	struct lister *l = arg;

	if (l->non == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		void *q = realloc(l->on, cap * sizeof(*l->on));

		if (q == NULL) {
			l->failed = 1;
			return 1;
		}
		l->on = q;
		l->cap = cap;
	}
	snprintf(l->on[l->non].id, REG_ID_MAX, "%s", p->id);
	l->on[l->non].since = p->since;
	if ((l->on[l->non].nodes = strdup(p->nodes)) == NULL) {
		l->failed = 1;
		return 1;
	}
	l->non++;
	return 0;
}

static int
by_id(const void *a, const void *b)
{
	return strcmp(((const struct online *)a)->id,
	    ((const struct online *)b)->id);
}

static const struct online *
online_of(const struct lister *l, const char *id)
{
	struct online key;

	if (l->non == 0)
		return NULL;
	snprintf(key.id, sizeof(key.id), "%s", id);
	return bsearch(&key, l->on, l->non, sizeof(*l->on), by_id);
}

/* The nodes of o as a JSON array member "nodes". */
static void
json_nodes(struct json *j, const struct online *o)
{
	json_array(j, "nodes", JSON_COMPACT);
	for (const char *p = o != NULL ? o->nodes : ""; *p != '\0';) {
		size_t n = strcspn(p, ",");

		json_strn(j, NULL, p, n);
		p += n + (p[n] == ',');
	}
	json_end(j);
}

static void
free_online(struct lister *l)
{
	for (size_t i = 0; i < l->non; i++)
		free(l->on[i].nodes);
	free(l->on);
	l->on = NULL;
	l->non = l->cap = 0;
}

static int
list_one(void *arg, const struct reg_device *d)
{
	struct lister *l = arg;
	const struct online *o = online_of(l, d->id);
	char age[32], since[32];

	if (l->online_only && o == NULL)
		return 0;
	if (l->json) {
		json_object(&l->j, NULL, JSON_INLINE);
		json_fields(&l->j, d);
		json_bool(&l->j, "online", o != NULL);
		json_time(&l->j, "online_since", o != NULL ? o->since : 0);
		json_nodes(&l->j, o);
		json_end(&l->j);
		if (json_flush(&l->j, stdout) < 0)
			return 1;
	} else if (l->online_only) {
		if (l->n == 0)
			printf("%-11s  %-7s  %-9s  %-9s  %-20s  %s\n", "ID",
			    "STATUS", "LAST SEEN", "ONLINE", "NODE", "LABEL");
		fmt_age(l->now, d->last_seen_at, age, sizeof(age));
		fmt_age(l->now, o->since, since, sizeof(since));
		printf("%-11s  %-7s  %-9s  %-9s  %-20s  %s\n", d->id,
		    d->status == REG_ACTIVE ? "active" : "revoked", age,
		    since, o->nodes, d->label);
	} else {
		if (l->n == 0)
			printf("%-11s  %-7s  %-10s  %-9s  %s\n", "ID", "STATUS",
			    "SCHEME", "LAST SEEN", "LABEL");
		fmt_age(l->now, d->last_seen_at, age, sizeof(age));
		printf("%-11s  %-7s  %-10s  %-9s  %s\n", d->id,
		    d->status == REG_ACTIVE ? "active" : "revoked",
		    reg_scheme_name(d->scheme), age, d->label);
	}
	l->n++;
	/* a closed pipe (`| head`): stop reading the registry */
	return ferror(stdout) ? 1 : 0;
}

static int
cmd_list(int argc, char **argv)
{
	struct args a;
	struct reg_store *st;
	struct lister l = { 0 };
	long long n;
	int r, bad = 0;

	if ((r = parse(argc, argv, O_DB | O_KEY | O_JSON | O_STATUS |
	    O_LABEL | O_SEEN | O_NOT_SEEN | O_ONLINE, 0, &a)) != 0)
		return r < 0 ? 0 : r;
	if (cli_open_registry(&st, a.db, a.key_file, 1) != 0)
		return 1;
	l.json = a.json;
	l.online_only = a.online;
	l.now = reg_now_ms();
	/* who is online first (the list says it with --online and --json) */
	if ((a.online || a.json) &&
	    reg_presence_list(st, 1, gather_online, &l) < 0 && !l.failed) {
		cli_error("%s", reg_error(st));
		reg_close(st);
		free_online(&l);
		return 1;
	}
	if (l.failed) {
		reg_close(st);
		free_online(&l);
		return cli_error("out of memory listing the devices online");
	}
	if (l.non > 1)
		qsort(l.on, l.non, sizeof(*l.on), by_id);
	if (a.json) {
		json_init_heap(&l.j);
		json_array(&l.j, NULL, JSON_LINES);
	}
	n = reg_list(st, &a.filter, list_one, &l);
	free_online(&l);
	if (n < 0) {
		cli_error("%s", reg_error(st));
		reg_close(st);
		if (a.json)
			json_free(&l.j);
		return 1;
	}
	reg_close(st);
	if (a.json)
		bad = json_print(&l.j, stdout) < 0;
	if (bad || fflush(stdout) != 0 || ferror(stdout))
		return cli_error("cannot write the list: %s", strerror(errno));
	if (!a.json && l.n == 0)
		fprintf(stderr, a.online ? "no device matches that is online "
		    "now\n" : "no device matches\n");
	return 0;
}

struct shower {
	int	json;
	int	n;
	struct json j;
};

static void
show_audit(void *arg, const struct reg_audit *row)
{
	struct shower *s = arg;
	char when[40];

	if (s->json) {
		json_object(&s->j, NULL, JSON_INLINE);
		json_time(&s->j, "at", row->at);
		json_str(&s->j, "actor", row->actor);
		json_str(&s->j, "action", row->action);
		json_str(&s->j, "detail", row->detail);
		json_end(&s->j);
	} else {
		cli_fmt_time(row->at, when, sizeof(when), 0);
		printf("  %s  %-10s  %-8s  %s\n", when, row->actor,
		    row->action, row->detail);
	}
	s->n++;
}

static int
cmd_show(int argc, char **argv)
{
	struct args a;
	struct reg_store *st;
	struct reg_device d;
	struct shower s = { 0 };
	char id[REG_ID_MAX], created[40], cred[40], seen[40];
	long long msgs;
	int r, rc = 1, bad = 0;

	if ((r = parse(argc, argv, O_DB | O_KEY | O_JSON, 1, &a)) != 0)
		return r < 0 ? 0 : r;
	if ((r = resolve(&a, a.pos[0], &st, id, &d)) != 0)
		return r;
	if ((msgs = reg_count_messages(st, id)) < 0) {
		cli_error("%s", reg_error(st));
		goto out;
	}
	s.json = a.json;
	if (a.json) {
		json_init_heap(&s.j);
		json_object(&s.j, NULL, JSON_INLINE);
		json_fields(&s.j, &d);
		json_int(&s.j, "messages", msgs);
		json_array(&s.j, "audit", JSON_LINES);
	}
	if (!a.json) {
		cli_fmt_time(d.created_at, created, sizeof(created), 0);
		cli_fmt_time(d.credential_at, cred, sizeof(cred), 0);
		if (d.last_seen_at != 0)
			cli_fmt_time(d.last_seen_at, seen, sizeof(seen), 0);
		printf("id          %s\n", d.id);
		printf("label       %s\n", d.label[0] ? d.label : "-");
		printf("status      %s\n", d.status == REG_ACTIVE ? "active" :
		    "revoked");
		printf("scheme      %s\n", reg_scheme_name(d.scheme));
		printf("mac         %s\n", d.mac[0] ? d.mac : "-");
		printf("created     %s\n", created);
		printf("credential  issued %s%s\n", cred,
		    d.credential_at != d.created_at ? " (rotated)" : "");
		if (d.last_seen_at != 0)
			printf("last seen   %s from %s\n", seen,
			    d.last_seen_addr);
		else
			printf("last seen   never\n");
		printf("messages    %lld\n", msgs);
		printf("audit (newest first):\n");
	}
	if (reg_audit_list(st, id, SHOW_AUDIT_ROWS, show_audit, &s) < 0) {
		cli_error("%s", reg_error(st));
		goto out;
	}
	if (a.json)
		bad = json_print(&s.j, stdout) < 0;
	if (bad || fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write the device: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	json_free(&s.j);
	reg_close(st);
	return rc;
}

/* ---- changes ---- */

static int
cmd_rename(int argc, char **argv)
{
	struct args a;
	struct reg_store *st;
	struct reg_device d;
	char id[REG_ID_MAX], actor[CLI_ACTOR_MAX];
	int r, rc = 1;

	if ((r = parse(argc, argv, O_DB | O_KEY, 2, &a)) != 0)
		return r < 0 ? 0 : r;
	if ((r = resolve(&a, a.pos[0], &st, id, &d)) != 0)
		return r;
	if (strcmp(d.label, a.pos[1]) == 0) {
		fprintf(stderr, "%s is already labelled '%s'; nothing "
		    "changed\n", id, d.label);
		rc = 0;
		goto out;
	}
	cli_actor(actor);
	if ((r = reg_rename(st, id, a.pos[1], actor)) < 0) {
		cli_error("%s", reg_error(st));
		goto out;
	}
	if (r == REG_NOT_FOUND) {
		/* forgotten by someone else since resolve */
		cli_error("no device '%s' in %s", id, a.db);
		goto out;
	}
	if (a.pos[1][0] == '\0')
		fprintf(stderr, "cleared the label of %s (was '%s')\n", id,
		    d.label);
	else
		fprintf(stderr, "renamed %s: '%s' -> '%s'\n", id, d.label,
		    a.pos[1]);
	rc = 0;
out:
	reg_close(st);
	return rc;
}

/* revoke and restore: the same steps towards a different status. */
static int
set_status(int argc, char **argv, enum reg_status status)
{
	const int revoke = status == REG_REVOKED;
	struct args a;
	struct reg_store *st;
	struct reg_device d;
	char id[REG_ID_MAX], actor[CLI_ACTOR_MAX], note[REG_LABEL_MAX + 16];
	int r, rc = 1;

	if ((r = parse(argc, argv, O_DB | O_KEY, 1, &a)) != 0)
		return r < 0 ? 0 : r;
	if ((r = resolve(&a, a.pos[0], &st, id, &d)) != 0)
		return r;
	label_note(d.label, note, sizeof(note));
	if (d.status == status) {
		fprintf(stderr, "%s%s is already %s; nothing changed\n", id,
		    note, revoke ? "revoked" : "active");
		rc = 0;
		goto out;
	}
	cli_actor(actor);
	if ((r = reg_set_status(st, id, status, actor)) < 0) {
		cli_error("%s", reg_error(st));
		goto out;
	}
	if (r == REG_NOT_FOUND) {
		cli_error("no device '%s' in %s", id, a.db);
		goto out;
	}
	if (revoke)
		fprintf(stderr, "revoked %s%s; gateways refuse it within a "
		    "second\n", id, note);
	else
		fprintf(stderr, "restored %s%s; gateways accept it again "
		    "within a second\n", id, note);
	rc = 0;
out:
	reg_close(st);
	return rc;
}

static int
cmd_rotate(int argc, char **argv)
{
	struct args a;
	struct reg_store *st;
	struct reg_device d;
	struct reg_new_device nd;
	struct cli_out out;
	char id[REG_ID_MAX], actor[CLI_ACTOR_MAX], note[REG_LABEL_MAX + 16];
	int r, rc = 1;

	if ((r = parse(argc, argv, O_DB | O_KEY | O_OUT | O_NO_FILES, 1,
	    &a)) != 0)
		return r < 0 ? 0 : r;
	if (a.out == NULL)
		return cli_usage_error("device", "rotate needs --out DIR: the "
		    "new secret is written there, never to the terminal");
	if ((r = resolve(&a, a.pos[0], &st, id, &d)) != 0)
		return r;
	if (cli_out_prepare(&out, a.out, a.per_device) != 0)
		goto out;
	cli_actor(actor);
	if ((r = reg_rotate(st, id, actor, &nd, cli_out_write, &out)) != 0) {
		if (r == REG_NOT_FOUND)
			cli_error("no device '%s' in %s", id, a.db);
		else
			cli_error("%s; the old credential still works",
			    out.err[0] != '\0' ? out.err : reg_error(st));
		cli_out_abort(&out);
		goto out;
	}
	r = cli_out_publish(&out, &nd, 1);
	cli_out_close(&out);
	explicit_bzero(&nd, sizeof(nd));
	if (r != 0)
		goto out;
	fprintf(stderr, "rotated %s%s: gateways refuse its old credential "
	    "within a second; its new secret is in %s (flash it; keep it "
	    "secret)\n", id, label_note(d.label, note, sizeof(note)), a.out);
	if (d.status != REG_ACTIVE)
		cli_warning("%s is revoked: it stays refused until 'tether "
		    "device restore %s'", id, id);
	rc = 0;
out:
	reg_close(st);
	return rc;
}

static int
cmd_forget(int argc, char **argv)
{
	struct args a;
	struct reg_store *st;
	struct reg_device d;
	char id[REG_ID_MAX], actor[CLI_ACTOR_MAX], note[REG_LABEL_MAX + 16];
	long long msgs, deleted;
	int r, rc = 1;

	if ((r = parse(argc, argv, O_DB | O_KEY | O_DELETE_MSGS, 1, &a)) != 0)
		return r < 0 ? 0 : r;
	if ((r = resolve(&a, a.pos[0], &st, id, &d)) != 0)
		return r;
	if ((msgs = reg_count_messages(st, id)) < 0) {
		cli_error("%s", reg_error(st));
		goto out;
	}
	cli_actor(actor);
	if ((r = reg_forget(st, id, a.delete_messages, actor, &deleted)) < 0) {
		cli_error("%s", reg_error(st));
		goto out;
	}
	if (r == REG_NOT_FOUND) {
		cli_error("no device '%s' in %s", id, a.db);
		goto out;
	}
	label_note(d.label, note, sizeof(note));
	if (a.delete_messages)
		fprintf(stderr, "forgot %s%s: gateways refuse its credential "
		    "within a second; deleted its %lld messages\n", id, note,
		    deleted);
	else
		fprintf(stderr, "forgot %s%s: gateways refuse its credential "
		    "within a second; its %lld messages are kept "
		    "(--delete-messages deletes them)\n", id, note, msgs);
	rc = 0;
out:
	reg_close(st);
	return rc;
}

static int
cmd_revoke(int argc, char **argv)
{
	return set_status(argc, argv, REG_REVOKED);
}

static int
cmd_restore(int argc, char **argv)
{
	return set_status(argc, argv, REG_ACTIVE);
}

static const struct cli_action subcommands[] = {
	{ "command",	cmd_device_command },
	{ "commands",	cmd_device_commands },
	{ "forget",	cmd_forget },
	{ "list",	cmd_list },
	{ "rename",	cmd_rename },
	{ "restore",	cmd_restore },
	{ "revoke",	cmd_revoke },
	{ "rotate",	cmd_rotate },
	{ "show",	cmd_show },
};

int
cmd_device(int argc, char **argv)
{
	return cli_dispatch("device", subcommands,
	    sizeof(subcommands) / sizeof(*subcommands), usage, argc, argv);
}

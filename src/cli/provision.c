/*
 * provision.c - `tether provision`: registers a batch of new devices and
 * writes their credentials to DIR/manifest.json, all or nothing: the
 * manifest is written and fsync'd before the registry commits, and put
 * in place after, so no device is registered without its credential
 * written down and no manifest names unregistered devices.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "registry/registry.h"

#define MAX_COUNT	1000000	/* about 230 MB of credentials in memory */
#define MANIFEST	"manifest.json"
#define MANIFEST_TMP	".manifest.json.tmp"

static void
usage(FILE *out)
{
	fprintf(out,
"usage: tether provision [--db PATH] [--key-file FILE] --count N --out DIR\n"
"                        [--label-prefix PREFIX]\n"
"\n"
"Registers N new devices, each with a fresh id and a 128-bit credential,\n"
"and writes DIR/manifest.json: [{\"id\", \"label\", \"credential\"}, ...].\n"
"The registry keeps only a keyed hash of each credential: the manifest is\n"
"the only copy. Nothing is registered unless the manifest was written.\n"
"\n"
"options:\n"
"  --db PATH             registry database (default %s)\n"
"  --key-file FILE       registry key file (default PATH.key; made if new)\n"
"  --count N             number of devices, 1 to %d\n"
"  --out DIR             directory for manifest.json (made with mode 0700;\n"
"                        refused if it already holds a manifest)\n"
"  --label-prefix PREFIX label the devices PREFIX-1 .. PREFIX-N\n"
"  -h, --help            this text\n"
"\n"
"example:\n"
"  tether provision --db ./tether.db --count 10 --out batch-1 \\\n"
"      --label-prefix kitchen\n"
"\n"
"docs/cmd-provision.md has more.\n", CLI_DEFAULT_DB, MAX_COUNT);
}

struct manifest {
	const char	*dir;
	char		 path[4096];	/* DIR/manifest.json */
	char		 tmp[4096];	/* DIR/.manifest.json.tmp */
	int		 fd;
	char		 err[4400];
};

/* Writes s as a JSON string body; labels hold no control characters
 * (the registry refuses them), so only " and \ need escaping. */
static void
json_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

/*
 * reg_provision_ex's step before the commit: writes the manifest to the
 * temporary file and makes it durable. A non-zero return rolls the batch
 * back.
 */
static int
write_manifest(void *arg, const struct reg_new_device *devs, size_t count)
{
	struct manifest *m = arg;
	/* our own stdio buffer, so the credentials in it can be wiped */
	char buf[BUFSIZ];
	FILE *fp;
	int rc = -1, fd;

	if ((fd = dup(m->fd)) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		snprintf(m->err, sizeof(m->err), "cannot write %s: %s",
		    m->tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setvbuf(fp, buf, _IOFBF, sizeof(buf));
	fputs("[\n", fp);
	for (size_t i = 0; i < count; i++) {
		fputs("  {\"id\": ", fp);
		json_string(fp, devs[i].id);
		fputs(", \"label\": ", fp);
		json_string(fp, devs[i].label);
		fputs(", \"credential\": ", fp);
		json_string(fp, devs[i].credential);
		fputs(i + 1 < count ? "},\n" : "}\n", fp);
	}
	fputs("]\n", fp);
	if (fflush(fp) != 0 || ferror(fp))
		snprintf(m->err, sizeof(m->err), "cannot write %s: %s",
		    m->tmp, strerror(errno));
	else if (fsync(fd) != 0)
		snprintf(m->err, sizeof(m->err), "cannot flush %s to disk: "
		    "%s", m->tmp, strerror(errno));
	else
		rc = 0;
	fclose(fp);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* Makes DIR (mode 0700) unless it exists; refuses a DIR that already
 * holds a batch. Sets *made when this run created it. */
static int
prepare_dir(struct manifest *m, int *made)
{
	struct stat sb;

	*made = 0;
	if (mkdir(m->dir, 0700) == 0) {
		*made = 1;
		return 0;
	}
	if (errno != EEXIST)
		return cli_error("cannot create the directory %s: %s", m->dir,
		    strerror(errno));
	if (stat(m->dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return cli_error("%s exists and is not a directory", m->dir);
	if (access(m->path, F_OK) == 0)
		return cli_error("%s already exists: a batch's credentials are "
		    "never overwritten; choose another --out directory",
		    m->path);
	if (sb.st_mode & 077)
		cli_warning("%s can be read by other users; the manifest "
		    "itself is private (mode 0600)", m->dir);
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int
parse_count(const char *s, size_t *count)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > MAX_COUNT)
		return -1;
	*count = (size_t)v;
	return 0;
}

int
cmd_provision(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db",			required_argument, NULL, 'd' },
		{ "key-file",		required_argument, NULL, 'k' },
		{ "count",		required_argument, NULL, 'n' },
		{ "out",		required_argument, NULL, 'o' },
		{ "label-prefix",	required_argument, NULL, 'l' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = CLI_DEFAULT_DB, *key_file = NULL, *prefix = NULL;
	const char *count_arg = NULL;
	struct manifest m = { .dir = NULL, .fd = -1 };
	struct reg_new_device *devs = NULL;
	struct reg_store *st = NULL;
	char actor[CLI_ACTOR_MAX], keypath[4096];
	size_t count = 0;
	int c, made_dir = 0, rc = 1, key_existed;
	struct stat sb;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'k':
			key_file = optarg;
			break;
		case 'n':
			count_arg = optarg;
			break;
		case 'o':
			m.dir = optarg;
			break;
		case 'l':
			prefix = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return cli_usage_error("provision", "%s needs a value",
			    argv[optind - 1]);
		default:
			if (optopt != 0)
				return cli_usage_error("provision", "unknown "
				    "option '-%c'", optopt);
			return cli_usage_error("provision", "unknown option "
			    "'%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("provision", "unexpected argument "
		    "'%s'", argv[optind]);
	if (count_arg == NULL)
		return cli_usage_error("provision", "--count N is required");
	if (parse_count(count_arg, &count) != 0)
		return cli_usage_error("provision", "--count takes a whole "
		    "number from 1 to %d, not '%s'", MAX_COUNT, count_arg);
	if (m.dir == NULL)
		return cli_usage_error("provision", "--out DIR is required");
	if (prefix != NULL && prefix[0] == '\0')
		return cli_usage_error("provision", "--label-prefix is empty");
	if ((size_t)snprintf(m.path, sizeof(m.path), "%s/%s", m.dir,
	    MANIFEST) >= sizeof(m.path) ||
	    (size_t)snprintf(m.tmp, sizeof(m.tmp), "%s/%s", m.dir,
	    MANIFEST_TMP) >= sizeof(m.tmp))
		return cli_usage_error("provision", "the --out path is too "
		    "long");
	snprintf(keypath, sizeof(keypath), "%s%s",
	    key_file != NULL ? key_file : db, key_file != NULL ? "" : ".key");
	key_existed = stat(keypath, &sb) == 0;

	if ((devs = calloc(count, sizeof(*devs))) == NULL)
		return cli_error("not enough memory for %zu devices", count);
	if (prepare_dir(&m, &made_dir) != 0)
		goto out;
	/* O_EXCL: a leftover temporary file may hold the only copy of the
	 * credentials of a batch whose run was killed after its commit. */
	if ((m.fd = open(m.tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0) {
		if (errno == EEXIST)
			cli_error("%s exists: an earlier run was interrupted. "
			    "If its devices were registered it holds their "
			    "only credentials; move it away, then run again",
			    m.tmp);
		else
			cli_error("cannot create %s: %s", m.tmp,
			    strerror(errno));
		if (made_dir)
			rmdir(m.dir);
		goto out;
	}
	if (cli_open_registry(&st, db, key_file, 0) != 0)
		goto out_tmp;
	cli_actor(actor);
	if (reg_provision_ex(st, count, prefix, actor, devs, write_manifest,
	    &m) != 0) {
		if (m.err[0] != '\0')
			cli_error("%s; nothing was registered", m.err);
		else
			cli_error("%s; nothing was registered",
			    reg_error(st));
		goto out_tmp;
	}
	if (rename(m.tmp, m.path) != 0) {
		cli_error("the %zu devices are registered, but %s could not "
		    "be renamed to %s (%s): it holds their only credentials, "
		    "rename it by hand", count, m.tmp, m.path,
		    strerror(errno));
		goto out;
	}
	if (fsync_dir(m.dir) != 0)
		cli_warning("cannot flush the directory %s to disk (%s); "
		    "run sync before relying on %s", m.dir, strerror(errno),
		    m.path);
	if (!key_existed && stat(keypath, &sb) == 0)
		cli_warning("made a new registry key, %s: back it up; without "
		    "it no device of %s can authenticate", keypath, db);
	fprintf(stderr, "provisioned %zu devices into %s; credentials in %s "
	    "(keep it secret)\n", count, db, m.path);
	rc = 0;
	goto out;
out_tmp:
	unlink(m.tmp);
	if (made_dir)
		rmdir(m.dir);
out:
	if (m.fd >= 0)
		close(m.fd);
	reg_close(st);
	if (devs != NULL) {
		explicit_bzero(devs, count * sizeof(*devs));
		free(devs);
	}
	return rc;
}

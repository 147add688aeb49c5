/* SPDX-License-Identifier: MIT */
/*
 * artifacts.c - the files a firmware build, a factory flasher and a label
 * printer take from a provisioned batch (artifacts.h; the formats are in
 * docs/credentials.md and docs/cmd-provision.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/artifacts.h"
#include "cli/cli.h"
#include "common/json.h"
/* the blob layout is the device library's; it lives beside its code */
#include "identity_blob.h"

#define MANIFEST_JSON	"manifest.json"
#define MANIFEST_CSV	"manifest.csv"
#define LABELS_TXT	"labels.txt"
#define HEADER_FILE	"tether_identity.h"
#define BLOB_FILE	"identity.bin"
#define HEADER_MAX	4096	/* a header with the longest escaped label */
#define LABEL_COLUMN_MAX 40	/* wider labels overflow their column */

static int
fail(struct cli_out *o, const char *what, const char *name)
{
	snprintf(o->err, sizeof(o->err), "cannot %s %s/%s: %s", what,
	    o->staging, name, strerror(errno));
	return -1;
}

/* Writes len bytes to a new file name (relative to dfd), mode 0600. */
static int
write_at(struct cli_out *o, int dfd, const char *name, const void *buf,
    size_t len)
{
	const char *p = buf;
	int fd;

	if ((fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0)
		return fail(o, "create", name);
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			fail(o, "write", name);
			close(fd);
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) != 0)
		return fail(o, "write", name);
	return 0;
}

/*
 * Appends s as the body of a C string literal: \ " and ? escaped (no
 * trigraph can form), bytes above 0x7e as three-digit octal, so no
 * following character joins the escape. Labels hold no control
 * characters (the registry refuses them).
 */
static size_t
c_string(char *out, const char *s)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\' || *p == '"' || *p == '?') {
			out[o++] = '\\';
			out[o++] = (char)*p;
		} else if (*p > 0x7e) {
			o += (size_t)sprintf(out + o, "\\%03o", *p);
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
	return o;
}

static const char *const scheme_macro[] = {
	"TETHER_SCHEME_PLAIN: the secret is the credential",
	"TETHER_SCHEME_INTERLEAVE: the secret interleaved with the MAC",
	"TETHER_SCHEME_HMAC: HMAC-SHA256(secret, MAC)",
};

/* The C header of one device; returns its length. */
static int
header_text(const struct reg_new_device *d, char *buf, size_t size)
{
	char label[REG_LABEL_MAX * 4 + 1];
	const uint8_t *m = d->mac;

	c_string(label, d->label);
	return snprintf(buf, size,
"/*\n"
" * tether_identity.h - the identity of tether device %s, written by\n"
" * `tether provision`. It holds the device's SECRET: flash it into this\n"
" * one device, keep it out of version control and shared build logs.\n"
" * docs/credentials.md describes each field.\n"
" */\n"
"#ifndef TETHER_IDENTITY_H\n"
"#define TETHER_IDENTITY_H\n"
"\n"
"#define TETHER_IDENTITY_ID\t\t\"%s\"\n"
"#define TETHER_IDENTITY_LABEL\t\t\"%s\"\n"
"/* %s */\n"
"#define TETHER_IDENTITY_SCHEME\t\t%d\n"
"#define TETHER_IDENTITY_SCHEME_NAME\t\"%s\"\n"
"#define TETHER_IDENTITY_SECRET\t\t\"%s\"\n"
"/* the MAC address the secret was made for (zeros: none); a device\n"
" * derives its credential from its own MAC, which must be this one */\n"
"#define TETHER_IDENTITY_HAS_MAC\t\t%d\n"
"#define TETHER_IDENTITY_MAC\t\t"
"{ 0x%02x, 0x%02x, 0x%02x, 0x%02x, 0x%02x, 0x%02x }\n"
"\n"
"#endif\n",
	    d->id, d->id, label, scheme_macro[d->scheme], (int)d->scheme,
	    reg_scheme_name(d->scheme), d->secret, d->has_mac, m[0], m[1],
	    m[2], m[3], m[4], m[5]);
}

/* The identity blob of one device (lib/private/identity_blob.h). */
static void
blob_make(const struct reg_new_device *d, uint8_t b[TETHER_BLOB_SIZE])
{
	uint32_t crc;

	memset(b, 0, TETHER_BLOB_SIZE);
	memcpy(b + TETHER_BLOB_OFF_MAGIC, TETHER_BLOB_MAGIC, 4);
	b[TETHER_BLOB_OFF_VERSION] = TETHER_BLOB_VERSION;
	b[TETHER_BLOB_OFF_SCHEME] = (uint8_t)d->scheme;
	b[TETHER_BLOB_OFF_FLAGS] = d->has_mac ? TETHER_BLOB_FLAG_MAC : 0;
	memcpy(b + TETHER_BLOB_OFF_ID, d->id, strlen(d->id));
	memcpy(b + TETHER_BLOB_OFF_SECRET, d->secret, strlen(d->secret));
	if (d->has_mac)
		memcpy(b + TETHER_BLOB_OFF_MAC, d->mac, TETHER_MAC_LEN);
	crc = tether_crc32(b, TETHER_BLOB_OFF_CRC);
	for (int i = 0; i < 4; i++)
		b[TETHER_BLOB_OFF_CRC + i] = (uint8_t)(crc >> (8 * i));
}

static int
write_device(struct cli_out *o, const struct reg_new_device *d)
{
	char text[HEADER_MAX], path[REG_ID_MAX + 32];
	uint8_t blob[TETHER_BLOB_SIZE];
	int len, rc = -1;

	_Static_assert(REG_ID_MAX <= TETHER_BLOB_ID_LEN * 2, "id field");
	_Static_assert(TETHER_CREDENTIAL_LEN < TETHER_BLOB_SECRET_LEN,
	    "secret field");
	if (mkdirat(o->staging_fd, d->id, 0700) != 0)
		return fail(o, "create the directory", d->id);
	len = header_text(d, text, sizeof(text));
	blob_make(d, blob);
	snprintf(path, sizeof(path), "%s/%s", d->id, HEADER_FILE);
	if (write_at(o, o->staging_fd, path, text, (size_t)len) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s", d->id, BLOB_FILE);
	if (write_at(o, o->staging_fd, path, blob, sizeof(blob)) < 0)
		goto out;
	rc = 0;
out:
	explicit_bzero(text, sizeof(text));
	explicit_bzero(blob, sizeof(blob));
	return rc;
}

/* RFC 4180: a field with a comma, a quote or outer spaces is quoted. */
static void
csv_field(FILE *fp, const char *s)
{
	size_t len = strlen(s);

	if (strpbrk(s, ",\"") == NULL && (len == 0 || (s[0] != ' ' &&
	    s[len - 1] != ' '))) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static int
write_json(FILE *fp, const struct reg_new_device *devs, size_t n)
{
	char mac[REG_MAC_TEXT];
	struct json j;

	json_init_heap(&j);
	json_array(&j, NULL, JSON_LINES_OPEN);
	for (size_t i = 0; i < n; i++) {
		const struct reg_new_device *d = &devs[i];

		json_object(&j, NULL, JSON_INLINE);
		json_str(&j, "id", d->id);
		json_str(&j, "label", d->label);
		json_str(&j, "scheme", reg_scheme_name(d->scheme));
		if (d->has_mac)
			reg_mac_format(d->mac, mac);
		json_str(&j, "mac", d->has_mac ? mac : NULL);
		json_str(&j, "secret", d->secret);
		json_str(&j, "credential", d->credential);
		json_end(&j);
		/* One device at a time: the buffer never grows, so no copy
		 * of a secret is left in freed memory. */
		if (json_flush(&j, fp) < 0)
			break;
	}
	return json_print(&j, fp);	/* wipes the buffer */
}

static int
write_csv(FILE *fp, const struct reg_new_device *devs, size_t n)
{
	char mac[REG_MAC_TEXT];

	fputs("id,label,mac,scheme,credential,secret\r\n", fp);
	for (size_t i = 0; i < n; i++) {
		const struct reg_new_device *d = &devs[i];

		mac[0] = '\0';
		if (d->has_mac)
			reg_mac_format(d->mac, mac);
		fprintf(fp, "%s,", d->id);
		csv_field(fp, d->label);
		fprintf(fp, ",%s,%s,%s,%s\r\n", mac,
		    reg_scheme_name(d->scheme), d->credential, d->secret);
	}
	return 0;
}

/* The label sheet: what is printed and stuck on a device. Ids, labels
 * and MACs only; never a secret. */
static int
write_labels(FILE *fp, const struct reg_new_device *devs, size_t n)
{
	char mac[REG_MAC_TEXT];
	int width = 5, macs = 0;

	for (size_t i = 0; i < n; i++) {
		int len = (int)strlen(devs[i].label);

		if (len > width)
			width = len > LABEL_COLUMN_MAX ? LABEL_COLUMN_MAX : len;
		macs |= devs[i].has_mac;
	}
	fprintf(fp, "tether devices: %zu, scheme %s\n\n", n,
	    n > 0 ? reg_scheme_name(devs[0].scheme) : "plain");
	fprintf(fp, "%-11s  %-*s%s\n", "id", width, "label", macs ? "  mac" : "");
	for (size_t i = 0; i < n; i++) {
		const struct reg_new_device *d = &devs[i];

		if (macs) {
			strcpy(mac, "-");
			if (d->has_mac)
				reg_mac_format(d->mac, mac);
			fprintf(fp, "%-11s  %-*s  %s\n", d->id, width,
			    d->label[0] ? d->label : "-", mac);
		} else {
			fprintf(fp, "%-11s  %s\n", d->id,
			    d->label[0] ? d->label : "-");
		}
	}
	return 0;
}

/* Writes one batch file through stdio with a buffer of our own, wiped
 * after, since it holds secrets. */
static int
write_stdio(struct cli_out *o, const char *name,
    int (*fn)(FILE *, const struct reg_new_device *, size_t),
    const struct reg_new_device *devs, size_t n)
{
	static char buf[1 << 16];
	FILE *fp;
	int fd, rc = -1;

	if ((fd = openat(o->staging_fd, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0600)) < 0)
		return fail(o, "create", name);
	if ((fp = fdopen(fd, "w")) == NULL) {
		fail(o, "write", name);
		close(fd);
		return -1;
	}
	setvbuf(fp, buf, _IOFBF, sizeof(buf));
	if (fn(fp, devs, n) < 0 || fflush(fp) != 0 || ferror(fp))
		fail(o, "write", name);
	else
		rc = 0;
	if (fclose(fp) != 0 && rc == 0)
		rc = fail(o, "write", name);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* see artifacts.h */
int
cli_out_write(void *arg, const struct reg_new_device *devs, size_t n)
{
	struct cli_out *o = arg;

	if (o->per_device)
		for (size_t i = 0; i < n; i++)
			if (write_device(o, &devs[i]) < 0)
				return -1;
	if (write_stdio(o, MANIFEST_CSV, write_csv, devs, n) < 0 ||
	    write_stdio(o, LABELS_TXT, write_labels, devs, n) < 0 ||
	    write_stdio(o, MANIFEST_JSON, write_json, devs, n) < 0)
		return -1;
	/* One flush for the whole file system instead of one per file:
	 * 200,000 fsyncs would take minutes. */
	if (syncfs(o->staging_fd) != 0) {
		snprintf(o->err, sizeof(o->err), "cannot flush %s to disk: %s",
		    o->staging, strerror(errno));
		return -1;
	}
	return 0;
}

/* Splits path into its parent directory and last name (no trailing
 * slashes); returns -1 when it has no last name ("/"). */
static int
split_path(const char *path, char *parent, size_t psize, char *base,
    size_t bsize)
{
	char buf[PATH_MAX], *slash;
	size_t len;

	snprintf(buf, sizeof(buf), "%s", path);
	len = strlen(buf);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	if ((slash = strrchr(buf, '/')) == NULL) {
		snprintf(parent, psize, ".");
		snprintf(base, bsize, "%s", buf);
	} else {
		if (slash[1] == '\0')
			return -1;
		snprintf(base, bsize, "%s", slash + 1);
		if (slash == buf)
			slash++;
		*slash = '\0';
		snprintf(parent, psize, "%s", buf);
	}
	return strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ? -1 : 0;
}

/* see artifacts.h */
int
cli_out_prepare(struct cli_out *o, const char *dir, int per_device)
{
	char parent[PATH_MAX], base[NAME_MAX + 1], name[NAME_MAX + 32];
	struct stat sb;

	memset(o, 0, sizeof(*o));
	o->dir = dir;
	o->per_device = per_device;
	o->dir_fd = o->staging_fd = -1;
	if (stat(dir, &sb) != 0) {
		if (errno != ENOENT || split_path(dir, parent, sizeof(parent),
		    base, sizeof(base)) != 0) {
			cli_error("cannot use the directory %s: %s", dir,
			    strerror(errno));
			return -1;
		}
		o->whole = 1;
		snprintf(name, sizeof(name), ".%s%s", base, CLI_STAGING);
		if ((size_t)snprintf(o->staging, sizeof(o->staging), "%s/%s",
		    parent, name) >= sizeof(o->staging)) {
			cli_error("the path %s is too long", dir);
			return -1;
		}
		if ((o->dir_fd = open(parent, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) < 0) {
			cli_error("cannot create the directory %s: %s", dir,
			    strerror(errno));
			return -1;
		}
	} else {
		if (!S_ISDIR(sb.st_mode)) {
			cli_error("%s exists and is not a directory", dir);
			return -1;
		}
		snprintf(name, sizeof(name), "%s", CLI_STAGING);
		if ((size_t)snprintf(o->staging, sizeof(o->staging), "%s/%s",
		    dir, name) >= sizeof(o->staging)) {
			cli_error("the path %s is too long", dir);
			return -1;
		}
		if ((o->dir_fd = open(dir, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) < 0) {
			cli_error("cannot open the directory %s: %s", dir,
			    strerror(errno));
			return -1;
		}
		if (faccessat(o->dir_fd, MANIFEST_JSON, F_OK, 0) == 0) {
			cli_error("%s/%s already exists: a batch's secrets are "
			    "never overwritten; choose another --out "
			    "directory", dir, MANIFEST_JSON);
			goto fail;
		}
		if (sb.st_mode & 077)
			cli_warning("%s can be read by other users; the secret "
			    "files in it are private (mode 0600)", dir);
	}
	if (mkdirat(o->dir_fd, name, 0700) != 0) {
		if (errno == EEXIST)
			cli_error("%s exists: an earlier run was interrupted. "
			    "If its devices were registered it holds their "
			    "only secrets: move its contents into %s (or "
			    "away), remove it, then run again", o->staging,
			    dir);
		else
			cli_error("cannot create the directory %s: %s",
			    o->whole ? dir : o->staging, strerror(errno));
		goto fail;
	}
	if ((o->staging_fd = openat(o->dir_fd, name, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		cli_error("cannot open %s: %s", o->staging, strerror(errno));
		unlinkat(o->dir_fd, name, AT_REMOVEDIR);
		goto fail;
	}
	return 0;
fail:
	cli_out_close(o);
	return -1;
}

/* Moves name from the staging directory into DIR, never over a file. */
static int
move(struct cli_out *o, const char *name)
{
	if (renameat2(o->staging_fd, name, o->dir_fd, name,
	    RENAME_NOREPLACE) == 0)
		return 0;
	/* a file system without RENAME_NOREPLACE: check, then rename */
	if (errno == EINVAL && faccessat(o->dir_fd, name, F_OK,
	    AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT &&
	    renameat(o->staging_fd, name, o->dir_fd, name) == 0)
		return 0;
	return -1;
}

/* see artifacts.h */
int
cli_out_publish(struct cli_out *o, const struct reg_new_device *devs,
    size_t n)
{
	static const char *const batch_files[] = {
		MANIFEST_CSV, LABELS_TXT, MANIFEST_JSON,
	};
	const char *name = NULL;

	if (o->whole) {
		/* the whole batch appears at once, or not at all */
		if (renameat2(AT_FDCWD, o->staging, AT_FDCWD, o->dir,
		    RENAME_NOREPLACE) != 0) {
			cli_error("the devices are registered, but %s could "
			    "not be renamed to %s (%s): it holds their only "
			    "secrets; rename it by hand", o->staging, o->dir,
			    strerror(errno));
			return -1;
		}
		goto durable;
	}
	for (size_t i = 0; o->per_device && i < n; i++)
		if (move(o, devs[i].id) != 0) {
			name = devs[i].id;
			goto fail;
		}
	/* manifest.json last: its presence says the batch is complete */
	for (size_t i = 0; i < sizeof(batch_files) / sizeof(*batch_files); i++)
		if (move(o, batch_files[i]) != 0) {
			name = batch_files[i];
			goto fail;
		}
	if (unlinkat(o->dir_fd, CLI_STAGING, AT_REMOVEDIR) != 0)
		cli_warning("cannot remove %s: %s", o->staging,
		    strerror(errno));
durable:
	if (fsync(o->dir_fd) != 0)
		cli_warning("cannot flush the directory that holds %s to disk "
		    "(%s); run sync before relying on it", o->dir,
		    strerror(errno));
	return 0;
fail:
	cli_error("the devices are registered, but %s/%s could not be moved "
	    "to %s/%s (%s): %s holds their only secrets; move its contents "
	    "into %s by hand", o->staging, name, o->dir, name,
	    strerror(errno), o->staging, o->dir);
	return -1;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* see artifacts.h */
void
cli_out_abort(struct cli_out *o)
{
	if (o->staging_fd >= 0)
		nftw(o->staging, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	cli_out_close(o);
}

/* see artifacts.h */
void
cli_out_close(struct cli_out *o)
{
	if (o->staging_fd >= 0)
		close(o->staging_fd);
	if (o->dir_fd >= 0)
		close(o->dir_fd);
	o->staging_fd = o->dir_fd = -1;
}

/* SPDX-License-Identifier: MIT */
/*
 * tls_devcert.c - the development certificate: an ECDSA and an RSA key
 * and self-signed certificate for localhost, made once in the state
 * directory and kept, written so that a crash leaves no half a file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "gateway/tls_int.h"
#include "pin/pin.h"

#define GW_TLS_PATHS_LEN	4096	/* one path in devcert storage */

#define GW_DEVCERT_YEARS	10	/* calendar years of validity */
#define GW_DEVCERT_BACKDATE	(-60 * 60)	/* seconds: clock skew */
#define GW_DEVCERT_SERIAL	16	/* bytes: a 128-bit random serial */
#define GW_DEVCERT_RSA_BITS	2048
#define GW_DEVCERT_CN		"tether development certificate"
#define GW_DEVCERT_SAN		"DNS:localhost,IP:127.0.0.1,IP:::1"

static int
add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *ext;
	int ok;

	if ((ext = X509V3_EXT_nconf_nid(NULL, v3, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

static X509 *
make_devcert(EVP_PKEY *key, int rsa)
{
	X509 *x;
	X509_NAME *name;
	X509V3_CTX v3;
	BIGNUM *bn = NULL;
	unsigned char serial[GW_DEVCERT_SERIAL];
	struct tm tm;
	time_t from, until;

	if ((x = X509_new()) == NULL)
		return NULL;
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;	/* a serial is a positive INTEGER */
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto fail;
	/* Ten calendar years from an hour ago (devices' clocks run late). */
	from = time(NULL) + GW_DEVCERT_BACKDATE;
	if (gmtime_r(&from, &tm) == NULL)
		goto fail;
	tm.tm_year += GW_DEVCERT_YEARS;
	if ((until = timegm(&tm)) == (time_t)-1)
		goto fail;
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(x), from) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), until) == NULL)
		goto fail;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)GW_DEVCERT_CN, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    X509_set_pubkey(x, key) != 1)
		goto fail;

	/* keyEncipherment: RSA key exchange encrypts to this key. */
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if (add_ext(x, &v3, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(x, &v3, NID_key_usage, rsa ?
	    "critical,digitalSignature,keyEncipherment" :
	    "critical,digitalSignature") ||
	    add_ext(x, &v3, NID_ext_key_usage, "serverAuth") ||
	    add_ext(x, &v3, NID_subject_key_identifier, "hash") ||
	    add_ext(x, &v3, NID_subject_alt_name, GW_DEVCERT_SAN))
		goto fail;
	if (X509_sign(x, key, EVP_sha256()) <= 0)
		goto fail;
	BN_free(bn);
	return x;
fail:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

static int
fsync_dir(const char *path, char *err)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, rc;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return 0;
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		seterr(err, "cannot open directory %s to sync it: %s", dir,
		    strerror(errno));
		return -1;
	}
	rc = fsync(fd);
	if (rc != 0)
		seterr(err, "cannot sync directory %s: %s", dir,
		    strerror(errno));
	close(fd);
	return rc == 0 ? 0 : -1;
}

/*
 * Writes a key (mode 0600) or certificate (0644) as a new file at path.
 * The PEM goes to a temporary file created with that mode, so a key is
 * never readable by others even for a moment, and is synced before being
 * linked in place: a crash leaves either no file or a whole one. Returns
 * 0, 1 when path appeared meanwhile (another gateway starting in the same
 * directory; its file is kept), or -1 with a sentence in err.
 */
static int
write_new_pem(const char *path, EVP_PKEY *key, X509 *cert, char *err)
{
	char tmp[PATH_MAX], why[GW_TLS_ERR_LEN];
	FILE *fp;
	int fd, ok, rc = -1;
	mode_t mode = key != NULL ? 0600 : 0644;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		seterr(err, "path too long: %s", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd == -1 && errno == EEXIST) {
		/* Left by a crash of a process that had our pid. */
		unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	}
	if (fd == -1) {
		seterr(err, "cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		seterr(err, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	if (key != NULL)
		ok = PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_X509(fp, cert);
	if (ok != 1) {
		seterr(err, "cannot write %s: %s", tmp,
		    pin_openssl_why(why, sizeof(why)));
		fclose(fp);
		goto out;
	}
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
		seterr(err, "cannot write %s: %s", tmp, strerror(errno));
		fclose(fp);
		goto out;
	}
	if (fclose(fp) != 0) {
		seterr(err, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}

	/* link(2), unlike rename(2), never replaces an existing file. */
	if (link(tmp, path) == 0) {
		rc = 0;
	} else if (errno == EEXIST) {
		rc = 1;
	} else if (errno == EPERM || errno == EOPNOTSUPP || errno == ENOSYS) {
		/* A file system without hard links. */
		if (rename(tmp, path) == 0)
			rc = 0;
		else
			seterr(err, "cannot rename %s to %s: %s", tmp, path,
			    strerror(errno));
	} else {
		seterr(err, "cannot create %s: %s", path, strerror(errno));
	}
	if (rc == 0 && fsync_dir(path, err) != 0)
		rc = -1;
out:
	unlink(tmp);
	return rc;
}

/* 1 if path exists, 0 if not, -1 with a sentence in err. */
static int
file_exists(const char *path, char *err)
{
	struct stat st;

	if (stat(path, &st) == 0) {
		if (S_ISREG(st.st_mode))
			return 1;
		seterr(err, "%s exists but is not a regular file", path);
		return -1;
	}
	if (errno == ENOENT)
		return 0;
	seterr(err, "cannot check %s: %s", path, strerror(errno));
	return -1;
}

/*
 * Makes the key, then the certificate. A crash between the two leaves a
 * key without certificate: the next start makes the certificate from
 * that key, so pins already printed for it stay true.
 */
static int
ensure_devpair(const char *keypath, const char *certpath, int rsa, char *err)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char why[GW_TLS_ERR_LEN];
	int have_key, have_cert, rc = -1;

	if ((have_key = file_exists(keypath, err)) < 0 ||
	    (have_cert = file_exists(certpath, err)) < 0)
		return -1;
	if (have_key && have_cert)
		return 0;
	if (have_cert) {
		seterr(err, "%s exists but its key %s is missing; move the "
		    "certificate away to have a new pair made", certpath,
		    keypath);
		return -1;
	}

	if (!have_key) {
		key = rsa ? EVP_RSA_gen(GW_DEVCERT_RSA_BITS) :
		    EVP_EC_gen("P-256");
		if (key == NULL) {
			seterr(err, "cannot generate the %s development key: "
			    "%s", rsa ? "RSA" : "ECDSA",
			    pin_openssl_why(why, sizeof(why)));
			return -1;
		}
		switch (write_new_pem(keypath, key, NULL, err)) {
		case 0:
			break;
		case 1:
			EVP_PKEY_free(key);	/* theirs wins; use it */
			key = NULL;
			break;
		default:
			goto out;
		}
	}
	if (key == NULL && (key = gw_tls_read_key(keypath, err)) == NULL)
		goto out;

	if ((cert = make_devcert(key, rsa)) == NULL) {
		seterr(err, "cannot make the %s development certificate: %s",
		    rsa ? "RSA" : "ECDSA", pin_openssl_why(why, sizeof(why)));
		goto out;
	}
	if (write_new_pem(certpath, NULL, cert, err) >= 0)
		rc = 0;
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

int
gw_tls_devcert_ensure(const char *state_dir, struct gw_tls_pair pairs[2],
    char *storage, size_t storage_len, char *err)
{
	static const char *const files[] = {
		"ecdsa.crt", "ecdsa.key", "rsa.crt", "rsa.key",
	};
	const char *paths[4];
	struct stat st;
	size_t used = 0, i;
	int n;

	if (state_dir == NULL || *state_dir == '\0') {
		seterr(err, "no state directory given for the development "
		    "certificate");
		return -1;
	}
	for (i = 0; i < 4; i++) {
		n = snprintf(storage + used, storage_len - used, "%s/%s",
		    state_dir, files[i]);
		if (n < 0 || (size_t)n >= storage_len - used ||
		    (size_t)n >= GW_TLS_PATHS_LEN) {
			seterr(err, "state directory path too long for the "
			    "%zu bytes of path storage given: %s", storage_len,
			    state_dir);
			return -1;
		}
		paths[i] = storage + used;
		used += (size_t)n + 1;
	}

	if (mkdir(state_dir, 0700) != 0) {
		if (errno != EEXIST) {
			seterr(err, "cannot create state directory %s: %s",
			    state_dir, strerror(errno));
			return -1;
		}
		if (stat(state_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			seterr(err, "state directory %s exists but is not a "
			    "directory", state_dir);
			return -1;
		}
	}

	if (ensure_devpair(paths[1], paths[0], 0, err) != 0 ||
	    ensure_devpair(paths[3], paths[2], 1, err) != 0)
		return -1;
	pairs[0].cert = paths[0];
	pairs[0].key = paths[1];
	pairs[1].cert = paths[2];
	pairs[1].key = paths[3];
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * pin.c - the server identity check: a br_x509_class of its own, in the
 * shape of BearSSL's x509_knownkey.c. It hashes the leaf certificate as its
 * bytes arrive, captures the SubjectPublicKeyInfo exactly as sent, and
 * accepts the server when any configured pin matches. No clock, no name
 * check, no chain: the pin is the trust.
 */
#include "inner.h"

/* Walker states over the leaf's DER. */
enum { ST_HDR, ST_BODY, ST_DONE, ST_BAD };

/* TBSCertificate fields, counted after the optional version [0]. */
enum { F_SERIAL, F_SIGALG, F_ISSUER, F_VALIDITY, F_SUBJECT, F_SPKI };

/* Error kinds kept in pc->err, as offsets from TETHER_E_PIN_MISMATCH. */
#define PIN_OK		0
#define PIN_MALFORMED	(TETHER_E_CERT_MALFORMED - TETHER_E_PIN_MISMATCH)
#define PIN_TOO_LARGE	(TETHER_E_KEY_TOO_LARGE - TETHER_E_PIN_MISMATCH)

static const unsigned char oid_rsa[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
static const unsigned char oid_ec[] = {
	0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
static const unsigned char oid_p256[] = {
	0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const unsigned char oid_p384[] = { 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const unsigned char oid_p521[] = { 0x2b, 0x81, 0x04, 0x00, 0x23 };
static const unsigned char oid_cn[] = { 0x55, 0x04, 0x03 };

/* see inner.h */
size_t
tether_pin_len(unsigned kind)
{
	return kind == TETHER_PIN_CERT_SHA1 ? 20 : 32;
}

/*
 * One DER element from [*pp, end): definite lengths of at most two length
 * bytes (nothing here is longer than 64 KiB). Advances *pp past it.
 */
static int
der_next(const unsigned char **pp, const unsigned char *end, unsigned *tag,
    const unsigned char **val, size_t *vlen)
{
	const unsigned char *p = *pp;
	size_t len;

	if (end - p < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	*tag = p[0];
	len = p[1];
	p += 2;
	if (len == 0x81 || len == 0x82) {
		size_t n = len & 0x7f;

		if ((size_t)(end - p) < n)
			return -1;
		len = p[0];
		if (n == 2)
			len = (len << 8) | p[1];
		p += n;
	} else if (len >= 0x80) {
		return -1;
	}
	if ((size_t)(end - p) < len)
		return -1;
	*val = p;
	*vlen = len;
	*pp = p + len;
	return 0;
}

static int
same(const unsigned char *v, size_t n, const unsigned char *oid, size_t on)
{
	return n == on && memcmp(v, oid, n) == 0;
}

static unsigned
bitlen(const unsigned char *p, size_t n)
{
	unsigned b = 0;
	unsigned char top;

	if (n == 0)
		return 0;
	for (top = p[0]; top; top >>= 1)
		b++;
	return (unsigned)(n - 1) * 8 + b;
}

/*
 * The key in the captured SubjectPublicKeyInfo, as BearSSL wants it: the
 * pointers stay inside pc->cap. Returns 0, or -1 for a key type or curve
 * BearSSL cannot use, or -2 when the DER is malformed.
 */
static int
parse_spki(struct tether_pin_check *pc)
{
	const unsigned char *p = pc->cap, *end = pc->cap + pc->cap_len;
	const unsigned char *spki, *alg, *oid, *key, *v;
	size_t spki_len, alg_len, oid_len, key_len, vlen;
	unsigned tag;

	if (der_next(&p, end, &tag, &spki, &spki_len) < 0 || tag != 0x30)
		return -2;
	p = spki;
	end = spki + spki_len;
	if (der_next(&p, end, &tag, &alg, &alg_len) < 0 || tag != 0x30 ||
	    der_next(&p, end, &tag, &key, &key_len) < 0 || tag != 0x03 ||
	    key_len < 1 || key[0] != 0)
		return -2;
	key++;
	key_len--;
	end = alg + alg_len;
	if (der_next(&alg, end, &tag, &oid, &oid_len) < 0 || tag != 0x06)
		return -2;
	if (same(oid, oid_len, oid_rsa, sizeof(oid_rsa))) {
		const unsigned char *n, *e;
		size_t nlen, elen;

		p = key;
		end = key + key_len;
		if (der_next(&p, end, &tag, &v, &vlen) < 0 || tag != 0x30)
			return -2;
		p = v;
		end = v + vlen;
		if (der_next(&p, end, &tag, &n, &nlen) < 0 || tag != 0x02 ||
		    der_next(&p, end, &tag, &e, &elen) < 0 || tag != 0x02)
			return -2;
		while (nlen > 0 && n[0] == 0)
			n++, nlen--;
		while (elen > 0 && e[0] == 0)
			e++, elen--;
		if (nlen == 0 || elen == 0)
			return -2;
		pc->pkey.key_type = BR_KEYTYPE_RSA;
		pc->pkey.key.rsa.n = (unsigned char *)(uintptr_t)n;
		pc->pkey.key.rsa.nlen = nlen;
		pc->pkey.key.rsa.e = (unsigned char *)(uintptr_t)e;
		pc->pkey.key.rsa.elen = elen;
		pc->info->key_type = BR_KEYTYPE_RSA;
		pc->info->key_bits = (uint16_t)bitlen(n, nlen);
		return 0;
	}
	if (same(oid, oid_len, oid_ec, sizeof(oid_ec))) {
		int curve;
		uint16_t bits;

		if (der_next(&alg, end, &tag, &v, &vlen) < 0 || tag != 0x06)
			return -2;
		if (same(v, vlen, oid_p256, sizeof(oid_p256)))
			curve = BR_EC_secp256r1, bits = 256;
		else if (same(v, vlen, oid_p384, sizeof(oid_p384)))
			curve = BR_EC_secp384r1, bits = 384;
		else if (same(v, vlen, oid_p521, sizeof(oid_p521)))
			curve = BR_EC_secp521r1, bits = 521;
		else
			return -1;
		pc->pkey.key_type = BR_KEYTYPE_EC;
		pc->pkey.key.ec.curve = curve;
		pc->pkey.key.ec.q = (unsigned char *)(uintptr_t)key;
		pc->pkey.key.ec.qlen = key_len;
		pc->info->key_type = BR_KEYTYPE_EC;
		pc->info->key_bits = bits;
		return 0;
	}
	return -1;
}

/* "YYYY-MM-DD" from a UTCTime (YYMMDD...) or GeneralizedTime. */
static void
put_date(char out[11], unsigned tag, const unsigned char *v, size_t n)
{
	char y[4];
	size_t i, skip;

	out[0] = '\0';
	if (tag == 0x17 && n >= 6) {
		y[0] = v[0] >= '5' ? '1' : '2';
		y[1] = v[0] >= '5' ? '9' : '0';
		y[2] = (char)v[0];
		y[3] = (char)v[1];
		skip = 2;
	} else if (tag == 0x18 && n >= 8) {
		memcpy(y, v, 4);
		skip = 4;
	} else {
		return;
	}
	for (i = 0; i < skip + 4; i++)
		if (v[i] < '0' || v[i] > '9')
			return;
	memcpy(out, y, 4);
	out[4] = '-';
	out[5] = (char)v[skip];
	out[6] = (char)v[skip + 1];
	out[7] = '-';
	out[8] = (char)v[skip + 2];
	out[9] = (char)v[skip + 3];
	out[10] = '\0';
}

static void
take_validity(struct tether_pin_check *pc)
{
	const unsigned char *p = pc->cap, *end = pc->cap + pc->cap_len, *v;
	size_t vlen;
	unsigned tag;

	if (der_next(&p, end, &tag, &v, &vlen) == 0)
		put_date(pc->info->not_before, tag, v, vlen);
	if (der_next(&p, end, &tag, &v, &vlen) == 0)
		put_date(pc->info->not_after, tag, v, vlen);
}

/* The last CN of the subject Name (its content is in cap), printable. */
static void
take_cn(struct tether_pin_check *pc)
{
	const unsigned char *p = pc->cap, *end = pc->cap + pc->cap_len;
	const unsigned char *set, *atv, *q, *qe, *oid, *val;
	size_t set_len, atv_len, oid_len, val_len, i;
	unsigned tag;

	while (p < end) {
		if (der_next(&p, end, &tag, &set, &set_len) < 0 || tag != 0x31)
			return;
		q = set;
		qe = set + set_len;
		while (q < qe) {
			const unsigned char *r;

			if (der_next(&q, qe, &tag, &atv, &atv_len) < 0 ||
			    tag != 0x30)
				return;
			r = atv;
			if (der_next(&r, atv + atv_len, &tag, &oid,
			    &oid_len) < 0 || tag != 0x06 ||
			    der_next(&r, atv + atv_len, &tag, &val,
			    &val_len) < 0)
				return;
			if (!same(oid, oid_len, oid_cn, sizeof(oid_cn)))
				continue;
			for (i = 0; i < val_len && i < TETHER_CN_MAX - 1; i++)
				pc->info->cn[i] = val[i] >= 0x20 &&
				    val[i] < 0x7f ? (char)val[i] : '?';
			pc->info->cn[i] = '\0';
		}
	}
}

static void
capture(struct tether_pin_check *pc, const unsigned char *p, size_t n)
{
	if (pc->cap_len + n > sizeof(pc->cap)) {
		pc->cap_len = sizeof(pc->cap) + 1;	/* overflowed */
		return;
	}
	memcpy(pc->cap + pc->cap_len, p, n);
	pc->cap_len = (uint16_t)(pc->cap_len + n);
}

static int
overflowed(const struct tether_pin_check *pc)
{
	return pc->cap_len > sizeof(pc->cap);
}

/* A TBSCertificate field ended: keep what the detail and the key need. */
static void
field_done(struct tether_pin_check *pc)
{
	switch (pc->child) {
	case F_VALIDITY:
		if (!overflowed(pc))
			take_validity(pc);
		break;
	case F_SUBJECT:
		if (!overflowed(pc))
			take_cn(pc);
		break;
	case F_SPKI:
		if (overflowed(pc))
			pc->err = PIN_TOO_LARGE;
		pc->state = ST_DONE;
		return;
	}
	pc->child++;
	pc->cap_len = 0;
}

/* A header is whole: enter it (levels 0 and 1) or read its content. */
static void
header_done(struct tether_pin_check *pc)
{
	unsigned tag = pc->hdr[0];
	uint32_t len = pc->hdr[1];
	unsigned i, n, hlen = pc->hdr_len;

	if (len & 0x80) {
		n = len & 0x7f;
		for (len = 0, i = 0; i < n; i++)
			len = (len << 8) | pc->hdr[2 + i];
	}
	pc->hdr_len = 0;
	if (pc->level < 2) {
		if (tag != 0x30) {
			pc->state = ST_BAD;
			return;
		}
		pc->level++;
		return;
	}
	if (pc->child == F_SERIAL && tag == 0xa0) {
		/* version [0]: skipped, fields count after it */
		pc->child = 0xff;
	} else {
		if (pc->child == 0xff)
			pc->child = F_SERIAL;
		if ((pc->child == F_SERIAL && tag != 0x02) ||
		    (pc->child != F_SERIAL && tag != 0x30)) {
			pc->state = ST_BAD;
			return;
		}
		pc->cap_len = 0;
		/* the pin covers the SPKI's own header too */
		if (pc->child == F_SPKI)
			capture(pc, pc->hdr, hlen);
	}
	pc->left = len;
	pc->state = ST_BODY;
	if (len == 0) {
		pc->state = ST_HDR;
		if (pc->child != 0xff)
			field_done(pc);
	}
}

/*
 * Walks the leaf's DER as it streams: Certificate and TBSCertificate
 * headers are entered, TBS fields are skipped or captured. Lengths must
 * be minimal (DER), so the bytes captured are the bytes sent.
 */
static void
walk(struct tether_pin_check *pc, const unsigned char *p, size_t n)
{
	while (n > 0 && pc->state != ST_DONE && pc->state != ST_BAD) {
		if (pc->state == ST_HDR) {
			pc->hdr[pc->hdr_len++] = *p++;
			n--;
			if (pc->hdr_len == 1) {
				if ((pc->hdr[0] & 0x1f) == 0x1f)
					pc->state = ST_BAD;
				continue;
			}
			if (pc->hdr_len == 2) {
				unsigned l = pc->hdr[1];

				if (l < 0x80)
					header_done(pc);
				else if (l == 0x80 ||
				    (l & 0x7f) + 2u > sizeof(pc->hdr))
					pc->state = ST_BAD;
				continue;
			}
			if (pc->hdr_len == 2u + (pc->hdr[1] & 0x7f)) {
				/* minimal DER: no leading zero, no 0x81 < 128 */
				if (pc->hdr[2] == 0 || (pc->hdr[1] == 0x81 &&
				    pc->hdr[2] < 0x80)) {
					pc->state = ST_BAD;
					continue;
				}
				header_done(pc);
			}
			continue;
		} else {
			size_t k = n < pc->left ? n : pc->left;

			if (pc->child == F_VALIDITY ||
			    pc->child == F_SUBJECT || pc->child == F_SPKI)
				capture(pc, p, k);
			p += k;
			n -= k;
			pc->left -= (uint32_t)k;
			if (pc->left == 0) {
				pc->state = ST_HDR;
				if (pc->child != 0xff)
					field_done(pc);
				else
					pc->child = F_SERIAL;
			}
		}
	}
}

static void
pc_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct tether_pin_check *pc = (struct tether_pin_check *)(void *)ctx;

	(void)server_name;	/* the pin, not the name, is the trust */
	memset(pc->info, 0, sizeof(*pc->info));
	pc->ncert = 0;
	pc->err = PIN_OK;
}

static void
pc_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct tether_pin_check *pc = (struct tether_pin_check *)(void *)ctx;

	if (pc->ncert++ > 0)
		return;
	br_sha1_init(&pc->sha1);
	br_sha256_init(&pc->sha256);
	(void)length;
	pc->state = ST_HDR;
	pc->level = 0;
	pc->child = F_SERIAL;
	pc->hdr_len = 0;
	pc->cap_len = 0;
}

static void
pc_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct tether_pin_check *pc = (struct tether_pin_check *)(void *)ctx;

	if (pc->ncert != 1)
		return;		/* only the leaf's key is used */
	br_sha1_update(&pc->sha1, buf, len);
	br_sha256_update(&pc->sha256, buf, len);
	walk(pc, buf, len);
}

static void
pc_end_cert(const br_x509_class **ctx)
{
	(void)ctx;
}

static unsigned
pc_end_chain(const br_x509_class **ctx)
{
	struct tether_pin_check *pc = (struct tether_pin_check *)(void *)ctx;
	struct tether_cert_info *info = pc->info;
	br_sha256_context h;
	int key;

	if (pc->ncert == 0)
		return BR_ERR_X509_EMPTY_CHAIN;
	if (pc->err == PIN_TOO_LARGE)
		return BR_ERR_X509_LIMIT_EXCEEDED;
	if (pc->state != ST_DONE) {
		pc->err = PIN_MALFORMED;
		return BR_ERR_X509_INVALID_VALUE;
	}
	br_sha1_out(&pc->sha1, info->cert_sha1);
	br_sha256_out(&pc->sha256, info->cert_sha256);
	br_sha256_init(&h);
	br_sha256_update(&h, pc->cap, pc->cap_len);
	br_sha256_out(&h, info->spki_sha256);
	info->valid = 1;
	key = parse_spki(pc);
	if (!tether_pin_match(pc->cfg, info))
		return BR_ERR_X509_NOT_TRUSTED;
	if (key == -2) {
		pc->err = PIN_MALFORMED;
		return BR_ERR_X509_INVALID_VALUE;
	}
	if (key == -1)
		return BR_ERR_X509_UNSUPPORTED;
	return 0;
}

static const br_x509_pkey *
pc_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	const struct tether_pin_check *pc =
	    (const struct tether_pin_check *)(const void *)ctx;

	/* A pinned key is trusted for key exchange and for signing, as in
	 * x509_knownkey.c. */
	if (usages != NULL)
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	return &pc->pkey;
}

static const br_x509_class pin_check_vtable = {
	sizeof(struct tether_pin_check),
	pc_start_chain,
	pc_start_cert,
	pc_append,
	pc_end_cert,
	pc_end_chain,
	pc_get_pkey
};

/* see inner.h */
void
tether_pin_check_init(struct tether_pin_check *pc,
    const struct tether_config *cfg, struct tether_cert_info *info)
{
	memset(pc, 0, sizeof(*pc));
	pc->vtable = &pin_check_vtable;
	pc->cfg = cfg;
	pc->info = info;
}

/* see inner.h */
int
tether_pin_match(const struct tether_config *cfg,
    const struct tether_cert_info *info)
{
	int match = 0;
	unsigned i;

	for (i = 0; i < cfg->npins; i++) {
		const struct tether_pin *pin = &cfg->pins[i];
		const uint8_t *got;

		switch (pin->kind) {
		case TETHER_PIN_SPKI_SHA256:
			got = info->spki_sha256;
			break;
		case TETHER_PIN_CERT_SHA256:
			got = info->cert_sha256;
			break;
		default:
			got = info->cert_sha1;
			break;
		}
		match |= tether_ct_equal(pin->hash, got,
		    tether_pin_len(pin->kind));
	}
	return match;
}

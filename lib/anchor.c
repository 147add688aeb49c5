/* SPDX-License-Identifier: MIT */
/*
 * anchor.c - trust anchors, for devices with a clock: a br_x509_class that
 * runs the pin check and BearSSL's br_x509_minimal side by side over the
 * same chain and accepts the server only when both pass. Linked only by
 * firmware that calls tether_client_set_trust_anchors().
 */
#include "inner.h"

static struct tether_anchor_ctx *
anchor_of(const br_x509_class *const *ctx)
{
	return (struct tether_anchor_ctx *)(uintptr_t)(const void *)ctx;
}

/* "YYYY-MM-DD" as days since 1 January 0 AD; 0 when the text is not a
 * date (the pin check leaves "" for a date it could not read). */
static uint32_t
date_days(const char *s)
{
	uint32_t y, m, d, era, yoe, doy;
	int i;

	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : s[i] < '0' || s[i] > '9')
			return 0;
	y = (uint32_t)((s[0] - '0') * 1000 + (s[1] - '0') * 100 +
	    (s[2] - '0') * 10 + (s[3] - '0'));
	m = (uint32_t)((s[5] - '0') * 10 + (s[6] - '0'));
	d = (uint32_t)((s[8] - '0') * 10 + (s[9] - '0'));
	if (y == 0 || m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	/* days from civil, with March as the first month of the year so that
	 * the leap day comes last (H. Hinnant's algorithm) */
	if (m <= 2)
		y--;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy + 60;
}

/*
 * BearSSL says "expired" for both ends of the validity period; the leaf's
 * dates, read by the pin check, tell which end the device's day is at.
 */
static int
time_code(const struct tether_anchor_ctx *ac)
{
	uint32_t nb = date_days(ac->pin->info->not_before);

	if (nb != 0 && ac->days <= nb)
		return TETHER_E_CERT_NOT_YET_VALID;
	return TETHER_E_CERT_EXPIRED;
}

/* br_x509_minimal's verdict as the error the engine reports: a tether
 * code past TETHER_BR_ERR_BASE, or BearSSL's own code for what the
 * client already maps (malformed DER, an unsupported or too large key). */
static unsigned
chain_code(const struct tether_anchor_ctx *ac, unsigned br)
{
	switch (br) {
	case BR_ERR_X509_EXPIRED:
		return TETHER_BR_ERR_BASE + (unsigned)time_code(ac);
	case BR_ERR_X509_TIME_UNKNOWN:
		return TETHER_BR_ERR_BASE + TETHER_E_CLOCK_NOT_SET;
	case BR_ERR_X509_BAD_SERVER_NAME:
		return TETHER_BR_ERR_BASE + TETHER_E_NAME_MISMATCH;
	case BR_ERR_X509_NOT_TRUSTED:
	case BR_ERR_X509_BAD_SIGNATURE:
	case BR_ERR_X509_DN_MISMATCH:
	case BR_ERR_X509_NOT_CA:
		return TETHER_BR_ERR_BASE + TETHER_E_UNKNOWN_ISSUER;
	case BR_ERR_X509_CRITICAL_EXTENSION:
	case BR_ERR_X509_FORBIDDEN_KEY_USAGE:
	case BR_ERR_X509_WEAK_PUBLIC_KEY:
		return TETHER_BR_ERR_BASE + TETHER_E_CHAIN_REJECTED;
	}
	return br;
}

static void
ac_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct tether_anchor_ctx *ac = anchor_of(ctx);
	br_x509_minimal_context *xc = &ac->minimal;

	/* As br_ssl_client_init_full() sets it up: every hash a signature
	 * in the chain may use, the default RSA and ECDSA verifiers. */
	br_x509_minimal_init(xc, &br_sha256_vtable, ac->tas, ac->ntas);
	br_x509_minimal_set_hash(xc, br_sha1_ID, &br_sha1_vtable);
	br_x509_minimal_set_hash(xc, br_sha224_ID, &br_sha224_vtable);
	br_x509_minimal_set_hash(xc, br_sha256_ID, &br_sha256_vtable);
	br_x509_minimal_set_hash(xc, br_sha384_ID, &br_sha384_vtable);
	br_x509_minimal_set_hash(xc, br_sha512_ID, &br_sha512_vtable);
	br_x509_minimal_set_rsa(xc, br_rsa_pkcs1_vrfy_get_default());
	br_x509_minimal_set_ecdsa(xc, br_ec_get_default(),
	    br_ecdsa_vrfy_asn1_get_default());
	br_x509_minimal_set_time(xc, ac->days, ac->seconds);
	ac->pin->vtable->start_chain(&ac->pin->vtable, server_name);
	/* No SNI sent (BearSSL then passes "" or NULL, which would skip the
	 * name check): the name checked is the host's, never none. */
	xc->vtable->start_chain(&xc->vtable, server_name != NULL &&
	    server_name[0] != '\0' ? server_name : ac->cfg->host);
}

static void
ac_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct tether_anchor_ctx *ac = anchor_of(ctx);

	ac->pin->vtable->start_cert(&ac->pin->vtable, length);
	ac->minimal.vtable->start_cert(&ac->minimal.vtable, length);
}

static void
ac_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct tether_anchor_ctx *ac = anchor_of(ctx);

	ac->pin->vtable->append(&ac->pin->vtable, buf, len);
	ac->minimal.vtable->append(&ac->minimal.vtable, buf, len);
}

static void
ac_end_cert(const br_x509_class **ctx)
{
	struct tether_anchor_ctx *ac = anchor_of(ctx);

	ac->pin->vtable->end_cert(&ac->pin->vtable);
	ac->minimal.vtable->end_cert(&ac->minimal.vtable);
}

/*
 * Pin AND chain. The pin check always runs to its end, since it reads the
 * certificate details every error's text uses. With no pins configured
 * its "no pin matched" means nothing, and the chain alone decides.
 */
static unsigned
ac_end_chain(const br_x509_class **ctx)
{
	struct tether_anchor_ctx *ac = anchor_of(ctx);
	unsigned pin_r, chain_r;

	pin_r = ac->pin->vtable->end_chain(&ac->pin->vtable);
	chain_r = ac->minimal.vtable->end_chain(&ac->minimal.vtable);
	if (ac->cfg->npins > 0 && pin_r != 0)
		return pin_r;
	return chain_r != 0 ? chain_code(ac, chain_r) : 0;
}

static const br_x509_pkey *
ac_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct tether_anchor_ctx *ac = anchor_of(ctx);

	/* the chain's view: it knows the leaf's key usage extension */
	return ac->minimal.vtable->get_pkey(&ac->minimal.vtable, usages);
}

static const br_x509_class anchor_vtable = {
	sizeof(struct tether_anchor_ctx),
	ac_start_chain,
	ac_start_cert,
	ac_append,
	ac_end_cert,
	ac_end_chain,
	ac_get_pkey
};

/* see tether.h */
int
tether_client_set_trust_anchors(struct tether_client *client,
    struct tether_anchor_ctx *ac, const br_x509_trust_anchor *tas,
    size_t n)
{
	if (client == NULL)
		return -1;
	if (ac == NULL || tas == NULL || n == 0)
		return tether_fail(client, TETHER_E_BAD_ARG);
	memset(ac, 0, sizeof(*ac));
	ac->vtable = &anchor_vtable;
	ac->tas = tas;
	ac->ntas = n;
	/* both fixed for the client's life: tether_client_init() set cfg */
	ac->pin = &client->u.pin;
	ac->cfg = client->cfg;
	client->anchor = ac;
	return 0;
}

/* see tether.h */
int
tether_client_set_time(struct tether_client *client, uint32_t days,
    uint32_t seconds)
{
	struct tether_anchor_ctx *ac = client->anchor;

	if (ac == NULL)
		return tether_fail(client, TETHER_E_NO_ANCHORS);
	/* BearSSL reads day 0, second 0 as "not set" and would fall back on
	 * the host's clock: no real device time is that day anyway. */
	if (days == 0 || seconds >= TETHER_SECONDS_PER_DAY)
		return tether_fail(client, TETHER_E_BAD_ARG);
	ac->days = days;
	ac->seconds = seconds;
	ac->time_set = 1;
	return 0;
}

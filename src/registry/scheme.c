/* SPDX-License-Identifier: MIT */
/*
 * scheme.c - scheme names as the tools and the database write them, and
 * fresh secrets in each scheme's text form (docs/credentials.md).
 */
#include <string.h>

#include "registry/scheme.h"

static const char *const names[] = {
	[TETHER_SCHEME_PLAIN] = "plain",
	[TETHER_SCHEME_INTERLEAVE] = "interleave",
	[TETHER_SCHEME_HMAC] = "hmac",
};

/*
 * The prefix of a flashed secret. Every secret is the credential text
 * form of tether.h (128 bits and their CRC-32, which does not cover the
 * prefix) with its own prefix: so it is made by tether_credential_format
 * and a new prefix, and a flashed interleave or hmac secret is never
 * itself a credential the gateway would accept.
 */
static const char *const secret_prefix[] = {
	[TETHER_SCHEME_PLAIN] = TETHER_CREDENTIAL_PREFIX,
	[TETHER_SCHEME_INTERLEAVE] = "tti1_",
	[TETHER_SCHEME_HMAC] = "ttk1_",
};

#define PREFIX_LEN	(sizeof(TETHER_CREDENTIAL_PREFIX) - 1)

/* see registry.h */
const char *
reg_scheme_name(enum tether_scheme scheme)
{
	if ((unsigned)scheme > TETHER_SCHEME_HMAC)
		return "unknown";
	return names[scheme];
}

/* see registry.h */
int
reg_scheme_parse(const char *name, enum tether_scheme *scheme)
{
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0) {
			*scheme = (enum tether_scheme)i;
			return 0;
		}
	return -1;
}

/* see scheme.h */
void
reg_secret_make(enum tether_scheme scheme,
    const uint8_t raw[TETHER_CREDENTIAL_RAW], char out[TETHER_CREDENTIAL_MAX])
{
	tether_credential_format(raw, out);
	memcpy(out, secret_prefix[scheme], PREFIX_LEN);
}

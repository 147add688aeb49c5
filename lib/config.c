/* SPDX-License-Identifier: MIT */
/*
 * config.c - struct tether_config: what every connection to one server
 * shares. Setters check their argument at once and keep the first error,
 * so a misconfiguration is reported before any byte goes out.
 */
#include "inner.h"

static int
set_err(struct tether_config *cfg, int code)
{
	if (cfg->err == 0)
		cfg->err = (uint16_t)code;
	return code;
}

/* see tether.h */
void
tether_config_init(struct tether_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = 443;
	cfg->profile = TETHER_PROFILE_DEFAULT;
	cfg->log_level = TETHER_LOG_NONE;
}

/* see tether.h */
int
tether_config_set_host(struct tether_config *cfg, const char *host,
    uint16_t port)
{
	if (host == NULL || host[0] == '\0' || strlen(host) > 253)
		return set_err(cfg, TETHER_E_NO_HOST);
	cfg->host = host;
	cfg->port = port;
	return 0;
}

/* see tether.h */
int
tether_config_set_sni(struct tether_config *cfg, const char *name)
{
	/* BearSSL keeps the name in a 256-byte field with its NUL */
	if (name != NULL && strlen(name) > 255)
		return set_err(cfg, TETHER_E_BAD_ARG);
	cfg->sni = name;
	cfg->sni_set = 1;
	return 0;
}

/* see tether.h */
int
tether_config_add_pin(struct tether_config *cfg, enum tether_pin_kind kind,
    const uint8_t *hash)
{
	if (hash == NULL || (kind != TETHER_PIN_SPKI_SHA256 &&
	    kind != TETHER_PIN_CERT_SHA256 && kind != TETHER_PIN_CERT_SHA1))
		return set_err(cfg, TETHER_E_BAD_PIN);
	if (cfg->npins >= TETHER_MAX_PINS)
		return set_err(cfg, TETHER_E_TOO_MANY_PINS);
	cfg->pins[cfg->npins].hash = hash;
	cfg->pins[cfg->npins].kind = (uint8_t)kind;
	cfg->npins++;
	return 0;
}

/* see tether.h */
int
tether_config_set_credential(struct tether_config *cfg,
    const char *credential, size_t len)
{
	size_t i;

	if (credential == NULL || len == 0)
		return set_err(cfg, TETHER_E_NO_CREDENTIAL);
	/* It goes into a header line: visible ASCII only, so it can neither
	 * end the line nor smuggle another header. */
	if (len >= TETHER_CREDENTIAL_MAX)
		return set_err(cfg, TETHER_E_BAD_CREDENTIAL);
	for (i = 0; i < len; i++)
		if (credential[i] <= 0x20 || credential[i] >= 0x7f)
			return set_err(cfg, TETHER_E_BAD_CREDENTIAL);
	cfg->credential = credential;
	cfg->credential_len = len;
	return 0;
}

/* see tether.h */
int
tether_config_set_device(struct tether_config *cfg, const char *id)
{
	size_t i;

	/* compared with the bytes of the gateway's JSON answer: visible
	 * ASCII that needs no escape there */
	for (i = 0; id != NULL && id[i] != '\0'; i++)
		if (id[i] <= 0x20 || id[i] >= 0x7f || id[i] == '"' ||
		    id[i] == '\\' || i + 1 >= TETHER_DEVICE_ID_MAX)
			return set_err(cfg, TETHER_E_BAD_ARG);
	if (id == NULL || i == 0)
		return set_err(cfg, TETHER_E_BAD_ARG);
	cfg->device = id;
	return 0;
}

/* see tether.h */
int
tether_config_set_profile(struct tether_config *cfg,
    enum tether_profile profile)
{
	if (profile != TETHER_PROFILE_DEFAULT &&
	    profile != TETHER_PROFILE_LEGACY_AXTLS)
		return set_err(cfg, TETHER_E_BAD_PROFILE);
#if defined(TETHER_ALGS_ECDSA_P256)
	/* RSA key exchange is not linked in this build (tether.h) */
	if (profile == TETHER_PROFILE_LEGACY_AXTLS)
		return set_err(cfg, TETHER_E_BAD_PROFILE);
#endif
	cfg->profile = (uint8_t)profile;
	return 0;
}

/* see tether.h */
void
tether_config_set_log(struct tether_config *cfg, enum tether_log_level level,
    tether_log_fn *fn, void *ctx)
{
	cfg->log = fn;
	cfg->log_ctx = ctx;
	cfg->describe = tether_error_detail;
	cfg->log_level = (uint8_t)(fn != NULL ? level : TETHER_LOG_NONE);
}

/* see tether.h */
int
tether_config_set_entropy(struct tether_config *cfg, const void *seed,
    size_t len)
{
	if (seed == NULL || len < 16)
		return set_err(cfg, TETHER_E_BAD_ARG);
	cfg->entropy = seed;
	cfg->entropy_len = len;
	return 0;
}

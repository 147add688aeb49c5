/* SPDX-License-Identifier: MIT */
/*
 * profile.c - the device profiles of `tether check` and the names of the
 * cipher suites they offer. Every number here has its source in
 * docs/profiles.md; change both together.
 */
#include <stdio.h>
#include <string.h>

#include <bearssl.h>

#include "tether.h"
#include "check/profile.h"

/* BearSSL's full client list: what br_ssl_client_init_full sets, what the
 * ESP8266 core's WiFiClientSecure offers by default (suites_P) and what
 * libtether's TETHER_PROFILE_DEFAULT offers: one table, the library's
 * (lib/private/, its headers for the project's tools). */
#include "suites.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

/* BearSSL buffers: a record of n bytes plus its overhead in and out. */
#define BUF_IN(n)	((n) + 325)
#define BUF_OUT(n)	((n) + 85)

/* axTLS as the ESP8266 core built it (CONFIG_SSL_PROT_MEDIUM order). */
static const uint16_t suites_axtls[] = {
	BR_TLS_RSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_RSA_WITH_AES_256_CBC_SHA256,
	BR_TLS_RSA_WITH_AES_256_CBC_SHA,
	BR_TLS_RSA_WITH_AES_128_CBC_SHA
};

/*
 * mbedTLS's preference list as ESP-IDF's defaults leave it: AES (GCM, CCM,
 * CBC) with ECDHE, ECDH and RSA key exchange; DHE, Camellia, 3DES and
 * ChaCha20 are off in menuconfig's defaults.
 */
static const uint16_t suites_esp_idf[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_CCM,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_CCM,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
	BR_TLS_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_RSA_WITH_AES_256_CCM,
	BR_TLS_RSA_WITH_AES_256_CBC_SHA256,
	BR_TLS_RSA_WITH_AES_256_CBC_SHA,
	BR_TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384,
	BR_TLS_ECDH_RSA_WITH_AES_256_CBC_SHA,
	BR_TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384,
	BR_TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA,
	BR_TLS_RSA_WITH_AES_256_CCM_8,
	BR_TLS_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_RSA_WITH_AES_128_CCM,
	BR_TLS_RSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_RSA_WITH_AES_128_CBC_SHA,
	BR_TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDH_RSA_WITH_AES_128_CBC_SHA,
	BR_TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA,
	BR_TLS_RSA_WITH_AES_128_CCM_8
};

/* Suites a modern server should offer for ECDHE-capable stacks. */
#define CIPHERS_ECDHE	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
#define CIPHERS_AXTLS	"AES128-SHA256:AES256-SHA256:AES256-SHA:AES128-SHA"

static const struct chk_profile profiles[] = {
	{
		.name = "tether",
		.stack = "libtether (this project), TETHER_PROFILE_DEFAULT, "
		    "one TETHER_BUFSIZE_MIN (837-byte) record buffer",
		.engine = "BearSSL configured as libtether configures it",
		.vmin = BR_TLS12, .vmax = BR_TLS12,
		.suites = tether_suites_full, .nsuites = TETHER_SUITES_FULL_COUNT,
		.ibuf = TETHER_BUFSIZE_MIN, .obuf = 0,
		.mfln = 512, .rx_record = 512,
		.chain_max = 0, .chain_warn = 4096,
		.rsa_min = 1024, .rsa_max = 4096, .ecdsa = 1,
		.resume_id = 1, .resume_ticket = 0, .fatal_warnings = 0,
		.trust = CHK_TRUST_PIN, .names = CHK_NAMES_OPENSSL,
		.head_max = TETHER_HTTP_HEAD_MAX,
		.ciphers = CIPHERS_ECDHE, .gw_profile = "modern",
	},
	{
		.name = "esp8266-bearssl",
		.stack = "BearSSL::WiFiClientSecure of the ESP8266 Arduino core "
		    "3.1, defaults (setBufferSizes(16384, 512))",
		.engine = "BearSSL with WiFiClientSecure's suites and buffers",
		.vmin = BR_TLS10, .vmax = BR_TLS12,
		.suites = tether_suites_full, .nsuites = TETHER_SUITES_FULL_COUNT,
		.ibuf = BUF_IN(16384), .obuf = BUF_OUT(512),
		.mfln = 512, .rx_record = 16384,
		.chain_max = 0, .chain_warn = 4096,
		.rsa_min = 1024, .rsa_max = 4096, .ecdsa = 1,
		.resume_id = 1, .resume_ticket = 0, .fatal_warnings = 0,
		.trust = CHK_TRUST_PIN, .names = CHK_NAMES_OPENSSL,
		.head_max = 0,
		.ciphers = CIPHERS_ECDHE, .gw_profile = "modern",
	},
	{
		.name = "esp8266-axtls",
		.stack = "axTLS WiFiClientSecure of the ESP8266 Arduino core "
		    "2.4 (the seed article's stack)",
		.engine = "BearSSL restricted to axTLS's four suites",
		.vmin = BR_TLS10, .vmax = BR_TLS12,
		.suites = suites_axtls, .nsuites = N(suites_axtls),
		.ibuf = BUF_IN(16384), .obuf = BUF_OUT(16384),
		.mfln = 0, .rx_record = 16384, .rx_first = 1460 * 4,
		.chain_max = 16384, .chain_warn = 5840,
		.rsa_min = 1024, .rsa_max = 4096, .ecdsa = 0,
		.resume_id = 0, .resume_ticket = 0, .fatal_warnings = 1,
		.trust = CHK_TRUST_PIN_NAME, .names = CHK_NAMES_AXTLS,
		.head_max = 0,
		.ciphers = CIPHERS_AXTLS, .gw_profile = "legacy-esp8266",
	},
	{
		.name = "esp32-mbedtls",
		.stack = "ESP-IDF esp-tls on mbedTLS, menuconfig defaults "
		    "(IN 16384, OUT 4096, no max_fragment_length)",
		.engine = "mbedTLS as esp-tls sets it up for the device's "
		    "connection; BearSSL restricted to ESP-IDF's default "
		    "suites for each version and suite; OpenSSL for session "
		    "tickets",
		.device = CHK_STACK_MBEDTLS,
		.vmin = BR_TLS12, .vmax = BR_TLS12,
		.suites = suites_esp_idf, .nsuites = N(suites_esp_idf),
		.ibuf = BUF_IN(16384), .obuf = BUF_OUT(16384),
		.mfln = 0, .rx_record = 16384,
		.chain_max = 16384, .chain_warn = 8192,
		/* mbedtls_x509_crt_profile_default: RSA from 2048 bits */
		.rsa_min = 2048, .rsa_max = 4096, .ecdsa = 1,
		.resume_id = 1, .resume_ticket = 1, .fatal_warnings = 0,
		.trust = CHK_TRUST_CA, .names = CHK_NAMES_MBEDTLS,
		.head_max = 0,
		.ciphers = CIPHERS_ECDHE, .gw_profile = "modern",
	},
};

const struct chk_profile *
chk_profile_find(const char *name)
{
	size_t i;

	for (i = 0; i < N(profiles); i++)
		if (strcmp(profiles[i].name, name) == 0)
			return &profiles[i];
	return NULL;
}

const struct chk_profile *
chk_profile_at(size_t i)
{
	return i < N(profiles) ? &profiles[i] : NULL;
}

size_t
chk_profile_count(void)
{
	return N(profiles);
}

/* Suite names: IANA's, and OpenSSL's (what ssl_ciphers and SSLCipherSuite
 * take). OpenSSL 3 has no static-ECDH suites; their names are the ones
 * OpenSSL 1.0 used. */
static const struct {
	uint16_t	 id;
	const char	*iana;
	const char	*openssl;
} suite_names[] = {
#define S(kx, ciph, ossl) { BR_TLS_##kx##_WITH_##ciph, \
	"TLS_" #kx "_WITH_" #ciph, ossl }
	S(ECDHE_ECDSA, CHACHA20_POLY1305_SHA256, "ECDHE-ECDSA-CHACHA20-POLY1305"),
	S(ECDHE_RSA, CHACHA20_POLY1305_SHA256, "ECDHE-RSA-CHACHA20-POLY1305"),
	S(ECDHE_ECDSA, AES_128_GCM_SHA256, "ECDHE-ECDSA-AES128-GCM-SHA256"),
	S(ECDHE_RSA, AES_128_GCM_SHA256, "ECDHE-RSA-AES128-GCM-SHA256"),
	S(ECDHE_ECDSA, AES_256_GCM_SHA384, "ECDHE-ECDSA-AES256-GCM-SHA384"),
	S(ECDHE_RSA, AES_256_GCM_SHA384, "ECDHE-RSA-AES256-GCM-SHA384"),
	S(ECDHE_ECDSA, AES_128_CCM, "ECDHE-ECDSA-AES128-CCM"),
	S(ECDHE_ECDSA, AES_256_CCM, "ECDHE-ECDSA-AES256-CCM"),
	S(ECDHE_ECDSA, AES_128_CCM_8, "ECDHE-ECDSA-AES128-CCM8"),
	S(ECDHE_ECDSA, AES_256_CCM_8, "ECDHE-ECDSA-AES256-CCM8"),
	S(ECDHE_ECDSA, AES_128_CBC_SHA256, "ECDHE-ECDSA-AES128-SHA256"),
	S(ECDHE_RSA, AES_128_CBC_SHA256, "ECDHE-RSA-AES128-SHA256"),
	S(ECDHE_ECDSA, AES_256_CBC_SHA384, "ECDHE-ECDSA-AES256-SHA384"),
	S(ECDHE_RSA, AES_256_CBC_SHA384, "ECDHE-RSA-AES256-SHA384"),
	S(ECDHE_ECDSA, AES_128_CBC_SHA, "ECDHE-ECDSA-AES128-SHA"),
	S(ECDHE_RSA, AES_128_CBC_SHA, "ECDHE-RSA-AES128-SHA"),
	S(ECDHE_ECDSA, AES_256_CBC_SHA, "ECDHE-ECDSA-AES256-SHA"),
	S(ECDHE_RSA, AES_256_CBC_SHA, "ECDHE-RSA-AES256-SHA"),
	S(ECDH_ECDSA, AES_128_GCM_SHA256, "ECDH-ECDSA-AES128-GCM-SHA256"),
	S(ECDH_RSA, AES_128_GCM_SHA256, "ECDH-RSA-AES128-GCM-SHA256"),
	S(ECDH_ECDSA, AES_256_GCM_SHA384, "ECDH-ECDSA-AES256-GCM-SHA384"),
	S(ECDH_RSA, AES_256_GCM_SHA384, "ECDH-RSA-AES256-GCM-SHA384"),
	S(ECDH_ECDSA, AES_128_CBC_SHA256, "ECDH-ECDSA-AES128-SHA256"),
	S(ECDH_RSA, AES_128_CBC_SHA256, "ECDH-RSA-AES128-SHA256"),
	S(ECDH_ECDSA, AES_256_CBC_SHA384, "ECDH-ECDSA-AES256-SHA384"),
	S(ECDH_RSA, AES_256_CBC_SHA384, "ECDH-RSA-AES256-SHA384"),
	S(ECDH_ECDSA, AES_128_CBC_SHA, "ECDH-ECDSA-AES128-SHA"),
	S(ECDH_RSA, AES_128_CBC_SHA, "ECDH-RSA-AES128-SHA"),
	S(ECDH_ECDSA, AES_256_CBC_SHA, "ECDH-ECDSA-AES256-SHA"),
	S(ECDH_RSA, AES_256_CBC_SHA, "ECDH-RSA-AES256-SHA"),
	S(RSA, AES_128_GCM_SHA256, "AES128-GCM-SHA256"),
	S(RSA, AES_256_GCM_SHA384, "AES256-GCM-SHA384"),
	S(RSA, AES_128_CCM, "AES128-CCM"),
	S(RSA, AES_256_CCM, "AES256-CCM"),
	S(RSA, AES_128_CCM_8, "AES128-CCM8"),
	S(RSA, AES_256_CCM_8, "AES256-CCM8"),
	S(RSA, AES_128_CBC_SHA256, "AES128-SHA256"),
	S(RSA, AES_256_CBC_SHA256, "AES256-SHA256"),
	S(RSA, AES_128_CBC_SHA, "AES128-SHA"),
	S(RSA, AES_256_CBC_SHA, "AES256-SHA"),
	S(ECDHE_ECDSA, 3DES_EDE_CBC_SHA, "ECDHE-ECDSA-DES-CBC3-SHA"),
	S(ECDHE_RSA, 3DES_EDE_CBC_SHA, "ECDHE-RSA-DES-CBC3-SHA"),
	S(ECDH_ECDSA, 3DES_EDE_CBC_SHA, "ECDH-ECDSA-DES-CBC3-SHA"),
	S(ECDH_RSA, 3DES_EDE_CBC_SHA, "ECDH-RSA-DES-CBC3-SHA"),
	S(RSA, 3DES_EDE_CBC_SHA, "DES-CBC3-SHA"),
#undef S
};

static int
suite_index(uint16_t id)
{
	size_t i;

	for (i = 0; i < N(suite_names); i++)
		if (suite_names[i].id == id)
			return (int)i;
	return -1;
}

const char *
chk_suite_iana(uint16_t id, char buf[8])
{
	int i = suite_index(id);

	if (i >= 0)
		return suite_names[i].iana;
	snprintf(buf, 8, "0x%04X", id);
	return buf;
}

const char *
chk_suite_openssl(uint16_t id, char buf[8])
{
	int i = suite_index(id);

	if (i >= 0)
		return suite_names[i].openssl;
	snprintf(buf, 8, "0x%04X", id);
	return buf;
}

int
chk_suite_ecdsa(uint16_t id)
{
	int i = suite_index(id);

	return i >= 0 && strstr(suite_names[i].iana, "_ECDSA_") != NULL;
}

const char *
chk_version_name(unsigned v)
{
	switch (v) {
	case 0x0300:
		return "SSL 3.0";
	case BR_TLS10:
		return "TLS 1.0";
	case BR_TLS11:
		return "TLS 1.1";
	case BR_TLS12:
		return "TLS 1.2";
	case 0x0304:
		return "TLS 1.3";
	default:
		return "an unknown version";
	}
}

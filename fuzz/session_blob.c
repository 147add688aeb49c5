/* SPDX-License-Identifier: MIT */
/*
 * session_blob.c - libFuzzer target for the session blob a device keeps
 * over deep sleep (lib/session.c): any 120 bytes are refused as damaged or
 * as another server's, or restored; a restored blob saves again to a blob
 * with the same session, and that one restores and saves to itself.
 * Input: the blob, then a byte whose bit 0 asks the harness to seal it
 * (restore checks a SHA-256 the fuzzer cannot forge) by saving its fields.
 */
#include "fuzz.h"
#include "../lib/inner.h"

static int
no_io(void *ctx, unsigned char *buf, size_t len)
{
	return -1;
}

static int
no_write(void *ctx, const unsigned char *buf, size_t len)
{
	return -1;
}

static const struct tether_transport io = { .read = no_io, .write = no_write };
static const uint8_t pin[32] = { 0x5a, 0x01 };
static unsigned char buf[TETHER_BUFSIZE_MIN];

static void
client(struct tether_client *c, struct tether_config *cfg, uint16_t port)
{
	tether_config_init(cfg);
	tether_config_set_host(cfg, "gw.example", port);
	tether_config_add_pin(cfg, TETHER_PIN_SPKI_SHA256, pin);
	require(tether_client_init(c, cfg, &io, buf, sizeof(buf)) == 0);
}

/* The blob's fields as a session, saved: what the fuzzer cannot seal. */
static void
seal(uint8_t blob[TETHER_SESSION_SIZE])
{
	struct tether_config cfg;
	struct tether_client c;
	br_ssl_session_parameters sp;
	uint64_t seq = 0;
	int i;

	client(&c, &cfg, 8443);
	memset(&sp, 0, sizeof(sp));
	sp.session_id_len = blob[4];	/* unchecked: 0 or 200 must fail */
	sp.version = (uint16_t)(blob[6] << 8 | blob[7]);
	sp.cipher_suite = (uint16_t)(blob[8] << 8 | blob[9]);
	memcpy(sp.session_id, blob + 10, 32);
	memcpy(sp.master_secret, blob + 42, 48);
	br_ssl_engine_set_session_parameters(&c.ssl.eng, &sp);
	c.have_session = 1;
	for (i = 0; i < 8; i++) {
		seq = seq << 8 | blob[90 + i];
		c.ack = c.ack << 8 | blob[100 + i];
	}
	if (blob[5])
		tether_set_seq(&c, seq);
	require(tether_session_save(&c, blob) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tether_config cfg, cfg2;
	struct tether_client c, c2;
	br_ssl_session_parameters sp, sp2;
	uint8_t raw[TETHER_SESSION_SIZE], *blob, again[TETHER_SESSION_SIZE],
	    third[TETHER_SESSION_SIZE];
	int r, e;

	memset(raw, 0, sizeof(raw));
	memcpy(raw, data, size < sizeof(raw) ? size : sizeof(raw));
	if (size > sizeof(raw) && (data[sizeof(raw)] & 1))
		seal(raw);
	blob = (uint8_t *)fuzz_copy(raw, sizeof(raw), 0);

	client(&c, &cfg, 8443);
	r = tether_session_restore(&c, blob);
	require(r == 0 || r == -1);
	if (r < 0) {
		e = tether_last_error(&c);
		require(e == TETHER_E_BAD_SESSION ||
		    e == TETHER_E_OTHER_SESSION);
		require(!c.have_session);
		free(blob);
		return 0;
	}
	require(c.have_session);
	require(blob[4] >= 1 && blob[4] <= 32);

	/* Saved again: the same session, sealed for the same server. */
	require(tether_session_save(&c, again) == 0);
	br_ssl_engine_get_session_parameters(&c.ssl.eng, &sp);
	require(sp.session_id_len == blob[4]);
	/* the fields past the magic: a layout-1 blob saves as layout 2 */
	require(memcmp(again + 4, blob + 4, 6 + 32 + 48) == 0 || blob[5] > 1);
	require(memcmp(blob, "tts1", 4) != 0 || tether_command_ack(&c) == 0);

	/* Another port: another server, refused. */
	client(&c2, &cfg2, 8444);
	require(tether_session_restore(&c2, again) == -1);
	require(tether_last_error(&c2) == TETHER_E_OTHER_SESSION);

	/* And the saved blob is a fixed point. */
	client(&c2, &cfg2, 8443);
	require(tether_session_restore(&c2, again) == 0);
	br_ssl_engine_get_session_parameters(&c2.ssl.eng, &sp2);
	require(memcmp(&sp, &sp2, sizeof(sp)) == 0);
	require(tether_seq(&c2) == tether_seq(&c));
	require(tether_command_ack(&c2) == tether_command_ack(&c));
	require(tether_session_save(&c2, third) == 0);
	require(memcmp(again, third, sizeof(third)) == 0);
	free(blob);
	return 0;
}

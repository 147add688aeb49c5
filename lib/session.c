/* SPDX-License-Identifier: MIT */
/*
 * session.c - the TLS session as a blob in caller memory, so a device
 * that wakes from deep sleep resumes instead of doing a full handshake.
 * The blob is checked (a damaged RTC word must not become a handshake
 * failure) and tied to the server and pins it was made with. It also
 * carries the sequence number and the command being acknowledged.
 *
 * Layout 2 ("tts2", 120 bytes) is layout 1 ("tts1", 112 bytes, before
 * commands) with the ack's 8 bytes where the tag was; the tag and check
 * follow. A layout-1 blob is still restored (it has no ack), so firmware
 * updated between two sleeps keeps its session and sequence number.
 */
#include "inner.h"

#define MAGIC		"tts2"
#define MAGIC_V1	"tts1"
#define OFF_ID_LEN	4
#define OFF_SEQ_SET	5
#define OFF_VERSION	6
#define OFF_SUITE	8
#define OFF_ID		10
#define OFF_MASTER	42
#define OFF_SEQ		90
#define OFF_ACK		100	/* 8 bytes: the command being acknowledged */
#define OFF_TAG		108	/* 4 bytes: which server and pins */
#define OFF_CHECK	112	/* 8 bytes: SHA-256 of what precedes */
#define OFF_TAG_V1	100
#define OFF_CHECK_V1	104
#define TAG_LEN		4
#define CHECK_LEN	8

typedef char session_layout[OFF_CHECK + CHECK_LEN == TETHER_SESSION_SIZE &&
    OFF_MASTER + 48 <= OFF_SEQ && OFF_SEQ + 8 <= OFF_ACK &&
    OFF_ACK + 8 == OFF_TAG && OFF_TAG_V1 == OFF_ACK ? 1 : -1];

/* What the blob belongs to: host, port and every pin. */
static void
server_tag(const struct tether_config *cfg, uint8_t out[TAG_LEN])
{
	br_sha256_context h;
	uint8_t d[32], port[2];
	unsigned i;

	br_sha256_init(&h);
	br_sha256_update(&h, cfg->host, strlen(cfg->host) + 1);
	port[0] = (uint8_t)(cfg->port >> 8);
	port[1] = (uint8_t)cfg->port;
	br_sha256_update(&h, port, 2);
	for (i = 0; i < cfg->npins; i++) {
		br_sha256_update(&h, &cfg->pins[i].kind, 1);
		br_sha256_update(&h, cfg->pins[i].hash,
		    tether_pin_len(cfg->pins[i].kind));
	}
	br_sha256_out(&h, d);
	memcpy(out, d, TAG_LEN);
}

/* The check of the off bytes before it. */
static void
check(const uint8_t *blob, size_t off, uint8_t out[CHECK_LEN])
{
	br_sha256_context h;
	uint8_t d[32];

	br_sha256_init(&h);
	br_sha256_update(&h, blob, off);
	br_sha256_out(&h, d);
	memcpy(out, d, CHECK_LEN);
}

/* see tether.h */
int
tether_session_save(struct tether_client *c,
    uint8_t blob[TETHER_SESSION_SIZE])
{
	br_ssl_session_parameters sp;
	int i;

	if (!c->have_session || c->cfg == NULL || c->cfg->host == NULL)
		return tether_fail(c, TETHER_E_NO_SESSION);
	br_ssl_engine_get_session_parameters(&c->ssl.eng, &sp);
	memset(blob, 0, TETHER_SESSION_SIZE);
	memcpy(blob, MAGIC, 4);
	blob[OFF_ID_LEN] = sp.session_id_len;
	blob[OFF_SEQ_SET] = c->seq_set;
	blob[OFF_VERSION] = (uint8_t)(sp.version >> 8);
	blob[OFF_VERSION + 1] = (uint8_t)sp.version;
	blob[OFF_SUITE] = (uint8_t)(sp.cipher_suite >> 8);
	blob[OFF_SUITE + 1] = (uint8_t)sp.cipher_suite;
	memcpy(blob + OFF_ID, sp.session_id, 32);
	memcpy(blob + OFF_MASTER, sp.master_secret, 48);
	for (i = 0; i < 8; i++) {
		blob[OFF_SEQ + i] = (uint8_t)(c->seq >> (56 - 8 * i));
		blob[OFF_ACK + i] = (uint8_t)(c->ack >> (56 - 8 * i));
	}
	server_tag(c->cfg, blob + OFF_TAG);
	check(blob, OFF_CHECK, blob + OFF_CHECK);
	tether_wipe(&sp, sizeof(sp));
	return 0;
}

/* see tether.h */
int
tether_session_restore(struct tether_client *c,
    const uint8_t blob[TETHER_SESSION_SIZE])
{
	br_ssl_session_parameters sp;
	uint8_t want[CHECK_LEN], tag[TAG_LEN];
	size_t off_tag = OFF_TAG;
	uint64_t seq = 0, ack = 0;
	int i;

	if (c->cfg == NULL || c->cfg->host == NULL || blob == NULL)
		return tether_fail(c, TETHER_E_BAD_ARG);
	if (memcmp(blob, MAGIC_V1, 4) == 0)
		off_tag = OFF_TAG_V1;
	else if (memcmp(blob, MAGIC, 4) != 0)
		return tether_fail(c, TETHER_E_BAD_SESSION);
	check(blob, off_tag + TAG_LEN, want);
	if (!tether_ct_equal(want, blob + off_tag + TAG_LEN, CHECK_LEN) ||
	    blob[OFF_ID_LEN] == 0 || blob[OFF_ID_LEN] > 32)
		return tether_fail(c, TETHER_E_BAD_SESSION);
	server_tag(c->cfg, tag);
	if (memcmp(tag, blob + off_tag, TAG_LEN) != 0)
		return tether_fail(c, TETHER_E_OTHER_SESSION);
	memset(&sp, 0, sizeof(sp));
	sp.session_id_len = blob[OFF_ID_LEN];
	sp.version = (uint16_t)(blob[OFF_VERSION] << 8 | blob[OFF_VERSION + 1]);
	sp.cipher_suite = (uint16_t)(blob[OFF_SUITE] << 8 |
	    blob[OFF_SUITE + 1]);
	memcpy(sp.session_id, blob + OFF_ID, 32);
	memcpy(sp.master_secret, blob + OFF_MASTER, 48);
	br_ssl_engine_set_session_parameters(&c->ssl.eng, &sp);
	tether_wipe(&sp, sizeof(sp));
	c->have_session = 1;
	for (i = 0; i < 8; i++) {
		seq = seq << 8 | blob[OFF_SEQ + i];
		ack = ack << 8 | blob[OFF_ACK + i];
	}
	if (blob[OFF_SEQ_SET]) {
		c->seq = seq;
		c->seq_set = 1;
	}
	/* layout 1 has its tag where the ack is */
	c->ack = off_tag == OFF_TAG ? ack : 0;
	return 0;
}

/* see tether.h */
void
tether_session_forget(struct tether_client *c)
{
	br_ssl_session_parameters sp;

	memset(&sp, 0, sizeof(sp));
	br_ssl_engine_set_session_parameters(&c->ssl.eng, &sp);
	c->have_session = 0;
}

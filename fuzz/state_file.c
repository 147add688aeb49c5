/* SPDX-License-Identifier: MIT */
/*
 * state_file.c - libFuzzer target for the two files the gateway reads
 * back from its state directory at start (a restart's ticket keys,
 * tickets.c; its session cache, sesscache.c), and for what a session row
 * of the store holds once opened (registry/sessions.c: a row's seal is
 * AES-GCM, which the fuzzer cannot forge, so the harness hands it the
 * opened bytes). A file or row another process could have damaged is
 * refused or loaded, never read past its end, and a ticket file that
 * parses formats again to the same bytes.
 * Input: a byte whose bit 0 picks the parser (0: ticket keys, 1:
 * sessions), whose bit 1 asks the harness to seal the rest with a
 * correct checksum (which the fuzzer cannot forge), and whose bit 2
 * picks the session row instead; then the bytes.
 */
#include <openssl/sha.h>

#include "fuzz.h"
#include "gateway/sesscache.h"
#include "gateway/tickets.h"
#include "registry/registry.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_ticket_key keys[GW_TICKET_RING];
	unsigned char again[GW_TICKET_FILE_MAX];
	char err[GW_TICKET_ERR_LEN];
	struct gw_sesscache *c;
	unsigned char *buf;
	size_t n, len;

	if (size < 1)
		return 0;
	len = size - 1;
	if ((data[0] & 2) != 0)
		len += SHA256_DIGEST_LENGTH;
	/* exactly len bytes: ASan sees a read past the file's end */
	require((buf = malloc(len + (len == 0))) != NULL);
	memcpy(buf, data + 1, size - 1);
	if ((data[0] & 2) != 0)
		SHA256(buf, size - 1, buf + size - 1);

	if ((data[0] & 4) != 0) {
		struct reg_session rs;

		if (reg_session_parse(buf, len, &rs) == 0) {
			require(rs.idlen >= 1 && rs.idlen <= REG_SESSION_ID_MAX);
			require(rs.derlen >= 1 &&
			    rs.derlen <= REG_SESSION_DER_MAX);
			require(1 + rs.idlen + rs.derlen == len);
			require(memcmp(rs.der, buf + 1 + rs.idlen,
			    rs.derlen) == 0);
		}
	} else if ((data[0] & 1) == 0) {
		if (gw_tickets_parse(buf, len, keys, &n, err) == 0) {
			require(n >= 1 && n <= GW_TICKET_RING);
			require(gw_tickets_format(keys, n, again) == len);
			require(memcmp(again, buf, len) == 0);
		} else {
			require(memchr(err, '\0', sizeof(err)) != NULL);
		}
	} else {
		require((c = gw_sesscache_new(4)) != NULL);
		(void)gw_sesscache_load_buf(c, buf, len, 1000, err);
		gw_sesscache_free(c);
	}
	free(buf);
	return 0;
}

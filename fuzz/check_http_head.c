/* SPDX-License-Identifier: MIT */
/*
 * check_http_head.c - libFuzzer target for `tether check`'s reader of the
 * response head a server sends (chk_http_head_parse in src/check/probe.c):
 * any bytes, with the NUL the caller promises after them and nothing
 * more, give a bounded status, kept texts that end inside their fields,
 * and nothing read past the NUL.
 */
#include "fuzz.h"
#include "check/probe.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct chk_probe a, b;
	char *head = fuzz_copy(data, size, 1);

	memset(&a, 0, sizeof(a));
	chk_http_head_parse(&a, head, size);
	require(a.status == 0 || (a.status >= 100 && a.status <= 599));
	require(a.conn_close == 0 || a.conn_close == 1);
	require(memchr(a.location, '\0', sizeof(a.location)) != NULL);
	require(memchr(a.content_location, '\0',
	    sizeof(a.content_location)) != NULL);
	require(memchr(a.www_auth, '\0', sizeof(a.www_auth)) != NULL);

	/* Only the head counts: bytes after the NUL are not read. */
	memset(&b, 0, sizeof(b));
	head = realloc(head, size + 2);
	require(head != NULL);
	head[size + 1] = '\n';
	chk_http_head_parse(&b, head, size);
	require(memcmp(&a, &b, sizeof(a)) == 0);
	free(head);
	return 0;
}

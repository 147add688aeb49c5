/* SPDX-License-Identifier: MIT */
/*
 * app_query.c - libFuzzer target for the query string of an application
 * read (src/gateway/app_query.c): any bytes give a query or a refusal
 * with a sentence; a query accepted keeps its bounds (limit, wait), a
 * device id in canonical form and a cursor that parses again.
 */
#include "fuzz.h"
#include "gateway/app.h"
#include "gateway/limits.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *q = fuzz_copy(data, size, 0);
	struct app_query aq;
	struct reg_cursor c;
	char why[APP_WHY_LEN];

	if (app_query_parse(q, size, &aq, why) == 0) {
		require(aq.limit >= 1 && aq.limit <= GW_APP_MAX_LIMIT);
		require(aq.wait_ms >= 0 && aq.wait_ms <= GW_APP_MAX_WAIT_MS);
		require(reg_cursor_parse(aq.after, &c) == 0);
		require(aq.device[0] == '\0' || reg_id_valid(aq.device));
	} else {
		require(memchr(why, '\0', sizeof(why)) != NULL && why[0] != '\0');
	}
	free(q);
	return 0;
}

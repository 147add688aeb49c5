/* SPDX-License-Identifier: MIT */
/*
 * json_valid.c - libFuzzer target for the check that decides whether a
 * message body is written into a reader's line as JSON: any bytes give an
 * answer without reading outside them, and an accepted body, copied in by
 * the JSON writer, leaves one line that holds no CR or LF.
 */
#include "fuzz.h"
#include "common/json.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_copy(data, size, 0);
	struct json j;

	if (json_valid_line((const uint8_t *)copy, size)) {
		require(memchr(copy, '\n', size) == NULL &&
		    memchr(copy, '\r', size) == NULL);
		json_init_heap(&j);
		json_object(&j, NULL, JSON_COMPACT);
		json_raw(&j, "body", copy, size);
		json_finish(&j);
		require(!j.failed && strchr(j.buf, '\n') == NULL);
		json_free(&j);
	}
	free(copy);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * json_valid.c - libFuzzer target for the check that decides whether a
 * message body is written into a reader's line as JSON: any bytes give an
 * answer without reading outside them, and an accepted body, copied in by
 * the JSON writer, leaves one line that holds no CR or LF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
/* compiled in, so libFuzzer's coverage sees it (the libraries are built
 * without -fsanitize=fuzzer-no-link) */
#include "../src/common/json_valid.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json j;
	uint8_t *copy;

	/* an exact-size copy, so ASan sees a read one byte past the end */
	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	if (json_valid_line(copy, size)) {
		if (memchr(copy, '\n', size) != NULL ||
		    memchr(copy, '\r', size) != NULL)
			abort();
		json_init_heap(&j);
		json_object(&j, NULL, JSON_COMPACT);
		json_raw(&j, "body", (const char *)copy, size);
		json_finish(&j);
		if (j.failed || strchr(j.buf, '\n') != NULL)
			abort();
		json_free(&j);
	}
	free(copy);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * test_strerror_flash.c - lib/strerror.c as the ESP8266 builds it
 * (TETHER_FLASH_STRINGS: the table as one object, read in aligned words
 * only), compiled here beside the library's own build and compared with it
 * code by code: the same sentences, cut and terminated where asked, and
 * every sentence short enough for its TETHER_STRERROR_LEN slot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

/* This file's copy of strerror.c, renamed, in the ESP8266's layout. */
#define TETHER_FLASH_STRINGS 1
#define tether_strerror flash_strerror
#define tether_strerror_copy flash_strerror_copy
#include "../../lib/strerror.c"
#undef tether_strerror
#undef tether_strerror_copy

/* The library's own (TETHER_FLASH_STRINGS 0 on this host). */
const char *tether_strerror(int code);
char *tether_strerror_copy(int code, char *buf, size_t len);

static void
test_same_sentences(void **state)
{
	char a[TETHER_STRERROR_LEN], b[TETHER_STRERROR_LEN];
	int code, known = 0;

	(void)state;
	for (code = -2; code < 1000; code++) {
		const char *want = tether_strerror(code);

		assert_true(strlen(want) < TETHER_STRERROR_LEN);
		assert_string_equal(flash_strerror_copy(code, a, sizeof a), want);
		assert_string_equal(tether_strerror_copy(code, b, sizeof b), want);
		assert_string_equal(flash_strerror(code), want);
		known += strcmp(want, tether_strerror(-12345)) != 0;
	}
	/* every entry of the table was found */
	assert_int_equal(known, sizeof(sentences) / sizeof(sentences[0]));
}

static void
test_cut_where_asked(void **state)
{
	const char *want = tether_strerror(TETHER_E_UNAUTHORIZED);
	char a[TETHER_STRERROR_LEN], b[TETHER_STRERROR_LEN];
	size_t len;

	(void)state;
	for (len = 1; len < 12; len++) {
		memset(a, 'x', sizeof a);
		memset(b, 'x', sizeof b);
		flash_strerror_copy(TETHER_E_UNAUTHORIZED, a, len);
		tether_strerror_copy(TETHER_E_UNAUTHORIZED, b, len);
		assert_int_equal(strlen(a), len - 1);
		assert_memory_equal(a, want, len - 1);
		assert_memory_equal(a, b, len + 1);	/* nothing written past */
	}
	a[0] = 'x';
	flash_strerror_copy(TETHER_OK, a, 0);	/* len 0: nothing written */
	assert_int_equal(a[0], 'x');
}

/* The reader stops at its slot: a string without its NUL is cut there. */
static void
test_slot_bound(void **state)
{
	static const char slot[8] TETHER_FLASH("test_slot") =
	    { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h' };
	char out[16];

	(void)state;
	assert_string_equal(tether_flash_strcpy(out, sizeof out, slot, 8),
	    "abcdefgh");
	assert_string_equal(tether_flash_strcpy(out, sizeof out, slot, 4),
	    "abcd");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_sentences),
		cmocka_unit_test(test_cut_where_asked),
		cmocka_unit_test(test_slot_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

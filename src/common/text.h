/* SPDX-License-Identifier: MIT */
/*
 * text.h - text that grows on the heap as it is written (an answer of
 * the application API, the metrics page); once out of memory it stays
 * failed and takes nothing more, so a writer checks once at the end.
 */
#ifndef COMMON_TEXT_H
#define COMMON_TEXT_H

#include <stddef.h>

struct text {
	char	*buf;		/* NUL-terminated once anything is in it */
	size_t	 len, cap;
	int	 failed;
};

/* Appends n bytes of s. */
void text_put(struct text *t, const char *s, size_t n);
/* Appends a C string. */
void text_str(struct text *t, const char *s);
/* Appends as printf does. */
void text_printf(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Frees buf; t is empty again. */
void text_free(struct text *t);

#endif

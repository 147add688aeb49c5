/* SPDX-License-Identifier: MIT */
/*
 * head_pieces.c - the request head parser when a head comes in pieces:
 * an 8 KiB head (30 headers of 267 bytes) parsed whole, then fed a byte
 * at a time as the gateway did before (http_parse_request on every
 * prefix, from byte 0) and as it does now (http_parse_request_resume).
 * Prints nanoseconds per head of each, the median of ROUNDS runs.
 *   build/head_pieces [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/http.h"

#define ROUNDS_DEFAULT	9

static char head[2 * GW_MAX_HEAD];
static size_t head_len;

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* One run of a way to parse the head: its answer, which must be the
 * head's length. */
static int
whole(void)
{
	struct http_request req;
	struct http_error err;

	return http_parse_request(head, head_len, GW_MAX_HEAD, &req, &err);
}

static int
bytes_from_zero(void)
{
	struct http_request req;
	struct http_error err;
	int r = 0;

	for (size_t k = 1; k <= head_len && r == 0; k++)
		r = http_parse_request(head, k, GW_MAX_HEAD, &req, &err);
	return r;
}

static int
bytes_resumed(void)
{
	struct http_resume rs = HTTP_RESUME_INIT;
	struct http_request req;
	struct http_error err;
	int r = 0;

	for (size_t k = 1; k <= head_len && r == 0; k++)
		r = http_parse_request_resume(head, k, GW_MAX_HEAD, &req, &err,
		    &rs);
	return r;
}

static long long
median_ns(int (*fn)(void), int rounds, int reps)
{
	long long t[64];

	for (int i = 0; i < rounds; i++) {
		long long t0 = now_ns();

		for (int j = 0; j < reps; j++)
			if (fn() != (int)head_len) {
				fprintf(stderr, "error: the head did not parse\n");
				exit(1);
			}
		t[i] = (now_ns() - t0) / reps;
	}
	qsort(t, (size_t)rounds, sizeof(t[0]), cmp_ll);
	return t[rounds / 2];
}

int
main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : ROUNDS_DEFAULT;
	long long w, z, r;

	if (rounds < 1 || rounds > 64) {
		fprintf(stderr, "usage: head_pieces [ROUNDS, 1..64]\n");
		return 2;
	}
	head_len = (size_t)snprintf(head, sizeof(head), "POST /v1/messages "
	    "HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\n");
	for (int k = 0; k < GW_MAX_HEADERS - 2; k++)
		head_len += (size_t)snprintf(head + head_len,
		    sizeof(head) - head_len, "X-Pad-%02d: %0*d\r\n", k, 255, 0);
	head_len += (size_t)snprintf(head + head_len, sizeof(head) - head_len,
	    "\r\n");
	w = median_ns(whole, rounds, 2000);
	z = median_ns(bytes_from_zero, rounds, 1);
	r = median_ns(bytes_resumed, rounds, 20);
	printf("head %zu bytes, median of %d runs\n", head_len, rounds);
	printf("whole, one call                 %12lld ns\n", w);
	printf("a byte a call, from byte 0      %12lld ns  (before)\n", z);
	printf("a byte a call, resumed          %12lld ns  (now)\n", r);
	printf("before / now                    %12.0fx\n", (double)z / (double)r);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * rom.c - the arithmetic helpers GCC calls on the lx106 that the ESP8266
 * keeps in its mask ROM, and Debian's lx106 libgcc therefore lacks: 32-bit
 * and 64-bit division and the 64-bit multiply. Plain and slow: a test image's stand-in.
 */
#include <stdint.h>

uint32_t __udivsi3(uint32_t n, uint32_t d);
uint32_t __umodsi3(uint32_t n, uint32_t d);
int32_t __divsi3(int32_t n, int32_t d);
int32_t __modsi3(int32_t n, int32_t d);
uint64_t __muldi3(uint64_t a, uint64_t b);
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);

/* Restoring division, one quotient bit a step; *rem gets the rest. */
static uint64_t
udivmod(uint64_t n, uint64_t d, int bits, uint64_t *rem)
{
	uint64_t q = 0, r = 0;
	int i;

	for (i = bits - 1; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= (uint64_t)1 << i;
		}
	}
	*rem = r;
	return q;
}

uint32_t
__udivsi3(uint32_t n, uint32_t d)
{
	uint64_t r;

	return (uint32_t)udivmod(n, d, 32, &r);
}

uint32_t
__umodsi3(uint32_t n, uint32_t d)
{
	uint64_t r;

	(void)udivmod(n, d, 32, &r);
	return (uint32_t)r;
}

int32_t
__divsi3(int32_t n, int32_t d)
{
	uint32_t un = n < 0 ? 0u - (uint32_t)n : (uint32_t)n;
	uint32_t ud = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;
	uint32_t q = __udivsi3(un, ud);

	return (int32_t)((n < 0) != (d < 0) ? 0u - q : q);
}

int32_t
__modsi3(int32_t n, int32_t d)
{
	uint32_t un = n < 0 ? 0u - (uint32_t)n : (uint32_t)n;
	uint32_t r = __umodsi3(un, d < 0 ? 0u - (uint32_t)d : (uint32_t)d);

	return (int32_t)(n < 0 ? 0u - r : r);
}

uint64_t
__udivdi3(uint64_t n, uint64_t d)
{
	uint64_t r;

	return udivmod(n, d, 64, &r);
}

uint64_t
__umoddi3(uint64_t n, uint64_t d)
{
	uint64_t r;

	(void)udivmod(n, d, 64, &r);
	return r;
}

/* The low 64 bits of a * b from 16-bit halves, so that only the 32-bit
 * MULL the lx106 has is used. */
uint64_t
__muldi3(uint64_t a, uint64_t b)
{
	uint32_t al = (uint32_t)a, ah = (uint32_t)(a >> 32);
	uint32_t bl = (uint32_t)b, bh = (uint32_t)(b >> 32);
	uint32_t a0 = al & 0xffff, a1 = al >> 16, b0 = bl & 0xffff, b1 = bl >> 16;
	uint32_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
	uint32_t mid = (p00 >> 16) + (p01 & 0xffff) + (p10 & 0xffff);
	uint32_t lo = (p00 & 0xffff) | (mid << 16);
	uint32_t hi = p11 + (p01 >> 16) + (p10 >> 16) + (mid >> 16);

	hi += al * bh + ah * bl;
	return ((uint64_t)hi << 32) | lo;
}

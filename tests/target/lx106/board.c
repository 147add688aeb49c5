/* SPDX-License-Identifier: MIT */
/*
 * board.c - the lx106 test image's board on QEMU's sim machine: the byte
 * stream is the simulator console (simcall read/write on fds 0 and 1, which
 * -serial connects to the socket), CCOUNT counts time, simcall exit ends.
 */
#include "board.h"
#include "frame.h"

void board_start(void) __attribute__((noreturn));

/* The Xtensa ISS simcall: a2 the call, a3..a5 its arguments, the result
 * in a2. */
#define SIMCALL_EXIT	1
#define SIMCALL_READ	3
#define SIMCALL_WRITE	4

static int
simcall(int nr, int a, int b, int c)
{
	register int a2 __asm__("a2") = nr;
	register int a3 __asm__("a3") = a;
	register int a4 __asm__("a4") = b;
	register int a5 __asm__("a5") = c;

	__asm__ volatile("simcall"
	    : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
	return a2;
}

void
board_start(void)
{
	board_ram_init();
	board_exit(main());
}

void
board_init(void)
{
}

/* What the last credit brought, and how much of it is read (frame.h,
 * FRAME_CREDIT: why the console is read by credit). */
static unsigned char in[FRAME_CREDIT];
static int in_len, in_pos;

unsigned char
board_uart_getc(void)
{
	static const unsigned char more[4] = { FRAME_MORE, 0, 1,
	    FRAME_CREDIT };
	int n;

	if (in_pos == in_len) {
		board_uart_write(more, sizeof(more));
		/* one write of the bridge's answers the request: read until
		 * it is here, then all of it at once */
		while ((n = simcall(SIMCALL_READ, 0, (int)in, sizeof(in))) <= 0)
			;
		in_len = n;
		in_pos = 0;
	}
	return in[in_pos++];
}

void
board_uart_write(const unsigned char *p, size_t n)
{
	int w;

	while (n > 0) {
		w = simcall(SIMCALL_WRITE, 1, (int)p, (int)n);
		if (w <= 0)
			continue;
		p += w;
		n -= (size_t)w;
	}
}

/* QEMU's lx106 CCOUNT runs at 40 MHz of virtual time, and -icount
 * shift=0 makes an instruction one virtual nanosecond: 25 instructions a
 * count (checked with a loop of 800,000 instructions: 32,001 counts).
 * Products wrap modulo 2^32 like the differences the caller takes. */
#define INSNS_PER_CYCLE	25u

uint32_t
board_insns(void)
{
	uint32_t c;

	__asm__ volatile("rsr.ccount %0" : "=r"(c));
	return c * INSNS_PER_CYCLE;
}

void
board_exit(int code)
{
	simcall(SIMCALL_EXIT, code, 0, 0);
	for (;;)
		;
}

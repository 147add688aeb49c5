/* SPDX-License-Identifier: MIT */
/*
 * ram.c - what every target's start code does before main(): .data's
 * initial values copied from flash, .bss cleared (the symbols are the
 * linker scripts').
 */
#include "board.h"

extern unsigned char __data_load[], __data_start[], __data_end[];
extern unsigned char __bss_start[], __bss_end[];

void
board_ram_init(void)
{
	unsigned char *s = __data_load, *d = __data_start;

	while (d < __data_end)
		*d++ = *s++;
	for (d = __bss_start; d < __bss_end; d++)
		*d = 0;
}

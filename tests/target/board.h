/* SPDX-License-Identifier: MIT */
/*
 * board.h - what each target's start code gives the test image (image.c):
 * the UART that carries the byte stream, a clock that counts instructions
 * under QEMU's -icount shift=0, the stack's bounds and the way out.
 */
#ifndef TARGET_BOARD_H
#define TARGET_BOARD_H

#include <stddef.h>
#include <stdint.h>

/* Copies .data's initial values from flash, clears .bss (ram.c): the
 * start code's first call. */
void board_ram_init(void);
void board_init(void);
/* Blocks until a byte arrives. */
unsigned char board_uart_getc(void);
void board_uart_write(const unsigned char *p, size_t n);
/* Instructions executed so far, modulo 2^32 (in steps of a few). */
uint32_t board_insns(void);
/* Exit code to the host (semihosting, the simulator's exit call). */
void board_exit(int code) __attribute__((noreturn));

/* The stack, from the linker script: it grows down from top to bottom. */
extern unsigned char __stack_bottom[], __stack_top[];

int main(void);

#endif

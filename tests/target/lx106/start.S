/* SPDX-License-Identifier: MIT */
/* start.S - where QEMU's lx106 starts (0x50000000, its reset address, not
 * the ELF entry): a jump to _start, which sets the stack pointer and calls
 * board_start() in board.c. The call0 ABI: a0 return address, a1 stack. */
	.section .reset, "ax"
	.global _reset
_reset:
	j	1f
	.align	4
.Lstart:
	.word	_start
1:	l32r	a0, .Lstart
	jx	a0

	.section .text.start, "ax"
	.align	4
.Lstack:
	.word	__stack_top
.Lboard:
	.word	board_start
	.global _start
_start:
	l32r	a1, .Lstack
	l32r	a0, .Lboard
	callx0	a0
2:	j	2b

/* SPDX-License-Identifier: MIT */
/*
 * board.c - start code and board of the Cortex-M4 test image (QEMU's
 * mps2-an386): vector table, .data and .bss, CMSDK UART0 for the byte
 * stream, SysTick for instructions, semihosting for the exit code.
 */
#include "board.h"

void reset_handler(void) __attribute__((noreturn));
static void fault_handler(void);

/* Initial stack pointer and the handlers up to SysTick. */
__attribute__((section(".vectors"), used))
static void (*const vectors[16])(void) = {
	(void (*)(void))(void *)__stack_top,
	reset_handler,
	fault_handler, fault_handler, fault_handler, fault_handler,
	fault_handler, 0, 0, 0, 0, fault_handler, fault_handler, 0,
	fault_handler, fault_handler,
};

void
reset_handler(void)
{
	board_ram_init();
	board_exit(main());
}

static void
fault_handler(void)
{
	board_exit(3);
}

/* ---- CMSDK APB UART0 ---- */
#define UART0		0x40004000u
#define UART_DATA	(*(volatile uint32_t *)(UART0 + 0x00))
#define UART_STATE	(*(volatile uint32_t *)(UART0 + 0x04))
#define UART_CTRL	(*(volatile uint32_t *)(UART0 + 0x08))
#define UART_BAUDDIV	(*(volatile uint32_t *)(UART0 + 0x10))
#define STATE_TX_FULL	1u
#define STATE_RX_FULL	2u

/* ---- SysTick: 25 MHz on this board; -icount shift=0 makes one
 * instruction one virtual nanosecond, so a tick is 40 instructions. ---- */
#define SYST_CSR	(*(volatile uint32_t *)0xe000e010u)
#define SYST_RVR	(*(volatile uint32_t *)0xe000e014u)
#define SYST_CVR	(*(volatile uint32_t *)0xe000e018u)
#define INSNS_PER_TICK	40u

static uint32_t ticks_high;	/* ticks counted before the last read */
static uint32_t last_cvr;

void
board_init(void)
{
	volatile uint32_t dummy;

	UART_BAUDDIV = 16;
	UART_CTRL = 3;		/* TX and RX enabled */
	/* QEMU 7.2 does not poll the socket until DATA has been read once
	 * after RX was enabled: without this read the run hangs. */
	dummy = UART_DATA;
	(void)dummy;
	SYST_RVR = 0x00ffffffu;
	SYST_CVR = 0;
	SYST_CSR = 5;		/* enabled, processor clock, no interrupt */
	last_cvr = SYST_CVR;
}

unsigned char
board_uart_getc(void)
{
	while (!(UART_STATE & STATE_RX_FULL))
		;
	return (unsigned char)UART_DATA;
}

void
board_uart_write(const unsigned char *p, size_t n)
{
	while (n-- > 0) {
		while (UART_STATE & STATE_TX_FULL)
			;
		UART_DATA = *p++;
	}
}

/* The 24-bit counter runs down and wraps in 0.67 s of virtual time;
 * every caller reads it far more often than that. */
uint32_t
board_insns(void)
{
	uint32_t cvr = SYST_CVR;

	ticks_high += (last_cvr - cvr) & 0x00ffffffu;
	last_cvr = cvr;
	return ticks_high * INSNS_PER_TICK;
}

/* ---- semihosting ---- */
#define SYS_EXIT		0x18
#define ADP_STOPPED_EXIT	0x20026
#define ADP_STOPPED_ERROR	0x20023	/* ADP_Stopped_RunTimeErrorUnknown */

void
board_exit(int code)
{
	register uint32_t r0 __asm__("r0") = SYS_EXIT;
	register uint32_t r1 __asm__("r1") =
	    code == 0 ? ADP_STOPPED_EXIT : ADP_STOPPED_ERROR;

	__asm__ volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
	for (;;)
		;
}

/* SPDX-License-Identifier: MIT */
/* StackThunk.h - a stand-in for the ESP8266 core's: the same calls, and a
 * make_stack_thunk(f) that only jumps to f (the core's switches stacks), so
 * that the adapter's thunks compile and assemble for the lx106. */
#ifndef STANDIN_STACKTHUNK_H
#define STANDIN_STACKTHUNK_H
#ifdef __cplusplus
extern "C" {
#endif
void stack_thunk_add_ref(void);
void stack_thunk_del_ref(void);
#define make_stack_thunk(f) __asm__(					\
	"\n.text\n.literal_position\n.align 4\n"			\
	".global thunk_" #f "\n.type thunk_" #f ", @function\n"		\
	"thunk_" #f ":\n  movi a15, " #f "\n  jx a15\n")
#ifdef __cplusplus
}
#endif
#endif

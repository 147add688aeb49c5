/* SPDX-License-Identifier: MIT */
/*
 * random.h - the registry's one source of secret and unique bits: the
 * kernel's CSPRNG through getrandom(2).
 */
#ifndef REG_RANDOM_H
#define REG_RANDOM_H

#include <stddef.h>

/* Fills buf with n random bytes. Returns 0, or -1 with errno set. */
int reg_random(void *buf, size_t n);

#endif

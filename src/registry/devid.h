/* SPDX-License-Identifier: MIT */
/*
 * devid.h - device ids inside the registry: making one from random bits.
 * Checking one (reg_id_valid, reg_id_normalize) is public, in registry.h.
 */
#ifndef REG_DEVID_H
#define REG_DEVID_H

#include <stdint.h>

#include "registry/registry.h"

#define REG_ID_RAW	5	/* 40 random bits */

/* Writes the id of raw (read only) into out: "xxxx-xxxx-c", lowercase. */
void reg_id_make(const uint8_t raw[REG_ID_RAW], char out[REG_ID_MAX]);

#endif

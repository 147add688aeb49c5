/* SPDX-License-Identifier: MIT */
/*
 * keyfile.h - the registry key: 32 random bytes in a file of its own,
 * the key of the credential hash (see registry.h).
 */
#ifndef REG_KEYFILE_H
#define REG_KEYFILE_H

#include <stdint.h>

#include "registry/registry.h"

#define REG_KEY_LEN	32

enum reg_key_result {
	REG_KEY_LOADED = 0,
	REG_KEY_CREATED = 1,
	REG_KEY_MISSING = 2,	/* absent and may_create was 0 */
	REG_KEY_ERROR = -1,	/* err holds a sentence */
};

/* Reads the key at path into key; if the file does not exist and
 * may_create is set, makes it first (mode 0600, safe against another
 * process making it at the same moment). */
enum reg_key_result reg_key_load(const char *path, int may_create,
    uint8_t key[REG_KEY_LEN], char err[REG_ERR_LEN]);

#endif

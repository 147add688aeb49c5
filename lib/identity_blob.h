/* SPDX-License-Identifier: MIT */
/*
 * identity_blob.h - a forwarding header, only until src/cli/artifacts.c
 * includes "identity_blob.h" from lib/private/ like every other file; then
 * delete it. Nothing new may include it.
 */
#include "private/identity_blob.h"

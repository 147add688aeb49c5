/* SPDX-License-Identifier: MIT */
/*
 * identity_blob.h - the layout of identity.bin, the binary identity that
 * `tether provision` writes for a flash partition or an EEPROM, so that
 * one firmware image serves every device. docs/credentials.md specifies
 * it; these constants are what a reader on the device and the writer in
 * src/cli/artifacts.c share. C99: byte offsets and the one checksum both sides compute.
 *
 *   offset  size  field
 *        0     4  magic "TTID"
 *        4     1  version (1)
 *        5     1  scheme (enum tether_scheme)
 *        6     1  flags: bit 0 set when the MAC field holds the MAC the
 *                 secret was made for
 *        7     1  reserved, 0
 *        8    16  device id, ASCII, NUL-padded ("d7k3-m9q2-x")
 *       24    48  flashed secret, ASCII, NUL-padded ("ttk1_...")
 *       72     6  MAC address, or zeros
 *       78     2  reserved, 0
 *       80     4  CRC-32 (zlib's) of bytes 0..79, little-endian
 *       84        end
 */
#ifndef TETHER_IDENTITY_BLOB_H
#define TETHER_IDENTITY_BLOB_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32 as in zlib and Ethernet (reflected, polynomial 0xedb88320): the
 * check of credential texts and of this blob. In lib/credential.c. */
uint32_t tether_crc32(const uint8_t *p, size_t n);

#define TETHER_BLOB_MAGIC	"TTID"
#define TETHER_BLOB_VERSION	1
#define TETHER_BLOB_SIZE	84

#define TETHER_BLOB_OFF_MAGIC	0
#define TETHER_BLOB_OFF_VERSION	4
#define TETHER_BLOB_OFF_SCHEME	5
#define TETHER_BLOB_OFF_FLAGS	6
#define TETHER_BLOB_OFF_ID	8
#define TETHER_BLOB_OFF_SECRET	24
#define TETHER_BLOB_OFF_MAC	72
#define TETHER_BLOB_OFF_CRC	80

#define TETHER_BLOB_ID_LEN	16
#define TETHER_BLOB_SECRET_LEN	48
#define TETHER_BLOB_FLAG_MAC	0x01

#endif

/* SPDX-License-Identifier: MIT */
/*
 * seqset.h - which X-Tether-Seq numbers each device has stored, in memory:
 * per device a few disjoint ranges [lo, hi] of sequence numbers. A device
 * that counts up is one range however many messages it sends, so the
 * duplicate check of every message is a hash lookup and a compare instead
 * of a random insert into a unique index on (device, seq), which made
 * SQLite's group commit write a page per message (bench/RESULTS.md).
 *
 * A device keeps at most SEQSET_MAX_RANGES ranges; a gap beyond that
 * forgets the lowest range, so a retry of a seq that old is stored again.
 * Forgetting errs towards storing twice, never towards answering
 * "duplicate" for a message that was not stored.
 *
 * Beside its ranges a device keeps the last block of the message index
 * it was recorded in (sqlite_seqs.c, "Blocks"), so that only a device's
 * first message in a block writes a row there. It is a cache: lost with
 * the rest at seqset_clear, never saved, and a device without it writes
 * its block's row again (INSERT OR IGNORE).
 */
#ifndef REG_SEQSET_H
#define REG_SEQSET_H

#include <stddef.h>
#include <stdint.h>

#define SEQSET_MAX_RANGES	16
/* Bytes of a device's serialized ranges: 16 per range (lo, hi as
 * little-endian 64-bit numbers). */
#define SEQSET_BLOB_MAX		(SEQSET_MAX_RANGES * 16)

struct seqset;

struct seqset *seqset_new(void);
void seqset_free(struct seqset *s);
/* Forgets every device. */
void seqset_clear(struct seqset *s);
/* 1 when device has stored seq, else 0. */
int seqset_has(const struct seqset *s, const char *device, int64_t seq);
/* Records seq as stored for device and marks the device changed; 0, or -1
 * when out of memory (nothing changed). */
int seqset_add(struct seqset *s, const char *device, int64_t seq);
/* Sets a device's ranges from their serialized form (unchanged, not
 * marked). 0, -1 when out of memory; a malformed blob is ignored (the
 * device then has nothing recorded, which errs towards storing). */
int seqset_load(struct seqset *s, const char *device, const void *blob,
    size_t len);
/* 1 when block is the one seqset_block_set recorded last for device,
 * else 0. */
int seqset_block_known(const struct seqset *s, const char *device,
    int64_t block);
/* Records block as device's last (not marked changed); 0, or -1 when out
 * of memory (nothing recorded). */
int seqset_block_set(struct seqset *s, const char *device, int64_t block);
/* Number of devices changed since they were last passed to seqset_flush. */
size_t seqset_changed(const struct seqset *s);
/* Calls fn with each changed device and its serialized ranges, then marks
 * it unchanged; stops at the first fn that returns non-zero and returns
 * that value. */
int seqset_flush(struct seqset *s,
    int (*fn)(void *arg, const char *device, const void *blob, size_t len),
    void *arg);

#endif

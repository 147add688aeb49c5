/* SPDX-License-Identifier: MIT */
/*
 * app.h - the application API (docs/app-api.md): what its listener
 * answers (app.c), the query of a read (app_query.c), and the reader
 * thread that reads the store for it (reader.c), so a slow store or a
 * long poll parks one connection, never a worker loop.
 */
#ifndef GW_APP_H
#define GW_APP_H

#include <stddef.h>
#include <stdint.h>

#include "registry/registry.h"

/* The query of GET /v1/messages and /v1/messages/stream. */
struct app_query {
	char		 after[REG_CURSOR_TEXT];	/* "" : from the oldest */
	int		 has_after;
	char		 device[REG_ID_MAX];		/* "": every device */
	long		 limit;				/* 1 .. GW_APP_MAX_LIMIT */
	int		 wait_ms;			/* 0 .. GW_APP_MAX_WAIT_MS */
	int		 events;	/* events=1/0; -1: not given */
	int		 online;	/* online=1 (GET /v1/devices) */
	unsigned	 given;		/* which parameters came: APP_Q_* bits */
};
#define APP_Q_AFTER	(1u << 0)
#define APP_Q_DEVICE	(1u << 1)
#define APP_Q_LIMIT	(1u << 2)
#define APP_Q_WAIT	(1u << 3)
#define APP_Q_EVENTS	(1u << 4)
#define APP_Q_ONLINE	(1u << 5)

#define APP_WHY_LEN	128

/*
 * Reads the query string q (n bytes after the '?', percent-encoded;
 * n may be 0) into out, with the defaults for what it leaves out. 0, or
 * -1 with a sentence in why (APP_WHY_LEN bytes): an unknown or repeated
 * parameter, a bad cursor, device id, limit or wait. Untrusted bytes:
 * fuzz/app_query.c.
 */
int app_query_parse(const char *q, size_t n, struct app_query *out,
    char *why);

/* reader.c: one thread with its own registry handle. */

enum gw_read_kind {
	GW_READ_LINES,		/* GET /v1/messages: NDJSON and a last line */
	GW_READ_EVENTS,		/* GET /v1/messages/stream: SSE events */
	GW_READ_COMMAND,	/* a command route: cmd_op */
	GW_READ_DEVICES,	/* GET /v1/devices: who is online */
};

/* A read on its way to the reader thread and back to its connection. */
struct gw_read {
	struct gw_read	*next;
	struct gw_worker *worker;
	int		 fd;		/* connection, with gen to tell reuse */
	uint32_t	 gen;
	uint32_t	 seq;		/* tells this read from a later one */
	enum gw_read_kind kind;
	int64_t		 until;		/* ms: a wait ends here, empty */
	int64_t		 deadline;	/* ms: past it, the worker answered 503 */
	uint8_t		 token_hash[REG_HASH_LEN];
	char		 device[REG_ID_MAX];	/* "": every device */
	struct reg_cursor cursor;	/* in: after it; out: the next one */
	size_t		 limit;
	int		 events;	/* connected/disconnected too */
	int		 online;	/* GW_READ_DEVICES: online ones only */
	/* out */
	int		 status;	/* 200, 401, 403, 503 */
	char		*body;		/* malloc'd, len bytes (may be NULL) */
	size_t		 len;
	size_t		 count;		/* messages in body */
	int		 more;		/* the read stopped at limit or size */
	/* GW_READ_COMMAND: what to do (device or cmd_id, ttl, payload
	 * malloc'd); body is the JSON answer, whatever the status. */
	enum gw_cmd_op {
		GW_CMD_QUEUE,		/* POST /v1/devices/ID/commands */
		GW_CMD_LIST,		/* GET /v1/devices/ID/commands */
		GW_CMD_GET,		/* GET /v1/commands/CMDID */
		GW_CMD_CANCEL,		/* DELETE /v1/commands/CMDID */
	}		 cmd_op;
	int64_t		 cmd_id;
	int64_t		 ttl_ms;
	enum reg_command_state cmd_state;
	unsigned char	*payload;
	size_t		 payload_len;
};

struct gw_reader;
struct gw_config;
struct gw_worker;

/* NULL with err when the thread or its registry handle cannot start. */
struct gw_reader *gw_reader_start(const struct gw_config *c, char *err);
/* Queues r (owned by the reader until it comes back through
 * gw_worker_read_done). 0, or -1 when the queue is full (r not taken). */
int gw_reader_submit(struct gw_reader *rd, struct gw_read *r);
/* 1 if the application token of this hash was refused (unknown or
 * revoked) in the last GW_NEGCACHE_MS: answer 401 without a read. */
int gw_reader_refused(struct gw_reader *rd, const uint8_t hash[REG_HASH_LEN],
    int64_t now);
/* The connection (w, fd, gen) closed: its read, queued or waiting for
 * messages, ends now and frees its place in GW_READ_QUEUE. */
void gw_reader_cancel(struct gw_reader *rd, const struct gw_worker *w,
    int fd, uint32_t gen);
/* New messages are committed: parked reads look again (the intake calls
 * it after each commit; one load when nobody waits). */
void gw_reader_kick(void *rd);
/* The gateway is stopping: waits end now, and no read waits any more. */
void gw_reader_release(struct gw_reader *rd);
/* Stops the thread (bounded by deadline, ms; left behind like the lookup
 * thread when the store does not answer). After the workers stopped. */
void gw_reader_stop(struct gw_reader *rd, int64_t deadline);
void gw_read_free(struct gw_read *r);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * http.h - the strict, bounded HTTP/1.1 request head parser.
 *
 * One pass, no allocation: the parsed request holds views (pointer, length)
 * into the caller's buffer, which must stay unchanged while they are used.
 * Unlike a lenient parser it says why it refused a request: a reason code,
 * the HTTP status to answer with, and the byte offset where it stopped.
 */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/limits.h"

struct http_header {
	const char	*name;		/* view into the buffer */
	size_t		 name_len;
	const char	*value;		/* without surrounding OWS */
	size_t		 value_len;
};

/* Why a request head was refused. http_reason_text() gives the sentence
 * that goes into the 4xx body and the log line. */
enum http_reason {
	HTTP_R_NONE = 0,
	HTTP_R_METHOD,		/* 400 method is not a token */
	HTTP_R_TARGET,		/* 400 request-target not origin-form */
	HTTP_R_TARGET_TOO_LONG,	/* 414 request-target > GW_MAX_TARGET */
	HTTP_R_VERSION,		/* 505 not HTTP/1.0 or HTTP/1.1 */
	HTTP_R_REQUEST_LINE,	/* 400 malformed request line */
	HTTP_R_BARE_LF,		/* 400 line ended by LF without CR */
	HTTP_R_HEADER_NAME,	/* 400 header name not a token / empty */
	HTTP_R_HEADER_SPACE,	/* 400 whitespace before the colon */
	HTTP_R_HEADER_VALUE,	/* 400 control character in a value */
	HTTP_R_OBS_FOLD,	/* 400 obsolete line folding */
	HTTP_R_TOO_MANY_HEADERS,/* 431 more than GW_MAX_HEADERS fields */
	HTTP_R_HEAD_TOO_LARGE,	/* 431 head longer than the limit */
	HTTP_R_HOST,		/* 400 HTTP/1.1 without exactly one Host */
	HTTP_R_CONTENT_LENGTH,	/* 400 Content-Length not digits, or two differing */
	HTTP_R_TRANSFER_ENCODING,/* 501 Transfer-Encoding (chunked bodies are not accepted) */
	HTTP_R_EXPECT,		/* 417 Expect other than 100-continue */
	HTTP_R_COUNT
};

struct http_request {
	const char	*method;	/* view */
	size_t		 method_len;
	const char	*target;	/* view: path and query */
	size_t		 target_len;
	int		 minor;		/* 0 or 1: HTTP/1.<minor> */
	struct http_header headers[GW_MAX_HEADERS];
	size_t		 num_headers;

	/* Derived from the headers by the parser. */
	long long	 content_length;	/* -1 if absent */
	int		 keep_alive;	/* 1.1 unless "close"; 1.0 only with "keep-alive" */
	int		 expect_continue; /* "Expect: 100-continue" */
	const struct http_header *authorization; /* NULL if absent */
	const struct http_header *seq;	/* X-Tether-Seq, NULL if absent */
};

struct http_error {
	enum http_reason reason;
	int		 status;	/* 400, 414, 417, 431, 501, 505 */
	size_t		 offset;	/* byte offset in the buffer */
};

/*
 * Parses the request head at the start of buf (len bytes). max_head bounds
 * the head (at most GW_MAX_HEAD).
 *
 * Returns the head's length in bytes (through the blank line) when it is
 * complete and valid; 0 when more bytes are needed (and len < max_head);
 * -1 when it is refused, with err filled in. The body, if any, follows the
 * head in the buffer; the parser does not look at it.
 *
 * Accepted: request-line "METHOD SP origin-form SP HTTP/1.x CRLF", header
 * fields "token ':' OWS value OWS CRLF", a blank line "CRLF". Refused
 * with a reason: everything else, including bare LF, obs-fold, whitespace
 * before a colon, NUL or other control characters, absolute-form targets.
 */
int http_parse_request(const char *buf, size_t len, size_t max_head,
    struct http_request *req, struct http_error *err);

/*
 * The same parser taking every byte one at a time, without the runs that
 * http_parse_request takes at once: the reference the fuzz target and the
 * unit tests hold it to (the same answer, views and error for any bytes).
 * Not for the request path: it is two to three times slower.
 */
int http_parse_request_bytewise(const char *buf, size_t len, size_t max_head,
    struct http_request *req, struct http_error *err);

/*
 * Where a parse stands inside a head (http.c's state machine): fields
 * public only so that its size is known; nothing outside http.c reads
 * them.
 */
struct http_scan {
	int		 st;		/* http.c's enum state */
	size_t		 start;		/* first byte of the current token */
	size_t		 n;		/* bytes of the current token so far */
	int		 version_known;	/* req->minor is set */
	int		 host_seen;
	/* The header line being read (req->headers[num_headers - 1] once
	 * its colon is seen). */
	int		 field;		/* http.c's enum field */
	int		 in_value;	/* past the value's leading OWS */
	size_t		 value_end;	/* one past its last non-OWS byte */
	/* Content-Length: the value read so far, and the fewest digits still
	 * needed to make it valid (and equal to an earlier one). */
	int		 cl_seen;	/* an earlier one set content_length */
	size_t		 cl_digits;
	long long	 cl_value;
	int		 cl_closed;	/* OWS after the digits */
	size_t		 cl_more;
	size_t		 expect_n;	/* bytes of "100-continue" matched */
	int		 conn_close;
	int		 conn_keep_alive;
};

/*
 * What http_parse_request_resume keeps between calls for one head: where
 * the last call stopped and everything it had found, views as offsets
 * (the buffer may move between calls; the bytes before `pos` must not
 * change). picohttpparser's last_len, with the whole state, so no byte
 * is looked at twice. Zero it (HTTP_RESUME_INIT) before each new head.
 */
struct http_resume {
	size_t		 pos;		/* bytes parsed; 0: a new head */
	size_t		 head_len;	/* once the head is complete; else 0 */
	size_t		 walked;	/* bytes parsed, all calls: for tests */
	struct http_scan scan;
	/* The request so far (struct http_request, offsets for views). */
	uint16_t	 method_len, target_off, target_len;
	int		 minor;
	size_t		 num_headers;
	long long	 content_length;
	int		 keep_alive, expect_continue;
	int		 auth_slot, seq_slot;	/* slot + 1; 0: none */
	struct {
		uint16_t name, name_len, value, value_len;
	}		 h[GW_MAX_HEADERS];
};
#define HTTP_RESUME_INIT	{ .pos = 0 }

/*
 * http_parse_request for a head that arrives in pieces: the same answer,
 * views and error for buf[0, len) as http_parse_request, looking only at
 * the bytes after rs->pos (those before it, the same as at the last call,
 * are not parsed again). Once the head is complete, further calls (more
 * of the body arrived) give the same answer at once. After -1, rs is
 * spent.
 */
int http_parse_request_resume(const char *buf, size_t len, size_t max_head,
    struct http_request *req, struct http_error *err,
    struct http_resume *rs);

/* One sentence for a reason, e.g. "header line ends with LF without CR". */
const char *http_reason_text(enum http_reason reason);

/* Status line text for a status code: "Created", "Unauthorized", ...;
 * "Error" for codes it does not know. */
const char *http_status_text(int status);

/* Case-insensitive comparison of a view with a NUL-terminated string. */
int http_view_eq(const char *p, size_t n, const char *s);
/* 1 if the request's method is m: case-sensitive (RFC 9110, 9.1), so
 * "post" is not POST but a method this gateway does not know. */
int http_method_is(const struct http_request *req, const char *m);

#endif

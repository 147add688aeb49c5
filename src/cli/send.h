/* SPDX-License-Identifier: MIT */
/*
 * send.h - what the files of `tether send` share: its limits, the options
 * a command line asks for, and the buffers of one run (send.c parses and
 * runs; send_args.c, send_io.c and send_report.c are its helpers).
 */
#ifndef CLI_SEND_H
#define CLI_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "tether.h"

#define SEND_RECORD_MIN		512	/* TETHER_BUFSIZE_MIN's records */
#define SEND_RECORD_MAX		16384	/* TLS's own limit */
#define SEND_RECORD_DEFAULT	SEND_RECORD_MAX	/* any server fits */
#define SEND_DEFAULT_PORT	443
#define SEND_DEFAULT_TIMEOUT	10	/* seconds, connect and each I/O */
#define SEND_MAX_TIMEOUT	600	/* seconds */
#define SEND_MAX_COUNT		1000000
#define SEND_MAX_INTERVAL	86400	/* seconds: a day */
#define SEND_BODY_MAX		(1 << 20)	/* bytes read from stdin */
#define SEND_BODY_CHUNK		4096	/* the first read of stdin, doubled */
#define SEND_HOST_MAX		256	/* a DNS name is at most 253 */
#define SEND_CRED_FILE_MAX	256	/* bytes read from --credential-file */
#define SEND_DETAIL_MAX		TETHER_DETAIL_LEN
#define SEND_PIN_LEN		32	/* SHA-256; a SHA-1 pin uses 20 */
#define SEND_PATH		"/v1/messages"	/* the library POSTs here */
#define SEND_SESSION_MODE	0600	/* the blob holds a master secret */
#define SEND_SESSION_V1_SIZE	112	/* a blob saved before commands */
#define SEND_COMMAND_DEFAULT	4096	/* the most a gateway ever queues */
#define SEND_COMMAND_MAX	65535	/* what X-Tether-Commands can say */
#define SEND_IDENTITY_MAX	4096	/* bytes read: a flash page at most */

/* What the command line asks for; the strings point into argv. */
struct send_opts {
	enum tether_pin_kind	 kinds[TETHER_MAX_PINS];
	size_t			 npins;		/* pins in send_state */
	uint16_t		 port;
	enum tether_profile	 profile;
	const char		*session;	/* --save-session, or NULL */
	const char		*sni;		/* --sni, or NULL */
	int			 no_sni;
	const char		*body;		/* BODY; "-" reads stdin */
	const char		*identity;	/* --identity FILE, or NULL */
	const char		*device;	/* --device ID, or NULL */
	uint8_t			 mac[TETHER_MAC_LEN];	/* --mac */
	int			 mac_set;
	unsigned long long	 record;	/* --buffer */
	unsigned long long	 count;
	unsigned long long	 seq;
	int			 seq_set;
	double			 interval;	/* seconds between messages */
	double			 timeout;	/* seconds: connect, each I/O */
	int			 verbose;	/* a tether_log_level; 0 none */
	int			 stats;
	int			 json;		/* --json: a JSON line each */
	unsigned long long	 commands;	/* command buffer; 0: none */
};

/* Everything one run holds. Static: the client is what a device keeps in
 * RAM, and the record buffer is up to 16 KiB. cfg links pins and host. */
struct send_state {
	struct tether_config	 cfg;
	struct tether_client	 client;
	struct tether_posix	 sock;
	unsigned char		 buf[TETHER_BUFSIZE_MAX];
	uint8_t			 pins[TETHER_MAX_PINS][SEND_PIN_LEN];
	char			 host[SEND_HOST_MAX];
	char			 cred[TETHER_CREDENTIAL_MAX];	/* wiped */
	uint8_t			 blob[TETHER_SESSION_SIZE];	/* wiped */
	struct tether_identity	 id;				/* wiped */
	unsigned char		 cmd[SEND_COMMAND_MAX];		/* --commands */
};

/*
 * send_args.c: the option arguments in words. Each returns 0, or the exit
 * status of a usage error it has said (2).
 */
int send_parse_pin(const char *arg, enum tether_pin_kind *kind,
    uint8_t out[SEND_PIN_LEN]);
/* https://HOST[:PORT][/v1/messages] into host (SEND_HOST_MAX) and *port. */
int send_parse_url(const char *url, char host[SEND_HOST_MAX], uint16_t *port);
/* A whole number in [min, max]. */
int send_parse_num(const char *opt, const char *s, unsigned long long min,
    unsigned long long max, unsigned long long *out);
/* Seconds, decimals allowed, in [0, max] (0 only when zero_ok). */
int send_parse_seconds(const char *opt, const char *s, double max,
    int zero_ok, double *out);

/* send_io.c: the files a run reads and writes. 0, or 1 when it has said
 * why not. */
int send_read_credential(const char *path, char cred[TETHER_CREDENTIAL_MAX]);
int send_read_body(const char *arg, const char **body, size_t *len,
    char **owned);
int send_restore_session(struct send_state *s, const char *path);
/* identity.bin at path, read by the library into s->id, and the
 * credential derived from it (with mac, or the blob's) into s->cred. */
int send_read_identity(struct send_state *s, const char *path,
    const uint8_t *mac);
int send_save_session(struct send_state *s, const char *path);

/* send_report.c: what a run says on stdout and stderr. */
void send_debug_line(void *ctx, enum tether_log_level level,
    const char *line);
int send_library_error(struct send_state *s, const char *what);
void send_report(unsigned long long i, unsigned long long count, int status,
    const struct tether_stats *before, const struct tether_stats *after,
    double ms, int stats, uint64_t acked);
/* The command a message's answer brought (cmd NULL: none), in text after
 * send_report()'s line, or with the message as one JSON line (--json).
 * 0, or 1 when it has said why not (out of memory, stdout failed). */
int send_report_command(const struct tether_command *cmd);
int send_report_json(unsigned long long i, unsigned long long count,
    int status, uint64_t acked, const struct tether_command *cmd);
void send_report_total(struct send_state *run, size_t buf_len);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * frame.h - the frames on the test image's UART (bridge.py is the other
 * end): a type byte, a 16-bit big-endian length, the payload. One UART
 * carries the TLS connections, their opening and closing, and the report.
 */
#ifndef TARGET_FRAME_H
#define TARGET_FRAME_H

#define FRAME_MAX	1024	/* largest payload the image sends */

/* image -> bridge */
#define FRAME_OPEN	'O'	/* "host:port": connect to it */
#define FRAME_WRITE	'W'	/* bytes for the connection */
#define FRAME_CLOSE	'C'	/* close the connection */
#define FRAME_LOG	'L'	/* one report line */
#define FRAME_END	'Q'	/* the story is over */
#define FRAME_MORE	'M'	/* lx106: send me up to payload[0] bytes */

/* bridge -> image */
#define FRAME_OPENED	'o'	/* connected (payload empty) */
#define FRAME_REFUSED	'r'	/* the connect failed */
#define FRAME_DATA	'd'	/* bytes from the connection */
#define FRAME_EOF	'e'	/* the server closed it */
#define FRAME_ENDED	'q'	/* the report is read: exit now */

/*
 * The lx106 image reads its console by credit: it asks for at most
 * FRAME_CREDIT bytes (FRAME_MORE) when it has read all it was sent, and
 * bridge.py --credit answers each request with one write of what it has
 * queued, no more. QEMU's sim console copies input into a 16-byte buffer
 * from its main loop while the simcall that reads it memmoves the same
 * buffer on the vCPU thread, without a lock: input that arrives while
 * the image reads is damaged or lost (a bad record MAC, a malformed
 * certificate, a stall, on a busy machine). With credit nothing arrives
 * while the image reads.
 */
#define FRAME_CREDIT	16

#endif

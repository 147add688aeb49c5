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

/* bridge -> image */
#define FRAME_OPENED	'o'	/* connected (payload empty) */
#define FRAME_REFUSED	'r'	/* the connect failed */
#define FRAME_DATA	'd'	/* bytes from the connection */
#define FRAME_EOF	'e'	/* the server closed it */
#define FRAME_ENDED	'q'	/* the report is read: exit now */

#endif

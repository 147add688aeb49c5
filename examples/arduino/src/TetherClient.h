/* SPDX-License-Identifier: MIT */
/*
 * TetherClient.h - libtether's transport over an Arduino Client: the TCP
 * connection is the Client's (WiFiClient, EthernetClient), the TLS is
 * libtether's own (BearSSL), so the Client must be a plain one, not a
 * WiFiClientSecure.
 */
#ifndef TETHER_CLIENT_H
#define TETHER_CLIENT_H

#include <Arduino.h>
#include <Client.h>

#include "tether.h"

class TetherTransport {
public:
	/* client is linked in: it must outlive this object. timeout_ms
	 * bounds each wait for the server's bytes. */
	explicit TetherTransport(Client &client,
	    unsigned long timeout_ms = 5000);

	/* Fills *io with callbacks over the Client, for
	 * tether_client_init(); this object is their context (linked in). */
	void attach(struct tether_transport *io);

private:
	static int open(void *ctx, const char *host, uint16_t port);
	static int read(void *ctx, unsigned char *buf, size_t len);
	static int write(void *ctx, const unsigned char *buf, size_t len);
	static void close(void *ctx);

	Client		&client_;
	unsigned long	 timeout_ms_;
};

/*
 * tether_connect(), tether_send() and tether_close() on a stack deep
 * enough for BearSSL. Call these from loop() instead of the plain calls.
 *
 * On the ESP8266, loop() runs on a 4,096-byte stack and a full handshake
 * needs 5,136 bytes below the call (measured on the lx106 by `make
 * target-test`, BearSSL with BR_LOMUL; 3,796 without it). These run the
 * call on the core's second stack (its StackThunk: 6,200 bytes, allocated
 * on the heap at the first call and kept, shared with WiFiClientSecure, so
 * a sketch that also uses WiFiClientSecure pays nothing more). The
 * transport's callbacks run on that stack too, so the Client given to
 * TetherTransport must not be a WiFiClientSecure (its BearSSL would want
 * the same stack).
 *
 * Elsewhere they are the plain calls: the caller's stack must hold, below
 * the call, 3,492 bytes for a full handshake on a Cortex-M4, 2,792 for a
 * resumed one and 860 for a message on the open connection (lx106: 5,136,
 * 2,960, 1,056); the ESP32's loop task has 8 KiB.
 */
int tetherConnect(struct tether_client *client);
int tetherSend(struct tether_client *client, const void *body, size_t len,
    int *status);
void tetherClose(struct tether_client *client);

#endif

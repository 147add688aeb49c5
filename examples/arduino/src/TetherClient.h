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

#endif

/* SPDX-License-Identifier: MIT */
/*
 * TetherClient.cpp - the four transport callbacks of tether.h over an
 * Arduino Client, and libtether's calls on a stack deep enough for them.
 * Waits yield() to the core (the ESP8266's Wi-Fi stack and watchdog need
 * it) and are bounded by the time-out.
 */
#include "TetherClient.h"

#ifdef ARDUINO_ARCH_ESP8266
#include <StackThunk.h>

/* make_stack_thunk(f) defines thunk_f: f's own arguments and result, the
 * call made on the core's second stack, whose canary it checks after. */
extern "C" {
int thunk_tether_connect(struct tether_client *client);
int thunk_tether_send(struct tether_client *client, const void *body,
    size_t len, int *status);
void thunk_tether_close(struct tether_client *client);
make_stack_thunk(tether_connect);
make_stack_thunk(tether_send);
make_stack_thunk(tether_close);
}

/* The core allocates its stack at the first reference; the adapter takes
 * one and never gives it back, so the stack stays for every later call. */
static void
thunk_ref(void)
{
	static bool held;

	if (!held) {
		stack_thunk_add_ref();
		held = true;
	}
}

int
tetherConnect(struct tether_client *client)
{
	thunk_ref();
	return thunk_tether_connect(client);
}

int
tetherSend(struct tether_client *client, const void *body, size_t len,
    int *status)
{
	thunk_ref();
	return thunk_tether_send(client, body, len, status);
}

void
tetherClose(struct tether_client *client)
{
	thunk_ref();
	thunk_tether_close(client);
}
#else
int
tetherConnect(struct tether_client *client)
{
	return tether_connect(client);
}

int
tetherSend(struct tether_client *client, const void *body, size_t len,
    int *status)
{
	return tether_send(client, body, len, status);
}

void
tetherClose(struct tether_client *client)
{
	tether_close(client);
}
#endif

/* Arduino Ethernet's connect() codes: the only core that says why. */
#define CONNECT_TIMED_OUT	(-1)
#define CONNECT_BAD_NAME	(-2)

TetherTransport::TetherTransport(Client &client, unsigned long timeout_ms)
    : client_(client), timeout_ms_(timeout_ms)
{
}

void
TetherTransport::attach(struct tether_transport *io)
{
	io->open = open;
	io->read = read;
	io->write = write;
	io->close = close;
	io->ctx = this;
}

int
TetherTransport::open(void *ctx, const char *host, uint16_t port)
{
	TetherTransport *t = static_cast<TetherTransport *>(ctx);
	int r = t->client_.connect(host, port);

	if (r == 1)
		return 0;
	if (r == CONNECT_BAD_NAME)
		return -TETHER_E_DNS;
	if (r == CONNECT_TIMED_OUT)
		return -TETHER_E_CONNECT_TIMEOUT;
	/* WiFiClient says 0 for a bad name and a refusal alike */
	return -1;
}

int
TetherTransport::read(void *ctx, unsigned char *buf, size_t len)
{
	TetherTransport *t = static_cast<TetherTransport *>(ctx);
	unsigned long start = millis();
	int avail, r;

	while ((avail = t->client_.available()) <= 0) {
		if (!t->client_.connected())
			return 0;	/* the server closed */
		if (millis() - start >= t->timeout_ms_)
			return -TETHER_E_IO_TIMEOUT;
		delay(1);		/* yields to the Wi-Fi stack */
	}
	if ((size_t)avail < len)
		len = (size_t)avail;
	r = t->client_.read(buf, len);
	return r > 0 ? r : -TETHER_E_TRANSPORT;
}

int
TetherTransport::write(void *ctx, const unsigned char *buf, size_t len)
{
	TetherTransport *t = static_cast<TetherTransport *>(ctx);
	size_t w = t->client_.write(buf, len);

	if (w > 0)
		return (int)w;
	return t->client_.connected() ? -TETHER_E_IO_TIMEOUT : -TETHER_E_RESET;
}

void
TetherTransport::close(void *ctx)
{
	static_cast<TetherTransport *>(ctx)->client_.stop();
}

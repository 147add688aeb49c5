/* SPDX-License-Identifier: MIT */
/* Client.h - a stand-in for the Arduino core's Client interface: the
 * calls TetherTransport makes, with the core's signatures. */
#ifndef STANDIN_CLIENT_H
#define STANDIN_CLIENT_H
#include <stddef.h>
#include <stdint.h>
class Client {
public:
	virtual int connect(const char *host, uint16_t port) = 0;
	virtual size_t write(const uint8_t *buf, size_t size) = 0;
	virtual int available() = 0;
	virtual int read(uint8_t *buf, size_t size) = 0;
	virtual void stop() = 0;
	virtual uint8_t connected() = 0;
	virtual ~Client() {}
};
#endif

/* SPDX-License-Identifier: MIT */
/* Arduino.h - a stand-in with what examples/arduino/src and the example
 * sketches use, with the cores' signatures, so that tests/target/run.sh
 * can compile the adapter and the sketches without an Arduino core. Like
 * the cores' it brings the C library's string and stdio calls. */
#ifndef STANDIN_ARDUINO_H
#define STANDIN_ARDUINO_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
unsigned long millis(void);
void delay(unsigned long ms);
#define LOW		0x0
#define HIGH		0x1
#define OUTPUT		0x01
#define LED_BUILTIN	2
void pinMode(uint8_t pin, uint8_t mode);
void digitalWrite(uint8_t pin, uint8_t val);
#ifdef __cplusplus
/* The cores' HardwareSerial, as far as the sketches print. */
class HardwareSerial {
public:
	void begin(unsigned long baud);
	size_t write(const uint8_t *buf, size_t size);
	size_t print(const char *s);
	size_t print(unsigned long n);
	size_t println(const char *s);
	size_t println(void);
};
extern HardwareSerial Serial;
#endif
#endif

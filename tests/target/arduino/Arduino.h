/* SPDX-License-Identifier: MIT */
/* Arduino.h - a stand-in with what examples/arduino/src uses, so that
 * tests/target/run.sh can compile the adapter without an Arduino core. */
#ifndef STANDIN_ARDUINO_H
#define STANDIN_ARDUINO_H
#include <stddef.h>
#include <stdint.h>
unsigned long millis(void);
void delay(unsigned long ms);
#endif

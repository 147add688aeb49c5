/* SPDX-License-Identifier: MIT */
/*
 * bearssl.h - the header tether.h includes, as the Arduino world keeps
 * BearSSL: <bearssl/bearssl.h> (the ESP8266 core's own; ArduinoBearSSL's
 * on a core without one, such as the ESP32's). library.json's in-tree
 * build puts this folder on the include path; make-library.sh copies this
 * file to the root of the assembled library's src/, beside tether.h.
 */
#include <bearssl/bearssl.h>

/* SPDX-License-Identifier: MIT */
/* esp_random.h - a stand-in for ESP-IDF's hardware random generator, as
 * the ESP32 core offers it to a sketch. */
#ifndef STANDIN_ESP_RANDOM_H
#define STANDIN_ESP_RANDOM_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
uint32_t esp_random(void);
#ifdef __cplusplus
}
#endif
#endif

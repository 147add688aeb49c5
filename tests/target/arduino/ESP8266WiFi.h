/* SPDX-License-Identifier: MIT */
/* ESP8266WiFi.h - a stand-in for the ESP8266 core's Wi-Fi, hardware random
 * register, RTC user memory and deep sleep, with the core's signatures, so
 * that tests/target/run.sh compiles Report.ino and DeepSleep.ino for the
 * ESP8266 without the core. */
#ifndef STANDIN_ESP8266WIFI_H
#define STANDIN_ESP8266WIFI_H
#include <Arduino.h>
#include <Client.h>

/* the core's RANDOM_REG32 is the hardware generator's register */
extern volatile uint32_t standin_random_reg;
#define RANDOM_REG32	standin_random_reg

typedef enum { WIFI_OFF = 0, WIFI_STA = 1, WIFI_AP = 2, WIFI_AP_STA = 3 } WiFiMode_t;
typedef enum { WL_IDLE_STATUS = 0, WL_CONNECTED = 3, WL_DISCONNECTED = 6 } wl_status_t;

class ESP8266WiFiClass {
public:
	bool mode(WiFiMode_t m);
	wl_status_t begin(const char *ssid, const char *passphrase = NULL);
	wl_status_t status(void);
	uint8_t *macAddress(uint8_t *mac);
	int32_t RSSI(void);
};
extern ESP8266WiFiClass WiFi;

class WiFiClient : public Client {
public:
	int connect(const char *host, uint16_t port) override;
	size_t write(const uint8_t *buf, size_t size) override;
	int available() override;
	int read(uint8_t *buf, size_t size) override;
	void stop() override;
	uint8_t connected() override;
};

/* ESP: RTC user memory (512 bytes, offsets in 4-byte blocks) and sleep */
class EspClass {
public:
	bool rtcUserMemoryRead(uint32_t offset, uint32_t *data, size_t size);
	bool rtcUserMemoryWrite(uint32_t offset, uint32_t *data, size_t size);
	void deepSleep(uint64_t time_us);
};
extern EspClass ESP;
#endif

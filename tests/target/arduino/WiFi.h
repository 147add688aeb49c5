/* SPDX-License-Identifier: MIT */
/* WiFi.h - a stand-in for the ESP32 core's Wi-Fi, with the core's
 * signatures as far as Report.ino uses them, so that tests/target/run.sh
 * compiles that sketch for the ESP32 (with the host's compiler: only the
 * sketch's code is checked, not the core's). */
#ifndef STANDIN_WIFI_H
#define STANDIN_WIFI_H
#include <Arduino.h>
#include <Client.h>

typedef enum { WIFI_MODE_NULL = 0, WIFI_MODE_STA = 1 } wifi_mode_t;
#define WIFI_STA	WIFI_MODE_STA
typedef enum { WL_IDLE_STATUS = 0, WL_CONNECTED = 3, WL_DISCONNECTED = 6 } wl_status_t;

class WiFiClass {
public:
	bool mode(wifi_mode_t m);
	wl_status_t begin(const char *ssid, const char *passphrase = NULL);
	wl_status_t status(void);
	uint8_t *macAddress(uint8_t *mac);
	int8_t RSSI(void);
};
extern WiFiClass WiFi;

class WiFiClient : public Client {
public:
	int connect(const char *host, uint16_t port) override;
	size_t write(const uint8_t *buf, size_t size) override;
	int available() override;
	int read(uint8_t *buf, size_t size) override;
	void stop() override;
	uint8_t connected() override;
};
#endif

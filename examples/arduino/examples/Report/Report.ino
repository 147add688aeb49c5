/* SPDX-License-Identifier: MIT */
/*
 * Report.ino - an ESP8266 or ESP32 that reports its Wi-Fi signal to a
 * tether gateway every ten seconds, over one kept-alive TLS connection
 * pinned to the gateway's key. The pin comes from `tether fingerprint
 * --format c`; the identity from `tether provision --out DIR`: copy
 * DIR/<id>/tether_identity.h beside this sketch (one build per board).
 *
 * It also takes commands: `tether device command <id> 'interval 60'`
 * queues one, and the answer to the next report brings it (no extra
 * round trip). This sketch understands "interval <seconds>" and "led
 * on" / "led off"; the library acknowledges each command it handed over
 * with the next report.
 */
#if defined(ESP8266)
#include <ESP8266WiFi.h>
#else
#include <WiFi.h>
#include <esp_random.h>
#endif
#include <TetherClient.h>

#include "tether_identity.h"	/* TETHER_IDENTITY_ID, _SCHEME, _SECRET */

static const char WIFI_SSID[] = "your-network";
static const char WIFI_PASS[] = "your-password";
static const char GATEWAY[] = "gw.example";
static const uint16_t GATEWAY_PORT = 8443;
/* the gateway's SPKI SHA-256 pin: `tether fingerprint gw.example:8443
 * --format c` prints this array */
static const uint8_t PIN[32] = {
	0xd8, 0xef, 0x2c, 0x84, 0x1f, 0x0e, 0x08, 0x7f,
	0xae, 0xa1, 0x3f, 0xdf, 0x75, 0x39, 0xee, 0x70,
	0xc6, 0x43, 0x6d, 0x82, 0x23, 0x0c, 0x2d, 0x49,
	0x17, 0x17, 0xaf, 0xbe, 0xd9, 0x25, 0x41, 0x82,
};
/* The credential the device sends: derived at start from the flashed
 * secret and this board's MAC (the interleave and hmac schemes bind it to
 * the board; plain uses the secret as it is), as provisioning did. */
static char credential[TETHER_CREDENTIAL_MAX];
static unsigned long report_ms = 10000;	/* "interval <s>" changes it */

/* Everything the library uses, in static RAM: about 6 KiB, no heap. */
static struct tether_config cfg;
static struct tether_client client;
static unsigned char record_buf[TETHER_BUFSIZE_MIN];	/* 512-byte records */
/* Commands' payloads land here: the gateway sends none larger (one that
 * is stays queued as "rejected" for the application to see). */
static unsigned char command_buf[64];
static uint64_t last_command;		/* at-least-once: act on the id */
static uint8_t seed[32];
static WiFiClient tcp;			/* plain TCP: the TLS is libtether's */
static TetherTransport transport(tcp);

static void
log_line(void *ctx, enum tether_log_level level, const char *line)
{
	(void)ctx;
	(void)level;
	Serial.print("tether: ");
	Serial.println(line);
}

/* BearSSL's random generator needs a seed on a chip without an OS. */
static void
hardware_seed(void)
{
	for (size_t i = 0; i < sizeof(seed); i += 4) {
#if defined(ESP8266)
		uint32_t r = RANDOM_REG32;
#else
		uint32_t r = esp_random();
#endif
		memcpy(seed + i, &r, 4);
	}
}

void
setup()
{
	struct tether_transport io;
	uint8_t mac[TETHER_MAC_LEN];
	int n;

	Serial.begin(115200);
	WiFi.mode(WIFI_STA);
	WiFi.begin(WIFI_SSID, WIFI_PASS);
	while (WiFi.status() != WL_CONNECTED)
		delay(100);
	hardware_seed();
	tether_config_init(&cfg);
	tether_config_set_host(&cfg, GATEWAY, GATEWAY_PORT);
	tether_config_add_pin(&cfg, TETHER_PIN_SPKI_SHA256, PIN);
	WiFi.macAddress(mac);
	n = tether_credential_derive((enum tether_scheme)TETHER_IDENTITY_SCHEME,
	    TETHER_IDENTITY_SECRET, strlen(TETHER_IDENTITY_SECRET), mac,
	    credential);
	if (n < 0)
		Serial.println(tether_strerror(TETHER_E_BAD_CREDENTIAL));
	else
		tether_config_set_credential(&cfg, credential, (size_t)n);
	/* the gateway's answer must name this device to count as stored */
	tether_config_set_device(&cfg, TETHER_IDENTITY_ID);
	tether_config_set_entropy(&cfg, seed, sizeof(seed));
	tether_config_set_log(&cfg, TETHER_LOG_CORE, log_line, NULL);
	transport.attach(&io);
	if (tether_client_init(&client, &cfg, &io, record_buf,
	    sizeof(record_buf)) != 0)
		Serial.println(tether_strerror(tether_last_error(&client)));
	/* from now on each report says it takes commands of up to 64 bytes */
	tether_client_set_command_buffer(&client, command_buf,
	    sizeof(command_buf));
	pinMode(LED_BUILTIN, OUTPUT);
}

/* A command the gateway brought: a few words of text, for this sketch. */
static void
run_command(const struct tether_command *cmd)
{
	char text[sizeof(command_buf) + 1];
	unsigned long s;

	/* a command may come twice (a lost answer): do it once */
	if (cmd->id == last_command)
		return;
	last_command = cmd->id;
	memcpy(text, cmd->payload, cmd->len);
	text[cmd->len] = '\0';
	Serial.print("command ");
	Serial.print((unsigned long)cmd->id);
	Serial.print(": ");
	Serial.println(text);
	if (sscanf(text, "interval %lu", &s) == 1 && s >= 1 && s <= 86400)
		report_ms = s * 1000;
	else if (strcmp(text, "led on") == 0)
		digitalWrite(LED_BUILTIN, LOW);		/* active low on most */
	else if (strcmp(text, "led off") == 0)
		digitalWrite(LED_BUILTIN, HIGH);
	else
		Serial.println("unknown command (acknowledged all the same)");
}

void
loop()
{
	static unsigned long last;
	static char detail[TETHER_DETAIL_LEN];	/* off the 4 KiB loop stack */
	struct tether_command cmd;
	char body[32];
	int status;

	if (last != 0 && millis() - last < report_ms)
		return;
	last = millis();
	snprintf(body, sizeof(body), "{\"rssi\":%d}", (int)WiFi.RSSI());
	/* tetherSend: tether_send on a stack deep enough for the handshake
	 * (on the ESP8266, the core's second stack; see TetherClient.h) */
	if (tetherSend(&client, body, strlen(body), &status) != 0) {
		Serial.print("error: ");
		Serial.print(tether_strerror(tether_last_error(&client)));
		Serial.print(" (");
		Serial.print(tether_error_detail(&client, detail,
		    sizeof(detail)));
		Serial.println(")");
	} else if (tether_command(&client, &cmd)) {
		/* handed over: the next report acknowledges it */
		run_command(&cmd);
	}
}

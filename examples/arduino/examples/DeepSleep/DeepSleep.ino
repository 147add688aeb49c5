/* SPDX-License-Identifier: MIT */
/*
 * DeepSleep.ino - an ESP8266 that wakes every ten minutes, sends one
 * reading to a tether gateway and sleeps again, resuming its TLS session
 * from RTC memory so a wake-up costs a resumed handshake (about a tenth of
 * a full one's instructions, and fewer bytes), not a full one. Wire GPIO16
 * to RST so the timer can wake the chip. Pin and identity as in Report.ino.
 *
 * The session's lifetime is the server's (the gateway keeps sessions 24
 * hours): a wake-up after that, a cold boot (RTC memory is lost with
 * power) or a damaged blob costs one full handshake, nothing more; the
 * library checks the blob (TETHER_E_BAD_SESSION, TETHER_E_OTHER_SESSION).
 * The blob holds the session's master secret: it never leaves the chip.
 *
 * It takes commands too (`tether device command <id> 'led on'`): the
 * answer to a wake-up's message brings the oldest one, and the blob
 * carries its acknowledgement over the sleep to the next wake-up's
 * message. A command can come twice (a lost answer): act on its id.
 */
#include <ESP8266WiFi.h>
#include <TetherClient.h>

#include "tether_identity.h"	/* TETHER_IDENTITY_ID, _SCHEME, _SECRET */

static const char WIFI_SSID[] = "your-network";
static const char WIFI_PASS[] = "your-password";
static const char GATEWAY[] = "gw.example";
static const uint16_t GATEWAY_PORT = 8443;
/* `tether fingerprint gw.example:8443 --format c` prints this array */
static const uint8_t PIN[32] = {
	0xd8, 0xef, 0x2c, 0x84, 0x1f, 0x0e, 0x08, 0x7f,
	0xae, 0xa1, 0x3f, 0xdf, 0x75, 0x39, 0xee, 0x70,
	0xc6, 0x43, 0x6d, 0x82, 0x23, 0x0c, 0x2d, 0x49,
	0x17, 0x17, 0xaf, 0xbe, 0xd9, 0x25, 0x41, 0x82,
};
static const uint64_t SLEEP_US = 10ULL * 60 * 1000000;

/* RTC memory keeps 512 bytes for the user through deep sleep (of its 768:
 * the rest is the SDK's), read and written in 4-byte blocks; the offset
 * counts blocks. */
static const uint32_t RTC_OFFSET = 0;
static_assert(TETHER_SESSION_SIZE % 4 == 0, "RTC memory takes whole words");
static_assert(TETHER_SESSION_SIZE <= 512, "the blob fits RTC user memory");

static struct tether_config cfg;
static struct tether_client client;
static unsigned char record_buf[TETHER_BUFSIZE_MIN];
static uint32_t rtc_blob[TETHER_SESSION_SIZE / 4];	/* word-aligned */
static char credential[TETHER_CREDENTIAL_MAX];
static char detail[TETHER_DETAIL_LEN];
static uint8_t seed[32];
static WiFiClient tcp;			/* plain TCP: the TLS is libtether's */
static TetherTransport transport(tcp);

static void
report_error(const char *what)
{
	Serial.print(what);
	Serial.print(": ");
	Serial.print(tether_strerror(tether_last_error(&client)));
	Serial.print(" (");
	Serial.print(tether_error_detail(&client, detail, sizeof(detail)));
	Serial.println(")");
}

/* Everything happens here: setup() runs at every wake-up, loop() never. */
static unsigned char command_buf[64];	/* commands of up to 64 bytes */

void
setup()
{
	struct tether_transport io;
	struct tether_command cmd;
	uint8_t mac[TETHER_MAC_LEN];
	char body[32];
	int n, status;

	Serial.begin(115200);
	WiFi.mode(WIFI_STA);
	WiFi.begin(WIFI_SSID, WIFI_PASS);
	while (WiFi.status() != WL_CONNECTED)
		delay(10);
	for (size_t i = 0; i < sizeof(seed); i += 4) {
		uint32_t r = RANDOM_REG32;
		memcpy(seed + i, &r, 4);
	}
	tether_config_init(&cfg);
	tether_config_set_host(&cfg, GATEWAY, GATEWAY_PORT);
	tether_config_add_pin(&cfg, TETHER_PIN_SPKI_SHA256, PIN);
	WiFi.macAddress(mac);
	n = tether_credential_derive((enum tether_scheme)TETHER_IDENTITY_SCHEME,
	    TETHER_IDENTITY_SECRET, strlen(TETHER_IDENTITY_SECRET), mac,
	    credential);
	if (n > 0)
		tether_config_set_credential(&cfg, credential, (size_t)n);
	tether_config_set_device(&cfg, TETHER_IDENTITY_ID);
	tether_config_set_entropy(&cfg, seed, sizeof(seed));
	transport.attach(&io);
	if (tether_client_init(&client, &cfg, &io, record_buf,
	    sizeof(record_buf)) != 0)
		report_error("init");
	tether_client_set_command_buffer(&client, command_buf,
	    sizeof(command_buf));

	/* The session of the last wake-up, if RTC memory kept a good one;
	 * a refused blob only means a full handshake. */
	if (ESP.rtcUserMemoryRead(RTC_OFFSET, rtc_blob, sizeof(rtc_blob)) &&
	    tether_session_restore(&client, (const uint8_t *)rtc_blob) != 0)
		Serial.println("no saved session: full handshake");

	snprintf(body, sizeof(body), "{\"rssi\":%d}", (int)WiFi.RSSI());
	/* on the core's second stack: the handshake needs more than loop()'s */
	if (tetherSend(&client, body, strlen(body), &status) != 0)
		report_error("send");
	else
		Serial.println(tether_resumed(&client) ? "stored, resumed" :
		    "stored, full handshake");
	if (tether_command(&client, &cmd)) {
		/* the next wake-up's message acknowledges it (the blob
		 * keeps the ack) */
		Serial.print("command ");
		Serial.print((unsigned long)cmd.id);
		Serial.print(": ");
		Serial.write(cmd.payload, cmd.len);
		Serial.println();
	}
	if (tether_session_save(&client, (uint8_t *)rtc_blob) == 0)
		ESP.rtcUserMemoryWrite(RTC_OFFSET, rtc_blob, sizeof(rtc_blob));
	tetherClose(&client);
	ESP.deepSleep(SLEEP_US);
}

void
loop()
{
}

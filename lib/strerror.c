/* SPDX-License-Identifier: MIT */
/*
 * strerror.c - one sentence per error code: the cause, the side that
 * caused it, and what to do next. In a file of its own so that firmware
 * which never calls tether_strerror() or tether_strerror_copy() does not
 * carry the strings; in flash on the ESP8266 (TETHER_FLASH_STRINGS).
 */
#include "inner.h"

/*
 * With TETHER_FLASH_STRINGS (the ESP8266, see tether.h) each sentence is an
 * array inside its entry, so the whole table is one object in flash, every
 * sentence starts on a word and none is read past its slot: the entries
 * below are the same text either way.
 */
#if TETHER_FLASH_STRINGS
struct sentence {
	int		 code;
	char		 text[TETHER_STRERROR_LEN];
};
#else
struct sentence {
	int		 code;
	const char	*text;
};
#endif

static const struct sentence sentences[] TETHER_FLASH("tether_strerror") = {
	{ TETHER_OK, "no error" },
	{ TETHER_E_BAD_ARG, "the device program passed a NULL pointer or an "
	    "out-of-range value to the library; check the call that failed" },
	{ TETHER_E_NO_HOST, "no server is configured on the device; call "
	    "tether_config_set_host() with the gateway's name or address" },
	{ TETHER_E_NO_PIN, "no pin (and no trust anchor) is configured on "
	    "the device, and the library never connects unverified; add the "
	    "pin `tether serve` prints with tether_config_add_pin()" },
	{ TETHER_E_BAD_PIN, "a pin given to the device is not a hash of the "
	    "kind named (32 bytes, 20 for SHA-1, as base64 or hex); copy it "
	    "again from `tether serve` or `tether fingerprint`" },
	{ TETHER_E_TOO_MANY_PINS, "the device was given more pins than "
	    "TETHER_MAX_PINS; keep the current key's and one backup" },
	{ TETHER_E_NO_CREDENTIAL, "no device credential is configured; call "
	    "tether_config_set_credential() with the one `tether provision` "
	    "wrote for this device" },
	{ TETHER_E_BAD_CREDENTIAL, "the device credential has spaces, control "
	    "characters or is too long, so it would break the request; "
	    "re-flash it from the provisioning manifest" },
	{ TETHER_E_BUFFER_SMALL, "the record buffer given to the device "
	    "library is smaller than TETHER_BUFSIZE_MIN (837 bytes, for "
	    "512-byte records); give it at least that much" },
	{ TETHER_E_NO_TRANSPORT, "the transport lacks a read or a write "
	    "callback; fill struct tether_transport, or use "
	    "tether_posix_init()" },
	{ TETHER_E_NO_REOPEN, "the connection was closed and the transport "
	    "has no open callback to make a new one; give it one, or "
	    "reconnect the transport and call tether_client_init() again" },
	{ TETHER_E_NO_SESSION, "there is no TLS session to save yet; save "
	    "after a message has been sent" },
	{ TETHER_E_BAD_SESSION, "the saved session blob is damaged (its "
	    "check failed), so the device will do a full handshake; nothing "
	    "to do unless it happens at every wake-up (then check where the "
	    "blob is kept)" },
	{ TETHER_E_OTHER_SESSION, "the saved session blob belongs to another "
	    "server or other pins, so it was not used and the device will do "
	    "a full handshake; nothing to do" },
	{ TETHER_E_BAD_PROFILE, "the device was given an unknown cipher "
	    "profile, or TETHER_PROFILE_LEGACY_AXTLS in a build without RSA "
	    "(TETHER_ALGS_ECDSA_P256); use TETHER_PROFILE_DEFAULT, or build "
	    "with TETHER_ALGS_RSA_KX for RSA key exchange" },
	{ TETHER_E_NO_ANCHORS, "the device set a time on a client without "
	    "trust anchors, where nothing uses it; call "
	    "tether_client_set_trust_anchors() first, or drop the call (pins "
	    "need no clock)" },
	{ TETHER_E_BAD_IDENTITY, "the identity blob read on the device is "
	    "damaged (too short, not identity.bin, or its CRC-32 or a field "
	    "is wrong), so its secret is not used; write the device's "
	    "identity.bin from `tether provision` to flash again" },
	{ TETHER_E_IDENTITY_VERSION, "the identity blob on the device was "
	    "written in a newer layout than this library reads; update the "
	    "firmware's libtether, or provision with the matching `tether`" },
	{ TETHER_E_NO_MAC, "the device's scheme (interleave or hmac) derives "
	    "the credential from the MAC address, and the device gave none "
	    "(and its identity blob holds none); pass the board's MAC, e.g. "
	    "WiFi.macAddress()" },
	{ TETHER_E_WRONG_MAC, "the device's MAC address is not the one its "
	    "identity blob was provisioned for: the image is on the wrong "
	    "board; flash this board's own identity.bin" },
	{ TETHER_E_DNS, "the server's name did not resolve (DNS failure on "
	    "the device's network); check the host name and the device's "
	    "DNS server" },
	{ TETHER_E_REFUSED, "the server refused the TCP connection: nothing "
	    "listens on that address and port; check the port and that the "
	    "gateway is running" },
	{ TETHER_E_CONNECT_TIMEOUT, "the server did not answer the TCP "
	    "connection in time (a firewall dropping packets, a wrong "
	    "address, or the server is down); check the address and the "
	    "network path" },
	{ TETHER_E_UNREACHABLE, "the device's network has no route to the "
	    "server; check the device's network connection and gateway "
	    "address" },
	{ TETHER_E_IO_TIMEOUT, "the server stopped sending or receiving in "
	    "the middle of an exchange and the time-out ran out; retry, and "
	    "check the server's load and the network" },
	{ TETHER_E_RESET, "the connection was reset (by the server or "
	    "something on the path); retry, and check the server's log for "
	    "why it dropped the device" },
	{ TETHER_E_CLOSED, "the server closed the connection during the TLS "
	    "handshake without saying why; check the server's log (a device "
	    "on a list it refuses, a name it does not serve, or a TLS "
	    "proxy)" },
	{ TETHER_E_TRANSPORT, "the device's transport failed to read or "
	    "write; check the device's network connection" },
	{ TETHER_E_CONNECT, "the device's transport could not connect to the "
	    "server and did not say why (refused, unreachable or timed "
	    "out); check the host and port, that the gateway is running, "
	    "and the device's network connection" },
	{ TETHER_E_ALERT, "the server ended the TLS handshake with an alert "
	    "(named in the detail); check the server's log for its side of "
	    "the story" },
	{ TETHER_E_NO_COMMON_SUITE, "the server found no cipher suite in "
	    "common with the device and sent a handshake_failure alert; "
	    "enable the device's suites on the server (`tether serve "
	    "--profile legacy-esp8266` for axTLS-era devices)" },
	{ TETHER_E_PROTOCOL_VERSION, "the server does not speak TLS 1.2, the "
	    "only version the device speaks; enable TLS 1.2 on the server" },
	{ TETHER_E_RECORD_TOO_LARGE, "the server sent a TLS record larger "
	    "than the device's buffer: it ignored the max_fragment_length "
	    "request; give the device the buffer size the detail names, or "
	    "use a server that honours RFC 6066 (`tether serve` does)" },
	{ TETHER_E_BAD_MAC, "a TLS record from the server failed its "
	    "integrity check: the data was changed on the way; check the "
	    "network path for a device that tampers with traffic" },
	{ TETHER_E_TLS, "the TLS exchange with the server broke a protocol "
	    "rule (BearSSL's code is in the detail); capture the handshake "
	    "and report it with the server's name and version" },
	{ TETHER_E_NO_RANDOM, "the device has no source of randomness for "
	    "TLS; give it a hardware seed with tether_config_set_entropy()" },
	{ TETHER_E_SERVER_BAD_CHOICE, "the server chose a cipher suite, "
	    "extension or key the device did not offer or cannot use with "
	    "its certificate; check the server's TLS configuration" },
	{ TETHER_E_PIN_MISMATCH, "the server's certificate matches none of "
	    "the device's pins (checked on the device): if the server's key "
	    "or certificate was replaced, add the new pin (`tether serve` "
	    "prints it); if not, something is intercepting the connection" },
	{ TETHER_E_CERT_MALFORMED, "the server's certificate is not valid "
	    "DER, so the device cannot read its key; check the certificate "
	    "file the server uses" },
	{ TETHER_E_KEY_UNSUPPORTED, "the server's key is of a type the device "
	    "cannot use (it takes RSA and EC P-256, P-384, P-521); give the "
	    "server such a key" },
	{ TETHER_E_KEY_TOO_LARGE, "the server's public key is larger than "
	    "the device keeps (RSA up to 4096 bits); use a smaller key or an "
	    "EC key on the server" },
	{ TETHER_E_NO_CERT, "the server sent no certificate, so the device "
	    "cannot check it; configure a certificate on the server" },
	{ TETHER_E_CLOCK_NOT_SET, "the device's clock is not set: "
	    "certificate dates cannot be checked; set the time (NTP) or use "
	    "a pin (pins need no clock)" },
	{ TETHER_E_CERT_EXPIRED, "the server's certificate chain has expired "
	    "by the device's clock (dates in the detail): renew the "
	    "certificate on the server, or correct the device's clock if it "
	    "runs ahead" },
	{ TETHER_E_CERT_NOT_YET_VALID, "the server's certificate is not yet "
	    "valid by the device's clock (dates in the detail): the device's "
	    "clock is most likely behind; set it from NTP or an RTC" },
	{ TETHER_E_UNKNOWN_ISSUER, "the server's certificate chain does not "
	    "lead to any of the device's trust anchors (an unknown issuer or "
	    "a signature that does not verify): give the device the anchor "
	    "of the server's CA, and check that the server sends its "
	    "intermediates; if both are right, something is intercepting "
	    "the connection" },
	{ TETHER_E_NAME_MISMATCH, "the server's certificate does not carry "
	    "the name the device checked (the SNI, else the host; DNS names "
	    "only, not IP addresses): connect by a name the certificate "
	    "lists, or set it with tether_config_set_sni()" },
	{ TETHER_E_CHAIN_REJECTED, "a certificate in the server's chain "
	    "breaks a rule the device enforces (an unknown critical "
	    "extension, a key usage that forbids TLS, or a key too weak); "
	    "issue the server a certificate without the fault" },
	{ TETHER_E_UNAUTHORIZED, "the server answered 401: the device "
	    "credential is unknown or revoked; check the device in `tether "
	    "device` and re-provision it if needed" },
	{ TETHER_E_REDIRECT, "the server answered with a redirect, and "
	    "devices cannot follow one; point the device at the address "
	    "named in the detail, or stop the redirect on the server" },
	{ TETHER_E_REFUSED_REQUEST, "the server refused the message as "
	    "malformed or too large (status and reason in the detail); "
	    "fix the message, and do not repeat it unchanged" },
	{ TETHER_E_RETRY_LATER, "the server cannot store messages now (429 "
	    "or 503); nothing was stored: send the message again later with "
	    "the same sequence number" },
	{ TETHER_E_HTTP_STATUS, "the server answered with a status the "
	    "device does not expect (in the detail); check that the device "
	    "talks to a tether gateway" },
	{ TETHER_E_BAD_RESPONSE, "the server's answer is not well-formed "
	    "HTTP/1.1 (the reason is in the detail); check that the device "
	    "talks to a tether gateway" },
	{ TETHER_E_NO_RESPONSE, "the server closed the connection before "
	    "answering; the message may not be stored: send it again with "
	    "the same sequence number" },
	{ TETHER_E_NOT_GATEWAY, "the server answered 2xx but not as a tether "
	    "gateway does (its body does not say \"stored\" for this device), "
	    "so the message was most likely not stored; point the device's "
	    "host and port at `tether serve`, not another web server or "
	    "proxy" },
};

static const struct sentence unknown TETHER_FLASH("tether_strerror_unknown") = {
	-1, "an error code this library does not know; check that the header "
	    "and the library are the same version"
};

static const struct sentence *
find(int code)
{
	size_t i;

	for (i = 0; i < sizeof(sentences) / sizeof(sentences[0]); i++) {
#if TETHER_FLASH_STRINGS
		if ((int)tether_flash_word(&sentences[i].code) == code)
#else
		if (sentences[i].code == code)
#endif
			return &sentences[i];
	}
	return &unknown;
}

/* see tether.h */
char *
tether_strerror_copy(int code, char *buf, size_t len)
{
#if TETHER_FLASH_STRINGS
	return tether_flash_strcpy(buf, len, find(code)->text,
	    TETHER_STRERROR_LEN);
#else
	struct tether_text t;

	tether_text_init(&t, buf, len);
	tether_text_put(&t, find(code)->text);
	return buf;
#endif
}

/* see tether.h */
const char *
tether_strerror(int code)
{
#if TETHER_FLASH_STRINGS
	static char copy[TETHER_STRERROR_LEN];

	return tether_strerror_copy(code, copy, sizeof copy);
#else
	return find(code)->text;
#endif
}

/* SPDX-License-Identifier: MIT */
/*
 * mac.c - MAC addresses as people write them in a list ("24:0a:c4:12:34:56"
 * or "240AC4123456") and as the registry stores them (lowercase, colons).
 */
#include <stdio.h>
#include <string.h>

#include "common/hex.h"
#include "registry/registry.h"


/* see registry.h */
int
reg_mac_parse(const char *text, uint8_t mac[TETHER_MAC_LEN], char *why)
{
	size_t len = strlen(text), step;
	int all0 = 1, all1 = 1;

	/* "aa:bb:cc:dd:ee:ff" (17) or "aabbccddeeff" (12), nothing else */
	if (len == 17)
		step = 3;
	else if (len == 12)
		step = 2;
	else
		goto malformed;
	for (size_t i = 0; i < TETHER_MAC_LEN; i++) {
		const char *p = text + i * step;
		int hi = hex_value(p[0]), lo = hex_value(p[1]);

		if (hi < 0 || lo < 0)
			goto malformed;
		if (step == 3 && i + 1 < TETHER_MAC_LEN && p[2] != ':')
			goto malformed;
		mac[i] = (uint8_t)(hi << 4 | lo);
		all0 &= mac[i] == 0x00;
		all1 &= mac[i] == 0xff;
	}
	if (all0) {
		snprintf(why, REG_ERR_LEN, "00:00:00:00:00:00 is no device's "
		    "address (an unset MAC?)");
		return -1;
	}
	if (all1) {
		snprintf(why, REG_ERR_LEN, "ff:ff:ff:ff:ff:ff is the broadcast "
		    "address, no device's own");
		return -1;
	}
	if (mac[0] & 1) {
		snprintf(why, REG_ERR_LEN, "%s is a multicast address (its "
		    "first byte is odd); a device's own address is unicast",
		    text);
		return -1;
	}
	return 0;
malformed:
	snprintf(why, REG_ERR_LEN, "'%.40s%s' is not a MAC address (write "
	    "aa:bb:cc:dd:ee:ff or aabbccddeeff)", text, len > 40 ? "..." : "");
	return -1;
}

/* see registry.h */
void
reg_mac_format(const uint8_t mac[TETHER_MAC_LEN], char out[REG_MAC_TEXT])
{
	snprintf(out, REG_MAC_TEXT, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
	    mac[1], mac[2], mac[3], mac[4], mac[5]);
}

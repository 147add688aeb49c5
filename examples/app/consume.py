#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Prints every device message of a tether gateway once, as it comes.
Env: TETHER_APP_TOKEN (tether app add), TETHER_APP_URL, TETHER_CA (the
gateway's certificate), TETHER_CURSOR_FILE; TETHER_ONCE=1 stops when idle."""
import http.client, json, os, ssl, sys, urllib.parse

if "--help" in sys.argv: sys.exit(print(__doc__))
url = urllib.parse.urlsplit(os.environ.get("TETHER_APP_URL", "https://127.0.0.1:8444"))
ctx = ssl.create_default_context(cafile=os.environ.get("TETHER_CA"))
gateway = http.client.HTTPSConnection(url.hostname, url.port, context=ctx, timeout=60)
headers = {"Authorization": "Bearer " + os.environ["TETHER_APP_TOKEN"]}
state = os.environ.get("TETHER_CURSOR_FILE", "tether-cursor")
cursor = open(state).read().strip() if os.path.exists(state) else ""
once = os.environ.get("TETHER_ONCE")
while True:                        # one kept-alive connection for every read
    gateway.request("GET", f"/v1/messages?after={cursor}&wait={0 if once else 30}", headers=headers)
    answer = gateway.getresponse()
    if answer.status != 200: sys.exit(f"{answer.status}: {answer.read().decode()}")
    for line in answer.read().splitlines():
        m = json.loads(line)
        if "next" in m:            # the last line: where the next read starts
            cursor, more = m["next"], m["more"]
        else:                      # a message: handle it (here, print it)
            print(m["device"], m["seq"], json.dumps(m.get("body", m.get("body_b64"))))
    with open(state, "w") as f:    # only after handling: at-least-once
        f.write(cursor)
    if once and not more: break

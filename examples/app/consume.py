#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Prints every device message of a tether gateway once, as it comes.
Env: TETHER_APP_TOKEN (tether app add), TETHER_APP_URL, TETHER_CA (the
gateway's certificate), TETHER_CURSOR_FILE; TETHER_ONCE=1 stops when idle."""
import json, os, ssl, sys, urllib.request

if "--help" in sys.argv: sys.exit(print(__doc__))
url = os.environ.get("TETHER_APP_URL", "https://127.0.0.1:8444")
headers = {"Authorization": "Bearer " + os.environ["TETHER_APP_TOKEN"]}
ctx = ssl.create_default_context(cafile=os.environ.get("TETHER_CA"))
state = os.environ.get("TETHER_CURSOR_FILE", "tether-cursor")
cursor = open(state).read().strip() if os.path.exists(state) else ""
while True:
    query = f"/v1/messages?after={cursor}&wait={0 if os.environ.get('TETHER_ONCE') else 30}"
    req = urllib.request.Request(url + query, headers=headers)
    with urllib.request.urlopen(req, context=ctx, timeout=60) as answer:
        for line in answer:
            m = json.loads(line)
            if "next" in m:        # the last line: where the next read starts
                cursor, more = m["next"], m["more"]
            else:                  # a message: handle it (here, print it)
                print(m["device"], m["seq"], json.dumps(m.get("body", m.get("body_b64"))))
    with open(state, "w") as f:    # only after handling: at-least-once
        f.write(cursor)
    if os.environ.get("TETHER_ONCE") and not more: break

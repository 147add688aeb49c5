# SPDX-License-Identifier: MIT
"""A load balancer in small, for t_restart_resume.sh: listens on
127.0.0.1:--port and relays each connection, byte for byte, to the port
written in the file --to (read again for each connection), so a device
keeps one address while the node behind it changes. Prints "listening"
once bound. Stops after --max seconds."""
import argparse
import select
import socket
import sys
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--to", required=True)
ap.add_argument("--max", type=float, default=200)
args = ap.parse_args()


def pump(a, b):
    try:
        while True:
            r, _, _ = select.select([a, b], [], [], 30)
            if not r:
                return
            for s in r:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        pass
    finally:
        a.close()
        b.close()


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", args.port))
ls.listen(64)
ls.settimeout(1)
print("listening", flush=True)
end = time.monotonic() + args.max
while time.monotonic() < end:
    try:
        c, _ = ls.accept()
    except socket.timeout:
        continue
    with open(args.to) as f:
        port = int(f.read().strip())
    try:
        up = socket.create_connection(("127.0.0.1", port), timeout=10)
    except OSError as e:
        print("relay: cannot reach port %d: %s" % (port, e), file=sys.stderr)
        c.close()
        continue
    threading.Thread(target=pump, args=(c, up), daemon=True).start()

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# bridge.py - the other end of the test image's UART (frames of frame.h):
# opens, feeds and closes TCP connections to the gateway for the image, and
# writes its report lines to stdout. Listens on loopback for QEMU's
# -serial tcp:127.0.0.1:PORT and writes PORT to the file given first.
import os
import socket
import sys
import threading

port_file = sys.argv[1]
# --credit (the lx106 image, frame.h FRAME_CREDIT): bytes for the image
# are queued and sent only as it asks, each request answered by one write
credit_mode = "--credit" in sys.argv[2:]
queue = bytearray()     # for the image, not sent yet (credit mode)
credit = 0              # bytes the image asked for and has not been sent
lsock = socket.socket()
lsock.bind(("127.0.0.1", 0))
lsock.listen(1)
with open(port_file + ".tmp", "w") as f:
    f.write("%d\n" % lsock.getsockname()[1])
os.rename(port_file + ".tmp", port_file)
uart, _ = lsock.accept()
lsock.close()
lock = threading.Lock()
current = None          # the open connection to the gateway, if any


def put(b):
    # Under the lock: bytes for the image, now or when it asks.
    global credit
    if not credit_mode:
        uart.sendall(b)
        return
    queue.extend(b)
    if credit > 0 and queue:
        n = min(credit, len(queue))
        uart.sendall(bytes(queue[:n]))
        del queue[:n]
        credit = 0


def send(kind, payload=b""):
    with lock:
        put(kind + len(payload).to_bytes(2, "big") + payload)


def recv_exact(n):
    b = b""
    while len(b) < n:
        c = uart.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b


def pump(conn):
    # Bytes from the gateway become data frames while conn is current;
    # after the image closed it, whatever still arrives is dropped.
    while True:
        try:
            b = conn.recv(1024)
        except OSError:
            b = b""
        with lock:
            if conn is not current:
                return
            put((b"d" if b else b"e") + len(b).to_bytes(2, "big") + b)
        if not b:
            return


def close_current():
    global current
    with lock:
        conn, current = current, None
    if conn is not None:
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        conn.close()


try:
    while True:
        kind = recv_exact(1)
        n = int.from_bytes(recv_exact(2), "big")
        payload = recv_exact(n)
        if kind == b"O":
            close_current()
            host, _, port = payload.decode().rpartition(":")
            try:
                conn = socket.create_connection((host, int(port)), timeout=10)
                conn.settimeout(None)
            except OSError:
                send(b"r")
                continue
            with lock:
                current = conn
            send(b"o")
            threading.Thread(target=pump, args=(conn,), daemon=True).start()
        elif kind == b"W":
            with lock:
                conn = current
            if conn is not None:
                try:
                    conn.sendall(payload)
                except OSError:
                    pass    # the pump reports the end
        elif kind == b"C":
            close_current()
        elif kind == b"M":
            with lock:
                credit = payload[0]
                put(b"")
        elif kind == b"L":
            print(payload.decode(errors="replace"), flush=True)
        elif kind == b"Q":
            print("END", flush=True)
            close_current()
            send(b"q")
            while queue:    # credit mode: the 'q' goes as the image asks
                kind = recv_exact(1)
                payload = recv_exact(int.from_bytes(recv_exact(2), "big"))
                if kind == b"M":
                    with lock:
                        credit = payload[0]
                        put(b"")
            uart.recv(1)    # QEMU closes after the image's exit
            break
        else:
            print("bridge: unknown frame %r" % kind, file=sys.stderr)
            sys.exit(1)
except EOFError:
    pass
close_current()

#!/usr/bin/env python3
"""Token latency while one source holds every connection slot it can.

Starts `tollgate serve` (default settings) in a temporary directory, then an attacker on
127.0.0.2 keeps ATTACK_SOCKETS (twice the 4096 default slots) idle sockets open,
re-opening each one the server closes. After SETTLE seconds a client on 127.0.0.1 asks
for REQUESTS tokens, one every PAUSE seconds, each on a new connection. Prints the
client's p50/p95/max latency and how many requests failed. Bounded: each request gives
up after 15 s and the whole run after 150 s.

    python3 bench/connection_fairness.py [path/to/tollgate]
"""

import base64
import json
import os
import secrets
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/tollgate"
MAX_CONNECTIONS = 4096
ATTACK_SOCKETS = int(os.environ.get("ATTACK_SOCKETS", 2 * MAX_CONNECTIONS))
REQUESTS = int(os.environ.get("REQUESTS", 20))
REQUEST_TIMEOUT = 15.0
RUN_LIMIT = 150.0
SETTLE = float(os.environ.get("SETTLE", "6"))
PAUSE = float(os.environ.get("PAUSE", 1))
ENV = {
    "PATH": os.environ["PATH"],
    "RUST_LOG": "warn",
    "TOLLGATE_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
}


def serve(cwd):
    args = [BIN, "serve", "--listen", "127.0.0.1:0", "--admin-listen", "off"]
    proc = subprocess.Popen(args, cwd=cwd, env=ENV, stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("listening on "):
            host, port = line[len("listening on "):].strip().rsplit(":", 1)
            return proc, (host, int(port))
    raise SystemExit("tollgate did not start")


def attacker(addr, stop):
    """Holds ATTACK_SOCKETS idle sockets from 127.0.0.2; re-opens each one closed."""
    selector = selectors.DefaultSelector()
    open_count = 0
    while not stop.is_set():
        while open_count < ATTACK_SOCKETS:
            sock = socket.socket()
            sock.bind(("127.0.0.2", 0))
            sock.setblocking(False)
            sock.connect_ex(addr)
            selector.register(sock, selectors.EVENT_READ)
            open_count += 1
        for key, _ in selector.select(timeout=0.05):
            sock = key.fileobj
            try:
                data = sock.recv(64)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                selector.unregister(sock)
                sock.close()
                open_count -= 1
    for key in list(selector.get_map().values()):
        key.fileobj.close()


def token_request(addr, basic):
    body = b"grant_type=client_credentials"
    request = (
        b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Authorization: Basic " + basic + b"\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    started = time.monotonic()
    with socket.create_connection(addr, timeout=REQUEST_TIMEOUT, source_address=("127.0.0.1", 0)) as sock:
        sock.sendall(request)
        answer = sock.recv(64)
    if not answer.startswith(b"HTTP/1.1 200"):
        raise OSError(f"answer {answer[:20]!r}")
    return time.monotonic() - started


def main():
    with tempfile.TemporaryDirectory() as cwd:
        proc, addr = serve(cwd)
        try:
            created = subprocess.run(
                [BIN, "client", "create", "--scope", "read", "--json"],
                cwd=cwd, env=ENV, check=True, capture_output=True, text=True,
            )
            client = json.loads(created.stdout)
            basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode())
            stop = threading.Event()
            attack = threading.Thread(target=attacker, args=(addr, stop))
            attack.start()
            time.sleep(SETTLE)
            times, failed, deadline = [], 0, time.monotonic() + RUN_LIMIT
            for _ in range(REQUESTS):
                if time.monotonic() > deadline:
                    break
                try:
                    times.append(token_request(addr, basic))
                except OSError:
                    failed += 1
                time.sleep(PAUSE)
            stop.set()
            attack.join()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    times.sort()
    if times:
        p95 = times[min(len(times) - 1, len(times) * 95 // 100)]
        print(
            f"{len(times)} served, {failed} failed; p50 {statistics.median(times) * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms"
        )
    else:
        print(f"0 served, {failed} failed")


main()

#!/usr/bin/env python3
"""Tollgate's benchmark, started by scripts/bench: issuer tokens/s and latency on SQLite and
PostgreSQL (one and two replicas) against oidc-provider in the same run, the HTTP floor,
signing and HMAC costs, core verify vs raw verify_strict, and issuer memory. Prints one
Markdown table; every server listens on 127.0.0.1 and every load run is bounded."""

import base64
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target/release/tollgate"
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CONNECTIONS = [64, 256]
MASTER_KEY = base64.b64encode(secrets.token_bytes(32)).decode()
PEER_SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
ENV = {
    "PATH": os.environ["PATH"],
    "RUST_LOG": "warn",
    "TOLLGATE_MASTER_KEY": MASTER_KEY,
}


def start(cmd, cwd, env=None, marker="listening on "):
    """Starts a server and returns (process, "host:port") once it prints `marker`."""
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env or ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    deadline = time.time() + 60
    for line in proc.stdout:
        if line.startswith(marker):
            return proc, line[len(marker):].strip()
        if time.time() > deadline:
            break
    proc.kill()
    raise SystemExit(f"{cmd[0]} did not start")


def stop(*procs):
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def tollgate(args, cwd, database):
    env = dict(ENV, TOLLGATE_DATABASE_URL=database)
    return subprocess.run(
        [str(BIN), *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


def serve(cwd, database):
    env = dict(ENV, TOLLGATE_DATABASE_URL=database)
    args = ["serve", "--listen", "127.0.0.1:0", "--admin-listen", "off"]
    return start([str(BIN), *args], cwd, env)


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wrk(url, connections, basic=None, body=None, script=True):
    """One bounded wrk run: (requests/s, p50 ms, p99 ms, non-2xx answers)."""
    env = dict(os.environ)
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{SECONDS}s", "--timeout", "5s", "--latency"]
    if script:
        env["BENCH_BASIC"] = basic
        env["BENCH_BODY"] = body or "grant_type=client_credentials"
        cmd += ["-s", str(ROOT / "bench/token.lua")]
    out = subprocess.run(cmd + [url], env=env, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, ms(latency["50"]), ms(latency["99"]), int(errors.group(1)) if errors else 0


def ms(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parallel_wrk(urls, connections, basic):
    """wrk against several replicas at once, connections split evenly."""
    with tempfile.TemporaryDirectory() as tmp:
        procs = []
        for i, url in enumerate(urls):
            out = open(Path(tmp) / f"{i}.out", "w")
            env = dict(os.environ, BENCH_BASIC=basic)
            cmd = ["wrk", "-t1", f"-c{connections // len(urls)}", f"-d{SECONDS}s", "--timeout",
                   "5s", "--latency", "-s", str(ROOT / "bench/token.lua"), url]
            procs.append((subprocess.Popen(cmd, env=env, stdout=out, text=True), out))
        results = []
        for proc, out in procs:
            proc.wait()
            out.close()
            text = Path(out.name).read_text()
            latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", text, re.M))
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
            results.append((float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
                            ms(latency["50"]), ms(latency["99"]),
                            int(errors.group(1)) if errors else 0))
    return (sum(r[0] for r in results), max(r[1] for r in results),
            max(r[2] for r in results), sum(r[3] for r in results))


def summary(samples, index, fmt="{:,.0f}"):
    values = [s[index] for s in samples]
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}..{fmt.format(max(values))}]"


def fresh_pg_database(admin_url):
    name = "bench_" + secrets.token_hex(4)
    subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE {name}"], check=True,
                   capture_output=True)
    return admin_url.rsplit("/", 1)[0] + "/" + name


def client(cwd, database):
    created = json.loads(tollgate(["client", "create", "--scope", "read", "--json"], cwd, database))
    pair = f"{created['client_id']}:{created['client_secret']}"
    return base64.b64encode(pair.encode()).decode()


def measure(name, urls, basic, rows, pid=None, body=None, script=True):
    for connections in CONNECTIONS if script else [64]:
        samples = []
        rss_load = 0
        for _ in range(RUNS):
            if len(urls) == 1:
                samples.append(wrk(urls[0], connections, basic, body, script))
            else:
                samples.append(parallel_wrk(urls, connections, basic))
            if pid:
                rss_load = max(rss_load, rss_kib(pid))
        errors = sum(s[3] for s in samples)
        rows.append({
            "name": name, "connections": connections, "samples": samples, "errors": errors,
            "rss": rss_load,
        })
        print(f"  {name} c{connections}: {summary(samples, 0)} tokens/s, "
              f"p99 {summary(samples, 2, '{:.1f}')} ms, errors {errors}", file=sys.stderr)


def criterion(bench, package, filters):
    """Runs a criterion bench briefly; returns {benchmark: median ns}."""
    cmd = ["cargo", "bench", "-q", "-p", package, "--bench", bench, "--", *filters,
           "--warm-up-time", "1", "--measurement-time", "3", "--noplot"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    found = {}
    for name, value, unit in re.findall(r"^(\S.*?)\s+time:\s+\[[\d.]+ \w+ ([\d.]+) (\w+)", out, re.M):
        found[name.strip()] = float(value) * {"ns": 1, "µs": 1e3, "us": 1e3, "ms": 1e6}[unit]
    return found


def main():
    pg_admin = os.environ["TOLLGATE_TEST_POSTGRES_URL"]
    work = Path(tempfile.mkdtemp(prefix="tollgate-bench."))
    rows = []
    procs = []
    try:
        print("tollgate on SQLite", file=sys.stderr)
        db = f"sqlite://{work}/tollgate.db"
        server, addr = serve(work, db)
        procs.append(server)
        time.sleep(0.5)
        idle_rss = rss_kib(server.pid)
        basic = client(work, db)
        measure("tollgate, SQLite", [f"http://{addr}/oauth/token"], basic, rows, server.pid)
        measure("HTTP floor (GET /healthz)", [f"http://{addr}/healthz"], None, rows, script=False)
        stop(server)

        print("tollgate on PostgreSQL", file=sys.stderr)
        pg = fresh_pg_database(pg_admin)
        one, addr_one = serve(work, pg)
        procs.append(one)
        basic = client(work, pg)
        measure("tollgate, PostgreSQL, 1 replica", [f"http://{addr_one}/oauth/token"], basic,
                rows, one.pid)
        two, addr_two = serve(work, pg)
        procs.append(two)
        measure("tollgate, PostgreSQL, 2 replicas",
                [f"http://{addr_one}/oauth/token", f"http://{addr_two}/oauth/token"], basic, rows)
        stop(one, two)

        print("oidc-provider", file=sys.stderr)
        peer_env = dict(os.environ, PORT="0", NODE_ENV="production")
        peer, peer_addr = start(["node", "server.mjs"], ROOT / "bench/peer", peer_env)
        procs.append(peer)
        peer_basic = base64.b64encode(f"bench:{PEER_SECRET}".encode()).decode()
        measure("oidc-provider 9.13 (EdDSA JWT)", [f"http://{peer_addr}/token"], peer_basic,
                rows, body="grant_type=client_credentials&scope=read")
        stop(peer)

        print("criterion: signing, HMAC, verify", file=sys.stderr)
        costs = criterion("issuance", "tollgate-issuer", [])
        verify = criterion("verify", "tollgate-core", [])
    finally:
        stop(*procs)
        shutil.rmtree(work, ignore_errors=True)
    report(rows, costs, verify, idle_rss)


def report(rows, costs, verify, idle_rss):
    by = {(r["name"], r["connections"]): r for r in rows}
    peer = {c: statistics.median(s[0] for s in by[("oidc-provider 9.13 (EdDSA JWT)", c)]["samples"])
            for c in CONNECTIONS}
    print(f"\n{RUNS} runs of {SECONDS} s each, `wrk -t2` on the same 2 cores; median [min..max].\n")
    print("| server | conns | tokens/s | p50 ms | p99 ms | × oidc-provider | non-2xx | RSS under load |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        median = statistics.median(s[0] for s in r["samples"])
        ratio = f"{median / peer[r['connections']]:.1f}×" if "/healthz" not in r["name"] else "—"
        rss = f"{r['rss'] / 1024:.0f} MiB" if r["rss"] else "—"
        print(f"| {r['name']} | {r['connections']} | {summary(r['samples'], 0)} | "
              f"{summary(r['samples'], 1, '{:.2f}')} | {summary(r['samples'], 2, '{:.1f}')} | "
              f"{ratio} | {r['errors']} | {rss} |")
    print(f"\nIssuer RSS idle: {idle_rss / 1024:.1f} MiB.")
    sign = costs.get("issuance/ed25519_sign", 0)
    hmac = costs.get("issuance/hmac_client_secret", 0)
    floor = statistics.median(s[0] for s in by[("HTTP floor (GET /healthz)", 64)]["samples"])
    token = statistics.median(s[0] for s in by[("tollgate, SQLite", 64)]["samples"])
    cores = os.cpu_count() or 1
    bound_us = 1e6 / floor + (sign + hmac) / 1e3 / cores
    actual_us = 1e6 / token
    print(f"\nPer token at 64 connections: {actual_us:.1f} µs of wall time on {cores} cores; "
          f"HTTP round trip {1e6 / floor:.1f} µs + (signature {sign / 1e3:.1f} µs + HMAC "
          f"{hmac / 1e3:.2f} µs) / {cores} cores = {bound_us:.1f} µs → {actual_us / bound_us:.2f}× the floor.")
    raw = verify.get("verify/raw_verify_strict")
    full = verify.get("verify/jwt_verify")
    if raw and full:
        print(f"Core: Verifier::verify {full / 1e3:.2f} µs vs raw verify_strict {raw / 1e3:.2f} µs "
              f"(+{(full / raw - 1) * 100:.1f} %).")


if __name__ == "__main__":
    main()

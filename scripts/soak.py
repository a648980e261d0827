#!/usr/bin/env python3
"""Long-running soak: mixed redis-benchmark load, fuzzing clients and periodic
BGREWRITEAOF against one server, printing RSS, probe latency (p99, max) and errors over
time. Not part of CI.

    scripts/soak.py [--seconds 1800] [--server target/release/ferrokv-server]
                    [--interval 10] [--rewrite-every 60] [--fuzzers 4] [--clients 20]

`--server redis-server` soaks the reference the same way, for a side-by-side run.
A probe client sends SET/GET/INCR pairs every few milliseconds and checks every reply;
its latencies make the p99 column. Errors are wrong or missing replies seen by the probe
(fuzzing clients are expected to get errors; those are not counted). At the end, the
server must still answer and its AOF must load: the script restarts it on the same
directory and compares DBSIZE and the probe's counter.
"""

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def enc(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    def __init__(self, port, timeout=10):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-"):
            return (t, rest)
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ValueError(line)

    def call(self, *args):
        self.s.sendall(enc(*args))
        return self.reply()


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)
    except OSError:
        return float("nan")


def junk(rng):
    kind = rng.randrange(8)
    if kind == 0:
        return b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$-5\r\n"
    if kind == 1:
        return b"*1\r\n$2147483648\r\n"
    if kind == 2:
        return b"*2\r\n$3\r\nGET\r\n$100000\r\n" + b"a" * rng.randrange(1, 200000)
    if kind == 3:
        return b"x" * (70 * 1024)
    if kind == 4:
        return b'"unbalanced\r\n'
    if kind == 5:
        return enc("SRANDMEMBER", "s", -rng.randrange(1, 100000))
    if kind == 6:
        return enc("GET", "k" * rng.randrange(1, 100000))
    return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4096)))


def fuzzer(port, stop, seed):
    rng = random.Random(seed)
    while not stop.is_set():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=0.5)
            s.sendall(junk(rng))
            try:
                while s.recv(65536):
                    pass
            except OSError:
                pass
            s.close()
        except OSError:
            time.sleep(0.05)


class Probe:
    def __init__(self, port):
        self.port = port
        self.lat = []
        self.errors = 0
        self.counter = 0
        self.lock = threading.Lock()

    def run(self, stop):
        c = Conn(self.port)
        while not stop.is_set():
            t = time.perf_counter()
            try:
                got = c.call("INCR", "soak:counter")
                v = c.call("GET", "soak:counter")
                ok = got == self.counter + 1 and v == str(got).encode()
                if ok:
                    self.counter = got
            except (OSError, ValueError, ConnectionError):
                ok = False
                time.sleep(0.1)
                try:
                    c = Conn(self.port)
                except OSError:
                    pass
            dt = (time.perf_counter() - t) * 1000
            with self.lock:
                self.lat.append(dt)
                if not ok:
                    self.errors += 1
            time.sleep(0.002)

    def take(self):
        with self.lock:
            lat, self.lat = self.lat, []
            err, self.errors = self.errors, 0
        return lat, err


def start_server(binary, port, d):
    args = [binary, "--port", str(port), "--dir", d, "--appendonly", "yes",
            "--appendfsync", "everysec", "--save", ""]
    log = open(os.path.join(d, "server.log"), "ab")
    p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            c = Conn(port, timeout=1)
            r = c.call("PING")
            if r == (b"+", b"PONG"):
                return p
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("server did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=1800)
    ap.add_argument("--server", default="target/release/ferrokv-server")
    ap.add_argument("--interval", type=int, default=10)
    ap.add_argument("--rewrite-every", type=int, default=60)
    ap.add_argument("--fuzzers", type=int, default=4)
    ap.add_argument("--clients", type=int, default=20)
    a = ap.parse_args()
    if not shutil.which("redis-benchmark"):
        raise SystemExit("redis-benchmark is needed (apt-get install redis-tools)")
    d = tempfile.mkdtemp(prefix="soak-")
    port = free_port()
    srv = start_server(a.server, port, d)
    print(f"# {a.server} on port {port}, dir {d}, {a.seconds} s", flush=True)
    stop = threading.Event()
    bench = subprocess.Popen(
        ["redis-benchmark", "-p", str(port), "-c", str(a.clients), "-n", "2000000000",
         "-r", "100000", "-d", "100", "-l", "-q",
         "-t", "set,get,incr,lpush,rpop,sadd,hset,spop,zadd,lrange_100,mset"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    threads = [threading.Thread(target=fuzzer, args=(port, stop, i), daemon=True)
               for i in range(a.fuzzers)]
    probe = Probe(port)
    threads.append(threading.Thread(target=probe.run, args=(stop,), daemon=True))
    for t in threads:
        t.start()
    admin = Conn(port)
    start = time.time()
    last_rewrite = start
    rewrites = 0
    total_err = 0
    worst_p99 = 0.0
    peak_rss = 0.0
    print(f"{'t(s)':>6} {'rss(MB)':>8} {'p99(ms)':>8} {'max(ms)':>8} {'probes':>7} {'errors':>6} "
          f"{'clients':>7} {'rewrites':>8} {'keys':>8}", flush=True)
    try:
        while time.time() - start < a.seconds:
            time.sleep(a.interval)
            now = time.time()
            if now - last_rewrite >= a.rewrite_every:
                admin.call("BGREWRITEAOF")
                rewrites += 1
                last_rewrite = now
            lat, err = probe.take()
            lat.sort()
            p99 = lat[int(len(lat) * 0.99)] if lat else float("nan")
            mx = lat[-1] if lat else float("nan")
            info = admin.call("INFO", "clients")
            clients = next((l.split(b":")[1].decode() for l in info.split(b"\r\n")
                            if l.startswith(b"connected_clients:")), "?")
            keys = admin.call("DBSIZE")
            rss = rss_mb(srv.pid)
            total_err += err
            worst_p99 = max(worst_p99, p99 if lat else 0)
            peak_rss = max(peak_rss, rss)
            print(f"{int(now - start):>6} {rss:>8.1f} {p99:>8.2f} {mx:>8.2f} {len(lat):>7} {err:>6} "
                  f"{clients:>7} {rewrites:>8} {keys:>8}", flush=True)
            if srv.poll() is not None:
                print("# the server exited", flush=True)
                break
    finally:
        stop.set()
        bench.send_signal(signal.SIGINT)
        try:
            bench.wait(timeout=5)
        except subprocess.TimeoutExpired:
            # redis-benchmark -l does not always stop on SIGINT.
            bench.kill()
            bench.wait()
    alive = srv.poll() is None
    counter = probe.counter
    dbsize = admin.call("DBSIZE") if alive else None
    if alive:
        try:
            admin.call("SHUTDOWN")
        except (OSError, ConnectionError):
            pass
        srv.wait(timeout=60)
    srv = start_server(a.server, port, d)
    c = Conn(port)
    while True:
        r = c.call("DBSIZE")
        if isinstance(r, int):
            break
        time.sleep(0.1)
    got = c.call("GET", "soak:counter")
    try:
        c.call("SHUTDOWN", "NOSAVE")
    except (OSError, ConnectionError):
        pass
    srv.wait(timeout=60)
    ok = alive and r == dbsize and got == str(counter).encode() and total_err == 0
    print(f"# summary: peak rss {peak_rss:.1f} MB, worst p99 {worst_p99:.2f} ms, probe errors "
          f"{total_err}, rewrites {rewrites}, restart dbsize {r} (before {dbsize}), counter "
          f"{got.decode() if got else None} (expected {counter}): {'OK' if ok else 'FAILED'}",
          flush=True)
    shutil.rmtree(d, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generates src/commands/server/docs_data.rs: the COMMAND DOCS data of every ferrokv row.

The reference is redis-server 7.0: this script starts one (and a ferrokv server, for the
list of rows), asks both over RESP3, and writes, for every row ferrokv has, what Redis's
COMMAND DOCS says about it: summary, since, complexity, doc_flags, deprecated_since,
replaced_by, history and the argument tree (names, types, key_spec_index, tokens, since,
deprecated_since, optional/multiple/multiple_token). The group stays in the rows (it
drives ACL categories); a row whose group differs from Redis's is reported.

Rows Redis 7.0 does not have take their entry from EXTRA below (written by hand from the
Redis version that has them) and are reported.

Usage (from the repository root, after `cargo build`):

    python3 scripts/gen_command_docs.py [--redis-server PATH] [--ferrokv PATH] [--check]

`--check` writes nothing and fails when the file is not what would be generated.
"""

import argparse
import os
import socket
import subprocess
import sys
import time

OUT = "src/commands/server/docs_data.rs"

# Rows Redis 7.0 lacks, in the shape COMMAND DOCS gives (from Redis 7.2's JSON files).
EXTRA = {
    "client|setinfo": {
        "summary": "Sets information specific to the client or connection.",
        "since": "7.2.0",
        "group": "connection",
        "complexity": "O(1)",
        "arguments": [
            {
                "name": "attr",
                "type": "oneof",
                "arguments": [
                    {"name": "libname", "type": "string", "token": "LIB-NAME"},
                    {"name": "libver", "type": "string", "token": "LIB-VER"},
                ],
            }
        ],
    },
}

# The order Redis 7.0 writes the fields in (addReplyCommandDocs, addReplyCommandArgList);
# the encoder in docs.rs follows it, so anything else is refused here.
DOC_FIELDS = [
    "summary",
    "since",
    "group",
    "complexity",
    "doc_flags",
    "deprecated_since",
    "replaced_by",
    "history",
    "arguments",
    "subcommands",
]
ARG_FIELDS = [
    "name",
    "type",
    "key_spec_index",
    "token",
    "since",
    "deprecated_since",
    "flags",
    "arguments",
]
ARG_TYPES = {
    "string": "Str",
    "integer": "Int",
    "double": "Double",
    "key": "Key",
    "pattern": "Pattern",
    "unix-time": "UnixTime",
    "pure-token": "PureToken",
    "oneof": "OneOf",
    "block": "Block",
}
ARG_FLAGS = {"optional": "opt", "multiple": "multi", "multiple_token": "multi_token"}


class Conn:
    """A minimal RESP3 client: maps become lists of pairs, sets and arrays lists."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        i = self.buf.index(b"\r\n")
        line, self.buf = self.buf[:i], self.buf[i + 2 :]
        return line

    def _bulk(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2 :]
        return data

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._bulk(n).decode()
        if t in (b"*", b"~"):
            return [self.read() for _ in range(int(rest))]
        if t == b"%":
            return [(self.read(), self.read()) for _ in range(int(rest))]
        if t == b"_":
            return None
        raise ValueError(f"unexpected reply {line!r}")

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv, port):
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            c = Conn(port)
            c.call("PING")
            return proc, c
        except (OSError, EOFError):
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"{argv[0]} did not start")


def check_order(pairs, order, what):
    keys = [k for k, _ in pairs]
    known = [k for k in order if k in keys]
    if keys != known:
        sys.exit(f"{what}: unexpected fields or order {keys}")


def rust_str(s):
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20:
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def emit_args(args, indent):
    pad = " " * indent
    lines = []
    for a in args:
        if isinstance(a, dict):
            a = list(a.items())
        check_order(a, ARG_FIELDS, "argument")
        d = dict(a)
        s = f"arg({rust_str(d['name'])}, {ARG_TYPES[d['type']]})"
        if "key_spec_index" in d:
            s += f".key_spec({d['key_spec_index']})"
        if "token" in d:
            s += f".token({rust_str(d['token'])})"
        if "since" in d:
            s += f".since({rust_str(d['since'])})"
        if "deprecated_since" in d:
            s += f".deprecated_since({rust_str(d['deprecated_since'])})"
        for f in d.get("flags", []):
            s += f".{ARG_FLAGS[f]}()"
        if "arguments" in d:
            lines.append(f"{pad}{s}.args(&[")
            lines.extend(emit_args(d["arguments"], indent + 4))
            lines.append(f"{pad}]),")
        else:
            lines.append(f"{pad}{s},")
    return lines


def emit_docs(name, pairs):
    if isinstance(pairs, dict):
        pairs = list(pairs.items())
    check_order(pairs, DOC_FIELDS, name)
    d = dict(pairs)
    lines = [f"    (", f"        {rust_str(name)},", "        Docs {"]
    lines.append(f"            summary: {rust_str(d['summary'])},")
    lines.append(f"            since: {rust_str(d['since'])},")
    lines.append(f"            complexity: {rust_str(d.get('complexity', ''))},")
    flags = ", ".join(rust_str(f) for f in d.get("doc_flags", []))
    lines.append(f"            doc_flags: &[{flags}],")
    lines.append(f"            deprecated_since: {rust_str(d.get('deprecated_since', ''))},")
    lines.append(f"            replaced_by: {rust_str(d.get('replaced_by', ''))},")
    if d.get("history"):
        lines.append("            history: &[")
        for version, text in d["history"]:
            lines.append(f"                ({rust_str(version)}, {rust_str(text)}),")
        lines.append("            ],")
    else:
        lines.append("            history: &[],")
    if d.get("arguments"):
        lines.append("            args: &[")
        lines.extend(emit_args(d["arguments"], 16))
        lines.append("            ],")
    else:
        lines.append("            args: &[],")
    lines.append("        },")
    lines.append("    ),")
    return lines


def rustfmt(text):
    """The text as `cargo fmt` leaves it."""
    return subprocess.run(
        ["rustfmt", "--edition", "2021"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--redis-server", default="redis-server")
    ap.add_argument("--ferrokv", default="target/debug/ferrokv-server")
    ap.add_argument("--check", action="store_true")
    opts = ap.parse_args()

    rport, fport = free_port(), free_port()
    common = ["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"]
    rproc, redis = start([opts.redis_server, "--port", str(rport)] + common, rport)
    fproc, ferro = start([opts.ferrokv, "--port", str(fport)] + common, fport)
    try:
        redis.call("HELLO", "3")
        ferro.call("HELLO", "3")
        version = dict(redis.call("HELLO", "3"))["version"]
        if not version.startswith("7.0."):
            sys.exit(f"the reference must be redis-server 7.0, not {version}")
        rows = ferro.call("COMMAND", "LIST")
        entries = {}
        notes = []
        for name in rows:
            got = redis.call("COMMAND", "DOCS", name)
            mine = dict(ferro.call("COMMAND", "DOCS", name))[name]
            if got:
                (rname, docs), = got
                assert rname == name
            elif name in EXTRA:
                docs = EXTRA[name]
                notes.append(f"{name}: not in redis-server {version}; written by hand (EXTRA)")
            else:
                sys.exit(f"{name}: not in redis-server {version} and not in EXTRA")
            docs = [(k, v) for k, v in (docs.items() if isinstance(docs, dict) else docs)]
            group = dict(docs)["group"]
            if dict(mine)["group"] != group:
                notes.append(f"{name}: ferrokv's group {dict(mine)['group']} differs from {group}")
            entries[name] = [(k, v) for k, v in docs if k not in ("group", "subcommands")]
    finally:
        for p in (rproc, fproc):
            p.kill()
            p.wait()

    lines = [
        "//! COMMAND DOCS data of every row, keyed by full name, as redis-server "
        + version.rsplit(".", 1)[0]
        + " gives it.",
        "//!",
        "//! @generated by scripts/gen_command_docs.py from redis-server "
        + version
        + ": do not edit;",
        "//! run the script again after adding a row.",
        "",
        "use super::docs::ArgType::*;",
        "use super::docs::{arg, Docs};",
        "",
        "/// (full name, docs), sorted by name.",
        "pub static DOCS: &[(&str, Docs)] = &[",
    ]
    for name in sorted(entries):
        lines.extend(emit_docs(name, entries[name]))
    lines.append("];")
    text = rustfmt("\n".join(lines) + "\n")

    for n in notes:
        print(n, file=sys.stderr)
    if opts.check:
        with open(OUT) as f:
            if f.read() != text:
                sys.exit(f"{OUT} is not up to date: run scripts/gen_command_docs.py")
        return
    with open(OUT, "w") as f:
        f.write(text)
    print(f"{OUT}: {len(entries)} rows", file=sys.stderr)


if __name__ == "__main__":
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    main()

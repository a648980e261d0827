#!/usr/bin/env python3
"""Generates the COMMAND DOCS data of ferrokv's rows from a redis-server 7.0.

Every family file (src/commands/*.rs) ends with a generated `mod docs` between two
marker comments, holding one `Docs` constant per row of the family; a row points at its
constant with `.docs(&docs::NAME)`, NAME being its full name in upper case with `|` and
`-` written `_` (`docs::CONFIG_GET` for CONFIG GET). This script finds those references,
asks a redis-server 7.0 (started here) for COMMAND DOCS of each over RESP3, and writes
the block: summary, since, complexity, doc_flags, deprecated_since, replaced_by,
history, and the argument tree (names, types, key_spec_index, tokens, since,
deprecated_since, optional/multiple/multiple_token). The group is not generated: it is
part of the row (`.group(Group::X)`; it also drives ACL categories).

Rows Redis 7.0 does not have take their entry from EXTRA below (written by hand from the
Redis version that has them); the script reports them.

Adding a row: write it with `.docs(&docs::NAME)` and run, from the repository root,

    python3 scripts/gen_command_docs.py [--redis-server PATH] [--check]

`--check` writes nothing and fails when a file is not what would be generated.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import time

FAMILIES = "src/commands"
BEGIN = "// @generated begin: COMMAND DOCS"
END = "// @generated end: COMMAND DOCS"

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


def const_name(full):
    return full.replace("|", "_").replace("-", "_").upper()


def emit_docs(name, pairs):
    if isinstance(pairs, dict):
        pairs = list(pairs.items())
    check_order(pairs, DOC_FIELDS, name)
    d = dict(pairs)
    lines = [f"    pub const {const_name(name)}: Docs = Docs {{"]
    lines.append(f"        name: {rust_str(name)},")
    lines.append(f"        summary: {rust_str(d['summary'])},")
    lines.append(f"        since: {rust_str(d['since'])},")
    lines.append(f"        complexity: {rust_str(d.get('complexity', ''))},")
    flags = ", ".join(rust_str(f) for f in d.get("doc_flags", []))
    lines.append(f"        doc_flags: &[{flags}],")
    lines.append(f"        deprecated_since: {rust_str(d.get('deprecated_since', ''))},")
    lines.append(f"        replaced_by: {rust_str(d.get('replaced_by', ''))},")
    if d.get("history"):
        lines.append("        history: &[")
        for version, text in d["history"]:
            lines.append(f"            ({rust_str(version)}, {rust_str(text)}),")
        lines.append("        ],")
    else:
        lines.append("        history: &[],")
    if d.get("arguments"):
        lines.append("        args: &[")
        lines.extend(emit_args(d["arguments"], 12))
        lines.append("        ],")
    else:
        lines.append("        args: &[],")
    lines.append("    };")
    return lines


def block(version, entries):
    """The generated `mod docs` of one family file."""
    has_args = any(dict(e).get("arguments") for e in entries.values())
    lines = [
        f"{BEGIN} of this family's rows, from redis-server {version}",
        "// by scripts/gen_command_docs.py. Do not edit: run the script after adding a row.",
        "mod docs {",
    ]
    if has_args:
        lines.append("    use crate::commands::docs::ArgType::*;")
        lines.append("    use crate::commands::docs::{arg, Docs};")
    else:
        lines.append("    use crate::commands::docs::Docs;")
    for name in sorted(entries):
        lines.append("")
        lines.extend(emit_docs(name, entries[name]))
    lines.append("}")
    lines.append(END)
    return "\n".join(lines) + "\n"


def place(text, blk):
    """The file with its generated block replaced, or added before its final test
    module (or at its end)."""
    if BEGIN in text:
        a = text.index(BEGIN)
        b = text.index(END, a) + len(END) + 1
        return text[:a] + blk + text[b:]
    tests = text.rfind("\n#[cfg(test)]\nmod tests {")
    if tests >= 0 and text.index("\n}\n", tests) + 3 == len(text):
        # Items after the test module would upset clippy (items_after_test_module).
        return text[: tests + 1] + blk + "\n" + text[tests + 1 :]
    return text.rstrip("\n") + "\n\n" + blk


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
    ap.add_argument("--check", action="store_true")
    opts = ap.parse_args()

    files = sorted(
        os.path.join(FAMILIES, f)
        for f in os.listdir(FAMILIES)
        if f.endswith(".rs") and f not in ("mod.rs", "docs.rs")
    )
    refs = {}
    for path in files:
        with open(path) as f:
            text = f.read()
        # References in the rows (the generated block is not looked at).
        if BEGIN in text:
            text = text[: text.index(BEGIN)] + text[text.index(END) :]
        refs[path] = sorted(set(re.findall(r"\bdocs::([A-Z][A-Z0-9_]*)\b", text)))

    port = free_port()
    common = ["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"]
    proc, redis = start([opts.redis_server, "--port", str(port)] + common, port)
    notes = []
    try:
        version = dict(redis.call("HELLO", "3"))["version"]
        if not version.startswith("7.0."):
            sys.exit(f"the reference must be redis-server 7.0, not {version}")
        by_const = {const_name(n): n for n in redis.call("COMMAND", "LIST")}
        for n in EXTRA:
            by_const[const_name(n)] = n
        docs = {}
        for path, consts in refs.items():
            for c in consts:
                if c not in by_const:
                    sys.exit(f"{path}: docs::{c} names no command of redis-server {version}")
                name = by_const[c]
                got = redis.call("COMMAND", "DOCS", name) if name not in EXTRA else []
                if got:
                    ((rname, d),) = got
                    assert rname == name
                else:
                    d = list(EXTRA[name].items())
                    notes.append(f"{name}: not in redis-server {version}; written by hand (EXTRA)")
                docs.setdefault(path, {})[name] = [
                    (k, v) for k, v in d if k not in ("group", "subcommands")
                ]
    finally:
        proc.kill()
        proc.wait()

    stale = []
    for path in files:
        with open(path) as f:
            old = f.read()
        if path not in docs:
            continue
        new = rustfmt(place(old, block(version, docs[path])))
        if new == old:
            continue
        stale.append(path)
        if not opts.check:
            with open(path, "w") as f:
                f.write(new)
    for n in notes:
        print(n, file=sys.stderr)
    if opts.check and stale:
        sys.exit("not up to date (run scripts/gen_command_docs.py): " + ", ".join(stale))
    total = sum(len(v) for v in docs.values())
    print(f"{total} rows in {len(docs)} files; {len(stale)} files changed", file=sys.stderr)


if __name__ == "__main__":
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    main()

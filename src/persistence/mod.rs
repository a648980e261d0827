//! Persistence: the append-only file.
//!
//! `AofFeed` is the one place commands enter the AOF: the dispatcher feeds every command
//! that changed the data (in its deterministic form) here, as RESP multibulk, with a
//! SELECT whenever the database changes. The loop writes the buffer once per iteration,
//! before any reply of that iteration goes out.

use crate::commands::Args;
use crate::store::bytes::Sds;

#[derive(Default)]
pub struct AofFeed {
    pub enabled: bool,
    /// Commands of this loop iteration, not yet written.
    pub buf: Vec<u8>,
    /// The database the file is at, as far as the last SELECT written says.
    pub selected_db: Option<usize>,
    /// Inside EXEC: the first command fed opens a MULTI.
    in_exec: bool,
    multi_written: bool,
}

impl AofFeed {
    /// EXEC starts: what it feeds is wrapped in MULTI ... EXEC.
    pub fn begin_exec(&mut self) {
        self.in_exec = true;
        self.multi_written = false;
    }

    /// EXEC ends: closes the MULTI if one was opened.
    pub fn end_exec(&mut self) {
        if self.multi_written {
            self.buf.extend_from_slice(b"*1\r\n$4\r\nEXEC\r\n");
        }
        self.in_exec = false;
        self.multi_written = false;
    }

    fn select(&mut self, db: usize) {
        if self.selected_db != Some(db) {
            let mut n = itoa::Buffer::new();
            let d = n.format(db);
            self.buf.extend_from_slice(b"*2\r\n$6\r\nSELECT\r\n$");
            self.buf
                .extend_from_slice(itoa::Buffer::new().format(d.len()).as_bytes());
            self.buf.extend_from_slice(b"\r\n");
            self.buf.extend_from_slice(d.as_bytes());
            self.buf.extend_from_slice(b"\r\n");
            self.selected_db = Some(db);
        }
        if self.in_exec && !self.multi_written {
            self.multi_written = true;
            self.buf.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n");
        }
    }

    fn part(&mut self, p: &[u8]) {
        self.buf.push(b'$');
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(p.len()).as_bytes());
        self.buf.extend_from_slice(b"\r\n");
        self.buf.extend_from_slice(p);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// Appends a command as received.
    pub fn feed_args(&mut self, db: usize, args: &Args) {
        if !self.enabled {
            return;
        }
        self.select(db);
        self.buf.push(b'*');
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(args.len()).as_bytes());
        self.buf.extend_from_slice(b"\r\n");
        for a in args.iter() {
            self.part(a);
        }
    }

    /// Appends a command built by the server (a rewritten form, a DEL of an expired key).
    pub fn feed_sds(&mut self, db: usize, parts: &[Sds]) {
        if !self.enabled {
            return;
        }
        self.select(db);
        self.buf.push(b'*');
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(parts.len()).as_bytes());
        self.buf.extend_from_slice(b"\r\n");
        for p in parts {
            self.part(p);
        }
    }
}

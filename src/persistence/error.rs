//! The errors of the persistence layer, typed.
//!
//! Each variant carries what its text needs (file names, offsets, the `io::Error`), and
//! `Display` renders the exact text the server has always used: Redis's wording where
//! Redis has one, the RESP error text for the ones that become replies (BGREWRITEAOF's
//! `ERR ...`). The caller decides what an error becomes — a log line, a reply, the reason
//! start-up stops — and turns it into text in that one place.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// What is wrong with the text of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestError {
    /// A line longer than Redis's 1024-byte line buffer.
    LineTooLong,
    /// Not a single line.
    Empty,
    /// A line that breaks the format: what is wrong, its number (from 1) and its
    /// trimmed text.
    Line {
        kind: LineError,
        line: usize,
        text: String,
    },
}

/// What is wrong with one manifest line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineError {
    InvalidFormat,
    FileIsPath,
    DuplicateBase,
    NonMonotonic,
    UnknownType,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LineError::InvalidFormat => "Invalid AOF manifest file format",
            LineError::FileIsPath => "File can't be a path, just a filename",
            LineError::DuplicateBase => "Found duplicate base file information",
            LineError::NonMonotonic => "Found a non-monotonic sequence number",
            LineError::UnknownType => "Unknown AOF file type",
        })
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::LineTooLong => {
                f.write_str("The AOF manifest file contains too long line")
            }
            ManifestError::Empty => f.write_str("Found an empty AOF manifest"),
            ManifestError::Line { kind, line, text } => {
                write!(f, "{kind} (at line {line}: '{text}')")
            }
        }
    }
}

impl std::error::Error for ManifestError {}

/// Which sequence of the manifest a new file is numbered from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqKind {
    Base,
    Incr,
}

impl fmt::Display for SeqKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SeqKind::Base => "base",
            SeqKind::Incr => "incr",
        })
    }
}

/// An error of the AOF: loading, opening, rewriting, or the manifest.
#[derive(Debug)]
pub enum AofError {
    // --- the manifest ---
    /// The manifest at `path` does not parse.
    Manifest { path: PathBuf, err: ManifestError },
    /// The manifest exists but cannot be read.
    ManifestOpen { path: PathBuf, err: io::Error },
    /// Writing the new manifest failed (its own steps log the details).
    PersistManifest(io::Error),
    /// The last sequence number of the manifest leaves no room for the next file's.
    SeqOverflow { kind: SeqKind, seq: i64 },

    // --- directories and files ---
    /// The AOF directory (as configured, or its full path) cannot be created.
    CreateDir { dir: PathBuf, err: io::Error },
    /// The base written at start-up.
    CreateBase { name: String, err: io::Error },
    /// An incremental file cannot be opened for appending.
    OpenAppend { name: String, err: io::Error },
    /// Moving a Redis < 7 `appendonly.aof` into the AOF directory failed.
    MigrateOld {
        filename: String,
        dir: String,
        err: io::Error,
    },

    // --- loading ---
    /// A file the manifest lists is not there.
    Missing { name: String, err: io::Error },
    /// A file the manifest lists cannot be opened.
    OpenRead { name: String, err: io::Error },
    /// Reading a file failed.
    Read { name: String, err: io::Error },
    /// The base is in RDB form, which cannot be loaded yet.
    RdbBase { path: PathBuf },
    /// A command nobody knows (`name` is already sanitized for the log).
    UnknownCommand {
        name: String,
        file: String,
        offset: u64,
    },
    /// A known command with the wrong arity or subcommand; `msg` is the command
    /// error without its `ERR ` prefix.
    BadCommand {
        file: String,
        offset: u64,
        msg: String,
    },
    /// Bytes that break the format.
    BadFormat {
        file: String,
        offset: u64,
        msg: String,
    },
    /// A torn last command (or open MULTI) and `aof-load-truncated no`.
    UnexpectedEof {
        file: String,
        valid_up_to: u64,
        size: u64,
    },
    /// A torn command at the end of a file other than the last.
    TruncatedNotLast { file: String, valid_up_to: u64 },
    /// Cutting a torn tail failed.
    Truncate { file: String, err: io::Error },

    // --- writing ---
    /// The reply writes get while the AOF cannot be written (Redis's MISCONF for the AOF):
    /// the last write or fsync failed with `errno`.
    WriteDenied { errno: i32 },

    // --- rewrite ---
    /// BGREWRITEAOF (reply text) while a rewrite runs.
    RewriteInProgress,
    /// BGREWRITEAOF (reply text) when the rewrite could not start; the cause was logged.
    BgRewriteFailed,
    /// The pipe or the fork of a rewrite failed (`what`: "pipe" or "fork").
    Spawn { what: &'static str, err: io::Error },
    /// Moving the child's temporary base into place failed.
    RenameBase {
        tmp: PathBuf,
        name: String,
        err: io::Error,
    },
    /// Moving the temporary incremental file (AOF being turned on) into place failed.
    RenameIncr {
        tmp: String,
        name: String,
        err: io::Error,
    },
}

impl fmt::Display for AofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use AofError::*;
        match self {
            Manifest { path, err } => write!(f, "{err} in the AOF manifest {}", path.display()),
            ManifestOpen { path, err } => write!(
                f,
                "Fatal error: can't open the AOF manifest file {} for reading: {err}",
                path.display()
            ),
            PersistManifest(err) => write!(f, "Can't persist the AOF manifest: {err}"),
            SeqOverflow { kind, seq } => write!(
                f,
                "Invalid AOF file sequence: the AOF manifest's {kind} sequence number {seq} leaves no room for a new {kind} file"
            ),
            CreateDir { dir, err } => write!(
                f,
                "Can't open or create append-only dir {}: {err}",
                dir.display()
            ),
            CreateBase { name, err } => write!(f, "Can't create the AOF base file {name}: {err}"),
            OpenAppend { name, err } => write!(f, "Can't open the append-only file {name}: {err}"),
            MigrateOld { filename, dir, err } => write!(
                f,
                "Error trying to move the old AOF file {filename} into dir {dir}: {err}"
            ),
            Missing { name, err } => write!(
                f,
                "The append log file {name} doesn't exist: {err}. Fatal error: an AOF file listed in the manifest is missing"
            ),
            OpenRead { name, err } => write!(
                f,
                "Fatal error: can't open the append log file {name} for reading: {err}"
            ),
            Read { name, err } => write!(
                f,
                "Unrecoverable error reading the append only file {name}: {err}"
            ),
            RdbBase { path } => write!(
                f,
                "The AOF base file {} is in RDB format (written with aof-use-rdb-preamble yes), which this server cannot load yet. Nothing was modified. Convert it by loading it in redis-server with aof-use-rdb-preamble no and running BGREWRITEAOF.",
                path.display()
            ),
            UnknownCommand { name, file, offset } => write!(
                f,
                "Unknown command '{name}' reading the append only file {file} at offset {offset}"
            ),
            BadCommand { file, offset, msg } => write!(
                f,
                "Bad command in the append only file {file} at offset {offset}: {msg}"
            ),
            BadFormat { file, offset, msg } => write!(
                f,
                "Bad file format reading the append only file {file} at offset {offset}: {msg}. Make a backup of your AOF file, then use ferrokv-check-aof --fix <filename.manifest>"
            ),
            UnexpectedEof {
                file,
                valid_up_to,
                size,
            } => write!(
                f,
                "Unexpected end of file reading the append only file {file} (the last complete command ends at offset {valid_up_to}, the file is {size} bytes). You can: 1) Make a backup of your AOF file, then use ferrokv-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."
            ),
            TruncatedNotLast { file, valid_up_to } => write!(
                f,
                "Fatal error: the truncated file {file} is not the last file (it ends with an incomplete command after offset {valid_up_to})"
            ),
            Truncate { file, err } => write!(f, "Error truncating the AOF file {file}: {err}"),
            WriteDenied { errno } => write!(
                f,
                "MISCONF Errors writing to the AOF file: {}",
                super::strerror(*errno)
            ),
            RewriteInProgress => {
                f.write_str("ERR Background append only file rewriting already in progress")
            }
            BgRewriteFailed => f.write_str(
                "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
            ),
            Spawn { what, err } => write!(
                f,
                "Can't rewrite append only file in background: {what}: {err}"
            ),
            RenameBase { tmp, name, err } => write!(
                f,
                "Error trying to rename the temporary AOF base file {} into {name}: {err}",
                tmp.display()
            ),
            RenameIncr { tmp, name, err } => write!(
                f,
                "Error trying to rename the temporary AOF incr file {tmp} into {name}: {err}"
            ),
        }
    }
}

impl std::error::Error for AofError {}

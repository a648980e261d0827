//! The loader: reads config-file text (Redis `loadServerConfigFromString`: one
//! directive per line, `include`, `rename-command`, `user`, deprecated and refused
//! directives) and the command line (`from_args`: a file, stdin, `--directive value`
//! options), with Redis's fatal error texts. Lines are split by `util::split`.

#![deny(clippy::indexing_slicing)]

use std::io::Read;
use std::path::{Component, Path};

use super::*;
use crate::util::split::{repr_into, split_args};

pub(super) fn trim_bytes<'a>(mut s: &'a [u8], set: &[u8]) -> &'a [u8] {
    while let Some((f, rest)) = s.split_first() {
        if !set.contains(f) {
            break;
        }
        s = rest;
    }
    while let Some((l, rest)) = s.split_last() {
        if !set.contains(l) {
            break;
        }
        s = rest;
    }
    s
}

/// The error Redis prints when the configuration cannot be loaded: `reason`, at
/// `line` (its number and text) if there is one.
pub(super) fn fatal(line: Option<(usize, &[u8])>, reason: impl Into<ConfigError>) -> ConfigError {
    ConfigError::Fatal {
        line: line.map(|(n, text)| (n, text.to_vec())),
        reason: Box::new(reason.into()),
    }
}

pub(super) fn open_error(path: &str, error: std::io::Error) -> ConfigError {
    ConfigError::Open {
        path: path.to_string(),
        error,
    }
}

/// Makes `p` absolute against the current directory, dropping `.` and resolving `..`
/// lexically (symbolic links are kept, like Redis).
pub(super) fn absolute_path(p: &Path) -> PathBuf {
    let base = if p.is_absolute() {
        PathBuf::new()
    } else {
        std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"))
    };
    let mut out = base;
    for comp in p.components() {
        match comp {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

pub(super) struct Loader<'a> {
    c: &'a mut Config,
    ctx: SetCtx,
    depth: usize,
}

impl Loader<'_> {
    /// Reads directives from `text` (Redis `loadServerConfigFromString`). Errors are the
    /// complete text to print.
    fn load_text(&mut self, text: &[u8]) -> Result<(), ConfigError> {
        for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line = trim_bytes(raw, b" \t\r\n");
            if matches!(line.first(), None | Some(b'#')) {
                continue;
            }
            let here = Some((i + 1, line));
            let argv = split_args(line)
                .ok_or_else(|| fatal(here, "Unbalanced quotes in configuration line"))?;
            let Some((name, values)) = argv.split_first() else {
                continue;
            };
            let name = name.to_ascii_lowercase();
            if let Some(e) = lookup(&name) {
                if e.d.flags & MULTI_ARG == 0 && argv.len() != 2 {
                    return Err(fatal(here, "wrong number of arguments"));
                }
                // A multi-argument directive given one non-empty argument has it split
                // again (so `--bind "a b"` and `save "3600 1"` work), as in Redis.
                let split;
                let values = match values {
                    [one] if e.d.flags & MULTI_ARG != 0 && !one.is_empty() => {
                        split = split_args(one).unwrap_or_default();
                        split.as_slice()
                    }
                    _ => values,
                };
                e.d.set(self.c, values, &mut self.ctx)
                    .map_err(|m| fatal(here, m))?;
                continue;
            }
            if DEPRECATED.iter().any(|&(n, lo, hi)| {
                n.as_bytes() == name.as_slice() && (lo..=hi).contains(&argv.len())
            }) {
                continue;
            }
            match (name.as_slice(), values) {
                (b"include", [path]) => self.include(path)?,
                (b"rename-command", [from, to]) => {
                    self.c.rename_commands.push((lossy(from), lossy(to)));
                }
                (b"user", [_, ..]) => {
                    self.c.users.push(values.iter().map(|a| lossy(a)).collect());
                }
                (b"loadmodule", [_, ..]) => {
                    return Err(fatal(here, "Modules are not supported by this server"));
                }
                (_, _) if name.contains(&b'.') => {
                    let msg = if argv.len() != 2 {
                        "Module config specified without value"
                    } else {
                        "Modules are not supported by this server"
                    };
                    return Err(fatal(here, msg));
                }
                (b"sentinel", _) => {
                    let msg = if values.is_empty() {
                        "Sentinel mode is not supported by this server"
                    } else {
                        "sentinel directive while not in sentinel mode"
                    };
                    return Err(fatal(here, msg));
                }
                _ => return Err(fatal(here, "Bad directive or wrong number of arguments")),
            }
        }
        Ok(())
    }

    /// `include path`: the file (or every file a `*?[` pattern in its last component
    /// matches, in name order) is read right away, with its own line numbers.
    fn include(&mut self, arg: &[u8]) -> Result<(), ConfigError> {
        if self.depth >= 32 {
            return Err(fatal(None, "Too many nested include directives"));
        }
        let shown = lossy(arg);
        let path = self.c.dir.join(&shown);
        let mut files = Vec::new();
        if arg.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
            let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let pattern = path.file_name().map(|f| f.to_string_lossy().into_owned());
            let (Some(pattern), Ok(rd)) = (pattern, std::fs::read_dir(&parent)) else {
                return Ok(());
            };
            let mut names: Vec<String> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.') || pattern.starts_with('.'))
                .filter(|n| glob_match(pattern.as_bytes(), n.as_bytes(), false))
                .collect();
            names.sort();
            files.extend(
                names
                    .into_iter()
                    .map(|n| (parent.join(&n).display().to_string(), parent.join(n))),
            );
        } else {
            files.push((shown, path));
        }
        for (shown, path) in files {
            let text = std::fs::read(&path).map_err(|e| open_error(&shown, e))?;
            self.depth += 1;
            let r = self.load_text(&text);
            self.depth -= 1;
            r?;
        }
        Ok(())
    }
}

impl Config {
    /// What `argv[1]` asks for before any configuration is read: `-v`/`--version` or
    /// `-h`/`--help` (only as the first argument, like redis-server). The caller checks
    /// this before `from_args`, which would otherwise reject them as directives.
    pub fn early_exit(args: &[String]) -> Option<EarlyExit> {
        match args.first().map(String::as_str) {
            Some("-v" | "--version") => Some(EarlyExit::Version),
            Some("-h" | "--help") => Some(EarlyExit::Help),
            _ => None,
        }
    }

    /// Builds the configuration from `argv[1..]`: an optional config file path first
    /// (when it does not start with `-`), `-` as first or last argument to also read
    /// stdin, then `--directive value ...` which are appended as extra lines after the
    /// file (so they override it; values are quoted, so `--save ""` works). On error
    /// returns the full text to print on stderr before exiting with status 1: Redis's
    /// "FATAL CONFIG FILE ERROR" block, or "Fatal error, can't open config file ...".
    /// See `early_exit` for `--version` / `--help`.
    pub fn from_args(args: &[String]) -> Result<Config, ConfigError> {
        let mut c = Config::default();
        if args.is_empty() {
            return Ok(c);
        }
        let n = args.len();
        let mut first = 0;
        if let Some(file) = args.first().filter(|a| !a.starts_with('-')) {
            c.config_file = Some(absolute_path(Path::new(file)));
            first = 1;
        }
        let mut from_stdin = false;
        let mut options: Vec<u8> = Vec::new();
        let mut handled_last_arg = true;
        for (j, arg) in args.iter().enumerate().skip(first) {
            let a = arg.as_bytes();
            if a == b"-" && (j == 0 || j == n - 1) {
                from_stdin = true;
            } else if let (true, Some(option)) = (handled_last_arg, a.strip_prefix(b"--")) {
                if !options.is_empty() {
                    options.push(b'\n');
                }
                options.extend_from_slice(option);
                options.push(b' ');
                if split_args(a).is_some_and(|v| v.len() == 1) {
                    // A bare option name: its values follow. `--save` with nothing after
                    // it means `save ""`.
                    handled_last_arg = false;
                    let is_save = arg.eq_ignore_ascii_case("--save");
                    let next = args.get(j + 1);
                    if is_save && next.is_none_or(|next| next.starts_with("--")) {
                        options.extend_from_slice(b"\"\"");
                        handled_last_arg = true;
                    }
                } else {
                    handled_last_arg = true;
                }
            } else {
                repr_into(a, &mut options);
                options.push(b' ');
                handled_last_arg = true;
            }
        }

        let mut text = Vec::new();
        if let Some(path) = &c.config_file {
            let mut f =
                std::fs::File::open(path).map_err(|e| open_error(&path.to_string_lossy(), e))?;
            f.read_to_end(&mut text)
                .map_err(|e| open_error(&path.to_string_lossy(), e))?;
        }
        if from_stdin {
            std::io::stdin()
                .read_to_end(&mut text)
                .map_err(ConfigError::Stdin)?;
        }
        text.push(b'\n');
        text.extend_from_slice(&options);
        c.load_str(&text)?;
        Ok(c)
    }

    /// Applies config-file text on top of this configuration (as if it followed the
    /// file given on the command line), then runs the end-of-load checks. Errors are
    /// the full text to print.
    pub fn load_str(&mut self, text: &[u8]) -> Result<(), ConfigError> {
        let mut loader = Loader {
            c: self,
            ctx: SetCtx {
                reading_file: true,
                save_loaded: false,
            },
            depth: 0,
        };
        loader.load_text(text)?;
        if !self.logfile.is_empty() {
            let path = self.dir.join(&self.logfile);
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .map_err(|e| fatal(None, ConfigError::LogFile(e)))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::{args, fatal_at, get1, tmpdir};

    #[test]
    fn parses_sample_file() {
        let dir = tmpdir("sample");
        let inc = dir.join("extra.conf");
        std::fs::write(&inc, "hz 20\n").unwrap();
        let path = dir.join("redis.conf");
        let text = format!(
            "# comment\n\
             \n\
             bind 127.0.0.1 -::1\n\
             port 7000\n\
             protected-mode NO\n\
             requirepass \"se cr\\x01et\"\n\
             dir {dir}\n\
             maxmemory 1gb\n\
             maxmemory-clients 10%\n\
             auto-aof-rewrite-min-size 100k\n\
             unixsocketperm 700\n\
             maxmemory-policy ALLKEYS-LRU\n\
             appendfsync always\n\
             loglevel warning\n\
             shutdown-on-sigint nosave now\n\
             save 900 1\n\
             save 300 10\n\
             notify-keyspace-events KEA\n\
             hash-max-ziplist-entries 64\n\
             slave-read-only no\n\
             lua-time-limit 100\n\
             client-output-buffer-limit pubsub 64mb 16mb 90 replica 1gb 0 0\n\
             enable-debug-command local\n\
             logfile ''\n\
             appendonly yes\n\
             replicaof 10.0.0.1 6380\n\
             rename-command FLUSHALL \"\"\n\
             list-max-ziplist-entries 5\n\
             include {inc}\n\
             slowlog-log-slower-than -1\n\
             list-max-listpack-size -3\n",
            dir = dir.display(),
            inc = inc.display()
        );
        std::fs::write(&path, text).unwrap();
        let c = Config::from_args(&args(&[path.to_str().unwrap()])).unwrap();
        assert_eq!(c.config_file.as_deref(), Some(path.as_path()));
        assert_eq!(c.bind, vec!["127.0.0.1", "-::1"]);
        assert_eq!(c.port, 7000);
        assert!(!c.protected_mode);
        assert_eq!(c.requirepass.as_deref(), Some(&b"se cr\x01et"[..]));
        assert_eq!(c.dir, std::fs::canonicalize(&dir).unwrap());
        assert_eq!(c.maxmemory, 1 << 30);
        assert_eq!(c.maxmemory_clients, -10);
        assert_eq!(get1(&c, "maxmemory-clients"), "10%");
        assert_eq!(c.auto_aof_rewrite_min_size, 100_000);
        assert_eq!(c.unixsocketperm, 0o700);
        assert_eq!(get1(&c, "unixsocketperm"), "700");
        assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::AllkeysLru);
        assert_eq!(c.appendfsync, AppendFsync::Always);
        assert_eq!(c.loglevel, LogLevel::Warning);
        assert_eq!(
            c.shutdown_on_sigint,
            shutdown_flags::NOSAVE | shutdown_flags::NOW
        );
        assert_eq!(get1(&c, "shutdown-on-sigint"), "nosave now");
        assert_eq!(c.save, vec![(900, 1), (300, 10)]);
        assert_eq!(get1(&c, "notify-keyspace-events"), "AKE");
        assert_eq!(
            c.notify_keyspace_events,
            notify_flags::ALL | notify_flags::KEYSPACE | notify_flags::KEYEVENT
        );
        assert_eq!(c.hash_max_listpack_entries, 64);
        assert!(!c.replica_read_only);
        assert_eq!(c.busy_reply_threshold, 100);
        assert_eq!(
            c.client_output_buffer_limit_pubsub,
            (64 << 20, 16 << 20, 90)
        );
        assert_eq!(c.client_output_buffer_limit_replica, (1 << 30, 0, 0));
        assert_eq!(c.client_output_buffer_limit_normal, (0, 0, 0));
        assert_eq!(c.enable_debug_command, "local");
        assert_eq!(c.logfile, "");
        assert!(c.appendonly);
        assert_eq!(c.replicaof, Some(("10.0.0.1".to_string(), 6380)));
        assert_eq!(get1(&c, "slaveof"), "10.0.0.1 6380");
        assert_eq!(
            c.rename_commands,
            vec![("FLUSHALL".to_string(), String::new())]
        );
        assert_eq!(c.hz, 20);
        assert_eq!(c.slowlog_log_slower_than, -1);
        assert_eq!(c.list_max_listpack_size, -3);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn command_line_overrides_file() {
        let dir = tmpdir("cmdline");
        let path = dir.join("a.conf");
        std::fs::write(&path, "port 7001\nsave 100 1\nmaxmemory 10mb\n").unwrap();
        let p = path.to_str().unwrap();
        let c = Config::from_args(&args(&[p, "--port", "7002", "--maxmemory", "2mb"])).unwrap();
        assert_eq!(c.port, 7002);
        assert_eq!(c.maxmemory, 2 << 20);
        // Command-line save lines add to the file's, like Redis.
        let c = Config::from_args(&args(&[p, "--save", "60", "5"])).unwrap();
        assert_eq!(c.save, vec![(100, 1), (60, 5)]);
        let c = Config::from_args(&args(&[p, "--save", ""])).unwrap();
        assert!(c.save.is_empty());
        std::fs::write(&path, "save 100 1\nsave \"\"\nsave 5 5\n").unwrap();
        let c = Config::from_args(&args(&[p])).unwrap();
        assert_eq!(c.save, vec![(5, 5)]);
        assert_eq!(get1(&c, "save"), "5 5");
        let c = Config::from_args(&args(&["--save", "--port", "7003"])).unwrap();
        assert!(c.save.is_empty());
        assert_eq!(c.port, 7003);
        let c = Config::from_args(&args(&["--port", "7004", "--save"])).unwrap();
        assert!(c.save.is_empty());
        // Several values, and an option with its value in one argument.
        let c = Config::from_args(&args(&["--bind", "127.0.0.1", "::1", "--port 7005"])).unwrap();
        assert_eq!(c.bind, vec!["127.0.0.1", "::1"]);
        assert_eq!(c.port, 7005);
        // Values with spaces and quotes survive.
        let c = Config::from_args(&args(&["--requirepass", "a \"b\" c"])).unwrap();
        assert_eq!(c.requirepass.as_deref(), Some(&b"a \"b\" c"[..]));
        let c = Config::from_args(&[]).unwrap();
        assert_eq!(c.port, 6379);
        assert!(c.config_file.is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fatal_error_texts() {
        let e = Config::from_args(&args(&["--port", "abc"]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            fatal_at(
                2,
                "port \"abc\"",
                "argument couldn't be parsed into an integer"
            )
        );
        let e = Config::from_args(&args(&["--port", "1", "--version"]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            fatal_at(3, "version", "Bad directive or wrong number of arguments")
        );
        let e = Config::from_args(&args(&["--protected-mode", "maybe"]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            fatal_at(
                2,
                "protected-mode \"maybe\"",
                "argument must be 'yes' or 'no'"
            )
        );
        let e = Config::from_args(&args(&["--port", "70000"]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            fatal_at(
                2,
                "port \"70000\"",
                "argument must be between 0 and 65535 inclusive"
            )
        );
        let e = Config::from_args(&args(&["--loglevel", "foo"]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            fatal_at(
                2,
                "loglevel \"foo\"",
                "argument(s) must be one of the following: debug, verbose, notice, warning"
            )
        );
        let e = Config::from_args(&args(&["--maxmemory", "1x"]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            fatal_at(2, "maxmemory \"1x\"", "argument must be a memory value")
        );
        let e = Config::from_args(&args(&["--port"]))
            .unwrap_err()
            .to_string();
        assert_eq!(e, fatal_at(2, "port", "wrong number of arguments"));
        let e = Config::from_args(&args(&["--port", "1", "2"]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            fatal_at(2, "port \"1\" \"2\"", "wrong number of arguments")
        );
        let e = Config::from_args(&args(&["--daemonize", "yes"]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(">>> 'daemonize \"yes\"'\ndaemonize yes is not supported"),
            "{}",
            e
        );

        let dir = tmpdir("fatal");
        let path = dir.join("bad.conf");
        let p = path.to_str().unwrap();
        std::fs::write(&path, "port 7000\nport \"abc\"\n").unwrap();
        let e = Config::from_args(&args(&[p, "--port", "1"]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            fatal_at(
                2,
                "port \"abc\"",
                "argument couldn't be parsed into an integer"
            )
        );
        std::fs::write(&path, "  foo bar  \r\n").unwrap();
        let e = Config::from_args(&args(&[p])).unwrap_err().to_string();
        assert_eq!(
            e,
            fatal_at(1, "foo bar", "Bad directive or wrong number of arguments")
        );
        std::fs::write(&path, "port \"abc\n").unwrap();
        let e = Config::from_args(&args(&[p])).unwrap_err().to_string();
        assert_eq!(
            e,
            fatal_at(1, "port \"abc", "Unbalanced quotes in configuration line")
        );
        std::fs::write(&path, "port 7001\n").unwrap();
        let e = Config::from_args(&args(&[p, "--hz", "x"]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            fatal_at(3, "hz \"x\"", "argument couldn't be parsed into an integer")
        );
        std::fs::write(&path, "save 0 1\n").unwrap();
        let e = Config::from_args(&args(&[p])).unwrap_err().to_string();
        assert_eq!(e, fatal_at(1, "save 0 1", "Invalid save parameters"));
        std::fs::write(&path, "logfile /nonexistent-dir-xyz/x.log\n").unwrap();
        let e = Config::from_args(&args(&[p])).unwrap_err().to_string();
        assert_eq!(
            e,
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: No such file or directory\n"
        );
        let missing = dir.join("missing.conf");
        let e = Config::from_args(&args(&[missing.to_str().unwrap()]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "Fatal error, can't open config file '{}': No such file or directory",
                missing.display()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn early_exit_flags() {
        assert_eq!(Config::early_exit(&args(&["-v"])), Some(EarlyExit::Version));
        assert_eq!(
            Config::early_exit(&args(&["--help"])),
            Some(EarlyExit::Help)
        );
        assert_eq!(Config::early_exit(&args(&["--port", "1", "--help"])), None);
        assert!(version_line().starts_with("Redis server v=7.0.15 "));
    }

    #[test]
    fn include_patterns_and_stdin_style_text() {
        let dir = tmpdir("include");
        std::fs::create_dir_all(dir.join("conf.d")).unwrap();
        std::fs::write(dir.join("conf.d/a.conf"), "port 7100\n").unwrap();
        std::fs::write(dir.join("conf.d/b.conf"), "port 7200\ntimeout 9\n").unwrap();
        std::fs::write(dir.join("conf.d/c.txt"), "port 7300\n").unwrap();
        let mut c = Config::default();
        let text = format!("dir {}\ninclude conf.d/b.conf\n", dir.display());
        c.load_str(text.as_bytes()).unwrap();
        assert_eq!((c.port, c.timeout), (7200, 9));
        // A pattern that matches nothing is not an error.
        c.load_str(b"include conf.d/*.none\n").unwrap();
        let e = c
            .load_str(b"include conf.d/missing.conf\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "Fatal error, can't open config file 'conf.d/missing.conf': No such file or directory"
        );
        // Errors inside an included file count lines in that file.
        std::fs::write(dir.join("conf.d/bad.conf"), "\nhz x\n").unwrap();
        let e = c
            .load_str(b"port 1\ninclude conf.d/bad.conf\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            fatal_at(2, "hz x", "argument couldn't be parsed into an integer")
        );
        if glob_match(b"*.conf", b"a.conf", false) {
            c.load_str(b"include conf.d/[ab].conf\n").unwrap();
            assert_eq!(c.port, 7200);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

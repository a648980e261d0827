//! `ConfigError`: everything the configuration can refuse, from one directive's value
//! to a whole config file, and its `Display`, which holds every text Redis 7.0 gives for
//! it. A setter's reason is wrapped by what it happened in: a CONFIG SET
//! (`SetFailed`, the reply line) or a config file (`Fatal`, the block printed before
//! the server exits).

use std::fmt;

use super::REDIS_VERSION;

/// A configuration error. `Display` gives Redis's exact text: for the CONFIG SET and
/// CONFIG REWRITE variants the whole error reply (without the leading `-`), for the
/// loading variants the whole text printed on stderr.
#[derive(Debug)]
pub enum ConfigError {
    // Why a value is refused (the setters and checks of the directive table).
    /// A reason with fixed wording.
    Invalid(&'static str),
    /// An enum value not among its names: the names are listed.
    NotOneOf(&'static [(&'static str, i32)]),
    /// A number outside its bounds (written in octal for octal directives).
    OutOfRange { min: i128, max: i128, octal: bool },
    /// A percentage above its maximum (`N%` stored as -N; the limit is positive here).
    PercentTooBig(i64),
    /// A system call failed (e.g. `dir` does not exist): its description.
    Os(std::io::Error),

    // CONFIG SET.
    /// A directive that refuses changes while the dataset loads.
    Loading,
    /// An unknown directive name.
    UnknownOption(String),
    /// Setting `name` failed for `reason`.
    SetFailed {
        name: String,
        reason: Box<ConfigError>,
    },

    // CONFIG REWRITE.
    /// The server was started without a config file.
    NoConfigFile,
    /// Reading or writing the config file failed.
    Rewrite(std::io::Error),

    // Loading the configuration at startup.
    /// The "FATAL CONFIG FILE ERROR" block: the offending line (number, text) if there
    /// is one, and the reason.
    Fatal {
        line: Option<(usize, Vec<u8>)>,
        reason: Box<ConfigError>,
    },
    /// The config file (or an included one) cannot be opened or read.
    Open { path: String, error: std::io::Error },
    /// The configuration cannot be read from stdin.
    Stdin(std::io::Error),
    /// The log file cannot be opened (a reason inside `Fatal`).
    LogFile(std::io::Error),
}

impl ConfigError {
    /// `SetFailed` for `name` with `reason`.
    pub fn set_failed(name: impl Into<String>, reason: impl Into<ConfigError>) -> ConfigError {
        ConfigError::SetFailed {
            name: name.into(),
            reason: Box::new(reason.into()),
        }
    }
}

impl From<&'static str> for ConfigError {
    fn from(reason: &'static str) -> ConfigError {
        ConfigError::Invalid(reason)
    }
}

/// An I/O error as C `strerror` words it (without Rust's " (os error N)").
pub(super) fn os_error_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(p) => s[..p].to_string(),
        None => s,
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Invalid(reason) => f.write_str(reason),
            ConfigError::NotOneOf(names) => {
                let list: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
                write!(
                    f,
                    "argument(s) must be one of the following: {}",
                    list.join(", ")
                )
            }
            ConfigError::OutOfRange { min, max, octal } => {
                if *octal {
                    write!(
                        f,
                        "argument must be between {:o} and {:o} inclusive",
                        min, max
                    )
                } else {
                    write!(f, "argument must be between {} and {} inclusive", min, max)
                }
            }
            ConfigError::PercentTooBig(max) => {
                write!(f, "percentage argument must be less or equal to {}", max)
            }
            ConfigError::Os(e) => f.write_str(&os_error_text(e)),
            ConfigError::Loading => f.write_str("LOADING Redis is loading the dataset in memory"),
            ConfigError::UnknownOption(name) => write!(
                f,
                "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                name
            ),
            ConfigError::SetFailed { name, reason } => write!(
                f,
                "ERR CONFIG SET failed (possibly related to argument '{}') - {}",
                name, reason
            ),
            ConfigError::NoConfigFile => {
                f.write_str("ERR The server is running without a config file")
            }
            ConfigError::Rewrite(e) => {
                write!(f, "ERR Rewriting config file: {}", os_error_text(e))
            }
            ConfigError::Fatal { line, reason } => {
                write!(
                    f,
                    "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***\n",
                    REDIS_VERSION
                )?;
                if let Some((n, text)) = line {
                    writeln!(f, "Reading the configuration file, at line {}", n)?;
                    writeln!(f, ">>> '{}'", String::from_utf8_lossy(text))?;
                }
                writeln!(f, "{}", reason)
            }
            ConfigError::Open { path, error } => write!(
                f,
                "Fatal error, can't open config file '{}': {}",
                path,
                os_error_text(error)
            ),
            ConfigError::Stdin(e) => write!(f, "Fatal error, can't read config from stdin: {}", e),
            ConfigError::LogFile(e) => write!(f, "Can't open the log file: {}", os_error_text(e)),
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn texts() {
        let octal = ConfigError::OutOfRange {
            min: 0,
            max: 0o777,
            octal: true,
        };
        assert_eq!(
            octal.to_string(),
            "argument must be between 0 and 777 inclusive"
        );
        let unsigned = ConfigError::OutOfRange {
            min: 0,
            max: u64::MAX.into(),
            octal: false,
        };
        assert_eq!(
            unsigned.to_string(),
            "argument must be between 0 and 18446744073709551615 inclusive"
        );
        let e =
            ConfigError::set_failed("dir", ConfigError::Os(std::io::Error::from_raw_os_error(2)));
        assert_eq!(
            e.to_string(),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory"
        );
        let e = Config::default()
            .load_str(b"unixsocketperm 1000\n")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'unixsocketperm 1000'\nargument must be between 0 and 777 inclusive\n"
        );
    }
}

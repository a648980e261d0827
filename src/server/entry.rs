//! The `ferrokv-server` process: command line, logging, start-up, then the loop.

use super::{logging, Server};
use crate::config::Config;

/// The `ferrokv-server` entry point: configuration, logging, the loop. Returns the exit code.
pub fn main_entry() -> i32 {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match Config::early_exit(&args) {
        Some(crate::config::EarlyExit::Version) => {
            println!("{}", crate::config::version_line());
            return 0;
        }
        Some(crate::config::EarlyExit::Help) => {
            eprint!("{}", crate::config::usage_text("./ferrokv-server"));
            return 1;
        }
        None => {}
    }
    let config = match Config::from_args(&args) {
        Ok(c) => c,
        Err(msg) => {
            eprint!("{msg}");
            return 1;
        }
    };
    logging::init(&config);
    log::warn!("oO0OoO0OoO0Oo ferrokv is starting oO0OoO0OoO0Oo");
    log::warn!(
        "ferrokv version={}, redis_version={}, bits=64, pid={}, just started",
        env!("CARGO_PKG_VERSION"),
        crate::config::REDIS_VERSION,
        std::process::id()
    );
    match &config.config_file {
        Some(p) => log::warn!("Configuration loaded from {}", p.display()),
        None => log::warn!(
            "Warning: no config file specified, using the default config. In order to specify a config file use ferrokv-server /path/to/redis.conf"
        ),
    }
    let mut server = match Server::new(config) {
        Ok(s) => s,
        Err(e) => {
            log::warn!("{e}");
            return 1;
        }
    };
    log::info!("Running mode=standalone, port={}.", server.port());
    log::info!("Server initialized");
    if let Err(e) = server.load_data() {
        log::warn!("{e}");
        return 1;
    }
    log::info!("Ready to accept connections tcp");
    server.run()
}

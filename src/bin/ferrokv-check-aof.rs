//! `ferrokv-check-aof [--fix] <file.manifest|file.aof>`: checks an append-only file (or
//! every file a manifest lists), reports the first bad offset, and with `--fix` truncates
//! the last file there after asking, like redis-check-aof.

fn main() {
    let mut args = std::env::args();
    let prog = args.next().unwrap_or_else(|| "ferrokv-check-aof".into());
    let rest: Vec<String> = args.collect();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let code = ferrokv::persistence::check::run(&prog, &rest, &mut input, &mut out);
    std::process::exit(code);
}

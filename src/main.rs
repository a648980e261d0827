//! `ferrokv-server [path/to/redis.conf] [--directive value ...]`

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    std::process::exit(ferrokv::server::main_entry());
}

//! Build script: compiles the small C helper that does long double arithmetic and
//! formatting (`src/util/ld.c`), which Rust cannot express natively.

fn main() {
    println!("cargo:rerun-if-changed=src/util/ld.c");
    cc::Build::new()
        .file("src/util/ld.c")
        .flag_if_supported("-std=c99")
        .flag_if_supported("-fno-fast-math")
        .warnings(true)
        .compile("ferrokv_ld");
}

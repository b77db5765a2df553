//! Running the project's examples from a test, as a user runs them.
//!
//! `cargo test` builds the examples, but `cargo test --test NAME` does not,
//! so the first call builds them once (a no-op when they are fresh) and
//! every call then runs the binary directly: a crawl test must not pay for
//! a `cargo run` each time.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// A `cargo` command for the package, without the variables cargo set for
/// this test. Cargo gives a test the package's CARGO_PKG_*, CARGO_MANIFEST_*
/// and similar variables; build scripts (ring's) rerun when those change, so
/// passing them on would make the inner cargo and the next `cargo test`
/// rebuild ring for each other, over and over.
pub fn cargo() -> Command {
    let mut cargo = Command::new(env!("CARGO"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let set_for_the_test = name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_MANIFEST_")
            || ["CARGO_CRATE_NAME", "CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "OUT_DIR"].contains(&&*name);
        if set_for_the_test {
            cargo.env_remove(&*name);
        }
    }
    cargo.current_dir(env!("CARGO_MANIFEST_DIR"));
    cargo
}

/// The path of a built example, building all examples on first use.
pub fn example_binary(name: &str) -> PathBuf {
    // This test runs from target/<profile>/deps/; examples sit beside deps.
    let exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps/test");
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        // Build with the profile this test was built with (`cargo test
        // --release` runs from target/release), or the test would run a
        // missing or stale binary. Cargo names the dev profile's folder
        // "debug".
        let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
            Some("debug") | None => "dev",
            Some(other) => other,
        };
        let status =
            cargo().args(["build", "--quiet", "--examples", "--profile", profile]).status().expect("run cargo build");
        assert!(status.success(), "cargo build --examples --profile {profile} failed");
    });
    profile_dir.join("examples").join(name)
}

/// Runs an example with `args` and waits for it.
pub fn run_example(name: &str, args: &[&str]) -> Output {
    Command::new(example_binary(name))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("run example {name}: {error}"))
}

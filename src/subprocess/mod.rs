//! asyncio's subprocesses: [`create_subprocess_exec`] starts a child whose
//! piped stdin, stdout and stderr are a [`StreamWriter`] and
//! [`StreamReader`]s on the loop, and whose exit is awaited on the reactor.
//!
//! Read `process.rs` ([`Process`]: the pipes, `wait`, `communicate`,
//! signals) and then `exit_watch.rs` (how an exit becomes a readiness
//! event).
//!
//! [`StreamWriter`]: crate::net::StreamWriter
//! [`StreamReader`]: crate::net::StreamReader

mod exit_watch;
mod process;

use std::ffi::OsStr;
use std::io;
use std::process::Command;

pub use process::Process;

/// Starts `command` as a child process (asyncio's
/// `create_subprocess_exec`). What `command` sets to `Stdio::piped()`
/// becomes a stream on the loop ([`Process::stdin`], [`Process::stdout`],
/// [`Process::stderr`], asyncio's `PIPE`); the rest is inherited or as
/// configured, as with `Command::spawn`.
///
/// # Errors
/// The spawn error (`NotFound` for a missing program, ...), or the pidfd's
/// (Linux 5.3 or later is needed), or "no running event loop".
///
/// ```
/// use std::process::{Command, Stdio};
/// # corio::run(async {
/// let mut child = corio::subprocess::create_subprocess_exec(
///     Command::new("sh").args(["-c", "echo out; exit 3"]).stdout(Stdio::piped()),
/// )
/// .await?;
/// let (stdout, stderr) = child.communicate(None).await?;
/// assert_eq!((stdout.as_deref(), stderr), (Some(&b"out\n"[..]), None));
/// assert_eq!(child.returncode(), Some(3));
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn create_subprocess_exec(command: &mut Command) -> io::Result<Process> {
    Process::spawn(command)
}

/// A `sh -c cmd` command, for [`create_subprocess_exec`]: what asyncio's
/// `create_subprocess_shell(cmd)` runs.
///
/// ```
/// use std::process::Stdio;
/// # corio::run(async {
/// let mut command = corio::subprocess::shell_command("echo $((6 * 7))");
/// let mut child = corio::subprocess::create_subprocess_exec(command.stdout(Stdio::piped())).await?;
/// assert_eq!(child.communicate(None).await?.0.unwrap(), b"42\n");
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
#[doc(alias = "create_subprocess_shell")]
pub fn shell_command(cmd: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new("sh");
    command.arg("-c").arg(cmd);
    command
}

//! [`Process`]: a running child, asyncio's `asyncio.subprocess.Process`.

use std::future::{Future, poll_fn};
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::pin::pin;
use std::process::{Child, Command, ExitStatus};
use std::task::Poll;

use super::exit_watch::ExitWatch;
use crate::net::{
    PipeReader, PipeWriter, StreamError, StreamReader, StreamSocket, StreamWriter, reader_only, writer_only,
};

/// A child process started by
/// [`create_subprocess_exec`](crate::subprocess::create_subprocess_exec).
///
/// Like std's `Child`, dropping a `Process` neither kills nor reaps the
/// child; [`wait`](Process::wait) or [`communicate`](Process::communicate)
/// to collect its exit status.
pub struct Process {
    /// The child, with its std pipes taken out.
    child: Child,
    /// Its pidfd on the reactor.
    exit: ExitWatch,
    /// Set once the child is reaped.
    returncode: Option<i32>,
    /// Its stdin, if piped (asyncio's `process.stdin`); closing it sends
    /// the child the end of its input.
    pub stdin: Option<StreamWriter>,
    /// Its stdout, if piped (asyncio's `process.stdout`).
    pub stdout: Option<StreamReader>,
    /// Its stderr, if piped (asyncio's `process.stderr`).
    pub stderr: Option<StreamReader>,
}

impl Process {
    /// Spawns `command` and puts its pipes and its pidfd on the loop.
    pub(crate) fn spawn(command: &mut Command) -> io::Result<Process> {
        let mut child = command.spawn()?;
        let exit = match ExitWatch::new(&child) {
            Ok(exit) => exit,
            Err(error) => {
                // No way to wait for it on the loop: do not leave it running.
                let _ = child.kill();
                let _ = child.wait();
                return Err(error);
            }
        };
        let stdin = match child.stdin.take() {
            Some(pipe) => Some(writer_only(StreamSocket::PipeWriter(PipeWriter::new(pipe.into())?))),
            None => None,
        };
        let stdout = match child.stdout.take() {
            Some(pipe) => Some(reader_only(StreamSocket::PipeReader(PipeReader::new(pipe.into())?))),
            None => None,
        };
        let stderr = match child.stderr.take() {
            Some(pipe) => Some(reader_only(StreamSocket::PipeReader(PipeReader::new(pipe.into())?))),
            None => None,
        };
        Ok(Process { child, exit, returncode: None, stdin, stdout, stderr })
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit code once the child was reaped, as asyncio reports it: the
    /// status it exited with, or `-N` if signal `N` ended it; `None` while
    /// it runs (or before anyone waited).
    pub fn returncode(&self) -> Option<i32> {
        self.returncode
    }

    /// Waits for the child to exit and returns its [`returncode`](Process::returncode)
    /// (asyncio's `wait`). It does not read the pipes: a child writing more
    /// than a pipe holds waits for a reader forever, so use
    /// [`communicate`](Process::communicate) when output is piped.
    ///
    /// # Errors
    /// `waitpid`'s error.
    pub async fn wait(&mut self) -> io::Result<i32> {
        if let Some(code) = self.returncode {
            return Ok(code);
        }
        let (exit, child) = (&self.exit, &mut self.child);
        let status = poll_fn(|cx| exit.poll_exit(cx, child)).await?;
        let code = returncode(status);
        self.returncode = Some(code);
        Ok(code)
    }

    /// Sends `input` (if any) to stdin and closes it, reads stdout and
    /// stderr to their ends at the same time, then waits for the exit
    /// (asyncio's `communicate`). Returns what was read from each piped
    /// output, `None` for one that is not piped. As in asyncio, a child that
    /// stops reading its input early is not an error.
    ///
    /// # Errors
    /// A read error on stdout or stderr, or `waitpid`'s error.
    pub async fn communicate(&mut self, input: Option<&[u8]>) -> io::Result<(Option<Vec<u8>>, Option<Vec<u8>>)> {
        let feed = feed(self.stdin.take(), input);
        let out = read_all(self.stdout.take());
        let err = read_all(self.stderr.take());
        let ((), out, err) = join3(feed, out, err).await;
        let (out, err) = (out.map_err(into_io)?, err.map_err(into_io)?);
        self.wait().await?;
        Ok((out, err))
    }

    /// Sends signal `signum` to the child (asyncio's `send_signal`).
    ///
    /// # Errors
    /// `NotFound` (asyncio's `ProcessLookupError`) once the child has been
    /// reaped, since its pid may belong to another process by then;
    /// `InvalidInput` for an unknown signal.
    pub fn send_signal(&self, signum: i32) -> io::Result<()> {
        if self.returncode.is_some() {
            return Err(io::Error::new(io::ErrorKind::NotFound, "the process has exited and was reaped"));
        }
        let signal = rustix::process::Signal::from_named_raw(signum)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("{signum} is not a signal number")))?;
        rustix::process::kill_process(rustix::process::Pid::from_child(&self.child), signal).map_err(io::Error::from)
    }

    /// Sends `SIGTERM` (asyncio's `terminate`).
    ///
    /// # Errors
    /// As [`send_signal`](Process::send_signal).
    pub fn terminate(&self) -> io::Result<()> {
        self.send_signal(crate::signal::SIGTERM)
    }

    /// Sends `SIGKILL` (asyncio's `kill`).
    ///
    /// # Errors
    /// As [`send_signal`](Process::send_signal).
    pub fn kill(&self) -> io::Result<()> {
        self.send_signal(crate::signal::SIGKILL)
    }
}

/// asyncio's `returncode` for an exit status.
fn returncode(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => -signal,
        (None, None) => unreachable!("a reaped process exited or was killed by a signal"),
    }
}

/// Writes `input` to `stdin` and closes it. A child that exits or closes
/// its stdin before reading everything makes the write fail; asyncio
/// ignores that (`BrokenPipeError`, `ConnectionResetError`), and so does
/// this.
async fn feed(stdin: Option<StreamWriter>, input: Option<&[u8]>) {
    let Some(stdin) = stdin else { return };
    if let Some(input) = input
        && stdin.write(input).is_ok()
    {
        let _ = stdin.drain().await;
    }
    stdin.close();
    let _ = stdin.wait_closed().await;
}

/// Reads `output` to its end, if it is piped.
async fn read_all(output: Option<StreamReader>) -> Result<Option<Vec<u8>>, StreamError> {
    match output {
        Some(mut reader) => reader.read_to_end().await.map(Some),
        None => Ok(None),
    }
}

/// A stream error as the `io::Error` this module reports.
fn into_io(error: StreamError) -> io::Error {
    match error {
        StreamError::Io(error) => error,
        other => io::Error::other(other),
    }
}

/// Runs three futures at once on this task and returns their outputs.
async fn join3<A: Future, B: Future, C: Future>(a: A, b: B, c: C) -> (A::Output, B::Output, C::Output) {
    let (mut a, mut b, mut c) = (pin!(a), pin!(b), pin!(c));
    let (mut done_a, mut done_b, mut done_c) = (None, None, None);
    poll_fn(|cx| {
        if done_a.is_none() {
            done_a = match a.as_mut().poll(cx) {
                Poll::Ready(output) => Some(output),
                Poll::Pending => None,
            };
        }
        if done_b.is_none() {
            done_b = match b.as_mut().poll(cx) {
                Poll::Ready(output) => Some(output),
                Poll::Pending => None,
            };
        }
        if done_c.is_none() {
            done_c = match c.as_mut().poll(cx) {
                Poll::Ready(output) => Some(output),
                Poll::Pending => None,
            };
        }
        match (done_a.take(), done_b.take(), done_c.take()) {
            (Some(a), Some(b), Some(c)) => Poll::Ready((a, b, c)),
            // Each unfinished future has left this task's waker where its
            // progress will come from (a pipe's readiness, an event).
            (a, b, c) => {
                (done_a, done_b, done_c) = (a, b, c);
                Poll::Pending
            }
        }
    })
    .await
}

impl std::fmt::Debug for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Process").field("pid", &self.pid()).field("returncode", &self.returncode).finish()
    }
}

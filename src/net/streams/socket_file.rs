//! The file a Unix server's socket lives at, handled as asyncio 3.13's
//! `start_unix_server` does: a stale socket file left at the path is
//! removed before binding (any other kind of file makes the bind fail), and
//! the server removes its own file when it closes (`cleanup_socket=True`),
//! unless something else has replaced it meanwhile.

use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// A bound socket's file, removed when this is dropped.
pub(crate) struct SocketFile {
    /// Where it is.
    path: PathBuf,
    /// Its inode when bound: only that file is ours to remove.
    inode: u64,
}

impl SocketFile {
    /// Removes a socket file left at `path` by an earlier server, so the
    /// bind can take the path; leaves every other kind of file alone.
    ///
    /// # Errors
    /// The error of removing it.
    pub(crate) fn remove_stale(path: &Path) -> io::Result<()> {
        match fs::symlink_metadata(path) {
            Ok(metadata) if metadata.file_type().is_socket() => fs::remove_file(path),
            _ => Ok(()),
        }
    }

    /// Takes charge of the socket file just bound at `path`.
    ///
    /// # Errors
    /// The error of reading its metadata.
    pub(crate) fn claim(path: &Path) -> io::Result<SocketFile> {
        Ok(SocketFile { path: path.to_owned(), inode: fs::symlink_metadata(path)?.ino() })
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        // The server is closing; failing to remove the file leaves it for
        // the next `remove_stale`, so the error changes nothing.
        if fs::symlink_metadata(&self.path).is_ok_and(|metadata| metadata.ino() == self.inode) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

//! Reading files from disk safely: regular files only, opened without blocking, read up to a limit.
//!
//! Every file p3plint reads (sources, declarations, lint.toml) goes through `read`, so a FIFO, a
//! device or a /proc file in a checked tree cannot hang a run or exhaust memory: the size limit
//! counts the bytes actually read, not what the file system claims.

use std::io::Read;
use std::path::Path;

/// Files above this size are skipped unread (lint.toml's `max-file-size` changes it for sources).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// A FIFO, socket, device or directory.
    NotRegular,
    /// More than `limit` bytes.
    TooLarge {
        limit: u64,
    },
    Io(std::io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotRegular => write!(f, "not a regular file (a FIFO, socket or device)"),
            ReadError::TooLarge { limit } => write!(f, "larger than {limit} bytes"),
            ReadError::Io(err) => write!(f, "{err}"),
        }
    }
}

/// Reads a regular file of at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    read_into(path, limit, &mut bytes)?;
    Ok(bytes)
}

/// `read`, into `bytes` (cleared first): a checker thread reuses one buffer for every file, so
/// the many files that cannot emit cost no allocation.
pub fn read_into(path: &Path, limit: u64, bytes: &mut Vec<u8>) -> Result<(), ReadError> {
    bytes.clear();
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO for reading blocks until a writer comes; O_NONBLOCK returns at once,
        // and the type check below then refuses it. Regular files ignore the flag.
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path).map_err(ReadError::Io)?;
    let metadata = file.metadata().map_err(ReadError::Io)?;
    if !metadata.is_file() {
        return Err(ReadError::NotRegular);
    }
    let expected = metadata.len().min(limit).saturating_add(1);
    bytes.reserve(usize::try_from(expected).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read(&path, 5).unwrap(), b"12345");
        assert!(matches!(
            read(&path, 4),
            Err(ReadError::TooLarge { limit: 4 })
        ));
        assert!(matches!(read(dir.path(), 10), Err(ReadError::NotRegular)));
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_fifos_are_refused_without_blocking() {
        assert!(matches!(
            read(Path::new("/dev/zero"), 10),
            Err(ReadError::NotRegular)
        ));
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|status| status.success()) {
            assert!(matches!(read(&fifo, 10), Err(ReadError::NotRegular)));
        }
    }

    #[test]
    fn proc_files_are_bounded_by_bytes_read() {
        // /proc files report size 0; the limit must still hold.
        let path = Path::new("/proc/self/maps");
        if path.exists() {
            assert!(matches!(
                read(path, 1),
                Err(ReadError::TooLarge { limit: 1 })
            ));
        }
    }
}

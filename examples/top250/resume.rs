//! `--resume`: what an earlier run already wrote to the `--output` JSON
//! lines, so that this run fetches only the rest.
//!
//! A record that is `ok` or `missing` is done; an `error` record, and a
//! last line cut off when the earlier run was killed, are dropped from the
//! file so that the page is fetched again and written once. The file is
//! rewritten with the kept lines before the crawl appends to it.

use std::collections::HashSet;
use std::io::{self, ErrorKind};
use std::path::Path;

use serde_json::Value;

/// What the earlier run left.
#[derive(Debug, Default)]
pub struct Resumed {
    /// The subjects already done.
    pub subjects: HashSet<String>,
    /// Lines dropped to be fetched again (errors, a cut-off line).
    pub dropped: usize,
}

/// Reads `path` (a missing file is an empty start), keeps the done
/// records, and rewrites the file with exactly those.
///
/// # Errors
/// The file cannot be read or rewritten, or a line is not a record.
pub fn prepare(path: &Path) -> io::Result<Resumed> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(Resumed::default()),
        Err(error) => return Err(error),
    };
    let (kept, resumed) = keep_done(&text)?;
    std::fs::write(path, kept)?;
    Ok(resumed)
}

/// The done records' lines of a JSON lines `text`, and what they hold.
fn keep_done(text: &str) -> io::Result<(String, Resumed)> {
    let mut kept = String::new();
    let mut resumed = Resumed::default();
    let complete = if text.ends_with('\n') { text } else { &text[..text.rfind('\n').map_or(0, |at| at + 1)] };
    if complete.len() < text.len() {
        resumed.dropped += 1;
    }
    for (number, line) in complete.lines().enumerate() {
        let record: Value = serde_json::from_str(line).map_err(|error| {
            io::Error::new(ErrorKind::InvalidData, format!("line {} is not a JSON record: {error}", number + 1))
        })?;
        let subject = record["subject"].as_str().unwrap_or_default();
        match record["status"].as_str() {
            Some("ok" | "missing") if !subject.is_empty() => {
                if resumed.subjects.insert(subject.to_owned()) {
                    kept.push_str(line);
                    kept.push('\n');
                }
            }
            _ => resumed.dropped += 1,
        }
    }
    Ok((kept, resumed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_records_are_kept_and_errors_and_a_cut_line_dropped() {
        let text = "{\"rank\":1,\"subject\":\"1292052\",\"status\":\"ok\"}\n\
                    {\"rank\":2,\"subject\":\"1291546\",\"status\":\"error\",\"error\":\"timeout\"}\n\
                    {\"rank\":3,\"subject\":\"25921812\",\"status\":\"missing\"}\n\
                    {\"rank\":4,\"subj";
        let (kept, resumed) = keep_done(text).unwrap();
        assert_eq!(
            kept,
            "{\"rank\":1,\"subject\":\"1292052\",\"status\":\"ok\"}\n{\"rank\":3,\"subject\":\"25921812\",\"status\":\"missing\"}\n"
        );
        assert_eq!(resumed.subjects, HashSet::from(["1292052".to_owned(), "25921812".to_owned()]));
        assert_eq!(resumed.dropped, 2);
    }

    #[test]
    fn a_line_that_is_not_json_is_an_error_not_a_silent_refetch() {
        let error = keep_done("not json\n").unwrap_err();
        assert!(error.to_string().starts_with("line 1 is not a JSON record"), "{error}");
    }
}

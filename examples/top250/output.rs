//! Writing records: the tutorial's text lines, CSV or JSON lines, to stdout
//! or a file, in rank order or as they arrive.
//!
//! Rank order does not mean waiting for the end: records are held back
//! only until every better-ranked one has arrived, so the top of the list
//! prints while the rest is still on the wire.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::time::Duration;

use crate::cli::{Format, Options};
use crate::crawl::{Record, Status};
use crate::extract::Field;

/// What the tutorial prints for a page that does not exist.
pub const MISSING: &str = "页面不存在";

/// The CSV header row.
const CSV_HEADER: &str = "rank,subject,url,status,name,score,director,language,error";

/// Where records go and in what shape.
pub struct Output {
    /// stdout (line-buffered by std) or a buffered file.
    writer: Box<dyn Write>,
    /// Text, CSV or JSON lines.
    format: Format,
    /// Write records the moment they arrive.
    as_completed: bool,
    /// Records that arrived before a better-ranked one, by index.
    held: BTreeMap<usize, Record>,
    /// The index of the next record to write in rank order.
    next: usize,
    /// The first write error; later writes are skipped and it is returned
    /// by [`Output::finish`].
    error: Option<io::Error>,
}

impl Output {
    /// Opens `--output` (or stdout) and writes the CSV header if needed.
    ///
    /// # Errors
    /// The output file cannot be created.
    pub fn open(options: &Options) -> io::Result<Output> {
        let writer: Box<dyn Write> = match &options.output {
            // --resume appends to what the earlier run wrote (resume.rs
            // has already dropped what is to be fetched again).
            Some(path) => Box::new(BufWriter::new(
                File::options()
                    .write(true)
                    .create(true)
                    .append(options.resume)
                    .truncate(!options.resume)
                    .open(path)
                    .map_err(|error| io::Error::new(error.kind(), format!("{}: {error}", path.display())))?,
            )),
            None => Box::new(io::stdout()),
        };
        let mut output = Output {
            writer,
            format: options.format,
            as_completed: options.as_completed,
            held: BTreeMap::new(),
            next: 0,
            error: None,
        };
        if output.format == Format::Csv {
            output.write_line(CSV_HEADER.to_owned());
        }
        Ok(output)
    }

    /// An output that writes nothing: the sync run of `--compare`.
    pub fn discard() -> Output {
        Output {
            writer: Box::new(io::sink()),
            format: Format::Jsonl,
            as_completed: true,
            held: BTreeMap::new(),
            next: 0,
            error: None,
        }
    }

    /// Takes the record with index `index` (rank order is index order).
    pub fn emit(&mut self, index: usize, record: Record) {
        if self.as_completed {
            self.write_record(&record);
            return;
        }
        self.held.insert(index, record);
        while let Some(record) = self.held.remove(&self.next) {
            self.write_record(&record);
            self.next += 1;
        }
    }

    /// Writes what is still held (records after a gap a stopped crawl left),
    /// then, for text, the elapsed time as the tutorial's last line.
    ///
    /// # Errors
    /// The first write error of the whole run.
    pub fn finish(mut self, elapsed: Duration) -> io::Result<()> {
        for record in std::mem::take(&mut self.held).into_values() {
            self.write_record(&record);
        }
        if self.format == Format::Text {
            self.write_line(format!("elapsed {:.2} s", elapsed.as_secs_f64()));
        }
        if let Some(error) = self.error {
            return Err(error);
        }
        self.writer.flush()
    }

    fn write_record(&mut self, record: &Record) {
        let line = match self.format {
            Format::Text => text_line(record),
            Format::Csv => csv_line(record),
            Format::Jsonl => json_line(record),
        };
        self.write_line(line);
    }

    fn write_line(&mut self, mut line: String) {
        if self.error.is_none() {
            line.push('\n');
            self.error = self.writer.write_all(line.as_bytes()).err();
        }
    }
}

/// `name score director language`, `页面不存在`, or the failure.
pub fn text_line(record: &Record) -> String {
    match &record.status {
        Status::Ok(movie) => format!("{} {} {} {}", movie.name, movie.score, movie.director, movie.language),
        Status::Missing => MISSING.to_owned(),
        Status::Error(why) => format!("error {}: {why}", record.url),
    }
}

/// One CSV row (RFC 4180 quoting); lists are joined with ` / `.
pub fn csv_line(record: &Record) -> String {
    let (status, fields, error) = match &record.status {
        Status::Ok(movie) => (
            "ok",
            [movie.name.clone(), movie.score.clone(), movie.director.to_string(), movie.language.to_string()],
            "",
        ),
        Status::Missing => ("missing", Default::default(), ""),
        Status::Error(why) => ("error", Default::default(), why.as_str()),
    };
    let mut cells = vec![record.rank.to_string(), record.subject.clone(), record.url.clone(), status.to_owned()];
    cells.extend(fields);
    cells.push(error.to_owned());
    cells.iter().map(|cell| csv_cell(cell)).collect::<Vec<_>>().join(",")
}

/// Quotes a cell that holds a comma, a quote or a line break.
fn csv_cell(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) { format!("\"{}\"", cell.replace('"', "\"\"")) } else { cell.to_owned() }
}

/// One JSON object: `rank`, `subject`, `url`, `status`, then the four
/// fields (strings, or lists when clean) or the `error`.
pub fn json_line(record: &Record) -> String {
    let mut json = format!(
        "{{\"rank\": {}, \"subject\": {}, \"url\": {}, \"status\": ",
        record.rank,
        json_string(&record.subject),
        json_string(&record.url)
    );
    match &record.status {
        Status::Ok(movie) => {
            let _ = write!(
                json,
                "\"ok\", \"name\": {}, \"score\": {}, \"director\": {}, \"language\": {}}}",
                json_string(&movie.name),
                json_string(&movie.score),
                json_field(&movie.director),
                json_field(&movie.language)
            );
        }
        Status::Missing => json.push_str("\"missing\"}"),
        Status::Error(why) => {
            let _ = write!(json, "\"error\", \"error\": {}}}", json_string(why));
        }
    }
    json
}

/// A field as a JSON string or array of strings.
fn json_field(field: &Field) -> String {
    match field {
        Field::Text(text) => json_string(text),
        Field::List(items) => {
            format!("[{}]", items.iter().map(|item| json_string(item)).collect::<Vec<_>>().join(", "))
        }
    }
}

/// A JSON string literal; non-ASCII stays as UTF-8, as the tutorial's
/// `ensure_ascii=False` output does.
fn json_string(text: &str) -> String {
    let mut json = String::with_capacity(text.len() + 2);
    json.push('"');
    for c in text.chars() {
        match c {
            '"' => json.push_str("\\\""),
            '\\' => json.push_str("\\\\"),
            '\n' => json.push_str("\\n"),
            '\r' => json.push_str("\\r"),
            '\t' => json.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(json, "\\u{:04x}", u32::from(c));
            }
            c => json.push(c),
        }
    }
    json.push('"');
    json
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Movie;

    fn record(status: Status) -> Record {
        Record { rank: 8, subject: "1295124".into(), url: "http://m/subject/1295124/".into(), status }
    }

    fn schindler(clean: bool) -> Movie {
        let (director, language) = if clean {
            (Field::List(vec!["史蒂文·斯皮尔伯格".into()]), Field::List(vec!["英语".into(), "德语".into()]))
        } else {
            (Field::Text("史蒂文·斯皮尔伯格".into()), Field::Text("英语/德语".into()))
        };
        Movie {
            name: "辛德勒的名单Schindler&#39;sList\u{200e}(1993)".into(), score: "9.5".into(), director, language
        }
    }

    #[test]
    fn text_lines_are_the_tutorials() {
        assert_eq!(
            text_line(&record(Status::Ok(schindler(false)))),
            "辛德勒的名单Schindler&#39;sList\u{200e}(1993) 9.5 史蒂文·斯皮尔伯格 英语/德语"
        );
        assert_eq!(text_line(&record(Status::Missing)), "页面不存在");
        assert_eq!(text_line(&record(Status::Error("reset".into()))), "error http://m/subject/1295124/: reset");
    }

    #[test]
    fn json_lines_parse_back_to_the_same_values() {
        let line = json_line(&record(Status::Ok(schindler(true))));
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["rank"], 8);
        assert_eq!(value["status"], "ok");
        assert_eq!(value["name"], "辛德勒的名单Schindler&#39;sList\u{200e}(1993)");
        assert_eq!(value["language"], serde_json::json!(["英语", "德语"]));
        let error: serde_json::Value =
            serde_json::from_str(&json_line(&record(Status::Error("a \"quoted\"\n\u{1}reason\\".into())))).unwrap();
        assert_eq!(error["error"], "a \"quoted\"\n\u{1}reason\\");
        let missing: serde_json::Value = serde_json::from_str(&json_line(&record(Status::Missing))).unwrap();
        assert_eq!(
            missing,
            serde_json::json!({"rank": 8, "subject": "1295124", "url": "http://m/subject/1295124/", "status": "missing"})
        );
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        assert_eq!(
            csv_line(&record(Status::Ok(schindler(true)))),
            "8,1295124,http://m/subject/1295124/,ok,辛德勒的名单Schindler&#39;sList\u{200e}(1993),9.5,史蒂文·斯皮尔伯格,英语 / 德语,"
        );
        assert_eq!(
            csv_line(&record(Status::Error("a, \"b\"".into()))),
            "8,1295124,http://m/subject/1295124/,error,,,,,\"a, \"\"b\"\"\""
        );
    }

    #[test]
    fn rank_order_holds_records_back_only_until_the_gap_fills() {
        let written = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let mut output = Output {
            writer: Box::new(SharedVec(std::rc::Rc::clone(&written))),
            format: Format::Text,
            as_completed: false,
            held: BTreeMap::new(),
            next: 0,
            error: None,
        };
        let lines = || String::from_utf8(written.borrow().clone()).unwrap();
        output.emit(1, Record { rank: 2, ..record(Status::Missing) });
        assert_eq!(lines(), "");
        output.emit(0, Record { rank: 1, ..record(Status::Error("x".into())) });
        assert_eq!(lines(), "error http://m/subject/1295124/: x\n页面不存在\n");
        output.emit(3, record(Status::Missing));
        output.finish(Duration::from_millis(1234)).unwrap();
        assert!(lines().ends_with("页面不存在\n页面不存在\nelapsed 1.23 s\n"), "{}", lines());
    }

    /// A writer the test can read back.
    struct SharedVec(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl Write for SharedVec {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
}

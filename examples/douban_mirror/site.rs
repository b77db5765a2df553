//! The mirror's content: the real 2019 Douban Top 250 pages carried in the
//! repository, and the routing from a request path to one of them.
//!
//! The pages live gzip-compressed under `tests/fixtures/douban/` (see
//! `SOURCES.md` there for where each file was saved from). Movie pages stay
//! compressed in memory and go out as `Content-Encoding: gzip` to clients
//! that accept it, as movie.douban.com does; list pages are decompressed at
//! load time because their links must be rewritten to point at the mirror.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use corio::http::Url;
use flate2::read::GzDecoder;

/// Where the saved pages live in the repository.
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/douban");

/// The origin the saved list pages link to; rewritten to the mirror's own.
pub const DOUBAN_ORIGIN: &str = "https://movie.douban.com";

/// The number of movies on one list page.
pub const PAGE_SIZE: usize = 25;

/// The number of list pages in the Top 250.
pub const LIST_PAGES: usize = 10;

/// Every page the mirror can serve.
pub struct Site {
    /// The 10 list pages in order, links already pointing at the mirror.
    list_pages: Vec<Vec<u8>>,
    /// Movie pages by subject id, gzip-compressed as stored.
    movies: HashMap<String, Vec<u8>>,
}

/// What a request path resolves to.
pub enum Page<'a> {
    /// An HTML body to send as it is.
    Plain(&'a [u8]),
    /// An HTML body stored gzip-compressed.
    Gzipped(&'a [u8]),
    /// Nothing here: the mirror answers 404, as Douban does for a subject
    /// it no longer has.
    NotFound,
}

impl Site {
    /// Loads the 2019 crawl, rewriting the list pages' links from
    /// movie.douban.com to `origin` (for example `http://127.0.0.1:8250`).
    ///
    /// # Errors
    /// A saved page that cannot be read or decompressed, with its path.
    pub fn load_2019(origin: &str) -> io::Result<Site> {
        let list_pages = (0..LIST_PAGES)
            .map(|page| {
                let html = read_gz(&fixture_path(&format!("2019/top250/start={}.html", page * PAGE_SIZE)))?;
                let html = String::from_utf8_lossy(&html).replace(DOUBAN_ORIGIN, origin);
                Ok(html.into_bytes())
            })
            .collect::<io::Result<Vec<_>>>()?;
        let mut movies = HashMap::new();
        let directory = Path::new(FIXTURES).join("2019/subject");
        for entry in fs::read_dir(&directory).map_err(|error| with_path(error, &directory))? {
            let path = entry?.path();
            let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
            if let Some(subject) = name.strip_suffix(".html.gz") {
                let compressed = fs::read(&path).map_err(|error| with_path(error, &path))?;
                movies.insert(subject.to_owned(), compressed);
            }
        }
        Ok(Site { list_pages, movies })
    }

    /// Resolves a request target such as `/top250?start=25&filter=` or
    /// `/subject/1292052/`. A list page's `start` must be a multiple of 25
    /// below 250; a missing `start` means the first page.
    ///
    /// An absolute-form target (`http://movie.douban.com/top250`), as a
    /// client sends to a proxy, is served by its path, so the mirror can
    /// also stand in as a proxy in front of movie.douban.com.
    pub fn page(&self, target: &str) -> Page<'_> {
        let absolute = if target.starts_with('/') { None } else { Url::parse(target).ok() };
        let target = absolute.as_ref().map_or(target, Url::path_and_query);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if path == "/top250" {
            let start = query.split('&').find_map(|pair| pair.strip_prefix("start=")).unwrap_or("0");
            let page =
                start.parse::<usize>().ok().filter(|start| start % PAGE_SIZE == 0).map(|start| start / PAGE_SIZE);
            return match page.and_then(|page| self.list_pages.get(page)) {
                Some(html) => Page::Plain(html),
                None => Page::NotFound,
            };
        }
        let subject = path.strip_prefix("/subject/").map(|rest| rest.trim_end_matches('/'));
        match subject.and_then(|subject| self.movies.get(subject)) {
            Some(compressed) => Page::Gzipped(compressed),
            None => Page::NotFound,
        }
    }
}

/// The path of a saved page, given relative to the fixtures folder.
pub fn fixture_path(relative: &str) -> PathBuf {
    Path::new(FIXTURES).join(format!("{relative}.gz"))
}

/// Reads and decompresses one gzip file.
///
/// # Errors
/// The read or decompression error, naming the file.
pub fn read_gz(path: &Path) -> io::Result<Vec<u8>> {
    let compressed = fs::read(path).map_err(|error| with_path(error, path))?;
    gunzip(&compressed).map_err(|error| with_path(error, path))
}

/// Decompresses gzip bytes held in memory.
///
/// # Errors
/// The bytes are not a valid gzip stream.
pub fn gunzip(compressed: &[u8]) -> io::Result<Vec<u8>> {
    let mut html = Vec::with_capacity(compressed.len() * 5);
    GzDecoder::new(compressed).read_to_end(&mut html)?;
    Ok(html)
}

/// Puts the file's path into an I/O error's message.
fn with_path(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

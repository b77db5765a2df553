//! The crawl's records in Redis: one hash per movie, keyed by its Douban
//! subject, and a sorted set of subjects by rank.
//!
//! ```text
//! top250:movie:1292052   hash   rank 1, subject, url, status ok, name, score, director, language
//! top250:ranks           zset   1292052 -> 1, 1291546 -> 2, ...
//! ```
//!
//! Storing a record replaces its hash whole and sets its rank in one
//! MULTI/EXEC, so a re-run (or a page crawled twice in a shared crawl,
//! after a worker died holding it) overwrites and never duplicates: there
//! is one key per subject, whatever happened.

use std::collections::HashMap;

use corio::redis::{Connection, Error, Pipeline, cmd};

use crate::crawl::{Record, Status};
use crate::extract::{Field, Movie};

/// Every key of the crawl starts with this.
pub const PREFIX: &str = "top250:";

/// The sorted set of subjects by rank.
pub fn ranks_key() -> String {
    format!("{PREFIX}ranks")
}

/// The hash of one movie.
pub fn movie_key(subject: &str) -> String {
    format!("{PREFIX}movie:{subject}")
}

/// How a list field is joined in a hash (Douban's own separator).
const LIST_SEPARATOR: &str = " / ";

/// Stores `record`, replacing whatever was stored for its subject.
///
/// # Errors
/// The Redis error.
pub async fn save(conn: &Connection, record: &Record) -> Result<(), Error> {
    let key = movie_key(&record.subject);
    let mut fields =
        vec![("rank", record.rank.to_string()), ("subject", record.subject.clone()), ("url", record.url.clone())];
    match &record.status {
        Status::Ok(movie) => {
            fields.push(("status", "ok".into()));
            fields.push(("name", movie.name.clone()));
            fields.push(("score", movie.score.clone()));
            // `--clean` lists are marked so they come back as lists.
            let lists = matches!(movie.director, Field::List(_));
            fields.push(("director", movie.director.to_string()));
            fields.push(("language", movie.language.to_string()));
            fields.push(("lists", if lists { "1" } else { "0" }.into()));
        }
        Status::Missing => fields.push(("status", "missing".into())),
        Status::Error(why) => {
            fields.push(("status", "error".into()));
            fields.push(("error", why.clone()));
        }
    }
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
    Pipeline::new()
        .atomic()
        .command(cmd("DEL").arg(&key))
        .command(cmd("HSET").arg(&key).arg(pairs))
        .command(cmd("ZADD").arg(ranks_key()).arg(record.rank).arg(&record.subject))
        .query::<()>(conn)
        .await
}

/// Every stored record, in rank order.
///
/// # Errors
/// The Redis error, or a hash that is not a record.
pub async fn load_all(conn: &Connection) -> Result<Vec<Record>, Error> {
    let subjects: Vec<String> = conn.zrange(ranks_key(), 0, -1).await?;
    let mut pipeline = Pipeline::new();
    for subject in &subjects {
        pipeline.push(cmd("HGETALL").arg(movie_key(subject)));
    }
    let hashes: Vec<HashMap<String, String>> = pipeline.query(conn).await?;
    hashes.into_iter().map(record_of).collect()
}

/// A hash back into a record.
fn record_of(mut hash: HashMap<String, String>) -> Result<Record, Error> {
    let mut take = |field: &str| hash.remove(field).unwrap_or_default();
    let rank = take("rank").parse().map_err(|_| Error::Type("a stored record without its rank".into()))?;
    let (subject, url) = (take("subject"), take("url"));
    let status = match take("status").as_str() {
        "ok" => {
            let lists = take("lists") == "1";
            let field = |text: String| {
                if lists {
                    Field::List(text.split(LIST_SEPARATOR).map(str::to_owned).collect())
                } else {
                    Field::Text(text)
                }
            };
            Status::Ok(Movie {
                name: take("name"),
                score: take("score"),
                director: field(take("director")),
                language: field(take("language")),
            })
        }
        "missing" => Status::Missing,
        _ => Status::Error(take("error")),
    };
    Ok(Record { rank, subject, url, status })
}

/// Connects to `url` and stores every record: `top250 --redis URL`.
///
/// # Errors
/// The Redis error.
pub async fn save_all(url: &str, records: &[Record]) -> Result<(), Error> {
    let conn = Connection::open(url).await?;
    for record in records {
        save(&conn, record).await?;
    }
    Ok(())
}

//! [`Cluster`]: a Redis Cluster, each command sent to the node that holds
//! its key's slot, following MOVED and ASK.
//!
//! A cluster splits the key space into 16384 slots (`proto/slot.rs`) and
//! gives each master a set of them. The client keeps the map it got from
//! `CLUSTER SLOTS` and one multiplexed [`Connection`] per node, opened the
//! first time a command goes there. A command goes to the node its key's
//! slot maps to; the node answers, or redirects:
//!
//! - `MOVED slot host:port`: the slot lives elsewhere now, for good. The
//!   client reloads the slot map from that node and sends the command there.
//! - `ASK slot host:port`: the slot is being migrated and this key is
//!   already on the new node. The client sends `ASKING` and the command to
//!   that node, once, without changing its map (the next command for the
//!   slot still goes to the old node until the migration ends with MOVED).
//! - `TRYAGAIN` (a multi-key command during a migration) is retried after a
//!   short pause; a lost node connection is dropped and the map reloaded.
//!
//! The key is the command's first argument, as it is for most commands
//! (GET, SET, HSET, XADD, ...); for the others (EVAL, XREADGROUP, ...)
//! name it with [`Cluster::query_for_key`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use super::from_value::into_items;
use super::proto::slot::key_slot;
use super::{Cmd, ConnectOptions, Connection, Error, FromValue, ServerErrorKind, Value, cmd};

/// How many redirects one command may follow before its last error is
/// returned.
const MAX_REDIRECTS: usize = 5;

/// How long to wait before retrying after TRYAGAIN.
const TRY_AGAIN_PAUSE: Duration = Duration::from_millis(20);

/// A cluster client.
///
/// ```no_run
/// use corio::redis::{Cluster, cmd};
/// # corio::run(async {
/// let cluster = Cluster::connect("redis://127.0.0.1:7000").await?;
/// cluster.query::<()>(&cmd("SET").arg("user:1").arg("ada")).await?;
/// let name: String = cluster.query(&cmd("GET").arg("user:1")).await?;
/// # Ok::<(), corio::redis::Error>(())
/// # }).unwrap();
/// ```
pub struct Cluster {
    /// Credentials, timeouts and limits for every node; the seed's address.
    options: ConnectOptions,
    /// Slot ranges and the master serving each, sorted by first slot.
    slots: RefCell<Vec<SlotRange>>,
    /// One connection per node, by `host:port`.
    nodes: RefCell<HashMap<String, Connection>>,
}

/// Slots `start..=end`, served by `node`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SlotRange {
    /// The first slot.
    start: u16,
    /// The last slot, included.
    end: u16,
    /// The master's `host:port`.
    node: String,
}

impl Cluster {
    /// Connects to the node at `url` and loads the slot map from it.
    ///
    /// # Errors
    /// As [`ConnectOptions::connect`], or the node's refusal of `CLUSTER
    /// SLOTS` (for a server not in cluster mode).
    pub async fn connect(url: &str) -> Result<Cluster, Error> {
        Cluster::with_options(ConnectOptions::from_url(url)?).await
    }

    /// Connects with `options` (the seed node's address, and what every
    /// node connection uses).
    ///
    /// # Errors
    /// As [`Cluster::connect`].
    pub async fn with_options(options: ConnectOptions) -> Result<Cluster, Error> {
        let seed = node_name(&options.address().host, options.address().port);
        let cluster = Cluster { options, slots: RefCell::new(Vec::new()), nodes: RefCell::new(HashMap::new()) };
        cluster.reload(&seed).await?;
        Ok(cluster)
    }

    /// Sends `command` to the node serving its first argument's slot (any
    /// node for a command without arguments), following redirects.
    ///
    /// # Errors
    /// As [`Connection::query`]; after 5 redirects, the last one.
    pub async fn query<T: FromValue>(&self, command: &Cmd) -> Result<T, Error> {
        let slot = command.args().get(1).map(|key| key_slot(key));
        T::from_value(self.request(slot, command).await?)
    }

    /// Sends `command` to the node serving `key`'s slot, for commands whose
    /// key is not their first argument.
    ///
    /// # Errors
    /// As [`Cluster::query`].
    pub async fn query_for_key<T: FromValue>(&self, key: impl AsRef<[u8]>, command: &Cmd) -> Result<T, Error> {
        T::from_value(self.request(Some(key_slot(key.as_ref())), command).await?)
    }

    /// The connection to the node serving `key`, for the typed methods (a
    /// command sent on it follows no redirect).
    ///
    /// # Errors
    /// As [`ConnectOptions::connect`].
    pub async fn connection_for_key(&self, key: impl AsRef<[u8]>) -> Result<Connection, Error> {
        let node = self.node_for_slot(key_slot(key.as_ref())).unwrap_or_else(|| self.any_node());
        self.connection(&node).await
    }

    /// The `host:port` the slot map says serves `slot`.
    pub fn node_for_slot(&self, slot: u16) -> Option<String> {
        let slots = self.slots.borrow();
        let index = slots.partition_point(|range| range.end < slot);
        slots.get(index).filter(|range| range.start <= slot).map(|range| range.node.clone())
    }

    /// Every master in the slot map, by `host:port`.
    pub fn masters(&self) -> Vec<String> {
        let mut masters: Vec<String> = self.slots.borrow().iter().map(|range| range.node.clone()).collect();
        masters.sort();
        masters.dedup();
        masters
    }

    /// One command, routed by `slot`, redirects followed.
    async fn request(&self, slot: Option<u16>, command: &Cmd) -> Result<Value, Error> {
        let mut node = slot.and_then(|slot| self.node_for_slot(slot)).unwrap_or_else(|| self.any_node());
        let mut asking = false;
        let mut last_error = None;
        for _ in 0..=MAX_REDIRECTS {
            let conn = self.connection(&node).await?;
            let reply = if asking {
                // ASKING lets the importing node serve this one command.
                let asking_command = cmd("ASKING");
                conn.request_all(&[&asking_command, command])
                    .await
                    .map(|mut replies| replies.pop().unwrap_or(Value::Nil))
            } else {
                conn.query::<Value>(command).await
            };
            let error = match reply {
                Ok(Value::Error(error)) | Err(Error::Server(error)) => error,
                Ok(value) => return Ok(value),
                Err(error) if error.is_connection_error() => {
                    // The node went away: forget it, learn the map again
                    // from another node, and try once more.
                    self.nodes.borrow_mut().remove(&node);
                    let other = self.masters().into_iter().find(|master| *master != node);
                    if let Some(other) = other {
                        self.reload(&other).await?;
                    }
                    node = slot.and_then(|slot| self.node_for_slot(slot)).unwrap_or_else(|| self.any_node());
                    last_error = Some(error);
                    asking = false;
                    continue;
                }
                Err(error) => return Err(error),
            };
            match (error.kind(), error.redirect()) {
                (ServerErrorKind::Moved, Some((_, target))) => {
                    node = target.to_owned();
                    asking = false;
                    // The slot moved for good: the whole map may have
                    // changed, so learn it again from the node named.
                    self.reload(&node).await?;
                }
                (ServerErrorKind::Ask, Some((_, target))) => {
                    node = target.to_owned();
                    asking = true;
                }
                (ServerErrorKind::TryAgain, _) => crate::sleep(TRY_AGAIN_PAUSE).await,
                _ => return Err(Error::Server(error)),
            }
            last_error = Some(Error::Server(error));
        }
        Err(last_error.unwrap_or_else(|| Error::ConnectionLost("no cluster node answered".into())))
    }

    /// A node for a command without a key: the first master.
    fn any_node(&self) -> String {
        self.slots.borrow().first().map(|range| range.node.clone()).unwrap_or_else(|| {
            let address = self.options.address();
            node_name(&address.host, address.port)
        })
    }

    /// The connection to `node`, opened on first use (or again after it
    /// was lost).
    async fn connection(&self, node: &str) -> Result<Connection, Error> {
        let existing = self.nodes.borrow().get(node).filter(|conn| conn.lost().is_none()).cloned();
        if let Some(conn) = existing {
            return Ok(conn);
        }
        let (host, port) = node
            .rsplit_once(':')
            .and_then(|(host, port)| Some((host.trim_matches(['[', ']']), port.parse().ok()?)))
            .ok_or_else(|| Error::Type(format!("a cluster node address without a port: {node:?}")))?;
        let conn = self.options.for_node(host, port).connect().await?;
        self.nodes.borrow_mut().insert(node.to_owned(), conn.clone());
        Ok(conn)
    }

    /// Loads the slot map with `CLUSTER SLOTS` from `node`.
    async fn reload(&self, node: &str) -> Result<(), Error> {
        let conn = self.connection(node).await?;
        let reply: Value = conn.query(&cmd("CLUSTER").arg("SLOTS")).await?;
        let default_host = node.rsplit_once(':').map_or(node, |(host, _)| host);
        let mut slots = parse_slots(reply, default_host)?;
        slots.sort_by_key(|range| range.start);
        *self.slots.borrow_mut() = slots;
        Ok(())
    }
}

/// `host:port`, with brackets for an IPv6 host.
fn node_name(host: &str, port: u16) -> String {
    if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// `CLUSTER SLOTS`: `[[start, end, [host, port, id, ...], replica...], ...]`.
/// An empty host means the node that answered.
fn parse_slots(reply: Value, default_host: &str) -> Result<Vec<SlotRange>, Error> {
    let mut slots = Vec::new();
    for range in into_items(reply, "CLUSTER SLOTS")? {
        let mut items = into_items(range, "a slot range")?.into_iter();
        let start = u16::from_value(items.next().unwrap_or(Value::Nil))?;
        let end = u16::from_value(items.next().unwrap_or(Value::Nil))?;
        let mut master = into_items(items.next().unwrap_or(Value::Nil), "a slot range's master")?.into_iter();
        let host = String::from_value(master.next().unwrap_or(Value::Nil))?;
        let port = u16::from_value(master.next().unwrap_or(Value::Nil))?;
        let host = if host.is_empty() || host == "?" { default_host.to_owned() } else { host };
        slots.push(SlotRange { start, end, node: node_name(&host, port) });
    }
    Ok(slots)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::Bulk(text.as_bytes().to_vec())
    }

    #[test]
    fn cluster_slots_become_sorted_ranges_with_the_answering_host_for_an_empty_one() {
        let reply = Value::Array(vec![
            Value::Array(vec![
                Value::Int(5461),
                Value::Int(10922),
                Value::Array(vec![bulk("10.0.0.2"), Value::Int(7001), bulk("id2")]),
                Value::Array(vec![bulk("10.0.0.5"), Value::Int(7004), bulk("id5")]),
            ]),
            Value::Array(vec![Value::Int(0), Value::Int(5460), Value::Array(vec![bulk(""), Value::Int(7000)])]),
        ]);
        let slots = parse_slots(reply, "10.0.0.1").unwrap();
        assert_eq!(
            slots,
            [
                SlotRange { start: 5461, end: 10922, node: "10.0.0.2:7001".into() },
                SlotRange { start: 0, end: 5460, node: "10.0.0.1:7000".into() },
            ]
        );
        assert_eq!(node_name("::1", 7000), "[::1]:7000");
    }
}

//! `corio::redis::Cluster` on a real three-master cluster on loopback
//! ports: commands routed by key slot, a plain connection's MOVED typed,
//! and a slot migrated by hand under the client, first answered with ASK
//! (followed once, the map unchanged), then with MOVED (followed, the map
//! reloaded).
//!
//! The file runs its tests through `common::servers` (`harness = false`):
//! without redis-server each shows in the summary as ignored, with what to
//! install, unless `CORIO_REQUIRE_SERVERS=1` (set in CI), which makes it a
//! failure.

mod common;

use std::process::ExitCode;
use std::time::Duration;

use corio::redis::{Cluster, Connection, Error, ServerErrorKind, cmd, key_slot};

use common::redis::RedisCluster;
use common::servers::REDIS;
use common::within;

/// The limit on each test.
const LIMIT: Duration = Duration::from_secs(60);

fn commands_reach_the_node_that_serves_their_key_slot() {
    let cluster = RedisCluster::start();
    let seed = cluster.nodes[0].url("/");
    let ports: Vec<u16> = cluster.nodes.iter().map(|node| node.port).collect();
    within(LIMIT, move || {
        corio::run(async move {
            let client = Cluster::connect(&seed).await?;
            assert_eq!(client.masters().len(), 3);
            for i in 0..200 {
                client.query::<()>(&cmd("SET").arg(format!("key:{i}")).arg(i)).await?;
            }
            for i in 0..200 {
                assert_eq!(client.query::<i64>(&cmd("GET").arg(format!("key:{i}"))).await?, i);
            }
            // A plain connection to one node is told where other keys live.
            let first = Connection::open(&format!("redis://127.0.0.1:{}", ports[0])).await?;
            let elsewhere = (0..200)
                .map(|i| format!("key:{i}"))
                .find(|key| client.node_for_slot(key_slot(key.as_bytes())) != Some(format!("127.0.0.1:{}", ports[0])))
                .expect("some key lives on another node");
            let error = first.get::<Option<String>>(&elsewhere).await.unwrap_err();
            assert_eq!(error.kind(), Some(ServerErrorKind::Moved));
            let (slot, target) = error.server_error().unwrap().redirect().unwrap();
            assert_eq!(slot, key_slot(elsewhere.as_bytes()));
            assert_eq!(Some(target.to_owned()), client.node_for_slot(slot));
            // The typed methods work on the node's connection.
            let conn = client.connection_for_key(&elsewhere).await?;
            assert!(conn.get::<Option<String>>(&elsewhere).await?.is_some());
            Ok::<(), Error>(())
        })
        .unwrap();
    });
    // Every node holds some of the keys, and together exactly all of them.
    let counts: Vec<usize> = cluster.nodes.iter().map(|node| node.cli(&["DBSIZE"]).trim().parse().unwrap()).collect();
    assert!(counts.iter().all(|&count| count > 0), "{counts:?}");
    assert_eq!(counts.iter().sum::<usize>(), 200);
}

fn a_migrating_slot_is_followed_through_ask_then_moved() {
    let cluster = RedisCluster::start();
    within(LIMIT, move || {
        corio::run(async move {
            let (stay, fresh) = ("{migrating}.old", "{migrating}.new");
            let slot = key_slot(stay.as_bytes());
            let client = Cluster::connect(&cluster.nodes[0].url("/")).await?;
            client.query::<()>(&cmd("SET").arg(stay).arg("old")).await?;
            // Move the slot from its owner to another master by hand, as
            // `redis-cli --cluster reshard` would, while the client keeps
            // the map it loaded. (redis-cli blocks the loop for a moment;
            // nothing else runs on it.)
            let owner = client.node_for_slot(slot).unwrap();
            let other = client.masters().into_iter().find(|master| *master != owner).unwrap();
            let (source, target) = (cluster.node(&owner), cluster.node(&other));
            let id = |node: &common::redis::RedisServer| node.cli(&["CLUSTER", "MYID"]).trim().to_owned();
            let (source_id, target_id) = (id(source), id(target));
            let slot_arg = slot.to_string();
            assert_eq!(target.cli(&["CLUSTER", "SETSLOT", &slot_arg, "IMPORTING", &source_id]), "OK\n");
            assert_eq!(source.cli(&["CLUSTER", "SETSLOT", &slot_arg, "MIGRATING", &target_id]), "OK\n");

            // A key the old owner does not have: it answers ASK, and the
            // client asks the importing node once; its map is unchanged.
            client.query::<()>(&cmd("SET").arg(fresh).arg("new")).await?;
            assert_eq!(target.cli(&["CLUSTER", "COUNTKEYSINSLOT", &slot_arg]), "1\n", "the new key is on the target");
            assert_eq!(client.query::<String>(&cmd("GET").arg(fresh)).await?, "new");
            assert_eq!(client.query::<String>(&cmd("GET").arg(stay)).await?, "old");
            assert_eq!(client.node_for_slot(slot), Some(owner.clone()));

            // Finish the migration: move the old key, give the slot away.
            let port = target.port.to_string();
            assert_eq!(source.cli(&["MIGRATE", "127.0.0.1", &port, "", "0", "5000", "KEYS", stay]), "OK\n");
            for node in &cluster.nodes {
                assert_eq!(node.cli(&["CLUSTER", "SETSLOT", &slot_arg, "NODE", &target_id]), "OK\n");
            }
            // The old owner now answers MOVED; the client follows it and
            // reloads its map.
            assert_eq!(client.query::<String>(&cmd("GET").arg(stay)).await?, "old");
            assert_eq!(client.node_for_slot(slot), Some(other));
            assert_eq!(client.query::<String>(&cmd("GET").arg(fresh)).await?, "new");
            Ok::<(), Error>(())
        })
        .unwrap();
    });
}

fn main() -> ExitCode {
    common::servers::run_tests(
        &REDIS,
        common::servers::trials![
            commands_reach_the_node_that_serves_their_key_slot,
            a_migrating_slot_is_followed_through_ask_then_moved,
        ],
    )
}

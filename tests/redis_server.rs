//! `corio::redis` against a real redis-server: the typed commands, errors
//! typed with Redis's own message, AUTH (ACL user too) and SELECT, both
//! protocols, a multiplexed connection under many tasks, pipelines and
//! transactions with WATCH, pub/sub, a pool whose blocking commands hold up
//! nobody else, a reply timeout, and a connection lost under waiting callers.
//!
//! Each test starts its own server on a free loopback port with
//! persistence off (`tests/common/redis.rs`). The file runs its tests
//! through `common::servers` (`harness = false`): without redis-server each
//! shows in the summary as ignored, with what to install, unless
//! `CORIO_REQUIRE_SERVERS=1` (set in CI), which makes it a failure.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use corio::redis::{
    ConnectOptions, Connection, Error, Pipeline, Pool, ServerErrorKind, SetOptions, Side, TimeoutKind, Value, cmd,
};

use common::redis::RedisServer;
use common::servers::REDIS;
use common::within;

/// The limit on any one test here.
const LIMIT: Duration = Duration::from_secs(60);

/// Runs `test` once over RESP3 and once over RESP2 (`?protocol=2`), each on
/// a fresh database of the same server.
fn on_both_protocols<F, Fut>(server: &RedisServer, test: F)
where
    F: Fn(Connection) -> Fut + Clone + 'static,
    Fut: std::future::Future<Output = Result<(), Error>> + 'static,
{
    for (rest, resp3) in [("/", true), ("/?protocol=2", false)] {
        let url = server.url(rest);
        let (test, shown) = (test.clone(), url.clone());
        corio::run(async move {
            let conn = Connection::open(&url).await?;
            assert_eq!(conn.is_resp3(), resp3, "{url}");
            conn.flushdb().await?;
            test(conn).await
        })
        .unwrap_or_else(|error| panic!("{shown}: {error}"));
    }
}

fn strings_keys_and_counters() {
    let server = RedisServer::start();
    within(LIMIT, move || {
        on_both_protocols(&server, |conn| async move {
            conn.set("my-key", "hello").await?;
            assert_eq!(conn.get::<Option<String>>("my-key").await?.as_deref(), Some("hello"));
            assert_eq!(conn.get::<Option<String>>("nothing").await?, None);
            // SET's options: NX refuses an existing key, XX a missing one,
            // GET returns the old value, PX sets an expiry.
            assert!(!conn.set_with::<bool>("my-key", "x", SetOptions::new().nx()).await?);
            assert!(!conn.set_with::<bool>("absent", "x", SetOptions::new().xx()).await?);
            let old: Option<String> = conn.set_with("my-key", "bye", SetOptions::new().get()).await?;
            assert_eq!(old.as_deref(), Some("hello"));
            assert!(conn.set_with::<bool>("lease", "w1", SetOptions::new().nx().px(Duration::from_secs(60))).await?);
            let ttl = conn.ttl("lease").await?.expect("an expiry");
            assert!(ttl > Duration::from_secs(50) && ttl <= Duration::from_secs(60), "{ttl:?}");
            assert!(conn.persist("lease").await?);
            assert_eq!(conn.ttl("lease").await?, None);
            assert!(conn.expire("lease", Duration::from_secs(5)).await?);
            assert_eq!(conn.incr("n").await?, 1);
            assert_eq!(conn.incr_by("n", 41).await?, 42);
            assert_eq!(conn.decr("n").await?, 41);
            conn.mset([("a", "1"), ("b", "2")]).await?;
            assert_eq!(conn.mget::<Vec<Option<i64>>>(["a", "b", "zz"]).await?, [Some(1), Some(2), None]);
            assert_eq!(conn.exists(["a", "b", "zz"]).await?, 2);
            assert_eq!(conn.del(["a", "zz"]).await?, 1);
            assert_eq!(conn.key_type("b").await?, "string");
            assert_eq!(
                conn.keys::<BTreeSet<String>>("*").await?,
                ["b", "lease", "my-key", "n"].map(String::from).into()
            );
            assert_eq!(conn.ping().await?, "PONG");
            // Binary-safe values.
            conn.set("bin", &b"\0\r\n\xff"[..]).await?;
            assert_eq!(conn.get::<Vec<u8>>("bin").await?, b"\0\r\n\xff");
            Ok(())
        });
    });
}

fn server_errors_carry_their_code_and_redis_own_message() {
    let server = RedisServer::start();
    within(LIMIT, move || {
        on_both_protocols(&server, |conn| async move {
            conn.set("text", "abc").await?;
            let error = conn.incr("text").await.unwrap_err();
            assert_eq!(error.kind(), Some(ServerErrorKind::Err));
            assert_eq!(error.to_string(), "redis: ERR value is not an integer or out of range");
            let error = conn.lpush("text", "x").await.unwrap_err();
            assert_eq!(error.kind(), Some(ServerErrorKind::WrongType));
            assert_eq!(
                error.server_error().unwrap().message(),
                "WRONGTYPE Operation against a key holding the wrong kind of value"
            );
            let error = conn.query::<Value>(&cmd("NOSUCHCOMMAND")).await.unwrap_err();
            assert!(error.to_string().starts_with("redis: ERR unknown command 'NOSUCHCOMMAND'"), "{error}");
            // A reply of the wrong shape is a type error, and the
            // connection goes on.
            let error = conn.get::<i64>("text").await.unwrap_err();
            assert!(matches!(error, Error::Type(_)), "{error:?}");
            assert_eq!(error.to_string(), "unexpected redis reply: expected an integer (i64), got bulk string \"abc\"");
            assert_eq!(conn.ping().await?, "PONG");
            Ok(())
        });
    });
}

fn hashes_lists_sets_and_sorted_sets() {
    let server = RedisServer::start();
    within(LIMIT, move || {
        on_both_protocols(&server, |conn| async move {
            assert_eq!(conn.hset("movie:1", [("name", "肖申克的救赎"), ("score", "9.6")]).await?, 2);
            assert_eq!(conn.hset("movie:1", ("score", "9.7")).await?, 0);
            assert_eq!(conn.hget::<Option<String>>("movie:1", "score").await?.as_deref(), Some("9.7"));
            let all: HashMap<String, String> = conn.hgetall("movie:1").await?;
            assert_eq!(all["name"], "肖申克的救赎");
            assert_eq!(conn.hgetall::<HashMap<String, String>>("none").await?, HashMap::new());
            assert_eq!(conn.hincr_by("movie:1", "views", 3).await?, 3);
            assert_eq!(conn.hlen("movie:1").await?, 3);
            assert!(conn.hexists("movie:1", "views").await?);
            assert_eq!(conn.hdel("movie:1", ["views", "nope"]).await?, 1);

            assert_eq!(conn.rpush("q", ["a", "b", "c"]).await?, 3);
            assert_eq!(conn.lpush("q", "z").await?, 4);
            assert_eq!(conn.lrange::<Vec<String>>("q", 0, -1).await?, ["z", "a", "b", "c"]);
            assert_eq!(conn.lpop::<Option<String>>("q").await?.as_deref(), Some("z"));
            assert_eq!(conn.rpop::<Option<String>>("q").await?.as_deref(), Some("c"));
            let moved: Option<String> = conn.lmove("q", "doing", Side::Left, Side::Right).await?;
            assert_eq!(moved.as_deref(), Some("a"));
            assert_eq!((conn.llen("q").await?, conn.llen("doing").await?), (1, 1));
            let none: Option<String> = conn.lmove("empty", "doing", Side::Left, Side::Right).await?;
            assert_eq!(none, None);
            // BLMOVE on an empty list times out with nil.
            let started = Instant::now();
            let none: Option<String> =
                conn.blmove("empty", "doing", Side::Left, Side::Right, Duration::from_millis(100)).await?;
            assert_eq!(none, None);
            assert!(started.elapsed() >= Duration::from_millis(90), "{:?}", started.elapsed());

            assert_eq!(conn.sadd("seen", ["u1", "u2", "u1"]).await?, 2);
            assert!(conn.sismember("seen", "u1").await?);
            assert!(!conn.sismember("seen", "u3").await?);
            assert_eq!(conn.smembers::<BTreeSet<String>>("seen").await?, ["u1", "u2"].map(String::from).into());
            assert_eq!(conn.srem("seen", "u1").await?, 1);
            assert_eq!(conn.scard("seen").await?, 1);

            assert!(conn.zadd("rank", "second", 2.0).await?);
            assert!(conn.zadd("rank", "first", 1.0).await?);
            assert!(conn.zadd("rank", "third", 3.5).await?);
            assert!(!conn.zadd("rank", "third", 3.5).await?, "an existing member is not new");
            assert_eq!(conn.zrange::<Vec<String>>("rank", 0, -1).await?, ["first", "second", "third"]);
            let scored: Vec<(String, f64)> = conn.zrange_withscores("rank", 0, 1).await?;
            assert_eq!(scored, [("first".to_owned(), 1.0), ("second".to_owned(), 2.0)]);
            assert_eq!(conn.zscore("rank", "third").await?, Some(3.5));
            assert_eq!(conn.zscore("rank", "none").await?, None);
            assert_eq!(conn.zrem("rank", "third").await?, 1);
            assert_eq!(conn.zcard("rank").await?, 2);
            Ok(())
        });
    });
}

fn streams_and_consumer_groups_hand_out_claim_and_acknowledge_work() {
    let server = RedisServer::start();
    within(LIMIT, move || {
        on_both_protocols(&server, |conn| async move {
            assert!(conn.xgroup_create("jobs", "crawlers", "0").await?);
            assert!(!conn.xgroup_create("jobs", "crawlers", "0").await?, "the second create finds the group");
            let first = conn.xadd("jobs", [("url", "/top250?start=0"), ("kind", "list")]).await?;
            conn.xadd("jobs", ("url", "/subject/1/")).await?;
            assert_eq!(conn.xlen("jobs").await?, 2);

            let got = conn.xreadgroup("crawlers", "alice", "jobs", 1, None).await?;
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].id, first);
            assert_eq!(got[0].get("url"), Some("/top250?start=0"));
            assert_eq!(got[0].get("kind"), Some("list"));
            let got_bob = conn.xreadgroup("crawlers", "bob", "jobs", 10, Some(Duration::from_millis(10))).await?;
            assert_eq!(got_bob.len(), 1);
            // Nothing new: a blocking read times out empty.
            assert!(conn.xreadgroup("crawlers", "bob", "jobs", 10, Some(Duration::from_millis(10))).await?.is_empty());

            let pending = conn.xpending("jobs", "crawlers").await?;
            assert_eq!(pending.count, 2);
            assert_eq!(pending.consumers, [("alice".to_owned(), 1), ("bob".to_owned(), 1)]);

            // alice dies; after her lease carol claims her entry.
            corio::sleep(Duration::from_millis(30)).await;
            let claim = conn.xautoclaim("jobs", "crawlers", "carol", Duration::from_millis(20), "0-0", 1).await?;
            assert_eq!(claim.claimed.len(), 1);
            assert_eq!(claim.claimed[0].id, first);
            let unclaimed = conn.xautoclaim("jobs", "crawlers", "dave", Duration::from_secs(3600), "0-0", 10).await?;
            assert!(unclaimed.claimed.is_empty());
            assert_eq!(unclaimed.next, "0-0");

            assert_eq!(conn.xack("jobs", "crawlers", [&first, &got_bob[0].id]).await?, 2);
            assert_eq!(conn.xack("jobs", "crawlers", &first).await?, 0);
            let pending = conn.xpending("jobs", "crawlers").await?;
            assert_eq!((pending.count, pending.range, pending.consumers.len()), (0, None, 0));
            let error = conn.xreadgroup("nobody", "x", "jobs", 1, None).await.unwrap_err();
            assert_eq!(error.kind(), Some(ServerErrorKind::NoGroup));
            Ok(())
        });
    });
}

fn pipelines_and_transactions() {
    let server = RedisServer::start();
    within(LIMIT, move || {
        on_both_protocols(&server, |conn| async move {
            let (set, count, value): ((), i64, String) = Pipeline::new()
                .command(cmd("SET").arg("k").arg("v"))
                .command(cmd("INCR").arg("n"))
                .command(cmd("GET").arg("k"))
                .query(&conn)
                .await?;
            assert_eq!((set, count, value), ((), 1, "v".to_owned()));
            let (count,): (i64,) = Pipeline::new()
                .atomic()
                .command(cmd("SET").arg("x").arg(1))
                .ignore()
                .command(cmd("INCR").arg("n"))
                .query(&conn)
                .await?;
            assert_eq!(count, 2);
            // Ignored replies anywhere in the line are left out, each once
            // however often it was ignored.
            let (first, last): (String, i64) = Pipeline::new()
                .command(cmd("SET").arg("y").arg(1))
                .ignore()
                .ignore()
                .command(cmd("GET").arg("k"))
                .command(cmd("SET").arg("z").arg(1))
                .ignore()
                .command(cmd("INCR").arg("n"))
                .query(&conn)
                .await?;
            assert_eq!((first, last), ("v".to_owned(), 3));
            // An error reply inside a pipeline is returned as the error.
            let error = Pipeline::new().command(cmd("INCR").arg("k")).query::<Value>(&conn).await.unwrap_err();
            assert_eq!(error.kind(), Some(ServerErrorKind::Err));
            // A command the server refuses to queue aborts the transaction.
            let error = Pipeline::new().atomic().command(cmd("INCR")).query::<Value>(&conn).await.unwrap_err();
            assert_eq!(error.kind(), Some(ServerErrorKind::Err), "{error}");
            Ok(())
        });
    });
}

fn watch_makes_exec_give_nil_when_a_watched_key_changed() {
    let server = RedisServer::start();
    let url = server.url("/");
    within(LIMIT, move || {
        corio::run(async move {
            let pool = Pool::new(ConnectOptions::from_url(&url)?, 2);
            let (mine, other) = (pool.get().await?, pool.get().await?);
            mine.set("balance", 10).await?;
            let transfer = Pipeline::new().atomic().command(cmd("DECRBY").arg("balance").arg(3));

            mine.watch("balance").await?;
            let done: Option<(i64,)> = transfer.query(&mine).await?;
            assert_eq!(done, Some((7,)));

            mine.watch("balance").await?;
            other.set("balance", 100).await?;
            let done: Option<(i64,)> = transfer.query(&mine).await?;
            assert_eq!(done, None, "the other connection's write aborts EXEC");
            assert_eq!(mine.get::<i64>("balance").await?, 100);
            Ok::<(), Error>(())
        })
        .unwrap();
    });
}

fn one_connection_serves_many_tasks_at_once() {
    let server = RedisServer::start();
    within(LIMIT, move || {
        on_both_protocols(&server, |conn| async move {
            let tasks: Vec<_> = (0..200)
                .map(|i| {
                    let conn = conn.clone();
                    corio::create_task(async move {
                        conn.set(format!("k{i}"), i).await?;
                        conn.incr("hits").await?;
                        conn.get::<i64>(format!("k{i}")).await
                    })
                })
                .collect();
            for (i, task) in tasks.into_iter().enumerate() {
                assert_eq!(task.await.unwrap()?, i as i64);
            }
            assert_eq!(conn.get::<i64>("hits").await?, 200);
            Ok(())
        });
    });
}

fn a_blocking_command_on_a_pool_lease_holds_up_no_other_task() {
    let server = RedisServer::start();
    let url = server.url("/");
    within(LIMIT, move || {
        corio::run(async move {
            let pool = Pool::new(ConnectOptions::from_url(&url)?, 2);
            let waiter_pool = pool.clone();
            let started = Instant::now();
            let waiter = corio::create_task(async move {
                let lease = waiter_pool.get().await?;
                let job: Option<String> =
                    lease.blmove("jobs", "doing", Side::Left, Side::Right, Duration::from_secs(20)).await?;
                Ok::<_, Error>((job, started.elapsed()))
            });
            // Let the waiter block on the server first.
            corio::sleep(Duration::from_millis(100)).await;
            {
                let lease = pool.get().await?;
                lease.set("other", "work").await?;
                assert_eq!(lease.get::<String>("other").await?, "work");
                assert!(started.elapsed() < Duration::from_secs(5), "the other lease was not held up");
                lease.rpush("jobs", "job-1").await?;
            }
            let (job, waited) = waiter.await.unwrap()?;
            assert_eq!(job.as_deref(), Some("job-1"));
            assert!(waited < Duration::from_secs(5), "woken by the push, not the timeout: {waited:?}");
            assert_eq!(pool.idle_count(), 2);
            Ok::<(), Error>(())
        })
        .unwrap();
    });
}

fn pubsub_delivers_subscribed_and_pattern_messages_in_order() {
    let server = RedisServer::start();
    within(LIMIT, move || {
        for rest in ["/", "/?protocol=2"] {
            let url = server.url(rest);
            let shown = url.clone();
            corio::run(async move {
                let options = ConnectOptions::from_url(&url)?;
                let mut pubsub = options.pubsub().await?;
                pubsub.subscribe(["news", "weather"]).await?;
                pubsub.psubscribe("crawl:*").await?;
                let conn = options.connect().await?;
                assert_eq!(conn.publish("news", "first").await?, 1);
                assert_eq!(conn.publish("crawl:done", "249").await?, 1);
                assert_eq!(conn.publish("nobody", "x").await?, 0);
                assert_eq!(conn.publish("weather", "rain").await?, 1);
                let mut got = Vec::new();
                for _ in 0..3 {
                    let message = corio::timeout(Duration::from_secs(5), pubsub.next_message()).await.unwrap()?;
                    got.push((message.channel.clone(), message.pattern.clone(), message.payload_str().into_owned()));
                }
                assert_eq!(
                    got,
                    [
                        ("news".to_owned(), None, "first".to_owned()),
                        ("crawl:done".to_owned(), Some("crawl:*".to_owned()), "249".to_owned()),
                        ("weather".to_owned(), None, "rain".to_owned()),
                    ]
                );
                pubsub.unsubscribe("news").await?;
                assert_eq!(conn.publish("news", "again").await?, 0);
                Ok::<(), Error>(())
            })
            .unwrap_or_else(|error| panic!("{shown}: {error}"));
        }
    });
}

fn auth_with_a_password_an_acl_user_and_select() {
    let server =
        RedisServer::start_with(&["--requirepass", "s3cret", "--user", "crawler", "on", ">pw", "~*", "&*", "+@all"]);
    let port = server.port;
    within(LIMIT, move || {
        corio::run(async move {
            for protocol in ["", "?protocol=2"] {
                // No password: the server says NOAUTH on the first command
                // (after HELLO falls back to RESP2 for the same reason).
                let conn = Connection::open(&format!("redis://127.0.0.1:{port}/{protocol}")).await?;
                let error = conn.ping().await.unwrap_err();
                assert_eq!(error.kind(), Some(ServerErrorKind::NoAuth), "{error}");

                let error = Connection::open(&format!("redis://:wrong@127.0.0.1:{port}/{protocol}")).await.unwrap_err();
                assert_eq!(error.kind(), Some(ServerErrorKind::WrongPass), "{error}");

                let conn = Connection::open(&format!("redis://:s3cret@127.0.0.1:{port}/{protocol}")).await?;
                conn.set("where", "db0").await?;
                let user = Connection::open(&format!("redis://crawler:pw@127.0.0.1:{port}/2{protocol}")).await?;
                assert_eq!(user.query::<String>(&cmd("ACL").arg("WHOAMI")).await?, "crawler");
                assert_eq!(user.get::<Option<String>>("where").await?, None, "db 2 is another database");
                user.set("where", "db2").await?;
                assert_eq!(conn.get::<String>("where").await?, "db0");
                user.del("where").await?;
            }
            Ok::<(), Error>(())
        })
        .unwrap();
    });
}

fn a_reply_timeout_fails_one_call_and_leaves_the_connection_usable() {
    let server = RedisServer::start();
    let url = server.url("/");
    within(LIMIT, move || {
        corio::run(async move {
            let conn =
                ConnectOptions::from_url(&url)?.reply_timeout(Some(Duration::from_millis(100))).connect().await?;
            // A raw BLPOP through `query` gets no block allowance.
            let started = Instant::now();
            let error = conn.query::<Value>(&cmd("BLPOP").arg("empty").arg("0.5")).await.unwrap_err();
            assert!(matches!(error, Error::Timeout(TimeoutKind::Reply)), "{error:?}");
            assert!(started.elapsed() < Duration::from_millis(400), "{:?}", started.elapsed());
            // The server still answers the BLPOP, at 0.5 s; that late reply
            // fills the abandoned slot and is dropped, not handed to the
            // next caller.
            corio::sleep(Duration::from_millis(600)).await;
            // The typed BLMOVE adds its block time to the reply timeout.
            let none: Option<String> =
                conn.blmove("empty", "x", Side::Left, Side::Left, Duration::from_millis(300)).await?;
            assert_eq!(none, None);
            assert_eq!(conn.ping().await?, "PONG");
            Ok::<(), Error>(())
        })
        .unwrap();
    });
}

fn a_lost_connection_fails_every_waiting_caller_and_every_later_one() {
    let server = RedisServer::start();
    let url = server.url("/");
    within(LIMIT, move || {
        corio::run(async move {
            let conn = Connection::open(&url).await?;
            let id: i64 = conn.query(&cmd("CLIENT").arg("ID")).await?;
            // One caller blocks on the server; two more queue behind it.
            let callers: Vec<_> = (0..3)
                .map(|i| {
                    let conn = conn.clone();
                    corio::create_task(async move {
                        if i == 0 {
                            conn.blmove::<Option<String>>("empty", "x", Side::Left, Side::Left, Duration::ZERO)
                                .await
                                .map(|_| ())
                        } else {
                            conn.ping().await.map(|_| ())
                        }
                    })
                })
                .collect();
            corio::sleep(Duration::from_millis(100)).await;
            let killer = Connection::open(&url).await?;
            let killed: i64 = killer.query(&cmd("CLIENT").arg(["KILL", "ID"]).arg(id)).await?;
            assert_eq!(killed, 1);
            for caller in callers {
                let error =
                    corio::timeout(Duration::from_secs(5), caller).await.expect("not hung").unwrap().unwrap_err();
                assert!(matches!(error, Error::ConnectionLost(_)), "{error:?}");
                assert_eq!(error.to_string(), "redis connection lost: the server closed the connection");
            }
            assert!(conn.lost().is_some());
            assert!(matches!(conn.ping().await.unwrap_err(), Error::ConnectionLost(_)));
            Ok::<(), Error>(())
        })
        .unwrap();
    });
}

fn maps_come_back_the_same_from_both_protocols() {
    let server = RedisServer::start();
    let url = server.url("/");
    within(LIMIT, move || {
        corio::run(async move {
            let resp3 = Connection::open(&url).await?;
            let resp2 = Connection::open(&format!("{url}?protocol=2")).await?;
            resp3.hset("h", [("a", "1"), ("b", "2")]).await?;
            let raw3: Value = resp3.query(&cmd("HGETALL").arg("h")).await?;
            let raw2: Value = resp2.query(&cmd("HGETALL").arg("h")).await?;
            assert!(matches!(raw3, Value::Map(_)), "{raw3:?}");
            assert!(matches!(raw2, Value::Array(_)), "{raw2:?}");
            let from3: BTreeMap<String, i64> = resp3.hgetall("h").await?;
            let from2: BTreeMap<String, i64> = resp2.hgetall("h").await?;
            assert_eq!(from3, from2);
            Ok::<(), Error>(())
        })
        .unwrap();
    });
}

fn the_tutorials_aioredis_program_prints_the_value_back() {
    let server = RedisServer::start();
    let output = common::examples::run_example("redis_hello", &[&server.url("/")]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "Some(\"value\")\n");
    assert_eq!(server.cli(&["GET", "my-key"]), "value\n");
}

fn rediss_speaks_tls_with_a_private_ca_and_refuses_an_unknown_one() {
    let ca = common::tls::TestCa::new("corio redis test CA");
    let certificate = ca.issue(&["localhost", "127.0.0.1"]);
    let dir = std::env::temp_dir().join(format!("corio-redis-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key, ca_file) = (dir.join("cert.pem"), dir.join("key.pem"), dir.join("ca.pem"));
    std::fs::write(&cert, &certificate.cert_pem).unwrap();
    std::fs::write(&key, &certificate.key_pem).unwrap();
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let tls_port = common::redis::free_port().to_string();
    let path = |file: &std::path::Path| file.to_str().unwrap().to_owned();
    let server = RedisServer::start_with(&[
        "--tls-port",
        &tls_port,
        "--tls-cert-file",
        &path(&cert),
        "--tls-key-file",
        &path(&key),
        "--tls-ca-cert-file",
        &path(&ca_file),
        "--tls-auth-clients",
        "no",
    ]);
    let ca_pem = ca.pem.clone();
    within(LIMIT, move || {
        corio::run(async move {
            for host in ["localhost", "127.0.0.1"] {
                let url = format!("rediss://{host}:{tls_port}");
                let conn =
                    ConnectOptions::from_url(&url)?.add_root_certificates_pem(ca_pem.as_bytes())?.connect().await?;
                assert!(conn.is_resp3());
                conn.set("over", "tls").await?;
                assert_eq!(conn.get::<String>("over").await?, "tls", "{url}");
                // Many tasks on one TLS connection: the reader and the
                // writer share the TLS state.
                let tasks: Vec<_> = (0..50)
                    .map(|_| {
                        let conn = conn.clone();
                        corio::create_task(async move { conn.incr("tls-hits").await })
                    })
                    .collect();
                for task in tasks {
                    task.await.unwrap()?;
                }
            }
            // Without the private CA, the certificate chains to no known root.
            let error = Connection::open(&format!("rediss://localhost:{tls_port}")).await.unwrap_err();
            assert!(matches!(error, Error::Tls(_)), "{error:?}");
            assert!(error.is_connection_error());
            Ok::<(), Error>(())
        })
        .unwrap();
    });
    assert_eq!(server.cli(&["GET", "tls-hits"]), "100\n");
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() -> ExitCode {
    common::servers::run_tests(
        &REDIS,
        common::servers::trials![
            strings_keys_and_counters,
            server_errors_carry_their_code_and_redis_own_message,
            hashes_lists_sets_and_sorted_sets,
            streams_and_consumer_groups_hand_out_claim_and_acknowledge_work,
            pipelines_and_transactions,
            watch_makes_exec_give_nil_when_a_watched_key_changed,
            one_connection_serves_many_tasks_at_once,
            a_blocking_command_on_a_pool_lease_holds_up_no_other_task,
            pubsub_delivers_subscribed_and_pattern_messages_in_order,
            auth_with_a_password_an_acl_user_and_select,
            a_reply_timeout_fails_one_call_and_leaves_the_connection_usable,
            a_lost_connection_fails_every_waiting_caller_and_every_later_one,
            maps_come_back_the_same_from_both_protocols,
            the_tutorials_aioredis_program_prints_the_value_back,
            rediss_speaks_tls_with_a_private_ca_and_refuses_an_unknown_one,
        ],
    )
}

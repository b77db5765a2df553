//! The tutorial's aioredis program, on `corio::redis`: connect, set
//! `my-key`, get it back, print it, close.
//!
//! ```text
//! redis-server --port 6379 --save '' &            # any Redis will do
//! cargo run --example redis_hello                  # or: -- redis://host:port/db
//! ```
//!
//! The Python it re-enacts:
//!
//! ```python
//! import asyncio
//! import aioredis
//!
//! async def main():
//!     redis = aioredis.from_url("redis://localhost")
//!     await redis.set("my-key", "value")
//!     value = await redis.get("my-key")
//!     print(value)
//!     await redis.close()
//!
//! asyncio.run(main())
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let url = std::env::args().nth(1).unwrap_or_else(|| "redis://localhost".to_owned());
    let result = corio::run(async move {
        let redis = corio::redis::from_url(&url).await?;
        redis.set("my-key", "value").await?;
        let value: Option<String> = redis.get("my-key").await?;
        println!("{value:?}");
        // Dropping the last handle closes the connection, as `close()` does.
        drop(redis);
        Ok::<(), corio::redis::Error>(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("redis_hello: {error}");
            ExitCode::FAILURE
        }
    }
}

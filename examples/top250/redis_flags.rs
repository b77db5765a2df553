//! The crawler's Redis flags: where the shared state lives and which part
//! of a shared crawl this process plays. Kept apart from `cli.rs`, which
//! calls [`RedisFlags::take`] for any flag it does not know.

use std::time::Duration;

/// What this process does with Redis.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Role {
    /// No Redis, or a plain crawl whose records are also stored there.
    #[default]
    Store,
    /// `--worker`: join the shared crawl.
    Worker,
    /// `--seed-frontier`: enqueue the list pages and exit.
    Seed,
    /// `--status`: print the shared crawl's progress; export when drained.
    Status,
}

/// The Redis flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisFlags {
    /// `--redis URL`.
    pub url: Option<String>,
    /// What to do there.
    pub role: Role,
    /// `--lease SECS`: how long a page may stay claimed by a silent worker
    /// before another takes it over.
    pub lease: Duration,
    /// `--ban-pause SECS`: how long every worker pauses after a ban answer
    /// before trying again; zero stops them for good instead.
    pub ban_pause: Duration,
}

/// `--ban-pause`'s default: long enough for a short rate limit to lapse,
/// short enough that an unattended crawl goes on the same hour, and a ban
/// that persists costs at most `--concurrency` requests each time.
pub const BAN_PAUSE: Duration = Duration::from_secs(300);

impl Default for RedisFlags {
    fn default() -> RedisFlags {
        RedisFlags { url: None, role: Role::Store, lease: Duration::from_secs(60), ban_pause: BAN_PAUSE }
    }
}

impl RedisFlags {
    /// Reads `flag` if it is one of ours (`value` gives its argument);
    /// `Ok(false)` if it is not.
    pub fn take(&mut self, flag: &str, value: &mut dyn FnMut() -> Result<String, String>) -> Result<bool, String> {
        match flag {
            "--redis" => self.url = Some(value()?),
            "--worker" => self.set_role(Role::Worker, flag)?,
            "--seed-frontier" => self.set_role(Role::Seed, flag)?,
            "--status" => self.set_role(Role::Status, flag)?,
            "--lease" => {
                let text = value()?;
                let secs: u64 = text.parse().map_err(|_| format!("--lease takes a whole number, not {text:?}"))?;
                if secs == 0 {
                    return Err("--lease must be at least 1 second".into());
                }
                self.lease = Duration::from_secs(secs);
            }
            "--ban-pause" => {
                let text = value()?;
                let secs: u64 = text.parse().map_err(|_| format!("--ban-pause takes a whole number, not {text:?}"))?;
                self.ban_pause = Duration::from_secs(secs);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Checks the flags together, once all are read: a role needs
    /// `--redis`, and a shared crawl needs a site every worker can reach.
    pub fn check(&self, mirror: bool) -> Result<(), String> {
        if self.role != Role::Store && self.url.is_none() {
            return Err("--worker, --seed-frontier and --status need --redis URL".into());
        }
        if matches!(self.role, Role::Worker | Role::Seed) && mirror {
            return Err("a shared crawl needs --base-url: a --mirror lives inside one process \
                        (run douban_mirror and point every worker at it)"
                .into());
        }
        Ok(())
    }

    /// The role, but only with a Redis URL.
    fn set_role(&mut self, role: Role, flag: &str) -> Result<(), String> {
        if self.role != Role::Store {
            return Err(format!("{flag}: give one of --worker, --seed-frontier and --status"));
        }
        self.role = role;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> Result<RedisFlags, String> {
        let mut flags = RedisFlags::default();
        let mut words = line.split_whitespace().map(str::to_owned);
        while let Some(flag) = words.next() {
            let mut value = || words.next().ok_or_else(|| format!("{flag} needs a value"));
            assert!(flags.take(&flag, &mut value)?, "{flag} is ours");
        }
        flags.check(false)?;
        Ok(flags)
    }

    #[test]
    fn flags_set_the_url_role_and_lease() {
        let flags = read("--redis redis://h/1 --worker --lease 5").unwrap();
        assert_eq!(flags.url.as_deref(), Some("redis://h/1"));
        assert_eq!((flags.role, flags.lease, flags.ban_pause), (Role::Worker, Duration::from_secs(5), BAN_PAUSE));
        assert_eq!(read("--redis r --worker --ban-pause 2").unwrap().ban_pause, Duration::from_secs(2));
        assert_eq!(read("--redis r --worker --ban-pause 0").unwrap().ban_pause, Duration::ZERO);
        assert_eq!(read("--redis redis://h --status").unwrap().role, Role::Status);
    }

    #[test]
    fn bad_combinations_say_what_is_wrong() {
        assert_eq!(read("--worker").unwrap_err(), "--worker, --seed-frontier and --status need --redis URL");
        assert_eq!(
            read("--redis r --worker --status").unwrap_err(),
            "--status: give one of --worker, --seed-frontier and --status"
        );
        assert_eq!(read("--redis r --lease 0").unwrap_err(), "--lease must be at least 1 second");
        assert_eq!(read("--redis r --ban-pause soon").unwrap_err(), "--ban-pause takes a whole number, not \"soon\"");
        let flags = RedisFlags { url: Some("redis://h".into()), role: Role::Worker, ..RedisFlags::default() };
        assert!(flags.check(true).unwrap_err().starts_with("a shared crawl needs --base-url"));
        assert!(!RedisFlags::default().take("--mirror", &mut || Ok(String::new())).unwrap());
    }
}

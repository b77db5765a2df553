//! Ctrl-C, as Scrapy handles it: the first stops new requests, lets those
//! in flight finish, and the crawl then writes what it has and its summary;
//! a second exits at once.
//!
//! A signal handler may do almost nothing, so signal-hook's flag handlers
//! do it all: the first SIGINT sets a flag; a SIGINT that finds the flag
//! already set exits the process with status 130 (128 + SIGINT) right in
//! the handler. The loop cannot be woken from a signal handler without a
//! self-pipe, so a small task looks at the flag ten times a second and
//! tells the fetcher, whose sleeps (backoff, delay) end early for it.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use signal_hook::consts::SIGINT;

/// The exit status of an interrupted crawl, as a shell reports Ctrl-C.
pub const EXIT_INTERRUPTED: u8 = 130;

/// How often the loop looks at the flag.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// Whether Ctrl-C was pressed.
#[derive(Clone)]
pub struct Interrupt {
    /// Set by the first SIGINT, in the handler.
    pressed: Arc<AtomicBool>,
}

impl Interrupt {
    /// Installs the two handlers.
    ///
    /// # Errors
    /// The handlers cannot be registered.
    pub fn install() -> io::Result<Interrupt> {
        let pressed = Arc::new(AtomicBool::new(false));
        // Registered first, so it sees the flag before the second handler
        // sets it: with the flag already set, this SIGINT is the second.
        signal_hook::flag::register_conditional_shutdown(SIGINT, i32::from(EXIT_INTERRUPTED), Arc::clone(&pressed))?;
        signal_hook::flag::register(SIGINT, Arc::clone(&pressed))?;
        Ok(Interrupt { pressed })
    }

    /// Whether the first Ctrl-C has come.
    pub fn pressed(&self) -> bool {
        self.pressed.load(Ordering::SeqCst)
    }

    /// Returns once Ctrl-C has been pressed (polling the flag; cancel the
    /// task running it when the crawl ends first).
    pub async fn wait(&self) {
        while !self.pressed() {
            corio::sleep(LOOK_EVERY).await;
        }
    }
}

//! signal-hook's side of a loop's signal handler: the registration that
//! writes one byte per delivery to the handler's pipe, and, per signal and
//! process-wide, the *conditional default* that gives the signal its default
//! action back while no loop handles it (see `signals.rs` for why).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use signal_hook::SigId;

use super::signals::SignalError;

/// Refuses what cannot be handled, before signal-hook would panic on it.
pub(super) fn check_signal(signum: i32) -> Result<(), SignalError> {
    if signal_hook::consts::FORBIDDEN.contains(&signum) {
        return Err(SignalError::Uncatchable(signum));
    }
    if signal_hook::low_level::signal_name(signum).is_none() {
        return Err(SignalError::Invalid(signum));
    }
    Ok(())
}

/// One handler's signal-hook registration: the pipe write, and its share
/// in keeping the signal's default action disarmed.
pub(super) struct Registration {
    /// The pipe-writing action.
    id: SigId,
    /// Its signal.
    signum: i32,
}

/// Per signal, across the process: how many loops handle it, and the flag
/// that arms the default action when none does.
static DEFAULT_ACTIONS: Mutex<Option<HashMap<i32, DefaultAction>>> = Mutex::new(None);

/// The conditional default of one signal.
struct DefaultAction {
    /// True while no loop handles the signal: signal-hook then runs the
    /// default action.
    armed: Arc<AtomicBool>,
    /// Live registrations of the signal.
    handlers: usize,
}

impl Registration {
    /// Makes signal-hook write a byte to `write_end` on every `signum`.
    pub(super) fn new(signum: i32, write_end: StdUnixStream) -> Result<Registration, SignalError> {
        let mut actions = DEFAULT_ACTIONS.lock().unwrap_or_else(PoisonError::into_inner);
        let action = match actions.get_or_insert_with(HashMap::new).entry(signum) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                // Registered once per signal for the life of the process
                // (see the module docs), armed until the pipe below is
                // registered: no loop handles the signal yet.
                let armed = Arc::new(AtomicBool::new(true));
                signal_hook::flag::register_conditional_default(signum, armed.clone())
                    .map_err(register_error(signum))?;
                entry.insert(DefaultAction { armed, handlers: 0 })
            }
        };
        let id = signal_hook::low_level::pipe::register(signum, write_end).map_err(register_error(signum))?;
        action.handlers += 1;
        action.armed.store(false, Ordering::SeqCst);
        Ok(Registration { id, signum })
    }
}

/// Maps signal-hook's registration error: `EINVAL` means a signal it or the
/// system does not know.
fn register_error(signum: i32) -> impl Fn(io::Error) -> SignalError {
    move |error| match error.kind() {
        io::ErrorKind::InvalidInput => SignalError::Invalid(signum),
        _ => SignalError::Io(error),
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        signal_hook::low_level::unregister(self.id);
        let mut actions = DEFAULT_ACTIONS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(action) = actions.as_mut().and_then(|actions| actions.get_mut(&self.signum)) {
            action.handlers -= 1;
            action.armed.store(action.handlers == 0, Ordering::SeqCst);
        }
    }
}

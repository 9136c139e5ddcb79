//! What the core needs from the machine it runs on, in one place: the clock for waiting,
//! the HTTP client's limits, running a request in the background, what a failed request
//! means, the store's keying and journal, and merging on several cores. The desktop
//! shell and the server run the core natively (tokio); a phone's browser runs it in a
//! dedicated worker (`browser` feature, wasm32). Nothing outside this module asks which.

#[cfg(not(target_family = "wasm"))]
mod native;
#[cfg(not(target_family = "wasm"))]
pub(crate) use native::*;

#[cfg(target_family = "wasm")]
mod browser;
#[cfg(target_family = "wasm")]
pub(crate) use browser::*;

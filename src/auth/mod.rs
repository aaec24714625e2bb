//! Logins: stored password hashes verified in slices (`hash`).
//!
//! The access decision (`access.rs`) will ask for a verification when a
//! request to a protected prefix carries Basic credentials; the connection
//! waits in a `Verifying` state while the loop advances it a slice per turn.

pub mod hash;

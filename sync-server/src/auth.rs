//! Passwords and session tokens.
//!
//! Passwords are stored as Argon2id hashes (PHC strings, with their own salt and
//! parameters); a session token is 32 random bytes, handed to the device once and stored
//! on the server only as its SHA-256, so a copy of the database signs no one in.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use shared::protocol::{SETUP_ALPHABET, SetUpCode};

use crate::storage::StorageError;

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The Argon2id hash of `password`, with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, StorageError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StorageError::BadRequest(format!(
            "a password has at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| StorageError::BadRequest(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| StorageError::BadRequest(format!("password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StorageError::BadRequest(format!("password hash: {e}")))
}

/// Whether `password` matches `hash` (a stored PHC string). With `None` (no such
/// account) it checks against a dummy hash, so an unknown user name takes as long to
/// refuse as a wrong password.
pub fn verify_password(password: &str, hash: Option<&str>) -> bool {
    static DUMMY: LazyLock<String> =
        LazyLock::new(|| hash_password("not a password of anyone").unwrap_or_default());
    let known = hash.is_some();
    let hash = hash.unwrap_or(DUMMY.as_str());
    let ok = PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false);
    ok && known
}

/// A new session token and the hash the server keeps of it.
pub fn new_token() -> Result<(String, Vec<u8>), StorageError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| StorageError::BadRequest(format!("no randomness: {e}")))?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// What the server stores of a token (and of a set-up code's secret): its SHA-256.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// How long a set-up code may be used after it was issued.
pub const SETUP_CODE_TTL: std::time::Duration = std::time::Duration::from_secs(72 * 3600);

/// A new set-up code for `username`: 16 random characters of
/// [`shared::protocol::SETUP_ALPHABET`] (80 bits).
pub fn new_setup_code(username: &str) -> Result<SetUpCode, StorageError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| StorageError::BadRequest(format!("no randomness: {e}")))?;
    // 256 is a multiple of 32: every character equally likely.
    let secret = bytes
        .iter()
        .map(|b| SETUP_ALPHABET[usize::from(*b) % SETUP_ALPHABET.len()] as char)
        .collect();
    Ok(SetUpCode {
        username: username.to_owned(),
        secret,
    })
}

/// A random password of 14 letters and digits (no look-alikes), for a new account or a
/// reset when the administrator does not type one.
pub fn random_password() -> Result<String, StorageError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    // Bytes at or above the largest multiple of the alphabet's size are drawn again, so
    // every character is equally likely.
    let limit = 256 - 256 % ALPHABET.len();
    let mut password = String::new();
    while password.len() < 14 {
        let mut b = [0u8; 1];
        getrandom::fill(&mut b)
            .map_err(|e| StorageError::BadRequest(format!("no randomness: {e}")))?;
        if usize::from(b[0]) < limit {
            password.push(ALPHABET[usize::from(b[0]) % ALPHABET.len()] as char);
        }
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_matches_only_its_own_hash() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse", Some(&hash)));
        assert!(!verify_password("correct horsf", Some(&hash)));
        assert!(!verify_password("correct horse", None));
        assert!(!verify_password("correct horse", Some("not a hash")));
        assert!(hash_password("short").is_err());
        let (token, stored) = new_token().unwrap();
        assert_eq!(token.len(), 43);
        assert_eq!(token_hash(&token), stored);
        assert_ne!(new_token().unwrap().0, token);
        let generated = random_password().unwrap();
        assert_eq!(generated.chars().count(), 14);
        assert!(hash_password(&generated).is_ok());
    }
}

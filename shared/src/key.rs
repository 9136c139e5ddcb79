//! The key that encrypts a device's store at rest (SQLCipher, 256-bit raw key).
//!
//! Where the key lives is the platform's business; this module only generates, reads and
//! writes it. Desktop today: a key file readable only by the user (mode 0600) in the app's
//! data directory, created on first start. That keeps the database safe when the file is
//! copied or backed up alone, not from someone holding the whole data directory; phones
//! must keep it in the Android Keystore / iOS Keychain (see ARCHITECTURE.md).

use std::io::Write;
use std::path::Path;

use crate::Error;

/// The name of the key file in a data directory.
pub const KEY_FILE: &str = "jiazhan.key";

/// A 256-bit store key. Its `Debug` never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreKey([u8; 32]);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(..)")
    }
}

impl StoreKey {
    pub fn from_bytes(bytes: [u8; 32]) -> StoreKey {
        StoreKey(bytes)
    }

    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<StoreKey, Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| Error::Key(e.to_string()))?;
        Ok(StoreKey(bytes))
    }

    /// Reads the key file in `dir`, or creates one (mode 0600) if there is none.
    pub fn load_or_create(dir: &Path) -> Result<StoreKey, Error> {
        let path = dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => StoreKey::from_hex(text.trim())
                .ok_or_else(|| Error::Key(format!("{} is not a key", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = StoreKey::generate()?;
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options
                    .open(&path)
                    .map_err(|e| Error::Key(format!("create {}: {e}", path.display())))?;
                file.write_all(key.to_hex().as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|e| Error::Key(format!("write {}: {e}", path.display())))?;
                Ok(key)
            }
            Err(e) => Err(Error::Key(format!("read {}: {e}", path.display()))),
        }
    }

    pub(crate) fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn from_hex(s: &str) -> Option<StoreKey> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(StoreKey(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_created_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let first = StoreKey::load_or_create(dir.path()).unwrap();
        let again = StoreKey::load_or_create(dir.path()).unwrap();
        assert_eq!(first, again);
        assert_ne!(first, StoreKey::generate().unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(format!("{first:?}"), "StoreKey(..)");
    }

    #[test]
    fn a_damaged_key_file_is_an_error_not_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(KEY_FILE), "not hex").unwrap();
        assert!(matches!(
            StoreKey::load_or_create(dir.path()),
            Err(Error::Key(_))
        ));
    }
}

//! A voter's name and phone, sealed under a key of their own so that they can be erased.
//!
//! Automerge keeps every value ever written, so personal data written into a document can
//! never be taken out of it again. An opinion therefore holds its voter's contact details
//! only sealed (`Opinion::contact`): ChaCha20-Poly1305 under a random 256-bit key made
//! for that opinion. The key lives outside the documents (the device store's
//! `record_keys`, the server's `record_keys`, exchanged by sync, see docs/PROTOCOL.md,
//! "Record keys"). Destroying the key (the voter withdraws consent) leaves only
//! ciphertext nobody can open, in every copy and every history of the document.
//!
//! Sealed text: `c1.<key id: 32 hex digits>.<base64 of nonce (12 bytes) ‖ ciphertext ‖ tag>`,
//! the key id bound in as associated data so a sealed value cannot be moved to another key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use serde::{Deserialize, Serialize};

/// Bytes of a record key.
pub const KEY_BYTES: usize = 32;

const PREFIX: &str = "c1.";

/// Sealed details are padded to a multiple of this many bytes.
const PAD_TO: usize = 128;

/// A fresh random key id (32 lowercase hex digits) and key.
pub fn new_key() -> (String, [u8; KEY_BYTES]) {
    let mut id = [0u8; 16];
    let mut key = [0u8; KEY_BYTES];
    // The operating system's generator; without it nothing here can be kept secret.
    getrandom::fill(&mut id).expect("the system random generator works");
    getrandom::fill(&mut key).expect("the system random generator works");
    (id.iter().map(|b| format!("{b:02x}")).collect(), key)
}

/// Whether `id` reads as a key id.
pub fn is_key_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A key made or reused to seal an opinion's details: (key id, key, whether new).
pub type UsedKey = (String, [u8; KEY_BYTES], bool);

/// Seals the name and phone typed into `o` (as validation left them) into `o.contact`,
/// under `key` (id and key) or a new one, and clears the plain fields: nothing personal
/// goes into a document in the clear. `None` (and no `contact`) when none were given.
pub fn seal_opinion(
    o: &mut crate::model::Opinion,
    key: Option<(String, [u8; KEY_BYTES])>,
) -> Option<UsedKey> {
    if o.voter_name.is_empty() && o.voter_phone.is_empty() {
        o.contact = None;
        return None;
    }
    let contact = Contact {
        name: std::mem::take(&mut o.voter_name),
        phone: std::mem::take(&mut o.voter_phone),
    };
    let (key_id, key, fresh) = match key {
        Some((id, k)) => (id, k, false),
        None => {
            let (id, k) = new_key();
            (id, k, true)
        }
    };
    o.contact = Some(seal(&key_id, &key, &contact));
    Some((key_id, key, fresh))
}

/// The contact details a sealed value holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(rename = "n")]
    pub name: String,
    #[serde(rename = "p")]
    pub phone: String,
}

/// `contact` sealed under `key` (whose id is `key_id`).
pub fn seal(key_id: &str, key: &[u8; KEY_BYTES], contact: &Contact) -> String {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).expect("the system random generator works");
    let mut data = serde_json::to_vec(contact).expect("two strings serialize");
    // Padded (JSON allows trailing spaces) so the length says little of the details.
    data.resize(data.len().next_multiple_of(PAD_TO), b' ');
    cipher(key)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(key_id.as_bytes()),
            &mut data,
        )
        .expect("a message this small seals");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&data);
    format!("{PREFIX}{key_id}.{}", STANDARD.encode(out))
}

/// The key id a sealed value needs, if it reads as one.
pub fn key_id_of(sealed: &str) -> Option<&str> {
    let rest = sealed.strip_prefix(PREFIX)?;
    let (id, _) = rest.split_once('.')?;
    is_key_id(id).then_some(id)
}

/// The contact details in `sealed`, or `None` when `key` does not open it (another
/// key, altered text).
pub fn open(key: &[u8], sealed: &str) -> Option<Contact> {
    let key: &[u8; KEY_BYTES] = key.try_into().ok()?;
    let id = key_id_of(sealed)?;
    let body = &sealed[PREFIX.len() + id.len() + 1..];
    let mut data = STANDARD.decode(body).ok()?;
    if data.len() < NONCE_LEN {
        return None;
    }
    let rest = data.split_off(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(&data).ok()?;
    let mut rest = rest;
    let plain = cipher(key)
        .open_in_place(nonce, Aad::from(id.as_bytes()), &mut rest)
        .ok()?;
    serde_json::from_slice(plain).ok()
}

fn cipher(key: &[u8; KEY_BYTES]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, key).expect("a 32-byte key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact() -> Contact {
        Contact {
            name: "张大爷".into(),
            phone: "13800138000".into(),
        }
    }

    #[test]
    fn only_its_key_opens_a_sealed_contact() {
        let (id, key) = new_key();
        let sealed = seal(&id, &key, &contact());
        assert_eq!(key_id_of(&sealed), Some(id.as_str()));
        assert!(!sealed.contains("张大爷") && !sealed.contains("13800138000"));
        assert_eq!(open(&key, &sealed), Some(contact()));
        let (_, other) = new_key();
        assert_eq!(open(&other, &sealed), None);
        assert_eq!(open(&key[..16], &sealed), None);
        // Two seals of the same details differ (a fresh nonce each time).
        assert_ne!(seal(&id, &key, &contact()), sealed);
    }

    #[test]
    fn an_altered_or_moved_sealed_value_does_not_open() {
        let (id, key) = new_key();
        let sealed = seal(&id, &key, &contact());
        let mut bytes = sealed.clone().into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(open(&key, &String::from_utf8(bytes).unwrap()), None);
        // The same ciphertext claimed for another key id fails the associated data.
        let (other_id, _) = new_key();
        let moved = sealed.replacen(&id, &other_id, 1);
        assert_eq!(open(&key, &moved), None);
        for bad in [
            "",
            "c1.",
            "c1.xyz.AAAA",
            "c2.00000000000000000000000000000000.AAAA",
        ] {
            assert_eq!(open(&key, bad), None, "{bad}");
        }
    }
}

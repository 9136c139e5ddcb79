//! The sync wire format (version 1: accounts and scopes): JSON over HTTP POST.
//!
//! A client sends its cursor and every change the server has not acknowledged; the server
//! stores them, acknowledges each by hash, and returns the changes in the caller's scope
//! written after the cursor, in batches. Change bytes are Automerge's own binary change
//! format, base64-encoded. See docs/PROTOCOL.md.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The path the server answers sync requests on.
pub const SYNC_PATH: &str = "/v1/sync";

/// Where a device signs in (POST [`SignInRequest`] → [`SignInResponse`]).
pub const SIGN_IN_PATH: &str = "/v1/sign-in";

/// Where a new device takes its account's one-time set-up code instead of a password
/// (POST [`SetUpRequest`] → [`SignInResponse`]); the password chosen becomes the
/// account's, and the code is used up.
pub const SETUP_PATH: &str = "/v1/setup";

/// Where a set-up code's QR points: `https://<server>/setup#<code>` opens the web app's
/// set-up screen (the code after `#` never reaches a server's logs).
pub const SETUP_PAGE: &str = "/setup";

/// Crockford's base 32: digits and capitals without I, L, O and U, so that a set-up code
/// read off paper or typed on a phone is not mistaken.
pub const SETUP_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A set-up code: `<user name>.<secret>`, the secret 16 characters of
/// [`SETUP_ALPHABET`] (shown in groups of four).
#[derive(Clone, PartialEq, Eq)]
pub struct SetUpCode {
    pub username: String,
    /// Normalised: capitals, no separators.
    pub secret: String,
}

impl std::fmt::Debug for SetUpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetUpCode")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl SetUpCode {
    /// A code as typed, pasted or scanned: whole links too (`…/setup#<code>`), any case,
    /// with or without the groups' dashes and spaces, O read as 0 and I or L as 1.
    pub fn parse(text: &str) -> Option<SetUpCode> {
        let text = text.trim();
        let code = text.rsplit_once('#').map_or(text, |(_, c)| c);
        let (username, secret) = code.trim().rsplit_once('.')?;
        let secret: String = secret
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .map(|c| match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            })
            .collect();
        let username = username.trim().to_lowercase();
        let valid = secret.len() == 16 && secret.bytes().all(|b| SETUP_ALPHABET.contains(&b));
        (valid && !username.is_empty()).then_some(SetUpCode { username, secret })
    }
}

impl std::fmt::Display for SetUpCode {
    /// As given to people: the secret in groups of four.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let groups: Vec<&str> = self
            .secret
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        write!(f, "{}.{}", self.username, groups.join("-"))
    }
}

/// A set-up code taken by a new device, with the password its user chose.
#[derive(Clone, Serialize, Deserialize)]
pub struct SetUpRequest {
    pub code: String,
    pub password: String,
    /// The device's id, as it sends in [`SyncRequest::device_id`].
    pub device_id: String,
    pub device_name: String,
}

impl std::fmt::Debug for SetUpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetUpRequest")
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

/// Where a device signs out (POST, with its token): the token stops working at once.
pub const SIGN_OUT_PATH: &str = "/v1/sign-out";

/// Where photos and other attachments live: `{BLOBS_PATH}/<hash>` (GET, with an optional
/// `Range`) and `{BLOBS_PATH}/<hash>/upload` (GET the state, PUT a chunk). Every request
/// names the document that refers to the file (`?doc_id=`): its scope decides who may
/// upload (writers) and download (readers).
pub const BLOBS_PATH: &str = "/v1/blobs";

/// Where a station's printable poster is (GET, with a token of an account that reads
/// the station): `{STATIONS_PATH}/<station>/poster.png` or `poster.pdf`.
pub const STATIONS_PATH: &str = "/v1/stations";

pub use crate::model::MAX_PHOTO_BYTES;

/// Uploads and downloads go in chunks of at most this many bytes, so a cut connection
/// costs at most one chunk.
pub const BLOB_CHUNK_BYTES: u64 = 256 * 1024;

/// How far the upload of one file for one document has come.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadState {
    /// Bytes the server holds, from the start of the file: the next chunk starts here.
    pub received: u64,
    /// The whole file arrived and matched its hash.
    pub complete: bool,
}

/// The query of a chunk upload: `?doc_id=…&size=…&offset=…`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkQuery {
    pub doc_id: String,
    /// The whole file's size.
    pub size: u64,
    /// Where the chunk (the request body) starts in the file.
    pub offset: u64,
}

/// The query of the other blob requests: `?doc_id=…`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobQuery {
    pub doc_id: String,
}

pub use crate::model::is_content_hash;

/// Where a device asks for the server's heads of some of its documents (POST
/// [`HeadsRequest`] → [`HeadsResponse`]), to find documents that disagree.
pub const HEADS_PATH: &str = "/v1/heads";

/// Where a device repairs one document with Automerge's sync protocol (POST
/// [`RepairRequest`] → [`RepairResponse`], repeated until neither side has more to say).
pub const REPAIR_PATH: &str = "/v1/repair";

/// The most documents one heads request asks about.
pub const MAX_DOCUMENTS_PER_HEADS: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadsRequest {
    pub doc_ids: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadsResponse {
    /// One entry per requested document, in order. A document the server does not have,
    /// or the caller may not read, has no heads.
    pub heads: Vec<DocHeads>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocHeads {
    pub doc_id: String,
    /// The document's heads (change hashes, lowercase hex), sorted.
    pub heads: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairRequest {
    pub doc_id: String,
    /// An Automerge sync message (`sync::Message::encode`).
    #[serde(serialize_with = "to_base64", deserialize_with = "from_base64")]
    pub message: Vec<u8>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairResponse {
    /// The server's sync message in reply, if it has one.
    #[serde(default, with = "opt_base64")]
    pub message: Option<Vec<u8>>,
}

mod opt_base64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_some(&STANDARD.encode(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| STANDARD.decode(s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// A file's content hash: lowercase hex SHA-256 (ring's, which the app has for TLS
/// anyway).
#[cfg(feature = "store")]
pub fn content_hash(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Signs a device in. Every other request carries the returned token as
/// `Authorization: Bearer TOKEN`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInRequest {
    pub username: String,
    pub password: String,
    /// The device's id, as it sends in [`SyncRequest::device_id`].
    pub device_id: String,
    /// A name the administrator recognises the device by ("王芳的手机").
    pub device_name: String,
}

impl std::fmt::Debug for SignInRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInRequest")
            .field("username", &self.username)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInResponse {
    /// An opaque token for this device only; revocable on the server.
    pub token: String,
    pub account: crate::model::Account,
}

impl std::fmt::Debug for SignInResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInResponse")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// The most changes one request pushes; a client sends the rest next.
pub const MAX_CHANGES_PER_REQUEST: usize = 1000;

/// The most changes one response carries; a client asks again while `more` is set.
pub const MAX_CHANGES_PER_RESPONSE: usize = 1000;

/// The most documents one bootstrap response carries (a month's document is a few KB).
/// The device applies a response in one transaction, and every transaction rewrites
/// (and, in its encrypted store, re-encrypts) the index pages its random keys touch:
/// 500 documents a response instead of 200 made a new device's bootstrap of 30,000
/// records 30 % faster (docs/BENCHMARKS.md).
pub const MAX_DOCUMENTS_PER_RESPONSE: usize = 500;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// A stable random id per device (its Automerge actor id, hex).
    pub device_id: String,
    /// The server sequence number this device has everything up to.
    pub cursor: u64,
    /// Local changes not yet acknowledged.
    pub changes: Vec<WireChange>,
    /// Where a bootstrap (see [`SyncResponse::documents`]) stands; sent back as received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<Bootstrap>,
    /// The key sequence number this device has every record key up to.
    #[serde(default)]
    pub key_cursor: u64,
    /// Record keys made here and erasures done here, not yet acknowledged (at most
    /// [`MAX_KEYS_PER_MESSAGE`]): acknowledged together by any `200` answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<WireKey>,
}

/// A pushed record key (or its erasure) the server holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyAck {
    pub key_id: String,
    /// Whether what was acknowledged is the key's erasure.
    pub erased: bool,
}

/// The most record keys one request or response carries.
pub const MAX_KEYS_PER_MESSAGE: usize = 1000;

/// A record's key (`crate::seal`): the key that opens a voter's contact details in one
/// opinion, kept outside the documents so that it can be destroyed. `key` is absent once
/// the key was erased (consent withdrawn), which is final: an erased key id never gets a
/// key again.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireKey {
    /// 32 lowercase hex digits, as named in the sealed value.
    pub key_id: String,
    /// The document holding the record: its scope decides who gets the key.
    pub doc_id: String,
    /// The 32-byte key (base64), or absent: erased.
    #[serde(default, with = "opt_base64", skip_serializing_if = "Option::is_none")]
    pub key: Option<Vec<u8>>,
}

impl std::fmt::Debug for WireKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WireKey")
            .field("key_id", &self.key_id)
            .field("doc_id", &self.doc_id)
            .field("erased", &self.key.is_none())
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// `(doc_id, change hash)` of every change in the request, now stored on the server.
    pub acknowledged: Vec<Ack>,
    /// The cursor to send next time.
    pub cursor: u64,
    /// Changes from other devices after the request's cursor.
    pub changes: Vec<WireChange>,
    /// More changes are waiting after `cursor`: ask again.
    pub more: bool,
    /// For a device starting from cursor 0: whole documents, each saved compactly (all
    /// its changes so far), instead of their changes one by one. A fraction of the
    /// bytes, and much cheaper to load than to replay.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<WireDocument>,
    /// Set while a bootstrap has documents left: send it back with the next request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<Bootstrap>,
    /// The record keys of the request, now stored on the server (or erased there).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acknowledged_keys: Vec<KeyAck>,
    /// The key cursor to send next time.
    #[serde(default)]
    pub key_cursor: u64,
    /// Record keys given or erased after the request's key cursor, of documents the
    /// caller reads (`more` is set when more wait).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<WireKey>,
}

/// How far a bootstrap has come: documents are sent in id order, each with every change
/// up to at least `upto`; the last sent was `after`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bootstrap {
    /// The server sequence number the bootstrap covers; the cursor once it is done.
    pub upto: u64,
    /// The last document id sent.
    pub after: String,
}

/// A whole document, as Automerge saves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireDocument {
    pub doc_id: String,
    pub kind: String,
    #[serde(serialize_with = "to_base64", deserialize_with = "from_base64")]
    pub bytes: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireChange {
    pub doc_id: String,
    /// The document's family (`station`, `referrals`, …): the first part of `doc_id`.
    pub kind: String,
    #[serde(serialize_with = "to_base64", deserialize_with = "from_base64")]
    pub bytes: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ack {
    pub doc_id: String,
    /// The change hash, lowercase hex.
    pub hash: String,
}

/// The body of every error response: a stable code for programs, a message for people,
/// and for a refused pushed change the document it was for (the client sets that
/// document's changes aside and sends the rest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// One of the `error::*` codes.
    pub error: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_id: Option<String>,
}

/// The codes of [`ErrorBody::error`].
pub mod error {
    /// Malformed: bad JSON, undecodable change, unknown document id, wrong device id.
    pub const BAD_REQUEST: &str = "bad_request";
    /// No valid session: sign in again.
    pub const UNAUTHORIZED: &str = "unauthorized";
    /// The account only reads `doc_id`.
    pub const READ_ONLY: &str = "read_only";
    /// `doc_id` does not exist for this account (outside its scope, or nowhere).
    pub const NOT_FOUND: &str = "not_found";
    /// A change reuses an (actor, sequence number) the server holds with other content.
    pub const SEQUENCE_REUSED: &str = "sequence_reused";
    /// Something else already exists (an account name).
    pub const CONFLICT: &str = "conflict";
    /// A pushed change's actor belongs to another device.
    pub const FOREIGN_ACTOR: &str = "foreign_actor";
    /// A pushed change's records do not read as valid records of their kind, or carry
    /// what their kind may not (a referral with a voter's name); `doc_id` names the
    /// document, the message the record.
    pub const INVALID_RECORD: &str = "invalid_record";
    /// The account's or device's uploads or stored files are at their quota.
    pub const QUOTA_EXCEEDED: &str = "quota_exceeded";
    /// The device id is another account's (sign-in).
    pub const DEVICE_TAKEN: &str = "device_taken";
    pub const TOO_MANY_ATTEMPTS: &str = "too_many_attempts";
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    /// The body did not arrive whole within its deadline (60 s from the server's first
    /// read of it).
    pub const REQUEST_TIMEOUT: &str = "request_timeout";
    pub const SERVER_ERROR: &str = "server_error";

    /// Every code: the app has a sentence for each (`error.code.*` in its locale files).
    pub const ALL: [&str; 14] = [
        BAD_REQUEST,
        UNAUTHORIZED,
        READ_ONLY,
        NOT_FOUND,
        SEQUENCE_REUSED,
        CONFLICT,
        FOREIGN_ACTOR,
        INVALID_RECORD,
        QUOTA_EXCEEDED,
        DEVICE_TAKEN,
        TOO_MANY_ATTEMPTS,
        PAYLOAD_TOO_LARGE,
        REQUEST_TIMEOUT,
        SERVER_ERROR,
    ];
}

/// Bytes are base64 text in JSON, and CBOR byte strings in CBOR.
fn to_base64<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    if s.is_human_readable() {
        s.serialize_str(&STANDARD.encode(bytes))
    } else {
        s.serialize_bytes(bytes)
    }
}

fn from_base64<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    if d.is_human_readable() {
        let s = String::deserialize(d)?;
        STANDARD.decode(s).map_err(serde::de::Error::custom)
    } else {
        Ok(serde_bytes::ByteBuf::deserialize(d)?.into_vec())
    }
}

/// The media type of CBOR bodies (RFC 8949), which `POST /v1/sync` accepts beside JSON
/// and answers in when asked to.
pub const CBOR: &str = "application/cbor";

/// `value` as CBOR.
pub fn to_cbor<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail, and our types always serialize.
    let _ = ciborium::into_writer(value, &mut out);
    out
}

/// A value from CBOR `bytes`.
pub fn from_cbor<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    ciborium::from_reader(bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_bytes_travel_as_base64() {
        let c = WireChange {
            doc_id: "d".into(),
            kind: "station".into(),
            bytes: vec![0, 1, 254, 255],
        };
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"AAH+/w==\""), "{json}");
        assert_eq!(serde_json::from_str::<WireChange>(&json).unwrap(), c);
        assert!(
            serde_json::from_str::<WireChange>(r#"{"doc_id":"d","kind":"k","bytes":"!!"}"#)
                .is_err()
        );
    }

    #[test]
    fn change_bytes_travel_raw_in_cbor() {
        let c = WireChange {
            doc_id: "d".into(),
            kind: "station".into(),
            bytes: vec![0xde, 0xad, 0xbe, 0xef],
        };
        let cbor = to_cbor(&c);
        // A CBOR byte string of 4 (0x44) followed by the bytes themselves.
        assert!(cbor.windows(5).any(|w| w == [0x44, 0xde, 0xad, 0xbe, 0xef]));
        assert_eq!(from_cbor::<WireChange>(&cbor).unwrap(), c);
        assert!(from_cbor::<WireChange>(&cbor[..cbor.len() - 1]).is_err());
    }
}

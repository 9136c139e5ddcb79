//! What arrives from the network, decoded within bounds before any of it is trusted:
//! request bodies, Automerge change chunks, Automerge sync messages and byte ranges.
//!
//! Every function here is pure (no storage, no lock) and runs before the database is
//! touched, so a hostile input costs its sender's own request and nobody else's. The
//! fuzz targets in `fuzz/` call exactly these functions.

use std::io::Read as _;

use automerge::Change;
use automerge::sync::Message;
use shared::doc::DocId;
use shared::protocol::{CBOR, SyncRequest, from_cbor};

mod depth;
pub use depth::{MAX_DEPTH, TooDeep, check_depth, depth_in};

/// The largest request body, as decompressed (and the most of a compressed body that is
/// ever inflated).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The largest change, as inflated. A change is one save of a few records: a bulk entry
/// of a hundred opinions is about 100 KB. Automerge may send a change deflated (chunk
/// type 2), and 65 KB can inflate to 64 MiB, so the size is counted while inflating.
pub const MAX_CHANGE_BYTES: usize = 4 * 1024 * 1024;

/// The most operations one change may hold. Automerge's columns are run-length encoded,
/// so a change of a few bytes can describe billions of operations, and Automerge reads
/// every one when it decodes the change: the rows are counted here from the runs first.
/// A bulk entry of a hundred opinions is a few thousand operations.
pub const MAX_CHANGE_OPS: u64 = 100_000;

/// The most rows any column of a document chunk (in a repair message) may hold.
pub const MAX_DOCUMENT_OPS: u64 = 2_000_000;

/// The most changes one sync request pushes (the app sends at most as many).
pub use shared::protocol::MAX_CHANGES_PER_REQUEST;

/// The most bytes the changes (and document chunks) of one request come to once
/// inflated, together. Counted as they inflate: the request is refused the moment it
/// passes, before the rest is inflated. A device sends about 4 MiB of change bytes at a
/// time (`shared::store::MAX_REQUEST_CHANGE_BYTES`), which inflates to far less.
pub const MAX_REQUEST_BYTES: usize = 32 * 1024 * 1024;

/// The most operations the changes of one request hold together (each change at most
/// [`MAX_CHANGE_OPS`]). A week of a station's entries is tens of thousands.
pub const MAX_REQUEST_OPS: u64 = 400_000;

/// What one request may still inflate and hold: its changes' bytes and operations,
/// taken as each change is decoded.
#[derive(Debug)]
pub struct Budget {
    bytes: usize,
    ops: u64,
    /// What whole documents (in a repair) may hold together: [`MAX_DOCUMENT_OPS`].
    document_ops: u64,
}

impl Budget {
    /// A whole request's: [`MAX_REQUEST_BYTES`] and [`MAX_REQUEST_OPS`].
    pub fn request() -> Budget {
        Budget {
            bytes: MAX_REQUEST_BYTES,
            ops: MAX_REQUEST_OPS,
            document_ops: MAX_DOCUMENT_OPS,
        }
    }

    /// Bytes left to inflate.
    fn bytes_left(&self) -> usize {
        self.bytes
    }

    fn take_bytes(&mut self, bytes: usize) -> Result<(), WireError> {
        self.bytes = self.bytes.checked_sub(bytes).ok_or(WireError::TooLarge {
            what: "a request's changes",
            limit: MAX_REQUEST_BYTES,
        })?;
        Ok(())
    }

    fn take_document_ops(&mut self, ops: u64) -> Result<(), WireError> {
        self.document_ops = self
            .document_ops
            .checked_sub(ops)
            .ok_or(WireError::TooManyOps {
                what: "a repair's documents",
                limit: MAX_DOCUMENT_OPS,
            })?;
        Ok(())
    }

    fn take_ops(&mut self, ops: u64) -> Result<(), WireError> {
        self.ops = self.ops.checked_sub(ops).ok_or(WireError::TooManyOps {
            what: "a request's changes",
            limit: MAX_REQUEST_OPS,
        })?;
        Ok(())
    }
}

/// The most changes one Automerge sync message (a repair step) carries.
pub const MAX_REPAIR_CHANGES: usize = 1000;

/// The most change hashes one sync message lists, in its heads, needs and haves
/// together.
pub const MAX_REPAIR_HASHES: usize = 10_000;

/// The most "have" summaries one sync message carries (Automerge sends at most one).
pub const MAX_REPAIR_HAVES: usize = 4;

/// The Bloom filter parameters Automerge writes (and automerge-repo, which uses the same
/// code): 10 bits per entry, 7 probes. Any other is refused: the probe count is a loop
/// bound, and zero bits divides by zero inside Automerge.
pub const BLOOM_BITS_PER_ENTRY: u64 = 10;
pub const BLOOM_PROBES: u64 = 7;

/// Why an input was refused; each becomes `400` (or `413` for a size).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error("{0}")]
    Malformed(String),
    #[error("{what} is over {limit} bytes")]
    TooLarge { what: &'static str, limit: usize },
    #[error("{what} holds over {limit} operations")]
    TooManyOps { what: &'static str, limit: u64 },
}

fn malformed(what: impl Into<String>) -> WireError {
    WireError::Malformed(what.into())
}

/// The body formats of `/v1/sync`: JSON, or CBOR (the same structure, with change bytes
/// as byte strings instead of base64).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Cbor,
}

impl Format {
    /// The format a `Content-Type` names.
    pub fn of(content_type: Option<&str>) -> Format {
        if content_type.is_some_and(|v| v.starts_with(CBOR)) {
            Format::Cbor
        } else {
            Format::Json
        }
    }

    /// `body` as a `T`.
    pub fn parse<T: serde::de::DeserializeOwned>(self, body: &[u8]) -> Result<T, WireError> {
        match self {
            Format::Json => serde_json::from_slice(body).map_err(|e| e.to_string()),
            Format::Cbor => from_cbor(body),
        }
        .map_err(|e| malformed(format!("unreadable body: {e}")))
    }
}

/// A sync request's body, parsed. The changes are not decoded yet: see [`decode_change`].
pub fn decode_sync_body(format: Format, body: &[u8]) -> Result<SyncRequest, WireError> {
    format.parse(body)
}

/// Runs Automerge on untrusted bytes: some inputs panic inside it (fuzzing found a
/// change whose operation counter overflows an `unwrap`), which is then a refusal of the
/// input, not a failure of the server.
pub fn unpanicked<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, WireError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| malformed(format!("{what} that Automerge cannot read")))
}

/// The device id the server's own changes (demo data, directory loads, the voters'
/// submissions) are stored under.
pub const SERVER_DEVICE: &str = "server";

/// Every device id the server keeps for itself: no device may sign in or sync as one
/// (its changes would pass for the server's). A new id the server writes under goes here.
pub const RESERVED_DEVICE_IDS: &[&str] = &[SERVER_DEVICE];

/// Whether `id` is one the server keeps for itself.
pub fn is_reserved_device_id(id: &str) -> bool {
    RESERVED_DEVICE_IDS.contains(&id)
}

/// Longest accepted document id.
const MAX_DOC_ID_LEN: usize = 128;

/// Whether `id` may name a device: 1–64 bytes, and not reserved.
pub fn is_device_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && !is_reserved_device_id(id) && !has_control(id)
}

/// Whether `text` holds a control character (NUL, a line break…): never part of a
/// name, an id or a device's name, and NUL cannot even be stored in PostgreSQL's text.
pub fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// A sync request's document ids, one per pushed change, each well-formed and of its
/// change's `kind`; at most [`MAX_CHANGES_PER_REQUEST`] changes. Nothing is inflated.
pub fn doc_ids(req: &SyncRequest) -> Result<Vec<DocId>, WireError> {
    if !is_device_id(&req.device_id) {
        return Err(malformed("bad device id"));
    }
    if req.changes.len() > MAX_CHANGES_PER_REQUEST {
        return Err(malformed(format!(
            "a request pushes at most {MAX_CHANGES_PER_REQUEST} changes"
        )));
    }
    req.changes
        .iter()
        .map(|wire| {
            if wire.doc_id.is_empty() || wire.doc_id.len() > MAX_DOC_ID_LEN {
                return Err(malformed("bad document id"));
            }
            let Some(id) = DocId::parse(&wire.doc_id) else {
                return Err(malformed(format!("unknown document id {:?}", wire.doc_id)));
            };
            if id.family().as_str() != wire.kind {
                return Err(malformed(format!(
                    "document {} is not a {:?}",
                    wire.doc_id, wire.kind
                )));
            }
            Ok(id)
        })
        .collect()
}

/// A sync request's pushed changes, decoded: [`doc_ids`], then each change as
/// [`decode_change_within`] accepts it, within one [`Budget::request`] for all. (Scope
/// and actors are checked before, from the ids and [`change_header`]s, with the
/// database.)
pub fn decode_changes(req: &SyncRequest) -> Result<Vec<(DocId, Change)>, WireError> {
    decode_changes_of(req, doc_ids(req)?)
}

/// [`decode_changes`] with the request's [`doc_ids`] read already.
pub fn decode_changes_of(
    req: &SyncRequest,
    ids: Vec<DocId>,
) -> Result<Vec<(DocId, Change)>, WireError> {
    let mut budget = Budget::request();
    ids.into_iter()
        .zip(&req.changes)
        .map(|(id, wire)| Ok((id, decode_change_within(&wire.bytes, &mut budget)?)))
        .collect()
}

/// The part of a change's header that says whose it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeHeader {
    /// The actor id's bytes.
    pub actor: Vec<u8>,
    /// Its sequence number for that actor.
    pub seq: u64,
}

/// The most of a deflated change that is inflated to read its header: room for a
/// thousand dependencies.
const MAX_HEADER_BYTES: u64 = 33 * 1024;

/// The actor and sequence number of a change chunk, read from its header: of a deflated
/// chunk only the start is inflated (at most 33 KiB), so a request's scope and actors
/// are checked before any change is inflated whole.
pub fn change_header(bytes: &[u8]) -> Result<ChangeHeader, WireError> {
    let header = chunk_header(bytes)?;
    let data = &bytes[header.data];
    match header.chunk_type {
        CHANGE_CHUNK => {
            parse_change_header(data)?.ok_or_else(|| malformed("a change's header does not read"))
        }
        COMPRESSED_CHANGE_CHUNK => {
            let mut decoder = flate2::bufread::DeflateDecoder::new(data).take(MAX_HEADER_BYTES);
            let mut prefix = Vec::new();
            loop {
                let mut buf = [0u8; 512];
                let n = decoder
                    .read(&mut buf)
                    .map_err(|_| malformed("a deflated change that does not inflate"))?;
                prefix.extend_from_slice(&buf[..n]);
                if let Some(found) = parse_change_header(&prefix)? {
                    return Ok(found);
                }
                if n == 0 {
                    return Err(malformed("a change's header does not read"));
                }
            }
        }
        other => Err(malformed(format!("chunk type {other} is not a change"))),
    }
}

/// The actor and sequence number at the start of a change's data; `None` while
/// `data` is too short to hold them.
fn parse_change_header(data: &[u8]) -> Result<Option<ChangeHeader>, WireError> {
    let Some((deps, used)) = leb128_u64(data) else {
        return Ok(None);
    };
    if deps > 1000 {
        return Err(malformed("a change depends on at most 1000 others"));
    }
    let at = used + deps as usize * 32;
    let Some((len, used)) = data.get(at..).and_then(leb128_u64) else {
        return Ok(None);
    };
    if len > MAX_ACTOR_BYTES {
        return Err(malformed(format!(
            "an actor id is at most {MAX_ACTOR_BYTES} bytes"
        )));
    }
    let start = at + used;
    let end = start + len as usize;
    let Some(actor) = data.get(start..end) else {
        return Ok(None);
    };
    let Some((seq, _)) = data.get(end..).and_then(leb128_u64) else {
        return Ok(None);
    };
    Ok(Some(ChangeHeader {
        actor: actor.to_vec(),
        seq,
    }))
}

/// The parts of a chunk header: magic bytes, checksum, type, length.
struct ChunkHeader {
    checksum: [u8; 4],
    chunk_type: u8,
    /// Where the chunk's data starts and how long it is.
    data: std::ops::Range<usize>,
}

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHANGE_CHUNK: u8 = 1;
const COMPRESSED_CHANGE_CHUNK: u8 = 2;

fn chunk_header(bytes: &[u8]) -> Result<ChunkHeader, WireError> {
    if bytes.len() < 9 || bytes[..4] != MAGIC {
        return Err(malformed("not an Automerge chunk"));
    }
    let checksum = [bytes[4], bytes[5], bytes[6], bytes[7]];
    let chunk_type = bytes[8];
    let (len, used) = leb128_u64(&bytes[9..]).ok_or_else(|| malformed("bad chunk length"))?;
    let start = 9 + used;
    let len = usize::try_from(len).map_err(|_| malformed("bad chunk length"))?;
    if bytes.len() - start != len {
        return Err(malformed("the chunk's length is not its data's"));
    }
    Ok(ChunkHeader {
        checksum,
        chunk_type,
        data: start..start + len,
    })
}

/// An unsigned LEB128 number at the start of `bytes`, and how many bytes it took.
fn leb128_u64(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, b) in bytes.iter().enumerate().take(10) {
        let low = u64::from(b & 0x7f);
        let shifted = low.checked_shl(7 * i as u32)?;
        if i == 9 && low > 1 {
            return None;
        }
        value |= shifted;
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// A signed LEB128 number at the start of `bytes`, and how many bytes it took.
fn leb128_i64(bytes: &[u8]) -> Option<(i64, usize)> {
    let mut value = 0i64;
    let mut shift = 0u32;
    for (i, b) in bytes.iter().enumerate().take(10) {
        value |= i64::from(b & 0x7f).checked_shl(shift)?;
        shift += 7;
        if b & 0x80 == 0 {
            if shift < 64 && b & 0x40 != 0 {
                value |= -1i64 << shift;
            }
            return Some((value, i + 1));
        }
    }
    None
}

/// How many rows one of Automerge's columns holds, read from its runs without expanding
/// them; `None` when it does not read as its type (Automerge then refuses it itself).
/// Types (the low three bits of a column's spec): 0 group, 1 actor, 2 integer and
/// 6 value metadata are run-length encoded unsigned numbers, 3 delta-encoded signed
/// ones, 5 strings; 4 is booleans (alternating run lengths); 7 raw values (no rows).
fn column_rows(spec: u64, data: &[u8]) -> Option<u64> {
    let col_type = spec & 0x07;
    let mut at = 0usize;
    let mut rows = 0u64;
    let uleb = |at: &mut usize| -> Option<u64> {
        let (n, used) = leb128_u64(data.get(*at..)?)?;
        *at += used;
        Some(n)
    };
    let skip_value = |at: &mut usize| -> Option<()> {
        match col_type {
            3 => {
                let (_, used) = leb128_i64(data.get(*at..)?)?;
                *at += used;
            }
            5 => {
                let (len, used) = leb128_u64(data.get(*at..)?)?;
                *at = at
                    .checked_add(used)?
                    .checked_add(usize::try_from(len).ok()?)?;
                if *at > data.len() {
                    return None;
                }
            }
            _ => {
                let (_, used) = leb128_u64(data.get(*at..)?)?;
                *at += used;
            }
        }
        Some(())
    };
    match col_type {
        7 => return Some(0),
        4 => {
            while at < data.len() {
                rows = rows.saturating_add(uleb(&mut at)?);
            }
            return Some(rows);
        }
        _ => {}
    }
    while at < data.len() {
        let (count, used) = leb128_i64(&data[at..])?;
        at += used;
        if count > 0 {
            skip_value(&mut at)?;
            rows = rows.saturating_add(count.unsigned_abs());
        } else if count < 0 {
            for _ in 0..count.unsigned_abs() {
                skip_value(&mut at)?;
            }
            rows = rows.saturating_add(count.unsigned_abs());
        } else {
            rows = rows.saturating_add(uleb(&mut at)?);
        }
    }
    Some(rows)
}

/// The longest actor id a change may carry or name: Automerge makes 16 bytes. Every
/// operation that names another actor's object copies its id when a change is
/// expanded, so a long one would cost memory by the operation.
pub const MAX_ACTOR_BYTES: u64 = 32;

/// The most rows of any column of a change chunk's data (after its header), from its
/// column metadata. A layout that does not read is refused (Automerge would skip a
/// column it does not know, whose rows could then go uncounted), and so is an actor
/// id over [`MAX_ACTOR_BYTES`].
fn change_rows(data: &[u8]) -> Result<u64, WireError> {
    let mut r = Reader::new(data, "a change whose layout does not read");
    let actor_len = |len: u64| {
        if len > MAX_ACTOR_BYTES {
            Err(malformed(format!(
                "an actor id is at most {MAX_ACTOR_BYTES} bytes"
            )))
        } else {
            Ok(len)
        }
    };
    let deps = r.uleb()?;
    r.skip(deps.checked_mul(32).ok_or_else(|| r.bad())?)?;
    let actor = actor_len(r.uleb()?)?;
    r.skip(actor)?;
    r.uleb()?; // seq
    r.uleb()?; // start op
    r.sleb()?; // time
    let message = r.uleb()?;
    r.skip(message)?;
    for _ in 0..r.uleb()? {
        let len = actor_len(r.uleb()?)?;
        r.skip(len)?;
    }
    let n = r.uleb()?;
    let mut columns = vec![];
    for _ in 0..n {
        columns.push((r.uleb()?, r.uleb()?));
    }
    let mut most = 0u64;
    for (spec, len) in columns {
        let column = r.take(len)?;
        most = most.max(column_rows(spec, column).ok_or_else(|| r.bad())?);
    }
    Ok(most)
}

/// Reads the LEB128 numbers and runs of bytes of a chunk's layout, refusing (as `what`)
/// whatever runs past its end.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8], what: &'static str) -> Reader<'a> {
        Reader { data, at: 0, what }
    }

    fn bad(&self) -> WireError {
        malformed(self.what)
    }

    fn uleb(&mut self) -> Result<u64, WireError> {
        let (n, used) = self
            .data
            .get(self.at..)
            .and_then(leb128_u64)
            .ok_or_else(|| self.bad())?;
        self.at += used;
        Ok(n)
    }

    fn sleb(&mut self) -> Result<i64, WireError> {
        let (n, used) = self
            .data
            .get(self.at..)
            .and_then(leb128_i64)
            .ok_or_else(|| self.bad())?;
        self.at += used;
        Ok(n)
    }

    /// The next `n` bytes.
    fn take(&mut self, n: u64) -> Result<&'a [u8], WireError> {
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| self.at.checked_add(n))
            .filter(|end| *end <= self.data.len())
            .ok_or_else(|| self.bad())?;
        let taken = &self.data[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn skip(&mut self, n: u64) -> Result<(), WireError> {
        self.take(n).map(|_| ())
    }
}

/// Appends `n` as unsigned LEB128 (as Automerge writes lengths and counts).
pub fn write_leb128(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Decodes one change chunk as a pushed change, within bounds:
/// - only a change chunk or a deflated change chunk (never a document or a bundle, whose
///   columns could be inflated without a bound inside Automerge);
/// - a deflated one is inflated here, counting, and refused past [`MAX_CHANGE_BYTES`];
/// - the checksum in its header must be the change's own (the first four bytes of its
///   hash), which Automerge does not check when it reads a change.
pub fn decode_change(bytes: &[u8]) -> Result<Change, WireError> {
    decode_change_within(bytes, &mut Budget::request())
}

/// [`decode_change`], taking the change's inflated size and operations from `budget`
/// (the request's): refused the moment either runs out.
pub fn decode_change_within(bytes: &[u8], budget: &mut Budget) -> Result<Change, WireError> {
    let header = chunk_header(bytes)?;
    let too_large = WireError::TooLarge {
        what: "a change",
        limit: MAX_CHANGE_BYTES,
    };
    let plain = match header.chunk_type {
        CHANGE_CHUNK => {
            if header.data.len() > MAX_CHANGE_BYTES {
                return Err(too_large);
            }
            None
        }
        COMPRESSED_CHANGE_CHUNK => {
            // Never more than the change's limit or what the request has left, and one.
            let cap = MAX_CHANGE_BYTES.min(budget.bytes_left());
            let mut inflated = Vec::new();
            flate2::bufread::DeflateDecoder::new(&bytes[header.data.clone()])
                .take(cap as u64 + 1)
                .read_to_end(&mut inflated)
                .map_err(|_| malformed("a deflated change that does not inflate"))?;
            if inflated.len() > MAX_CHANGE_BYTES {
                return Err(too_large);
            }
            // The same change as a plain chunk: Automerge does not inflate it again.
            let mut chunk = Vec::with_capacity(inflated.len() + 20);
            chunk.extend_from_slice(&MAGIC);
            chunk.extend_from_slice(&header.checksum);
            chunk.push(CHANGE_CHUNK);
            write_leb128(&mut chunk, inflated.len() as u64);
            chunk.extend_from_slice(&inflated);
            Some(chunk)
        }
        other => return Err(malformed(format!("chunk type {other} is not a change"))),
    };
    let plain = plain.unwrap_or_else(|| bytes.to_vec());
    budget.take_bytes(plain.len())?;
    let data = chunk_header(&plain)?.data;
    let rows = change_rows(&plain[data])?;
    if rows > MAX_CHANGE_OPS {
        return Err(WireError::TooManyOps {
            what: "a change",
            limit: MAX_CHANGE_OPS,
        });
    }
    budget.take_ops(rows)?;
    let change = unpanicked("a change", || Change::from_bytes(plain))?
        .map_err(|e| malformed(format!("undecodable change: {e}")))?;
    if change.hash().0[..4] != header.checksum {
        return Err(malformed("the change's checksum is wrong"));
    }
    Ok(change)
}

/// The most one document chunk in a sync message may inflate to, its deflated columns
/// together (and with the request's other chunks, [`MAX_REQUEST_BYTES`]).
pub const MAX_DOCUMENT_BYTES: usize = MAX_REQUEST_BYTES;

const DOCUMENT_CHUNK: u8 = 0;

/// Checks a document chunk (Automerge sends a whole document in a sync message when the
/// other side has nothing) within bounds: its layout reads, and its deflated columns,
/// inflated here while counting, come to at most [`MAX_DOCUMENT_BYTES`] together.
fn check_document_chunk(bytes: &[u8], budget: &mut Budget) -> Result<(), WireError> {
    let header = chunk_header(bytes)?;
    if header.chunk_type != DOCUMENT_CHUNK {
        return Err(malformed("not a document chunk"));
    }
    let mut r = Reader::new(&bytes[header.data], "a document chunk that does not read");
    for _ in 0..r.uleb()? {
        let len = r.uleb()?;
        r.skip(len)?;
    }
    let heads = r.uleb()?;
    r.skip(heads.checked_mul(32).ok_or_else(|| r.bad())?)?;
    let mut columns = vec![];
    for _ in 0..2 {
        let n = r.uleb()?;
        for _ in 0..n {
            let spec = r.uleb()?;
            let len = r.uleb()?;
            columns.push((spec, len));
        }
    }
    let mut inflated = 0usize;
    let mut most_rows = 0u64;
    for (spec, len) in columns {
        let column = r.take(len)?;
        let rows = if spec & 0x08 != 0 {
            let left = (MAX_DOCUMENT_BYTES - inflated).min(budget.bytes_left()) as u64 + 1;
            let mut out = Vec::new();
            flate2::bufread::DeflateDecoder::new(column)
                .take(left)
                .read_to_end(&mut out)
                .map_err(|_| malformed("a deflated column that does not inflate"))?;
            inflated += out.len();
            column_rows(spec, &out)
        } else {
            inflated += column.len();
            column_rows(spec, column)
        };
        let rows = rows.ok_or_else(|| r.bad())?;
        if rows > MAX_DOCUMENT_OPS {
            return Err(WireError::TooManyOps {
                what: "a document",
                limit: MAX_DOCUMENT_OPS,
            });
        }
        most_rows = most_rows.max(rows);
        if inflated > MAX_DOCUMENT_BYTES {
            return Err(WireError::TooLarge {
                what: "a document",
                limit: MAX_DOCUMENT_BYTES,
            });
        }
        if inflated > budget.bytes_left() {
            return budget.take_bytes(inflated);
        }
    }
    budget.take_bytes(inflated)?;
    // A message's whole documents together hold at most as many operations as one may:
    // Automerge loads them all.
    budget.take_document_ops(most_rows)
}

/// Decodes one step of Automerge's sync protocol (a repair request) within bounds:
/// [`parse_repair_message`], then [`check_repair_chunks`].
pub fn decode_repair_message(bytes: &[u8]) -> Result<Message, WireError> {
    let message = parse_repair_message(bytes)?;
    check_repair_chunks(&message)?;
    Ok(message)
}

/// Reads one step of Automerge's sync protocol without inflating anything: at most
/// [`MAX_REPAIR_HASHES`] hashes and [`MAX_REPAIR_HAVES`] summaries, Bloom filters with
/// Automerge's own parameters, and at most [`MAX_REPAIR_CHANGES`] chunks (checked by
/// [`check_repair_chunks`], once the caller may write the document).
pub fn parse_repair_message(bytes: &[u8]) -> Result<Message, WireError> {
    let message = unpanicked("a sync message", || Message::decode(bytes))?
        .map_err(|e| malformed(format!("undecodable sync message: {e}")))?;
    let hashes = message.heads.len()
        + message.need.len()
        + message
            .have
            .iter()
            .map(|h| h.last_sync.len())
            .sum::<usize>();
    if hashes > MAX_REPAIR_HASHES {
        return Err(malformed(format!(
            "a sync message lists at most {MAX_REPAIR_HASHES} hashes"
        )));
    }
    if message.have.len() > MAX_REPAIR_HAVES {
        return Err(malformed(format!(
            "a sync message has at most {MAX_REPAIR_HAVES} summaries"
        )));
    }
    for have in &message.have {
        check_bloom(&have.bloom.to_bytes())?;
    }
    if message.changes.len() > MAX_REPAIR_CHANGES {
        return Err(malformed(format!(
            "a sync message carries at most {MAX_REPAIR_CHANGES} changes"
        )));
    }
    Ok(message)
}

/// Checks the chunks of a repair message within one request's [`Budget`]: each a
/// change that [`decode_change_within`] accepts or a whole document within
/// [`MAX_DOCUMENT_BYTES`]. Each is decoded and dropped; Automerge decodes them again
/// when it receives the message, so the budget is the message's.
pub fn check_repair_chunks(message: &Message) -> Result<(), WireError> {
    let mut budget = Budget::request();
    for chunk in message.changes.iter() {
        if chunk.get(8) == Some(&DOCUMENT_CHUNK) {
            check_document_chunk(chunk, &mut budget)?;
        } else {
            decode_change_within(chunk, &mut budget)?;
        }
    }
    Ok(())
}

/// A Bloom filter as Automerge encodes it: empty, or entries, bits per entry, probes
/// (LEB128) and the bits.
fn check_bloom(bytes: &[u8]) -> Result<(), WireError> {
    if bytes.is_empty() {
        return Ok(());
    }
    let bad = || malformed("a Bloom filter with other parameters than Automerge's");
    let (_entries, a) = leb128_u64(bytes).ok_or_else(bad)?;
    let (bits, b) = leb128_u64(&bytes[a..]).ok_or_else(bad)?;
    let (probes, _) = leb128_u64(&bytes[a + b..]).ok_or_else(bad)?;
    if bits != BLOOM_BITS_PER_ENTRY || probes != BLOOM_PROBES {
        return Err(bad());
    }
    Ok(())
}

/// A `Range` header's value: `bytes=START-END` or `bytes=START-` (one range only), as
/// (start, inclusive end); an open end is `u64::MAX`.
pub fn byte_range(value: &[u8]) -> Result<(u64, u64), WireError> {
    let bad = || malformed("a range is bytes=START-END or bytes=START-");
    let spec = std::str::from_utf8(value)
        .ok()
        .and_then(|v| v.strip_prefix("bytes="))
        .ok_or_else(bad)?;
    let (start, end) = spec.split_once('-').ok_or_else(bad)?;
    let start: u64 = start.trim().parse().map_err(|_| bad())?;
    let end: u64 = match end.trim() {
        "" => u64::MAX,
        e => e.parse().map_err(|_| bad())?,
    };
    if start > end {
        return Err(bad());
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests;

//! Photos: staged, kept per document, uploaded and downloaded in chunks.

use super::*;

/// A photo waiting to be uploaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingUpload {
    pub hash: String,
    pub doc_id: String,
    pub size: u64,
}

/// Whether `bytes` start like a photo: JPEG, PNG, WebP or HEIC/HEIF.
pub(super) fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xff, 0xd8, 0xff])
        || bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || (bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP"))
        || (bytes.get(4..8) == Some(b"ftyp")
            && matches!(
                bytes.get(8..12),
                Some(b"heic" | b"heix" | b"mif1" | b"msf1" | b"hevc")
            ))
}

/// Links the photos a record in `doc_id` refers to (kept here when they were chosen) to
/// that document, so they are uploaded for it.
pub(super) fn link_photos(tx: &Connection, doc_id: &str, hashes: &[String]) -> Result<(), Error> {
    for hash in hashes {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO photos (hash, doc_id, size, data, uploaded)
             SELECT hash, ?2, size, data, 0 FROM photos
             WHERE hash = ?1 AND data IS NOT NULL LIMIT 1",
        )?
        .execute(params![hash, doc_id])?;
    }
    // A photo taken off every record of the document before it went out is not sent.
    let referenced: HashSet<String> = tx
        .prepare_cached("SELECT photos FROM activities WHERE doc_id = ?1")?
        .query_map([doc_id], |r| r.get::<_, String>(0))?
        .filter_map(Result::ok)
        .flat_map(|j| serde_json::from_str::<Vec<String>>(&j).unwrap_or_default())
        .collect();
    let unsent: Vec<String> = tx
        .prepare_cached("SELECT hash FROM photos WHERE doc_id = ?1 AND uploaded = 0")?
        .query_map([doc_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for hash in unsent.iter().filter(|h| !referenced.contains(*h)) {
        tx.execute(
            "DELETE FROM photos WHERE doc_id = ?1 AND hash = ?2 AND uploaded = 0",
            params![doc_id, hash],
        )?;
    }
    Ok(())
}

impl Store {
    /// Keeps a photo just chosen (JPEG, PNG, WebP or HEIC, at most [`MAX_PHOTO_BYTES`]),
    /// refused before anything is stored otherwise, and returns its content hash for a
    /// form to put in the record's `photos` (a form's draft keeps it too). Saving the
    /// record links the photo to the record's document, and the next sync uploads it.
    pub fn stage_photo(&self, bytes: &[u8]) -> Result<String, Error> {
        let problem = if bytes.is_empty() {
            Some(Problem::Required)
        } else if bytes.len() as u64 > MAX_PHOTO_BYTES {
            Some(Problem::TooLarge)
        } else if !is_image(bytes) {
            Some(Problem::Unknown)
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Error::Invalid(vec![FieldError::new(
                Field::Photos,
                problem,
            )]));
        }
        let hash = content_hash(bytes);
        self.conn.execute(
            "INSERT OR IGNORE INTO photos (hash, doc_id, size, data, uploaded)
             VALUES (?1, '', ?2, ?3, 0)",
            params![hash, bytes.len() as i64, bytes],
        )?;
        Ok(hash)
    }

    /// Attaches a photo to the saved activity `activity_id` (checked as
    /// [`Store::stage_photo`] checks it) and returns its hash. Attaching the same photo
    /// again changes nothing.
    pub fn add_photo(&mut self, activity_id: &str, bytes: &[u8]) -> Result<String, Error> {
        let mut activity = self.activity_record(activity_id)?;
        let hash = self.stage_photo(bytes)?;
        if !activity.photos.contains(&hash) {
            activity.photos.push(hash.clone());
            self.save(&activity)?;
        }
        Ok(hash)
    }

    /// A photo's bytes, if this device has them (taken here, or downloaded).
    pub fn photo(&self, hash: &str) -> Result<Option<Vec<u8>>, Error> {
        Ok(self
            .conn
            .query_row(
                "SELECT data FROM photos WHERE hash = ?1 AND data IS NOT NULL LIMIT 1",
                [hash],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Photos taken on this device that the server does not have yet, oldest first.
    pub fn pending_uploads(&self) -> Result<Vec<PendingUpload>, Error> {
        self.query(
            "SELECT hash, doc_id, size FROM photos
             WHERE uploaded = 0 AND data IS NOT NULL AND doc_id != ''
             ORDER BY rowid",
            [],
            |r| {
                Ok(PendingUpload {
                    hash: r.get(0)?,
                    doc_id: r.get(1)?,
                    size: r.get::<_, i64>(2)?.unsigned_abs(),
                })
            },
        )
    }

    /// `len` bytes of photo `hash` from `offset`, to upload.
    pub fn photo_chunk(&self, hash: &str, offset: u64, len: u64) -> Result<Vec<u8>, Error> {
        Ok(self.conn.query_row(
            "SELECT substr(data, ?2, ?3) FROM photos WHERE hash = ?1 AND data IS NOT NULL LIMIT 1",
            params![hash, offset as i64 + 1, len as i64],
            |r| r.get(0),
        )?)
    }

    /// The server has photo `hash` for `doc_id`: it need not be sent again.
    pub fn mark_uploaded(&self, hash: &str, doc_id: &str) -> Result<(), Error> {
        self.conn.execute(
            "UPDATE photos SET uploaded = 1 WHERE hash = ?1 AND doc_id = ?2",
            params![hash, doc_id],
        )?;
        Ok(())
    }

    /// The document through which this device may download photo `hash` of activity
    /// `activity_id` (the activity must refer to it), and how many of its bytes have
    /// arrived in an interrupted download.
    pub fn photo_download(&self, activity_id: &str, hash: &str) -> Result<(String, u64), Error> {
        let activity = self.activity_record(activity_id)?;
        if !activity.photos.iter().any(|p| p == hash) {
            return Err(Error::NotFound);
        }
        let doc_id: String = self.conn.query_row(
            "SELECT doc_id FROM activities WHERE id = ?1",
            [activity_id],
            |r| r.get(0),
        )?;
        let have: i64 = self.conn.query_row(
            "SELECT COALESCE(SUM(length(data)), 0) FROM photo_parts WHERE hash = ?1",
            [hash],
            |r| r.get(0),
        )?;
        Ok((doc_id, have.unsigned_abs()))
    }

    /// Keeps one downloaded chunk of photo `hash` (starting at `offset`); once `size`
    /// bytes are there and they match the hash, the photo is complete. A download that
    /// does not match is discarded, to be fetched again.
    pub fn save_photo_part(
        &self,
        hash: &str,
        doc_id: &str,
        offset: u64,
        data: &[u8],
        size: u64,
    ) -> Result<bool, Error> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO photo_parts (hash, offset, data) VALUES (?1, ?2, ?3)",
            params![hash, offset as i64, data],
        )?;
        let have: i64 = tx.query_row(
            "SELECT COALESCE(SUM(length(data)), 0) FROM photo_parts WHERE hash = ?1",
            [hash],
            |r| r.get(0),
        )?;
        if have.unsigned_abs() < size {
            tx.commit()?;
            return Ok(false);
        }
        let mut file = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        {
            let mut q =
                tx.prepare("SELECT data FROM photo_parts WHERE hash = ?1 ORDER BY offset")?;
            let mut rows = q.query([hash])?;
            while let Some(row) = rows.next()? {
                file.extend_from_slice(row.get_ref(0)?.as_blob().unwrap_or_default());
            }
        }
        tx.execute("DELETE FROM photo_parts WHERE hash = ?1", [hash])?;
        if content_hash(&file) != hash {
            tx.commit()?;
            return Err(Error::Protocol(format!(
                "photo {hash} does not match its hash"
            )));
        }
        tx.execute(
            "INSERT OR REPLACE INTO photos (hash, doc_id, size, data, uploaded)
             VALUES (?1, ?2, ?3, ?4, 1)",
            params![hash, doc_id, file.len() as i64, file],
        )?;
        tx.commit()?;
        Ok(true)
    }
}

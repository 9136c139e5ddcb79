//! Files the app hands over (posters today; reports and ledgers next): written into a
//! folder the user reads, under a name for people, never over an existing file.

use std::path::{Path, PathBuf};

use crate::Error;

/// Writes `bytes` into `dir` as `name` (path separators and control characters become
/// `_`), or `name (2)`, `name (3)`… when that exists. Written to a temporary file first
/// and then linked under the name, so a half-written file never carries it and no
/// file is replaced. Returns the path.
pub fn save_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, Error> {
    let clean: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | ':') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let clean = clean.trim_start_matches('.');
    if clean.is_empty() {
        return Err(Error::Protocol("an empty file name".into()));
    }
    let (stem, ext) = match clean.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, format!(".{e}")),
        _ => (clean, String::new()),
    };
    std::fs::create_dir_all(dir)?;
    let partial = dir.join(format!(".{}.partial", uuid::Uuid::new_v4()));
    std::fs::write(&partial, bytes)?;
    // A hard link fails if the name exists (even one that appeared a moment ago),
    // where a rename would replace it.
    let mut n = 1;
    let placed = loop {
        let candidate = if n == 1 {
            dir.join(clean)
        } else {
            dir.join(format!("{stem} ({n}){ext}"))
        };
        match std::fs::hard_link(&partial, &candidate) {
            Ok(()) => break Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
            Err(e) => break Err(e),
        }
    };
    let _ = std::fs::remove_file(&partial);
    Ok(placed?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_file_never_replaces_another_and_cannot_leave_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let a = save_file(dir.path(), "poster.png", b"one").unwrap();
        let b = save_file(dir.path(), "poster.png", b"two").unwrap();
        assert_eq!(a, dir.path().join("poster.png"));
        assert_eq!(b, dir.path().join("poster (2).png"));
        assert_eq!(std::fs::read(&a).unwrap(), b"one");
        let c = save_file(dir.path(), "../../etc/passwd", b"x").unwrap();
        assert_eq!(c.parent(), Some(dir.path()));
        assert!(save_file(dir.path(), "", b"x").is_err());
        // Nothing half-written is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
    }
}

//! Files the app hands over (posters, ledgers, statistics, reports): written into a folder
//! the user reads, under a name for people, never over an existing file unless the user
//! chose it, and never half-written.

use std::path::{Path, PathBuf};

use crate::Error;

// The formats (feature `export`): data-agnostic writers of tables and reports.
mod cjk_font;
mod csv;
mod pdf;
mod table;
mod xlsx;

pub use self::csv::csv;
pub use cjk_font::CjkFont;
pub use pdf::{ReportPdf, Section, report_pdf};
pub use table::{Cell, Table};
pub use xlsx::xlsx;

/// A table's file in `format`: xlsx or CSV (a table is never a PDF).
pub fn table_file(table: Table, format: crate::model::ExportFormat) -> Result<Vec<u8>, Error> {
    use crate::model::ExportFormat::*;
    match format {
        Xlsx => xlsx(&[table]),
        Csv => Ok(csv(&table)),
        Pdf => Err(Error::Export("a table is saved as xlsx or CSV".into())),
    }
}

/// Writes `bytes` as `path`, replacing what is there (a path the user chose in a save
/// dialog, which asked before replacing): written beside it first and then renamed over
/// it, so a failed write leaves the old file whole.
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let mut partial = tempfile::NamedTempFile::new_in(dir.unwrap_or(Path::new(".")))?;
    std::io::Write::write_all(&mut partial, bytes)?;
    partial.as_file().sync_all()?;
    partial.persist(path).map_err(|e| e.error)?;
    Ok(())
}

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
    let mut partial = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut partial, bytes)?;
    // Never over a file, even one that appeared a moment ago (tempfile links, where a
    // rename would replace); a partial file that is not placed is removed when dropped.
    for n in 1..1000 {
        let candidate = if n == 1 {
            dir.join(clean)
        } else {
            dir.join(format!("{stem} ({n}){ext}"))
        };
        match partial.persist_noclobber(&candidate) {
            Ok(_) => return Ok(candidate),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => partial = e.file,
            Err(e) => return Err(e.error.into()),
        }
    }
    Err(Error::Protocol(format!("no free name for {clean}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_file_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("台账.xlsx");
        std::fs::write(&path, b"old").unwrap();
        replace_file(&path, b"new contents").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new contents");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no partial file left"
        );
        assert!(replace_file(&dir.path().join("missing/x.csv"), b"x").is_err());
    }

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

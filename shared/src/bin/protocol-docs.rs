//! Writes docs/PROTOCOL.md's record reference and docs/records.schema.json from the code
//! (`shared::protocol_docs`); `--check` only says whether they are fresh.

use std::path::PathBuf;

fn main() {
    let check = std::env::args().any(|a| a == "--check");
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs");
    let files = shared::protocol_docs::generated(&docs).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let mut stale = 0;
    for (path, generated) in files {
        let file = std::fs::read_to_string(&path).unwrap_or_default();
        match shared::protocol_docs::same(&path.display().to_string(), &file, &generated) {
            Ok(()) => println!("{}: fresh", path.display()),
            Err(e) if check => {
                eprintln!("{e}");
                stale += 1;
            }
            Err(_) => {
                std::fs::write(&path, generated).unwrap_or_else(|e| {
                    eprintln!("{}: {e}", path.display());
                    std::process::exit(2)
                });
                println!("{}: written", path.display());
            }
        }
    }
    if stale > 0 {
        std::process::exit(1);
    }
}

//! Tidy tests (as in rust-analyzer): the repository's own rules, checked by reading its
//! files. Every "Architecture Invariant" in ARCHITECTURE.md names the tests that check
//! it, and those tests exist; the layering the invariants promise holds in the manifests
//! and the code.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: impl AsRef<Path>) -> String {
    let path = repo().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.rs` file under `dir` (relative to the repository), recursively.
fn rust_files(dir: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo().join(dir), &mut out);
    out.sort();
    out
}

/// The bullets of ARCHITECTURE.md's "Invariants" section, each as one line of text.
fn invariants() -> Vec<String> {
    let text = read("ARCHITECTURE.md");
    let section = text
        .split("\n## Invariants\n")
        .nth(1)
        .expect("ARCHITECTURE.md has an Invariants section");
    let section = section.split("\n## ").next().unwrap();
    let mut bullets: Vec<String> = Vec::new();
    for line in section.lines() {
        if let Some(rest) = line.strip_prefix("- ") {
            bullets.push(rest.to_owned());
        } else if line.starts_with("  ")
            && let Some(last) = bullets.last_mut()
        {
            last.push(' ');
            last.push_str(line.trim());
        }
    }
    bullets
}

/// The backticked names after "Checked by" in an invariant.
fn checked_by(invariant: &str) -> Vec<String> {
    let Some((_, names)) = invariant.split_once("Checked by") else {
        return vec![];
    };
    names
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_architecture_invariant_names_tests_that_exist() {
    let sources: Vec<String> = ["tests", "shared", "sync-server", "app/src", "src"]
        .iter()
        .flat_map(|d| rust_files(d))
        .filter(|p| !p.components().any(|c| c.as_os_str() == "target"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let bullets = invariants();
    assert!(
        bullets.len() >= 20,
        "only {} invariants found",
        bullets.len()
    );
    let mut problems = Vec::new();
    for invariant in &bullets {
        assert!(
            invariant.starts_with("Architecture Invariant:"),
            "every bullet of Invariants is one: {invariant}"
        );
        let tests = checked_by(invariant);
        if tests.is_empty() {
            problems.push(format!("names no test: {invariant}"));
        }
        for test in tests {
            let defined = sources
                .iter()
                .any(|s| s.contains(&format!("fn {test}(")) || s.contains(&format!("fn {test}<")));
            if !defined {
                problems.push(format!("no test `{test}`, named by: {invariant}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_ui_cannot_link_sql_or_automerge() {
    // The workspace declares `shared` without its default `store` feature, and the UI
    // takes it as declared.
    let workspace = read("Cargo.toml");
    let declared = workspace
        .lines()
        .find(|l| l.starts_with("shared = ") && l.contains("path = \"shared\""))
        .expect("the workspace declares shared");
    assert!(declared.contains("default-features = false"), "{declared}");
    let ui = read("app/Cargo.toml");
    let used = ui.lines().find(|l| l.starts_with("shared")).unwrap();
    assert!(
        !used.contains("store"),
        "the UI must not enable the store: {used}"
    );
    for forbidden in ["rusqlite", "automerge", "autosurgeon"] {
        assert!(
            !ui.lines().any(|l| l.starts_with(forbidden)),
            "the UI depends on {forbidden}"
        );
    }
}

#[test]
fn the_core_does_not_depend_on_tauri() {
    let core = read("shared/Cargo.toml");
    assert!(
        !core.lines().any(|l| l.starts_with("tauri")),
        "shared must run headless"
    );
}

#[test]
fn every_shell_command_is_a_few_lines() {
    let shell = read("src/lib.rs");
    let lines: Vec<&str> = shell.lines().collect();
    let mut commands = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.trim() != "#[tauri::command]" {
            continue;
        }
        commands += 1;
        let end = lines[i..]
            .iter()
            .position(|l| *l == "}")
            .expect("a command ends");
        assert!(
            end <= 20,
            "the shell command at src/lib.rs:{} is {end} lines: move its logic into shared",
            i + 1
        );
    }
    assert!(commands > 20, "found only {commands} commands");
}

#[test]
fn screen_queries_never_load_documents() {
    // The store's modules that answer the screens read projection tables only; loading
    // a document is for writes, merges, history, repair and verify.
    for module in [
        "activities",
        "campaigns",
        "home",
        "opinions",
        "reference",
        "suggestions",
    ] {
        let text = read(format!("shared/src/store/{module}.rs"));
        for forbidden in ["load_document(", "AnyRecord::read(", "doc::read_record"] {
            assert!(
                !text.contains(forbidden),
                "shared/src/store/{module}.rs calls {forbidden}"
            );
        }
    }
}

//! Tidy checks on the source text (as in rust-analyzer's `tidy.rs`): plain `#[test]`s
//! that read files, no build of what they read. No CJK text in code; every
//! "Architecture Invariant" in ARCHITECTURE.md names the tests that check it, and those
//! tests exist; the layering the invariants promise holds in the manifests and the code.

use std::path::{Path, PathBuf};

/// The sources that must hold no CJK text: every text the user reads comes from
/// `app/locales/*.json` (punctuation and list joining included), so the English UI shows
/// no Chinese.
const NO_CJK_IN: &[&str] = &["app/src", "app/worker/src", "shared/src"];

/// Files allowed to hold CJK text: the demo data (Haidian's streets, stations, invented
/// names and opinions in Chinese, and the protocol docs' sample of what the demo year
/// lacks), the PDF's line breaking, whose rules (禁则) name Chinese punctuation, and the
/// character a Chinese font must have.
const CJK_ALLOWED: &[&str] = &[
    "shared/src/demo/mod.rs",
    "shared/src/demo/haidian/mod.rs",
    "shared/src/demo/haidian/directory.rs",
    "shared/src/demo/haidian/year/mod.rs",
    "shared/src/demo/haidian/year/campaigns.rs",
    "shared/src/demo/haidian/year/records.rs",
    "shared/src/export/pdf.rs",
    "shared/src/fonts.rs",
    "shared/src/protocol_docs/samples.rs",
];

/// CJK ideographs (with extension A and compatibility ideographs), CJK symbols and
/// punctuation (`、`, `。`, `「」`…) and fullwidth forms (`：`, `（）`, `，`…).
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3000}'..='\u{303F}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FF00}'..='\u{FFEF}'
        | '\u{20000}'..='\u{2FA1F}')
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether a file holds only tests (`tests.rs`, or anything under a `tests/` folder,
/// as a `#[cfg(test)] mod tests;` brings in).
fn is_test_file(relative: &str) -> bool {
    relative.ends_with("/tests.rs") || relative.contains("/tests/")
}

/// The code of `src` with comments blanked out (string and char literals kept), line
/// for line. Handles line, doc and nested block comments, strings with escapes, raw
/// strings and char literals (so `"//"` in a string is not a comment).
fn without_comments(src: &str) -> Vec<String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !chars[..i]
                .last()
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            out.extend(&chars[i..=j]);
            j += 1;
            while j < chars.len() {
                if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                    out.extend(&chars[j..=j + hashes]);
                    j += hashes + 1;
                    break;
                }
                out.push(chars[j]);
                j += 1;
            }
            i = j;
        } else if c == '"' {
            out.push(c);
            i += 1;
            while i < chars.len() {
                out.push(chars[i]);
                if chars[i] == '\\' {
                    if let Some(&escaped) = chars.get(i + 1) {
                        out.push(escaped);
                    }
                    i += 2;
                    continue;
                }
                i += 1;
                if chars[i - 1] == '"' {
                    break;
                }
            }
        } else if c == '\''
            && (next == Some('\\') || chars.get(i + 2) == Some(&'\''))
            && next != Some('\'')
        {
            // A char literal ('x', '\n', '\u{3001}'), not a lifetime.
            let end = (i + 1..chars.len())
                .find(|&j| chars[j] == '\'' && (chars[j - 1] != '\\' || chars[j - 2] == '\\'))
                .unwrap_or(chars.len() - 1);
            out.extend(&chars[i..=end]);
            i = end + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out.split('\n').map(str::to_owned).collect()
}

/// Blanks the items under `#[cfg(test)]` (a test module anywhere in the file, up to the
/// closing brace at its own indentation, as rustfmt writes it).
fn without_tests(lines: &mut [String]) {
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end().to_owned();
        if line.trim_start() != "#[cfg(test)]" {
            i += 1;
            continue;
        }
        let indent = &line[..line.len() - line.trim_start().len()];
        let close = format!("{indent}}}");
        let mut j = i + 1;
        // Other attributes of the same item.
        while j < lines.len() && lines[j].trim_start().starts_with("#[") {
            j += 1;
        }
        let one_line = lines.get(j).is_some_and(|l| l.trim_end().ends_with(';'));
        let end = if one_line {
            j
        } else {
            (j..lines.len())
                .find(|&k| lines[k].trim_end() == close)
                .unwrap_or(lines.len() - 1)
        };
        for l in &mut lines[i..=end] {
            l.clear();
        }
        i = end + 1;
    }
}

/// Lines of `src` (1-based numbers) with CJK characters in code.
fn cjk_lines(src: &str) -> Vec<(usize, String)> {
    let mut code = without_comments(src);
    without_tests(&mut code);
    let original: Vec<&str> = src.split('\n').collect();
    code.iter()
        .enumerate()
        .filter(|(_, l)| l.chars().any(is_cjk))
        .map(|(n, _)| (n + 1, original.get(n).unwrap_or(&"").trim().to_owned()))
        .collect()
}

/// No CJK text in `app/src` or `shared/src` outside comments, tests and the demo data:
/// what the user reads, punctuation and list separators included, comes from the locale
/// files (`app/locales/`).
#[test]
fn no_cjk_text_in_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut hits = vec![];
    for dir in NO_CJK_IN {
        let mut files = vec![];
        rust_files(&root.join(dir), &mut files);
        for path in files {
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if CJK_ALLOWED.contains(&relative.as_str()) || is_test_file(&relative) {
                continue;
            }
            let src = std::fs::read_to_string(&path).unwrap();
            for (line, text) in cjk_lines(&src) {
                hits.push(format!("{relative}:{line}: {text}"));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "CJK text in code (put it in app/locales/*.json and use i18n):\n{}",
        hits.join("\n")
    );
}

/// The scanner itself: comments, doc comments, test modules and `//` inside strings.
#[test]
fn the_cjk_scan_skips_comments_and_tests_only() {
    let src = r##"//! 模块
/// 文档
fn a() -> &'static str {
    let url = "http://x"; // 注释
    /* 块 /* 嵌套 */ 注释 */
    let c = '、';
    "，"
}
const R: &str = r#"a "b" 中"#;
fn b<'a>(x: &'a str) -> &'a str { x } // 的
#[cfg(test)]
mod tests {
    fn t() {
        let _ = "测试";
    }
}
fn after() { let _ = "（"; }
"##;
    let lines: Vec<usize> = cjk_lines(src).into_iter().map(|(n, _)| n).collect();
    assert_eq!(lines, vec![6, 7, 9, 17]);
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: impl AsRef<Path>) -> String {
    let path = repo().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.rs` file under `dir` (relative to the repository), recursively.
fn rust_files_under(dir: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    rust_files(&repo().join(dir), &mut out);
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

/// The test names (backticked snake_case words) after "Checked by" in an invariant.
fn checked_by(invariant: &str) -> Vec<String> {
    let Some((_, names)) = invariant.split_once("Checked by") else {
        return vec![];
    };
    names
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|n| {
            n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_architecture_invariant_names_tests_that_exist() {
    let sources: Vec<String> = ["tests", "shared", "sync-server", "app/src", "src"]
        .iter()
        .flat_map(|d| rust_files_under(d))
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
    // What cargo resolves for the UI alone, for the browser: every package and its
    // features, whatever a manifest line says (a feature that pulls in the store through
    // another name is caught too).
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "tree",
            "--offline",
            "-p",
            "app",
            "--target",
            "wasm32-unknown-unknown",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-f",
            "{p}|{f}",
        ])
        .current_dir(repo())
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    let packages: Vec<(&str, Vec<&str>)> = tree
        .lines()
        .filter_map(|l| l.split_once('|'))
        .map(|(p, f)| {
            let name = p.split_whitespace().next().unwrap_or("");
            (
                name,
                f.split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .collect(),
            )
        })
        .collect();
    assert!(packages.iter().any(|(p, _)| *p == "leptos"), "{tree}");
    for forbidden in [
        "rusqlite",
        "libsqlite3-sys",
        "automerge",
        "autosurgeon",
        "tokio",
        "reqwest",
        "tauri",
        "krilla",
        "rust_xlsxwriter",
    ] {
        assert!(
            !packages.iter().any(|(p, _)| *p == forbidden),
            "the UI links {forbidden}"
        );
    }
    let shared: Vec<&Vec<&str>> = packages
        .iter()
        .filter(|(p, _)| *p == "shared")
        .map(|(_, f)| f)
        .collect();
    assert!(!shared.is_empty(), "the UI uses shared");
    for features in shared {
        for forbidden in ["store", "export", "demo", "schema"] {
            assert!(
                !features.contains(&forbidden),
                "the UI turns on shared's {forbidden}: {features:?}"
            );
        }
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
    // Every screen's command goes through one (`call`, answered by shared::dispatch,
    // as the web app's worker answers it); the shell adds only what a desktop does with
    // bytes. A command of its own here would be one the browser lacks.
    assert!(
        (1..=4).contains(&commands),
        "the shell has {commands} commands: answer them in shared::dispatch"
    );
}

#[test]
fn screen_queries_never_load_documents() {
    // Every store module answers the screens from projection tables only, except those
    // whose job is documents: loading one is for writes, merges, history, repair and
    // verify. A new module is checked from its first line.
    const DOCUMENT_MODULES: &[&str] = &[
        "documents.rs", // the document cache and compaction
        "write.rs",     // a record into its document, projection and outbox
        "merge.rs",     // received changes into documents and projections
        "history.rs",   // a record's history, from its document's changes
        "repair.rs",    // Automerge's sync protocol on one document
        "verify.rs",    // every projection row against its document
    ];
    let mut files = Vec::new();
    rust_files(&repo().join("shared/src/store"), &mut files);
    let mut checked = 0;
    for path in files {
        let name = path.file_name().unwrap().to_str().unwrap();
        if DOCUMENT_MODULES.contains(&name) {
            continue;
        }
        checked += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        for forbidden in [
            "load_document(",
            "AnyRecord::read(",
            "read_records(",
            "doc::read_record",
            "doc::read_at",
        ] {
            assert!(
                !text.contains(forbidden),
                "{} calls {forbidden}",
                path.display()
            );
        }
    }
    assert!(checked >= 15, "the store's screen modules are checked");
}

/// Every error code the server's API answers with has a sentence in both of the app's
/// languages (`error.code.*`): the app says what a refusal is, not "try again".
#[test]
fn every_server_error_code_has_a_sentence_in_both_languages() {
    for locale in ["zh-CN", "en"] {
        let path = format!("{}/app/locales/{locale}.json", env!("CARGO_MANIFEST_DIR"));
        let texts: std::collections::HashMap<String, String> =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for code in shared::protocol::error::ALL {
            let key = format!("error.code.{code}");
            assert!(
                texts.get(&key).is_some_and(|t| !t.trim().is_empty()),
                "{key} missing from {path}"
            );
        }
    }
}

/// No source file the product or its benchmarks are built from holds over 1,000 lines
/// (tests aside): a file that grows past it is split by job, as issue 24 left them.
#[test]
fn no_source_file_over_a_thousand_lines() {
    let mut long = Vec::new();
    for dir in [
        "src",
        "app/src",
        "shared/src",
        "shared/benches",
        "sync-server/src",
        "sync-server/benches",
    ] {
        for path in rust_files_under(dir) {
            let relative = path
                .strip_prefix(repo())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if is_test_file(&relative) {
                continue;
            }
            let lines = read(&relative).lines().count();
            if lines > 1000 {
                long.push(format!("{relative}: {lines} lines"));
            }
        }
    }
    assert!(long.is_empty(), "split these by job:\n{}", long.join("\n"));
}

//! User-facing text. Every string the UI shows comes from a locale file (zh-CN first,
//! en second), punctuation and list joining included; components call [`t`] or [`tf`]
//! with a key, [`tn`] where a number stands (plural forms `key.one` / `key.other`),
//! [`join`] and [`labelled`]. Tests check that every key used exists, and that both
//! files have the same keys and placeholders.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use shared::{ActivityKind, AppError, Field, FieldError, Language};
use wasm_bindgen::JsCast as _;

/// The texts of the chosen language, loaded once at start ([`load`]): only that
/// language's file is fetched (app/dist/locales/, beside the wasm), so neither ships
/// inside the wasm.
static TEXTS: OnceLock<HashMap<String, String>> = OnceLock::new();

/// The locale file of `language`.
fn file_of(language: Language) -> &'static str {
    match language {
        Language::ZhCn => "locales/zh-CN.json",
        Language::En => "locales/en.json",
    }
}

/// Fetches and keeps `language`'s texts (Chinese if that file cannot be read), and
/// chooses it for every text from now on. Called once, before the app is drawn.
pub async fn load(language: Language) {
    set_language(language);
    let mut texts = fetch_texts(file_of(language)).await;
    if texts.is_none() && language != Language::ZhCn {
        set_language(Language::ZhCn);
        texts = fetch_texts(file_of(Language::ZhCn)).await;
    }
    let _ = TEXTS.set(texts.unwrap_or_default());
}

/// A locale file's keys and texts, read with the browser's fetch and JSON.
async fn fetch_texts(path: &str) -> Option<HashMap<String, String>> {
    use wasm_bindgen_futures::JsFuture;
    let window = web_sys::window()?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(path))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    if !response.ok() {
        return None;
    }
    let json = JsFuture::from(response.json().ok()?).await.ok()?;
    let object: js_sys::Object = json.dyn_into().ok()?;
    Some(
        js_sys::Object::entries(&object)
            .iter()
            .filter_map(|entry| {
                let pair: js_sys::Array = entry.dyn_into().ok()?;
                Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
            })
            .collect(),
    )
}

/// The texts `text_in` reads: the loaded language's (the tests: the file asked for).
#[cfg(not(test))]
fn texts(_english: bool) -> &'static HashMap<String, String> {
    static EMPTY: OnceLock<HashMap<String, String>> = OnceLock::new();
    TEXTS
        .get()
        .unwrap_or_else(|| EMPTY.get_or_init(HashMap::new))
}

#[cfg(test)]
fn texts(english: bool) -> &'static HashMap<String, String> {
    if english { &tests::EN } else { &tests::ZH_CN }
}

/// Whether the app shows English (set once at start, from the device's setting).
static ENGLISH: AtomicBool = AtomicBool::new(false);

/// Chooses the language of every text from now on (the app starts over to apply it).
pub fn set_language(language: Language) {
    ENGLISH.store(language == Language::En, Ordering::Relaxed);
}

pub fn language() -> Language {
    if ENGLISH.load(Ordering::Relaxed) {
        Language::En
    } else {
        Language::ZhCn
    }
}

/// The text for `key` in the chosen language; the key itself if it is missing (the tests
/// check that both files have every key used).
pub fn t(key: &str) -> String {
    text_in(ENGLISH.load(Ordering::Relaxed), key)
}

/// [`t`] in English or not.
fn text_in(english: bool, key: &str) -> String {
    texts(english)
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.to_owned())
}

/// The text for `key` with `{name}` placeholders filled in.
pub fn tf(key: &str, args: &[(&str, &str)]) -> String {
    fill(t(key), args)
}

fn fill(mut s: String, args: &[(&str, &str)]) -> String {
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

/// The text for `key` about `n` things, with `{n}` (and `args`) filled in: `key.one` or
/// `key.other`, as the language's plural rule picks. English: `one` for 1, `other`
/// otherwise. Chinese has one form: `other` (zh-CN.json has no `.one` keys).
pub fn tn(key: &str, n: u64, args: &[(&str, &str)]) -> String {
    plural_in(ENGLISH.load(Ordering::Relaxed), key, n, args)
}

/// [`tn`] in English or not.
fn plural_in(english: bool, key: &str, n: u64, args: &[(&str, &str)]) -> String {
    let one = format!("{key}.one");
    let form = if english && n == 1 && texts(english).contains_key(&one) {
        one
    } else {
        format!("{key}.other")
    };
    let n = count(n);
    let mut all = vec![("n", n.as_str())];
    all.extend_from_slice(args);
    fill(text_in(english, &form), &all)
}

/// A count as the district's reports write it, in groups of three: 4,655.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `items` as a list in a sentence (`、` between them in Chinese, `, ` in English).
pub fn join(items: &[String]) -> String {
    items.join(&t("punct.list_sep"))
}

/// A value after its label (`label：value` in Chinese, `label: value` in English);
/// `label` is a key.
pub fn labelled(label: &str, value: &str) -> String {
    tf("punct.labelled", &[("label", &t(label)), ("value", value)])
}

/// The sentence shown next to a field the core refused.
pub fn field_error(e: &FieldError) -> String {
    let key = format!("error.{}.{}", snake(&e.field), snake(&e.problem));
    t(&key)
}

/// The label of a form field, as the form shows it (also names fields in histories).
pub fn field_label(field: Field) -> String {
    t(&format!("field.{}", snake(&field)))
}

/// The name of an activity kind (进站见选民, 回家站听意见…).
pub fn kind_label(kind: ActivityKind) -> String {
    enum_label("kind", &kind)
}

/// The name of an enum value: the text under `<prefix>.<snake_case value>`
/// (`category.traffic` → 交通出行, `status.referred` → 已交办).
pub fn enum_label<T: serde::Serialize>(prefix: &str, value: &T) -> String {
    t(&format!("{prefix}.{}", snake(value)))
}

/// The sentence for an error as a whole.
pub fn app_error(e: &AppError) -> String {
    match e {
        AppError::Invalid { .. } => t("form.invalid"),
        AppError::NotFound => t("error.not_found"),
        AppError::Offline { .. } => t("error.offline"),
        AppError::Server { status, .. } => tf("error.server", &[("status", &status.to_string())]),
        // A refusal the API names: what it means and what to do, in the app's words.
        AppError::Refused { status, code, .. }
            if texts(ENGLISH.load(Ordering::Relaxed))
                .contains_key(&format!("error.code.{code}")) =>
        {
            tf(
                "error.refused_known",
                &[
                    ("what", &t(&format!("error.code.{code}"))),
                    ("status", &status.to_string()),
                    ("code", code),
                ],
            )
        }
        AppError::Refused { status, reason, .. } if reason.is_empty() => {
            tf("error.refused_plain", &[("status", &status.to_string())])
        }
        // The reason in quotes, without its own full stop (the sentence adds one): the
        // ideographic full stop, the fullwidth exclamation mark and their ASCII forms.
        AppError::Refused { status, reason, .. } => tf(
            "error.refused",
            &[
                ("status", &status.to_string()),
                (
                    "reason",
                    reason.trim_end_matches(['\u{3002}', '.', '\u{ff01}', '!']),
                ),
            ],
        ),
        AppError::Storage { detail } => tf("error.storage", &[("detail", detail)]),
        AppError::InsecureServer { url } => tf("error.insecure_server", &[("url", url)]),
        AppError::BadServerUrl { url } => tf("error.bad_server_url", &[("url", url)]),
        AppError::NotSignedIn => t("error.not_signed_in"),
        AppError::SignInRefused => t("error.sign_in_refused"),
        AppError::SessionExpired => t("error.session_expired"),
        AppError::TooManyAttempts => t("error.too_many_attempts"),
        AppError::UnsentChanges => t("error.unsent_changes"),
        AppError::NotPermitted => t("error.not_permitted"),
        AppError::NoChineseFont => t("error.no_chinese_font"),
        AppError::NotOnThisDevice => t("error.not_on_this_device"),
    }
}

pub fn snake<T: serde::Serialize>(v: &T) -> String {
    serde_plain::to_string(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;
    use shared::Problem;

    pub(super) static ZH_CN: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
        serde_json::from_str(include_str!("../locales/zh-CN.json")).expect("zh-CN.json is valid")
    });

    pub(super) static EN: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
        serde_json::from_str(include_str!("../locales/en.json")).expect("en.json is valid")
    });

    /// Every key passed to `t`, `tf`, `tn` (its `.other` form) or `labelled` in the UI
    /// sources exists in zh-CN.json.
    #[test]
    fn every_key_used_in_the_ui_exists() {
        fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut files = vec![];
        sources(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
            &mut files,
        );
        assert!(files.len() > 20, "the UI's sources are read");
        let mut missing = vec![];
        for path in files {
            let src = std::fs::read_to_string(path).unwrap();
            for pat in ["t(\"", "tf(\"", "tn(\"", "labelled(\""] {
                for (i, _) in src.match_indices(pat) {
                    let before = src[..i].chars().next_back();
                    if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        continue; // e.g. `expect("`
                    }
                    let rest = &src[i + pat.len()..];
                    let key = &rest[..rest.find('"').unwrap()];
                    let key = if pat == "tn(\"" {
                        format!("{key}.other")
                    } else {
                        key.to_owned()
                    };
                    if !ZH_CN.contains_key(&key) {
                        missing.push(key);
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from zh-CN.json: {missing:?}"
        );
    }

    /// A refusal the API names by its code reads as what it means, in the app's words,
    /// with the code for the server's administrator; without a known code, the server's
    /// own sentence; never the "try again later" of an error that may pass.
    #[test]
    fn a_refusal_says_what_it_is_not_try_again() {
        let refused = |code: &str, reason: &str| AppError::Refused {
            status: 403,
            code: code.into(),
            reason: reason.into(),
        };
        let text = app_error(&refused("read_only", "this account only reads st-1"));
        assert!(text.contains(&t("error.code.read_only")), "{text}");
        assert!(text.contains("read_only") && text.contains("403"), "{text}");
        assert!(!text.contains("this account only reads"), "{text}");
        let text = app_error(&refused("", "no public address"));
        assert!(text.contains("no public address"), "{text}");
        let retry = tf("error.server", &[("status", "403")]);
        for e in [refused("read_only", ""), refused("", "x"), refused("", "")] {
            assert_ne!(app_error(&e), retry);
            assert!(!app_error(&e).contains("稍后重试"), "{e:?}");
        }
    }

    #[test]
    fn every_field_problem_a_user_can_hit_has_a_sentence() {
        use Field::*;
        use Problem::*;
        let reachable = [
            (Station, Required),
            (Station, Unknown),
            (Date, Required),
            (Date, Unknown),
            (Date, InFuture),
            (Date, TooEarly),
            (Deputies, Required),
            (Deputies, Unknown),
            (VotersReceived, Required),
            (VotersReceived, NotANumber),
            (VotersReceived, Negative),
            (VotersReceived, TooLarge),
            (Summary, Required),
            (Summary, TooLong),
            (Station, Locked),
            (Location, TooLong),
            (Guests, TooLong),
            (Photos, Unknown),
            (Campaign, Unknown),
            (Draft, Unknown),
            (Categories, Required),
            (Content, Required),
            (Content, TooLong),
            (VoterName, TooLong),
            (VoterPhone, Unknown),
            (Consent, Required),
            (ReceivedBy, Unknown),
            (Department, Required),
            (Department, Unknown),
            (Deadline, Required),
            (Deadline, Unknown),
            (Deadline, TooEarly),
            (Deadline, TooLarge),
            (Feedback, Required),
            (Feedback, TooLong),
            (Opinion, Unknown),
        ];
        for (field, problem) in reachable {
            let text = field_error(&FieldError::new(field, problem));
            assert!(
                !text.starts_with("error."),
                "no sentence for {field:?}/{problem:?}"
            );
        }
        assert_eq!(
            field_error(&FieldError::new(VotersReceived, Negative)),
            "接待选民人数不能为负数。"
        );
    }

    #[test]
    fn every_field_and_kind_has_a_name() {
        for f in Field::ALL {
            assert!(!field_label(f).starts_with("field."), "no label for {f:?}");
        }
        for k in ActivityKind::ALL {
            assert!(!kind_label(k).starts_with("kind."), "no name for {k:?}");
        }
        assert_eq!(kind_label(ActivityKind::HomeListening), "回家站听意见");
        for c in shared::OpinionCategory::ALL {
            assert!(
                !t(&format!("category.{}", snake(&c))).starts_with("category."),
                "{c:?}"
            );
        }
        use shared::OpinionStatus::*;
        for s in [Recorded, Referred, InProgress, Answered, FedBack] {
            assert!(
                !t(&format!("status.{}", snake(&s))).starts_with("status."),
                "{s:?}"
            );
        }
    }

    /// Both locale files have the same keys, and each English text the same
    /// placeholders as its Chinese one. Plurals: an English `key.one` goes with a
    /// `key.other` in both files (Chinese has only that form) and has its placeholders.
    #[test]
    fn the_english_locale_matches_the_chinese_one() {
        let placeholders = |s: &str| {
            let mut p: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
                .collect();
            p.sort();
            p
        };
        let mut zh: Vec<&String> = ZH_CN.keys().collect();
        let mut en: Vec<&String> = EN.keys().filter(|k| !k.ends_with(".one")).collect();
        zh.sort();
        en.sort();
        assert_eq!(
            zh, en,
            "the same keys in zh-CN.json and en.json (besides .one)"
        );
        for (key, text) in ZH_CN.iter() {
            assert!(
                !key.ends_with(".one"),
                "{key}: Chinese has one plural form, .other"
            );
            assert_eq!(placeholders(text), placeholders(&EN[key]), "{key}");
            assert!(!EN[key].trim().is_empty(), "{key}");
        }
        for (key, text) in EN.iter() {
            if let Some(stem) = key.strip_suffix(".one") {
                let other = format!("{stem}.other");
                assert!(EN.contains_key(&other), "{key} without {other}");
                assert_eq!(placeholders(text), placeholders(&EN[&other]), "{key}");
                assert!(!text.trim().is_empty(), "{key}");
            }
        }
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn plurals_follow_the_number_in_english_only() {
        assert_eq!(plural_in(false, "list.records", 1, &[]), "共 1 条");
        assert_eq!(plural_in(false, "list.records", 4655, &[]), "共 4,655 条");
        assert_eq!(plural_in(false, "list.records", 2, &[]), "共 2 条");
        assert_eq!(plural_in(true, "list.records", 1, &[]), "1 record");
        assert_eq!(plural_in(true, "list.records", 2, &[]), "2 records");
        assert_eq!(plural_in(true, "list.records", 0, &[]), "0 records");
        let one_station = [("done", "0"), ("total", "1")];
        assert_eq!(
            plural_in(true, "campaigns.done", 1, &one_station),
            "0/1 station held it"
        );
        assert_eq!(
            plural_in(false, "campaigns.done", 1, &one_station),
            "0/1 个站点已开展"
        );
    }

    #[test]
    fn lists_and_labels_are_punctuated_by_the_locale() {
        assert_eq!(join(&["a".into(), "b".into()]), "a、b");
        assert_eq!(labelled("inbox.note", "x"), "交办说明：x");
        assert_eq!(text_in(true, "punct.list_sep"), ", ");
        assert_eq!(
            fill(
                text_in(true, "punct.labelled"),
                &[("label", "Note"), ("value", "x")]
            ),
            "Note: x"
        );
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(tf("list.voters", &[("n", "12")]), "接待选民 12 人");
    }
}

//! Links between screens that carry a filter (`/activities?from=…&station=…`), the date
//! ranges of months, quarters and years, and the names of periods as file names and
//! headings show them ("2022年1月", "2022年第一季度"…). Dates are `YYYY-MM-DD` strings,
//! as the date inputs hold them.

use crate::i18n::{t, tf};

/// Where the app's pages live under its origin: `/app` where the sync server serves the
/// web app (a phone's browser), nothing in the desktop app (its own origin). Read once
/// from the address the page was loaded at.
pub fn base() -> &'static str {
    // The unit tests' host has no page.
    if cfg!(not(target_family = "wasm")) {
        return "";
    }
    thread_local! {
        static BASE: &'static str = {
            let path = web_sys::window()
                .and_then(|w| w.location().pathname().ok())
                .unwrap_or_default();
            if path == WEB_APP || path.starts_with(&format!("{WEB_APP}/")) {
                WEB_APP
            } else {
                ""
            }
        };
    }
    BASE.with(|b| *b)
}

/// The path the sync server serves the web app at.
const WEB_APP: &str = "/app";

/// App path `path` (`/opinions?status=…`) as a link's address: under [`base`], once
/// (a path already under it stays as it is).
pub fn href(path: &str) -> String {
    under(base(), path)
}

fn under(base: &str, path: &str) -> String {
    if base.is_empty()
        || path == base
        || path
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with(['/', '?', '#']))
    {
        path.to_owned()
    } else {
        format!("{base}{path}")
    }
}

/// The app path of address `path` (what [`href`] made of it).
pub fn app_path(path: &str) -> &str {
    match path.strip_prefix(base()) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    }
}

/// `s` as a URL query value: unreserved characters as they are, everything else as
/// `%XX` bytes of its UTF-8.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A path with query parameters; empty values are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Link {
    path: String,
    params: Vec<(&'static str, String)>,
}

impl Link {
    pub fn new(path: &str) -> Link {
        Link {
            path: path.to_owned(),
            params: Vec::new(),
        }
    }

    /// With `key=value` (replacing an earlier `key`); an empty value removes it.
    pub fn with(mut self, key: &'static str, value: impl Into<String>) -> Link {
        let value = value.into();
        self.params.retain(|(k, _)| *k != key);
        if !value.is_empty() {
            self.params.push((key, value));
        }
        self
    }

    /// With `key=value` when there is a value.
    pub fn opt(self, key: &'static str, value: Option<impl ToString>) -> Link {
        match value {
            Some(v) => self.with(key, v.to_string()),
            None => self,
        }
    }

    /// As a link's address (under [`base`]).
    pub fn href(&self) -> String {
        href(&self.path_and_query())
    }

    fn path_and_query(&self) -> String {
        let mut s = self.path.clone();
        for (i, (k, v)) in self.params.iter().enumerate() {
            s.push(if i == 0 { '?' } else { '&' });
            s.push_str(k);
            s.push('=');
            s.push_str(&encode(v));
        }
        s
    }
}

pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The first and last day of a month.
pub fn month_range(year: i32, month: u32) -> (String, String) {
    (
        format!("{year:04}-{month:02}-01"),
        format!("{year:04}-{month:02}-{:02}", days_in_month(year, month)),
    )
}

/// The first and last day of quarter `q` (1–4).
pub fn quarter_range(year: i32, q: u32) -> (String, String) {
    let first = 3 * q - 2;
    let last = 3 * q;
    (
        format!("{year:04}-{first:02}-01"),
        format!("{year:04}-{last:02}-{:02}", days_in_month(year, last)),
    )
}

pub fn year_range(year: i32) -> (String, String) {
    (format!("{year:04}-01-01"), format!("{year:04}-12-31"))
}

/// `(year, month, day)` of a `YYYY-MM-DD` date.
pub fn ymd(date: &str) -> Option<(i32, u32, u32)> {
    let mut parts = date.splitn(3, '-');
    let y = parts.next()?.parse().ok()?;
    let m = parts.next()?.parse().ok()?;
    let d = parts.next()?.parse().ok()?;
    (date.len() == 10 && (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m))
        .then_some((y, m, d))
}

/// The year of a `YYYY-MM-DD` date (or of a `YYYY-MM` month).
pub fn year_of(date: &str) -> Option<i32> {
    date.get(..4)?.parse().ok()
}

/// A year as the UI writes it ("2022年").
pub fn year_name(year: i32) -> String {
    tf("period.year", &[("year", &year.to_string())])
}

pub fn month_name(year: i32, month: u32) -> String {
    tf(
        "period.month",
        &[("year", &year.to_string()), ("month", &month.to_string())],
    )
}

pub fn quarter_name(year: i32, q: u32) -> String {
    tf(
        "period.quarter",
        &[
            ("year", &year.to_string()),
            ("quarter", &t(&format!("period.q{q}"))),
        ],
    )
}

/// The name of the dates `from`–`to` (either may be open): a whole year, quarter or
/// month by its name, otherwise the two dates.
pub fn period_name(from: Option<&str>, to: Option<&str>) -> String {
    match (from.and_then(ymd), to.and_then(ymd)) {
        (None, None) => t("period.all"),
        (Some((fy, fm, 1)), Some((ty, tm, td))) if fy == ty && td == days_in_month(ty, tm) => {
            if fm == 1 && tm == 12 {
                year_name(fy)
            } else if fm == tm {
                month_name(fy, fm)
            } else if fm % 3 == 1 && tm == fm + 2 {
                quarter_name(fy, fm.div_ceil(3))
            } else {
                range_name(from, to)
            }
        }
        _ => range_name(from, to),
    }
}

fn range_name(from: Option<&str>, to: Option<&str>) -> String {
    match (
        from.filter(|f| ymd(f).is_some()),
        to.filter(|t| ymd(t).is_some()),
    ) {
        (Some(f), Some(to)) => tf("period.range", &[("from", f), ("to", to)]),
        (Some(f), None) => tf("period.since", &[("from", f)]),
        (None, Some(to)) => tf("period.until", &[("to", to)]),
        (None, None) => t("period.all"),
    }
}

/// `file` with its extension, safe as a file name (no path separators).
pub fn file_name(name: &str, extension: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '-'
            } else {
                c
            }
        })
        .collect();
    format!("{}.{extension}", safe.trim())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_path_goes_under_the_web_apps_base_once() {
        assert_eq!(under("", "/opinions"), "/opinions");
        assert_eq!(under("/app", "/opinions?x=1"), "/app/opinions?x=1");
        assert_eq!(under("/app", "/"), "/app/");
        assert_eq!(under("/app", "/app/opinions"), "/app/opinions");
        assert_eq!(under("/app", "/app"), "/app");
        // A route that only begins like the base is not under it.
        assert_eq!(under("/app", "/apps"), "/app/apps");
    }

    use super::*;

    #[test]
    fn links_encode_their_values() {
        let link = Link::new("/activities")
            .with("from", "2022-01-01")
            .with("kind", "")
            .opt("station", Some("st 1"))
            .opt("draft", None::<String>)
            .with("name", "紫竹院");
        assert_eq!(
            link.href(),
            "/activities?from=2022-01-01&station=st%201&name=%E7%B4%AB%E7%AB%B9%E9%99%A2"
        );
        assert_eq!(Link::new("/opinions").href(), "/opinions");
        assert_eq!(
            Link::new("/x").with("a", "1").with("a", "2").href(),
            "/x?a=2"
        );
    }

    #[test]
    fn ranges_end_on_the_last_day() {
        assert_eq!(month_range(2024, 2).1, "2024-02-29");
        assert_eq!(month_range(2022, 2).1, "2022-02-28");
        assert_eq!(
            quarter_range(2022, 2),
            ("2022-04-01".into(), "2022-06-30".into())
        );
        assert_eq!(ymd("2022-02-30"), None);
        assert_eq!(ymd("2022-12-31"), Some((2022, 12, 31)));
    }

    #[test]
    fn periods_have_names() {
        assert_eq!(
            period_name(Some("2022-01-01"), Some("2022-12-31")),
            "2022年"
        );
        assert_eq!(
            period_name(Some("2022-01-01"), Some("2022-01-31")),
            "2022年1月"
        );
        assert_eq!(
            period_name(Some("2022-07-01"), Some("2022-09-30")),
            "2022年第三季度"
        );
        assert_eq!(
            period_name(Some("2022-01-05"), Some("2022-02-03")),
            "2022-01-05至2022-02-03"
        );
        assert_eq!(period_name(None, None), "全部");
        assert_eq!(
            file_name("海淀区-统计-2022年1月", "xlsx"),
            "海淀区-统计-2022年1月.xlsx"
        );
    }
}

//! A table as the export formats take it: a titled grid of typed cells, knowing nothing
//! of registers or ledgers. The views that fill it live with their data.

use std::fmt;

use chrono::NaiveDate;

/// One value in a [`Table`]. Its type decides how a spreadsheet stores it: text as text,
/// numbers as numbers, dates as real dates, percents as numbers shown with `%`.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// NaN and infinities are written as empty cells: no spreadsheet stores them.
    Number(f64),
    /// A fraction, 0.625 for 62.5 %.
    Percent(f64),
    Date(NaiveDate),
    Empty,
}

/// The cell as a person reads it, and as CSV writes it: dates in ISO form
/// (`2022-01-15`), percents with one decimal (`62.5%`), numbers in their shortest form.
impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Text(s) => f.write_str(s),
            Cell::Int(n) => write!(f, "{n}"),
            Cell::Number(x) if x.is_finite() => write!(f, "{x}"),
            Cell::Percent(x) if x.is_finite() => write!(f, "{:.1}%", x * 100.0),
            Cell::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Cell::Number(_) | Cell::Percent(_) | Cell::Empty => Ok(()),
        }
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}

impl From<i32> for Cell {
    fn from(n: i32) -> Cell {
        Cell::Int(n.into())
    }
}

impl From<u32> for Cell {
    fn from(n: u32) -> Cell {
        Cell::Int(n.into())
    }
}

impl From<f64> for Cell {
    fn from(x: f64) -> Cell {
        Cell::Number(x)
    }
}

impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Cell {
        Cell::Date(d)
    }
}

/// `None` is an empty cell.
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Cell {
        v.map_or(Cell::Empty, Into::into)
    }
}

/// A titled table: one xlsx sheet, or one CSV file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The xlsx sheet's name. Excel allows at most 31 characters and none of `[]:*?/\`;
    /// [`xlsx`](fn@super::xlsx) cuts and replaces what does not fit, and numbers repeats.
    pub sheet: String,
    /// The heading above the table (xlsx only: a CSV file is named after it instead).
    pub title: String,
    pub columns: Vec<String>,
    /// Rows may be shorter than `columns` (the rest is empty) or longer (extra columns
    /// without a header).
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table without rows yet.
    pub fn new(
        sheet: impl Into<String>,
        title: impl Into<String>,
        columns: impl IntoIterator<Item = impl Into<String>>,
    ) -> Table {
        Table {
            sheet: sheet.into(),
            title: title.into(),
            columns: columns.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// The number of columns: the header's or the longest row's, whichever is more.
    pub fn width(&self) -> usize {
        self.rows
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
            .max(self.columns.len())
    }
}

/// Whether `c` is set square, one em wide, in Chinese text: ideographs, kana, hangul,
/// CJK punctuation and full-width forms. Such characters take two columns in a
/// spreadsheet and may be broken between anywhere in a paragraph.
pub(crate) fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

/// How many narrow columns `s` takes on its longest line: wide characters count two.
pub(crate) fn display_width(s: &str) -> usize {
    s.lines()
        .map(|line| line.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum())
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_people_write_them() {
        let date = NaiveDate::from_ymd_opt(2022, 1, 5).unwrap();
        assert_eq!(Cell::from(date).to_string(), "2022-01-05");
        assert_eq!(Cell::Percent(0.625).to_string(), "62.5%");
        assert_eq!(Cell::Percent(1.0).to_string(), "100.0%");
        assert_eq!(Cell::Number(4655.0).to_string(), "4655");
        assert_eq!(Cell::Number(2.5).to_string(), "2.5");
        assert_eq!(Cell::Number(f64::NAN).to_string(), "");
        assert_eq!(Cell::from(None::<i64>), Cell::Empty);
        assert_eq!(Cell::from(Some(3)), Cell::Int(3));
    }

    #[test]
    fn chinese_takes_two_columns() {
        assert_eq!(display_width("进站见选民"), 10);
        assert_eq!(display_width("2022年"), 6);
        assert_eq!(display_width("「回家站」，"), 12);
        assert_eq!(display_width("ab\n进站见"), 6);
        assert_eq!(display_width(""), 0);
    }
}

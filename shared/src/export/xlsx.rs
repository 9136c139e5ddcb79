//! Tables as an Excel workbook (rust_xlsxwriter): one sheet per table, its title in bold
//! above a bold header row that stays in view (frozen) and carries Excel's filter
//! buttons; dates as real Excel dates, numbers as numbers, percents shown with `%`;
//! columns as wide as their text (Chinese counted double); printed on A4, one page wide.

use rust_xlsxwriter::{
    Color, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use super::table::{Cell, Table, display_width};
use crate::Error;

/// Column widths in Excel's units (about one digit of the default font; a Chinese
/// character takes two): at least this, so an empty column can still be read…
const MIN_WIDTH: usize = 6;
/// …and at most this, past which text cells wrap instead.
const MAX_WIDTH: usize = 60;

/// The workbook of `tables`, one sheet each in order. Sheet names are made valid for
/// Excel (at most 31 characters, none of `[]:*?/\`, unique: a repeat gets ` (2)`); a
/// table without rows is a sheet with its title and header. Fails only on what Excel
/// cannot hold (over 1,048,576 rows or 16,384 columns, a text over 32,767 characters).
pub fn xlsx(tables: &[Table]) -> Result<Vec<u8>, Error> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let mut names = Vec::new();
    for table in tables {
        let name = sheet_name(&table.sheet, &names);
        let sheet = workbook.add_worksheet();
        sheet.set_name(name.as_str()).map_err(xlsx_error)?;
        names.push(name);
        write_sheet(sheet, table, &formats).map_err(xlsx_error)?;
    }
    if tables.is_empty() {
        // A workbook needs a sheet to open.
        workbook.add_worksheet();
    }
    workbook.save_to_buffer().map_err(xlsx_error)
}

fn xlsx_error(e: XlsxError) -> Error {
    Error::Export(format!("xlsx: {e}"))
}

struct Formats {
    title: Format,
    header: Format,
    text: Format,
    wrapped: Format,
    number: Format,
    date: Format,
    percent: Format,
}

impl Formats {
    fn new() -> Formats {
        let top = Format::new().set_align(FormatAlign::Top);
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_size(14)
                .set_align(FormatAlign::VerticalCenter),
            header: Format::new()
                .set_bold()
                .set_align(FormatAlign::Top)
                .set_background_color(Color::RGB(0xE7ECF3))
                .set_border_bottom(FormatBorder::Thin),
            text: top.clone(),
            wrapped: top.clone().set_text_wrap(),
            number: top.clone(),
            date: top.clone().set_num_format("yyyy-mm-dd"),
            percent: top.set_num_format("0.0%"),
        }
    }
}

fn write_sheet(sheet: &mut Worksheet, table: &Table, f: &Formats) -> Result<(), XlsxError> {
    let width = table.width();
    let last_col = col_num(width.saturating_sub(1))?;
    const TITLE: u32 = 0;
    const HEADER: u32 = 1;

    if width > 1 {
        sheet.merge_range(TITLE, 0, TITLE, last_col, &table.title, &f.title)?;
    } else {
        sheet.write_string_with_format(TITLE, 0, &table.title, &f.title)?;
    }
    sheet.set_row_height(TITLE, 24)?;
    if width == 0 {
        return Ok(());
    }

    // Widths first: text cells in a column at the widest wrap.
    let widths: Vec<usize> = (0..width)
        .map(|c| {
            let header = table.columns.get(c).map_or(0, |h| display_width(h));
            let cells = table
                .rows
                .iter()
                .filter_map(|row| row.get(c))
                .map(|cell| match cell {
                    Cell::Text(s) => display_width(s),
                    Cell::Date(_) => 10,
                    other => other.to_string().len(),
                })
                .max()
                .unwrap_or(0);
            (header.max(cells) + 2).clamp(MIN_WIDTH, MAX_WIDTH)
        })
        .collect();
    for (c, w) in widths.iter().enumerate() {
        sheet.set_column_width(col_num(c)?, *w as f64)?;
    }

    for c in 0..width {
        let header = table.columns.get(c).map_or("", String::as_str);
        sheet.write_string_with_format(HEADER, col_num(c)?, header, &f.header)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = u32::try_from(r)
            .ok()
            .and_then(|r| r.checked_add(HEADER + 1))
            .ok_or(XlsxError::RowColumnLimitError)?;
        for (c, cell) in row.iter().enumerate() {
            let col = col_num(c)?;
            match cell {
                Cell::Text(s) if s.is_empty() => {}
                Cell::Text(s) => {
                    let format = if widths[c] == MAX_WIDTH {
                        &f.wrapped
                    } else {
                        &f.text
                    };
                    sheet.write_string_with_format(r, col, s, format)?;
                }
                Cell::Int(n) => {
                    // Excel holds 15 significant digits: past 2^53 a number would change.
                    if n.unsigned_abs() < 1 << 53 {
                        sheet.write_number_with_format(r, col, *n as f64, &f.number)?;
                    } else {
                        sheet.write_string_with_format(r, col, n.to_string(), &f.text)?;
                    }
                }
                Cell::Number(x) if x.is_finite() => {
                    sheet.write_number_with_format(r, col, *x, &f.number)?;
                }
                Cell::Percent(x) if x.is_finite() => {
                    sheet.write_number_with_format(r, col, *x, &f.percent)?;
                }
                Cell::Date(d) => match excel_date(*d) {
                    Some(date) => {
                        sheet.write_datetime_with_format(r, col, date, &f.date)?;
                    }
                    // Excel's dates run from 1900 to 9999; others stay readable as text.
                    None => {
                        sheet.write_string_with_format(r, col, cell.to_string(), &f.text)?;
                    }
                },
                Cell::Number(_) | Cell::Percent(_) | Cell::Empty => {}
            }
        }
    }

    // Printed: A4, as wide as one page (landscape when the columns are many), the title
    // and header on every page.
    sheet.set_paper_size(9);
    if widths.iter().sum::<usize>() > 100 {
        sheet.set_landscape();
    }
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(TITLE, HEADER)?;

    sheet.set_freeze_panes(HEADER + 1, 0)?;
    let last_row = u32::try_from(table.rows.len())
        .ok()
        .and_then(|n| n.checked_add(HEADER))
        .ok_or(XlsxError::RowColumnLimitError)?;
    sheet.autofilter(HEADER, 0, last_row, last_col)?;
    Ok(())
}

fn col_num(c: usize) -> Result<u16, XlsxError> {
    u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)
}

fn excel_date(d: chrono::NaiveDate) -> Option<ExcelDateTime> {
    use chrono::Datelike;
    let year = u16::try_from(d.year()).ok()?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8).ok()
}

/// `wanted` as a sheet name Excel accepts and no earlier sheet has (Excel compares
/// names without case).
fn sheet_name(wanted: &str, taken: &[String]) -> String {
    const MAX: usize = 31;
    let cleaned: String = wanted
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let mut base = cleaned.trim().trim_matches('\'').trim().to_owned();
    if base.is_empty() {
        base = "Sheet".to_owned();
    }
    // Excel keeps this name for itself.
    if base.eq_ignore_ascii_case("history") {
        base.push('_');
    }
    let is_taken = |name: &str| {
        taken
            .iter()
            .any(|t| t.to_lowercase() == name.to_lowercase())
    };
    for n in 1usize.. {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!(" ({n})")
        };
        let stem: String = base.chars().take(MAX - suffix.chars().count()).collect();
        // Cutting may leave an apostrophe or space at the end.
        let candidate = format!("{}{suffix}", stem.trim_end().trim_end_matches('\''));
        if !is_taken(&candidate) {
            return candidate;
        }
    }
    unreachable!("some numbered name is free")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_made_valid_and_unique() {
        let mut taken = Vec::new();
        let mut take = |wanted: &str| {
            let name = sheet_name(wanted, &taken);
            taken.push(name.clone());
            name
        };
        assert_eq!(take("登记簿"), "登记簿");
        assert_eq!(take("登记簿"), "登记簿 (2)");
        assert_eq!(take("a/b:c?"), "a_b_c_");
        assert_eq!(take("'quoted'"), "quoted");
        assert_eq!(take(""), "Sheet");
        assert_eq!(take("History"), "History_");
        let long = "海淀区人大代表之家与人大代表联络站全年活动情况登记簿汇总表（二〇二二年度）";
        let first = take(long);
        assert_eq!(first.chars().count(), 31);
        let second = take(long);
        assert_eq!(second.chars().count(), 31);
        assert!(second.ends_with(" (2)"), "{second}");
        assert_eq!(take("SHEET"), "SHEET (2)");
    }
}

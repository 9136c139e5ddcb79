//! A table as CSV (RFC 4180, written by the `csv` crate): UTF-8 with a byte-order mark,
//! which Excel needs to read Chinese instead of mojibake; CRLF line ends; a field is
//! quoted when it holds a comma, a quote or a line break, and its quotes doubled.

use ::csv::{QuoteStyle, Terminator, WriterBuilder};

use super::table::{Cell, Table};

/// The UTF-8 byte-order mark.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The header row and the data rows of `table` (its title is not in the file: name the
/// file after it). Every record has [`Table::width`] fields. Cells are written as they
/// read ([`Cell`]'s `Display`: ISO dates, `62.5%`). A text cell that a spreadsheet would
/// take for a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets
/// a leading `'`: records may hold what voters typed on a public page.
pub fn csv(table: &Table) -> Vec<u8> {
    let width = table.width();
    let mut writer = WriterBuilder::new()
        .terminator(Terminator::CRLF)
        .quote_style(QuoteStyle::Necessary)
        .from_writer(BOM.to_vec());
    let mut record: Vec<String> = Vec::with_capacity(width);
    let mut write = |record: &mut Vec<String>| {
        record.resize(width, String::new());
        writer
            .write_record(record.iter())
            .expect("every record has the same width, and memory takes any bytes");
        record.clear();
    };
    if width > 0 {
        record.extend(table.columns.iter().cloned());
        write(&mut record);
    }
    for row in &table.rows {
        record.extend(row.iter().map(field));
        write(&mut record);
    }
    writer
        .into_inner()
        .expect("flushing into memory cannot fail")
}

fn field(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
        other => other.to_string(),
    }
}

//! Just enough CSV (RFC 4180) for the seed files.
//!
//! The seed files quote fields that contain commas (`"Damage, destruction or
//! loss of assets ..."`), so splitting on commas is not enough. Quoted fields
//! may contain commas, doubled quotes and line breaks.

use crate::error::SeedError;

/// One record with the line it starts on.
pub(crate) struct Record {
    pub(crate) line: usize,
    pub(crate) fields: Vec<String>,
}

/// Splits `text` into records. Blank lines are skipped.
pub(crate) fn parse(text: &str) -> Result<Vec<Record>, SeedError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    // Set when the current field was quoted, so `"a"b` can be refused.
    let mut after_quote = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.chars().peekable();

    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => {
                    in_quotes = false;
                    after_quote = true;
                }
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !after_quote => in_quotes = true,
            '"' => return Err(SeedError::new(line, "stray quote inside an unquoted field")),
            ',' => {
                fields.push(std::mem::take(&mut field));
                after_quote = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                after_quote = false;
                push_record(&mut records, record_line, std::mem::take(&mut fields));
                line += 1;
                record_line = line;
            }
            _ if after_quote => {
                return Err(SeedError::new(
                    line,
                    "text after the closing quote of a field",
                ));
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(SeedError::new(record_line, "quoted field is never closed"));
    }
    if !field.is_empty() || !fields.is_empty() || after_quote {
        fields.push(field);
        push_record(&mut records, record_line, fields);
    }
    Ok(records)
}

fn push_record(records: &mut Vec<Record>, line: usize, fields: Vec<String>) {
    let blank = fields.len() == 1 && fields[0].trim().is_empty();
    if !blank {
        records.push(Record { line, fields });
    }
}

/// Records keyed by a header row: each row is read by column name, so the
/// columns may come in any order and extra columns are ignored.
pub(crate) struct Table {
    columns: Vec<String>,
    pub(crate) rows: Vec<Record>,
}

impl Table {
    pub(crate) fn parse(text: &str, required: &[&str]) -> Result<Self, SeedError> {
        let mut records = parse(text)?.into_iter();
        let header = records
            .next()
            .ok_or_else(|| SeedError::new(1, "the file is empty"))?;
        let columns: Vec<String> = header.fields.iter().map(|f| f.trim().to_owned()).collect();
        for name in required {
            if !columns.iter().any(|c| c == name) {
                return Err(SeedError::new(
                    header.line,
                    format!("missing column {name:?}"),
                ));
            }
        }
        let rows: Vec<Record> = records.collect();
        for row in &rows {
            if row.fields.len() != columns.len() {
                return Err(SeedError::new(
                    row.line,
                    format!(
                        "{} fields where the header has {}",
                        row.fields.len(),
                        columns.len()
                    ),
                ));
            }
        }
        Ok(Self { columns, rows })
    }

    /// The trimmed value of `column` in `row` (empty if the column is absent).
    pub(crate) fn get<'a>(&self, row: &'a Record, column: &str) -> &'a str {
        self.columns
            .iter()
            .position(|c| c == column)
            .and_then(|i| row.fields.get(i))
            .map_or("", |f| f.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        parse(text).unwrap().into_iter().map(|r| r.fields).collect()
    }

    #[test]
    fn splits_plain_and_quoted_fields() {
        assert_eq!(
            fields("a,b,c\n1,\"x, y\",\n"),
            vec![vec!["a", "b", "c"], vec!["1", "x, y", ""]]
        );
    }

    #[test]
    fn handles_doubled_quotes_crlf_and_missing_final_newline() {
        assert_eq!(
            fields("a,\"say \"\"hi\"\"\"\r\nb,c"),
            vec![vec!["a", "say \"hi\""], vec!["b", "c"]]
        );
    }

    #[test]
    fn quoted_fields_may_span_lines_and_blank_lines_are_skipped() {
        let records = parse("h\n\n\"two\nlines\"\nnext\n").unwrap();
        assert_eq!(records[1].fields, vec!["two\nlines"]);
        assert_eq!(records[1].line, 3);
        assert_eq!(records[2].line, 5);
    }

    #[test]
    fn refuses_malformed_quoting() {
        assert!(parse("a,\"open\n").is_err());
        assert!(parse("a,b\"c\n").is_err());
        assert!(parse("\"a\"b,c\n").is_err());
    }

    #[test]
    fn table_checks_columns_and_field_counts() {
        assert!(Table::parse("a,b\n1,2\n", &["a", "c"]).is_err());
        assert!(Table::parse("a,b\n1,2,3\n", &["a"]).is_err());
        let t = Table::parse("b,a\n 2 ,1\n", &["a", "b"]).unwrap();
        assert_eq!(t.get(&t.rows[0], "a"), "1");
        assert_eq!(t.get(&t.rows[0], "b"), "2");
    }
}

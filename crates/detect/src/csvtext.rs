//! Minimal RFC 4180 record splitter over text (quotes, doubled quotes, CRLF), enough
//! for the oracle positions format and the vessel registry. Blank lines are skipped,
//! as pandas does.

/// Splits `text` into records of fields, each with its 1-based starting line.
pub(crate) fn records(text: &str) -> Vec<(usize, Vec<String>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1usize;
    let mut record_line = 1usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => in_quotes = true,
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                finish(&mut out, &mut fields, &mut field, record_line);
                line += 1;
                record_line = line;
            }
            _ => field.push(c),
        }
    }
    finish(&mut out, &mut fields, &mut field, record_line);
    out
}

fn finish(out: &mut Vec<(usize, Vec<String>)>, fields: &mut Vec<String>, field: &mut String, line: usize) {
    if fields.is_empty() && field.is_empty() {
        return;
    }
    fields.push(std::mem::take(field));
    out.push((line, std::mem::take(fields)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_blank_lines() {
        let r = records("a,b\r\n\n\"x,\"\"y\"\"\",2\n");
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].1, vec!["x,\"y\"".to_string(), "2".to_string()]);
        assert_eq!(r[1].0, 3);
    }
}

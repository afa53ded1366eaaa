//! Where a store lives: a SQLite file path or a PostgreSQL URL, and how to show it
//! without leaking a password.

use std::path::PathBuf;

use crate::{Result, StoreError};

/// A parsed `--db` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL server, database and optional schema.
    Postgres(PgLocation),
}

/// A `postgres://` or `postgresql://` URL, split into what the driver understands and
/// the `schema` query parameter, which only lookout reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgLocation {
    /// The URL handed to the driver (the `schema` parameter removed).
    pub url: String,
    /// Schema that holds lookout's tables; `None` uses the server's `search_path`.
    pub schema: Option<String>,
}

impl PgLocation {
    /// The URL with any password replaced by `***`, the schema shown as given.
    pub fn redacted(&self) -> String {
        let base = redact(&self.url);
        match &self.schema {
            Some(s) if base.contains('?') => format!("{base}&schema={s}"),
            Some(s) => format!("{base}?schema={s}"),
            None => base,
        }
    }
}

impl Location {
    /// Parses a file path or a PostgreSQL URL. Anything that looks like a URL with
    /// another scheme is refused rather than taken as a file name.
    pub fn parse(s: &str) -> Result<Location> {
        let Some((scheme, _)) = s.split_once("://").filter(|(scheme, _)| is_scheme(scheme)) else {
            return Ok(Location::Sqlite(PathBuf::from(s)));
        };
        let bad = |message: String| StoreError::Location { location: redact(s), message };
        if !matches!(scheme.to_ascii_lowercase().as_str(), "postgres" | "postgresql") {
            return Err(bad(format!(
                "unsupported scheme '{scheme}://': use a SQLite file path or a postgres:// (postgresql://) URL"
            )));
        }
        let (base, query) = match s.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (s, None),
        };
        let mut schema = None;
        let mut kept = Vec::new();
        for pair in query.into_iter().flat_map(|q| q.split('&')).filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("schema", v)) => {
                    check_schema_name(v).map_err(bad)?;
                    schema = Some(v.to_string());
                }
                _ => kept.push(pair),
            }
        }
        let url = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
        Ok(Location::Postgres(PgLocation { url, schema }))
    }

    /// How the location is shown in messages: passwords never appear.
    pub fn redacted(&self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(pg) => pg.redacted(),
        }
    }
}

fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Schema names are interpolated into SQL (as quoted identifiers), so only plain
/// identifiers are accepted.
pub(crate) fn check_schema_name(name: &str) -> std::result::Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!("schema name '{name}' must be a lowercase identifier ([a-z_][a-z0-9_]*, at most 63 characters)"))
    }
}

/// Replaces the password of a URL (user info or a `password=` parameter) with `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_string(),
    };
    let mut out = format!("{scheme}://{authority}{path}");
    if let Some(q) = query {
        let pairs: Vec<String> = q
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_everywhere() {
        assert_eq!(redact("postgres://u:s3cret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(
            redact("postgres://u@h/db?password=s3cret&sslmode=disable"),
            "postgres://u@h/db?password=***&sslmode=disable"
        );
        assert_eq!(redact("postgresql://h/db"), "postgresql://h/db");
        // '@' in a password must not leak its tail.
        assert_eq!(redact("postgres://u:p@ss@h/db"), "postgres://u:***@h/db");
    }

    #[test]
    fn paths_urls_and_schemas_are_told_apart() {
        assert_eq!(Location::parse("data/x.db").expect("path"), Location::Sqlite(PathBuf::from("data/x.db")));
        let Location::Postgres(pg) = Location::parse("postgres://u:pw@h/db?schema=lk&sslmode=disable").expect("url")
        else {
            panic!("not postgres")
        };
        assert_eq!(pg.url, "postgres://u:pw@h/db?sslmode=disable");
        assert_eq!(pg.schema.as_deref(), Some("lk"));
        assert_eq!(pg.redacted(), "postgres://u:***@h/db?sslmode=disable&schema=lk");
        let err = Location::parse("mysql://u:pw@h/db").expect_err("other scheme").to_string();
        assert!(err.contains("unsupported scheme 'mysql://'") && !err.contains("pw"), "{err}");
        let err = Location::parse("postgres://h/db?schema=Bad;drop").expect_err("bad schema").to_string();
        assert!(err.contains("schema name 'Bad;drop'"), "{err}");
    }
}

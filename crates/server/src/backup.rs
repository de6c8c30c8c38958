//! `redress backup --output FILE`: a consistent copy of the database taken
//! while the service runs (docs/reliability.md).
//!
//! SQLite: `VACUUM INTO` through the store, one read snapshot, checked
//! before it counts. PostgreSQL: `pg_dump` in its custom format when it is on
//! the PATH, else the procedure is printed for the operator to follow.
//! Evidence files and a generated encryption key live outside the database
//! and are named on stderr so that they are copied too.

use crate::config::Settings;
use kernel::SystemClock;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Clone, clap::Args)]
pub struct BackupArgs {
    /// Where to write the copy. Must not exist yet: a backup never
    /// overwrites an earlier one.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
}

fn failed(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("redress: backup failed: {message}");
    ExitCode::FAILURE
}

pub async fn run(settings: &Settings, args: BackupArgs) -> ExitCode {
    if args.output.exists() {
        return failed(format!(
            "{} exists already; name a new file",
            args.output.display()
        ));
    }
    let url = settings.database.url();
    let code = if url.starts_with("sqlite:") {
        sqlite(url, &args.output).await
    } else {
        postgres(url, &args.output)
    };
    if code == ExitCode::SUCCESS {
        eprintln!(
            "redress: also copy the data directory's evidence/ and encryption.key ({}), unless \
             evidence is in S3 and REDRESS_ENCRYPTION_KEYS is set: they are not in the database",
            settings.database.data_dir.display()
        );
    }
    code
}

async fn sqlite(url: &str, output: &Path) -> ExitCode {
    let store = match store_sqlite::SqliteStore::connect(url, Arc::new(SystemClock)).await {
        Ok(store) => store,
        Err(e) => return failed(cause(&e)),
    };
    if let Err(e) = store.backup_into(output).await {
        let _ = std::fs::remove_file(output);
        return failed(cause(&e));
    }
    // VACUUM INTO does not sync its output; a backup must survive a crash
    // that follows it.
    if let Err(e) = std::fs::File::open(output).and_then(|f| f.sync_all()) {
        return failed(format!("cannot sync {}: {e}", output.display()));
    }
    let bytes = std::fs::metadata(output).map_or(0, |m| m.len());
    println!("backup {} ({bytes} bytes, sqlite)", output.display());
    ExitCode::SUCCESS
}

fn cause(e: &store::StoreError) -> String {
    match e {
        store::StoreError::Unavailable(c) | store::StoreError::Internal(c) => c.to_string(),
        other => other.to_string(),
    }
}

/// Splits the password out of a PostgreSQL URL so that it travels in
/// `PGPASSWORD`, not on a command line that `ps` shows.
fn without_password(url: &str) -> (String, Option<String>) {
    if let (Some(s), Some(at)) = (url.find("://"), url.rfind('@'))
        && at > s
        && let Some((user, password)) = url[s + 3..at].split_once(':')
    {
        return (
            format!("{}{user}{}", &url[..s + 3], &url[at..]),
            Some(percent_decode(password)),
        );
    }
    (url.to_owned(), None)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn procedure(output: &Path) -> String {
    format!(
        "PostgreSQL is backed up with its own tools (pg_dump of the same major version as the \
         server or newer):\n\n    pg_dump --format=custom --file {out} \"$DATABASE_URL\"\n\n\
         and restored into a new, empty database:\n\n    createdb redress_restored\n    \
         pg_restore --no-owner --exit-on-error --dbname postgres://USER@HOST:PORT/redress_restored {out}\n    \
         DATABASE_URL=postgres://USER@HOST:PORT/redress_restored redress audit verify\n\n\
         (docs/reliability.md)",
        out = output.display()
    )
}

fn postgres(url: &str, output: &Path) -> ExitCode {
    let (url, password) = without_password(url);
    let mut command = std::process::Command::new("pg_dump");
    command
        .args(["--format=custom", "--no-owner", "--file"])
        .arg(output)
        .arg("--dbname")
        .arg(&url);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    match command.status() {
        Ok(status) if status.success() => {
            let bytes = std::fs::metadata(output).map_or(0, |m| m.len());
            println!(
                "backup {} ({bytes} bytes, postgres, pg_dump custom format)",
                output.display()
            );
            ExitCode::SUCCESS
        }
        Ok(status) => {
            let _ = std::fs::remove_file(output);
            failed(format!(
                "pg_dump exited with {status}\n{}",
                procedure(output)
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "redress: pg_dump is not on the PATH.\n{}",
                procedure(output)
            );
            ExitCode::from(2)
        }
        Err(e) => failed(format!("cannot run pg_dump: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_leave_the_url_for_the_environment() {
        assert_eq!(
            without_password("postgres://redress:p%40ss@db:5432/redress"),
            (
                "postgres://redress@db:5432/redress".to_owned(),
                Some("p@ss".to_owned())
            )
        );
        assert_eq!(
            without_password("postgres://redress@db/redress"),
            ("postgres://redress@db/redress".to_owned(), None)
        );
        assert_eq!(percent_decode("a%2"), "a%2");
    }
}

//! The claim import's parsers on arbitrary files: the first byte picks JSON
//! Lines or CSV, the rest is the file. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::import::{Format, dry_run};
use std::sync::OnceLock;

/// The configuration a fresh deployment runs with.
fn config() -> &'static app::Config {
    static CONFIG: OnceLock<app::Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        server::config::Settings::for_database("sqlite::memory:", std::path::Path::new("."))
            .app_config()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let format = if selector & 1 == 0 {
        Format::Jsonl
    } else {
        Format::Csv
    };
    let today = time::macros::date!(2026 - 03 - 01);
    let accepted = dry_run(format, file, config(), today);
    assert!(accepted <= file.len() as u64 + 1);
});

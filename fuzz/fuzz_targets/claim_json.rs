//! `POST /v1/claims` bodies: the draft's deserialization, the checks made
//! when it is filed and the pre-screen at submission. A draft that parses
//! must read back from the JSON it is stored as, or a later GET of it would
//! fail.
#![no_main]

use libfuzzer_sys::fuzz_target;
use register::ClaimDraft;
use std::sync::OnceLock;

struct Catalogue {
    categories: Vec<register::Category>,
    regions: Vec<register::Region>,
    /// The configuration a fresh deployment runs with.
    config: app::Config,
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue {
        categories: register::seed::categories().unwrap(),
        regions: register::seed::regions().unwrap(),
        config: server::config::Settings::for_database(
            "sqlite::memory:",
            std::path::Path::new("."),
        )
        .app_config(),
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(draft) = serde_json::from_slice::<ClaimDraft>(data) else {
        return;
    };
    let stored = serde_json::to_value(&draft).expect("a draft serializes");
    let read_back: ClaimDraft =
        serde_json::from_value(stored.clone()).expect("a stored draft reads back");
    assert_eq!(
        serde_json::to_value(&read_back).expect("serializes again"),
        stored,
        "reading back changes nothing"
    );
    let c = catalogue();
    let today = time::macros::date!(2026 - 03 - 01);
    server::import::dry_check(stored, true, &c.config, &c.categories, &c.regions, today);
});

//! The Register's category catalogue and Ukraine's regions: read by anyone,
//! changed by admins without a release.

use crate::error::{AppError, AppResult, FieldError};
use crate::{Actor, App};
use kernel::{KeyPageRequest, Page};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};
use store::claims::CategoryRecord;
use store::{Store, StoreError};

/// The longest a catalogue read is used, even when no change was heard of:
/// a bound on what a missed notification (or a change written by another
/// process to the same SQLite file) can leave stale.
pub const CACHE_BOUND: Duration = Duration::from_secs(30);

/// The catalogue and the regions as read at one epoch: every intake reads
/// them (a filing its category, a submission all regions too), and they
/// change a few times a year. Kept for the epoch they were read in
/// (`ClaimStore::catalogue_epoch`, advanced by every change on any
/// instance) and at most [`CACHE_BOUND`]; nothing is kept while the store
/// cannot hear about changes.
#[derive(Default)]
pub struct Cache(RwLock<Option<Arc<Snapshot>>>);

/// One read of the catalogue.
pub struct Snapshot {
    epoch: u64,
    read_at: Instant,
    categories: HashMap<String, CategoryRecord>,
    /// In code order.
    pub ordered: Vec<CategoryRecord>,
    pub regions: Vec<register::Region>,
}

impl Snapshot {
    /// The category `code`, if the catalogue has it.
    pub fn category(&self, code: &str) -> Option<&CategoryRecord> {
        self.categories.get(code)
    }
}

impl Cache {
    fn fresh(&self, epoch: u64) -> Option<Arc<Snapshot>> {
        let kept = self.0.read().unwrap_or_else(PoisonError::into_inner);
        kept.as_ref()
            .filter(|s| s.epoch == epoch && s.read_at.elapsed() < CACHE_BOUND)
            .cloned()
    }

    fn keep(&self, snapshot: Arc<Snapshot>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Some(snapshot);
    }
}

/// The catalogue: from memory when the kept read still holds, else read
/// (and kept, if the store can tell when it changes).
pub async fn snapshot(app: &App) -> AppResult<Arc<Snapshot>> {
    // The epoch before the read: a change committed while the read is under
    // way ends it, and the read is never used again.
    let epoch = app.store.catalogue_epoch().and_then(|e| e.current());
    if let Some(kept) = epoch.and_then(|e| app.catalogue.fresh(e)) {
        return Ok(kept);
    }
    let read_at = Instant::now();
    let ordered = app.store.categories().await?;
    let regions = app.store.regions().await?;
    let snapshot = Arc::new(Snapshot {
        epoch: epoch.unwrap_or_default(),
        read_at,
        categories: ordered
            .iter()
            .map(|c| (c.category.code.as_str().to_owned(), c.clone()))
            .collect(),
        ordered,
        regions,
    });
    if epoch.is_some() {
        app.catalogue.keep(snapshot.clone());
    }
    Ok(snapshot)
}

/// Loads the published category catalogue and regions on first start; an
/// existing catalogue (perhaps changed by admins since) is left alone.
pub async fn seed(store: &dyn Store) -> Result<(), StoreError> {
    let categories = register::seed::categories()
        .map_err(|e| StoreError::internal(std::io::Error::other(e.to_string())))?;
    let regions = register::seed::regions()
        .map_err(|e| StoreError::internal(std::io::Error::other(e.to_string())))?;
    store.seed_catalogue(&categories, &regions).await
}

/// Every category, open or not, with its form's fields.
pub async fn categories(app: &App) -> AppResult<Vec<CategoryRecord>> {
    Ok(snapshot(app).await?.ordered.clone())
}

/// Ukraine's regions (ISO 3166-2:UA).
pub async fn regions(app: &App) -> AppResult<Vec<register::Region>> {
    Ok(snapshot(app).await?.regions.clone())
}

/// The categories in code order, paged by code.
pub async fn category_page(app: &App, page: &KeyPageRequest) -> AppResult<Page<CategoryRecord>> {
    let mut all = categories(app).await?;
    all.sort_by(|a, b| a.category.code.as_str().cmp(b.category.code.as_str()));
    Ok(Page::from_all_keyed(all, page, |c| {
        c.category.code.as_str().to_owned()
    }))
}

/// The regions in code order, paged by code.
pub async fn region_page(app: &App, page: &KeyPageRequest) -> AppResult<Page<register::Region>> {
    let mut all = regions(app).await?;
    all.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
    Ok(Page::from_all_keyed(all, page, |r| {
        r.code.as_str().to_owned()
    }))
}

/// What putting a category did.
pub struct PutCategory {
    pub record: CategoryRecord,
    /// A new category, as opposed to a new version of one.
    pub created: bool,
}

/// Creates a category (`expected_version` `None`) or replaces one at the
/// version the caller last saw. A category created meanwhile by someone
/// else, or changed since, is refused: the caller must see it first.
pub async fn put_category(
    app: &App,
    actor: &Actor,
    code: &str,
    category: register::Category,
    expected_version: Option<i64>,
) -> AppResult<PutCategory> {
    if category.code.as_str() != code {
        return Err(AppError::validation(
            "The body's code differs from the path's.",
            vec![FieldError::new(
                "code",
                "mismatch",
                format!("Expected {code}."),
            )],
        ));
    }
    let record = app
        .store
        .put_category(&actor.audit(None), &category, expected_version)
        .await
        .map_err(|e| match expected_version {
            Some(_) => AppError::stale_or(e),
            // Someone created it first: this caller has not seen it.
            None if matches!(e, store::StoreError::Conflict(_)) => {
                AppError::precondition_required()
            }
            None => e.into(),
        })?;
    Ok(PutCategory {
        record,
        created: expected_version.is_none(),
    })
}

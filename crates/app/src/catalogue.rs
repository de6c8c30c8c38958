//! The Register's category catalogue and Ukraine's regions: read by anyone,
//! changed by admins without a release.

use crate::error::{AppError, AppResult, FieldError};
use crate::{Actor, App};
use kernel::{KeyPageRequest, Page};
use store::claims::CategoryRecord;
use store::{Store, StoreError};

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
    Ok(app.store.categories().await?)
}

/// Ukraine's regions (ISO 3166-2:UA).
pub async fn regions(app: &App) -> AppResult<Vec<register::Region>> {
    Ok(app.store.regions().await?)
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

//! Mass-claims batches: selection, assessment as a background job, the
//! sample review, release.

use crate::need_to_know::NeedToKnow;
use crate::{Actor, App, AppResult};
use commission::BatchId;
use store::cases::BatchRecord;

/// Loads a batch the caller may learn of: a batch of a sensitive category
/// is "not found" to staff without the clearance. Returns what the caller
/// may know, for presenting the batch.
pub async fn known_batch(
    app: &App,
    actor: &Actor,
    id: BatchId,
) -> AppResult<(BatchRecord, NeedToKnow)> {
    let batch = app.store.batch(id).await?;
    let need = NeedToKnow::of(app.store.as_ref(), &actor.principal).await?;
    need.check_category(&batch.category)?;
    Ok((batch, need))
}

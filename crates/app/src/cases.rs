//! Commission casework: cases, assignment, valuation rules, exchange rates,
//! individual assessment.

use crate::need_to_know::NeedToKnow;
use crate::{Actor, App, AppResult};
use commission::CaseId;
use store::cases::CaseRecord;

/// Loads a case the caller may learn of: a case of a sensitive category is
/// "not found" to staff without the clearance.
pub async fn known_case(app: &App, actor: &Actor, id: CaseId) -> AppResult<CaseRecord> {
    let case = app.store.case(id).await?;
    NeedToKnow::of(app.store.as_ref(), &actor.principal)
        .await?
        .check_category(&case.category)?;
    Ok(case)
}

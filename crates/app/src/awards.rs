//! Awards, their payees and payments, and payment rounds.
//!
//! Redress moves no money: it keeps the ledger of what the Commission
//! awarded, who is to be paid, what was reported paid, and how the money
//! of a round is shared out. Every change passes the go-live gate first
//! and is saved on the version of the award the caller saw.

use crate::decisions::{domain_conflict, domain_invalid};
use crate::error::{AppError, AppResult, FieldError};
use crate::gate::acting_in_force;
use crate::need_to_know::{NeedToKnow, Unknown};
use crate::{Actor, App, currency_filter, enum_filter};
use commission::{
    Award, AwardError, AwardId, AwardStatus, BankAccount, ClaimantKind, ErrorCode as _,
    GivenBankAccount, OutstandingAward, Payees, Payment, PaymentId, PaymentRoundId, RoundAward,
    RoundPolicy, TransferPlan,
};
use kernel::access::{Action, Permission};
use kernel::{Money, Page, PageRequest};
use register::{Claimant, ClaimantType};
use rust_decimal::Decimal;
use serde::Deserialize as _;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use store::Change;
use store::decisions::{AwardFilter, AwardRecord, PaymentRoundRecord, RoundStatus};
use time::{Date, OffsetDateTime};

/// The Commission's kind of claimant for the Register's type of claimant:
/// a round pays individuals first, up to its priority amount.
pub fn claimant_kind(claimant_type: ClaimantType) -> ClaimantKind {
    match claimant_type {
        ClaimantType::NaturalPerson => ClaimantKind::Individual,
        ClaimantType::LegalEntity => ClaimantKind::LegalEntity,
        ClaimantType::State => ClaimantKind::State,
    }
}

/// The kind of claimant of a claim, read from its claimant as filed (the
/// claim's content in the clear: the claimant is never among the sealed
/// parts of a sensitive claim). A claim without a claimant on record (the
/// synthetic claims of load tests) is an individual's.
pub fn claimant_kind_of_claim(content: &serde_json::Value) -> AppResult<ClaimantKind> {
    let claimant = match content.get("claimant") {
        None | Some(serde_json::Value::Null) => return Ok(ClaimantKind::Individual),
        Some(claimant) => claimant,
    };
    // An unreadable claimant is a damaged record, not a reason to guess a
    // priority tier.
    let claimant = Claimant::deserialize(claimant).map_err(AppError::internal)?;
    Ok(claimant_kind(claimant.claimant_type()))
}

/// Filters of the awards ledger as people write them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AwardCriteria {
    /// An award status, e.g. `payable`.
    pub status: Option<String>,
    /// ISO 4217.
    pub currency: Option<String>,
    pub category: Option<String>,
}

/// The awards ledger as the caller may know it, oldest first, filtered and
/// paged by id: awards on sensitive claims only with the clearance.
pub async fn awards(
    app: &App,
    actor: &Actor,
    criteria: &AwardCriteria,
    page: PageRequest,
) -> AppResult<Page<AwardRecord>> {
    let filter = AwardFilter {
        status: enum_filter("status", criteria.status.as_deref())?,
        currency: currency_filter("currency", criteria.currency.as_deref())?,
        category: criteria.category.clone(),
        exclude_categories: NeedToKnow::of(app.store.as_ref(), &actor.principal)
            .await?
            .hidden_categories(),
    };
    Ok(app.store.award_page(&filter, page).await?)
}

/// One award with its payments. An award on a claim of a sensitive
/// category is "not found" to staff without the clearance.
pub async fn award(app: &App, actor: &Actor, id: AwardId) -> AppResult<AwardRecord> {
    let award = app.store.award(id).await?;
    NeedToKnow::of(app.store.as_ref(), &actor.principal)
        .await?
        .check_category(&award.category)?;
    Ok(award)
}

/// The award at the version the caller saw, for a change.
async fn award_to_change(
    app: &App,
    actor: &Actor,
    id: AwardId,
    expected_version: i64,
) -> AppResult<AwardRecord> {
    let record = award(app, actor, id).await?;
    if expected_version != record.version {
        return Err(AppError::precondition_failed());
    }
    Ok(record)
}

/// A payment reported made on an award.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPayment {
    pub amount: Money,
    pub paid_on: Date,
    /// The payer's reference; unique on the award.
    pub reference: String,
}

/// Records a payment reported on a payable award, on the award's version
/// the caller saw: dated today or earlier (`paid_on`, `future_date`), never
/// above what confirmed payment rounds allotted to the award and is not
/// yet paid (`amount`, `exceeds_allotment`), nor above the outstanding
/// balance (`amount`, `overpayment`). Gated.
pub async fn record_payment(
    app: &App,
    actor: &Actor,
    id: AwardId,
    expected_version: i64,
    payment: NewPayment,
) -> AppResult<AwardRecord> {
    let actor = &acting_in_force(app, actor).await?;
    let today = app.clock.today();
    if payment.paid_on > today {
        return Err(AppError::invalid_field(
            "paid_on",
            "future_date",
            format!(
                "{} is after today ({today}): record a payment once it is made.",
                payment.paid_on
            ),
        )
        .with("code", "future_date"));
    }
    let record = award_to_change(app, actor, id, expected_version).await?;
    let mut award = record.award;
    let payment = Payment {
        id: PaymentId::new(),
        amount: payment.amount,
        paid_on: payment.paid_on,
        reference: payment.reference.trim().to_owned(),
    };
    let status = award.record_payment(payment.clone()).map_err(|e| match e {
        AwardError::NotPayable
        | AwardError::PayeeUnreachable
        | AwardError::DuplicateReference { .. } => domain_conflict(&e),
        _ => domain_invalid("amount", &e),
    })?;
    app.store
        .save_award(
            &actor.audit(None),
            &award,
            expected_version,
            store::decisions::PAYMENT_RECORDED,
            json!({"payment": payment, "status": status}),
        )
        .await
        .map_err(AppError::stale_or)
}

/// Saves a change of payees or of their reachability, on the award's
/// version the caller saw. Gated.
async fn change_award(
    app: &App,
    actor: &Actor,
    id: AwardId,
    expected_version: i64,
    change: impl FnOnce(&mut Award) -> Result<(), AwardError>,
    action: &'static str,
    summary: impl FnOnce(&Award) -> serde_json::Value,
) -> AppResult<AwardRecord> {
    let actor = &acting_in_force(app, actor).await?;
    let mut award = award_to_change(app, actor, id, expected_version)
        .await?
        .award;
    change(&mut award).map_err(|e| match e {
        AwardError::Payee(_) => domain_invalid("payees", &e),
        _ => domain_conflict(&e),
    })?;
    app.store
        .save_award(
            &actor.audit(None),
            &award,
            expected_version,
            action,
            summary(&award),
        )
        .await
        .map_err(AppError::stale_or)
}

/// New payees and the bank details given for each, in the payees' order
/// (one for the claimant or a representative, one per heir as listed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPayees {
    pub payees: Payees,
    pub bank_details: Vec<GivenBankAccount>,
}

/// Sets who is paid: the claimant, a representative, or heirs whose shares
/// sum to exactly 1, each with an IBAN and a BIC or without (a payee
/// without is blocked from payment files). Bank details are checked (the
/// IBAN's form and check digits, the BIC's form and that its country is
/// the IBAN's: 422 naming each field at fault, e.g. `heirs[1].iban`),
/// sealed, and kept beside the award; the award and the audit log hold
/// only their masked form. New payee details make an unreachable payee
/// reachable again. Gated.
pub async fn set_payees(
    app: &App,
    actor: &Actor,
    id: AwardId,
    expected_version: i64,
    new: NewPayees,
) -> AppResult<AwardRecord> {
    let actor = &acting_in_force(app, actor).await?;
    let NewPayees {
        mut payees,
        bank_details,
    } = new;
    payees
        .validate()
        .map_err(|e| domain_invalid("payees", &AwardError::from(e)))?;
    let mut errors = Vec::new();
    let mut accounts: Vec<Option<BankAccount>> = Vec::with_capacity(payees.len());
    for position in 0..payees.len() {
        let given = bank_details.get(position).cloned().unwrap_or_default();
        match BankAccount::given(&given) {
            Ok(account) => accounts.push(account),
            Err(e) => {
                errors.push(FieldError::new(
                    payees.field_path(position, e.field()),
                    e.code(),
                    e.to_string(),
                ));
                accounts.push(None);
            }
        }
    }
    if let Some(first) = errors.first() {
        let code = first.code.clone();
        return Err(
            AppError::validation("The bank details are not valid.", errors).with("code", code),
        );
    }
    for (position, account) in accounts.iter().enumerate() {
        payees.set_bank(position, account.as_ref().map(BankAccount::masked));
    }
    let sealed = if accounts.iter().any(Option::is_some) {
        let plain = serde_json::to_vec(&accounts).map_err(AppError::internal)?;
        Some(app.sealer.seal(&plain).map_err(AppError::internal)?)
    } else {
        None
    };
    let mut award = award_to_change(app, actor, id, expected_version)
        .await?
        .award;
    award
        .change_payees(payees)
        .map_err(|e| domain_invalid("payees", &e))?;
    app.store
        .save_award_payees(
            &actor.audit(None),
            &award,
            sealed.as_ref(),
            expected_version,
            json!({"payees": award.payees, "status": award.status()}),
        )
        .await
        .map_err(AppError::stale_or)
}

/// The payees' bank accounts opened, one entry per payee in order.
fn open_accounts(app: &App, record: &AwardRecord) -> AppResult<Vec<Option<BankAccount>>> {
    let payees = record.award.payees.len();
    let Some(sealed) = &record.bank_details else {
        return Ok(vec![None; payees]);
    };
    let plain = app.sealer.open(sealed).map_err(AppError::internal)?;
    let mut accounts: Vec<Option<BankAccount>> =
        serde_json::from_slice(&plain).map_err(AppError::internal)?;
    accounts.resize(payees, None);
    Ok(accounts)
}

/// The payees' bank accounts in full, one entry per payee in order, for
/// whoever the policy lets manage payments (they issue the payment files);
/// `None` for everyone else, who see the masked form on the payees.
pub fn payee_accounts(
    app: &App,
    actor: &Actor,
    record: &AwardRecord,
) -> AppResult<Option<Vec<Option<BankAccount>>>> {
    if actor.principal.permission(Action::ManagePayments) != Permission::Allow {
        return Ok(None);
    }
    open_accounts(app, record).map(Some)
}

/// Marks the payee unreachable while a balance is outstanding: no payment
/// is recorded and no round pays the award until they are reached. Gated.
pub async fn mark_payee_unreachable(
    app: &App,
    actor: &Actor,
    id: AwardId,
    expected_version: i64,
) -> AppResult<AwardRecord> {
    change_award(
        app,
        actor,
        id,
        expected_version,
        Award::mark_payee_unreachable,
        "award.payee_unreachable",
        |a| json!({"status": a.status()}),
    )
    .await
}

/// Reverses the mark: the payee was reached. Gated.
pub async fn mark_payee_reachable(
    app: &App,
    actor: &Actor,
    id: AwardId,
    expected_version: i64,
) -> AppResult<AwardRecord> {
    change_award(
        app,
        actor,
        id,
        expected_version,
        Award::mark_payee_reachable,
        "award.payee_reached",
        |a| json!({"status": a.status()}),
    )
    .await
}

/// What a round would pay each award still owed something in the
/// available amount's currency: the priority tier first, then the rest by
/// `policy`. A round pays what its maker may know of: staff without the
/// sensitive clearance preview rounds without awards on sensitive claims.
/// Stored as a preview to confirm. Gated.
pub async fn preview_round(
    app: &App,
    actor: &Actor,
    available: Money,
    policy: RoundPolicy,
) -> AppResult<PaymentRoundRecord> {
    let actor = &acting_in_force(app, actor).await?;
    let currency = available.currency();
    let need = NeedToKnow::of(app.store.as_ref(), &actor.principal).await?;
    let outstanding: Vec<OutstandingAward> = app
        .store
        .awards()
        .await?
        .into_iter()
        .filter(|r| need.may_see_category(&r.category))
        .filter(|r| r.award.amount.currency() == currency)
        .filter(|r| {
            !matches!(
                r.award.status(),
                AwardStatus::Paid | AwardStatus::PayeeUnreachable
            )
        })
        .filter_map(|r| {
            let outstanding = r.award.outstanding().ok()?;
            let paid = r.award.paid().ok()?;
            outstanding.is_positive().then_some(OutstandingAward {
                award: r.award.id,
                claimant_kind: r.claimant_kind,
                outstanding,
                paid_to_date: paid.is_positive().then_some(paid),
            })
        })
        .collect();
    let preview = commission::compute_round(available, &outstanding, &policy)
        .map_err(|e| domain_invalid("available", &e))?;
    Ok(app
        .store
        .create_payment_round(&actor.audit(None), PaymentRoundId::new(), &preview)
        .await?)
}

/// One payment round. A round that pays an award on a sensitive claim is
/// "not found" to staff without the clearance.
pub async fn round(app: &App, actor: &Actor, id: PaymentRoundId) -> AppResult<PaymentRoundRecord> {
    let round = app.store.payment_round(id).await?;
    let need = NeedToKnow::of(app.store.as_ref(), &actor.principal).await?;
    if !need.is_cleared() {
        let hidden: BTreeSet<AwardId> = app
            .store
            .awards()
            .await?
            .into_iter()
            .filter(|a| !need.may_see_category(&a.category))
            .map(|a| a.award.id)
            .collect();
        if round
            .preview
            .lines
            .iter()
            .any(|l| hidden.contains(&l.award))
        {
            return Err(Unknown.into());
        }
    }
    Ok(round)
}

/// Payment rounds, oldest first, of one status (`preview`, `confirmed`) if
/// given, paged by id. A round that pays an award on a sensitive claim is
/// left out for staff without the clearance, so a page may hold fewer
/// rounds than its limit.
pub async fn rounds(
    app: &App,
    actor: &Actor,
    status: Option<&str>,
    page: PageRequest,
) -> AppResult<Page<PaymentRoundRecord>> {
    let status: Option<RoundStatus> = enum_filter("status", status)?;
    let mut rounds = app.store.payment_rounds(status, page).await?;
    let need = NeedToKnow::of(app.store.as_ref(), &actor.principal).await?;
    if !need.is_cleared() && !rounds.items.is_empty() {
        let hidden: BTreeSet<AwardId> = app
            .store
            .awards()
            .await?
            .into_iter()
            .filter(|a| !need.may_see_category(&a.category))
            .map(|a| a.award.id)
            .collect();
        rounds
            .items
            .retain(|r| !r.preview.lines.iter().any(|l| hidden.contains(&l.award)));
    }
    Ok(rounds)
}

/// Confirms a previewed round: each award it pays becomes payable. Refused
/// when the round is confirmed already, or an award's balance changed
/// since the preview (the round must be previewed again). Gated.
pub async fn confirm_round(
    app: &App,
    actor: &Actor,
    id: PaymentRoundId,
) -> AppResult<PaymentRoundRecord> {
    let actor = &acting_in_force(app, actor).await?;
    let round = round(app, actor, id).await?;
    if round.status != RoundStatus::Preview {
        return Err(AppError::conflict("The round is already confirmed.").with("code", "confirmed"));
    }
    let mut awards: Vec<(Award, i64)> = Vec::new();
    for line in round
        .preview
        .lines
        .iter()
        .filter(|l| l.amount.is_positive())
    {
        let record = app.store.award(line.award).await?;
        let outstanding = record
            .award
            .outstanding()
            .map_err(|e| domain_conflict(&e))?;
        if outstanding != line.outstanding_before {
            return Err(AppError::conflict(format!(
                "Award {} changed since the preview; preview the round again.",
                line.award
            ))
            .with("code", "stale_round"));
        }
        let mut award = record.award;
        award.allot(line.amount).map_err(|e| domain_conflict(&e))?;
        awards.push((award, record.version));
    }
    Ok(app
        .store
        .confirm_payment_round(&actor.audit(None), id, &awards)
        .await?)
}

/// The Commission's account that payment files are drawn on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Debtor {
    /// The account holder's name as the bank knows it.
    pub name: String,
    pub account: BankAccount,
}

/// The claimant's name as on the claim, for a transfer to the claimant in
/// person; the claim's reference when the claim names no claimant.
async fn claimant_name(app: &App, record: &AwardRecord) -> AppResult<String> {
    let claim = app.store.claim(record.claim_id).await?;
    match claim.content.get("claimant") {
        None | Some(serde_json::Value::Null) => Ok(claim
            .reference
            .unwrap_or_else(|| format!("Claim {}", record.claim_id))),
        Some(claimant) => {
            let claimant = Claimant::deserialize(claimant).map_err(AppError::internal)?;
            Ok(claimant.display_name())
        }
    }
}

/// The transfers a round orders and the payees it holds back, from the
/// awards as they are now (payees and bank details may have changed since
/// the round was confirmed).
async fn plan_round(app: &App, round: &PaymentRoundRecord) -> AppResult<TransferPlan> {
    let mut paid = Vec::new();
    for line in round
        .preview
        .lines
        .iter()
        .filter(|l| l.amount.is_positive())
    {
        let record = app.store.award(line.award).await?;
        let accounts = open_accounts(app, &record)?;
        let name = claimant_name(app, &record).await?;
        paid.push((record, line.amount, accounts, name));
    }
    let awards: Vec<RoundAward<'_>> = paid
        .iter()
        .map(|(record, allotted, accounts, name)| RoundAward {
            award: &record.award,
            allotted: *allotted,
            accounts,
            claimant_name: name,
        })
        .collect();
    commission::plan_transfers(round.preview.available.currency(), &awards)
        .map_err(|e| domain_conflict(&e))
}

/// A round with the transfers it orders and the payees it holds back.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundTransfers {
    pub round: PaymentRoundRecord,
    pub plan: TransferPlan,
}

/// What a round pays each payee, and which payees are blocked and why: of
/// a confirmed round, what its payment file holds; of a preview, what it
/// would hold once confirmed. As visible as the round itself.
pub async fn round_transfers(
    app: &App,
    actor: &Actor,
    id: PaymentRoundId,
) -> AppResult<RoundTransfers> {
    let round = round(app, actor, id).await?;
    let plan = plan_round(app, &round).await?;
    Ok(RoundTransfers { round, plan })
}

/// A customer credit-transfer initiation, as plain data: what a payment
/// file says, whatever its format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentFile {
    pub round: PaymentRoundId,
    /// The same for every file of the round, so a bank refuses a file sent
    /// twice rather than paying twice.
    pub message_id: String,
    pub created_at: OffsetDateTime,
    pub execution_date: Date,
    pub debtor: Debtor,
    pub plan: TransferPlan,
}

/// The payment file of a confirmed round: one credit transfer per payee
/// and award for what the round allotted, drawn on the configured debtor
/// account, and the blocked payees beside it. Refused with 409 for a round
/// not confirmed (`round_not_confirmed`), without a configured debtor
/// account (`no_debtor_account`), or when every payee is blocked
/// (`nothing_to_transfer`). Issuing it is recorded in the audit log
/// (`payment_round.file_issued`, with the blocked payees). Gated.
pub async fn payment_file(app: &App, actor: &Actor, id: PaymentRoundId) -> AppResult<PaymentFile> {
    let actor = &acting_in_force(app, actor).await?;
    let round = round(app, actor, id).await?;
    if round.status != RoundStatus::Confirmed {
        return Err(AppError::conflict(
            "Only a confirmed round has a payment file; confirm the round first.",
        )
        .with("code", "round_not_confirmed"));
    }
    let Some(debtor) = app.config.payment_debtor.clone() else {
        return Err(AppError::conflict(
            "No account to draw payment files on is configured (REDRESS_DEBTOR_NAME, \
             REDRESS_DEBTOR_IBAN, REDRESS_DEBTOR_BIC).",
        )
        .with("code", "no_debtor_account"));
    };
    let plan = plan_round(app, &round).await?;
    if plan.transfers.is_empty() {
        return Err(AppError::conflict(format!(
            "Every payee of the round is blocked ({}); see the round's transfers.",
            plan.blocked.len()
        ))
        .with("code", "nothing_to_transfer")
        .with("blocked", plan.blocked.len()));
    }
    let message_id = format!("RD{}", round.id.0.simple());
    let blocked: Vec<serde_json::Value> = plan
        .blocked
        .iter()
        .map(|b| {
            json!({"award": b.award, "position": b.position, "amount": b.amount,
                "reason": b.reason})
        })
        .collect();
    app.store
        .record_event(
            &actor.audit(None),
            Change {
                action: "payment_round.file_issued",
                target_type: "payment_round",
                target_id: round.id.to_string(),
                summary: json!({
                    "message_id": message_id,
                    "format": "pain.001.001.09",
                    "transactions": plan.transfers.len(),
                    "control_sum": plan.control_sum,
                    "blocked": blocked,
                }),
            },
        )
        .await?;
    Ok(PaymentFile {
        round: round.id,
        message_id,
        created_at: app.clock.now(),
        execution_date: app.clock.today(),
        debtor,
        plan,
    })
}

/// Awarded, paid and outstanding totals of a group of awards, in one
/// currency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AwardTotals {
    pub count: u64,
    pub awarded: Decimal,
    pub paid: Decimal,
    pub outstanding: Decimal,
}

impl AwardTotals {
    fn add(&mut self, a: &Award) {
        self.count += 1;
        self.awarded += a.amount.amount();
        self.paid += a.paid().map(|m| m.amount()).unwrap_or_default();
        self.outstanding += a.outstanding().map(|m| m.amount()).unwrap_or_default();
    }
}

/// Totals per group, then per currency code: amounts in different
/// currencies are never added up.
pub type GroupedTotals = BTreeMap<String, BTreeMap<String, AwardTotals>>;

/// Award totals by category, region, status and currency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AwardReport {
    pub by_category: GroupedTotals,
    /// `unknown` for awards on claims without a region.
    pub by_region: GroupedTotals,
    pub by_status: GroupedTotals,
    pub by_currency: BTreeMap<String, AwardTotals>,
}

/// The awards report: every award counted in its category, region, status
/// and currency.
pub async fn report(app: &App) -> AppResult<AwardReport> {
    let mut report = AwardReport::default();
    for r in app.store.awards().await? {
        let a = &r.award;
        let currency = a.amount.currency().code().to_owned();
        let status = store::decisions::enum_text(&a.status());
        let region = r.region.clone().unwrap_or_else(|| "unknown".into());
        for (group, key) in [
            (&mut report.by_category, r.category.clone()),
            (&mut report.by_region, region),
            (&mut report.by_status, status),
        ] {
            group
                .entry(key)
                .or_default()
                .entry(currency.clone())
                .or_default()
                .add(a);
        }
        report.by_currency.entry(currency).or_default().add(a);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_type_of_claimant_has_its_kind() {
        assert_eq!(
            claimant_kind(ClaimantType::NaturalPerson),
            ClaimantKind::Individual
        );
        assert_eq!(
            claimant_kind(ClaimantType::LegalEntity),
            ClaimantKind::LegalEntity
        );
        assert_eq!(claimant_kind(ClaimantType::State), ClaimantKind::State);
    }

    #[test]
    fn the_kind_is_the_claimants_type_whatever_words_the_claim_holds() {
        let person = json!({
            "claimant": {
                "claimant_type": "natural_person",
                "given_name": "State",
                "family_name": "Legal_Entity",
                "contact": {"email": "State.Office@example.org", "address": "12 State Street"},
            },
            "narrative": "The legal_entity next door and the \"state\" road were shelled.",
        });
        assert_eq!(
            claimant_kind_of_claim(&person).unwrap(),
            ClaimantKind::Individual
        );
        let state = json!({"claimant": {"claimant_type": "state", "name": "Irpin City Council",
            "code": "20077720", "contact": {"email": "rada@example.ua"}}});
        assert_eq!(claimant_kind_of_claim(&state).unwrap(), ClaimantKind::State);
        let entity = json!({"claimant": {"claimant_type": "legal_entity", "name": "Ukrposhta",
            "edrpou": "21560045"}});
        assert_eq!(
            claimant_kind_of_claim(&entity).unwrap(),
            ClaimantKind::LegalEntity
        );
    }

    #[test]
    fn a_claim_without_a_claimant_is_an_individuals_and_an_unreadable_one_is_refused() {
        assert_eq!(
            claimant_kind_of_claim(&json!({})).unwrap(),
            ClaimantKind::Individual
        );
        assert_eq!(
            claimant_kind_of_claim(&json!({"claimant": null})).unwrap(),
            ClaimantKind::Individual
        );
        let broken = claimant_kind_of_claim(&json!({"claimant": {"claimant_type": "martian"}}));
        assert_eq!(
            broken.err().map(|e| e.class),
            Some(crate::ErrorClass::Internal)
        );
    }
}

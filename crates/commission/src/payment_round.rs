//! Payment rounds: sharing out the money available among outstanding awards.
//!
//! The UNCC first paid every successful individual claimant up to US$2,500
//! before larger claims, then paid the rest in rounds. A round here works the
//! same way, in tiers filled one after another:
//!
//! 1. **Priority tier** (if configured): every award to an individual is
//!    brought up to the priority amount, counting what it was paid in earlier
//!    rounds.
//! 2. **Tiers** (if configured): every award is brought up to each ceiling
//!    in turn (again counting earlier payments).
//! 3. **The rest**, pro rata to the balances still outstanding.
//!
//! A tier that the money cannot cover in full is paid pro rata to what each
//! award needs from it, and nothing flows to later tiers: no money reaches a
//! later tier while an earlier tier's amount is unpaid. No award is paid more
//! than its outstanding balance and the round never spends more than is
//! available.
//!
//! Pro rata shares are rounded to the minor unit by the largest-remainder
//! method: each share is rounded down, then the units left over go one each
//! to the largest remainders, ties to the lower award id. So a short tier
//! spends exactly the money available to it, and any fraction below one
//! minor unit is never created. Whatever no award needs stays `unspent`.
//!
//! The result is a preview, plain data; the server confirms a round by
//! recording the payments it lists on the awards.

use crate::ErrorCode;
use crate::apportion;
use crate::award::AwardId;
use kernel::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

kernel::typed_id!(
    /// A payment round.
    PaymentRoundId
);

/// The kind of claimant an award was made to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimantKind {
    Individual,
    LegalEntity,
    State,
}

/// An award with money still owed on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutstandingAward {
    pub award: AwardId,
    pub claimant_kind: ClaimantKind,
    pub outstanding: Money,
    /// Paid in earlier rounds; counts towards the priority amount and tier
    /// ceilings. Absent means nothing yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_to_date: Option<Money>,
}

/// How the money left after the priority tier is shared out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum RemainderRule {
    /// Pro rata to the outstanding balances.
    ProRata,
    /// Every award brought up to each ceiling in turn (ascending, counting
    /// earlier payments), then pro rata to what is still outstanding.
    Tiers { ceilings: Vec<Money> },
}

/// The rules of a round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundPolicy {
    /// Each award to an individual is first paid up to this amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_amount: Option<Money>,
    pub remainder: RemainderRule,
}

/// What one award receives in the round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundLine {
    pub award: AwardId,
    pub claimant_kind: ClaimantKind,
    pub outstanding_before: Money,
    /// Paid from the priority tier.
    pub priority: Money,
    /// Paid from the tiers and the pro rata remainder.
    pub general: Money,
    /// `priority + general`.
    pub amount: Money,
    pub outstanding_after: Money,
}

/// A computed round, not yet confirmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRoundPreview {
    pub available: Money,
    pub policy: RoundPolicy,
    /// One line per award, in award-id order.
    pub lines: Vec<RoundLine>,
    pub total: Money,
    pub unspent: Money,
    /// Whether every individual received the full priority amount due.
    pub priority_tier_complete: bool,
}

/// Why a round could not be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PaymentRoundError {
    #[error("{what} is in {found}, the round is in {expected}")]
    CurrencyMismatch {
        what: String,
        expected: Currency,
        found: Currency,
    },
    #[error("{what} must not be negative")]
    Negative { what: String },
    #[error("{what} has more decimal places than its currency allows")]
    TooPrecise { what: String },
    #[error("award {award} is listed twice")]
    DuplicateAward { award: AwardId },
    #[error("the priority amount must be greater than zero")]
    InvalidPriorityAmount,
    #[error("tier ceilings must be greater than zero and strictly ascending")]
    InvalidTiers,
    #[error("amount out of range")]
    Overflow,
}

impl ErrorCode for PaymentRoundError {
    fn code(&self) -> &'static str {
        match self {
            Self::CurrencyMismatch { .. } => "currency_mismatch",
            Self::Negative { .. } => "negative_amount",
            Self::TooPrecise { .. } => "too_precise",
            Self::DuplicateAward { .. } => "duplicate_award",
            Self::InvalidPriorityAmount => "invalid_priority_amount",
            Self::InvalidTiers => "invalid_tiers",
            Self::Overflow => "overflow",
        }
    }
}

fn check(
    m: &Money,
    currency: Currency,
    what: impl Fn() -> String,
) -> Result<(), PaymentRoundError> {
    if m.currency() != currency {
        return Err(PaymentRoundError::CurrencyMismatch {
            what: what(),
            expected: currency,
            found: m.currency(),
        });
    }
    if m.is_negative() {
        return Err(PaymentRoundError::Negative { what: what() });
    }
    if !apportion::is_whole_minor(m.amount(), currency.minor_units()) {
        return Err(PaymentRoundError::TooPrecise { what: what() });
    }
    Ok(())
}

fn validate(
    available: &Money,
    awards: &[OutstandingAward],
    policy: &RoundPolicy,
) -> Result<(), PaymentRoundError> {
    let currency = available.currency();
    check(available, currency, || "the available amount".to_owned())?;
    if let Some(p) = &policy.priority_amount {
        check(p, currency, || "the priority amount".to_owned())?;
        if !p.is_positive() {
            return Err(PaymentRoundError::InvalidPriorityAmount);
        }
    }
    if let RemainderRule::Tiers { ceilings } = &policy.remainder {
        for c in ceilings {
            check(c, currency, || "a tier ceiling".to_owned())?;
        }
        let ascending = ceilings.first().is_none_or(Money::is_positive)
            && ceilings.windows(2).all(|w| w[0].amount() < w[1].amount());
        if !ascending {
            return Err(PaymentRoundError::InvalidTiers);
        }
    }
    for a in awards {
        check(&a.outstanding, currency, || {
            format!("the outstanding balance of award {}", a.award)
        })?;
        if let Some(p) = &a.paid_to_date {
            check(p, currency, || {
                format!("the amount paid to date on award {}", a.award)
            })?;
        }
    }
    Ok(())
}

/// Fills one tier: pays every need in full if the budget allows, otherwise
/// shares the budget pro rata to the needs. Returns whether it was paid in full.
fn fill(
    needs: &[Decimal],
    budget: &mut Decimal,
    paid: &mut [Decimal],
    minor_units: u32,
) -> Result<bool, PaymentRoundError> {
    let total = needs
        .iter()
        .try_fold(Decimal::ZERO, |acc, n| acc.checked_add(*n))
        .ok_or(PaymentRoundError::Overflow)?;
    let full = total <= *budget;
    let parts = if full {
        needs.to_vec()
    } else {
        apportion::pro_rata(needs, *budget, minor_units).ok_or(PaymentRoundError::Overflow)?
    };
    for (i, part) in parts.iter().enumerate() {
        // The rounding never lifts a part above its need; this holds it there
        // even if a future change to the rounding got that wrong.
        let part = (*part).min(needs[i]).max(Decimal::ZERO);
        paid[i] += part;
        *budget -= part;
    }
    Ok(full)
}

/// Computes a payment round over `awards` with the money `available`.
pub fn compute_round(
    available: Money,
    awards: &[OutstandingAward],
    policy: &RoundPolicy,
) -> Result<PaymentRoundPreview, PaymentRoundError> {
    validate(&available, awards, policy)?;
    let currency = available.currency();
    let minor = currency.minor_units();

    let mut awards: Vec<&OutstandingAward> = awards.iter().collect();
    awards.sort_by_key(|a| a.award);
    for w in awards.windows(2) {
        if w[0].award == w[1].award {
            return Err(PaymentRoundError::DuplicateAward { award: w[0].award });
        }
    }

    let n = awards.len();
    let outstanding: Vec<Decimal> = awards.iter().map(|a| a.outstanding.amount()).collect();
    let earlier: Vec<Decimal> = awards
        .iter()
        .map(|a| a.paid_to_date.map_or(Decimal::ZERO, |p| p.amount()))
        .collect();
    let mut budget = available.amount();
    let mut priority = vec![Decimal::ZERO; n];
    let mut general = vec![Decimal::ZERO; n];

    let mut complete = true;
    if let Some(p) = policy.priority_amount {
        let needs: Vec<Decimal> = (0..n)
            .map(|i| {
                if awards[i].claimant_kind == ClaimantKind::Individual {
                    outstanding[i].min((p.amount() - earlier[i]).max(Decimal::ZERO))
                } else {
                    Decimal::ZERO
                }
            })
            .collect();
        complete = fill(&needs, &mut budget, &mut priority, minor)?;
    }

    if complete {
        let ceilings: &[Money] = match &policy.remainder {
            RemainderRule::Tiers { ceilings } => ceilings,
            RemainderRule::ProRata => &[],
        };
        let mut open = true;
        for ceiling in ceilings {
            let needs: Vec<Decimal> = (0..n)
                .map(|i| {
                    let so_far = priority[i] + general[i];
                    let left = outstanding[i] - so_far;
                    let up_to = (ceiling.amount() - earlier[i] - so_far).max(Decimal::ZERO);
                    left.min(up_to).max(Decimal::ZERO)
                })
                .collect();
            if !fill(&needs, &mut budget, &mut general, minor)? {
                open = false;
                break;
            }
        }
        if open {
            let needs: Vec<Decimal> = (0..n)
                .map(|i| (outstanding[i] - priority[i] - general[i]).max(Decimal::ZERO))
                .collect();
            fill(&needs, &mut budget, &mut general, minor)?;
        }
    }

    let money = |d: Decimal| Money::new(d, currency);
    let lines: Vec<RoundLine> = awards
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let amount = priority[i] + general[i];
            RoundLine {
                award: a.award,
                claimant_kind: a.claimant_kind,
                outstanding_before: a.outstanding,
                priority: money(priority[i]),
                general: money(general[i]),
                amount: money(amount),
                outstanding_after: money(outstanding[i] - amount),
            }
        })
        .collect();
    let total = Money::sum(currency, lines.iter().map(|l| &l.amount))
        .map_err(|_| PaymentRoundError::Overflow)?;
    let unspent = available
        .checked_sub(&total)
        .map_err(|_| PaymentRoundError::Overflow)?;
    Ok(PaymentRoundPreview {
        available,
        policy: policy.clone(),
        lines,
        total,
        unspent,
        priority_tier_complete: complete,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn usd(a: Decimal) -> Money {
        Money::new(a, Currency::USD)
    }

    fn award(n: u128, kind: ClaimantKind, outstanding: Decimal) -> OutstandingAward {
        OutstandingAward {
            award: AwardId::from_uuid(uuid::Uuid::from_u128(n)),
            claimant_kind: kind,
            outstanding: usd(outstanding),
            paid_to_date: None,
        }
    }

    fn uncc() -> RoundPolicy {
        RoundPolicy {
            priority_amount: Some(usd(dec!(2500))),
            remainder: RemainderRule::ProRata,
        }
    }

    use ClaimantKind::{Individual, LegalEntity};

    #[test]
    fn individuals_first_then_pro_rata() {
        let awards = [
            award(1, Individual, dec!(1000)),
            award(2, Individual, dec!(10000)),
            award(3, LegalEntity, dec!(100000)),
        ];
        let r = compute_round(usd(dec!(13500)), &awards, &uncc()).unwrap();
        // Priority: 1000 + 2500 = 3500. Rest 10000 pro rata to 0, 7500, 100000.
        let amounts: Vec<Decimal> = r.lines.iter().map(|l| l.amount.amount()).collect();
        assert_eq!(amounts[0], dec!(1000));
        assert_eq!(r.lines[1].priority, usd(dec!(2500)));
        // 10000 × 7500 / 107500 = 697.674..., 10000 × 100000 / 107500 = 9302.325...
        assert_eq!(r.lines[1].general, usd(dec!(697.67)));
        assert_eq!(r.lines[2].general, usd(dec!(9302.33)));
        assert_eq!(r.total, usd(dec!(13500)));
        assert_eq!(r.unspent, usd(dec!(0)));
        assert!(r.priority_tier_complete);
    }

    #[test]
    fn a_short_priority_tier_is_shared_pro_rata_and_nothing_else_is_paid() {
        let awards = [
            award(1, Individual, dec!(1000)),
            award(2, Individual, dec!(10000)),
            award(3, LegalEntity, dec!(100000)),
        ];
        let r = compute_round(usd(dec!(1000)), &awards, &uncc()).unwrap();
        assert!(!r.priority_tier_complete);
        // Needs 1000 and 2500: 1000 × 1000/3500 = 285.714..., 1000 × 2500/3500 = 714.285...
        assert_eq!(r.lines[0].amount, usd(dec!(285.71)));
        assert_eq!(r.lines[1].amount, usd(dec!(714.29)));
        assert_eq!(r.lines[2].amount, usd(dec!(0)));
        assert_eq!(r.total, usd(dec!(1000)));
    }

    #[test]
    fn earlier_payments_count_towards_the_priority_amount() {
        let mut paid = award(1, Individual, dec!(8000));
        paid.paid_to_date = Some(usd(dec!(2000)));
        let r = compute_round(usd(dec!(500)), &[paid], &uncc()).unwrap();
        assert_eq!(r.lines[0].priority, usd(dec!(500)));
        assert!(r.priority_tier_complete);
    }

    #[test]
    fn tiers_fill_in_order_and_surplus_stays_unspent() {
        let policy = RoundPolicy {
            priority_amount: None,
            remainder: RemainderRule::Tiers {
                ceilings: vec![usd(dec!(10000)), usd(dec!(50000))],
            },
        };
        let awards = [
            award(1, LegalEntity, dec!(5000)),
            award(2, LegalEntity, dec!(40000)),
            award(3, LegalEntity, dec!(200000)),
        ];
        let r = compute_round(usd(dec!(40000)), &awards, &policy).unwrap();
        // Tier 1: 5000 + 10000 + 10000 = 25000; tier 2 needs 30000 + 40000, gets 15000.
        assert_eq!(r.lines[0].amount, usd(dec!(5000)));
        assert_eq!(
            r.lines[1].amount,
            usd(dec!(10000) + dec!(15000) * dec!(30) / dec!(70)).rounded()
        );
        assert_eq!(r.total, usd(dec!(40000)));

        let r = compute_round(usd(dec!(1000000)), &awards, &policy).unwrap();
        assert_eq!(r.total, usd(dec!(245000)));
        assert_eq!(r.unspent, usd(dec!(755000)));
        assert!(
            r.lines
                .iter()
                .all(|l| l.outstanding_after.amount().is_zero())
        );
    }

    #[test]
    fn round_errors() {
        let ok = [award(1, Individual, dec!(1))];
        let code = |available: Money, awards: &[OutstandingAward], policy: &RoundPolicy| {
            compute_round(available, awards, policy).unwrap_err().code()
        };
        assert_eq!(
            code(Money::new(dec!(1), Currency::EUR), &ok, &uncc()),
            "currency_mismatch"
        );
        assert_eq!(code(usd(dec!(-1)), &ok, &uncc()), "negative_amount");
        assert_eq!(code(usd(dec!(1.001)), &ok, &uncc()), "too_precise");
        assert_eq!(
            code(
                usd(dec!(1)),
                &[award(1, Individual, dec!(1)), award(1, Individual, dec!(2))],
                &uncc()
            ),
            "duplicate_award"
        );
        assert_eq!(
            code(
                usd(dec!(1)),
                &ok,
                &RoundPolicy {
                    priority_amount: Some(usd(dec!(0))),
                    remainder: RemainderRule::ProRata
                }
            ),
            "invalid_priority_amount"
        );
        assert_eq!(
            code(
                usd(dec!(1)),
                &ok,
                &RoundPolicy {
                    priority_amount: None,
                    remainder: RemainderRule::Tiers {
                        ceilings: vec![usd(dec!(5)), usd(dec!(5))]
                    }
                }
            ),
            "invalid_tiers"
        );
    }

    #[test]
    fn policy_json() {
        let policy: RoundPolicy = serde_json::from_str(
            r#"{"priority_amount":{"amount":"2500","currency":"USD"},"remainder":{"rule":"tiers","ceilings":[{"amount":"10000","currency":"USD"}]}}"#,
        )
        .unwrap();
        assert!(matches!(policy.remainder, RemainderRule::Tiers { .. }));
    }
}

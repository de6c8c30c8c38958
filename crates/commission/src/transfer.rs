//! The credit transfers a confirmed payment round orders.
//!
//! A confirmed round allotted an amount to each award it pays. That amount
//! goes to the award's payees: all of it to the claimant or their
//! representative, or to the heirs by share ([`Payees::split`]: each exact
//! share rounded down to the minor unit, the units left over handed out
//! largest remainder first, ties to the heir listed first, so the parts add
//! up to the allotment exactly and no heir is more than one minor unit from
//! their exact share). Each part becomes one credit transfer to the payee's
//! account, unless the payee is blocked: no bank details on file, or the
//! payee marked unreachable since the round was confirmed. Blocked parts
//! are listed with the reason, never dropped: what the transfers and the
//! blocked parts add up to is what the round allotted.
//!
//! Every transfer carries an end-to-end id the bank returns on statements
//! and rejections: the award's id in 32 hexadecimal digits and the payee's
//! position on the award in three (`…001` for the claimant, a
//! representative or the first heir), 35 characters, the most ISO 20022
//! allows.

use crate::ErrorCode;
use crate::award::{Award, AwardId};
use crate::bank::BankAccount;
use kernel::{Currency, Money};
use serde::{Deserialize, Serialize};

/// One award of a confirmed round, with what the file needs to pay it.
#[derive(Clone, Copy, Debug)]
pub struct RoundAward<'a> {
    pub award: &'a Award,
    /// What the round allotted to the award.
    pub allotted: Money,
    /// The payees' bank accounts, opened, in the payees' order.
    pub accounts: &'a [Option<BankAccount>],
    /// The claimant's name as on the claim: the creditor when the claimant
    /// is paid in person.
    pub claimant_name: &'a str,
}

/// One credit transfer: a part of an allotment to one payee's account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub award: AwardId,
    /// The payee's position on the award (0: the claimant, a
    /// representative or the first heir).
    pub position: usize,
    pub end_to_end_id: String,
    pub creditor: String,
    pub amount: Money,
    pub account: BankAccount,
}

/// Why a payee's part is not in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockReason {
    /// No IBAN and BIC on file for the payee.
    NoBankDetails,
    /// The payee was marked unreachable after the round was confirmed.
    PayeeUnreachable,
    /// The payee's share of a tiny allotment rounds to nothing.
    NothingDue,
}

/// A payee's part that is not transferred, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockedPart {
    pub award: AwardId,
    pub position: usize,
    pub payee: String,
    pub amount: Money,
    pub reason: BlockReason,
}

/// The transfers of a round and the parts held back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferPlan {
    pub currency: Currency,
    /// In award-id order, then by payee position.
    pub transfers: Vec<Transfer>,
    pub blocked: Vec<BlockedPart>,
    /// The sum of the transfers (the file's control sum).
    pub control_sum: Money,
    /// The sum of the blocked parts.
    pub blocked_sum: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    #[error("award {award} is in {found}, the round in {expected}")]
    CurrencyMismatch {
        award: AwardId,
        expected: Currency,
        found: Currency,
    },
    #[error("amount out of range")]
    Overflow,
}

impl ErrorCode for TransferError {
    fn code(&self) -> &'static str {
        match self {
            Self::CurrencyMismatch { .. } => "currency_mismatch",
            Self::Overflow => "overflow",
        }
    }
}

/// The end-to-end id of the transfer to the payee at `position` of an
/// award: see the module's documentation.
pub fn end_to_end_id(award: AwardId, position: usize) -> String {
    format!("{}{:03}", award.0.simple(), position + 1)
}

/// Splits each allotment among the award's payees and sorts the parts into
/// transfers and blocked parts.
pub fn plan_transfers(
    currency: Currency,
    awards: &[RoundAward<'_>],
) -> Result<TransferPlan, TransferError> {
    let mut awards: Vec<&RoundAward<'_>> = awards.iter().collect();
    awards.sort_by_key(|a| a.award.id);
    let mut transfers = Vec::new();
    let mut blocked = Vec::new();
    let mut control_sum = Money::zero(currency);
    let mut blocked_sum = Money::zero(currency);
    for item in awards {
        let award = item.award;
        if item.allotted.currency() != currency || award.amount.currency() != currency {
            return Err(TransferError::CurrencyMismatch {
                award: award.id,
                expected: currency,
                found: item.allotted.currency(),
            });
        }
        let parts = award.payees.split(item.allotted);
        for (position, amount) in parts.into_iter().enumerate() {
            let payee = award
                .payees
                .name(position)
                .unwrap_or(item.claimant_name)
                .to_owned();
            let account = item.accounts.get(position).and_then(Option::as_ref);
            let reason = if !amount.is_positive() {
                Some(BlockReason::NothingDue)
            } else if award.payee_unreachable {
                Some(BlockReason::PayeeUnreachable)
            } else if account.is_none() {
                Some(BlockReason::NoBankDetails)
            } else {
                None
            };
            match (reason, account) {
                (None, Some(account)) => {
                    control_sum = control_sum
                        .checked_add(&amount)
                        .map_err(|_| TransferError::Overflow)?;
                    transfers.push(Transfer {
                        award: award.id,
                        position,
                        end_to_end_id: end_to_end_id(award.id, position),
                        creditor: payee,
                        amount,
                        account: account.clone(),
                    });
                }
                (reason, _) => {
                    blocked_sum = blocked_sum
                        .checked_add(&amount)
                        .map_err(|_| TransferError::Overflow)?;
                    blocked.push(BlockedPart {
                        award: award.id,
                        position,
                        payee,
                        amount,
                        reason: reason.unwrap_or(BlockReason::NoBankDetails),
                    });
                }
            }
        }
    }
    Ok(TransferPlan {
        currency,
        transfers,
        blocked,
        control_sum,
        blocked_sum,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::award::{Heir, Payees};
    use crate::case::CaseId;
    use crate::decision::DecisionId;
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    fn eur(a: Decimal) -> Money {
        Money::new(a, Currency::EUR)
    }

    fn account() -> BankAccount {
        BankAccount::new("DE89370400440532013000", "COBADEFF").unwrap()
    }

    fn heir(name: &str, share: Decimal) -> Heir {
        Heir {
            name: name.into(),
            account: None,
            share,
            bank: None,
        }
    }

    #[test]
    fn heirs_are_paid_by_share_and_those_without_accounts_are_listed_as_blocked() {
        let mut award = Award::new(
            AwardId::new(),
            CaseId::new(),
            DecisionId::new(),
            eur(dec!(1000)),
            Payees::claimant(),
        )
        .unwrap();
        award
            .change_payees(Payees::Heirs {
                heirs: vec![
                    heir("Olena", dec!(0.5)),
                    heir("Petro", dec!(0.25)),
                    heir("Iryna", dec!(0.25)),
                ],
            })
            .unwrap();
        let accounts = [Some(account()), None, Some(account())];
        let plan = plan_transfers(
            Currency::EUR,
            &[RoundAward {
                award: &award,
                allotted: eur(dec!(100.01)),
                accounts: &accounts,
                claimant_name: "Mykola",
            }],
        )
        .unwrap();
        let paid: Vec<_> = plan
            .transfers
            .iter()
            .map(|t| (t.creditor.as_str(), t.amount))
            .collect();
        assert_eq!(
            paid,
            vec![("Olena", eur(dec!(50.01))), ("Iryna", eur(dec!(25.00)))]
        );
        assert_eq!(plan.control_sum, eur(dec!(75.01)));
        assert_eq!(plan.blocked.len(), 1);
        assert_eq!(plan.blocked[0].payee, "Petro");
        assert_eq!(plan.blocked[0].reason, BlockReason::NoBankDetails);
        assert_eq!(plan.blocked_sum, eur(dec!(25.00)));
        assert_eq!(
            plan.transfers[1].end_to_end_id,
            format!("{}003", award.id.0.simple())
        );
        assert_eq!(plan.transfers[1].end_to_end_id.len(), 35);
    }

    #[test]
    fn the_claimant_is_named_from_the_claim_and_an_unreachable_payee_is_blocked() {
        let mut award = Award::new(
            AwardId::new(),
            CaseId::new(),
            DecisionId::new(),
            eur(dec!(1000)),
            Payees::claimant(),
        )
        .unwrap();
        let accounts = [Some(account())];
        let plan = plan_transfers(
            Currency::EUR,
            &[RoundAward {
                award: &award,
                allotted: eur(dec!(400)),
                accounts: &accounts,
                claimant_name: "Mykola Shevchenko",
            }],
        )
        .unwrap();
        assert_eq!(plan.transfers[0].creditor, "Mykola Shevchenko");
        assert_eq!(plan.transfers[0].amount, eur(dec!(400)));
        award.payable = true;
        award.payee_unreachable = true;
        let item = RoundAward {
            award: &award,
            allotted: eur(dec!(400)),
            accounts: &accounts,
            claimant_name: "Mykola Shevchenko",
        };
        let plan = plan_transfers(Currency::EUR, &[item]).unwrap();
        assert!(plan.transfers.is_empty());
        assert_eq!(plan.blocked[0].reason, BlockReason::PayeeUnreachable);
        assert_eq!(
            plan_transfers(Currency::USD, &[item]).unwrap_err().code(),
            "currency_mismatch"
        );
    }
}

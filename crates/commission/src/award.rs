//! The awards ledger: what each final decision awarded, to whom it is paid,
//! and what has been paid.
//!
//! An award is not a payment. The fund that pays is a separate future
//! instrument; Redress moves no money but records payments reported to it,
//! and an award's status is *derived* from those records (and two flags the
//! server sets) so it can never disagree with them. Payments never exceed the
//! outstanding balance: an overpayment is refused here rather than recovered
//! later, as the UNCC had to.

use crate::ErrorCode;
use crate::apportion;
use crate::bank::MaskedBankAccount;
use crate::case::CaseId;
use crate::decision::DecisionId;
use kernel::id::AccountId;
use kernel::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

kernel::typed_id!(
    /// An award in the ledger.
    AwardId
);
kernel::typed_id!(
    /// A recorded payment on an award.
    PaymentId
);

/// Where an award stands, derived from its payments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AwardStatus {
    /// Decided; not yet cleared for payment.
    Awarded,
    /// Cleared for payment (funds and payee details in place); nothing paid.
    Payable,
    /// Some paid, some outstanding.
    PartiallyPaid,
    /// Nothing outstanding.
    Paid,
    /// A balance is outstanding but the payee cannot be reached.
    PayeeUnreachable,
}

/// An heir and the share of the award due to them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heir {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountId>,
    /// Between 0 (exclusive) and 1; all heirs' shares sum to exactly 1.
    pub share: Decimal,
    /// The heir's bank account, masked (the account itself is kept sealed
    /// beside the award). Without one the heir is blocked from payment
    /// files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank: Option<MaskedBankAccount>,
}

/// Who receives the award's payments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "payee", rename_all = "snake_case")]
pub enum Payees {
    /// The claimant in person.
    Claimant {
        /// Masked, as for an heir.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bank: Option<MaskedBankAccount>,
    },
    /// A representative whose authority the Register recorded.
    Representative {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<AccountId>,
        /// Masked, as for an heir.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bank: Option<MaskedBankAccount>,
    },
    /// The claimant's heirs, in shares.
    Heirs { heirs: Vec<Heir> },
}

/// The most heirs one award is paid to: a payment file numbers each payee
/// of an award in three digits of its end-to-end id.
pub const MAX_HEIRS: usize = 999;

/// Why a set of payees is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PayeeError {
    #[error("a payee needs a name")]
    EmptyName,
    #[error("at least one heir is needed")]
    NoHeirs,
    #[error("at most {MAX_HEIRS} heirs are paid on one award")]
    TooManyHeirs,
    #[error("heir {name:?} has share {share}; shares must be greater than 0 and at most 1")]
    InvalidShare { name: String, share: Decimal },
    #[error("heirs' shares sum to {sum}, not 1")]
    SharesDoNotSumToOne { sum: Decimal },
}

impl ErrorCode for PayeeError {
    fn code(&self) -> &'static str {
        match self {
            Self::EmptyName => "empty_name",
            Self::NoHeirs => "no_heirs",
            Self::TooManyHeirs => "too_many_heirs",
            Self::InvalidShare { .. } => "invalid_share",
            Self::SharesDoNotSumToOne { .. } => "shares_do_not_sum_to_one",
        }
    }
}

impl Payees {
    /// The claimant alone, with no bank details on file yet.
    pub const fn claimant() -> Self {
        Self::Claimant { bank: None }
    }

    pub fn validate(&self) -> Result<(), PayeeError> {
        match self {
            Self::Claimant { .. } => Ok(()),
            Self::Representative { name, .. } => {
                if name.trim().is_empty() {
                    Err(PayeeError::EmptyName)
                } else {
                    Ok(())
                }
            }
            Self::Heirs { heirs } => {
                if heirs.is_empty() {
                    return Err(PayeeError::NoHeirs);
                }
                if heirs.len() > MAX_HEIRS {
                    return Err(PayeeError::TooManyHeirs);
                }
                let mut sum = Decimal::ZERO;
                for heir in heirs {
                    if heir.name.trim().is_empty() {
                        return Err(PayeeError::EmptyName);
                    }
                    if heir.share <= Decimal::ZERO || heir.share > Decimal::ONE {
                        return Err(PayeeError::InvalidShare {
                            name: heir.name.clone(),
                            share: heir.share,
                        });
                    }
                    sum += heir.share;
                }
                if sum == Decimal::ONE {
                    Ok(())
                } else {
                    Err(PayeeError::SharesDoNotSumToOne { sum })
                }
            }
        }
    }

    /// Splits a payment among the payees: all of it to a single payee, or by
    /// share to heirs, rounded to the minor unit with the largest-remainder
    /// method (ties to the heir listed first) so the parts add up exactly.
    /// One part per heir, in the listed order.
    pub fn split(&self, payment: Money) -> Vec<Money> {
        match self {
            Self::Claimant { .. } | Self::Representative { .. } => vec![payment],
            Self::Heirs { heirs } => {
                let currency = payment.currency();
                let shares: Vec<Decimal> = heirs.iter().map(|h| h.share).collect();
                apportion::pro_rata(&shares, payment.amount(), currency.minor_units()).map_or_else(
                    || vec![Money::zero(currency); heirs.len()],
                    |parts| parts.into_iter().map(|p| Money::new(p, currency)).collect(),
                )
            }
        }
    }
}

impl Payees {
    /// How many people are paid: one, or each heir.
    pub fn len(&self) -> usize {
        match self {
            Self::Claimant { .. } | Self::Representative { .. } => 1,
            Self::Heirs { heirs } => heirs.len(),
        }
    }

    /// Never: there is always someone to pay.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each payee's masked bank account, in order (heirs as listed).
    pub fn banks(&self) -> Vec<Option<&MaskedBankAccount>> {
        match self {
            Self::Claimant { bank } | Self::Representative { bank, .. } => vec![bank.as_ref()],
            Self::Heirs { heirs } => heirs.iter().map(|h| h.bank.as_ref()).collect(),
        }
    }

    /// Puts a masked account on the payee at `position` (heirs as listed);
    /// ignored past the last payee.
    pub fn set_bank(&mut self, position: usize, masked: Option<MaskedBankAccount>) {
        match self {
            Self::Claimant { bank } | Self::Representative { bank, .. } => {
                if position == 0 {
                    *bank = masked;
                }
            }
            Self::Heirs { heirs } => {
                if let Some(h) = heirs.get_mut(position) {
                    h.bank = masked;
                }
            }
        }
    }

    /// The payee's name where the award names one: a representative's or
    /// an heir's. The claimant's is on the claim.
    pub fn name(&self, position: usize) -> Option<&str> {
        match self {
            Self::Claimant { .. } => None,
            Self::Representative { name, .. } => Some(name),
            Self::Heirs { heirs } => heirs.get(position).map(|h| h.name.as_str()),
        }
    }

    /// Where a payee's field is in the payees as written: `iban` for the
    /// claimant or a representative, `heirs[1].iban` for the second heir.
    pub fn field_path(&self, position: usize, field: &str) -> String {
        match self {
            Self::Heirs { .. } => format!("heirs[{position}].{field}"),
            _ => field.to_owned(),
        }
    }
}

/// A payment reported on an award.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub id: PaymentId,
    pub amount: Money,
    #[serde(with = "crate::iso_date")]
    pub paid_on: Date,
    /// The payer's reference (fund transfer id, payment round and tranche).
    pub reference: String,
}

/// One award in the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Award {
    pub id: AwardId,
    pub case: CaseId,
    /// The final decision the award rests on (the correcting one, after a
    /// correction).
    pub decision: DecisionId,
    pub amount: Money,
    pub payees: Payees,
    /// Set by the server when the award is cleared for payment.
    #[serde(default)]
    pub payable: bool,
    /// Set by the server when payments to the payee fail or go unclaimed.
    #[serde(default)]
    pub payee_unreachable: bool,
    /// What confirmed payment rounds allotted to the award, in total:
    /// payments never exceed it. Absent on awards made payable before
    /// allotments were kept, which only the outstanding balance limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allotted: Option<Money>,
    #[serde(default)]
    pub payments: Vec<Payment>,
}

/// Why an award change was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AwardError {
    #[error("an award must be greater than zero and a whole number of minor units")]
    InvalidAmount,
    #[error(transparent)]
    Payee(#[from] PayeeError),
    #[error("the payment is in {found}, the award in {expected}")]
    CurrencyMismatch { expected: Currency, found: Currency },
    #[error("a payment must be greater than zero and a whole number of minor units")]
    InvalidPayment,
    #[error("a payment of {attempted} exceeds the outstanding balance of {outstanding}")]
    Overpayment {
        outstanding: Money,
        attempted: Money,
    },
    #[error(
        "a payment of {attempted} exceeds the {unpaid} that confirmed payment rounds allotted \
         to the award and that is not yet paid"
    )]
    ExceedsAllotment { unpaid: Money, attempted: Money },
    #[error("a payment needs a reference")]
    MissingReference,
    #[error("a payment with reference {reference:?} is already recorded")]
    DuplicateReference { reference: String },
    #[error("the award is not cleared for payment")]
    NotPayable,
    #[error("the payee cannot be reached; record new payee details first")]
    PayeeUnreachable,
    #[error("{paid} has already been paid, more than the corrected amount {corrected}")]
    PaidExceedsCorrectedAmount { paid: Money, corrected: Money },
    #[error("nothing is outstanding on the award")]
    NothingOutstanding,
    #[error("the payee is not marked unreachable")]
    PayeeReachable,
    #[error("amount out of range")]
    Overflow,
}

impl ErrorCode for AwardError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidAmount => "invalid_amount",
            Self::Payee(e) => e.code(),
            Self::CurrencyMismatch { .. } => "currency_mismatch",
            Self::InvalidPayment => "invalid_payment",
            Self::Overpayment { .. } => "overpayment",
            Self::ExceedsAllotment { .. } => "exceeds_allotment",
            Self::MissingReference => "missing_reference",
            Self::DuplicateReference { .. } => "duplicate_reference",
            Self::NotPayable => "not_payable",
            Self::PayeeUnreachable => "payee_unreachable",
            Self::PaidExceedsCorrectedAmount { .. } => "paid_exceeds_corrected_amount",
            Self::NothingOutstanding => "nothing_outstanding",
            Self::PayeeReachable => "payee_reachable",
            Self::Overflow => "overflow",
        }
    }
}

fn whole_positive(m: &Money) -> bool {
    m.is_positive() && apportion::is_whole_minor(m.amount(), m.currency().minor_units())
}

impl Award {
    /// A new award for a final decision.
    pub fn new(
        id: AwardId,
        case: CaseId,
        decision: DecisionId,
        amount: Money,
        payees: Payees,
    ) -> Result<Self, AwardError> {
        if !whole_positive(&amount) {
            return Err(AwardError::InvalidAmount);
        }
        payees.validate()?;
        Ok(Self {
            id,
            case,
            decision,
            amount,
            payees,
            payable: false,
            payee_unreachable: false,
            allotted: None,
            payments: Vec::new(),
        })
    }

    pub fn paid(&self) -> Result<Money, AwardError> {
        Money::sum(
            self.amount.currency(),
            self.payments.iter().map(|p| &p.amount),
        )
        .map_err(|_| AwardError::Overflow)
    }

    pub fn outstanding(&self) -> Result<Money, AwardError> {
        self.amount
            .checked_sub(&self.paid()?)
            .map_err(|_| AwardError::Overflow)
    }

    /// Derived from the payments and the two flags: fully paid wins over
    /// everything; an unreachable payee is reported while money is owed.
    pub fn status(&self) -> AwardStatus {
        let outstanding = self.outstanding().unwrap_or(self.amount);
        if !outstanding.is_positive() {
            AwardStatus::Paid
        } else if self.payee_unreachable {
            AwardStatus::PayeeUnreachable
        } else if !self.payments.is_empty() {
            AwardStatus::PartiallyPaid
        } else if self.payable {
            AwardStatus::Payable
        } else {
            AwardStatus::Awarded
        }
    }

    /// Records a payment, refusing anything beyond the outstanding balance.
    pub fn record_payment(&mut self, payment: Payment) -> Result<AwardStatus, AwardError> {
        if !self.payable {
            return Err(AwardError::NotPayable);
        }
        if self.payee_unreachable {
            return Err(AwardError::PayeeUnreachable);
        }
        let currency = self.amount.currency();
        if payment.amount.currency() != currency {
            return Err(AwardError::CurrencyMismatch {
                expected: currency,
                found: payment.amount.currency(),
            });
        }
        if !whole_positive(&payment.amount) {
            return Err(AwardError::InvalidPayment);
        }
        if payment.reference.trim().is_empty() {
            return Err(AwardError::MissingReference);
        }
        if self
            .payments
            .iter()
            .any(|p| p.reference == payment.reference)
        {
            return Err(AwardError::DuplicateReference {
                reference: payment.reference,
            });
        }
        let outstanding = self.outstanding()?;
        if payment.amount.amount() > outstanding.amount() {
            return Err(AwardError::Overpayment {
                outstanding,
                attempted: payment.amount,
            });
        }
        if let Some(allotted) = self.allotted {
            let unpaid = allotted
                .checked_sub(&self.paid()?)
                .map_err(|_| AwardError::Overflow)?;
            if payment.amount.amount() > unpaid.amount() {
                return Err(AwardError::ExceedsAllotment {
                    unpaid,
                    attempted: payment.amount,
                });
            }
        }
        self.payments.push(payment);
        Ok(self.status())
    }

    /// A confirmed payment round allots `amount` to the award: the award
    /// is cleared for payment, up to what its rounds allotted in total.
    pub fn allot(&mut self, amount: Money) -> Result<(), AwardError> {
        if amount.currency() != self.amount.currency() {
            return Err(AwardError::CurrencyMismatch {
                expected: self.amount.currency(),
                found: amount.currency(),
            });
        }
        let total = self
            .allotted
            .unwrap_or_else(|| Money::zero(self.amount.currency()))
            .checked_add(&amount)
            .map_err(|_| AwardError::Overflow)?;
        self.allotted = Some(total);
        self.payable = true;
        Ok(())
    }

    /// Replaces the payees (e.g. heirs after the claimant's death, or new
    /// details for an unreachable payee), which makes the payee reachable
    /// again.
    pub fn change_payees(&mut self, payees: Payees) -> Result<(), AwardError> {
        payees.validate()?;
        self.payees = payees;
        self.payee_unreachable = false;
        Ok(())
    }

    /// Marks the payee unreachable while money is still owed: no payment is
    /// recorded until it is reversed or new payee details are given.
    pub fn mark_payee_unreachable(&mut self) -> Result<(), AwardError> {
        if !self.outstanding()?.is_positive() {
            return Err(AwardError::NothingOutstanding);
        }
        if self.payee_unreachable {
            return Err(AwardError::PayeeUnreachable);
        }
        self.payee_unreachable = true;
        Ok(())
    }

    /// Reverses [`Self::mark_payee_unreachable`]: the payee was reached.
    pub fn mark_payee_reachable(&mut self) -> Result<(), AwardError> {
        if !self.payee_unreachable {
            return Err(AwardError::PayeeReachable);
        }
        self.payee_unreachable = false;
        Ok(())
    }

    /// Points the award at a correcting decision with its corrected amount.
    /// Refused if more than the corrected amount was already paid: recovering
    /// money is outside this ledger.
    pub fn apply_correction(
        &mut self,
        decision: DecisionId,
        corrected: Money,
    ) -> Result<(), AwardError> {
        if !whole_positive(&corrected) {
            return Err(AwardError::InvalidAmount);
        }
        if corrected.currency() != self.amount.currency() {
            return Err(AwardError::CurrencyMismatch {
                expected: self.amount.currency(),
                found: corrected.currency(),
            });
        }
        let paid = self.paid()?;
        if paid.amount() > corrected.amount() {
            return Err(AwardError::PaidExceedsCorrectedAmount { paid, corrected });
        }
        self.decision = decision;
        self.amount = corrected;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use time::macros::date;

    fn eur(a: Decimal) -> Money {
        Money::new(a, Currency::EUR)
    }

    fn award(amount: Decimal) -> Award {
        Award::new(
            AwardId::new(),
            CaseId::new(),
            DecisionId::new(),
            eur(amount),
            Payees::claimant(),
        )
        .unwrap()
    }

    fn pay(amount: Decimal, reference: &str) -> Payment {
        Payment {
            id: PaymentId::new(),
            amount: eur(amount),
            paid_on: date!(2028 - 01 - 15),
            reference: reference.into(),
        }
    }

    #[test]
    fn status_follows_payments() {
        let mut a = award(dec!(10000));
        assert_eq!(a.status(), AwardStatus::Awarded);
        assert_eq!(
            a.record_payment(pay(dec!(1), "r0")).unwrap_err().code(),
            "not_payable"
        );
        a.payable = true;
        assert_eq!(a.status(), AwardStatus::Payable);
        assert_eq!(
            a.record_payment(pay(dec!(2500), "R1/T1")),
            Ok(AwardStatus::PartiallyPaid)
        );
        a.payee_unreachable = true;
        assert_eq!(a.status(), AwardStatus::PayeeUnreachable);
        assert_eq!(
            a.record_payment(pay(dec!(1), "R1/T2")).unwrap_err().code(),
            "payee_unreachable"
        );
        a.change_payees(Payees::Representative {
            name: "O. Kovalenko, advocate".into(),
            account: None,
            bank: None,
        })
        .unwrap();
        assert_eq!(a.status(), AwardStatus::PartiallyPaid);
        assert_eq!(
            a.record_payment(pay(dec!(7500), "R2/T1")),
            Ok(AwardStatus::Paid)
        );
        assert_eq!(a.outstanding().unwrap(), eur(dec!(0)));
    }

    #[test]
    fn payments_stay_within_what_the_rounds_allotted() {
        let mut a = award(dec!(10000));
        a.allot(eur(dec!(2500))).unwrap();
        assert_eq!(a.status(), AwardStatus::Payable);
        let err = a.record_payment(pay(dec!(2500.01), "R1")).unwrap_err();
        assert_eq!(err.code(), "exceeds_allotment");
        assert_eq!(
            a.record_payment(pay(dec!(2000), "R1")),
            Ok(AwardStatus::PartiallyPaid)
        );
        let err = a.record_payment(pay(dec!(501), "R2")).unwrap_err();
        assert_eq!(
            err,
            AwardError::ExceedsAllotment {
                unpaid: eur(dec!(500)),
                attempted: eur(dec!(501))
            }
        );
        // A second round adds to the allotment.
        a.allot(eur(dec!(7500))).unwrap();
        assert_eq!(a.allotted, Some(eur(dec!(10000))));
        assert_eq!(
            a.record_payment(pay(dec!(8000), "R2")),
            Ok(AwardStatus::Paid)
        );
        assert_eq!(
            a.allot(Money::new(dec!(1), Currency::USD))
                .unwrap_err()
                .code(),
            "currency_mismatch"
        );
    }

    #[test]
    fn payment_errors() {
        let mut a = award(dec!(100));
        a.payable = true;
        let err = a.record_payment(pay(dec!(100.01), "R1")).unwrap_err();
        assert_eq!(err.code(), "overpayment");
        assert_eq!(
            a.record_payment(pay(dec!(0), "R1")).unwrap_err().code(),
            "invalid_payment"
        );
        assert_eq!(
            a.record_payment(pay(dec!(1.001), "R1")).unwrap_err().code(),
            "invalid_payment"
        );
        assert_eq!(
            a.record_payment(pay(dec!(1), " ")).unwrap_err().code(),
            "missing_reference"
        );
        let mut usd = pay(dec!(1), "R1");
        usd.amount = Money::new(dec!(1), Currency::USD);
        assert_eq!(
            a.record_payment(usd).unwrap_err().code(),
            "currency_mismatch"
        );
        a.record_payment(pay(dec!(60), "R1")).unwrap();
        assert_eq!(
            a.record_payment(pay(dec!(1), "R1")).unwrap_err().code(),
            "duplicate_reference"
        );
        assert_eq!(
            a.record_payment(pay(dec!(40.01), "R2")).unwrap_err(),
            AwardError::Overpayment {
                outstanding: eur(dec!(40)),
                attempted: eur(dec!(40.01))
            }
        );
        assert_eq!(
            Award::new(
                AwardId::new(),
                CaseId::new(),
                DecisionId::new(),
                eur(dec!(0)),
                Payees::claimant()
            )
            .unwrap_err()
            .code(),
            "invalid_amount"
        );
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
    fn heirs_shares_must_sum_to_one() {
        let ok = Payees::Heirs {
            heirs: vec![
                heir("Olena", dec!(0.5)),
                heir("Petro", dec!(0.25)),
                heir("Iryna", dec!(0.25)),
            ],
        };
        assert_eq!(ok.validate(), Ok(()));
        let third = dec!(1) / dec!(3);
        let thirds = Payees::Heirs {
            heirs: vec![heir("a", third), heir("b", third), heir("c", third)],
        };
        assert_eq!(
            thirds.validate().unwrap_err().code(),
            "shares_do_not_sum_to_one"
        );
        let cases = [
            (Payees::Heirs { heirs: vec![] }, "no_heirs"),
            (
                Payees::Heirs {
                    heirs: vec![heir("a", dec!(1.5)), heir("b", dec!(-0.5))],
                },
                "invalid_share",
            ),
            (
                Payees::Heirs {
                    heirs: vec![heir("a", dec!(0.5)), heir("b", dec!(0.4))],
                },
                "shares_do_not_sum_to_one",
            ),
            (
                Payees::Heirs {
                    heirs: vec![heir(" ", dec!(1))],
                },
                "empty_name",
            ),
            (
                Payees::Representative {
                    name: String::new(),
                    account: None,
                    bank: None,
                },
                "empty_name",
            ),
        ];
        for (payees, code) in cases {
            assert_eq!(payees.validate().unwrap_err().code(), code);
        }
        let parts = Payees::Heirs {
            heirs: vec![
                heir("a", dec!(0.5)),
                heir("b", dec!(0.25)),
                heir("c", dec!(0.25)),
            ],
        }
        .split(eur(dec!(100.01)));
        assert_eq!(
            parts,
            vec![eur(dec!(50.01)), eur(dec!(25.00)), eur(dec!(25.00))]
        );
    }

    #[test]
    fn corrections_change_the_amount_unless_already_overpaid() {
        let mut a = award(dec!(1000));
        a.payable = true;
        a.record_payment(pay(dec!(600), "R1")).unwrap();
        let err = a
            .apply_correction(DecisionId::new(), eur(dec!(500)))
            .unwrap_err();
        assert_eq!(err.code(), "paid_exceeds_corrected_amount");
        let d = DecisionId::new();
        a.apply_correction(d, eur(dec!(1200))).unwrap();
        assert_eq!(a.outstanding().unwrap(), eur(dec!(600)));
        assert_eq!(a.decision, d);
    }
}

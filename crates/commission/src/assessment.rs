//! Assessment: applying a valuation rule to one case.
//!
//! An award must be explainable to the claimant, the panel and an auditor
//! years later, so an [`Assessment`] keeps everything it was computed from:
//! the rule version (a snapshot of it), the inputs, every exchange rate used
//! with its date and source, and each step of the arithmetic as a
//! [`Step`] whose operands are literal amounts, factors, rates or earlier
//! steps. [`recompute`] replays those steps and re-runs the rule on the
//! stored inputs with the stored rates, and must land on the same figure.
//!
//! Intermediate steps keep full precision; the last step rounds once to the
//! award currency's minor unit (half to even, the kernel's rule).
//!
//! Exchange rates come from a [`RateLookup`]: a missing rate is an error
//! naming the currencies and the date, never a guess or a nearby rate chosen
//! here. Which recorded rate answers for a date (the same day's, the last
//! published before it) is the lookup's policy, and the rate date it returns
//! is recorded next to the valuation date asked for.

use crate::ErrorCode;
use crate::apportion;
use crate::rule::{RegionCode, RuleError, RuleKind, RuleRef, ValuationDate, ValuationRule};
use kernel::{Currency, Money, MoneyError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::Date;

kernel::typed_id!(
    /// A recorded assessment.
    AssessmentId
);

/// The amount an assessor enters where a rule leaves the figure to judgment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualEntry {
    pub amount: Money,
    pub justification: String,
}

/// What a case brings to its assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentInputs {
    /// Substantiated claimed losses, each in the currency it was claimed in.
    #[serde(default)]
    pub claimed: Vec<Money>,
    /// Quantities from the category's fields, by unit (`"m2": "84.5"`).
    #[serde(default)]
    pub quantities: BTreeMap<String, Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<RegionCode>,
    #[serde(with = "crate::iso_date")]
    pub incident_date: Date,
    #[serde(with = "crate::iso_date")]
    pub submission_date: Date,
    /// Required by manual rules and by claims a threshold routes to
    /// individual assessment; refused otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual: Option<ManualEntry>,
}

/// An exchange rate as recorded by its source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRate {
    /// Units of the target currency per unit of the source currency.
    pub rate: Decimal,
    /// The date the rate applies to, as published.
    #[serde(with = "crate::iso_date")]
    pub date: Date,
    /// Who published it, e.g. `NBU` or `ECB`.
    pub source: String,
}

/// Where exchange rates come from. `None` means no recorded rate answers for
/// that date.
pub trait RateLookup {
    fn rate(&self, from: Currency, to: Currency, on: Date) -> Option<RecordedRate>;
}

/// A conversion an assessment used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversion {
    pub from: Currency,
    pub to: Currency,
    pub rate: Decimal,
    /// The valuation date the rule asked for.
    #[serde(with = "crate::iso_date")]
    pub valuation_date: Date,
    /// The date of the rate the lookup returned.
    #[serde(with = "crate::iso_date")]
    pub rate_date: Date,
    pub source: String,
}

/// An in-memory table of recorded rates: for tests, and for recomputing an
/// assessment from the conversions it stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordedRates {
    rates: BTreeMap<(Currency, Currency, Date), RecordedRate>,
}

impl RecordedRates {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the rate that answers for `(from, to, on)`.
    pub fn insert(&mut self, from: Currency, to: Currency, on: Date, rate: RecordedRate) {
        self.rates.insert((from, to, on), rate);
    }

    pub fn with(mut self, from: Currency, to: Currency, on: Date, rate: RecordedRate) -> Self {
        self.insert(from, to, on, rate);
        self
    }

    pub fn from_conversions(conversions: &[Conversion]) -> Self {
        let mut table = Self::new();
        for c in conversions {
            table.insert(
                c.from,
                c.to,
                c.valuation_date,
                RecordedRate {
                    rate: c.rate,
                    date: c.rate_date,
                    source: c.source.clone(),
                },
            );
        }
        table
    }
}

impl RateLookup for RecordedRates {
    fn rate(&self, from: Currency, to: Currency, on: Date) -> Option<RecordedRate> {
        self.rates.get(&(from, to, on)).cloned()
    }
}

/// What a step does with its operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// One amount taken as given: a claimed loss, a rule's sum or rate, an
    /// assessor's entry.
    Input,
    /// The sum of the money operands.
    Sum,
    /// The one money operand times every factor operand.
    Multiply,
    /// The money operand converted at the rate operand.
    Convert,
    /// The smallest money operand: a cap.
    Min,
    /// The money operand rounded to its currency's minor unit.
    Round,
}

/// An operand of a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operand {
    /// The result of an earlier step, by position in the breakdown.
    Step(usize),
    Amount(Money),
    Factor(Decimal),
    Rate {
        from: Currency,
        to: Currency,
        rate: Decimal,
    },
}

/// One line of a breakdown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// What the step means, in words, e.g. "Accepted share (80%)".
    pub label: String,
    pub operation: Operation,
    pub operands: Vec<Operand>,
    /// At full precision, except for the final rounding step.
    pub result: Money,
}

/// Whether a case is assessed in a batch or on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// By formula, in a batch decided on a sample's findings.
    Batch,
    /// One by one, by an assessor.
    Individual,
}

/// The comparison a threshold rule made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThresholdCheck {
    /// The claimed total in the award currency, at full precision.
    pub claimed_total: Money,
    pub limit: Money,
}

/// A case's assessment, with everything needed to recompute it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// The rule version applied, as it was.
    pub rule: ValuationRule,
    pub inputs: AssessmentInputs,
    pub routing: Routing,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<ThresholdCheck>,
    pub breakdown: Vec<Step>,
    pub conversions: Vec<Conversion>,
    /// Rounded to the award currency's minor unit.
    pub result: Money,
}

impl Assessment {
    pub fn rule_ref(&self) -> RuleRef {
        self.rule.reference()
    }
}

/// Why a case could not be assessed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AssessmentError {
    #[error("the rule is invalid: {0}")]
    InvalidRule(#[from] RuleError),
    #[error("no recorded {from}/{to} exchange rate for {on}")]
    MissingRate {
        from: Currency,
        to: Currency,
        on: Date,
    },
    #[error("the recorded {from}/{to} rate for {on} is {rate}, which is not positive")]
    InvalidRate {
        from: Currency,
        to: Currency,
        on: Date,
        rate: Decimal,
    },
    #[error("claimed loss {index} is negative")]
    NegativeClaim { index: usize },
    #[error("the rule values the claimed amount, but none is claimed")]
    NoClaimedAmount,
    #[error("the rule needs a quantity in {unit:?}")]
    MissingQuantity { unit: String },
    #[error("the quantity in {unit:?} is negative")]
    NegativeQuantity { unit: String },
    #[error("this case is assessed individually: enter an amount with a justification")]
    ManualEntryRequired,
    #[error("this case is assessed by formula; a manual amount is not accepted")]
    ManualEntryNotAllowed,
    #[error("a manual amount needs a justification")]
    MissingJustification,
    #[error("the manual amount is in {found}, the award currency is {expected}")]
    CurrencyMismatch { expected: Currency, found: Currency },
    #[error("the manual amount is negative")]
    NegativeAmount,
    #[error("the manual amount has more decimal places than {currency} allows")]
    TooPrecise { currency: Currency },
    #[error("amount out of range")]
    Overflow,
}

impl ErrorCode for AssessmentError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidRule(_) => "invalid_rule",
            Self::MissingRate { .. } => "missing_rate",
            Self::InvalidRate { .. } => "invalid_rate",
            Self::NegativeClaim { .. } => "negative_claim",
            Self::NoClaimedAmount => "no_claimed_amount",
            Self::MissingQuantity { .. } => "missing_quantity",
            Self::NegativeQuantity { .. } => "negative_quantity",
            Self::ManualEntryRequired => "manual_entry_required",
            Self::ManualEntryNotAllowed => "manual_entry_not_allowed",
            Self::MissingJustification => "missing_justification",
            Self::CurrencyMismatch { .. } => "currency_mismatch",
            Self::NegativeAmount => "negative_amount",
            Self::TooPrecise { .. } => "too_precise",
            Self::Overflow => "overflow",
        }
    }
}

/// Why a stored assessment does not recompute to its figure.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecomputeError {
    #[error("step {step} is malformed: {reason}")]
    Malformed { step: usize, reason: String },
    #[error("step {step} ({label}) records {stored} but recomputes to {recomputed}")]
    StepMismatch {
        step: usize,
        label: String,
        stored: Money,
        recomputed: Money,
    },
    #[error("the assessment records {stored} but its breakdown gives {recomputed}")]
    ResultMismatch { stored: Money, recomputed: Money },
    #[error("the rule applied to the stored inputs and rates gives a different breakdown")]
    NotReproducible,
    #[error("the rule cannot be re-applied to the stored inputs: {0}")]
    Assessment(#[from] AssessmentError),
}

impl ErrorCode for RecomputeError {
    fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "malformed_breakdown",
            Self::StepMismatch { .. } => "step_mismatch",
            Self::ResultMismatch { .. } => "result_mismatch",
            Self::NotReproducible => "not_reproducible",
            Self::Assessment(inner) => inner.code(),
        }
    }
}

enum EvalError {
    Malformed(String),
    Money(MoneyError),
}

impl From<MoneyError> for EvalError {
    fn from(e: MoneyError) -> Self {
        Self::Money(e)
    }
}

fn malformed(reason: &str) -> EvalError {
    EvalError::Malformed(reason.to_owned())
}

/// The one definition of what a step computes, used both to build a
/// breakdown and to replay it, so the two can never disagree.
fn evaluate(
    operation: Operation,
    operands: &[Operand],
    earlier: &[Money],
) -> Result<Money, EvalError> {
    let money = |operand: &Operand| -> Result<Money, EvalError> {
        match operand {
            Operand::Step(i) => earlier
                .get(*i)
                .copied()
                .ok_or_else(|| malformed("refers to a step that does not come before it")),
            Operand::Amount(m) => Ok(*m),
            Operand::Factor(_) | Operand::Rate { .. } => Err(malformed("expected an amount")),
        }
    };
    match operation {
        Operation::Input => match operands {
            [Operand::Amount(m)] => Ok(*m),
            _ => Err(malformed("an input takes exactly one amount")),
        },
        Operation::Sum => {
            let (first, rest) = operands
                .split_first()
                .ok_or_else(|| malformed("a sum needs at least one operand"))?;
            rest.iter()
                .try_fold(money(first)?, |acc, o| Ok(acc.checked_add(&money(o)?)?))
        }
        Operation::Multiply => {
            let (first, factors) = operands
                .split_first()
                .ok_or_else(|| malformed("a product needs an amount"))?;
            if factors.is_empty() {
                return Err(malformed("a product needs at least one factor"));
            }
            factors.iter().try_fold(money(first)?, |acc, o| match o {
                Operand::Factor(f) => Ok(acc.checked_mul(*f)?),
                _ => Err(malformed("only factors may follow the amount")),
            })
        }
        Operation::Convert => match operands {
            [amount, Operand::Rate { from, to, rate }] => {
                let amount = money(amount)?;
                if amount.currency() != *from {
                    return Err(malformed(
                        "the rate does not convert from the amount's currency",
                    ));
                }
                let converted = amount
                    .amount()
                    .checked_mul(*rate)
                    .ok_or(MoneyError::Overflow)?;
                Ok(Money::new(converted, *to))
            }
            _ => Err(malformed("a conversion takes an amount and a rate")),
        },
        Operation::Min => {
            if operands.len() < 2 {
                return Err(malformed("a cap needs at least two amounts"));
            }
            let (first, rest) = operands
                .split_first()
                .ok_or_else(|| malformed("a cap needs at least two amounts"))?;
            rest.iter()
                .try_fold(money(first)?, |acc, o| Ok(acc.min(money(o)?)?))
        }
        Operation::Round => match operands {
            [one] => Ok(money(one)?.rounded()),
            _ => Err(malformed("rounding takes exactly one amount")),
        },
    }
}

/// Builds a breakdown step by step, in the award currency.
struct Builder<'a, R: RateLookup> {
    rule: &'a ValuationRule,
    inputs: &'a AssessmentInputs,
    rates: &'a R,
    steps: Vec<Step>,
    results: Vec<Money>,
    conversions: Vec<Conversion>,
    claimed_total: Option<usize>,
}

impl<'a, R: RateLookup> Builder<'a, R> {
    fn new(rule: &'a ValuationRule, inputs: &'a AssessmentInputs, rates: &'a R) -> Self {
        Self {
            rule,
            inputs,
            rates,
            steps: Vec::new(),
            results: Vec::new(),
            conversions: Vec::new(),
            claimed_total: None,
        }
    }

    fn push(
        &mut self,
        label: String,
        operation: Operation,
        operands: Vec<Operand>,
    ) -> Result<usize, AssessmentError> {
        let result = evaluate(operation, &operands, &self.results).map_err(|e| match e {
            EvalError::Money(MoneyError::CurrencyMismatch { left, right }) => {
                AssessmentError::CurrencyMismatch {
                    expected: left,
                    found: right,
                }
            }
            EvalError::Money(_) | EvalError::Malformed(_) => AssessmentError::Overflow,
        })?;
        self.steps.push(Step {
            label,
            operation,
            operands,
            result,
        });
        self.results.push(result);
        Ok(self.steps.len() - 1)
    }

    fn last(&self) -> usize {
        self.steps.len().saturating_sub(1)
    }

    fn valuation_date(&self) -> Date {
        valuation_date(self.rule, self.inputs)
    }

    fn conversion(&mut self, from: Currency) -> Result<Conversion, AssessmentError> {
        let to = self.rule.currency;
        let on = self.valuation_date();
        if let Some(c) = self
            .conversions
            .iter()
            .find(|c| c.from == from && c.valuation_date == on)
        {
            return Ok(c.clone());
        }
        let recorded = self
            .rates
            .rate(from, to, on)
            .ok_or(AssessmentError::MissingRate { from, to, on })?;
        if recorded.rate <= Decimal::ZERO {
            return Err(AssessmentError::InvalidRate {
                from,
                to,
                on,
                rate: recorded.rate,
            });
        }
        let conversion = Conversion {
            from,
            to,
            rate: recorded.rate,
            valuation_date: on,
            rate_date: recorded.date,
            source: recorded.source,
        };
        self.conversions.push(conversion.clone());
        Ok(conversion)
    }

    /// The claimed losses in the award currency, summed; computed once even
    /// when both a threshold and the rule below it need it.
    fn claimed_total(&mut self) -> Result<usize, AssessmentError> {
        if let Some(step) = self.claimed_total {
            return Ok(step);
        }
        let claimed = &self.inputs.claimed;
        if let Some(index) = claimed.iter().position(Money::is_negative) {
            return Err(AssessmentError::NegativeClaim { index });
        }
        let mut parts = Vec::with_capacity(claimed.len());
        for (n, loss) in claimed.iter().enumerate() {
            let input = self.push(
                format!("Claimed loss {}", n + 1),
                Operation::Input,
                vec![Operand::Amount(*loss)],
            )?;
            if loss.currency() == self.rule.currency {
                parts.push(Operand::Step(input));
            } else {
                let c = self.conversion(loss.currency())?;
                let converted = self.push(
                    format!(
                        "Claimed loss {} in {} at {} ({}, rate of {})",
                        n + 1,
                        c.to,
                        c.rate,
                        c.source,
                        c.rate_date
                    ),
                    Operation::Convert,
                    vec![
                        Operand::Step(input),
                        Operand::Rate {
                            from: c.from,
                            to: c.to,
                            rate: c.rate,
                        },
                    ],
                )?;
                parts.push(Operand::Step(converted));
            }
        }
        let label = format!("Total claimed in {}", self.rule.currency);
        let step = if parts.is_empty() {
            self.push(
                label,
                Operation::Input,
                vec![Operand::Amount(Money::zero(self.rule.currency))],
            )?
        } else {
            self.push(label, Operation::Sum, parts)?
        };
        self.claimed_total = Some(step);
        Ok(step)
    }

    fn cap(&mut self, cap: Option<&Money>) -> Result<(), AssessmentError> {
        if let Some(cap) = cap {
            let last = self.last();
            self.push(
                format!("Capped at {cap}"),
                Operation::Min,
                vec![Operand::Step(last), Operand::Amount(*cap)],
            )?;
        }
        Ok(())
    }

    /// Steps for a formula rule (anything but a threshold or manual rule).
    fn formula(&mut self, kind: &RuleKind) -> Result<(), AssessmentError> {
        if self.inputs.manual.is_some() {
            return Err(AssessmentError::ManualEntryNotAllowed);
        }
        match kind {
            RuleKind::Fixed { per_claimant, .. } => {
                self.push(
                    "Fixed sum per claimant".to_owned(),
                    Operation::Input,
                    vec![Operand::Amount(*per_claimant)],
                )?;
            }
            RuleKind::PerUnit {
                unit,
                rate,
                regional_rates,
                factors,
                cap,
            } => {
                let quantity = *self
                    .inputs
                    .quantities
                    .get(unit)
                    .ok_or_else(|| AssessmentError::MissingQuantity { unit: unit.clone() })?;
                if quantity < Decimal::ZERO {
                    return Err(AssessmentError::NegativeQuantity { unit: unit.clone() });
                }
                let regional = self
                    .inputs
                    .region
                    .as_ref()
                    .and_then(|r| regional_rates.get(r).map(|rate| (r, rate)));
                let (label, rate) = match regional {
                    Some((region, rate)) => (format!("{rate} per {unit} in {region}"), rate),
                    None => (format!("{rate} per {unit}"), rate),
                };
                self.push(
                    format!("{label} × {quantity} {unit}"),
                    Operation::Multiply,
                    vec![Operand::Amount(*rate), Operand::Factor(quantity)],
                )?;
                for factor in factors {
                    let last = self.last();
                    self.push(
                        format!("× {} ({})", factor.value, factor.name),
                        Operation::Multiply,
                        vec![Operand::Step(last), Operand::Factor(factor.value)],
                    )?;
                }
                self.cap(cap.as_ref())?;
            }
            RuleKind::ClaimedWithCap {
                accepted_share,
                cap,
            } => {
                if self.inputs.claimed.is_empty() {
                    return Err(AssessmentError::NoClaimedAmount);
                }
                let total = self.claimed_total()?;
                self.push(
                    format!("Accepted share ({accepted_share})"),
                    Operation::Multiply,
                    vec![Operand::Step(total), Operand::Factor(*accepted_share)],
                )?;
                self.cap(cap.as_ref())?;
            }
            // Validation keeps these out of formula position.
            RuleKind::Threshold { .. } | RuleKind::Manual => {
                return Err(AssessmentError::InvalidRule(
                    RuleError::InvalidThresholdRule,
                ));
            }
        }
        Ok(())
    }

    fn manual(&mut self) -> Result<(), AssessmentError> {
        let entry = self
            .inputs
            .manual
            .as_ref()
            .ok_or(AssessmentError::ManualEntryRequired)?;
        if entry.justification.trim().is_empty() {
            return Err(AssessmentError::MissingJustification);
        }
        let currency = self.rule.currency;
        if entry.amount.currency() != currency {
            return Err(AssessmentError::CurrencyMismatch {
                expected: currency,
                found: entry.amount.currency(),
            });
        }
        if entry.amount.is_negative() {
            return Err(AssessmentError::NegativeAmount);
        }
        if !apportion::is_whole_minor(entry.amount.amount(), currency.minor_units()) {
            return Err(AssessmentError::TooPrecise { currency });
        }
        self.push(
            "Amount assessed individually".to_owned(),
            Operation::Input,
            vec![Operand::Amount(entry.amount)],
        )?;
        Ok(())
    }

    /// Decides the routing, adding the threshold comparison's steps if any.
    fn route(&mut self) -> Result<(Routing, Option<ThresholdCheck>), AssessmentError> {
        match &self.rule.kind {
            RuleKind::Threshold { limit, .. } => {
                let total = self.claimed_total()?;
                let claimed_total = self.results[total];
                let routing = if claimed_total.amount() > limit.amount() {
                    Routing::Individual
                } else {
                    Routing::Batch
                };
                Ok((
                    routing,
                    Some(ThresholdCheck {
                        claimed_total,
                        limit: *limit,
                    }),
                ))
            }
            RuleKind::Manual => Ok((Routing::Individual, None)),
            _ => Ok((Routing::Batch, None)),
        }
    }
}

/// The date `rule` values a case's losses on: the rates of that date (by
/// the rate book's lookback) convert them.
pub fn valuation_date(rule: &ValuationRule, inputs: &AssessmentInputs) -> Date {
    match rule.valuation_date {
        ValuationDate::IncidentDate => inputs.incident_date,
        ValuationDate::SubmissionDate => inputs.submission_date,
        ValuationDate::Fixed(date) => date,
    }
}

/// Whether a case goes to a batch or to individual assessment, without
/// assessing it. Only a threshold rule looks at the inputs (the claimed total,
/// converted at the rule's valuation date).
pub fn route(
    rule: &ValuationRule,
    inputs: &AssessmentInputs,
    rates: &impl RateLookup,
) -> Result<Routing, AssessmentError> {
    rule.validate()?;
    Builder::new(rule, inputs, rates).route().map(|(r, _)| r)
}

/// Applies `rule` to a case's `inputs`.
///
/// Formula rules (and a threshold's rule for claims at or below the limit)
/// refuse a manual entry; manual rules (and claims above a threshold) require
/// one, in the award currency, with a justification.
pub fn assess(
    rule: &ValuationRule,
    inputs: &AssessmentInputs,
    rates: &impl RateLookup,
) -> Result<Assessment, AssessmentError> {
    rule.validate()?;
    let mut b = Builder::new(rule, inputs, rates);
    let (routing, threshold) = b.route()?;
    match (&rule.kind, routing) {
        (RuleKind::Threshold { below, .. }, Routing::Batch) => b.formula(below)?,
        (RuleKind::Threshold { .. } | RuleKind::Manual, _) => b.manual()?,
        (kind, _) => b.formula(kind)?,
    }
    let last = b.last();
    let result_step = b.push(
        format!("Rounded to the {} minor unit", rule.currency),
        Operation::Round,
        vec![Operand::Step(last)],
    )?;
    let result = b.results[result_step];
    Ok(Assessment {
        rule: rule.clone(),
        inputs: inputs.clone(),
        routing,
        threshold,
        breakdown: b.steps,
        conversions: b.conversions,
        result,
    })
}

/// Recomputes a stored assessment and returns its figure.
///
/// Two checks: every step is replayed from its operands (earlier steps by
/// their *recomputed* results, so an altered intermediate line is caught) and
/// must match what is stored, ending in a rounding step equal to the result;
/// and the stored rule, applied afresh to the stored inputs with only the
/// stored conversions as rates, must produce the same breakdown.
pub fn recompute(assessment: &Assessment) -> Result<Money, RecomputeError> {
    let mut results: Vec<Money> = Vec::with_capacity(assessment.breakdown.len());
    for (i, step) in assessment.breakdown.iter().enumerate() {
        let recomputed =
            evaluate(step.operation, &step.operands, &results).map_err(|e| match e {
                EvalError::Malformed(reason) => RecomputeError::Malformed { step: i, reason },
                EvalError::Money(err) => RecomputeError::Malformed {
                    step: i,
                    reason: err.to_string(),
                },
            })?;
        if recomputed != step.result {
            return Err(RecomputeError::StepMismatch {
                step: i,
                label: step.label.clone(),
                stored: step.result,
                recomputed,
            });
        }
        results.push(recomputed);
    }
    let last = assessment
        .breakdown
        .last()
        .ok_or_else(|| RecomputeError::Malformed {
            step: 0,
            reason: "the breakdown is empty".to_owned(),
        })?;
    if last.operation != Operation::Round {
        return Err(RecomputeError::Malformed {
            step: assessment.breakdown.len() - 1,
            reason: "the last step must round the figure".to_owned(),
        });
    }
    if last.result != assessment.result {
        return Err(RecomputeError::ResultMismatch {
            stored: assessment.result,
            recomputed: last.result,
        });
    }
    let rates = RecordedRates::from_conversions(&assessment.conversions);
    let again = assess(&assessment.rule, &assessment.inputs, &rates)?;
    if again.breakdown != assessment.breakdown
        || again.result != assessment.result
        || again.routing != assessment.routing
        || again.conversions != assessment.conversions
    {
        return Err(RecomputeError::NotReproducible);
    }
    Ok(assessment.result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::Factor;
    use rust_decimal_macros::dec;
    use time::macros::date;

    fn eur(a: Decimal) -> Money {
        Money::new(a, Currency::EUR)
    }

    fn uah(a: Decimal) -> Money {
        Money::new(a, Currency::UAH)
    }

    fn rule(kind: RuleKind) -> ValuationRule {
        ValuationRule {
            category: "A3.1".into(),
            version: 3,
            kind,
            valuation_date: ValuationDate::IncidentDate,
            currency: Currency::EUR,
        }
    }

    fn inputs() -> AssessmentInputs {
        AssessmentInputs {
            claimed: vec![],
            quantities: BTreeMap::new(),
            region: None,
            incident_date: date!(2022 - 03 - 01),
            submission_date: date!(2024 - 05 - 10),
            manual: None,
        }
    }

    fn rates() -> RecordedRates {
        RecordedRates::new()
            .with(
                Currency::UAH,
                Currency::EUR,
                date!(2022 - 03 - 01),
                RecordedRate {
                    rate: dec!(0.030125),
                    date: date!(2022 - 03 - 01),
                    source: "NBU".into(),
                },
            )
            .with(
                Currency::USD,
                Currency::EUR,
                date!(2022 - 03 - 01),
                RecordedRate {
                    rate: dec!(0.8952),
                    date: date!(2022 - 02 - 28),
                    source: "ECB".into(),
                },
            )
    }

    #[test]
    fn fixed_rule_gives_the_fixed_sum() {
        let r = rule(RuleKind::Fixed {
            per_claimant: eur(dec!(2500)),
            family_cap: Some(eur(dec!(10000))),
        });
        let a = assess(&r, &inputs(), &rates()).unwrap();
        assert_eq!(a.result, eur(dec!(2500)));
        assert_eq!(a.routing, Routing::Batch);
        assert_eq!(recompute(&a), Ok(a.result));
    }

    #[test]
    fn per_unit_uses_regional_rate_factors_and_cap() {
        let r = rule(RuleKind::PerUnit {
            unit: "m2".into(),
            rate: eur(dec!(850)),
            regional_rates: [(RegionCode("UA-30".into()), eur(dec!(1200)))].into(),
            factors: vec![
                Factor {
                    name: "depreciation".into(),
                    value: dec!(0.8),
                },
                Factor {
                    name: "partial damage".into(),
                    value: dec!(0.333),
                },
            ],
            cap: Some(eur(dec!(150000))),
        });
        let mut i = inputs();
        i.quantities.insert("m2".into(), dec!(84.5));
        i.region = Some(RegionCode("UA-30".into()));
        let a = assess(&r, &i, &rates()).unwrap();
        // 1200 × 84.5 × 0.8 × 0.333 = 27012.96
        assert_eq!(a.result, eur(dec!(27012.96)));
        assert_eq!(
            a.breakdown[0].label,
            "1200.00 EUR per m2 in UA-30 × 84.5 m2"
        );
        assert_eq!(recompute(&a), Ok(a.result));

        i.region = Some(RegionCode("UA-46".into()));
        i.quantities.insert("m2".into(), dec!(1000));
        let capped = assess(&r, &i, &rates()).unwrap();
        assert_eq!(capped.result, eur(dec!(150000)));
        assert_eq!(capped.breakdown[3].operation, Operation::Min);
    }

    #[test]
    fn claimed_with_cap_converts_each_currency_once_and_rounds_once() {
        let r = rule(RuleKind::ClaimedWithCap {
            accepted_share: dec!(0.85),
            cap: Some(eur(dec!(100000))),
        });
        let mut i = inputs();
        i.claimed = vec![
            uah(dec!(350000.50)),
            eur(dec!(1200)),
            uah(dec!(12345.67)),
            Money::new(dec!(999.99), Currency::USD),
        ];
        let a = assess(&r, &i, &rates()).unwrap();
        assert_eq!(a.conversions.len(), 2, "one UAH and one USD conversion");
        assert_eq!(a.conversions[1].rate_date, date!(2022 - 02 - 28));
        // (350000.50 + 12345.67) × 0.030125 + 1200 + 999.99 × 0.8952, × 0.85
        let exact = ((dec!(350000.50) * dec!(0.030125))
            + dec!(1200)
            + (dec!(12345.67) * dec!(0.030125))
            + (dec!(999.99) * dec!(0.8952)))
            * dec!(0.85);
        assert_eq!(a.result, eur(exact).rounded());
        assert_eq!(recompute(&a), Ok(a.result));
        let json = serde_json::to_string(&a).unwrap();
        let back: Assessment = serde_json::from_str(&json).unwrap();
        assert_eq!(back, a);
        assert_eq!(recompute(&back), Ok(a.result));
    }

    #[test]
    fn valuation_date_selects_the_rate() {
        let r = ValuationRule {
            valuation_date: ValuationDate::SubmissionDate,
            ..rule(RuleKind::ClaimedWithCap {
                accepted_share: dec!(1),
                cap: None,
            })
        };
        let mut i = inputs();
        i.claimed = vec![uah(dec!(1000))];
        let err = assess(&r, &i, &rates()).unwrap_err();
        assert_eq!(
            err,
            AssessmentError::MissingRate {
                from: Currency::UAH,
                to: Currency::EUR,
                on: date!(2024 - 05 - 10)
            }
        );
        assert_eq!(err.code(), "missing_rate");
        assert_eq!(
            err.to_string(),
            "no recorded UAH/EUR exchange rate for 2024-05-10"
        );
    }

    #[test]
    fn threshold_routes_large_claims_to_individual_assessment() {
        let r = rule(RuleKind::Threshold {
            limit: eur(dec!(100000)),
            below: Box::new(RuleKind::ClaimedWithCap {
                accepted_share: dec!(1),
                cap: None,
            }),
        });
        let mut small = inputs();
        small.claimed = vec![eur(dec!(100000))];
        assert_eq!(route(&r, &small, &rates()), Ok(Routing::Batch));
        let a = assess(&r, &small, &rates()).unwrap();
        assert_eq!(a.routing, Routing::Batch);
        assert_eq!(a.result, eur(dec!(100000)));
        assert_eq!(
            a.breakdown
                .iter()
                .filter(|s| s.label.starts_with("Total claimed"))
                .count(),
            1
        );

        let mut large = inputs();
        large.claimed = vec![eur(dec!(100000.01))];
        assert_eq!(route(&r, &large, &rates()), Ok(Routing::Individual));
        assert_eq!(
            assess(&r, &large, &rates()).unwrap_err().code(),
            "manual_entry_required"
        );
        large.manual = Some(ManualEntry {
            amount: eur(dec!(64000)),
            justification: "Valuation report of 3 May 2024 accepted in part".into(),
        });
        let a = assess(&r, &large, &rates()).unwrap();
        assert_eq!(a.routing, Routing::Individual);
        assert_eq!(a.result, eur(dec!(64000)));
        assert_eq!(
            a.threshold.as_ref().unwrap().claimed_total,
            eur(dec!(100000.01))
        );
        assert_eq!(recompute(&a), Ok(a.result));

        small.manual = large.manual.clone();
        assert_eq!(
            assess(&r, &small, &rates()).unwrap_err().code(),
            "manual_entry_not_allowed"
        );
    }

    #[test]
    fn manual_entry_errors() {
        let r = rule(RuleKind::Manual);
        let with = |amount: Money, justification: &str| {
            let mut i = inputs();
            i.manual = Some(ManualEntry {
                amount,
                justification: justification.into(),
            });
            assess(&r, &i, &rates())
        };
        assert_eq!(
            with(eur(dec!(10)), " ").unwrap_err().code(),
            "missing_justification"
        );
        assert_eq!(
            with(uah(dec!(10)), "x").unwrap_err().code(),
            "currency_mismatch"
        );
        assert_eq!(
            with(eur(dec!(-10)), "x").unwrap_err().code(),
            "negative_amount"
        );
        assert_eq!(
            with(eur(dec!(10.001)), "x").unwrap_err().code(),
            "too_precise"
        );
        assert_eq!(with(eur(dec!(10.5)), "x").unwrap().result, eur(dec!(10.5)));
        assert_eq!(
            assess(&r, &inputs(), &rates()).unwrap_err().code(),
            "manual_entry_required"
        );
    }

    #[test]
    fn input_errors() {
        let share = rule(RuleKind::ClaimedWithCap {
            accepted_share: dec!(1),
            cap: None,
        });
        assert_eq!(
            assess(&share, &inputs(), &rates()).unwrap_err().code(),
            "no_claimed_amount"
        );
        let mut i = inputs();
        i.claimed = vec![eur(dec!(1)), eur(dec!(-1))];
        assert_eq!(
            assess(&share, &i, &rates()).unwrap_err(),
            AssessmentError::NegativeClaim { index: 1 }
        );

        let per_unit = rule(RuleKind::PerUnit {
            unit: "day".into(),
            rate: eur(dec!(100)),
            regional_rates: BTreeMap::new(),
            factors: vec![],
            cap: None,
        });
        assert_eq!(
            assess(&per_unit, &inputs(), &rates()).unwrap_err().code(),
            "missing_quantity"
        );
        let mut i = inputs();
        i.quantities.insert("day".into(), dec!(-3));
        assert_eq!(
            assess(&per_unit, &i, &rates()).unwrap_err().code(),
            "negative_quantity"
        );

        let bad = rule(RuleKind::ClaimedWithCap {
            accepted_share: dec!(2),
            cap: None,
        });
        assert_eq!(
            assess(&bad, &inputs(), &rates()).unwrap_err().code(),
            "invalid_rule"
        );

        let zero_rate = RecordedRates::new().with(
            Currency::UAH,
            Currency::EUR,
            date!(2022 - 03 - 01),
            RecordedRate {
                rate: dec!(0),
                date: date!(2022 - 03 - 01),
                source: "NBU".into(),
            },
        );
        let mut i = inputs();
        i.claimed = vec![uah(dec!(1))];
        assert_eq!(
            assess(&share, &i, &zero_rate).unwrap_err().code(),
            "invalid_rate"
        );
    }

    #[test]
    fn recompute_catches_tampering() {
        let r = rule(RuleKind::ClaimedWithCap {
            accepted_share: dec!(0.5),
            cap: None,
        });
        let mut i = inputs();
        i.claimed = vec![uah(dec!(10000)), eur(dec!(50))];
        let a = assess(&r, &i, &rates()).unwrap();

        let mut changed_step = a.clone();
        changed_step.breakdown[1].result = eur(dec!(301));
        assert_eq!(
            recompute(&changed_step).unwrap_err().code(),
            "step_mismatch"
        );

        let mut changed_result = a.clone();
        changed_result.result = eur(dec!(1));
        assert_eq!(
            recompute(&changed_result).unwrap_err().code(),
            "result_mismatch"
        );

        let mut forward = a.clone();
        forward.breakdown[0].operands = vec![Operand::Step(5)];
        forward.breakdown[0].operation = Operation::Sum;
        assert_eq!(
            recompute(&forward).unwrap_err().code(),
            "malformed_breakdown"
        );

        // A consistent breakdown that the rule would not have produced.
        let mut rewritten = a.clone();
        let last = rewritten.breakdown.len() - 1;
        rewritten.breakdown.truncate(1);
        rewritten.breakdown[0] = Step {
            label: "Something else".into(),
            operation: Operation::Input,
            operands: vec![Operand::Amount(a.result)],
            result: a.result,
        };
        rewritten.breakdown.push(Step {
            label: "Rounded".into(),
            operation: Operation::Round,
            operands: vec![Operand::Step(0)],
            result: a.result,
        });
        assert!(last > 1);
        assert_eq!(
            recompute(&rewritten).unwrap_err().code(),
            "not_reproducible"
        );

        let mut lost_rate = a.clone();
        lost_rate.conversions.clear();
        assert_eq!(recompute(&lost_rate).unwrap_err().code(), "missing_rate");

        let mut empty = a;
        empty.breakdown.clear();
        assert_eq!(recompute(&empty).unwrap_err().code(), "malformed_breakdown");
    }

    #[test]
    fn steps_serialize_readably() {
        let step = Step {
            label: "Claimed loss 1 in EUR".into(),
            operation: Operation::Convert,
            operands: vec![
                Operand::Step(0),
                Operand::Rate {
                    from: Currency::UAH,
                    to: Currency::EUR,
                    rate: dec!(0.030125),
                },
            ],
            result: eur(dec!(30.125)),
        };
        assert_eq!(
            serde_json::to_value(&step).unwrap(),
            serde_json::json!({
                "label": "Claimed loss 1 in EUR",
                "operation": "convert",
                "operands": [{"step": 0}, {"rate": {"from": "UAH", "to": "EUR", "rate": "0.030125"}}],
                "result": {"amount": "30.125", "currency": "EUR"}
            })
        );
    }
}

//! Properties the Commission's rules must keep for every input, not just the
//! examples in the unit tests.

use commission::{
    Assessment, AssessmentInputs, CaseForPanel, CaseId, CaseInvolvement, ClaimantKind, Factor,
    FamilyMember, ManualEntry, Operand, Operation, OutstandingAward, Panel, PanelId,
    Recommendation, RecommendationId, RecommendationStatus, RecordedRate, RecordedRates,
    RegionCode, RemainderRule, RoundPolicy, Routing, RuleKind, ValuationDate, ValuationRule, Vote,
    VoteChoice, apply_family_cap, assess, compute_round, draw_sample, recompute, sample_size,
};
use commission::{AwardId, ErrorCode, Outcome};
use kernel::id::AccountId;
use kernel::{Currency, Money};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use time::macros::date;
use uuid::Uuid;

fn eur(cents: i64) -> Money {
    Money::new(Decimal::new(cents, 2), Currency::EUR)
}

fn cents(max: i64) -> impl Strategy<Value = i64> {
    0..=max
}

fn claimed_loss() -> impl Strategy<Value = Money> {
    (
        cents(5_000_000_000),
        prop::sample::select(vec![Currency::EUR, Currency::UAH, Currency::USD]),
    )
        .prop_map(|(c, cur)| Money::new(Decimal::new(c, 2), cur))
}

fn rates() -> impl Strategy<Value = RecordedRates> {
    (1i64..100_000_000, 1i64..100_000_000).prop_map(|(uah, usd)| {
        let on = date!(2022 - 03 - 01);
        RecordedRates::new()
            .with(
                Currency::UAH,
                Currency::EUR,
                on,
                RecordedRate {
                    rate: Decimal::new(uah, 9),
                    date: on,
                    source: "NBU".into(),
                },
            )
            .with(
                Currency::USD,
                Currency::EUR,
                on,
                RecordedRate {
                    rate: Decimal::new(usd, 8),
                    date: on,
                    source: "ECB".into(),
                },
            )
    })
}

fn formula_kind() -> impl Strategy<Value = RuleKind> {
    let fixed = (1i64..10_000_000).prop_map(|c| RuleKind::Fixed {
        per_claimant: eur(c),
        family_cap: None,
    });
    let per_unit = (
        1i64..100_000_000,
        1i64..100_000_000,
        prop::collection::vec(1i64..3000, 0..4),
        prop::option::of(1i64..10_000_000_000),
    )
        .prop_map(|(rate, regional, factors, cap)| RuleKind::PerUnit {
            unit: "m2".into(),
            rate: Money::new(Decimal::new(rate, 4), Currency::EUR),
            regional_rates: [(
                RegionCode("UA-30".into()),
                Money::new(Decimal::new(regional, 4), Currency::EUR),
            )]
            .into(),
            factors: factors
                .into_iter()
                .enumerate()
                .map(|(i, v)| Factor {
                    name: format!("factor {i}"),
                    value: Decimal::new(v, 3),
                })
                .collect(),
            cap: cap.map(eur),
        });
    let claimed =
        (0i64..=10_000, prop::option::of(1i64..10_000_000_000)).prop_map(|(share, cap)| {
            RuleKind::ClaimedWithCap {
                accepted_share: Decimal::new(share, 4),
                cap: cap.map(eur),
            }
        });
    prop_oneof![fixed, per_unit, claimed]
}

fn any_kind() -> impl Strategy<Value = RuleKind> {
    prop_oneof![
        3 => formula_kind(),
        1 => (1i64..10_000_000_000, formula_kind()).prop_map(|(limit, below)| RuleKind::Threshold {
            limit: eur(limit),
            below: Box::new(below),
        }),
    ]
}

fn inputs() -> impl Strategy<Value = AssessmentInputs> {
    (
        prop::collection::vec(claimed_loss(), 1..6),
        0i64..100_000_000,
        any::<bool>(),
    )
        .prop_map(|(claimed, quantity, kyiv)| AssessmentInputs {
            claimed,
            quantities: [("m2".to_owned(), Decimal::new(quantity, 2))].into(),
            region: kyiv.then(|| RegionCode("UA-30".into())),
            incident_date: date!(2022 - 03 - 01),
            submission_date: date!(2024 - 06 - 01),
            manual: None,
        })
}

fn rule(kind: RuleKind) -> ValuationRule {
    ValuationRule {
        category: "A3.1".into(),
        version: 1,
        kind,
        valuation_date: ValuationDate::IncidentDate,
        currency: Currency::EUR,
    }
}

/// Assesses, supplying a manual entry when a threshold sends the case to
/// individual assessment.
fn assess_any(
    rule: &ValuationRule,
    inputs: &AssessmentInputs,
    rates: &RecordedRates,
) -> Assessment {
    match assess(rule, inputs, rates) {
        Ok(a) => a,
        Err(e) if e.code() == "manual_entry_required" => {
            let mut with_entry = inputs.clone();
            with_entry.manual = Some(ManualEntry {
                amount: eur(123_456),
                justification: "individual review".into(),
            });
            assess(rule, &with_entry, rates).expect("individual assessment")
        }
        Err(e) => panic!("{e}"),
    }
}

fn operand_amount(op: &Operand, steps: &[commission::Step]) -> Option<Money> {
    match op {
        Operand::Step(i) => Some(steps[*i].result),
        Operand::Amount(m) => Some(*m),
        Operand::Factor(_) | Operand::Rate { .. } => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn breakdown_parts_add_up_and_recompute_gives_the_same_figure(
        kind in any_kind(), inputs in inputs(), rates in rates()
    ) {
        let rule = rule(kind);
        let a = assess_any(&rule, &inputs, &rates);
        for step in &a.breakdown {
            if step.operation == Operation::Sum {
                let parts: Vec<Money> = step.operands.iter()
                    .map(|o| operand_amount(o, &a.breakdown).expect("sums add amounts"))
                    .collect();
                prop_assert_eq!(Money::sum(Currency::EUR, &parts)?, step.result);
            }
        }
        let last = a.breakdown.last().expect("a breakdown");
        prop_assert_eq!(last.operation, Operation::Round);
        prop_assert_eq!(last.result, a.result);
        prop_assert_eq!(a.result, a.result.rounded());
        prop_assert_eq!(recompute(&a), Ok(a.result));

        let stored: Assessment = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        prop_assert_eq!(recompute(&stored), Ok(a.result));
    }

    #[test]
    fn the_same_inputs_always_give_the_same_amount(
        kind in any_kind(), inputs in inputs(), rates in rates()
    ) {
        let rule = rule(kind);
        let first = assess_any(&rule, &inputs, &rates);
        let second = assess_any(&rule, &inputs, &rates);
        prop_assert_eq!(first, second);
    }

    #[test]
    fn no_rule_exceeds_its_cap_or_goes_negative(
        kind in any_kind(), inputs in inputs(), rates in rates()
    ) {
        let rule = rule(kind.clone());
        let a = assess_any(&rule, &inputs, &rates);
        prop_assert!(!a.result.is_negative());
        let cap = match (&kind, a.routing) {
            (RuleKind::Threshold { below, .. }, Routing::Batch) => below.cap(),
            (RuleKind::Threshold { .. }, Routing::Individual) => None,
            (other, _) => other.cap(),
        };
        if let Some(cap) = cap {
            prop_assert!(a.result.amount() <= cap.amount(), "{} > {}", a.result, cap);
        }
        if let RuleKind::Threshold { limit, .. } = &kind {
            let check = a.threshold.as_ref().expect("threshold check");
            prop_assert_eq!(a.routing == Routing::Individual, check.claimed_total.amount() > limit.amount());
        }
    }

    #[test]
    fn family_cap_never_exceeds_the_cap_or_raises_an_amount(
        cap in 1i64..10_000_000, amounts in prop::collection::vec(0i64..1_000_000, 0..10)
    ) {
        let members: Vec<FamilyMember> = amounts.iter().enumerate().map(|(i, c)| FamilyMember {
            case: CaseId::from_uuid(Uuid::from_u128(i as u128 + 1)),
            proposed: eur(*c),
        }).collect();
        let out = apply_family_cap(eur(cap), &members)?;
        let proposed_total: i64 = amounts.iter().sum();
        prop_assert!(out.total_capped.amount() <= eur(cap).amount());
        if proposed_total > cap {
            prop_assert_eq!(out.total_capped, eur(cap));
        }
        for s in &out.shares {
            prop_assert!(s.capped.amount() <= s.proposed.amount());
            prop_assert!(!s.capped.is_negative());
        }
    }

    #[test]
    fn samples_are_reproducible_and_sized(
        n in 0usize..400, share in 0i64..=1000, minimum in 0usize..50, seed in any::<u64>()
    ) {
        let ids: Vec<Uuid> = (0..n).map(|i| Uuid::from_u128(i as u128 * 7919 + 1)).collect();
        let share = Decimal::new(share, 3);
        let sample = draw_sample(&ids, share, minimum, seed);
        prop_assert_eq!(&sample, &draw_sample(&ids, share, minimum, seed));
        let by_share = (share * Decimal::from(n)).ceil().to_usize().unwrap();
        prop_assert_eq!(sample.len(), by_share.max(minimum).min(n));
        prop_assert_eq!(sample.len(), sample_size(n, share, minimum));
        let mut dedup = sample.clone();
        dedup.dedup();
        prop_assert_eq!(dedup.len(), sample.len(), "no case twice");
        prop_assert!(sample.iter().all(|s| ids.contains(s)));
        prop_assert!(sample.windows(2).all(|w| w[0] < w[1]), "sorted");
    }

    #[test]
    fn payment_rounds_never_overpay_overspend_or_skip_the_priority_tier(
        available in prop_oneof![0i64..20_000_000, 0i64..2_000_000_000],
        awards in prop::collection::vec((any::<bool>(), 0i64..500_000_000, 0i64..500_000), 0..25),
        priority in prop::option::of(1i64..1_000_000),
        tiers in prop::option::of(prop::collection::btree_set(1i64..100_000_000, 1..4)),
    ) {
        let usd = |c: i64| Money::new(Decimal::new(c, 2), Currency::USD);
        let awards: Vec<OutstandingAward> = awards.iter().enumerate().map(|(i, (individual, out, paid))| {
            OutstandingAward {
                award: AwardId::from_uuid(Uuid::from_u128(1000 - i as u128)),
                claimant_kind: if *individual { ClaimantKind::Individual } else { ClaimantKind::LegalEntity },
                outstanding: usd(*out),
                paid_to_date: (*paid > 0).then(|| usd(*paid)),
            }
        }).collect();
        let policy = RoundPolicy {
            priority_amount: priority.map(usd),
            remainder: match tiers {
                Some(t) => RemainderRule::Tiers { ceilings: t.into_iter().map(usd).collect() },
                None => RemainderRule::ProRata,
            },
        };
        let round = compute_round(usd(available), &awards, &policy)?;
        prop_assert!(round.total.amount() <= usd(available).amount());
        prop_assert_eq!(round.total.checked_add(&round.unspent)?, usd(available));
        let sum = Money::sum(Currency::USD, round.lines.iter().map(|l| &l.amount))?;
        prop_assert_eq!(sum, round.total);
        let mut priority_unpaid = false;
        for line in &round.lines {
            prop_assert!(!line.amount.is_negative());
            prop_assert!(line.amount.amount() <= line.outstanding_before.amount(), "overpaid {:?}", line);
            prop_assert_eq!(line.amount, line.amount.rounded());
            let input = awards.iter().find(|a| a.award == line.award).unwrap();
            if let (Some(p), ClaimantKind::Individual) = (priority, input.claimant_kind) {
                let earlier = input.paid_to_date.map_or(Decimal::ZERO, |m| m.amount());
                let due = input.outstanding.amount().min((usd(p).amount() - earlier).max(Decimal::ZERO));
                prop_assert!(line.priority.amount() <= due);
                if line.priority.amount() < due {
                    priority_unpaid = true;
                }
            } else {
                prop_assert!(line.priority.amount().is_zero());
            }
        }
        prop_assert_eq!(priority_unpaid, !round.priority_tier_complete);
        if priority_unpaid {
            prop_assert!(round.lines.iter().all(|l| l.general.amount().is_zero()),
                "non-priority money flowed while a priority amount was unpaid");
            prop_assert!(round.unspent.amount().is_zero(), "a short tier spends everything");
        }
        let owed: Decimal = awards.iter().map(|a| a.outstanding.amount()).sum();
        if usd(available).amount() >= owed {
            prop_assert_eq!(round.total.amount(), owed);
        }
    }

    #[test]
    fn adopted_exactly_when_a_majority_of_members_vote_in_favour(
        choices in prop::collection::vec(0u32..4, 1..12), order_seed in any::<u64>()
    ) {
        let panel = Panel {
            id: PanelId::new(),
            name: "P".into(),
            members: (0..choices.len()).map(|_| AccountId::new()).collect(),
            categories: vec!["A2.3".into()],
        };
        let involvement = CaseInvolvement::default();
        let case = CaseForPanel {
            case: CaseId::new(),
            category: "A2.3",
            assessed_amount: Some(eur(250_000)),
            involvement: &involvement,
        };
        let mut rec = Recommendation::propose(
            RecommendationId::new(), &panel, panel.members[0], &case,
            Outcome::Award { amount: eur(250_000), variation_reasons: None },
        ).unwrap();
        // 0 in favour, 1 against, 2 abstain, 3 does not vote.
        let mut order: Vec<usize> = (0..choices.len()).collect();
        order.rotate_left(usize::try_from(order_seed % choices.len() as u64).unwrap());
        let majority = choices.len() / 2 + 1;
        let mut in_favour = 0;
        for i in order {
            let choice = match choices[i] {
                0 => VoteChoice::InFavour,
                1 => VoteChoice::Against,
                2 => VoteChoice::Abstain,
                _ => continue,
            };
            let result = rec.cast_vote(&panel, &involvement, Vote { member: panel.members[i], choice });
            if rec.status == RecommendationStatus::Open || result.is_ok() {
                let tally = result.unwrap();
                if choice == VoteChoice::InFavour { in_favour += 1; }
                prop_assert_eq!(tally.in_favour, in_favour);
                prop_assert_eq!(tally.status == RecommendationStatus::Adopted, in_favour >= majority);
            }
        }
        let total_for = choices.iter().filter(|c| **c == 0).count();
        prop_assert_eq!(rec.status == RecommendationStatus::Adopted, total_for >= majority);
        prop_assert_eq!(total_for * 2 > choices.len(), total_for >= majority);
    }
}

/// Heirs' shares summing to exactly 1: `n` shares in ten-thousandths, cut
/// at distinct points of 1..10,000.
fn heirs_shares() -> impl Strategy<Value = Vec<Decimal>> {
    prop::collection::btree_set(1i64..10_000, 0..12).prop_map(|cuts| {
        let mut points: Vec<i64> = cuts.into_iter().collect();
        points.push(10_000);
        let mut last = 0;
        points
            .into_iter()
            .map(|p| {
                let share = Decimal::new(p - last, 4);
                last = p;
                share
            })
            .collect()
    })
}

fn heirs_of(shares: &[Decimal]) -> commission::Payees {
    commission::Payees::Heirs {
        heirs: shares
            .iter()
            .enumerate()
            .map(|(i, share)| commission::Heir {
                name: format!("Heir {i}"),
                account: None,
                share: *share,
                bank: None,
            })
            .collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Splitting an allotment among heirs: the parts add up to it exactly,
    /// each at the currency's minor unit and within one minor unit of the
    /// heir's exact share; a payment file's transfers and blocked parts
    /// together are the allotment.
    #[test]
    fn heirs_splits_sum_exactly_to_the_allotment(
        shares in heirs_shares(),
        minor in 0i64..10_000_000_000,
        code in prop::sample::select(vec!["EUR", "JPY", "KWD", "UAH"]),
        with_account in prop::collection::vec(any::<bool>(), 12),
    ) {
        let currency = Currency::from_code(code).unwrap();
        let places = currency.minor_units();
        let unit = Decimal::new(1, places);
        let allotted = Money::new(Decimal::new(minor, places), currency);
        let payees = heirs_of(&shares);
        prop_assert_eq!(payees.validate(), Ok(()));
        let parts = payees.split(allotted);
        prop_assert_eq!(parts.len(), shares.len());
        let sum: Decimal = parts.iter().map(Money::amount).sum();
        prop_assert_eq!(sum, allotted.amount());
        for (part, share) in parts.iter().zip(&shares) {
            prop_assert_eq!(part.currency(), currency);
            prop_assert!(!part.is_negative());
            prop_assert!(part.amount().normalize().scale() <= places);
            let exact = allotted.amount() * share;
            prop_assert!((part.amount() - exact).abs() < unit, "{} against {}", part, exact);
        }

        let account = commission::BankAccount::new("DE89370400440532013000", "COBADEFF").unwrap();
        let accounts: Vec<Option<commission::BankAccount>> = shares
            .iter()
            .zip(&with_account)
            .map(|(_, has)| has.then(|| account.clone()))
            .collect();
        let mut award = commission::Award::new(
            AwardId::new(),
            CaseId::new(),
            commission::DecisionId::new(),
            Money::new(Decimal::new(minor.max(1), places), currency),
            commission::Payees::claimant(),
        )
        .unwrap();
        award.change_payees(payees).unwrap();
        let plan = commission::plan_transfers(currency, &[commission::RoundAward {
            award: &award,
            allotted,
            accounts: &accounts,
            claimant_name: "Claimant",
        }])
        .unwrap();
        prop_assert_eq!(plan.transfers.len() + plan.blocked.len(), shares.len());
        prop_assert_eq!(
            plan.control_sum.checked_add(&plan.blocked_sum).unwrap(),
            allotted
        );
        prop_assert!(plan.transfers.iter().all(|t| t.amount.is_positive()));
        prop_assert!(plan.transfers.iter().all(|t| t.end_to_end_id.len() == 35));
    }
}

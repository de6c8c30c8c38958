//! `redress demo`: fills a fresh database with a demonstration of the whole
//! process, so that every page and endpoint has something to show.
//!
//! Everything in it is made up and says so: accounts are named "(demo)",
//! every narrative starts with "[Demo]", treaty actions and contributions
//! carry "Demo data" as their reason and source. The work goes through the
//! use cases of `app`, as the API's handlers call them, in this order:
//!
//! 1. staff accounts of every role (their tokens printed once, at the end);
//! 2. the convention brought into force on a past date ([`bring_into_force`]);
//! 3. valuation rules and a panel;
//! 4. claims filed by claimant accounts and taken to every stage of the
//!    Register (draft to recorded or rejected), then of the Commission: a
//!    batch assessed by the batch job, sampled, released and decided at one
//!    meeting; individual cases assigned, assessed, recommended, voted and
//!    decided; a corrected decision; a confirmed payment round, and awards
//!    paid in full, in part or not yet.
//!
//! It refuses a database that already holds claims.

use anyhow::{Context as _, anyhow, bail};
use app::accounts::AccountInput;
use app::decisions::{CouncilStep, NewPanel, Proposal, ProposedOutcome};
use app::{Actor, App, AppError, AppResult};
use commission::{
    CaseId, DismissalCode, PanelId, RecommendationId, RemainderRule, RoundPolicy, RuleKind,
    ValuationDate, ValuationRule, VoteChoice,
};
use kernel::{Action, Currency, Money, Role};
use register::{ClaimDraft, ClaimId};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use store::{Account, AuditContext};
use time::{Date, Duration};

/// `redress demo`.
#[derive(Clone, Debug, clap::Args)]
pub struct DemoArgs {
    /// How many claims to file (100 to 5,000).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(100..=5000))]
    pub claims: u32,
}

/// The contribution recorded for each ratifying signatory: 25 × 150,000.00
/// EUR = 3,750,000.00 EUR, over half of the 2025 budget's recorded total.
const DEMO_CONTRIBUTION: &str = "150000.00";

/// A use case's refusal, with its fields, as one line.
fn failed(what: &str, e: &AppError) -> anyhow::Error {
    let fields: Vec<String> = e
        .errors
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect();
    anyhow!("{what}: {} {}", e.detail, fields.join("; "))
}

trait Described<T> {
    fn doing(self, what: &str) -> anyhow::Result<T>;
}

impl<T> Described<T> for AppResult<T> {
    fn doing(self, what: &str) -> anyhow::Result<T> {
        self.map_err(|e| failed(what, &e))
    }
}

/// The account acting with what the policy grants it for `action`, as the
/// authorization layer would hand it to a use case.
fn acting(account: &Account, action: Action) -> Actor {
    let principal = account.principal();
    let permission = principal.permission(action);
    Actor {
        role: principal
            .roles
            .iter()
            .copied()
            .find(|r| kernel::permission(*r, action) == permission),
        principal,
        permission,
        request_id: None,
        idempotency_key: None,
        standing: None,
    }
}

fn eur(amount: Decimal) -> Money {
    Money::new(amount, Currency::EUR)
}

/// A small deterministic generator, so that two demos look alike.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next()).unwrap_or(0) % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ------------------------------------------------------------ accounts

/// A staff account and its token, printed once.
struct Staff {
    role: &'static str,
    account: Account,
    token: String,
}

struct Team {
    staff: Vec<Staff>,
}

impl Team {
    fn get(&self, name_part: &str) -> &Account {
        &self
            .staff
            .iter()
            .find(|s| s.account.display_name.contains(name_part))
            .unwrap_or_else(|| panic!("the demo team has {name_part}"))
            .account
    }
}

fn operator() -> AuditContext {
    AuditContext {
        actor_role: Some("operator".into()),
        reason: Some("redress demo".into()),
        ..AuditContext::default()
    }
}

async fn team(app: &App) -> anyhow::Result<Team> {
    let people: [(&str, &str, Role, Option<&str>); 12] = [
        ("admin", "Demo administrator", Role::Admin, None),
        (
            "registrar",
            "Iryna Bondar (demo registrar)",
            Role::Registrar,
            None,
        ),
        ("board", "Pieter de Vries (demo Board)", Role::Board, None),
        (
            "assessor",
            "Mykola Shevchuk (demo assessor)",
            Role::Assessor,
            None,
        ),
        (
            "assessor",
            "Anna Lindqvist (demo assessor)",
            Role::Assessor,
            None,
        ),
        (
            "commissioner",
            "Claire Martin (demo commissioner)",
            Role::Commissioner,
            None,
        ),
        (
            "commissioner",
            "Tomasz Nowak (demo commissioner)",
            Role::Commissioner,
            None,
        ),
        (
            "commissioner",
            "Giulia Rossi (demo commissioner)",
            Role::Commissioner,
            None,
        ),
        ("council", "Demo Council secretariat", Role::Council, None),
        (
            "depositary",
            "Demo depositary (Treaty Office)",
            Role::Depositary,
            None,
        ),
        ("state", "Netherlands (demo state)", Role::State, Some("NL")),
        ("auditor", "Demo auditor", Role::Auditor, None),
    ];
    let mut staff = Vec::new();
    for (role, name, r, participant) in people {
        let input = AccountInput {
            display_name: name.into(),
            roles: vec![r],
            // Every staff member of the demo may see sensitive claims.
            clearances: if r == Role::State {
                vec![]
            } else {
                vec![kernel::access::Clearance::Sensitive]
            },
            participant: participant.map(str::to_owned),
            external_subject: None,
        };
        let (account, issued) = app::accounts::create_as_operator(app, &operator(), input, None)
            .await
            .doing(name)?;
        staff.push(Staff {
            role,
            account,
            token: issued.token,
        });
    }
    Ok(Team { staff })
}

// ---------------------------------------------------------- convention

/// Brings the convention into force on a past date, as the default rule
/// reads it: 25 signatories ratify (the 25th about seven months ago, the
/// others in the two months before), and each one's contribution to the
/// Register of Damage's 2025 budget (basis `rd4u-2025-budget`) is
/// recorded, 25 × 150,000.00 EUR, over half of the budget's recorded
/// total. The convention then enters into force on the first day of the
/// month after three months. Returns that day.
pub async fn bring_into_force(app: &App, depositary: &Actor) -> anyhow::Result<Date> {
    use app::convention::{ActionInput, WeightInput};
    use ratification::ActionKind;
    let record = app::convention::record(app)
        .await
        .doing("reading the convention")?;
    let mut signatories: Vec<(String, Date)> = Vec::new();
    for action in record.treaty_actions() {
        if action.kind == ActionKind::Signature
            && !signatories
                .iter()
                .any(|(p, _)| *p == action.participant.to_string())
        {
            signatories.push((action.participant.to_string(), action.date));
        }
    }
    if signatories.len() < 25 {
        bail!(
            "the record has {} signatories; 25 must ratify",
            signatories.len()
        );
    }
    let today = app.clock.today();
    let last = today - Duration::days(215);
    for (i, (participant, signed)) in signatories.into_iter().take(25).enumerate() {
        let spread = Duration::days(2 * (24 - i64::try_from(i).unwrap_or(24)));
        let date = (last - spread).max(signed + Duration::days(1)).min(last);
        let ratified = ActionInput {
            participant: participant.clone(),
            kind: "ratification".into(),
            date: date.to_string(),
            reason: Some("Demo data: a fictional deposit of an instrument of ratification.".into()),
            ..ActionInput::default()
        };
        app::convention::record_action(app, depositary, ratified)
            .await
            .doing(&format!("ratification by {participant} on {date}"))?;
        let weight = WeightInput {
            participant: participant.clone(),
            basis: ratification::RD4U_2025_BUDGET.into(),
            value: DEMO_CONTRIBUTION.into(),
            unit: "EUR".into(),
            source: "Demo data: an assumed contribution to the Register of Damage's 2025 budget"
                .into(),
            date: "2025-12-31".into(),
            reason: Some("Demo data".into()),
            ..WeightInput::default()
        };
        app::convention::record_weight(app, depositary, weight)
            .await
            .doing(&format!("contribution of {participant}"))?;
    }
    let standing = app::convention::standing(app)
        .await
        .doing("the convention's standing")?;
    match (standing.status.in_force, standing.status.entry_into_force) {
        (true, Some(on)) => Ok(on),
        (_, on) => bail!(
            "the demo's ratifications do not bring the convention into force by today ({today}); entry into force: {on:?}"
        ),
    }
}

// -------------------------------------------------------------- claims

/// Where a claim of the demo stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Draft,
    Submitted,
    UnderReview,
    InformationRequested,
    Withdrawn,
    Rejected,
    /// Recorded: a case awaiting assessment.
    AwaitingAssessment,
    Assigned,
    Assessed,
    /// A recommendation proposed, one vote cast.
    ReadyForPanel,
    /// Adopted by the panel, before the Council.
    Recommended,
    /// A final decision dismissing the claim.
    Dismissed,
    /// Awarded after the payment round: not yet payable.
    Awarded,
    /// In the confirmed round, nothing paid yet.
    Payable,
    PartiallyPaid,
    Paid,
}

impl Stage {
    const fn name(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::UnderReview => "under review",
            Self::InformationRequested => "information requested",
            Self::Withdrawn => "withdrawn",
            Self::Rejected => "rejected",
            Self::AwaitingAssessment => "awaiting assessment",
            Self::Assigned => "assigned",
            Self::Assessed => "assessed",
            Self::ReadyForPanel => "before the panel",
            Self::Recommended => "before the Council",
            Self::Dismissed => "dismissed",
            Self::Awarded => "awarded",
            Self::Payable => "payable",
            Self::PartiallyPaid => "partially paid",
            Self::Paid => "paid",
        }
    }

    fn recorded(self) -> bool {
        self >= Self::AwaitingAssessment
    }
}

/// How many claims of each stage, out of `n` individually handled.
fn plan(n: usize) -> Vec<Stage> {
    use Stage::{
        Assessed, Assigned, AwaitingAssessment, Awarded, Dismissed, Draft, InformationRequested,
        Paid, PartiallyPaid, Payable, ReadyForPanel, Recommended, Rejected, Submitted, UnderReview,
        Withdrawn,
    };
    let shares: [(Stage, usize); 16] = [
        (Draft, 6),
        (Submitted, 6),
        (UnderReview, 6),
        (InformationRequested, 4),
        (Withdrawn, 3),
        (Rejected, 4),
        (AwaitingAssessment, 10),
        (Assigned, 8),
        (Assessed, 8),
        (ReadyForPanel, 5),
        (Recommended, 8),
        (Dismissed, 2),
        (Awarded, 8),
        (Payable, 8),
        (PartiallyPaid, 7),
        (Paid, 7),
    ];
    let total: usize = shares.iter().map(|(_, s)| s).sum();
    let mut out = Vec::with_capacity(n);
    for (stage, share) in shares {
        out.extend(std::iter::repeat_n(stage, (n * share / total).max(1)));
    }
    while out.len() < n {
        out.push(AwaitingAssessment);
    }
    out.truncate(n);
    out
}

const GIVEN_F: [&str; 10] = [
    "Олена",
    "Наталія",
    "Оксана",
    "Ірина",
    "Тетяна",
    "Марія",
    "Юлія",
    "Світлана",
    "Галина",
    "Анна",
];
const GIVEN_M: [&str; 10] = [
    "Андрій",
    "Олександр",
    "Сергій",
    "Микола",
    "Іван",
    "Дмитро",
    "Петро",
    "Василь",
    "Богдан",
    "Юрій",
];
const FAMILY: [&str; 14] = [
    "Коваленко",
    "Бондаренко",
    "Ткаченко",
    "Шевченко",
    "Кравченко",
    "Мельник",
    "Бойко",
    "Олійник",
    "Лисенко",
    "Руденко",
    "Савченко",
    "Марченко",
    "Поліщук",
    "Гончаренко",
];
const FAMILY_LATIN: [&str; 14] = [
    "Kovalenko",
    "Bondarenko",
    "Tkachenko",
    "Shevchenko",
    "Kravchenko",
    "Melnyk",
    "Boiko",
    "Oliinyk",
    "Lysenko",
    "Rudenko",
    "Savchenko",
    "Marchenko",
    "Polishchuk",
    "Honcharenko",
];
/// Regions and a settlement in each.
const PLACES: [(&str, &str); 10] = [
    ("UA-32", "Ірпінь"),
    ("UA-32", "Буча"),
    ("UA-63", "Харків"),
    ("UA-14", "Краматорськ"),
    ("UA-48", "Миколаїв"),
    ("UA-65", "Херсон"),
    ("UA-23", "Запоріжжя"),
    ("UA-59", "Суми"),
    ("UA-74", "Чернігів"),
    ("UA-18", "Житомир"),
];

/// A day of the war, between 24 February 2022 and the end of 2024.
fn war_day(dice: &mut Dice) -> Date {
    let start = time::macros::date!(2022 - 02 - 24);
    start + Duration::days(i64::try_from(dice.below(1040)).unwrap_or(0))
}

/// A claimant of the demo: a person, as filed.
struct Person {
    given: &'static str,
    family: usize,
    born: Date,
    female: bool,
}

impl Person {
    fn new(dice: &mut Dice, i: usize) -> Self {
        let female = i.is_multiple_of(2);
        Self {
            given: if female {
                *dice.pick(&GIVEN_F)
            } else {
                *dice.pick(&GIVEN_M)
            },
            family: dice.below(FAMILY.len()),
            born: time::macros::date!(1950 - 01 - 01)
                + Duration::days(i64::try_from(dice.below(365 * 50)).unwrap_or(0)),
            female,
        }
    }

    fn account_name(&self, i: usize) -> String {
        format!(
            "{} {} (demo claimant {i})",
            self.given, FAMILY_LATIN[self.family]
        )
    }

    fn claimant(&self, i: usize) -> Value {
        let family = if self.female && FAMILY[self.family].ends_with("ий") {
            FAMILY[self.family].replace("ий", "а")
        } else {
            FAMILY[self.family].to_owned()
        };
        json!({
            "claimant_type": "natural_person",
            "given_name": self.given,
            "family_name": family,
            "date_of_birth": self.born.to_string(),
            "nationalities": ["UA"],
            "contact": {"email": format!("claimant{i}@demo.example.org")},
        })
    }
}

/// A claim's content in `category`.
fn claim_json(dice: &mut Dice, category: &str, claimant: &Value) -> anyhow::Result<ClaimDraft> {
    let (region, settlement) = *dice.pick(&PLACES);
    let day = war_day(dice);
    let mut claim = json!({
        "claimant": claimant.clone(),
        "category": category,
        "incident": {"kind": "on", "date": day.to_string()},
        "location": {"region": region, "settlement": settlement},
        "external_references": [],
    });
    let (narrative, losses, fields) = match category {
        "A3.1" => {
            let house = dice.below(2) == 0;
            let area = 35 + dice.below(110);
            let destroyed = dice.below(3) == 0;
            let per_m2 = if destroyed {
                1100
            } else {
                300 + dice.below(400)
            };
            let amount = Decimal::from(area * per_m2);
            (
                format!(
                    "[Demo] Our {} in {settlement} was {} by shelling on {day}.",
                    if house { "house" } else { "apartment" },
                    if destroyed { "destroyed" } else { "damaged" }
                ),
                json!([{"description": if house { "House" } else { "Apartment" },
                        "amount": {"amount": format!("{amount}.00"), "currency": "EUR"},
                        "valuation_basis": "valuation report"}]),
                json!({"property_type": if house { "house" } else { "apartment" },
                       "floor_area_m2": format!("{area}.0"),
                       "ownership_document": format!("Certificate of ownership {}/{}", 10 + dice.below(90), 1995 + dice.below(25)),
                       "damage_extent": if destroyed { "destroyed" } else { "damaged" }}),
            )
        }
        "A1.1" => (
            format!("[Demo] We had to leave {settlement} on {day} and have lived elsewhere since."),
            json!([]),
            json!({"date_displaced": day.to_string(),
                   "idp_certificate_number": format!("{:04}-{:010}", 1000 + dice.below(9000), dice.next() % 10_000_000_000)}),
        ),
        "A2.3" => (
            format!("[Demo] I was wounded by shrapnel in {settlement} on {day}."),
            json!([]),
            json!({"date_of_injury": day.to_string(),
                   "injury_description": "Shrapnel wounds to the leg; two operations",
                   "medical_report_reference": format!("Medical report {}/{}", 100 + dice.below(900), day.year())}),
        ),
        _ => {
            let end = day + Duration::days(i64::try_from(20 + dice.below(300)).unwrap_or(30));
            (
                format!("[Demo] I was detained near {settlement} from {day} to {end}."),
                json!([]),
                json!({"detention_start": day.to_string(), "detention_end": end.to_string(),
                       "place_of_detention": "Temporary detention facility (demo)"}),
            )
        }
    };
    claim["narrative"] = json!(narrative);
    claim["losses"] = losses;
    claim["category_fields"] = fields;
    serde_json::from_value(claim).context("a demo claim")
}

/// A claim filed, with the account that filed it and where it stops.
struct Filed {
    id: ClaimId,
    stage: Stage,
    category: &'static str,
    /// Assessed and decided with the batch.
    in_batch: bool,
}

/// Files the claim and takes it through the Register to `stage` (at most
/// to recorded).
async fn through_register(
    app: &App,
    team: &Team,
    filer: &Account,
    draft: ClaimDraft,
    stage: Stage,
) -> anyhow::Result<ClaimId> {
    let claimant = acting(filer, Action::CreateClaim);
    let claim = app::claims::file(app, &claimant, draft, None)
        .await
        .doing("filing a claim")?;
    let id = claim.id;
    if stage == Stage::Draft {
        return Ok(id);
    }
    app::claims::submit(
        app,
        &acting(filer, Action::FileClaim),
        id,
        Some(claim.version),
        None,
    )
    .await
    .doing("submitting a claim")?;
    if stage == Stage::Submitted {
        return Ok(id);
    }
    if stage == Stage::Withdrawn {
        app::claims::withdraw(
            app,
            &acting(filer, Action::FileClaim),
            id,
            Some("[Demo] Filed twice by mistake.".into()),
        )
        .await
        .doing("withdrawing a claim")?;
        return Ok(id);
    }
    let registrar = acting(team.get("demo registrar"), Action::ReviewClaim);
    app::claims::start_review(app, &registrar, id)
        .await
        .doing("starting a review")?;
    match stage {
        Stage::UnderReview => return Ok(id),
        Stage::InformationRequested => {
            app::claims::request_information(
                app,
                &registrar,
                id,
                "[Demo] Please upload the document that proves your ownership or the medical report.",
            )
            .await
            .doing("asking for information")?;
            return Ok(id);
        }
        _ => {}
    }
    let (outcome, reasons) = if stage == Stage::Rejected {
        (
            app::claims::BoardOutcome::Rejected,
            "[Demo] The damage is not shown to have been caused by the aggression.",
        )
    } else {
        (
            app::claims::BoardOutcome::Recorded,
            "[Demo] Meets the criteria of the category.",
        )
    };
    app::claims::recommend(app, &registrar, id, outcome, reasons)
        .await
        .doing("recommending")?;
    app::claims::decide(
        app,
        &acting(team.get("demo Board"), Action::DecideClaim),
        id,
        None,
        outcome,
        reasons,
    )
    .await
    .doing("the Board's decision")?;
    Ok(id)
}

/// Every case awaiting assessment, by claim.
async fn cases_by_claim(app: &App, team: &Team) -> anyhow::Result<BTreeMap<ClaimId, CaseId>> {
    let council = acting(team.get("Council"), Action::ListCases);
    let mut out = BTreeMap::new();
    let mut page = kernel::PageRequest::new(Some(kernel::PageRequest::MAX_LIMIT), None);
    loop {
        let cases =
            app::cases::list_cases(app, &council, store::cases::CaseFilter::default(), page)
                .await
                .doing("listing cases")?;
        for c in &cases.items {
            out.insert(c.claim_id, c.id);
        }
        match cases
            .next_cursor
            .as_deref()
            .and_then(kernel::Cursor::decode)
        {
            Some(c) => {
                page = kernel::PageRequest::new(Some(kernel::PageRequest::MAX_LIMIT), Some(c));
            }
            None => break,
        }
    }
    Ok(out)
}

// ---------------------------------------------------------- commission

fn rule(category: &str, kind: RuleKind) -> ValuationRule {
    ValuationRule {
        category: category.into(),
        version: 1,
        kind,
        valuation_date: ValuationDate::default(),
        currency: Currency::EUR,
    }
}

/// Rules for the demo's categories, and the panel that handles them.
async fn commission_setup(app: &App, team: &Team) -> anyhow::Result<PanelId> {
    let council = acting(team.get("Council"), Action::PublishValuationRule);
    let rules = [
        rule(
            "A3.1",
            RuleKind::ClaimedWithCap {
                accepted_share: Decimal::new(85, 2),
                cap: Some(eur(Decimal::from(150_000))),
            },
        ),
        rule(
            "A1.1",
            RuleKind::Fixed {
                per_claimant: eur(Decimal::from(2_500)),
                family_cap: Some(eur(Decimal::from(10_000))),
            },
        ),
        rule(
            "A2.3",
            RuleKind::Fixed {
                per_claimant: eur(Decimal::from(15_000)),
                family_cap: None,
            },
        ),
        rule(
            "A2.6",
            RuleKind::Fixed {
                per_claimant: eur(Decimal::from(20_000)),
                family_cap: None,
            },
        ),
    ];
    for r in rules {
        let category = r.category.clone();
        app::cases::publish_rule(app, &council, r.into())
            .await
            .doing(&format!("the valuation rule of {category}"))?;
    }
    let members = ["Claire Martin", "Tomasz Nowak", "Giulia Rossi"]
        .iter()
        .map(|m| team.get(m).id)
        .collect();
    let panel = app::decisions::form_panel(
        app,
        &acting(team.get("Council"), Action::ManagePanels),
        NewPanel {
            name: "Panel 1 (demo)".into(),
            members,
            categories: ["A1.1", "A2.3", "A2.6", "A3.1"].map(str::to_owned).into(),
            batches: vec![],
        },
    )
    .await
    .doing("forming the panel")?;
    Ok(panel.panel.id)
}

/// The decision's version once the panel adopted the recommendation (the
/// first two members vote in favour).
async fn adopt(app: &App, team: &Team, rec: RecommendationId) -> anyhow::Result<i64> {
    for member in ["Claire Martin", "Tomasz Nowak"] {
        let voted = app::decisions::vote(
            app,
            &acting(team.get(member), Action::Recommend),
            rec,
            VoteChoice::InFavour,
        )
        .await
        .doing("a vote")?;
        if let Some(decision) = voted.decision {
            return Ok(decision.version);
        }
    }
    bail!("two votes of three did not adopt the recommendation")
}

/// A batch of housing cases: created, assessed by the batch job (run here,
/// as the worker runs it), sampled and reviewed by another assessor,
/// released, recommended, adopted and approved at one Council meeting.
async fn batch(app: &App, team: &Team, panel: PanelId, cases: usize) -> anyhow::Result<usize> {
    let starter = acting(team.get("Mykola Shevchuk"), Action::AssessCase);
    let created = app::batches::create(
        app,
        &starter,
        app::batches::CreateBatch {
            category: "A3.1".into(),
            max_cases: Some(u32::try_from(cases).unwrap_or(u32::MAX)),
            ..app::batches::CreateBatch::default()
        },
    )
    .await
    .doing("creating the batch")?;
    let id = created.batch.id;
    app::batches::start_assessment(app, &starter, id)
        .await
        .doing("starting the batch's assessment")?;
    let worker = "redress-demo";
    loop {
        match app::batches::claim_job(app, worker, Duration::seconds(60))
            .await
            .doing("claiming the batch job")?
        {
            None => break,
            Some(app::batches::ClaimedJob::Settled(_)) => {}
            Some(app::batches::ClaimedJob::Batch(run)) => {
                while let app::batches::Chunk::Processed(n) = run
                    .assess_chunk(app, 250)
                    .await
                    .doing("assessing a chunk")?
                {
                    if n == 0 {
                        break;
                    }
                }
                run.finish(app).await.doing("finishing the batch job")?;
            }
        }
    }
    let reviewer = acting(team.get("Anna Lindqvist"), Action::ReviewSample);
    let details = app::batches::batch(app, &reviewer, id)
        .await
        .doing("reading the batch")?;
    for case in details.batch.sample.clone().unwrap_or_default() {
        app::batches::record_finding(app, &reviewer, id, case, commission::Finding::Confirmed)
            .await
            .doing("a sample finding")?;
    }
    let council = acting(team.get("Council"), Action::ReleaseBatch);
    let version = app::batches::batch(app, &council, id)
        .await
        .doing("reading the batch")?
        .batch
        .version;
    app::batches::release(app, &council, id, version)
        .await
        .doing("releasing the batch")?;
    let recommendations = app::decisions::recommend_batch(
        app,
        &acting(team.get("Claire Martin"), Action::Recommend),
        id,
        Proposal {
            panel,
            outcome: ProposedOutcome::Award {
                amount: None,
                variation_reasons: None,
            },
        },
    )
    .await
    .doing("recommending the batch")?;
    let mut items = Vec::new();
    for r in &recommendations {
        let version = adopt(app, team, r.recommendation.id).await?;
        items.push(app::decisions::BulkItem {
            recommendation: r.recommendation.id,
            expected_version: version,
            step: Ok(CouncilStep::Approve { decided_on: None }),
        });
    }
    let decided = app::decisions::decide_many(
        app,
        &acting(team.get("Council"), Action::DecideRecommendation),
        "ICC/C(demo)/1".into(),
        items,
    )
    .await
    .doing("the Council's meeting on the batch")?;
    let approved = decided.iter().filter(|o| o.result.is_ok()).count();
    if let Some(refused) = decided.iter().find_map(|o| o.result.as_ref().err()) {
        return Err(failed("a decision on the batch", refused));
    }
    Ok(approved)
}

/// Takes a recorded case individually to `stage` (short of the Council's
/// approval, which [`approve`] gives): the decision's recommendation and
/// version when it is before the Council.
async fn individually(
    app: &App,
    team: &Team,
    panel: PanelId,
    case: CaseId,
    stage: Stage,
    dice: &mut Dice,
) -> anyhow::Result<Option<(RecommendationId, i64)>> {
    if stage == Stage::AwaitingAssessment {
        return Ok(None);
    }
    let assessor = team.get(if dice.below(2) == 0 {
        "Mykola Shevchuk"
    } else {
        "Anna Lindqvist"
    });
    let assigning = acting(assessor, Action::AssignCases);
    let known = app::cases::known_case(app, &assigning, case)
        .await
        .doing("reading a case")?;
    let assigned = app::cases::assign(app, &assigning, case, known.version, assessor.id)
        .await
        .doing("assigning a case")?;
    if stage == Stage::Assigned {
        return Ok(None);
    }
    app::cases::assess(
        app,
        &acting(assessor, Action::AssessCase),
        case,
        assigned.version,
        app::cases::AssessCase::default(),
    )
    .await
    .doing("assessing a case")?;
    if stage == Stage::Assessed {
        return Ok(None);
    }
    let outcome = if stage == Stage::Dismissed {
        ProposedOutcome::Dismissal {
            codes: vec![DismissalCode::NotSubstantiated],
            text: "[Demo] The detention is not shown by any document.".into(),
        }
    } else {
        ProposedOutcome::Award {
            amount: None,
            variation_reasons: None,
        }
    };
    let rec = app::decisions::recommend(
        app,
        &acting(team.get("Claire Martin"), Action::Recommend),
        case,
        Proposal { panel, outcome },
    )
    .await
    .doing("recommending a case")?;
    let id = rec.recommendation.id;
    if stage == Stage::ReadyForPanel {
        app::decisions::vote(
            app,
            &acting(team.get("Claire Martin"), Action::Recommend),
            id,
            VoteChoice::InFavour,
        )
        .await
        .doing("a vote")?;
        return Ok(None);
    }
    let version = adopt(app, team, id).await?;
    Ok(Some((id, version)))
}

/// The Council approves: a final decision, and the award that follows an
/// award.
async fn approve(
    app: &App,
    team: &Team,
    rec: RecommendationId,
    version: i64,
    meeting: &str,
) -> anyhow::Result<store::decisions::Issued> {
    app::decisions::decide(
        app,
        &acting(team.get("Council"), Action::DecideRecommendation),
        rec,
        version,
        CouncilStep::Approve { decided_on: None },
        Some(meeting.into()),
    )
    .await
    .doing("the Council's approval")
}

/// Rounds to the cent.
fn cents(amount: Decimal) -> Decimal {
    amount.round_dp(2)
}

/// What the demo made.
#[derive(Debug, Default)]
pub struct Summary {
    pub claims: usize,
    pub by_stage: BTreeMap<(u8, &'static str), usize>,
    pub batch_decisions: usize,
    pub entry_into_force: Option<Date>,
    pub featured_claim: Option<ClaimId>,
    pub corrected_decision: Option<String>,
    pub tokens: Vec<(String, String, String, String)>,
}

/// Fills the database. Refuses one that already holds claims.
pub async fn run(app: &App, args: &DemoArgs) -> anyhow::Result<Summary> {
    let counts = app::reports::claim_counts(app)
        .await
        .doing("counting claims")?;
    if counts.total > 0 {
        bail!(
            "this database already holds {} claims; `redress demo` fills only a fresh database \
             (point --data-dir or DATABASE_URL at a new one)",
            counts.total
        );
    }
    app::gate::seed_convention(app)
        .await
        .context("seeding the convention")?;
    if app::convention::standing(app)
        .await
        .doing("the convention's standing")?
        .status
        .counted_consents
        > 0
    {
        bail!(
            "the convention's record already has ratifications; `redress demo` fills only a fresh database"
        );
    }
    let started = std::time::Instant::now();
    let mut summary = Summary::default();
    let mut dice = Dice(0x5eed_2026);
    let team = team(app).await?;
    eprintln!("redress demo: {} staff accounts", team.staff.len());

    let depositary = acting(team.get("depositary"), Action::RecordTreatyAction);
    let in_force = bring_into_force(app, &depositary).await?;
    summary.entry_into_force = Some(in_force);
    eprintln!("redress demo: the convention in force since {in_force}");
    let panel = commission_setup(app, &team).await?;

    // The featured claimant: a house destroyed, an award paid in two
    // instalments; a second claim under review; a draft.
    let olena = app::accounts::create_as_operator(
        app,
        &operator(),
        AccountInput {
            display_name: "Olena Kovalenko (demo claimant)".into(),
            roles: vec![Role::Claimant],
            clearances: vec![],
            participant: None,
            external_subject: None,
        },
        None,
    )
    .await
    .doing("the featured claimant")?;
    let olena_person = json!({
        "claimant_type": "natural_person", "given_name": "Олена", "family_name": "Коваленко",
        "patronymic": "Петрівна", "date_of_birth": "1980-05-17", "nationalities": ["UA"],
        "contact": {"email": "olena.kovalenko@demo.example.org"}});
    let featured = claim_json(&mut dice, "A3.1", &olena_person)?;

    // The claimants of everyone else, three claims each at most.
    let total = usize::try_from(args.claims).unwrap_or(300);
    let crowd = total - 3;
    let batch_size = crowd / 3;
    let stages = plan(crowd - batch_size);
    let claimants_needed = crowd.div_ceil(3);
    let mut claimants = Vec::with_capacity(claimants_needed);
    for i in 0..claimants_needed {
        let person = Person::new(&mut dice, i);
        let account = app::accounts::create(
            app,
            &operator(),
            AccountInput {
                display_name: person.account_name(i + 1),
                roles: vec![Role::Claimant],
                clearances: vec![],
                participant: None,
                external_subject: None,
            },
        )
        .await
        .doing("a claimant's account")?;
        claimants.push((account, person));
    }
    eprintln!("redress demo: {} claimant accounts", claimants.len() + 1);

    // The batch's claims first, so that the batch takes them alone.
    let mut filed: Vec<Filed> = Vec::new();
    for i in 0..batch_size {
        let (account, person) = &claimants[i % claimants.len()];
        let draft = claim_json(&mut dice, "A3.1", &person.claimant(i % claimants.len() + 1))?;
        let id = through_register(app, &team, account, draft, Stage::AwaitingAssessment).await?;
        filed.push(Filed {
            id,
            stage: Stage::Payable,
            category: "A3.1",
            in_batch: true,
        });
    }
    summary.batch_decisions = batch(app, &team, panel, batch_size).await?;
    eprintln!("redress demo: a batch of {batch_size} housing cases assessed, released and decided");

    let featured_id = through_register(app, &team, &olena.0, featured, Stage::Paid).await?;
    filed.push(Filed {
        id: featured_id,
        stage: Stage::Paid,
        category: "A3.1",
        in_batch: false,
    });
    summary.featured_claim = Some(featured_id);
    for (category, stage) in [
        ("A1.1", Stage::InformationRequested),
        ("A2.3", Stage::Draft),
    ] {
        let draft = claim_json(&mut dice, category, &olena_person)?;
        let id = through_register(app, &team, &olena.0, draft, stage).await?;
        filed.push(Filed {
            id,
            stage,
            category,
            in_batch: false,
        });
    }
    let categories = ["A1.1", "A2.3", "A2.6", "A3.1"];
    for (i, stage) in stages.iter().enumerate() {
        let n = batch_size + i;
        let (account, person) = &claimants[n % claimants.len()];
        let category = if *stage == Stage::Dismissed {
            "A2.6"
        } else {
            categories[i % categories.len()]
        };
        let draft = claim_json(
            &mut dice,
            category,
            &person.claimant(n % claimants.len() + 1),
        )?;
        let id = through_register(app, &team, account, draft, *stage).await?;
        filed.push(Filed {
            id,
            stage: *stage,
            category,
            in_batch: false,
        });
    }
    eprintln!("redress demo: {} claims filed", filed.len());

    // The Commission's individual cases.
    let cases = cases_by_claim(app, &team).await?;
    let mut before_council = Vec::new();
    for f in filed.iter().filter(|f| f.stage.recorded()) {
        let Some(case) = cases.get(&f.id).copied() else {
            continue;
        };
        if f.in_batch {
            continue;
        }
        if let Some(rec) = individually(app, &team, panel, case, f.stage, &mut dice).await? {
            before_council.push((f, rec));
        }
    }
    // Decided before the payment round: everything but what stays
    // awarded after it.
    let mut corrected = false;
    let mut later = Vec::new();
    for (f, (rec, version)) in before_council {
        match f.stage {
            Stage::Recommended => {}
            Stage::Awarded => later.push((rec, version)),
            _ => {
                let issued = approve(app, &team, rec, version, "ICC/C(demo)/2").await?;
                // One award corrected: the assessment used the wrong sum.
                if let (false, "A2.3", Some(award)) = (corrected, f.category, &issued.award) {
                    {
                        let amount = award.award.amount.amount() + Decimal::from(2_500);
                        let correction = app::decisions::correct(
                            app,
                            &acting(team.get("Council"), Action::DecideRecommendation),
                            issued.decision.decision.id,
                            app::decisions::NewCorrection {
                                reason: commission::CorrectionReason::ComputationalError,
                                explanation: "[Demo] The aggravated-injury supplement of 2,500.00 EUR was left out of the sum.".into(),
                                corrected: app::decisions::Corrected::Amount(eur(amount)),
                                meeting_reference: Some("ICC/C(demo)/3".into()),
                                decided_on: None,
                            },
                        )
                        .await
                        .doing("correcting a decision")?;
                        summary.corrected_decision =
                            correction.decision.decision.number.map(|n| n.to_string());
                        corrected = true;
                    }
                }
            }
        }
    }

    // A payment round over every award so far, then payments.
    let council = acting(team.get("Council"), Action::ManagePayments);
    let round = app::awards::preview_round(
        app,
        &council,
        eur(Decimal::from(50_000_000)),
        RoundPolicy {
            priority_amount: Some(eur(Decimal::from(10_000))),
            remainder: RemainderRule::ProRata,
        },
    )
    .await
    .doing("previewing the payment round")?;
    app::awards::confirm_round(app, &council, round.id)
        .await
        .doing("confirming the payment round")?;
    let allotted: BTreeMap<_, _> = round
        .preview
        .lines
        .iter()
        .map(|l| (l.award, l.amount))
        .collect();
    let reader = acting(team.get("Council"), Action::ReadAwards);
    // Bank details for the payees of the round (well-known specimen
    // accounts), all but the last: its payee shows as blocked in the
    // round's payment file.
    let specimens = [
        ("DE89370400440532013000", "COBADEFFXXX"),
        ("UA213223130000026007233566001", "PBANUA2X"),
    ];
    let payees = acting(team.get("Council"), Action::ManagePayments);
    for (n, id) in allotted
        .keys()
        .enumerate()
        .take(allotted.len().saturating_sub(1))
    {
        let (iban, bic) = specimens[n % specimens.len()];
        let award = app::awards::award(app, &reader, *id)
            .await
            .doing("an award of the round")?;
        app::awards::set_payees(
            app,
            &payees,
            *id,
            award.version,
            app::awards::NewPayees {
                payees: commission::Payees::claimant(),
                bank_details: vec![commission::GivenBankAccount {
                    iban: Some(iban.into()),
                    bic: Some(bic.into()),
                }],
            },
        )
        .await
        .doing("recording a payee's bank details")?;
    }
    let stage_of: BTreeMap<ClaimId, Stage> = filed.iter().map(|f| (f.id, f.stage)).collect();
    let today = app.clock.today();
    for (n, (id, share)) in allotted.iter().enumerate() {
        let award = app::awards::award(app, &reader, *id)
            .await
            .doing("an award of the round")?;
        let stage = stage_of.get(&award.claim_id).copied();
        let share = share.amount();
        let parts: Vec<Decimal> = match stage {
            Some(Stage::Paid) => {
                let first = cents(share * Decimal::new(4, 1));
                vec![first, share - first]
            }
            Some(Stage::PartiallyPaid) => vec![cents(share * Decimal::new(6, 1))],
            _ => continue,
        };
        let mut version = award.version;
        for (k, part) in parts.into_iter().enumerate() {
            let paid = app::awards::record_payment(
                app,
                &council,
                award.award.id,
                version,
                app::awards::NewPayment {
                    amount: eur(part),
                    paid_on: today,
                    reference: format!("DEMO-R1-{:04}-{}", n + 1, k + 1),
                },
            )
            .await
            .doing("recording a payment")?;
            version = paid.version;
        }
    }
    for (rec, version) in later {
        approve(app, &team, rec, version, "ICC/C(demo)/4").await?;
    }

    for f in &filed {
        *summary
            .by_stage
            .entry((f.stage as u8, f.stage.name()))
            .or_default() += 1;
    }
    summary.claims = filed.len();
    summary.tokens = team
        .staff
        .iter()
        .map(|s| {
            (
                s.role.to_owned(),
                s.account.display_name.clone(),
                s.account.id.to_string(),
                s.token.clone(),
            )
        })
        .chain(std::iter::once((
            "claimant".to_owned(),
            olena.0.display_name.clone(),
            olena.0.id.to_string(),
            olena.1.token.clone(),
        )))
        .collect();
    eprintln!(
        "redress demo: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(summary)
}

/// What `redress demo` prints: the tokens, once, and where to look.
pub fn report(summary: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "A demonstration is in the database: every name, claim and figure in it is made up.\n"
    );
    if let Some(on) = summary.entry_into_force {
        let _ = writeln!(
            out,
            "The convention is in force since {on} (25 demo ratifications and contributions)."
        );
    }
    let _ = writeln!(
        out,
        "{} claims at every stage ({}); {} decisions on one batch{}.\n",
        summary.claims,
        summary
            .by_stage
            .iter()
            .map(|((_, k), v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", "),
        summary.batch_decisions,
        summary
            .corrected_decision
            .as_ref()
            .map(|d| format!("; {d} corrects an earlier decision"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "Tokens, shown only this once (sign in at /sign-in, or `Authorization: Bearer ...`):\n"
    );
    for (role, name, id, token) in &summary.tokens {
        let _ = writeln!(out, "{role:<13} {token}  {name} (account {id})");
    }
    if let Some(claim) = summary.featured_claim {
        let _ = writeln!(
            out,
            "\nThe claimant's paid award: /my/claims/{claim} (signed in with the claimant's token)."
        );
    }
    let _ = writeln!(
        out,
        "Then serve this database (`redress serve`, with the same --data-dir or DATABASE_URL) and open\n\
         http://localhost:8080/ (the tracker), /console (staff), /my (the claimant)."
    );
    out
}

//! A decision letter as both its printed forms show it (the web page and
//! the PDF): sections of labelled lines, every label and fixed word in
//! Ukrainian and English, one letter for both languages. What people wrote
//! (reasons, explanations, names) stands as written.

use app::letters::{Letter, LetterContent, Verification};
use commission::{
    CorrectionReason, CouncilAction, DismissalCode, Outcome, ReviewOutcome, VoteChoice,
};
use kernel::Money;

/// Ukrainian first, then English.
fn bi(uk: &str, en: &str) -> String {
    format!("{uk} / {en}")
}

/// Money at its currency's minor unit, with the currency's code.
pub fn money(m: &Money) -> String {
    format!(
        "{} {}",
        super::money::text(m.amount(), m.currency().code()),
        m.currency().code()
    )
}

/// One labelled line; an empty label continues the line above.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub label: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub title: String,
    pub lines: Vec<Line>,
}

/// The letter, ready to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrintedLetter {
    pub issuer: String,
    pub title: String,
    pub number: String,
    /// Set when a later decision corrected this one.
    pub superseded: Option<String>,
    pub sections: Vec<Section>,
    pub code: String,
    pub content_hash: String,
    /// Where the letter is checked (a path on this service).
    pub verify_path: String,
    pub verify_note: String,
}

fn line(label: String, value: impl Into<String>) -> Line {
    Line {
        label,
        value: value.into(),
    }
}

fn dismissal_code(code: DismissalCode) -> String {
    match code {
        DismissalCode::OutsideTemporalScope => {
            bi("поза часовими межами", "outside the temporal scope")
        }
        DismissalCode::OutsideTerritory => bi("поза територією", "outside the territory"),
        DismissalCode::NoCausalLink => bi("немає причинного зв'язку", "no causal link"),
        DismissalCode::NotSubstantiated => bi("не доведено", "not substantiated"),
        DismissalCode::ClaimantNotEligible => bi("заявник не має права", "claimant not eligible"),
        DismissalCode::NoStanding => bi("немає повноважень", "no standing"),
        DismissalCode::DuplicateClaim => bi("повторна заява", "duplicate claim"),
        DismissalCode::AlreadyCompensated => bi("вже відшкодовано", "already compensated"),
        DismissalCode::Other => bi("інше", "other"),
    }
}

fn choice(c: VoteChoice) -> String {
    match c {
        VoteChoice::InFavour => bi("за", "in favour"),
        VoteChoice::Against => bi("проти", "against"),
        VoteChoice::Abstain => bi("утримався", "abstained"),
    }
}

fn outcome_lines(outcome: &Outcome, out: &mut Vec<Line>) {
    match outcome {
        Outcome::Award {
            amount,
            variation_reasons,
        } => {
            out.push(line(bi("Результат", "Outcome"), bi("присудження", "award")));
            out.push(line(bi("Сума", "Amount"), money(amount)));
            if let Some(r) = variation_reasons {
                out.push(line(
                    bi("Причини відхилення від оцінки", "Reasons for the variation"),
                    r.clone(),
                ));
            }
        }
        Outcome::Dismissal { codes, text } => {
            out.push(line(bi("Результат", "Outcome"), bi("відмова", "dismissal")));
            out.push(line(
                bi("Підстави", "Grounds"),
                codes
                    .iter()
                    .map(|c| dismissal_code(*c))
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
            out.push(line(bi("Мотивування", "Reasons"), text.clone()));
        }
    }
}

fn outcome_word(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Award { amount, .. } => {
            format!("{} {}", bi("присудження", "award"), money(amount))
        }
        Outcome::Dismissal { .. } => bi("відмова", "dismissal"),
    }
}

fn council_line(action: &CouncilAction) -> Line {
    match action {
        CouncilAction::Approve { number, decided_on } => line(
            bi("Рада затвердила", "Approved by the Council"),
            format!("{number}, {decided_on}"),
        ),
        CouncilAction::ReturnToPanel { reasons } => line(
            bi("Повернуто колегії", "Returned to the panel"),
            reasons.clone(),
        ),
        CouncilAction::ReferToReviewCommittee { grounds } => line(
            bi(
                "Передано Комітету з перегляду",
                "Referred to a Review Committee",
            ),
            grounds.clone(),
        ),
        CouncilAction::RecordReviewOutcome { outcome } => match outcome {
            ReviewOutcome::Upheld { reasons } => line(
                bi(
                    "Комітет з перегляду: підтримано",
                    "Review Committee: upheld",
                ),
                reasons.clone(),
            ),
            ReviewOutcome::Varied { outcome, reasons } => line(
                bi("Комітет з перегляду: змінено", "Review Committee: varied"),
                format!("{}. {reasons}", outcome_word(outcome)),
            ),
        },
        CouncilAction::ReferToAssembly { grounds } => line(
            bi("Передано Асамблеї", "Referred to the Assembly"),
            grounds.clone(),
        ),
        CouncilAction::RecordAssemblyVote { vote } => line(
            bi("Голосування Асамблеї", "Assembly vote"),
            format!(
                "{} {}, {} {}, {} {}: {}",
                bi("за", "in favour"),
                vote.in_favour,
                bi("проти", "against"),
                vote.against,
                bi("утрималися", "abstentions"),
                vote.abstentions,
                if vote.adopted() {
                    bi("ухвалено", "adopted")
                } else {
                    bi("не ухвалено", "not adopted")
                }
            ),
        ),
    }
}

fn sections(c: &LetterContent) -> Vec<Section> {
    let mut decision = vec![
        line(bi("Номер рішення", "Decision number"), c.number.to_string()),
        line(bi("Дата рішення", "Date of decision"), c.decided_on.clone()),
    ];
    if let Some(r) = &c.claim_reference {
        decision.push(line(bi("Заява", "Claim"), r.clone()));
    }
    decision.push(line(bi("Категорія", "Category"), c.category.clone()));
    if let Some(m) = &c.meeting_reference {
        decision.push(line(bi("Засідання", "Meeting"), m.clone()));
    }
    outcome_lines(&c.outcome, &mut decision);
    let mut out = vec![Section {
        title: bi("Рішення", "Decision"),
        lines: decision,
    }];
    if let Some(s) = &c.supersedes {
        out.push(Section {
            title: bi("Виправлення", "Correction"),
            lines: vec![
                line(
                    bi("Замінює рішення", "Supersedes decision"),
                    s.number.to_string(),
                ),
                line(
                    bi("Підстава", "Ground"),
                    match s.reason {
                        CorrectionReason::ClericalError => bi("описка", "clerical error"),
                        CorrectionReason::ComputationalError => {
                            bi("помилка в розрахунку", "computational error")
                        }
                    },
                ),
                line(bi("Пояснення", "Explanation"), s.explanation.clone()),
            ],
        });
    }
    if let Some(p) = &c.panel {
        let mut lines = vec![
            line(bi("Колегія", "Panel"), p.panel.clone()),
            line(bi("Запропонував", "Proposed by"), p.proposed_by.clone()),
            line(
                bi("Рекомендація", "Recommendation"),
                outcome_word(&p.recommended),
            ),
        ];
        if let Some(a) = &p.assessed_amount {
            lines.push(line(bi("Оцінена сума", "Assessed amount"), money(a)));
        }
        for v in &p.votes {
            lines.push(line(
                bi("Голос", "Vote"),
                format!("{}: {}", v.member, choice(v.choice)),
            ));
        }
        out.push(Section {
            title: bi("Колегія уповноважених", "Panel of Commissioners"),
            lines,
        });
    }
    if !c.council.is_empty() {
        out.push(Section {
            title: bi("Рада", "Council"),
            lines: c.council.iter().map(council_line).collect(),
        });
    }
    if let Some(a) = &c.assessment {
        let mut lines = vec![line(bi("Правило оцінки", "Valuation rule"), a.rule.clone())];
        lines.extend(
            a.steps
                .iter()
                .map(|s| line(s.label.clone(), money(&s.result))),
        );
        lines.push(line(
            bi("Результат оцінки", "Assessed result"),
            money(&a.result),
        ));
        out.push(Section {
            title: bi("Оцінка", "Assessment"),
            lines,
        });
    }
    out
}

/// The letter with its sections, code and hash, to print.
pub fn printed(letter: &Letter) -> PrintedLetter {
    let code = letter.code.grouped();
    PrintedLetter {
        issuer: bi("Комісія з розгляду претензій", "Claims Commission"),
        title: bi("Лист про рішення", "Decision letter"),
        number: letter.content.number.to_string(),
        superseded: letter.superseded_by.map(|n| {
            format!(
                "Це рішення замінено рішенням {n}. / This decision was superseded by decision {n}."
            )
        }),
        sections: sections(&letter.content),
        verify_path: format!("/verify/{code}"),
        verify_note: bi(
            "Перевірте цей лист за кодом на сторінці",
            "Check this letter by its code at",
        ),
        code,
        content_hash: letter.content_hash.clone(),
    }
}

/// The words of a verification's outcome.
pub fn verified_outcome(v: &Verification) -> String {
    match v.outcome {
        "award" => bi("присудження", "award"),
        _ => bi("відмова", "dismissal"),
    }
}

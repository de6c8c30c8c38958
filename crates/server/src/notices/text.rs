//! What a notice says, in Ukrainian and English.
//!
//! A notice names the claim by its reference number only and sends the
//! claimant to their page: an e-mail can be read by others, forwarded or
//! kept by the mail provider, so nothing of the claim (category, amounts,
//! reasons, messages) is in it.

use store::notifications::{Notice, NoticeKind};

/// The subject and plain-text body of a notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub body: String,
}

/// The letter of `notice`, linking to `{public_url}/my`.
pub fn letter(notice: &Notice, public_url: &str) -> Letter {
    let reference = notice.reference.as_deref().unwrap_or("—");
    let link = format!("{}/my", public_url.trim_end_matches('/'));
    let (subject, lead) = if notice.language == "en" {
        english(notice.kind)
    } else {
        ukrainian(notice.kind)
    };
    let footer = if notice.language == "en" {
        "Sign in to see your claims and everything about them:"
    } else {
        "Увійдіть, щоб переглянути свої заяви й усе про них:"
    };
    let closing = if notice.language == "en" {
        "This message was sent automatically; please do not reply to it. \
         You can switch these e-mails off for your claim."
    } else {
        "Цей лист надіслано автоматично; не відповідайте на нього. \
         Ці листи можна вимкнути для вашої заяви."
    };
    Letter {
        subject: subject.replace("{reference}", reference),
        body: format!(
            "{}\n\n{footer}\n{link}\n\n{closing}\n",
            lead.replace("{reference}", reference)
        ),
    }
}

const fn english(kind: NoticeKind) -> (&'static str, &'static str) {
    match kind {
        NoticeKind::Submitted => (
            "Your claim {reference} has been submitted",
            "Your claim has been submitted to the Register of Damage and given the \
             reference number {reference}. Please quote this number whenever you \
             contact the Register.",
        ),
        NoticeKind::InformationRequested => (
            "Information requested on your claim {reference}",
            "The secretariat of the Register has asked for more information about \
             your claim {reference}. Please read the request and answer it on your page.",
        ),
        NoticeKind::Recorded => (
            "Your claim {reference} has been recorded",
            "The Board of the Register has decided on your claim {reference}: it has \
             been recorded in the Register. The Claims Commission will now assess it.",
        ),
        NoticeKind::Rejected => (
            "The Board has decided on your claim {reference}",
            "The Board of the Register has decided on your claim {reference}: it has \
             not been recorded in the Register. The decision and its reasons are on \
             your page.",
        ),
        NoticeKind::DecisionIssued => (
            "The Claims Commission has decided on your claim {reference}",
            "The Claims Commission has issued its final decision on your claim \
             {reference}. You can read it on your page.",
        ),
        NoticeKind::DecisionCorrected => (
            "The decision on your claim {reference} has been corrected",
            "The Claims Commission has issued a decision correcting its earlier \
             decision on your claim {reference}. You can read it on your page.",
        ),
        NoticeKind::PaymentRecorded => (
            "A payment on your claim {reference}",
            "A payment has been recorded on the award made on your claim {reference}. \
             The details are on your page.",
        ),
    }
}

const fn ukrainian(kind: NoticeKind) -> (&'static str, &'static str) {
    match kind {
        NoticeKind::Submitted => (
            "Вашу заяву {reference} подано",
            "Вашу заяву подано до Реєстру збитків, їй присвоєно номер {reference}. \
             Зазначайте цей номер щоразу, коли звертаєтеся до Реєстру.",
        ),
        NoticeKind::InformationRequested => (
            "Запит інформації щодо вашої заяви {reference}",
            "Секретаріат Реєстру просить надати додаткову інформацію щодо вашої \
             заяви {reference}. Прочитайте запит і дайте відповідь на своїй сторінці.",
        ),
        NoticeKind::Recorded => (
            "Вашу заяву {reference} внесено до Реєстру",
            "Правління Реєстру ухвалило рішення щодо вашої заяви {reference}: її \
             внесено до Реєстру. Далі її оцінить Комісія з розгляду претензій.",
        ),
        NoticeKind::Rejected => (
            "Правління ухвалило рішення щодо вашої заяви {reference}",
            "Правління Реєстру ухвалило рішення щодо вашої заяви {reference}: її не \
             внесено до Реєстру. Рішення та його підстави — на вашій сторінці.",
        ),
        NoticeKind::DecisionIssued => (
            "Комісія ухвалила рішення щодо вашої заяви {reference}",
            "Комісія з розгляду претензій ухвалила остаточне рішення щодо вашої \
             заяви {reference}. Ознайомитися з ним можна на вашій сторінці.",
        ),
        NoticeKind::DecisionCorrected => (
            "Рішення щодо вашої заяви {reference} виправлено",
            "Комісія з розгляду претензій ухвалила рішення, яке виправляє її \
             попереднє рішення щодо вашої заяви {reference}. Ознайомитися з ним \
             можна на вашій сторінці.",
        ),
        NoticeKind::PaymentRecorded => (
            "Виплата за вашою заявою {reference}",
            "За вашою заявою {reference} зареєстровано виплату присудженої суми. \
             Подробиці — на вашій сторінці.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(kind: NoticeKind, language: &str) -> Notice {
        Notice {
            id: uuid::Uuid::now_v7(),
            claim: register::ClaimId::new(),
            recipient: "olena@example.ua".into(),
            language: language.into(),
            kind,
            reference: Some("RD-2026-0000123".into()),
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: time::OffsetDateTime::UNIX_EPOCH,
            sent_at: None,
            last_error: None,
        }
    }

    #[test]
    fn every_letter_names_the_reference_and_links_to_the_claimants_page() {
        for kind in NoticeKind::ALL {
            for language in ["uk", "en"] {
                let l = letter(&notice(kind, language), "https://redress.example.org/");
                assert!(l.subject.contains("RD-2026-0000123"), "{kind:?} {language}");
                assert!(l.body.contains("RD-2026-0000123"), "{kind:?} {language}");
                assert!(
                    l.body.contains("https://redress.example.org/my\n"),
                    "{kind:?} {language}"
                );
                assert!(!l.body.contains("{reference}"));
            }
        }
    }

    #[test]
    fn the_language_is_the_claims() {
        let uk = letter(&notice(NoticeKind::Recorded, "uk"), "https://r.example");
        let en = letter(&notice(NoticeKind::Recorded, "en"), "https://r.example");
        assert!(uk.subject.contains("внесено до Реєстру"));
        assert!(en.subject.contains("has been recorded"));
    }
}

//! Synthetic claims from a seed: the categories and regions of the
//! Register's seed data, Ukrainian names in Cyrillic, amounts spread over
//! three orders of magnitude, and evidence file sizes.
//!
//! The same seed gives the same claims, so two runs load the same data.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use register::{Category, ClaimantType, FieldKind};
use serde_json::{Map, Value, json};

const GIVEN_FEMALE: [&str; 16] = [
    "Олена",
    "Оксана",
    "Ірина",
    "Наталія",
    "Тетяна",
    "Юлія",
    "Світлана",
    "Марія",
    "Ганна",
    "Людмила",
    "Вікторія",
    "Катерина",
    "Галина",
    "Софія",
    "Дарина",
    "Лариса",
];
const GIVEN_MALE: [&str; 16] = [
    "Олександр",
    "Андрій",
    "Сергій",
    "Володимир",
    "Дмитро",
    "Микола",
    "Іван",
    "Василь",
    "Петро",
    "Юрій",
    "Богдан",
    "Тарас",
    "Віталій",
    "Олег",
    "Михайло",
    "Роман",
];
/// Surnames; `-енко`, `-ук` and `-ський` forms as frequent as in life.
pub(crate) const FAMILY: [&str; 24] = [
    "Коваленко",
    "Бондаренко",
    "Ткаченко",
    "Шевченко",
    "Кравченко",
    "Олійник",
    "Шевчук",
    "Поліщук",
    "Бойко",
    "Ковальчук",
    "Мельник",
    "Лисенко",
    "Марченко",
    "Руденко",
    "Савченко",
    "Петренко",
    "Гончаренко",
    "Мороз",
    "Левченко",
    "Павленко",
    "Ковальський",
    "Вишневський",
    "Кузьменко",
    "Захарченко",
];
const PATRONYMIC_ROOTS: [&str; 10] = [
    "Петр",
    "Іван",
    "Олександр",
    "Миколай",
    "Василь",
    "Сергій",
    "Андрій",
    "Михайл",
    "Юрій",
    "Володимир",
];
const SETTLEMENTS: [&str; 16] = [
    "Ірпінь",
    "Буча",
    "Харків",
    "Херсон",
    "Маріуполь",
    "Ізюм",
    "Чернігів",
    "Миколаїв",
    "Суми",
    "Бахмут",
    "Гостомель",
    "Запоріжжя",
    "Краматорськ",
    "Охтирка",
    "Бородянка",
    "Куп'янськ",
];
const STREETS: [&str; 10] = [
    "вул. Шевченка",
    "вул. Франка",
    "просп. Миру",
    "вул. Соборна",
    "вул. Грушевського",
    "вул. Лесі Українки",
    "вул. Садова",
    "вул. Університетська",
    "вул. Незалежності",
    "пров. Тихий",
];
const NARRATIVES: [&str; 8] = [
    "Будинок було зруйновано внаслідок артилерійського обстрілу.",
    "Квартира пошкоджена вибуховою хвилею, вибито вікна та двері.",
    "Майно знищене під час окупації населеного пункту.",
    "Родина була змушена виїхати через бойові дії та втратила житло.",
    "Внаслідок ракетного удару обвалився дах і згоріло майно.",
    "Автомобіль та господарські будівлі знищені під час обстрілу.",
    "Підприємство припинило роботу після пошкодження приміщень.",
    "Земельна ділянка замінована, доступ до неї неможливий.",
];
/// Regions where most of the damage is, weighted up as in the damage
/// registers; the other regions keep weight 1.
const HEAVY_REGIONS: [&str; 10] = [
    "UA-14", "UA-63", "UA-65", "UA-23", "UA-32", "UA-30", "UA-59", "UA-74", "UA-12", "UA-48",
];

/// The catalogue the generator draws from.
#[derive(Clone, Debug)]
pub(crate) struct Catalogue {
    /// Categories open today for natural persons, not sensitive, whose
    /// generated claims pass the pre-screen; with draw weights.
    pub(crate) categories: Vec<(Category, u32)>,
    /// Region codes, with draw weights.
    pub(crate) regions: Vec<(String, u32)>,
}

impl Catalogue {
    /// From the Register's seed data, keeping what a generated claim can
    /// be filed and submitted in.
    pub(crate) fn from_seed(today: time::Date) -> anyhow::Result<Self> {
        let regions_seed = register::seed::regions()?;
        let regions: Vec<(String, u32)> = regions_seed
            .iter()
            .map(|r| {
                let code = r.code.as_str().to_owned();
                let weight = if HEAVY_REGIONS.contains(&code.as_str()) {
                    8
                } else {
                    1
                };
                (code, weight)
            })
            .collect();
        let mut catalogue = Self {
            categories: Vec::new(),
            regions,
        };
        let config = register::EligibilityConfig::default();
        let mut rng = StdRng::seed_from_u64(0);
        for category in register::seed::categories()? {
            if category.claimant_type != ClaimantType::NaturalPerson
                || category.sensitive
                || category.accepts_claims(today).is_err()
            {
                continue;
            }
            let weight = match category.code.as_str() {
                "A3.1" => 12,
                "A1.1" => 6,
                "A3.3" | "A3.7" => 3,
                _ => 1,
            };
            // A category whose form this generator cannot fill is left
            // out rather than sent to fail the pre-screen.
            let sample = catalogue.claim_in(&mut rng, &category, 0);
            let Ok(draft) = serde_json::from_value::<register::ClaimDraft>(sample) else {
                continue;
            };
            if register::prescreen(&draft, Some(&category), &regions_seed, &config, today).is_ok() {
                catalogue.categories.push((category, weight));
            }
        }
        anyhow::ensure!(
            !catalogue.categories.is_empty(),
            "no seed category accepts generated claims"
        );
        Ok(catalogue)
    }

    /// Category codes the generator uses.
    pub(crate) fn category_codes(&self) -> Vec<String> {
        self.categories
            .iter()
            .map(|(c, _)| c.code.as_str().to_owned())
            .collect()
    }

    /// A claim draft as `POST /v1/claims` takes it; `serial` makes the
    /// claimant's tax number and the cadastral number unique, so that
    /// generated claims are not flagged as duplicates of each other.
    pub(crate) fn claim(&self, rng: &mut StdRng, serial: u64) -> Value {
        let category = &weighted(rng, &self.categories).clone();
        self.claim_in(rng, category, serial)
    }

    fn claim_in(&self, rng: &mut StdRng, category: &Category, serial: u64) -> Value {
        let female = rng.random_bool(0.55);
        let given = if female {
            *GIVEN_FEMALE.choose(rng).unwrap_or(&"Олена")
        } else {
            *GIVEN_MALE.choose(rng).unwrap_or(&"Іван")
        };
        let family = *FAMILY.choose(rng).unwrap_or(&"Коваленко");
        let root = *PATRONYMIC_ROOTS.choose(rng).unwrap_or(&"Петр");
        let patronymic = if female {
            format!("{root}івна")
        } else {
            format!("{root}ович")
        };
        let region = weighted(rng, &self.regions).clone();
        let incident = random_date(rng, (2022, 3, 1), (2025, 10, 31));
        let settlement = *SETTLEMENTS.choose(rng).unwrap_or(&"Ірпінь");
        let street = *STREETS.choose(rng).unwrap_or(&"вул. Шевченка");
        let house = rng.random_range(1..200);
        let mut location = json!({
            "region": region,
            "settlement": settlement,
            "address": format!("{street} {house}"),
            "occupied_territory": category.occupied_territory_required || rng.random_bool(0.2),
        });
        if category.code.as_str().starts_with("A3") {
            location["cadastral_number"] = json!(cadastral(serial, rng));
        }
        let losses: Vec<Value> = if category.losses_required || rng.random_bool(0.3) {
            (0..rng.random_range(1..=3))
                .map(|i| {
                    let description =
                        ["Житловий будинок", "Майно домогосподарства", "Автомобіль"][i % 3];
                    json!({
                        "description": description,
                        "amount": amount(rng),
                        "valuation_basis": "оцінка",
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut fields = Map::new();
        for spec in &category.required_fields {
            if !spec.required && rng.random_bool(0.5) {
                continue;
            }
            let value = match spec.kind {
                FieldKind::Text => json!("Дані надано заявником"),
                FieldKind::Date => json!(incident.to_string()),
                FieldKind::Decimal => json!(format!("{}.5", rng.random_range(20..300))),
                FieldKind::Integer => json!(rng.random_range(1..6)),
                FieldKind::Boolean => json!(true),
                FieldKind::Relationship => json!("spouse"),
                FieldKind::Choice => json!(spec.options.choose(rng).cloned().unwrap_or_default()),
                FieldKind::Country => json!("PL"),
            };
            fields.insert(spec.name.clone(), value);
        }
        let email_id = serial;
        json!({
            "claimant": {
                "claimant_type": "natural_person",
                "given_name": given,
                "family_name": family,
                "patronymic": patronymic,
                "date_of_birth": random_date(rng, (1940, 1, 1), (2003, 12, 31)).to_string(),
                "tax_number": rnokpp(serial),
                "nationalities": ["UA"],
                "contact": {"email": format!("claimant{email_id}@example.ua"), "phone": "+380501234567"},
            },
            "category": category.code.as_str(),
            "incident": {"kind": "on", "date": incident.to_string()},
            "location": location,
            "narrative": *NARRATIVES.choose(rng).unwrap_or(&NARRATIVES[0]),
            "losses": losses,
            "external_references": [],
            "category_fields": fields,
        })
    }
}

/// Evidence file sizes in bytes: most are phone photos and scanned PDFs of
/// a few hundred KiB, a few are videos of tens of MiB (log-uniform between
/// 40 KiB and 25 MiB, the default upload limit).
pub(crate) fn evidence_size(rng: &mut StdRng) -> u64 {
    let low = (40.0f64 * 1024.0).ln();
    let high = (25.0f64 * 1024.0 * 1024.0).ln();
    let x: f64 = rng.random_range(0.0..1.0);
    // Squared: small files are far more common than large ones.
    let size = (low + (high - low) * x * x).exp();
    float_to_u64(size)
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "sizes and amounts are positive and far below 2^52"
)]
fn float_to_u64(x: f64) -> u64 {
    x.max(0.0).round() as u64
}

/// An amount: log-uniform from 300 to 600,000, in EUR or (a third) UAH
/// at about forty to the euro.
fn amount(rng: &mut StdRng) -> Value {
    let x: f64 = rng.random_range((300.0f64).ln()..(600_000.0f64).ln());
    let cents = float_to_u64(x.exp() * 100.0);
    let (currency, cents) = if rng.random_bool(0.33) {
        ("UAH", cents * 40)
    } else {
        ("EUR", cents)
    };
    json!({"amount": format!("{}.{:02}", cents / 100, cents % 100), "currency": currency})
}

fn weighted<'a, T>(rng: &mut StdRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut pick = rng.random_range(0..total.max(1));
    for (item, w) in items {
        if pick < *w {
            return item;
        }
        pick -= w;
    }
    &items[0].0
}

fn random_date(rng: &mut StdRng, from: (i32, u8, u8), to: (i32, u8, u8)) -> time::Date {
    let date = |(y, m, d): (i32, u8, u8)| {
        time::Date::from_calendar_date(
            y,
            time::Month::try_from(m).unwrap_or(time::Month::January),
            d,
        )
        .unwrap_or(time::Date::MIN)
    };
    let (a, b) = (date(from).to_julian_day(), date(to).to_julian_day());
    time::Date::from_julian_day(rng.random_range(a..=b)).unwrap_or(time::Date::MIN)
}

/// A valid taxpayer number (RNOKPP) unique to `serial`: nine digits and
/// the check digit.
pub(crate) fn rnokpp(serial: u64) -> String {
    const WEIGHTS: [u64; 9] = [10, 5, 7, 9, 4, 6, 10, 5, 7];
    // The first weight is -1, i.e. 10 modulo 11.
    let body = format!(
        "{:09}",
        (serial.wrapping_mul(7_919) + 123_456_789) % 1_000_000_000
    );
    let sum: u64 = WEIGHTS
        .iter()
        .zip(body.bytes())
        .map(|(w, b)| w * u64::from(b - b'0'))
        .sum();
    format!("{body}{}", (sum % 11) % 10)
}

fn cadastral(serial: u64, rng: &mut StdRng) -> String {
    format!(
        "{:010}:{:02}:{:03}:{:04}",
        rng.random_range(1_000_000_000u64..9_999_999_999),
        serial % 100,
        (serial / 100) % 1000,
        (serial / 100_000) % 10_000
    )
}

/// A generator for one worker: the seed and the worker's number give its
/// own stream, and serials that no other worker uses.
pub(crate) struct Stream {
    pub(crate) rng: StdRng,
    next: u64,
    step: u64,
}

impl Stream {
    pub(crate) fn new(seed: u64, worker: u64, workers: u64) -> Self {
        Self::from_serial(seed, worker, workers, 0)
    }

    /// As [`Stream::new`], with serials from `base` on: loads on one
    /// database that must not repeat each other's taxpayer numbers (which
    /// would raise duplicate flags) take distinct bases.
    pub(crate) fn from_serial(seed: u64, worker: u64, workers: u64, base: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed ^ (worker.wrapping_mul(0x9E37_79B9_7F4A_7C15))),
            next: base + worker,
            step: workers.max(1),
        }
    }

    pub(crate) fn serial(&mut self) -> u64 {
        let s = self.next;
        self.next += self.step;
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taxpayer_numbers_pass_the_register_check() {
        for serial in [0, 1, 2, 99, 123_456, 9_999_999] {
            let text = rnokpp(serial);
            let parsed: Result<register::Rnokpp, _> = serde_json::from_value(json!(text));
            assert!(parsed.is_ok(), "{text}");
        }
    }

    #[test]
    fn generated_claims_parse_as_drafts() {
        let today = time::macros::date!(2026 - 06 - 01);
        let catalogue = Catalogue::from_seed(today).expect("catalogue");
        let mut rng = StdRng::seed_from_u64(1);
        for serial in 0..200 {
            let v = catalogue.claim(&mut rng, serial);
            let draft: register::ClaimDraft = serde_json::from_value(v).expect("draft");
            assert!(draft.claimant.is_some());
        }
        let size = evidence_size(&mut rng);
        assert!((40 * 1024..=25 * 1024 * 1024 + 1).contains(&size));
    }
}

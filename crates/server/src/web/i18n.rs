//! The pages' two languages, English and Ukrainian.
//!
//! The language comes from `?lang=` (remembered in a `lang` cookie), else
//! the cookie, else `Accept-Language`. Texts are a table of keys, so a page
//! never shows half a translation: a test checks that every key the
//! templates use has both.

use axum::http::{HeaderMap, header};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    Uk,
}

impl Lang {
    pub const ALL: [Self; 2] = [Self::En, Self::Uk];

    pub const fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Uk => "uk",
        }
    }

    /// The name of the language in itself, for the switch.
    pub const fn name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Uk => "Українська",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let primary = text.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::En),
            "uk" => Some(Self::Uk),
            _ => None,
        }
    }

    /// The best of our languages for an `Accept-Language` header.
    pub fn negotiate(accept: &str) -> Option<Self> {
        let mut best: Option<(Self, f32)> = None;
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Self::parse) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
                best = Some((lang, q));
            }
        }
        best.map(|(lang, _)| lang)
    }

    /// The language of a request without a `?lang=`.
    pub fn of_request(headers: &HeaderMap) -> Self {
        super::session::cookie(headers, LANG_COOKIE)
            .and_then(|v| Self::parse(&v))
            .or_else(|| {
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Self::negotiate)
            })
            .unwrap_or_default()
    }

    /// The text under `key`; `?` if there is none (a test keeps that from
    /// happening).
    pub fn tr(self, key: &str) -> &'static str {
        let Some((_, en, uk)) = TEXTS.iter().find(|(k, _, _)| *k == key) else {
            tracing::warn!(key, "untranslated text key");
            return "?";
        };
        match self {
            Self::En => en,
            Self::Uk => uk,
        }
    }

    /// Whether `key` has a text.
    pub fn has(key: &str) -> bool {
        TEXTS.iter().any(|(k, _, _)| *k == key)
    }

    /// A claim status in words.
    pub fn status(self, status: &str) -> &'static str {
        let key = format!("status.{status}");
        if Self::has(&key) {
            self.tr(&key)
        } else {
            self.tr("status.unknown")
        }
    }
}

pub(crate) const LANG_COOKIE: &str = "lang";

/// key, English, Ukrainian.
const TEXTS: &[(&str, &str, &str)] = &[
    ("site.name", "Redress", "Redress"),
    (
        "site.tagline",
        "International register of damage and claims commission",
        "Міжнародний реєстр збитків і комісія з розгляду претензій",
    ),
    ("nav.skip", "Skip to content", "Перейти до змісту"),
    ("nav.tracker", "Convention tracker", "Стан ратифікації"),
    ("nav.decisions", "Public decisions", "Публічні рішення"),
    ("nav.console", "Staff console", "Консоль персоналу"),
    ("nav.my", "My claims", "Мої заяви"),
    ("nav.sign_in", "Sign in", "Увійти"),
    ("nav.sign_out", "Sign out", "Вийти"),
    ("nav.signed_in_as", "Signed in as", "Ви увійшли як"),
    ("nav.language", "Language", "Мова"),
    ("nav.queue", "Work queue", "Черга заяв"),
    ("nav.dashboard", "Dashboard", "Панель показників"),
    ("footer.api", "API documentation", "Документація API"),
    (
        "footer.no_js",
        "These pages work without JavaScript.",
        "Ці сторінки працюють без JavaScript.",
    ),
    // Tracker
    (
        "tracker.title",
        "The convention establishing the Claims Commission",
        "Конвенція про створення Комісії з розгляду претензій",
    ),
    ("tracker.as_of", "As of", "Станом на"),
    (
        "tracker.consents",
        "Consents to be bound",
        "Згоди на обов'язковість",
    ),
    ("tracker.of", "of", "з"),
    (
        "tracker.needed",
        "needed for entry into force",
        "потрібно для набрання чинності",
    ),
    ("tracker.in_force", "In force since", "Чинна з"),
    (
        "tracker.projected",
        "Projected entry into force",
        "Очікувана дата набрання чинності",
    ),
    (
        "tracker.not_yet",
        "Not yet in force; no date can be projected while conditions are missing.",
        "Ще не набрала чинності; дату неможливо спрогнозувати, доки не виконано умови.",
    ),
    ("tracker.missing", "Still missing", "Ще бракує"),
    (
        "tracker.missing.consents",
        "more consents to be bound",
        "згод на обов'язковість",
    ),
    (
        "tracker.consent.ratification",
        "ratification",
        "ратифікація",
    ),
    ("tracker.consent.acceptance", "acceptance", "прийняття"),
    ("tracker.consent.approval", "approval", "затвердження"),
    ("tracker.consent.accession", "accession", "приєднання"),
    ("tracker.or", "or", "або"),
    (
        "tracker.missing.council_of_europe_members",
        "more consents by member states of the Council of Europe",
        "згод держав-членів Ради Європи",
    ),
    (
        "tracker.missing.weighted",
        "more from the contributions of ratifying signatories",
        "більше внесків держав, що ратифікували",
    ),
    (
        "tracker.missing.basis_total",
        "The total the contributions are measured against",
        "Загальна сума, з якою порівнюють внески",
    ),
    (
        "tracker.weighted.rd4u",
        "Ratifying signatories' contributions to the Register of Damage's 2025 budget",
        "Внески держав, що ратифікували, до бюджету Реєстру збитків на 2025 рік",
    ),
    ("tracker.weighted.of", "of the", "з"),
    ("tracker.weighted.needed", "needed", "потрібних"),
    (
        "tracker.weighted.no_total",
        "no total recorded yet",
        "загальну суму ще не внесено",
    ),
    (
        "tracker.weighted.assumed",
        "The budget total is an assumption until a published figure is recorded.",
        "Загальна сума бюджету є припущенням, доки не внесено опубліковану цифру.",
    ),
    (
        "tracker.revisions",
        "Corrections of the entry into force",
        "Виправлення дати набрання чинності",
    ),
    (
        "tracker.revision",
        "A correction of the record moved the entry into force from",
        "Виправлення запису змінило дату набрання чинності з",
    ),
    ("tracker.revision.to", "to", "на"),
    (
        "tracker.revision.final",
        "Decisions the Commission took before stay final.",
        "Рішення, ухвалені Комісією раніше, залишаються остаточними.",
    ),
    (
        "tracker.missing.funding_determination",
        "The Council's determination that funding is sufficient",
        "Рішення Ради про достатність фінансування",
    ),
    ("tracker.funding", "Funding condition", "Умова фінансування"),
    (
        "tracker.funding.determined",
        "The Council determined funding sufficient on",
        "Рада визнала фінансування достатнім",
    ),
    (
        "tracker.funding.not_determined",
        "The Council has not yet determined that funding is sufficient.",
        "Рада ще не визнала фінансування достатнім.",
    ),
    (
        "tracker.funding.confirmed",
        "Confirmed contributions",
        "Підтверджені внески",
    ),
    ("tracker.funding.pledged", "Pledged", "Обіцяно"),
    (
        "tracker.funding.target",
        "against an assumed target of",
        "при орієнтовній цілі",
    ),
    (
        "tracker.funding.unavailable",
        "Totals cannot be computed yet",
        "Підсумки поки неможливо обчислити",
    ),
    ("tracker.chart", "Consents over time", "Згоди з плином часу"),
    ("tracker.chart.threshold", "threshold", "поріг"),
    ("tracker.chart.today", "today", "сьогодні"),
    (
        "tracker.chart.desc",
        "Counted consents by date of deposit, against the threshold.",
        "Зараховані згоди за датою здачі на зберігання порівняно з порогом.",
    ),
    ("tracker.participants", "Participants", "Учасники"),
    (
        "tracker.participants.count",
        "participants, of which signatories:",
        "учасників, з них підписали:",
    ),
    ("tracker.csv", "Download as CSV", "Завантажити CSV"),
    ("tracker.col.participant", "Participant", "Учасник"),
    ("tracker.col.signed", "Signature", "Підписання"),
    ("tracker.col.consent", "Consent", "Згода"),
    ("tracker.col.force", "Entry into force", "Набрання чинності"),
    (
        "tracker.col.notes",
        "Reservations, declarations",
        "Застереження, заяви",
    ),
    ("tracker.sort_by", "Sort by", "Сортувати за"),
    ("tracker.counted", "counted", "зараховано"),
    ("tracker.reservations", "reservations", "застереження"),
    ("tracker.declarations", "declarations", "заяви"),
    (
        "tracker.territorial",
        "territorial application",
        "територіальне застосування",
    ),
    ("tracker.denounced", "denounced", "денонсовано"),
    (
        "tracker.legend",
        "R ratification, A acceptance, AA approval, a accession.",
        "R ратифікація, A прийняття, AA затвердження, a приєднання.",
    ),
    (
        "tracker.rule_assumed",
        "The entry-into-force rule shown is the assumed reading of the convention until confirmed against the authentic text.",
        "Наведене правило набрання чинності є припущенням до звірки з автентичним текстом.",
    ),
    // Decisions register
    (
        "decisions.title",
        "Public register of decisions",
        "Публічний реєстр рішень",
    ),
    (
        "decisions.intro",
        "Final decisions of the Claims Commission, anonymised: no names, no claims.",
        "Остаточні рішення Комісії, знеособлені: без імен і без заяв.",
    ),
    (
        "decisions.totals",
        "Totals by category",
        "Підсумки за категоріями",
    ),
    (
        "decisions.none",
        "No final decisions yet.",
        "Остаточних рішень ще немає.",
    ),
    ("decisions.col.number", "Decision", "Рішення"),
    ("decisions.col.date", "Date", "Дата"),
    ("decisions.col.category", "Category", "Категорія"),
    ("decisions.col.region", "Region", "Регіон"),
    ("decisions.col.outcome", "Outcome", "Результат"),
    ("decisions.col.amount", "Amount", "Сума"),
    ("decisions.col.awards", "Awards", "Присуджено"),
    ("decisions.col.dismissals", "Dismissals", "Відхилено"),
    ("decisions.outcome.award", "award", "присудження"),
    ("decisions.outcome.dismissal", "dismissal", "відхилення"),
    ("decisions.superseded", "superseded", "замінене"),
    ("decisions.corrects", "corrects", "виправляє"),
    // Sign-in
    ("signin.title", "Sign in", "Вхід"),
    (
        "signin.intro",
        "Sign in with the account token you were given (it starts with rdt_). The token is exchanged for a session; it is not kept in the browser.",
        "Увійдіть за допомогою виданого вам токена облікового запису (починається з rdt_). Токен обмінюється на сесію і не зберігається в браузері.",
    ),
    ("signin.token", "Account token", "Токен облікового запису"),
    ("signin.submit", "Sign in", "Увійти"),
    ("signin.failed", "Sign-in failed", "Не вдалося увійти"),
    ("signin.signed_out", "You have signed out.", "Ви вийшли."),
    (
        "signin.expired",
        "Your session has ended. Sign in again.",
        "Ваша сесія завершилася. Увійдіть знову.",
    ),
    // Console
    ("console.title", "Staff console", "Консоль персоналу"),
    ("console.welcome", "Welcome", "Вітаємо"),
    ("console.roles", "Your roles", "Ваші ролі"),
    (
        "console.what",
        "What you can do here",
        "Що ви можете зробити тут",
    ),
    (
        "console.nothing",
        "Your roles have no work in the console.",
        "Для ваших ролей у консолі немає роботи.",
    ),
    (
        "console.claimant_hint",
        "You file claims: follow them under My claims.",
        "Ви подаєте заяви: стежте за ними в розділі «Мої заяви».",
    ),
    ("queue.title", "Work queue", "Черга заяв"),
    ("queue.filters", "Filters", "Фільтри"),
    ("queue.status", "Status", "Статус"),
    ("queue.any", "any", "будь-який"),
    ("queue.category", "Category", "Категорія"),
    ("queue.region", "Region", "Регіон"),
    (
        "queue.search",
        "Reference or claimant's name",
        "Номер або ім'я заявника",
    ),
    (
        "queue.duplicates_only",
        "Only claims flagged as possible duplicates",
        "Лише заяви з позначкою можливого дубліката",
    ),
    ("queue.apply", "Apply", "Застосувати"),
    ("queue.reset", "Reset", "Скинути"),
    ("queue.none", "No claims match.", "Немає відповідних заяв."),
    ("queue.next", "Next page", "Наступна сторінка"),
    ("queue.first", "First page", "Перша сторінка"),
    ("queue.col.reference", "Reference", "Номер"),
    ("queue.col.claimant", "Claimant", "Заявник"),
    ("queue.col.category", "Category", "Категорія"),
    ("queue.col.region", "Region", "Регіон"),
    ("queue.col.status", "Status", "Статус"),
    ("queue.col.claimed", "Claimed", "Заявлено"),
    ("queue.col.submitted", "Submitted", "Подано"),
    ("queue.flagged", "possible duplicate", "можливий дублікат"),
    ("queue.sensitive", "sensitive", "чутлива"),
    ("queue.draft", "draft", "чернетка"),
    // Claim page
    ("claim.title", "Claim", "Заява"),
    ("claim.back", "Back to the queue", "Назад до черги"),
    ("claim.summary", "Summary", "Загальні відомості"),
    ("claim.claimant", "Claimant", "Заявник"),
    (
        "claim.category_fields",
        "Category details",
        "Відомості за категорією",
    ),
    ("claim.incident", "Incident and location", "Подія та місце"),
    ("claim.narrative", "Account of events", "Опис подій"),
    ("claim.losses", "Losses", "Збитки"),
    ("claim.loss.description", "Description", "Опис"),
    ("claim.loss.amount", "Amount", "Сума"),
    ("claim.loss.basis", "Basis of valuation", "Підстава оцінки"),
    ("claim.total", "Total claimed", "Загалом заявлено"),
    ("claim.evidence", "Evidence", "Докази"),
    ("claim.evidence.none", "No files yet.", "Файлів ще немає."),
    ("claim.evidence.file", "File", "Файл"),
    ("claim.evidence.type", "Type", "Тип"),
    ("claim.evidence.size", "Size (bytes)", "Розмір (байт)"),
    ("claim.evidence.sha256", "SHA-256", "SHA-256"),
    ("claim.evidence.received", "Received", "Отримано"),
    ("claim.evidence.download", "Download", "Завантажити"),
    (
        "claim.duplicates",
        "Possible duplicates",
        "Можливі дублікати",
    ),
    (
        "claim.duplicates.none",
        "No duplicate flags.",
        "Позначок дубліката немає.",
    ),
    ("claim.duplicates.other", "Other claim", "Інша заява"),
    ("claim.duplicates.reason", "Reason", "Причина"),
    ("claim.duplicates.open", "open", "відкрита"),
    ("claim.duplicates.resolved", "resolved", "вирішена"),
    (
        "claim.duplicates.restricted",
        "A possible duplicate that someone with the sensitive clearance must resolve.",
        "Можливий дублікат, який має розглянути особа з допуском до чутливих заяв.",
    ),
    (
        "claim.messages",
        "Requests and answers",
        "Запити та відповіді",
    ),
    (
        "claim.messages.none",
        "No requests for information.",
        "Запитів інформації немає.",
    ),
    (
        "claim.message.request",
        "Request for information",
        "Запит інформації",
    ),
    ("claim.message.response", "Answer", "Відповідь"),
    ("claim.history", "History", "Історія"),
    ("claim.history.when", "When", "Коли"),
    ("claim.history.what", "What", "Що"),
    ("claim.history.role", "Role", "Роль"),
    ("claim.history.change", "Change", "Зміна"),
    ("claim.history.reason", "Reason", "Причина"),
    ("claim.recommendation", "Recommendation", "Рекомендація"),
    (
        "claim.decision",
        "Decision of the Board",
        "Рішення Правління",
    ),
    ("claim.reference", "Reference", "Номер"),
    ("claim.status", "Status", "Статус"),
    ("claim.category", "Category", "Категорія"),
    ("claim.submitted", "Submitted", "Подано"),
    (
        "claim.sensitive",
        "Sensitive claim: every staff read is on record.",
        "Чутлива заява: кожен перегляд персоналом фіксується.",
    ),
    ("claim.actions", "Actions", "Дії"),
    (
        "claim.no_actions",
        "Nothing for your role to do on this claim now.",
        "Зараз ваша роль не має дій щодо цієї заяви.",
    ),
    (
        "case.no_actions",
        "Nothing for your role to do on this case now.",
        "Для вашої ролі зараз немає дій щодо цієї справи.",
    ),
    (
        "case.unknown_person",
        "(unknown person)",
        "(невідома особа)",
    ),
    ("case.superseded_by", "superseded by", "замінено рішенням"),
    ("case.supersedes", "Corrects decision", "Виправляє рішення"),
    (
        "case.correction.clerical_error",
        "clerical error",
        "технічна помилка",
    ),
    (
        "case.correction.computational_error",
        "computational error",
        "обчислювальна помилка",
    ),
    (
        "action.start_review",
        "Take up for review",
        "Взяти на розгляд",
    ),
    (
        "action.request_information",
        "Request information",
        "Запросити інформацію",
    ),
    (
        "action.request_information.message",
        "What the claimant must provide",
        "Що має надати заявник",
    ),
    (
        "action.request_information.submit",
        "Send the request",
        "Надіслати запит",
    ),
    ("action.recommend", "Recommend", "Рекомендувати"),
    ("action.decide", "Decide", "Ухвалити рішення"),
    ("action.outcome", "Outcome", "Результат"),
    ("action.outcome.recorded", "Record", "Внести до реєстру"),
    ("action.outcome.rejected", "Reject", "Відхилити"),
    ("action.reasons", "Reasons", "Підстави"),
    ("action.submit", "Submit", "Надіслати"),
    (
        "done.review_started",
        "The claim is now under review.",
        "Заява тепер на розгляді.",
    ),
    (
        "done.information_requested",
        "The request for information was sent to the claimant.",
        "Запит інформації надіслано заявнику.",
    ),
    (
        "done.recommended",
        "The recommendation was recorded.",
        "Рекомендацію записано.",
    ),
    (
        "done.decided",
        "The decision was recorded.",
        "Рішення записано.",
    ),
    (
        "done.uploaded",
        "The file was received. Its receipt is listed below.",
        "Файл отримано. Квитанцію наведено нижче.",
    ),
    (
        "done.responded",
        "Your answer was sent. The claim is back under review.",
        "Вашу відповідь надіслано. Заява знову на розгляді.",
    ),
    ("problem.title", "That did not work", "Не вдалося"),
    ("problem.fields", "Please check", "Будь ласка, перевірте"),
    // Dashboard
    ("dashboard.title", "Dashboard", "Панель показників"),
    (
        "dashboard.total",
        "Claims in the Register",
        "Заяв у Реєстрі",
    ),
    (
        "dashboard.by_status",
        "Claims by status",
        "Заяви за статусом",
    ),
    (
        "dashboard.by_month",
        "Claims submitted per month",
        "Подані заяви за місяцями",
    ),
    (
        "dashboard.by_category",
        "Claims by category",
        "Заяви за категоріями",
    ),
    (
        "dashboard.times",
        "Processing times (days, from submission)",
        "Строки розгляду (днів від подання)",
    ),
    (
        "dashboard.times.chart",
        "Median days to a decision, by category",
        "Медіана днів до рішення за категоріями",
    ),
    ("dashboard.backlog", "Open work", "Незавершена робота"),
    ("dashboard.oldest", "Oldest submitted", "Найдавніше подана"),
    ("dashboard.count", "Count", "Кількість"),
    ("dashboard.median", "Median", "Медіана"),
    ("dashboard.p90", "90th percentile", "90-й процентиль"),
    ("dashboard.to_recording", "To recording", "До внесення"),
    (
        "dashboard.to_decision",
        "To any decision",
        "До будь-якого рішення",
    ),
    ("dashboard.none", "No data yet.", "Даних ще немає."),
    // Decision letters and their verification
    (
        "letter.pdf",
        "Decision letter (PDF)",
        "Лист про рішення (PDF)",
    ),
    (
        "letter.page",
        "Decision letter (page to print)",
        "Лист про рішення (сторінка для друку)",
    ),
    (
        "verify.title",
        "Verify a decision letter",
        "Перевірка листа про рішення",
    ),
    (
        "verify.intro",
        "This code belongs to a letter the Claims Commission issued. Compare what follows with your letter.",
        "Цей код належить листу, виданому Комісією з розгляду претензій. Порівняйте наведене нижче зі своїм листом.",
    ),
    ("verify.code", "Verification code", "Код перевірки"),
    ("verify.number", "Decision number", "Номер рішення"),
    ("verify.date", "Date of decision", "Дата рішення"),
    ("verify.outcome", "Outcome", "Результат"),
    ("verify.outcome.award", "Award", "Присудження"),
    ("verify.outcome.dismissal", "Dismissal", "Відмова"),
    ("verify.amount", "Amount", "Сума"),
    ("verify.hash", "SHA-256 of the letter", "SHA-256 листа"),
    (
        "verify.hash_matches",
        "The letter as issued still has this hash. The same hash is printed on the letter.",
        "Лист у виданому вигляді досі має цей хеш. Той самий хеш надруковано в листі.",
    ),
    (
        "verify.hash_broken",
        "The letter kept no longer matches this hash. Contact the Commission.",
        "Збережений лист більше не відповідає цьому хешу. Зверніться до Комісії.",
    ),
    (
        "verify.supersedes",
        "Corrects decision",
        "Виправляє рішення",
    ),
    (
        "verify.superseded",
        "This decision was superseded by decision",
        "Це рішення замінено рішенням",
    ),
    (
        "verify.in_force",
        "This decision is in force.",
        "Це рішення чинне.",
    ),
    // Claimant pages
    ("my.title", "My claims", "Мої заяви"),
    ("my.none", "You have no claims yet.", "У вас ще немає заяв."),
    ("my.open", "Open", "Відкрити"),
    ("my.timeline", "Where your claim is", "Де ваша заява"),
    ("my.next", "Next step", "Наступний крок"),
    (
        "my.next.draft",
        "Complete and submit your claim.",
        "Заповніть і подайте заяву.",
    ),
    (
        "my.next.submitted",
        "Nothing for you to do: the Register will take your claim up for review.",
        "Від вас нічого не потрібно: Реєстр візьме вашу заяву на розгляд.",
    ),
    (
        "my.next.under_review",
        "Nothing for you to do: the Register is reviewing your claim.",
        "Від вас нічого не потрібно: Реєстр розглядає вашу заяву.",
    ),
    (
        "my.next.information_requested",
        "Answer the request for information below, with documents if asked.",
        "Дайте відповідь на запит інформації нижче, за потреби з документами.",
    ),
    (
        "my.next.awaiting_assessment",
        "Your claim is recorded. The Claims Commission will assess it.",
        "Вашу заяву внесено до Реєстру. Комісія її оцінить.",
    ),
    (
        "my.next.being_assessed",
        "Nothing for you to do: the Claims Commission is assessing your claim.",
        "Від вас нічого не потрібно: Комісія оцінює вашу заяву.",
    ),
    (
        "my.next.before_panel",
        "Nothing for you to do: your claim is assessed and a panel of Commissioners will recommend a decision.",
        "Від вас нічого не потрібно: заяву оцінено, колегія членів Комісії запропонує рішення.",
    ),
    (
        "my.next.before_council",
        "Nothing for you to do: a panel recommended a decision and the Council of the Commission is deciding.",
        "Від вас нічого не потрібно: колегія запропонувала рішення, Рада Комісії його ухвалює.",
    ),
    (
        "my.next.dismissed",
        "The Commission decided not to award compensation. The decision and its reasons are below.",
        "Комісія вирішила не присуджувати компенсацію. Рішення та його підстави наведено нижче.",
    ),
    (
        "my.next.awarded",
        "The Commission awarded compensation. It will be paid once funds are allotted and the payee's details are in place.",
        "Комісія присудила компенсацію. Її буде виплачено, щойно буде виділено кошти та внесено дані одержувача.",
    ),
    (
        "my.next.payable",
        "Your award is cleared for payment. Payments will appear below as they are made.",
        "Вашу компенсацію дозволено до виплати. Виплати з’являтимуться нижче, щойно їх буде здійснено.",
    ),
    (
        "my.next.partially_paid",
        "Part of your award has been paid. The balance below will be paid in later payment rounds.",
        "Частину компенсації виплачено. Залишок, наведений нижче, буде виплачено в наступних раундах виплат.",
    ),
    (
        "my.next.paid",
        "Your award has been paid in full. Nothing more is owed.",
        "Компенсацію виплачено повністю. Заборгованості немає.",
    ),
    (
        "my.next.payee_unreachable",
        "We could not reach the payee. Contact the Register to update the payment details.",
        "Не вдалося зв’язатися з одержувачем. Зверніться до Реєстру, щоб оновити платіжні дані.",
    ),
    (
        "my.next.rejected",
        "Your claim was not recorded. The reasons are below.",
        "Вашу заяву не внесено до Реєстру. Підстави наведено нижче.",
    ),
    (
        "my.next.withdrawn",
        "You withdrew this claim.",
        "Ви відкликали цю заяву.",
    ),
    ("my.step.filed", "Filed", "Подано"),
    ("my.step.review", "Under review", "На розгляді"),
    ("my.step.decided", "Decided", "Рішення"),
    ("my.current", "current step", "поточний крок"),
    ("my.done", "done", "виконано"),
    (
        "my.requests",
        "Requests for information",
        "Запити інформації",
    ),
    ("my.answer", "Answer the request", "Відповісти на запит"),
    ("my.upload", "Add a document", "Додати документ"),
    (
        "my.upload.hint",
        "PDF, JPEG, PNG, HEIC, TIFF, DOCX, ODT or plain text. Add each file, then send your answer.",
        "PDF, JPEG, PNG, HEIC, TIFF, DOCX, ODT або текст. Додайте кожен файл, а потім надішліть відповідь.",
    ),
    ("my.upload.file", "File", "Файл"),
    ("my.upload.submit", "Upload", "Завантажити"),
    ("my.answer.message", "Your answer", "Ваша відповідь"),
    ("my.answer.submit", "Send the answer", "Надіслати відповідь"),
    ("my.receipts", "Evidence receipts", "Квитанції про докази"),
    ("my.decisions", "Decisions", "Рішення"),
    ("my.decisions.none", "No decision yet.", "Рішення ще немає."),
    (
        "my.commission",
        "Decision of the Claims Commission",
        "Рішення Комісії",
    ),
    ("my.award", "Award and payments", "Відшкодування та виплати"),
    ("my.award.amount", "Amount awarded", "Присуджена сума"),
    ("my.award.status", "Status", "Стан"),
    ("my.award.paid", "Paid so far", "Виплачено"),
    (
        "my.award.outstanding",
        "Still to be paid",
        "Залишок до виплати",
    ),
    ("my.award.payments", "Payments", "Виплати"),
    ("my.award.paid_on", "Paid on", "Дата виплати"),
    ("my.award.payment_amount", "Amount", "Сума"),
    ("my.award.reference", "Reference", "Референс"),
    ("my.award.none", "No payment yet.", "Виплат ще не було."),
    (
        "award.status.awarded",
        "awarded; payable once a payment round includes it",
        "присуджено; до виплати після включення до раунду виплат",
    ),
    ("award.status.payable", "payable", "до виплати"),
    (
        "award.status.partially_paid",
        "partially paid",
        "виплачено частково",
    ),
    ("award.status.paid", "paid in full", "виплачено повністю"),
    (
        "award.status.payee_unreachable",
        "payments held: the payee could not be reached",
        "виплати призупинено: отримувач недоступний",
    ),
    // Errors
    ("error.title", "Something went wrong", "Щось пішло не так"),
    (
        "error.400",
        "The request could not be read",
        "Запит неможливо прочитати",
    ),
    ("error.401", "Please sign in", "Будь ласка, увійдіть"),
    ("error.403", "Not allowed", "Заборонено"),
    ("error.404", "Not found", "Не знайдено"),
    ("error.409", "Not possible now", "Зараз неможливо"),
    (
        "error.422",
        "Please check what you entered",
        "Перевірте введені дані",
    ),
    ("error.429", "Too many requests", "Забагато запитів"),
    ("error.503", "The service is busy", "Сервіс зайнятий"),
    (
        "error.reference",
        "Reference for support",
        "Ідентифікатор для підтримки",
    ),
    ("error.home", "Go to the start page", "На головну"),
    (
        "error.csrf",
        "This form has expired or did not come from this site. Go back, reload the page and try again.",
        "Ця форма застаріла або надіслана не з цього сайту. Поверніться, оновіть сторінку й спробуйте знову.",
    ),
    // Statuses and roles
    ("status.draft", "draft", "чернетка"),
    (
        "status.awaiting_council",
        "awaiting the Council",
        "очікує рішення Ради",
    ),
    (
        "status.reviewed_by_committee",
        "reported on by the Review Committee",
        "з висновком Комітету з перегляду",
    ),
    (
        "status.adopted_by_assembly",
        "adopted by the Assembly",
        "ухвалено Асамблеєю",
    ),
    ("nav.council", "Council", "Рада"),
    (
        "my.notices.on",
        "We e-mail you when something happens on this claim (only its reference and a link here).",
        "Ми надсилаємо вам лист, коли щось відбувається із заявою (лише її номер і посилання сюди).",
    ),
    (
        "my.notices.off",
        "E-mail notices about this claim are off.",
        "Сповіщення електронною поштою щодо цієї заяви вимкнено.",
    ),
    ("my.notices.stop", "Stop e-mails", "Вимкнути листи"),
    (
        "my.notices.start",
        "E-mail me again",
        "Знову надсилати листи",
    ),
    (
        "done.notices",
        "Your choice about e-mail notices is saved.",
        "Ваш вибір щодо сповіщень збережено.",
    ),
    ("nav.payments", "Payments", "Виплати"),
    (
        "rounds.bank_file",
        "Download the bank file (ISO 20022 pain.001)",
        "Завантажити файл для банку (ISO 20022 pain.001)",
    ),
    (
        "rounds.blocked",
        "Held back from the bank file",
        "Не включено до файлу для банку",
    ),
    (
        "rounds.blocked.hint",
        "These payees' shares are not in the file until the reason is resolved; nothing is left out silently.",
        "Частки цих одержувачів не потрапляють до файлу, доки причину не усунуто; ніщо не пропускається мовчки.",
    ),
    (
        "rounds.blocked.no_bank_details",
        "no bank details on file",
        "немає банківських реквізитів",
    ),
    (
        "rounds.blocked.payee_unreachable",
        "payee unreachable",
        "одержувач недосяжний",
    ),
    (
        "rounds.blocked.nothing_due",
        "share rounds to nothing",
        "частка округлюється до нуля",
    ),
    ("rounds.title", "Payment rounds", "Раунди виплат"),
    ("rounds.round", "Payment round", "Раунд виплат"),
    ("rounds.available", "Available", "Доступно"),
    (
        "rounds.priority",
        "Priority amount per individual",
        "Пріоритетна сума на фізичну особу",
    ),
    (
        "rounds.preview",
        "Preview a round",
        "Попередньо розрахувати раунд",
    ),
    (
        "rounds.preview.hint",
        "Shares the amount over the awards still owed something: individuals first up to the priority amount, then pro rata. Nothing is paid until the round is confirmed.",
        "Розподіляє суму між компенсаціями, які ще не виплачено: спершу фізичним особам до пріоритетної суми, далі пропорційно. Нічого не виплачується, доки раунд не підтверджено.",
    ),
    (
        "rounds.none",
        "No payment rounds yet.",
        "Раундів виплат ще немає.",
    ),
    ("rounds.col.round", "Round", "Раунд"),
    ("rounds.open", "Round of", "Раунд від"),
    ("rounds.total", "Shared out", "Розподілено"),
    ("rounds.unspent", "Left over", "Залишок"),
    ("rounds.awards", "Awards", "Компенсацій"),
    ("rounds.created", "Previewed", "Розраховано"),
    ("rounds.status.preview", "preview", "попередній"),
    ("rounds.status.confirmed", "confirmed", "підтверджено"),
    ("rounds.confirm", "Confirm the round", "Підтвердити раунд"),
    (
        "rounds.lines",
        "What each award receives",
        "Що отримує кожна компенсація",
    ),
    ("rounds.col.claimant", "Claimant", "Заявник"),
    ("rounds.col.before", "Owed before", "Заборгованість до"),
    ("rounds.col.amount", "Amount", "Сума"),
    ("rounds.col.after", "Owed after", "Заборгованість після"),
    (
        "rounds.col.payment",
        "Payment reported",
        "Повідомлена виплата",
    ),
    ("rounds.record", "Record", "Записати"),
    (
        "rounds.more",
        "More awards in this round (see the API)",
        "Інші компенсації цього раунду (див. API)",
    ),
    ("rounds.kind.individual", "individual", "фізична особа"),
    ("rounds.kind.legal_entity", "legal entity", "юридична особа"),
    ("rounds.kind.state", "State", "держава"),
    (
        "done.round_confirmed",
        "The round is confirmed: its awards are payable.",
        "Раунд підтверджено: компенсації можна виплачувати.",
    ),
    (
        "done.payment_recorded",
        "The payment is recorded on the award.",
        "Виплату записано.",
    ),
    (
        "batch.new",
        "Select cases into a batch",
        "Відібрати справи до пакета",
    ),
    (
        "batch.new.hint",
        "Cases awaiting assessment in the category (and region), outside other batches, assessed by the latest published rule; 5% sampled for review, at least 10.",
        "Справи категорії (і регіону), що очікують оцінки й не входять до інших пакетів, оцінюються за останнім опублікованим правилом; 5% (щонайменше 10) вибірково перевіряються.",
    ),
    ("batch.max_cases", "At most", "Не більше"),
    ("batch.create", "Create the batch", "Створити пакет"),
    ("batch.start", "Start the assessment", "Почати оцінювання"),
    (
        "batch.live",
        "Assessing: this page refreshes every few seconds.",
        "Триває оцінювання: сторінка оновлюється кожні кілька секунд.",
    ),
    (
        "done.batch_created",
        "The batch was created with the cases it selected.",
        "Пакет створено з відібраними справами.",
    ),
    (
        "done.assessment_started",
        "The assessment started; its progress is shown below.",
        "Оцінювання розпочато; його перебіг показано нижче.",
    ),
    (
        "case.step.review_upheld",
        "the Review Committee upholds the recommendation",
        "Комітет з перегляду підтримує рекомендацію",
    ),
    (
        "case.step.review_varied",
        "the Review Committee varies the award",
        "Комітет з перегляду змінює суму компенсації",
    ),
    (
        "case.step.assembly_vote",
        "record the Assembly's vote",
        "записати голосування Асамблеї",
    ),
    (
        "case.decide.varied_amount",
        "Award as varied by the Committee",
        "Компенсація, змінена Комітетом",
    ),
    ("case.decide.abstentions", "abstentions", "утрималися"),
    (
        "batch.vote",
        "Your vote on the batch's recommendations",
        "Ваш голос щодо рекомендацій пакета",
    ),
    (
        "batch.vote.open",
        "Open recommendations you have not voted on",
        "Відкриті рекомендації, за які ви ще не голосували",
    ),
    (
        "batch.vote.submit",
        "Cast this vote on all of them",
        "Проголосувати так за всі",
    ),
    (
        "done.batch_voted",
        "Your vote is recorded on each recommendation of the batch.",
        "Ваш голос записано щодо кожної рекомендації пакета.",
    ),
    ("queue.take_up.col", "Take up", "Взяти"),
    (
        "queue.take_up",
        "Take the ticked claims up for review",
        "Взяти позначені заяви на розгляд",
    ),
    ("queue.taken_up", "Taken up for review", "Взято на розгляд"),
    ("council.title", "Before the Council", "На розгляді Ради"),
    (
        "council.none",
        "Nothing is before the Council in this list.",
        "У цьому списку немає рішень на розгляді Ради.",
    ),
    ("council.choose", "Include", "Включити"),
    ("council.open_case", "Case", "Справа"),
    ("council.col.outcome", "Recommended", "Рекомендовано"),
    (
        "council.col.since",
        "Before the Council since",
        "На розгляді з",
    ),
    (
        "council.step",
        "The Council's decision on every ticked recommendation",
        "Рішення Ради щодо всіх позначених рекомендацій",
    ),
    (
        "council.reasons",
        "Reasons (required to return to the panel)",
        "Підстави (обов’язкові для повернення колегії)",
    ),
    ("council.submit", "Record the decisions", "Записати рішення"),
    ("council.decided", "Decided", "Ухвалено"),
    (
        "council.refused",
        "Refused (changed since, or not allowed; see each case)",
        "Відхилено (змінено відтоді або не дозволено; див. кожну справу)",
    ),
    ("status.submitted", "submitted", "подано"),
    ("status.under_review", "under review", "на розгляді"),
    (
        "status.information_requested",
        "information requested",
        "запитано інформацію",
    ),
    ("status.recorded", "recorded", "внесено до реєстру"),
    ("status.rejected", "rejected", "відхилено"),
    ("status.withdrawn", "withdrawn", "відкликано"),
    ("status.none", "none", "немає"),
    ("status.unknown", "other", "інше"),
    // Commission casework
    ("nav.cases", "Commission cases", "Справи Комісії"),
    ("cases.title", "Commission cases", "Справи Комісії"),
    ("cases.batch", "Batch", "Пакет"),
    ("cases.batch_link", "batch", "пакет"),
    ("cases.mine", "Only my cases", "Лише мої справи"),
    (
        "cases.none",
        "No cases match these filters.",
        "Немає справ за цими фільтрами.",
    ),
    ("cases.col.case", "Case", "Справа"),
    ("cases.assigned", "assigned", "призначено"),
    ("case.title", "Case", "Справа"),
    ("case.back", "All cases", "Усі справи"),
    ("case.claim", "Claim", "Заява"),
    ("case.assignee", "Assessor", "Оцінювач"),
    (
        "case.assessment_error",
        "Assessment refused",
        "Оцінку відхилено",
    ),
    (
        "case.assign",
        "Assign to an assessor",
        "Призначити оцінювачеві",
    ),
    (
        "case.assign.assessor",
        "Assessor's account id",
        "Ідентифікатор облікового запису оцінювача",
    ),
    ("case.assess", "Assess", "Оцінити"),
    (
        "case.assess.rule_version",
        "Rule version (default: latest)",
        "Версія правила (типово: остання)",
    ),
    ("case.assess.unit", "Quantity unit", "Одиниця кількості"),
    ("case.assess.quantity", "Quantity", "Кількість"),
    ("case.assess.manual", "Manual amount", "Сума вручну"),
    (
        "case.assess.justification",
        "Justification",
        "Обґрунтування",
    ),
    (
        "case.recommend",
        "Propose a recommendation",
        "Запропонувати рекомендацію",
    ),
    ("case.recommend.panel", "Panel", "Колегія"),
    (
        "case.recommend.amount",
        "Amount, if it varies from the assessment",
        "Сума, якщо відрізняється від оцінки",
    ),
    (
        "case.recommend.variation",
        "Reasons for the variation",
        "Причини відхилення",
    ),
    ("case.recommend.code", "Dismissal code", "Код відмови"),
    ("case.recommend.text", "Dismissal text", "Текст відмови"),
    ("case.outcome.award", "award", "присудження"),
    ("case.outcome.dismissal", "dismissal", "відмова"),
    ("case.assessments", "Assessments", "Оцінки"),
    (
        "case.assessments.none",
        "Not assessed yet.",
        "Ще не оцінено.",
    ),
    ("case.step", "Step", "Крок"),
    ("case.operation", "Operation", "Операція"),
    ("case.step_result", "Result", "Результат"),
    (
        "case.recommendations",
        "Recommendations and votes",
        "Рекомендації та голосування",
    ),
    (
        "case.recommendations.none",
        "No recommendation yet.",
        "Рекомендацій ще немає.",
    ),
    (
        "case.decision_status",
        "Before the Council",
        "На розгляді Ради",
    ),
    ("case.vote", "Vote", "Голосувати"),
    ("case.vote.in_favour", "in favour", "за"),
    ("case.vote.against", "against", "проти"),
    ("case.vote.abstain", "abstain", "утримуюсь"),
    ("case.decide", "Council decision", "Рішення Ради"),
    ("case.decide.step", "What the Council does", "Дія Ради"),
    (
        "case.decide.meeting",
        "Meeting reference",
        "Номер засідання",
    ),
    ("case.decide.on", "Decided on", "Дата рішення"),
    (
        "case.step.approve",
        "approve (final decision)",
        "затвердити (остаточне рішення)",
    ),
    (
        "case.step.return_to_panel",
        "return to the panel",
        "повернути колегії",
    ),
    (
        "case.step.refer_to_review_committee",
        "refer to a Review Committee",
        "передати Комітету з перегляду",
    ),
    (
        "case.step.refer_to_assembly",
        "refer to the Assembly",
        "передати Асамблеї",
    ),
    ("case.decisions", "Decisions", "Рішення"),
    (
        "case.decisions.none",
        "No decision yet.",
        "Рішень ще немає.",
    ),
    ("batch.title", "Batch", "Пакет"),
    ("batch.cases", "The batch's cases", "Справи пакета"),
    ("batch.round", "Round", "Раунд"),
    ("batch.case_count", "Cases", "Справ"),
    (
        "batch.error_rate",
        "Sample error rate / threshold (reviewed)",
        "Частка помилок у вибірці / поріг (перевірено)",
    ),
    ("batch.progress", "Assessment progress", "Хід оцінювання"),
    ("batch.no_job", "Not assessed yet.", "Ще не оцінено."),
    ("batch.job.status", "Job", "Завдання"),
    ("batch.job.processed", "Processed", "Оброблено"),
    ("batch.job.assessed", "Assessed", "Оцінено"),
    (
        "batch.job.individual",
        "Sent for individual assessment",
        "Передано на індивідуальну оцінку",
    ),
    ("batch.job.failed", "Failed", "Не вдалося"),
    (
        "batch.release",
        "Decide on the sample (release or return)",
        "Вирішити за вибіркою (випустити чи повернути)",
    ),
    ("batch.sample", "Sample review", "Перевірка вибірки"),
    (
        "batch.no_sample",
        "No sample drawn yet.",
        "Вибірку ще не сформовано.",
    ),
    ("batch.review", "Review", "Перевірити"),
    ("batch.confirmed", "confirmed", "підтверджено"),
    ("batch.corrected", "corrected", "виправлено"),
    ("batch.amount", "Right amount", "Правильна сума"),
    ("batch.reason", "Reason", "Причина"),
    (
        "done.case_assigned",
        "The case was assigned.",
        "Справу призначено.",
    ),
    (
        "done.case_assessed",
        "The assessment was recorded.",
        "Оцінку записано.",
    ),
    (
        "done.case_recommended",
        "The recommendation was proposed to the panel.",
        "Рекомендацію запропоновано колегії.",
    ),
    (
        "done.voted",
        "Your vote was recorded.",
        "Ваш голос записано.",
    ),
    (
        "done.council_decided",
        "The decision of the Council was recorded.",
        "Рішення Ради записано.",
    ),
    (
        "done.sample_reviewed",
        "The finding was recorded.",
        "Висновок записано.",
    ),
    (
        "done.batch_decided",
        "The batch was decided on its sample.",
        "Щодо пакета ухвалено рішення за вибіркою.",
    ),
    (
        "status.awaiting_assessment",
        "awaiting assessment",
        "очікує оцінки",
    ),
    ("status.assigned", "assigned", "призначено"),
    ("status.assessed", "assessed", "оцінено"),
    (
        "status.ready_for_panel",
        "ready for the panel",
        "готово для колегії",
    ),
    ("status.recommended", "recommended", "рекомендовано"),
    ("status.decided", "decided", "вирішено"),
    ("yes", "yes", "так"),
    ("no", "no", "ні"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_we_have() {
        assert_eq!(Lang::negotiate("uk-UA,uk;q=0.9,en;q=0.8"), Some(Lang::Uk));
        assert_eq!(Lang::negotiate("de, en;q=0.5, uk;q=0.4"), Some(Lang::En));
        assert_eq!(Lang::negotiate("en;q=0.2, uk;q=0.7"), Some(Lang::Uk));
        assert_eq!(Lang::negotiate("fr"), None);
        assert_eq!(Lang::negotiate("uk;q=0"), None);
    }

    #[test]
    fn keys_are_unique_and_translated() {
        for (i, (key, en, uk)) in TEXTS.iter().enumerate() {
            assert!(!en.is_empty() && !uk.is_empty(), "{key}");
            assert!(
                TEXTS[i + 1..].iter().all(|(k, _, _)| k != key),
                "{key} twice"
            );
        }
    }

    /// Every `tr("...")` in the templates names a key of the table.
    #[test]
    fn templates_use_only_known_keys() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("tr(\"").skip(1) {
                let key = piece.split('"').next().unwrap();
                assert!(Lang::has(key), "{}: unknown key {key}", path.display());
                checked += 1;
            }
        }
        assert!(checked > 50, "the templates use the table");
    }
}

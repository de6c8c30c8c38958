//! The list scenario: `GET /v1/claims` with each documented filter, walking
//! pages with the cursor, over a table of millions of claims generated in
//! the database itself (`INSERT ... SELECT` over a series: far faster than
//! the API, and the list does not care how rows arrived).

use crate::data::{Catalogue, FAMILY};
use crate::report::{Explain, Row, Target};
use crate::server::Backend;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use sqlx::{Connection, Executor, PgConnection, Row as _, SqliteConnection};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

const GIVEN: [&str; 12] = [
    "Олена",
    "Оксана",
    "Ірина",
    "Наталія",
    "Тетяна",
    "Марія",
    "Олександр",
    "Андрій",
    "Сергій",
    "Дмитро",
    "Микола",
    "Іван",
];
const PATRONYMIC: [&str; 8] = [
    "Петрівна",
    "Іванівна",
    "Миколаївна",
    "Василівна",
    "Петрович",
    "Іванович",
    "Миколайович",
    "Сергійович",
];
pub(crate) const STATUSES: [&str; 7] = [
    "draft",
    "submitted",
    "under_review",
    "information_requested",
    "recorded",
    "rejected",
    "withdrawn",
];

/// Category and region codes repeated by weight, so that `array[random]`
/// draws them with the generator's frequencies.
fn weighted_codes(catalogue: &Catalogue) -> (Vec<String>, Vec<String>) {
    let cats = catalogue
        .categories
        .iter()
        .flat_map(|(c, w)| std::iter::repeat_n(c.code.as_str().to_owned(), *w as usize))
        .collect();
    let regs = catalogue
        .regions
        .iter()
        .flat_map(|(r, w)| std::iter::repeat_n(r.clone(), *w as usize))
        .collect();
    (cats, regs)
}

/// Claims created from 2024-01-01 over 1,030 days, in id order; ids are
/// UUIDv7 of the creation time, as the server makes them. Statuses:
/// 8 % draft, 35 submitted, 25 under review, 3 information requested,
/// 20 recorded, 5 rejected, 4 withdrawn; 0.5 % flagged as duplicates.
const PG_FILL: &str = "INSERT INTO claims (id, filed_by, status, category, reference, sensitive, content, \
  claimant_name, claimant_search, claimant_key, region, incident_from, incident_to, totals, duplicate_flagged, \
  submitted_at, created_at, updated_at) \
SELECT (lpad(to_hex((extract(epoch FROM created) * 1000)::bigint), 12, '0') || '7' || substr(h, 1, 3) || '8' \
        || substr(h, 4, 15))::uuid, \
  ($9::uuid[])[1 + g % cardinality($9::uuid[])], status, cat, \
  CASE WHEN status <> 'draft' THEN 'RD-' || extract(year FROM created)::int || '-' \
       || CASE WHEN g < 10000000 THEN lpad(g::text, 7, '0') ELSE g::text END END, \
  false, \
  jsonb_build_object('claimant', jsonb_build_object('claimant_type', 'natural_person', 'given_name', given, \
      'family_name', fam, 'patronymic', pat, 'tax_number', tax, 'nationalities', jsonb_build_array('UA')), \
    'category', cat, 'incident', jsonb_build_object('kind', 'on', 'date', incident), \
    'location', jsonb_build_object('region', reg, 'settlement', 'Ірпінь', 'occupied_territory', false), \
    'narrative', 'Будинок було зруйновано внаслідок артилерійського обстрілу.', \
    'losses', jsonb_build_array(jsonb_build_object('description', 'Житловий будинок', \
       'amount', jsonb_build_object('amount', amount, 'currency', 'EUR'))), \
    'external_references', '[]'::jsonb, 'category_fields', '{}'::jsonb), \
  fam || ' ' || given || ' ' || pat, lower(fam || ' ' || given || ' ' || pat), 'rnokpp:' || tax, reg, \
  incident::date, incident::date, jsonb_build_array(jsonb_build_object('amount', amount, 'currency', 'EUR')), \
  r5 % 200 = 0, \
  CASE WHEN status <> 'draft' THEN created + make_interval(mins => r2 % 4320) END, created, created \
FROM (SELECT g, h, r2, r5, created, \
        CASE WHEN r1 % 100 < 8 THEN 'draft' WHEN r1 % 100 < 43 THEN 'submitted' \
             WHEN r1 % 100 < 68 THEN 'under_review' WHEN r1 % 100 < 71 THEN 'information_requested' \
             WHEN r1 % 100 < 91 THEN 'recorded' WHEN r1 % 100 < 96 THEN 'rejected' ELSE 'withdrawn' END AS status, \
        ($4::text[])[1 + r2 % cardinality($4::text[])] AS cat, \
        ($5::text[])[1 + r3 % cardinality($5::text[])] AS reg, \
        ($6::text[])[1 + r4 % cardinality($6::text[])] AS fam, \
        ($7::text[])[1 + r1 % cardinality($7::text[])] AS given, \
        ($8::text[])[1 + r3 % cardinality($8::text[])] AS pat, \
        lpad((r4 % 1000000000)::text, 10, '0') AS tax, \
        ((r5 % 60000000) / 100.0 + 300)::numeric(12, 2)::text AS amount, \
        (date '2022-03-01' + r2 % 1300)::text AS incident \
      FROM (SELECT g, h, \
              ('x0' || substr(h, 17, 7))::bit(32)::int AS r1, ('x0' || substr(h, 20, 7))::bit(32)::int AS r2, \
              ('x0' || substr(h, 24, 7))::bit(32)::int AS r3, ('x0' || substr(h2, 1, 7))::bit(32)::int AS r4, \
              ('x0' || substr(h2, 9, 7))::bit(32)::int AS r5, \
              timestamptz '2024-01-01 00:00:00+00' + (g::float8 / $3) * interval '1030 days' AS created \
            FROM (SELECT g, md5(g::text) AS h, md5('b' || g::text) AS h2 FROM generate_series($1::bigint, $2::bigint) g) s0) s1) s2";

/// The same rows on SQLite (no md5 there: multiplicative hashes instead).
fn sqlite_fill(cats: usize, regs: usize) -> String {
    let fam = FAMILY.len();
    let given = GIVEN.len();
    let pat = PATRONYMIC.len();
    format!(
        "INSERT INTO claims (id, filed_by, status, category, reference, sensitive, content, claimant_name, \
  claimant_search, claimant_key, region, incident_from, incident_to, totals, duplicate_flagged, submitted_at, \
  created_at, updated_at) \
WITH RECURSIVE s(g) AS (SELECT ?1 UNION ALL SELECT g + 1 FROM s WHERE g < ?2), \
 s1 AS (SELECT g, (g * 2654435761) % 4294967291 AS r1, (g * 40503 + 7) % 1000003 AS r2, \
          (g * 69069 + 1) % 999983 AS r3, (g * 1103515245 + 12345) % 2147483647 AS r4, \
          (g * 22695477 + 1) % 4294967291 AS r5, 1704067200000 + g * 88992000000 / ?3 AS ms FROM s), \
 s2 AS (SELECT *, CASE WHEN r1 % 100 < 8 THEN 'draft' WHEN r1 % 100 < 43 THEN 'submitted' \
             WHEN r1 % 100 < 68 THEN 'under_review' WHEN r1 % 100 < 71 THEN 'information_requested' \
             WHEN r1 % 100 < 91 THEN 'recorded' WHEN r1 % 100 < 96 THEN 'rejected' ELSE 'withdrawn' END AS status, \
          json_extract(?4, '$[' || (r2 % {cats}) || ']') AS cat, json_extract(?5, '$[' || (r3 % {regs}) || ']') AS reg, \
          json_extract(?6, '$[' || (r4 % {fam}) || ']') AS fam, json_extract(?7, '$[' || (r1 % {given}) || ']') AS given, \
          json_extract(?8, '$[' || (r3 % {pat}) || ']') AS pat, printf('%010d', r4 % 1000000000) AS tax, \
          printf('%d.%02d', 300 + r5 % 600000, r5 % 100) AS amount, date('2022-03-01', '+' || (r2 % 1300) || ' days') AS incident, \
          strftime('%Y-%m-%dT%H:%M:%S', ms / 1000, 'unixepoch') || '.000000Z' AS created FROM s1) \
SELECT unhex(printf('%012x', ms) || '7' || printf('%03x', r1 % 4096) || '8' || printf('%07x%08x', r5 % 268435456, g)), \
  ?9, status, cat, \
  CASE WHEN status <> 'draft' THEN 'RD-' || substr(created, 1, 4) || '-' || printf('%07d', g) END, 0, \
  json_object('claimant', json_object('claimant_type', 'natural_person', 'given_name', given, 'family_name', fam, \
      'patronymic', pat, 'tax_number', tax, 'nationalities', json_array('UA')), 'category', cat, \
    'incident', json_object('kind', 'on', 'date', incident), \
    'location', json_object('region', reg, 'settlement', 'Ірпінь', 'occupied_territory', json('false')), \
    'narrative', 'Будинок було зруйновано внаслідок артилерійського обстрілу.', \
    'losses', json_array(json_object('description', 'Житловий будинок', 'amount', json_object('amount', amount, 'currency', 'EUR'))), \
    'external_references', json_array(), 'category_fields', json_object()), \
  fam || ' ' || given || ' ' || pat, lower(fam || ' ' || given || ' ' || pat), 'rnokpp:' || tax, reg, incident, incident, \
  json_array(json_object('amount', amount, 'currency', 'EUR')), r5 % 200 = 0, \
  CASE WHEN status <> 'draft' THEN strftime('%Y-%m-%dT%H:%M:%S', ms / 1000 + r2 % 259200, 'unixepoch') || '.000000Z' END, \
  created, created FROM s2"
    )
}

/// Fills the claims table with `rows` generated claims filed by
/// `accounts`. On PostgreSQL the secondary indexes are dropped during the
/// load and built again after it (as a restore does), which is much faster
/// than maintaining them row by row.
pub(crate) async fn fill(
    backend: Backend,
    url: &str,
    rows: u64,
    catalogue: &Catalogue,
    accounts: &[String],
) -> anyhow::Result<Duration> {
    fill_range(backend, url, 1, rows, rows, catalogue, accounts).await
}

/// Generates rows `first..=last` of a table of `spread` rows (creation
/// times are spread as if there were `spread`): the scale scenario grows
/// one table step by step, each step with its own series, so reference
/// numbers stay unique.
pub(crate) async fn fill_range(
    backend: Backend,
    url: &str,
    first: u64,
    last: u64,
    spread: u64,
    catalogue: &Catalogue,
    accounts: &[String],
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let rows = last;
    let (cats, regs) = weighted_codes(catalogue);
    let fam: Vec<String> = FAMILY.iter().map(|s| (*s).to_owned()).collect();
    let given: Vec<String> = GIVEN.iter().map(|s| (*s).to_owned()).collect();
    let pat: Vec<String> = PATRONYMIC.iter().map(|s| (*s).to_owned()).collect();
    let chunk = 500_000u64;
    match backend {
        Backend::Postgres => {
            let mut conn = PgConnection::connect(url).await?;
            // Generation only: the measured work runs with the server's
            // own durable settings.
            conn.execute("SET synchronous_commit = off; SET maintenance_work_mem = '512MB'")
                .await?;
            let indexes: Vec<(String, String)> = sqlx::query_as(
                "SELECT c.relname::text, pg_get_indexdef(i.indexrelid) FROM pg_index i \
                 JOIN pg_class c ON c.oid = i.indexrelid \
                 WHERE i.indrelid = 'claims'::regclass AND NOT i.indisprimary \
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
            )
            .fetch_all(&mut conn)
            .await?;
            for (name, _) in &indexes {
                conn.execute(format!("DROP INDEX {name}").as_str()).await?;
            }
            let ids: Vec<uuid::Uuid> = accounts.iter().filter_map(|a| a.parse().ok()).collect();
            let mut from = first;
            while from <= rows {
                let to = (from + chunk - 1).min(rows);
                sqlx::query(PG_FILL)
                    .bind(i64::try_from(from)?)
                    .bind(i64::try_from(to)?)
                    .bind(i64::try_from(spread)?)
                    .bind(&cats)
                    .bind(&regs)
                    .bind(&fam)
                    .bind(&given)
                    .bind(&pat)
                    .bind(&ids)
                    .execute(&mut conn)
                    .await?;
                eprintln!(
                    "bench: list: {to} of {rows} claims generated ({:.0} s)",
                    start.elapsed().as_secs_f64()
                );
                from = to + 1;
            }
            for (name, def) in &indexes {
                eprintln!("bench: list: building index {name}");
                conn.execute(def.as_str()).await?;
            }
            conn.execute("VACUUM ANALYZE claims").await?;
            conn.close().await?;
        }
        Backend::Sqlite => {
            let mut conn = SqliteConnection::connect(url).await?;
            conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
                .await?;
            let account: uuid::Uuid = accounts
                .first()
                .and_then(|a| a.parse().ok())
                .unwrap_or_default();
            let sql = sqlite_fill(cats.len(), regs.len());
            let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_default();
            let mut from = first;
            while from <= rows {
                let to = (from + chunk - 1).min(rows);
                sqlx::query(&sql)
                    .bind(i64::try_from(from)?)
                    .bind(i64::try_from(to)?)
                    .bind(i64::try_from(spread)?)
                    .bind(json(&cats))
                    .bind(json(&regs))
                    .bind(json(&fam))
                    .bind(json(&given))
                    .bind(json(&pat))
                    .bind(account)
                    .execute(&mut conn)
                    .await?;
                eprintln!("bench: list: {to} of {rows} claims generated");
                from = to + 1;
            }
            conn.execute("ANALYZE").await?;
            conn.close().await?;
        }
    }
    Ok(start.elapsed())
}

/// One documented filter of `GET /v1/claims`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Filter {
    None,
    Status,
    Category,
    Region,
    SubmittedFrom,
    SubmittedTo,
    SubmittedMonth,
    Duplicate,
    NamePrefix,
    Reference,
}

pub(crate) const FILTERS: [Filter; 10] = [
    Filter::None,
    Filter::Status,
    Filter::Category,
    Filter::Region,
    Filter::SubmittedFrom,
    Filter::SubmittedTo,
    Filter::SubmittedMonth,
    Filter::Duplicate,
    Filter::NamePrefix,
    Filter::Reference,
];

impl Filter {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::None => "(no filter)",
            Self::Status => "status",
            Self::Category => "category",
            Self::Region => "region",
            Self::SubmittedFrom => "submitted_from",
            Self::SubmittedTo => "submitted_to",
            Self::SubmittedMonth => "submitted_from + submitted_to (one month)",
            Self::Duplicate => "duplicate=true",
            Self::NamePrefix => "q (surname prefix)",
            Self::Reference => "q (reference number)",
        }
    }

    /// Query parameters for a random value of the filter.
    pub(crate) fn params(
        self,
        rng: &mut StdRng,
        catalogue: &Catalogue,
        rows: u64,
    ) -> Vec<(&'static str, String)> {
        let date = |rng: &mut StdRng| {
            let day = rng.random_range(0..1000);
            (time::macros::date!(2024 - 01 - 01) + time::Duration::days(day)).to_string()
        };
        match self {
            Self::None => vec![],
            Self::Status => vec![(
                "status",
                (*STATUSES.choose(rng).unwrap_or(&"submitted")).to_owned(),
            )],
            Self::Category => vec![(
                "category",
                catalogue
                    .categories
                    .choose(rng)
                    .map(|(c, _)| c.code.as_str().to_owned())
                    .unwrap_or_default(),
            )],
            Self::Region => vec![(
                "region",
                catalogue
                    .regions
                    .choose(rng)
                    .map(|(r, _)| r.clone())
                    .unwrap_or_default(),
            )],
            Self::SubmittedFrom => vec![("submitted_from", date(rng))],
            Self::SubmittedTo => vec![("submitted_to", date(rng))],
            Self::SubmittedMonth => {
                let from = date(rng);
                let to = time::Date::parse(
                    &from,
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .map(|d| (d + time::Duration::days(30)).to_string())
                .unwrap_or_default();
                vec![("submitted_from", from), ("submitted_to", to)]
            }
            Self::Duplicate => vec![("duplicate", "true".to_owned())],
            Self::NamePrefix => {
                let family = *FAMILY.choose(rng).unwrap_or(&"Коваленко");
                let len = rng.random_range(3..=family.chars().count());
                vec![("q", family.chars().take(len).collect())]
            }
            Self::Reference => {
                let n = rng.random_range(1..=rows.clamp(1, 9_999_999));
                // The year is the creation year of row n (see PG_FILL).
                let year = 2024 + (n * 1030 / rows.max(1)) / 365;
                vec![("q", format!("RD-{year}-{n:07}"))]
            }
        }
    }

    /// The statement the store runs for these parameters (first page, staff
    /// without the sensitive clearance), with literal values, for EXPLAIN.
    pub(crate) fn sql(backend: Backend, params: &[(&'static str, String)]) -> String {
        let pg = backend == Backend::Postgres;
        let mut sql = String::from(
            "SELECT id, reference, status, category, region, claimant_name, sensitive, \
             duplicate_flagged, totals, submitted_at, version FROM claims WHERE 1 = 1",
        );
        sql += if pg {
            " AND NOT sensitive"
        } else {
            " AND sensitive = 0"
        };
        let instant = |d: &str| {
            if pg {
                format!("'{d}T00:00:00Z'")
            } else {
                format!("'{d}T00:00:00.000000Z'")
            }
        };
        for (k, v) in params {
            match *k {
                "status" | "category" | "region" => {
                    let _ = write!(sql, " AND {k} = '{v}'");
                }
                "submitted_from" => {
                    let _ = write!(sql, " AND submitted_at >= {}", instant(v));
                }
                "submitted_to" => {
                    let _ = write!(sql, " AND submitted_at < {}", instant(v));
                }
                "duplicate" => {
                    sql += if pg {
                        " AND duplicate_flagged = true"
                    } else {
                        " AND duplicate_flagged = 1"
                    }
                }
                "q" => {
                    let prefix = v.to_lowercase();
                    let collate = if pg { " COLLATE \"C\"" } else { "" };
                    let _ = write!(
                        sql,
                        " AND (reference = '{v}' OR (claimant_search{collate} >= '{prefix}' AND claimant_search{collate} < '{prefix}\u{10FFFF}'))"
                    );
                }
                _ => {}
            }
        }
        let by_submission = params
            .iter()
            .any(|(k, _)| matches!(*k, "submitted_from" | "submitted_to"));
        sql + if by_submission {
            " ORDER BY submitted_at, id LIMIT 51"
        } else {
            " ORDER BY id LIMIT 51"
        }
    }
}

/// Walks the list with each filter for `duration`, following cursors up
/// to five pages deep, and explains each filter's first page.
#[allow(clippy::too_many_arguments, reason = "one call site, all plain inputs")]
pub(crate) async fn measure(
    backend: Backend,
    db_url: &str,
    base: &str,
    token: &str,
    catalogue: &Catalogue,
    rows: u64,
    connections: usize,
    warmup: Duration,
    duration: Duration,
    seed: u64,
    rss: impl Fn() -> f64,
) -> anyhow::Result<(Vec<Row>, Vec<Explain>)> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .tcp_nodelay(true)
        .build()?;
    let mut out = Vec::new();
    let mut explains = Vec::new();
    let shared = std::sync::Arc::new(catalogue.clone());
    for (i, filter) in FILTERS.into_iter().enumerate() {
        let outcome = walk(
            &client,
            base,
            token,
            &shared,
            rows,
            &[filter],
            connections,
            warmup,
            duration,
            seed + (i as u64) * 1000,
        )
        .await;
        let latency = crate::load::Latency::of(&outcome.latency);
        let mut row = Row::new(
            "list",
            backend.as_str(),
            &format!("GET /v1/claims {}", filter.name()),
            outcome.per_second(),
            "req/s",
        )
        .latency(latency)
        .rss(rss())
        .errors(outcome.errors);
        if backend == Backend::Postgres {
            row = row.target(Target::P99Below(20.0));
        }
        if let Some(e) = outcome.first_error {
            row = row.note(format!("first error: {e}"));
        }
        out.push(row);
        let mut rng = StdRng::seed_from_u64(seed);
        let params = filter.params(&mut rng, &shared, rows);
        let sql = Filter::sql(backend, &params);
        let plan = match backend {
            Backend::Postgres => {
                let mut conn = PgConnection::connect(db_url).await?;
                let plan = crate::pg::explain(&mut conn, &sql).await?;
                conn.close().await?;
                plan
            }
            Backend::Sqlite => {
                let mut conn = SqliteConnection::connect(db_url).await?;
                let rows = conn
                    .fetch_all(format!("EXPLAIN QUERY PLAN {sql}").as_str())
                    .await?;
                let mut plan = String::new();
                for r in rows {
                    plan += &r.try_get::<String, _>("detail")?;
                    plan.push('\n');
                }
                let t0 = Instant::now();
                let n = conn.fetch_all(sql.as_str()).await?.len();
                let _ = writeln!(
                    plan,
                    "-- {n} rows in {:.2} ms",
                    t0.elapsed().as_secs_f64() * 1000.0
                );
                conn.close().await?;
                plan
            }
        };
        explains.push(Explain {
            backend: backend.as_str().to_owned(),
            filter: filter.name().to_owned(),
            sql,
            plan,
        });
    }
    Ok((out, explains))
}

/// Closed-loop walks of `GET /v1/claims`: each walk takes one of
/// `filters` and a random value for it, and follows `next_cursor` up to
/// five pages deep.
#[allow(clippy::too_many_arguments, reason = "plain inputs")]
pub(crate) async fn walk(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    catalogue: &std::sync::Arc<Catalogue>,
    rows: u64,
    filters: &[Filter],
    connections: usize,
    warmup: Duration,
    duration: Duration,
    seed: u64,
) -> crate::load::Outcome {
    struct Walker {
        client: reqwest::Client,
        rng: StdRng,
        params: Vec<(&'static str, String)>,
        cursor: Option<String>,
        pages: u32,
        catalogue: std::sync::Arc<Catalogue>,
        filters: std::sync::Arc<Vec<Filter>>,
    }
    let url: std::sync::Arc<str> = std::sync::Arc::from(format!("{base}/v1/claims"));
    let auth: std::sync::Arc<str> = std::sync::Arc::from(format!("Bearer {token}"));
    let filters = std::sync::Arc::new(filters.to_vec());
    crate::load::run(
        connections,
        warmup,
        duration,
        |w| Walker {
            client: client.clone(),
            rng: StdRng::seed_from_u64(seed + w as u64),
            params: Vec::new(),
            cursor: None,
            pages: 0,
            catalogue: catalogue.clone(),
            filters: filters.clone(),
        },
        move |mut st: Walker| {
            let url = url.clone();
            let auth = auth.clone();
            async move {
                if st.cursor.is_none() || st.pages >= 5 {
                    // One filter draws nothing, so its walks repeat
                    // those of earlier runs with the same seed.
                    let filter = match st.filters.as_slice() {
                        [only] => *only,
                        all => *all.choose(&mut st.rng).unwrap_or(&Filter::None),
                    };
                    st.params = filter.params(&mut st.rng, &st.catalogue, rows);
                    st.cursor = None;
                    st.pages = 0;
                }
                let mut query = st.params.clone();
                if let Some(c) = &st.cursor {
                    query.push(("cursor", c.clone()));
                }
                let result = async {
                    let r = st
                        .client
                        .get(&*url)
                        .header("authorization", &*auth)
                        .query(&query)
                        .send()
                        .await?;
                    let status = r.status();
                    let body: serde_json::Value = r.json().await?;
                    anyhow::ensure!(status.is_success(), "{status}: {body}");
                    Ok(body["next_cursor"].as_str().map(str::to_owned))
                }
                .await;
                st.pages += 1;
                match result {
                    Ok(next) => {
                        st.cursor = next;
                        (st, Ok(()))
                    }
                    Err(e) => {
                        st.cursor = None;
                        (st, Err(e))
                    }
                }
            }
        },
    )
    .await
}

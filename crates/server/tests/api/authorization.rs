//! The authorization matrix, generated from the router: every route and
//! method, called as every role and anonymously, must answer as the policy
//! table says. A route without a policy entry fails here.

use crate::support::{Db, TestApp};
use kernel::{Permission, Role};
use server::authz::ROUTES;

fn routes_from_openapi() -> Vec<(String, String)> {
    let spec = serde_json::to_value(server::http::openapi()).unwrap();
    let mut routes = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes.sort();
    routes
}

#[test]
fn every_route_has_a_policy_entry() {
    let routes = routes_from_openapi();
    assert!(
        routes.len() >= ROUTES.len() - 1,
        "the description lists the routes"
    );
    for (method, path) in &routes {
        assert!(
            ROUTES
                .iter()
                .any(|(m, p, _)| m.as_str() == method && p == path),
            "{method} {path} has no entry in the authorization table (http/authz.rs)"
        );
    }
    // The description itself is served by the docs UI, not described in it.
    for (m, p, _) in ROUTES.iter().filter(|(_, p, _)| *p != "/openapi.json") {
        assert!(
            routes
                .iter()
                .any(|(method, path)| method == m.as_str() && path == p),
            "{m} {p} is in the authorization table but not in the API description"
        );
    }
}

/// One account per role (the state's for NL), with a token each.
async fn role_tokens(app: &TestApp) -> Vec<(Role, String)> {
    let mut tokens = Vec::new();
    for role in Role::ALL {
        let (_, token) = match role {
            Role::State => {
                app.account_with(store::NewAccount {
                    display_name: "State".into(),
                    roles: vec![role],
                    clearances: vec![],
                    participant: Some("NL".into()),
                    external_subject: None,
                })
                .await
            }
            _ => app.account(role.as_str(), &[role]).await,
        };
        tokens.push((role, token));
    }
    tokens
}

async fn matrix(db: Db) {
    let Some(app) = TestApp::spawn(db).await else {
        eprintln!("skipped: REDRESS_TEST_POSTGRES_URL is not set");
        return;
    };
    let mut tokens: Vec<(Option<Role>, Option<String>)> = role_tokens(&app)
        .await
        .into_iter()
        .map(|(role, token)| (Some(role), Some(token)))
        .collect();
    tokens.push((None, None));

    let mut checked = 0;
    for (method, path, action) in ROUTES {
        let concrete = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    uuid::Uuid::now_v7().to_string()
                } else {
                    seg.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for (role, token) in &tokens {
            let mut req = app
                .request(
                    reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap(),
                    &concrete,
                )
                .header("content-type", "application/json");
            if *method != reqwest::Method::GET {
                req = req.body("{}");
            }
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let status = req.send().await.unwrap().status().as_u16();
            let who = role.map_or("anonymous", Role::as_str);
            match role {
                _ if action.is_public() => {
                    assert!(
                        status != 401 && status != 403,
                        "{who} {method} {path}: {status}"
                    );
                }
                None => assert_eq!(status, 401, "{who} {method} {path}"),
                Some(r) => match kernel::permission(*r, *action) {
                    Permission::Deny => assert_eq!(status, 403, "{who} {method} {path}"),
                    Permission::Allow | Permission::Own => {
                        assert!(
                            status != 401 && status != 403,
                            "{who} {method} {path}: {status}"
                        );
                    }
                },
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ROUTES.len() * (Role::ALL.len() + 1));
}

#[tokio::test]
async fn matrix_on_sqlite() {
    matrix(Db::Sqlite).await;
}

#[tokio::test]
async fn matrix_on_postgres() {
    matrix(Db::Postgres).await;
}

/// The pages (not in the API description) under the same policy: every
/// page and form of `authz::PAGES`, as every role through a signed-in
/// session and anonymously. Without a session a page sends the browser to
/// sign in (303) and a form is refused (401); a role the policy denies gets
/// 403; anyone else gets past the policy (forms carry their CSRF token).
async fn page_matrix(db: Db) {
    use crate::web::{Browser, client, sign_in};
    use server::authz::PAGES;
    let Some(app) = TestApp::spawn(db).await else {
        eprintln!("skipped: REDRESS_TEST_POSTGRES_URL is not set");
        return;
    };
    let tokens = role_tokens(&app).await;
    let mut browsers: Vec<(Option<Role>, Option<Browser>)> = Vec::new();
    for (role, token) in &tokens {
        browsers.push((Some(*role), Some(sign_in(&app, token).await)));
    }
    browsers.push((None, None));

    let mut checked = 0;
    for (method, path, action) in PAGES {
        // Signing in is the web tests' subject: its form needs the
        // double-submit cookie of the form page, and a bad token answers 401.
        if *method == axum::http::Method::POST && *path == "/sign-in" {
            continue;
        }
        let concrete = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    uuid::Uuid::now_v7().to_string()
                } else {
                    seg.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for i in 0..browsers.len() {
            let role = browsers[i].0;
            // Signing out ends the session: it is done in a session of its
            // own, and since an account has one session at a time, the
            // role's next pages use a new one.
            let browser = match (&browsers[i].1, *path == "/sign-out") {
                (Some(_), true) => Some(sign_in(&app, &tokens[i].1).await),
                (b, _) => b.clone(),
            };
            let http = client();
            let url = format!("{}{concrete}", app.base);
            let request = if *method == axum::http::Method::GET {
                http.get(&url)
            } else {
                let csrf = browser.as_ref().map(|b| b.csrf.clone()).unwrap_or_default();
                http.post(format!("{url}?csrf={csrf}")).form(&[
                    ("csrf", csrf.as_str()),
                    ("message", "m"),
                    ("reasons", "r"),
                ])
            };
            let request = match &browser {
                Some(b) => request.header("cookie", &b.cookie),
                None => request,
            };
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let who = role.map_or("anonymous", Role::as_str);
            match role.as_ref() {
                _ if action.is_public() => {
                    assert!(
                        status != 401 && status != 403,
                        "{who} {method} {path}: {status}"
                    );
                }
                None if *method == axum::http::Method::GET => {
                    assert_eq!(status, 303, "{who} {method} {path}");
                    let to = response.headers()["location"].to_str().unwrap();
                    assert!(
                        to.starts_with("/sign-in?next="),
                        "{who} {method} {path}: {to}"
                    );
                }
                None => assert_eq!(status, 401, "{who} {method} {path}"),
                Some(r) => match kernel::permission(*r, *action) {
                    Permission::Deny => assert_eq!(status, 403, "{who} {method} {path}"),
                    Permission::Allow | Permission::Own => {
                        assert!(
                            status != 401 && status != 403,
                            "{who} {method} {path}: {status}"
                        );
                    }
                },
            }
            checked += 1;
            if role.is_some() && *path == "/sign-out" {
                browsers[i].1 = Some(sign_in(&app, &tokens[i].1).await);
            }
        }
    }
    assert_eq!(checked, (PAGES.len() - 1) * (Role::ALL.len() + 1));
}

#[tokio::test]
async fn page_matrix_on_sqlite() {
    page_matrix(Db::Sqlite).await;
}

#[tokio::test]
async fn page_matrix_on_postgres() {
    page_matrix(Db::Postgres).await;
}

/// The policy table as `docs/authorization.md` shows it.
fn policy_table() -> String {
    use std::fmt::Write as _;
    let mut out = String::from("| action |");
    for role in Role::ALL {
        let _ = write!(out, " {} |", role.as_str());
    }
    out.push_str("\n|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push('\n');
    for action in kernel::Action::ALL {
        let name = serde_json::to_value(action).unwrap();
        let _ = write!(out, "| `{}` |", name.as_str().unwrap());
        for role in Role::ALL {
            let cell = if action.is_public() {
                "public"
            } else {
                match kernel::permission(role, action) {
                    Permission::Allow => "yes",
                    Permission::Own => "own",
                    Permission::Deny => "–",
                }
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out
}

#[test]
fn the_documented_policy_is_the_policy() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/authorization.md");
    let docs = std::fs::read_to_string(&path).unwrap();
    let table = policy_table();
    assert!(
        docs.contains(&table),
        "docs/authorization.md is out of date; its table must read:\n\n{table}"
    );
}

//! The audit chain over HTTP: `/v1/audit/head`, `/v1/audit/verify` and the
//! log's filters.

use crate::support::{json, problem};
use kernel::{Clock as _, Role};
use serde_json::json;

both! {
    async fn auditors_verify_the_chain_and_read_its_head(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let (_, auditor) = app.account("Auditor", &[Role::Auditor]).await;
        for i in 0..3 {
            let (status, _) = json(
                app.post("/v1/accounts")
                    .bearer_auth(&admin)
                    .header("idempotency-key", format!("audit-{i}"))
                    .json(&json!({"display_name": format!("Board {i}"), "roles": ["board"]}))
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(status, 201);
        }
        let (status, head) =
            json(app.get("/v1/audit/head").bearer_auth(&auditor).send().await.unwrap()).await;
        assert_eq!(status, 200);
        let seq = head["seq"].as_i64().unwrap();
        assert!(seq >= 5, "{head}");
        assert_eq!(head["hash"].as_str().unwrap().len(), 64);
        assert!(head["at"].is_string());

        let (status, report) =
            json(app.get("/v1/audit/verify").bearer_auth(&auditor).send().await.unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(report["intact"], true, "{report}");
        assert_eq!(report["entries"].as_i64(), Some(seq));
        assert_eq!(report["head"], head);
        assert!(report["broken"].is_null());

        // The head is the newest entry of the log, found by its seq.
        let (status, page) = json(
            app.get(&format!("/v1/audit?seq={seq}")).bearer_auth(&auditor).send().await.unwrap(),
        )
        .await;
        assert_eq!(status, 200);
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["seq"].as_i64(), Some(seq));
        assert_eq!(items[0]["hash"], head["hash"]);
        assert_eq!(items[0]["prev_hash"].as_str().unwrap().len(), 64);

        // Time filters: everything was written before a minute from now.
        let later = (app.clock.now() + time::Duration::minutes(1))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let (_, before) = json(
            app.get(&format!("/v1/audit?to={later}&limit=500")).bearer_auth(&auditor).send().await.unwrap(),
        )
        .await;
        assert_eq!(before["items"].as_array().unwrap().len(), usize::try_from(seq).unwrap());
        let (_, after) = json(
            app.get(&format!("/v1/audit?from={later}")).bearer_auth(&auditor).send().await.unwrap(),
        )
        .await;
        assert!(after["items"].as_array().unwrap().is_empty());
    }

    async fn only_auditors_see_the_chain(app: TestApp) {
        let (_, admin) = app.account("Admin", &[Role::Admin]).await;
        let (_, registrar) = app.account("Registrar", &[Role::Registrar]).await;
        let (_, claimant) = app.account("Claimant", &[Role::Claimant]).await;
        for path in ["/v1/audit/head", "/v1/audit/verify"] {
            for token in [&admin, &registrar, &claimant] {
                problem(app.get(path).bearer_auth(token).send().await.unwrap(), 403, "forbidden").await;
            }
            assert_eq!(app.get(path).send().await.unwrap().status(), 401);
        }
    }
}

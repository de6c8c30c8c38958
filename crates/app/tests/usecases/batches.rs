//! Mass-claims batches from selection through the job's chunks, the sample
//! review and the duplicate guard to release or return.

use crate::cases::{A31_RULE, cases, eur, file, fixed_rule, refusal, rule};
use crate::support::World;
use app::ErrorClass;
use app::batches::{BatchRun, Chunk, ClaimedJob, CreateBatch};
use commission::{BatchStatus, CaseStatus, Finding, ReleaseDecision};
use kernel::{Action, Role};
use rust_decimal::Decimal;
use store::cases::JobStatus;

const LEASE: time::Duration = time::Duration::minutes(1);

/// The next job, claimed by `worker` for `lease`; it must be a batch's.
async fn claim(w: &World, worker: &str, lease: time::Duration) -> BatchRun {
    match app::batches::claim_job(&w.app, worker, lease)
        .await
        .unwrap()
    {
        Some(ClaimedJob::Batch(run)) => run,
        Some(ClaimedJob::Settled(job)) => panic!("job {job} was settled"),
        None => panic!("no job"),
    }
}

/// Chunks of `size` until none is left; the cases handled.
async fn assess_all(w: &World, run: &BatchRun, size: u32) -> usize {
    let mut handled = 0;
    loop {
        match run.assess_chunk(&w.app, size).await.unwrap() {
            Chunk::Processed(0) => return handled,
            Chunk::Processed(n) => handled += n,
            Chunk::LeaseLost(reason) => panic!("lease lost: {reason}"),
        }
    }
}

fn plan(share: i64, minimum: u32) -> CreateBatch {
    CreateBatch {
        category: "A3.1".into(),
        sample_share: Some(Decimal::new(share, 2)),
        sample_minimum: Some(minimum),
        ..CreateBatch::default()
    }
}

both! {
    async fn a_batch_goes_from_selection_through_job_chunks_to_release(w: World) {
        let council = w.actor("Council", &[Role::Council], false, Action::ReleaseBatch).await;
        let assessor = w.actor("Assessor", &[Role::Assessor], false, Action::AssessCase).await;
        let reviewer = w.actor("Reviewer", &[Role::Assessor], false, Action::ReviewSample).await;
        app::cases::publish_rule(&w.app, &council, rule(A31_RULE).into()).await.unwrap();
        let ids = cases(&w, "A3.1", 25).await;

        let created = app::batches::create(&w.app, &assessor, plan(10, 3)).await.unwrap();
        let batch = created.batch;
        assert_eq!((batch.status, batch.case_count, batch.round), (BatchStatus::Selected, 25, 0));
        assert_eq!((batch.plan.sample_share, batch.plan.sample_minimum, batch.plan.error_threshold),
            (Decimal::new(10, 2), 3, Decimal::new(5, 2)), "the threshold's default");
        let job = app::batches::start_assessment(&w.app, &assessor, batch.id).await.unwrap();
        assert_eq!((job.status, job.total), (JobStatus::Queued, 25));
        let again = app::batches::start_assessment(&w.app, &assessor, batch.id).await.unwrap_err();
        assert_eq!((again.class, again.facts["code"].as_str()), (ErrorClass::Conflict, Some("illegal_batch_transition")));

        let run = claim(&w, "worker", LEASE).await;
        assert_eq!(run.job(), job.id);
        assert_eq!(run.assess_chunk(&w.app, 10).await.unwrap(), Chunk::Processed(10));
        let progress = app::batches::job(&w.app, &assessor, job.id).await.unwrap();
        assert_eq!((progress.status, progress.processed, progress.chunks), (JobStatus::Running, 10, 1));
        assert_eq!(assess_all(&w, &run, 10).await, 15);
        // A retried chunk finds nothing left.
        assert_eq!(run.assess_chunk(&w.app, 10).await.unwrap(), Chunk::Processed(0));
        run.finish(&w.app).await.unwrap();
        let done = app::batches::job(&w.app, &assessor, job.id).await.unwrap();
        assert_eq!((done.status, done.processed, done.assessed), (JobStatus::Completed, 25, 25));
        assert!(app::batches::claim_job(&w.app, "worker", LEASE).await.unwrap().is_none());
        for id in &ids {
            let assessments = w.app.store.assessments(*id).await.unwrap();
            assert_eq!(assessments.len(), 1, "case {id} assessed once");
            assert_eq!(assessments[0].assessment.result, eur(7_650_000));
            assert_eq!(assessments[0].assessor, assessor.principal.account);
        }

        let reviewed = app::batches::batch(&w.app, &reviewer, batch.id).await.unwrap();
        assert_eq!(reviewed.batch.status, BatchStatus::InReview);
        // max(3, ⌈10 % of 25⌉) = 3
        let sample = reviewed.batch.sample.clone().unwrap();
        assert_eq!(sample.len(), 3);
        // Whoever started the assessment assessed the cases: not their reviewer.
        let own = app::batches::record_finding(&w.app, &assessor, batch.id, sample[0], Finding::Confirmed).await.unwrap_err();
        assert_eq!((own.class, own.kind), (ErrorClass::Conflict, "conflict-of-interest"));
        let outside = ids.iter().find(|c| !sample.contains(c)).unwrap();
        let unsampled = app::batches::record_finding(&w.app, &reviewer, batch.id, *outside, Finding::Confirmed).await.unwrap_err();
        assert_eq!(unsampled.class, ErrorClass::NotFound);
        let no_reason = Finding::Corrected { amount: eur(100), reason: " ".into() };
        let invalid = app::batches::record_finding(&w.app, &reviewer, batch.id, sample[0], no_reason).await.unwrap_err();
        assert_eq!((invalid.class, invalid.errors[0].code.as_str()), (ErrorClass::Invalid, "invalid_correction"));
        // Releasing before the review is complete is refused.
        let early = app::batches::release(&w.app, &council, batch.id, reviewed.batch.version).await.unwrap_err();
        assert_eq!((early.class, early.facts["code"].as_str()), (ErrorClass::Conflict, Some("finding_missing")));
        let mut last = None;
        for case in &sample {
            last = Some(app::batches::record_finding(&w.app, &reviewer, batch.id, *case, Finding::Confirmed).await.unwrap());
        }
        let last = last.unwrap();
        assert_eq!((last.findings.len(), last.sample_error_rate()), (3, Decimal::ZERO));
        let twice = app::batches::record_finding(&w.app, &reviewer, batch.id, sample[0], Finding::Confirmed).await.unwrap_err();
        assert_eq!(twice.class, ErrorClass::Conflict);

        let stale = app::batches::release(&w.app, &council, batch.id, last.batch.version - 1).await.unwrap_err();
        assert_eq!(stale.class, ErrorClass::Stale);
        let decided = app::batches::release(&w.app, &council, batch.id, last.batch.version).await.unwrap();
        assert_eq!((decided.decision, decided.sample_error_rate), (ReleaseDecision::Release, Decimal::ZERO));
        assert_eq!(decided.batch.batch.status, BatchStatus::Released);
        for id in &ids {
            assert_eq!(w.app.store.case(*id).await.unwrap().status, CaseStatus::ReadyForPanel);
        }
        let after = app::batches::release(&w.app, &council, batch.id, decided.batch.batch.version).await.unwrap_err();
        assert_eq!(after.class, ErrorClass::Conflict);
    }

    async fn a_batch_with_too_many_corrections_is_returned_and_reassessed(w: World) {
        let council = w.actor("Council", &[Role::Council], false, Action::ReleaseBatch).await;
        let assessor = w.actor("Assessor", &[Role::Assessor], false, Action::AssessCase).await;
        let reviewer = w.actor("Reviewer", &[Role::Assessor], false, Action::ReviewSample).await;
        app::cases::publish_rule(&w.app, &council, rule(A31_RULE).into()).await.unwrap();
        app::cases::publish_rule(&w.app, &council, rule(r#"{"category":"A2.2","version":1,"kind":"manual"}"#).into()).await.unwrap();
        let ids = cases(&w, "A3.1", 4).await;

        // What a batch cannot be made of.
        let field = |e: app::AppError| {
            let first = e.errors.first().unwrap_or_else(|| panic!("{:?} {}", e.class, e.detail));
            (e.class, first.field.clone(), first.code.clone())
        };
        let share = CreateBatch { sample_share: Some(Decimal::new(15, 1)), ..plan(5, 2) };
        assert_eq!(field(app::batches::create(&w.app, &assessor, share).await.unwrap_err()),
            (ErrorClass::Invalid, "sample_share".into(), "invalid_sample_share".into()));
        let threshold = CreateBatch { error_threshold: Some(Decimal::TWO), ..plan(5, 2) };
        assert_eq!(field(app::batches::create(&w.app, &assessor, threshold).await.unwrap_err()),
            (ErrorClass::Invalid, "error_threshold".into(), "out_of_range".into()));
        let manual = CreateBatch { category: "A2.2".into(), ..plan(5, 2) };
        assert_eq!(field(app::batches::create(&w.app, &assessor, manual).await.unwrap_err()),
            (ErrorClass::Invalid, "category".into(), "manual_rule".into()));
        let unruled = CreateBatch { category: "A2.1".into(), ..plan(5, 2) };
        assert_eq!(field(app::batches::create(&w.app, &assessor, unruled).await.unwrap_err()),
            (ErrorClass::Invalid, "rule_version".into(), "no_rule".into()));
        let band = CreateBatch { criteria: app::cases::CaseCriteria { max_amount: Some("1000".into()), ..Default::default() }, ..plan(5, 2) };
        let empty = app::batches::create(&w.app, &assessor, band).await.unwrap_err();
        assert_eq!(empty.class, ErrorClass::Conflict, "no case claims 1,000 EUR or less");

        let batch = app::batches::create(&w.app, &assessor, plan(50, 2)).await.unwrap().batch;
        for round in 1..=2 {
            let job = app::batches::start_assessment(&w.app, &assessor, batch.id).await.unwrap();
            let run = claim(&w, "worker", LEASE).await;
            assert_eq!(run.job(), job.id);
            assert_eq!(assess_all(&w, &run, 3).await, 4);
            run.finish(&w.app).await.unwrap();
            let reviewed = app::batches::batch(&w.app, &reviewer, batch.id).await.unwrap();
            assert_eq!((reviewed.batch.status, reviewed.batch.round), (BatchStatus::InReview, round));
            // Findings are per round: the new sample starts unreviewed.
            assert!(reviewed.findings.is_empty());
            let sample = reviewed.batch.sample.unwrap();
            assert_eq!(sample.len(), 2);
            let wrong = Finding::Corrected { amount: eur(6_000_000), reason: "The floor area is 88 m², not 112.5".into() };
            app::batches::record_finding(&w.app, &reviewer, batch.id, sample[0], wrong).await.unwrap();
            let last = app::batches::record_finding(&w.app, &reviewer, batch.id, sample[1], Finding::Confirmed).await.unwrap();
            let decided = app::batches::release(&w.app, &council, batch.id, last.batch.version).await.unwrap();
            assert_eq!((decided.decision, decided.sample_error_rate, decided.error_threshold),
                (ReleaseDecision::ReturnForReassessment, Decimal::new(5, 1), Decimal::new(5, 2)));
            assert_eq!(decided.findings.len(), 2);
            assert_eq!(decided.batch.batch.status, BatchStatus::Returned);
            for id in &ids {
                let case = w.app.store.case(*id).await.unwrap();
                assert_eq!((case.status, case.batch_id), (CaseStatus::Assigned, Some(batch.id)));
                assert_eq!(w.app.store.assessments(*id).await.unwrap().len(), usize::try_from(round).unwrap());
            }
        }
    }

    async fn a_worker_that_lost_its_lease_stops_without_writing(w: World) {
        let council = w.actor("Council", &[Role::Council], false, Action::ReleaseBatch).await;
        let assessor = w.actor("Assessor", &[Role::Assessor], false, Action::AssessCase).await;
        app::cases::publish_rule(&w.app, &council, rule(A31_RULE).into()).await.unwrap();
        let ids = cases(&w, "A3.1", 6).await;
        let batch = app::batches::create(&w.app, &assessor, plan(50, 1)).await.unwrap().batch;
        let job = app::batches::start_assessment(&w.app, &assessor, batch.id).await.unwrap();

        // Worker A stalls past its lease after one chunk; worker B takes over.
        let a = claim(&w, "worker-a", time::Duration::seconds(-1)).await;
        assert_eq!(a.assess_chunk(&w.app, 2).await.unwrap(), Chunk::Processed(2));
        let b = claim(&w, "worker-b", LEASE).await;
        assert_eq!(b.job(), job.id);
        assert!(app::batches::claim_job(&w.app, "worker-c", LEASE).await.unwrap().is_none());
        assert!(matches!(a.assess_chunk(&w.app, 10).await.unwrap(), Chunk::LeaseLost(_)));
        // A's finishing leaves the job to B.
        a.finish(&w.app).await.unwrap();
        assert_eq!(w.app.store.batch(batch.id).await.unwrap().status, BatchStatus::Assessing);
        assert_eq!(app::batches::job(&w.app, &assessor, job.id).await.unwrap().processed, 2);
        assert_eq!(assess_all(&w, &b, 10).await, 4);
        b.finish(&w.app).await.unwrap();
        assert_eq!(w.app.store.batch(batch.id).await.unwrap().status, BatchStatus::InReview);
        for id in &ids {
            assert_eq!(w.app.store.assessments(*id).await.unwrap().len(), 1, "case {id}");
        }
    }

    async fn an_interrupted_import_is_settled_as_it_is_claimed(w: World) {
        // The uploading process stopped: its lease ran out.
        let import = w.app.store
            .create_import_job(&store::AuditContext::system(), "uploader", time::Duration::seconds(-1))
            .await.unwrap();
        match app::batches::claim_job(&w.app, "worker", LEASE).await.unwrap() {
            Some(ClaimedJob::Settled(job)) => assert_eq!(job, import.id),
            _ => panic!("the import was not settled"),
        }
        let failed = w.app.store.job(import.id).await.unwrap();
        assert_eq!(failed.status, JobStatus::Failed);
        assert!(failed.error.unwrap().contains("upload the file again"));
        assert!(app::batches::claim_job(&w.app, "worker", LEASE).await.unwrap().is_none());
    }

    async fn staff_without_the_clearance_know_nothing_of_a_sensitive_batch(w: World) {
        let council = w.actor("Council", &[Role::Council], true, Action::ReleaseBatch).await;
        let cleared = w.actor("Cleared", &[Role::Assessor], true, Action::AssessCase).await;
        let uncleared = w.actor("Assessor", &[Role::Assessor], false, Action::AssessCase).await;
        let reviewer = w.actor("Reviewer", &[Role::Assessor], false, Action::ReviewSample).await;
        app::cases::publish_rule(&w.app, &council, fixed_rule("A2.4").into()).await.unwrap();
        app::cases::publish_rule(&w.app, &council, fixed_rule("A2.1").into()).await.unwrap();
        // The claimant of a batch case already holds an assessed award in
        // a sensitive category.
        let earlier = file(&w, "A2.4", &[], &["rnokpp:7".into()]).await[0];
        let case = app::cases::assign(&w.app, &cleared, earlier, 1, cleared.principal.account).await.unwrap();
        app::cases::assess(&w.app, &cleared, earlier, case.version, app::cases::AssessCase::default()).await.unwrap();
        let flagged = file(&w, "A2.1", &[], &["rnokpp:7".into()]).await[0];
        cases(&w, "A2.4", 2).await;

        let sensitive = CreateBatch { category: "A2.4".into(), ..CreateBatch::default() };
        assert_eq!(refusal(app::batches::create(&w.app, &uncleared, sensitive.clone()).await), Some(ErrorClass::NotFound));
        let hidden = app::batches::create(&w.app, &cleared, sensitive).await.unwrap().batch;
        let job = app::batches::start_assessment(&w.app, &cleared, hidden.id).await.unwrap();
        assert_eq!(refusal(app::batches::batch(&w.app, &uncleared, hidden.id).await), Some(ErrorClass::NotFound));
        assert_eq!(refusal(app::batches::start_assessment(&w.app, &uncleared, hidden.id).await), Some(ErrorClass::NotFound));
        assert_eq!(refusal(app::batches::job(&w.app, &uncleared, job.id).await), Some(ErrorClass::NotFound));
        assert_eq!(refusal(app::batches::release(&w.app, &uncleared, hidden.id, hidden.version).await), Some(ErrorClass::NotFound));
        assert!(app::batches::job(&w.app, &cleared, job.id).await.is_ok());

        // A flag naming a sensitive category shows that one is involved,
        // not which, and only the cleared may clear it.
        let open = CreateBatch { category: "A2.1".into(), ..CreateBatch::default() };
        let batch = app::batches::create(&w.app, &uncleared, open).await.unwrap();
        let flag = &batch.duplicate_flags[0];
        assert_eq!((flag.case, flag.restricted, flag.other_categories.len()), (flagged, true, 0));
        let seen = app::batches::batch(&w.app, &cleared, batch.batch.id).await.unwrap();
        assert_eq!((seen.duplicate_flags[0].restricted, seen.duplicate_flags[0].other_categories.clone()),
            (false, vec!["A2.4".to_owned()]));
        let refused = app::batches::clear_duplicate(&w.app, &reviewer, batch.batch.id, flagged, "Checked").await;
        assert_eq!(refusal(refused), Some(ErrorClass::NotFound));
        let reasonless = app::batches::clear_duplicate(&w.app, &cleared, batch.batch.id, flagged, "  ").await.unwrap_err();
        assert_eq!(reasonless.errors[0].field, "reason");
        let cleared_now = app::batches::clear_duplicate(&w.app, &cleared, batch.batch.id, flagged, "Different losses").await.unwrap();
        assert_eq!(cleared_now.cleared_duplicates, [flagged]);
    }
}

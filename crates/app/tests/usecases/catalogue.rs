//! Catalogue edits.

use app::ErrorClass;
use kernel::{Action, Role};

both! {
    async fn a_category_is_replaced_only_at_the_version_last_seen(w: World) {
        let admin = w.actor("Admin", &[Role::Admin], false, Action::ManageCatalogue).await;
        let mut category = app::catalogue::categories(&w.app).await.unwrap()
            .into_iter().find(|c| c.category.code.as_str() == "A3.1").unwrap();
        let version = category.version;
        category.category.name_en = "Residential property".into();
        // Creating what exists is refused: the caller has not seen it.
        let refused = app::catalogue::put_category(&w.app, &admin, "A3.1", category.category.clone(), None).await;
        assert_eq!(refused.err().map(|e| e.class), Some(ErrorClass::VersionRequired));
        let put = app::catalogue::put_category(&w.app, &admin, "A3.1", category.category.clone(), Some(version)).await.unwrap();
        assert!(!put.created);
        assert_eq!(put.record.version, version + 1);
        let stale = app::catalogue::put_category(&w.app, &admin, "A3.1", category.category.clone(), Some(version)).await;
        assert_eq!(stale.err().map(|e| e.class), Some(ErrorClass::Stale));
        let mismatch = app::catalogue::put_category(&w.app, &admin, "A3.2", category.category, Some(version + 1)).await;
        let e = mismatch.err().unwrap();
        assert_eq!((e.class, e.errors[0].field.as_str()), (ErrorClass::Invalid, "code"));
    }
}

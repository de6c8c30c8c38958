//! Cursor pagination.
//!
//! Lists are ordered by a time-ordered id and paged by keyset: the cursor is
//! the last id a page returned, so page N costs the same as page 1 at 10
//! million rows, and rows inserted meanwhile never shift a page. Cursors are
//! opaque to clients (URL-safe base64) so the encoding can change.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where the next page starts: after this id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor(pub Uuid);

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }

    /// `None` for anything that is not a cursor this service issued.
    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        Uuid::from_slice(&bytes).ok().map(Self)
    }
}

/// A validated page request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Cursor>,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 500;

    /// The limit is clamped to `1..=MAX_LIMIT`; an absent one means the default.
    pub fn new(limit: Option<u32>, after: Option<Cursor>) -> Self {
        let limit = limit
            .unwrap_or(Self::DEFAULT_LIMIT)
            .clamp(1, Self::MAX_LIMIT);
        Self { limit, after }
    }

    /// Rows to fetch: one more than the limit tells whether a next page exists.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

/// Where the next page of a list ordered by a text key starts: after this
/// key (a code; a category and version; a currency pair and date). Opaque
/// to clients like [`Cursor`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyCursor(pub String);

impl KeyCursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }

    /// `None` for anything that is not a cursor this service issued.
    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        String::from_utf8(bytes).ok().map(Self)
    }
}

/// A validated page request over a list ordered by a text key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPageRequest {
    pub limit: u32,
    pub after: Option<KeyCursor>,
}

impl KeyPageRequest {
    /// The limit is clamped as for [`PageRequest`].
    pub fn new(limit: Option<u32>, after: Option<KeyCursor>) -> Self {
        Self {
            limit: PageRequest::new(limit, None).limit,
            after,
        }
    }

    /// Rows to fetch: one more than the limit tells whether a next page exists.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

impl Default for KeyPageRequest {
    fn default() -> Self {
        Self::new(None, None)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::new(None, None)
    }
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched rows, using `id` to make
    /// the cursor of the last row kept.
    pub fn from_rows(mut rows: Vec<T>, request: PageRequest, id: impl Fn(&T) -> Uuid) -> Self {
        let limit = request.limit as usize;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| Cursor(id(last)).encode())
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }

    /// Pages a whole list already in ascending id order (a claim's
    /// messages, a case's assessments): the items after the cursor's id, up
    /// to the limit. For lists bounded by their parent, where loading the
    /// whole list costs no more than a page.
    pub fn from_all(items: Vec<T>, request: PageRequest, id: impl Fn(&T) -> Uuid) -> Self {
        let rows = items
            .into_iter()
            .filter(|item| request.after.is_none_or(|after| id(item) > after.0))
            .take(request.limit as usize + 1)
            .collect();
        Self::from_rows(rows, request, id)
    }

    /// Builds a page from up to `limit + 1` fetched rows of a list ordered
    /// by a text key, using `key` to make the cursor of the last row kept.
    pub fn from_keyed_rows(
        mut rows: Vec<T>,
        request: &KeyPageRequest,
        key: impl Fn(&T) -> String,
    ) -> Self {
        let limit = request.limit as usize;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| KeyCursor(key(last)).encode())
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }

    /// Pages a whole list already in ascending key order, as
    /// [`Page::from_all`] does by id.
    pub fn from_all_keyed(
        items: Vec<T>,
        request: &KeyPageRequest,
        key: impl Fn(&T) -> String,
    ) -> Self {
        let rows = items
            .into_iter()
            .filter(|item| {
                request
                    .after
                    .as_ref()
                    .is_none_or(|after| key(item) > after.0)
            })
            .take(request.limit as usize + 1)
            .collect();
        Self::from_keyed_rows(rows, request, key)
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor(Uuid::now_v7());
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("%%%"), None);
        assert_eq!(Cursor::decode("AAAA"), None);
    }

    #[test]
    fn limit_is_clamped() {
        assert_eq!(PageRequest::new(Some(0), None).limit, 1);
        assert_eq!(
            PageRequest::new(Some(10_000), None).limit,
            PageRequest::MAX_LIMIT
        );
        assert_eq!(
            PageRequest::new(None, None).limit,
            PageRequest::DEFAULT_LIMIT
        );
    }

    #[test]
    fn whole_lists_page_by_id_and_by_key() {
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        let first = Page::from_all(ids.clone(), PageRequest::new(Some(2), None), |u| *u);
        assert_eq!(first.items, ids[..2]);
        let after = Cursor::decode(first.next_cursor.as_deref().unwrap());
        let second = Page::from_all(ids.clone(), PageRequest::new(Some(3), after), |u| *u);
        assert_eq!(second.items, ids[2..]);
        assert_eq!(second.next_cursor, None);

        let codes: Vec<String> = ["AA", "BB", "CC"].map(String::from).to_vec();
        let request = KeyPageRequest::new(Some(1), None);
        let first = Page::from_all_keyed(codes.clone(), &request, Clone::clone);
        assert_eq!(first.items, ["AA"]);
        let after = KeyCursor::decode(first.next_cursor.as_deref().unwrap());
        assert_eq!(after, Some(KeyCursor("AA".into())));
        let rest = Page::from_all_keyed(codes, &KeyPageRequest::new(None, after), Clone::clone);
        assert_eq!(rest.items, ["BB", "CC"]);
        assert_eq!(rest.next_cursor, None);
    }

    #[test]
    fn next_cursor_only_when_more_rows_exist() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let req = PageRequest::new(Some(2), None);
        let page = Page::from_rows(ids.clone(), req, |u| *u);
        assert_eq!(page.items, ids[..2]);
        assert_eq!(page.next_cursor, Some(Cursor(ids[1]).encode()));
        let last = Page::from_rows(ids[..2].to_vec(), req, |u| *u);
        assert_eq!(last.next_cursor, None);
    }
}

//! The API's conventions, checked on the OpenAPI document itself: every
//! operation says what it does (a summary), and every list is a page
//! (`{items, next_cursor}` with `limit` and `cursor`), never a bare array.

use serde_json::Value;

fn document() -> Value {
    serde_json::to_value(server::http::openapi()).expect("the document is JSON")
}

/// A schema with `$ref` resolved (to the component it names).
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("a local schema reference: {reference}"));
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// Whether a schema's `type` is (or includes) `array`.
fn is_array(schema: &Value) -> bool {
    match &schema["type"] {
        Value::String(t) => t == "array",
        Value::Array(types) => types.iter().any(|t| t == "array"),
        _ => false,
    }
}

/// Every operation: (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                out.push((method.to_uppercase(), path.clone(), operation));
            }
        }
    }
    out
}

/// The JSON bodies of an operation's successful answers.
fn json_bodies<'a>(doc: &'a Value, operation: &'a Value) -> Vec<(String, &'a Value)> {
    let mut out = Vec::new();
    for (status, response) in operation["responses"].as_object().expect("responses") {
        if !status.starts_with('2') {
            continue;
        }
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            continue;
        };
        for (media, body) in content {
            if media == "application/json" {
                out.push((status.clone(), resolve(doc, &body["schema"])));
            }
        }
    }
    out
}

fn query_parameters(operation: &Value) -> Vec<&str> {
    operation["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_operation_has_a_summary() {
    let doc = document();
    let missing: Vec<String> = operations(&doc)
        .into_iter()
        .filter(|(_, _, op)| op["summary"].as_str().is_none_or(|s| s.trim().is_empty()))
        .map(|(method, path, _)| format!("{method} {path}"))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a summary (the first line of the handler's doc comment):\n{}",
        missing.join("\n")
    );
}

#[test]
fn no_list_is_a_bare_array() {
    let doc = document();
    let mut bare = Vec::new();
    for (method, path, operation) in operations(&doc) {
        if method != "GET" {
            continue;
        }
        for (status, schema) in json_bodies(&doc, operation) {
            if is_array(schema) {
                bare.push(format!("{method} {path} ({status})"));
            }
        }
    }
    assert!(
        bare.is_empty(),
        "lists answered as bare arrays; answer a page ({{items, next_cursor}}) instead:\n{}",
        bare.join("\n")
    );
}

#[test]
fn every_list_is_a_page_with_limit_and_cursor() {
    let doc = document();
    let mut wrong = Vec::new();
    let mut pages = 0;
    for (method, path, operation) in operations(&doc) {
        if method != "GET" {
            continue;
        }
        for (status, schema) in json_bodies(&doc, operation) {
            let Some(items) = schema["properties"].get("items") else {
                continue;
            };
            pages += 1;
            let what = format!("{method} {path} ({status})");
            if !is_array(resolve(&doc, items)) {
                wrong.push(format!("{what}: `items` is not an array"));
            }
            if schema["properties"].get("next_cursor").is_none() {
                wrong.push(format!("{what}: no `next_cursor`"));
            }
            let params = query_parameters(operation);
            for name in ["limit", "cursor"] {
                if !params.contains(&name) {
                    wrong.push(format!("{what}: no `{name}` query parameter"));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "lists off the convention:\n{}",
        wrong.join("\n")
    );
    assert!(pages >= 25, "the walk found the lists: {pages}");
}

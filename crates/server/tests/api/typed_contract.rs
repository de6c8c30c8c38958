//! The OpenAPI document is a contract a client can be generated from
//! (scripts/client-walkthrough.sh generates one in CI): every body is
//! typed, every JSON request body has an example, operation ids are unique,
//! money is the one `Money` schema, and the API version is the crate's.

use serde_json::Value;
use std::collections::BTreeMap;

fn document() -> Value {
    serde_json::to_value(server::http::openapi()).expect("the document is JSON")
}

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

/// Every place in the document where an object is described with nothing
/// in it: no properties, no map values, no alternatives.
fn untyped_objects(node: &Value, at: &str, found: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            let object = match map.get("type") {
                Some(Value::String(t)) => t == "object",
                Some(Value::Array(types)) => types.iter().any(|t| t == "object"),
                _ => false,
            };
            let described = [
                "properties",
                "additionalProperties",
                "oneOf",
                "allOf",
                "anyOf",
            ]
            .iter()
            .any(|k| map.contains_key(*k));
            if object && !described {
                found.push(at.to_owned());
            }
            for (key, value) in map {
                // Examples are data, not schemas.
                if key != "example" && key != "examples" {
                    untyped_objects(value, &format!("{at}/{key}"), found);
                }
            }
        }
        Value::Array(items) => {
            for (i, value) in items.iter().enumerate() {
                untyped_objects(value, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn no_body_is_an_untyped_object() {
    let mut found = Vec::new();
    untyped_objects(&document(), "", &mut found);
    assert!(found.is_empty(), "untyped objects: {found:#?}");
}

#[test]
fn every_json_request_body_has_an_example() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    let mut missing = Vec::new();
    for (method, path, operation) in operations(&doc) {
        let Some(content) = operation["requestBody"]["content"].as_object() else {
            continue;
        };
        for (media, body) in content {
            if media.starts_with("multipart/") {
                continue;
            }
            let component = body["schema"]["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .map(|name| &schemas[name]);
            let has = body.get("example").is_some()
                || body.get("examples").is_some()
                || component.is_some_and(|c| c.get("example").is_some());
            if !has {
                missing.push(format!("{method} {path} ({media})"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "request bodies without an example: {missing:#?}"
    );
}

#[test]
fn operation_ids_are_unique_and_every_operation_has_a_summary_and_a_tag() {
    let doc = document();
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (method, path, operation) in operations(&doc) {
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        ids.entry(id.to_owned())
            .or_default()
            .push(format!("{method} {path}"));
        assert!(
            operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{method} {path} has no summary"
        );
        assert!(
            operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{method} {path} has no tag"
        );
    }
    let repeated: Vec<_> = ids.iter().filter(|(_, uses)| uses.len() > 1).collect();
    assert!(repeated.is_empty(), "repeated operation ids: {repeated:#?}");
}

#[test]
fn money_is_one_schema_and_the_version_is_the_crates() {
    let doc = document();
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let money = &schemas["Money"];
    assert_eq!(money["required"], serde_json::json!(["amount", "currency"]));
    assert_eq!(money["properties"]["currency"]["pattern"], "^[A-Z]{3}$");
    assert!(money["properties"]["amount"]["pattern"].is_string());
    // No second description of money under another name.
    let others: Vec<_> = schemas
        .iter()
        .filter(|(name, schema)| {
            *name != "Money"
                && schema["properties"].as_object().is_some_and(|p| {
                    p.len() == 2 && p.contains_key("amount") && p.contains_key("currency")
                })
        })
        .map(|(name, _)| name)
        .collect();
    assert!(others.is_empty(), "money described again as {others:?}");
}

//! The OpenAPI document is snapshot-tested: any API change shows up in review.

#[test]
fn the_openapi_document_matches_the_snapshot() {
    let spec = serde_json::to_value(trellis::server::openapi()).unwrap();
    insta::assert_json_snapshot!("openapi", spec);
}

/// The document is one a client generator takes: every response has its description and
/// every `$ref` names a schema the document defines.
#[test]
fn every_response_is_described_and_every_reference_resolves() {
    let spec = serde_json::to_value(trellis::server::openapi()).unwrap();
    let mut undescribed = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                if response.get("description").and_then(|d| d.as_str()).is_none_or(str::is_empty) {
                    undescribed.push(format!("{method} {path} {status}"));
                }
            }
        }
    }
    assert!(undescribed.is_empty(), "responses without a description: {undescribed:?}");
    fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x.as_str()) {
                        ("$ref", Some(r)) => out.push(r.to_string()),
                        _ => refs(x, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&spec, &mut all);
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let dangling: Vec<&String> =
        all.iter().filter(|r| r.strip_prefix("#/components/schemas/").is_none_or(|name| !schemas.contains_key(name))).collect();
    assert!(dangling.is_empty(), "references to undefined schemas: {dangling:?}");
}

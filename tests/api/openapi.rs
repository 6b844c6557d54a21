//! The OpenAPI document is snapshot-tested: any API change shows up in review.

#[test]
fn the_openapi_document_matches_the_snapshot() {
    let spec = serde_json::to_value(trellis::server::openapi()).unwrap();
    insta::assert_json_snapshot!("openapi", spec);
}

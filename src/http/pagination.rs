//! Cursor pagination: `?limit=` (default 50, at most 200) and an opaque `cursor` that
//! encodes the last id seen. Ids are UUID v7, so id order is creation order.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

pub fn limit(requested: Option<u64>) -> u64 {
    requested.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
}

pub fn decode_cursor(cursor: Option<&str>) -> Result<Option<uuid::Uuid>, ApiError> {
    let Some(c) = cursor else { return Ok(None) };
    let bytes = URL_SAFE_NO_PAD
        .decode(c)
        .map_err(|_| ApiError::field("cursor", "invalid_cursor", "This cursor was not issued by this service."))?;
    let bytes: [u8; 16] =
        bytes.try_into().map_err(|_| ApiError::field("cursor", "invalid_cursor", "This cursor was not issued by this service."))?;
    Ok(Some(uuid::Uuid::from_bytes(bytes)))
}

pub fn encode_cursor(id: &uuid::Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// Builds a page from `limit + 1` fetched rows: the extra row only says there is more.
pub fn page<R, T>(mut rows: Vec<R>, limit: u64, id: impl Fn(&R) -> uuid::Uuid, map: impl FnMut(R) -> T) -> Page<T> {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|r| encode_cursor(&id(r))) } else { None };
    Page { items: rows.into_iter().map(map).collect(), next_cursor }
}

//! The request id, path and client address of the request being served, available to
//! error rendering and the audit trail without threading them through every call.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::Request;

#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub request_id: String,
    pub path: String,
    pub client_addr: String,
}

tokio::task_local! {
    static CURRENT: RequestContext;
}

/// The context of the request this task serves (empty outside a request).
pub fn current() -> RequestContext {
    CURRENT.try_with(Clone::clone).unwrap_or_default()
}

pub async fn scope<F: Future>(ctx: RequestContext, f: F) -> F::Output {
    CURRENT.scope(ctx, f).await
}

/// A new request id. Always made here, never taken from the caller: it is written into the
/// audit trail, where a client must not be able to pose as another request.
pub fn request_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The client address: the peer, or behind a trusted proxy the last `X-Forwarded-For` hop.
pub fn client_addr<B>(req: &Request<B>, trust_proxy: bool) -> String {
    if trust_proxy {
        // The last hop of the last header: the one our own proxy added.
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .and_then(|v| v.parse::<std::net::IpAddr>().ok());
        if let Some(ip) = forwarded {
            return ip.to_string();
        }
    }
    req.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

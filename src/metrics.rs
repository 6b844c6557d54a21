//! A handful of Prometheus counters, served on their own listener so that the public port
//! never exposes them. Hand-rolled on atomics: the service needs six numbers, not a
//! metrics framework.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    pub requests_2xx: AtomicU64,
    pub requests_3xx: AtomicU64,
    pub requests_4xx: AtomicU64,
    pub requests_5xx: AtomicU64,
    pub request_micros_total: AtomicU64,
    pub login_failures: AtomicU64,
    pub lockouts: AtomicU64,
    pub throttled: AtomicU64,
    pub audit_sealed: AtomicU64,
    pub outbox_sent_smtp: AtomicU64,
    pub outbox_sent_log: AtomicU64,
    pub outbox_failed: AtomicU64,
}

impl Metrics {
    pub fn record_response(&self, status: u16, micros: u64) {
        let counter = match status {
            200..=299 => &self.requests_2xx,
            300..=399 => &self.requests_3xx,
            400..=499 => &self.requests_4xx,
            _ => &self.requests_5xx,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.request_micros_total.fetch_add(micros, Ordering::Relaxed);
    }

    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        let _ = writeln!(out, "# TYPE trellis_http_requests_total counter");
        for (class, c) in
            [("2xx", &self.requests_2xx), ("3xx", &self.requests_3xx), ("4xx", &self.requests_4xx), ("5xx", &self.requests_5xx)]
        {
            let _ = writeln!(out, "trellis_http_requests_total{{class=\"{class}\"}} {}", get(c));
        }
        let seconds = get(&self.request_micros_total) as f64 / 1e6;
        let _ = writeln!(out, "# TYPE trellis_http_request_seconds_total counter\ntrellis_http_request_seconds_total {seconds}");
        let _ = writeln!(out, "# TYPE trellis_login_failures_total counter\ntrellis_login_failures_total {}", get(&self.login_failures));
        let _ = writeln!(out, "# TYPE trellis_lockouts_total counter\ntrellis_lockouts_total {}", get(&self.lockouts));
        let _ = writeln!(out, "# TYPE trellis_throttled_total counter\ntrellis_throttled_total {}", get(&self.throttled));
        let _ = writeln!(out, "# TYPE trellis_audit_sealed_total counter\ntrellis_audit_sealed_total {}", get(&self.audit_sealed));
        let _ = writeln!(out, "# TYPE trellis_outbox_delivered_total counter");
        for (channel, c) in [("smtp", &self.outbox_sent_smtp), ("log", &self.outbox_sent_log)] {
            let _ = writeln!(out, "trellis_outbox_delivered_total{{channel=\"{channel}\"}} {}", get(c));
        }
        let _ = writeln!(out, "# TYPE trellis_outbox_failed_total counter\ntrellis_outbox_failed_total {}", get(&self.outbox_failed));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.record_response(200, 1500);
        m.record_response(404, 500);
        m.record_response(503, 10);
        Metrics::inc(&m.lockouts);
        Metrics::inc(&m.outbox_sent_smtp);
        Metrics::inc(&m.outbox_failed);
        let text = m.render();
        assert!(text.contains("trellis_http_requests_total{class=\"2xx\"} 1\n"));
        assert!(text.contains("trellis_http_requests_total{class=\"4xx\"} 1\n"));
        assert!(text.contains("trellis_http_requests_total{class=\"5xx\"} 1\n"));
        assert!(text.contains("trellis_lockouts_total 1\n"));
        assert!(text.contains("trellis_outbox_delivered_total{channel=\"smtp\"} 1\n"));
        assert!(text.contains("trellis_outbox_delivered_total{channel=\"log\"} 0\n"));
        assert!(text.contains("trellis_outbox_failed_total 1\n"));
        assert!(text.contains("trellis_http_request_seconds_total 0.00201\n"));
    }
}

//! Export and report benchmarks on a national-sized programme, through the real service.
//! Run with `cargo bench --bench reports`.
//!
//! 1. Builds the benchmark database once (kept for later runs): `trellis demo --scale 100`
//!    (about 30,000 young people), then pads the session logs to a few million by copying
//!    the seeded logs (`TRELLIS_BENCH_SESSIONS`, default 2,000,000; 0 keeps the seeded ones),
//!    since a demo match logs at most a few dozen sessions.
//! 2. Starts `trellis serve` on it, signs in as the demo evaluator over HTTP, and times:
//!    the evaluation extract (CSV, streamed to the end, counting its rows), reading the
//!    server's peak resident memory from `/proc` before and after; and the programme report
//!    (JSON and HTML) for the whole programme.
//!
//! Settings: `TRELLIS_BENCH_DIR` (default `target/bench`), `TRELLIS_BENCH_SCALE` (100),
//! `TRELLIS_BENCH_SESSIONS` (2000000), `TRELLIS_BENCH_RUNS` (3). Delete the directory to
//! rebuild the database.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

type Result<T> = std::result::Result<T, String>;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> Result<()> {
    let dir = PathBuf::from(std::env::var("TRELLIS_BENCH_DIR").unwrap_or_else(|_| "target/bench".into()));
    let scale = env_or("TRELLIS_BENCH_SCALE", 100);
    let sessions = env_or("TRELLIS_BENCH_SESSIONS", 2_000_000);
    let runs = env_or("TRELLIS_BENCH_RUNS", 3).max(1);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let db = dir.join(format!("scale{scale}.db"));
    let url = format!("sqlite://{}", db.display());
    let accounts = dir.join(format!("scale{scale}-accounts.json"));
    if !db.exists() {
        build_database(&dir, &url, &accounts, scale, sessions)?;
    }
    let db_bytes = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    println!("database: {} ({} MB)", db.display(), db_bytes / 1_000_000);

    let port = free_port()?;
    let mut server = Server::start(&dir, &url, port)?;
    let result = measure(&mut server, &accounts, port, runs);
    server.stop();
    result
}

fn trellis(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trellis"));
    c.env("TRELLIS_KEY_DIR", dir).env("RUST_LOG", "warn");
    c
}

fn build_database(dir: &Path, url: &str, accounts: &Path, scale: u64, sessions: u64) -> Result<()> {
    let start = Instant::now();
    let status = trellis(dir)
        .args(["demo", "--database-url", url, "--scale", &scale.to_string(), "--accounts-out"])
        .arg(accounts)
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("trellis demo failed: {status}"));
    }
    println!("seeded --scale {scale} in {:.1} s", start.elapsed().as_secs_f64());
    if sessions > 0 {
        let start = Instant::now();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        let n = rt.block_on(pad_sessions(url, sessions))?;
        println!("padded the session logs to {n} in {:.1} s", start.elapsed().as_secs_f64());
    }
    Ok(())
}

/// Copies the seeded session logs (new ids, the same matches and dates, no notes) until there
/// are at least `target` of them.
async fn pad_sessions(url: &str, target: u64) -> Result<u64> {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let db = Database::connect(url).await.map_err(|e| e.to_string())?;
    let count = |db: sea_orm::DatabaseConnection| async move {
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), "SELECT COUNT(*) AS n FROM mentoring_sessions"))
            .await
            .map_err(|e| e.to_string())?
            .ok_or("no count")?;
        row.try_get::<i64>("", "n").map_err(|e| e.to_string())
    };
    let seeded = count(db.clone()).await?;
    if seeded == 0 {
        return Err("the demo seeded no session logs".into());
    }
    let mut n = seeded;
    while (n as u64) < target {
        // One copy of the seeded rows per pass, with fresh random ids.
        db.execute_unprepared(&format!(
            "INSERT INTO mentoring_sessions (id, match_id, organisation_id, mentor_id, young_person_id, held_on, attended, \
             duration_minutes, mode, location_category, activities, engagement, mood_before, mood_after, notes, version, \
             created_by, created_at, updated_by, updated_at) \
             SELECT randomblob(16), match_id, organisation_id, mentor_id, young_person_id, held_on, attended, duration_minutes, \
             mode, location_category, activities, engagement, mood_before, mood_after, NULL, 1, created_by, created_at, \
             updated_by, updated_at FROM mentoring_sessions WHERE rowid <= {seeded} LIMIT {}",
            (target as i64 - n).min(seeded)
        ))
        .await
        .map_err(|e| e.to_string())?;
        n = count(db.clone()).await?;
    }
    Ok(n as u64)
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

struct Server(Child);

impl Server {
    fn start(dir: &Path, url: &str, port: u16) -> Result<Self> {
        let child = trellis(dir)
            .args(["serve", "--database-url", url, "--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let server = Server(child);
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Ok(r) = request(port, "GET", "/health/ready", None, None)
                && r.status == 200
            {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Err("the service did not become ready".into())
    }

    /// Resident memory now and at its peak, in MB, from /proc.
    fn memory(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(f64::NAN, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Response {
    status: u16,
    /// Header lines, lower-cased names.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    first_byte: Duration,
}

/// A minimal HTTP/1.1 client: one request per connection, chunked bodies decoded.
fn request(port: u16, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> Result<Response> {
    let start = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    let mut head = format!("{method} /api/v1{path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n");
    if path.starts_with("/health") {
        head = format!("{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n");
    }
    if let Some(t) = token {
        head.push_str(&format!("authorization: Bearer {t}\r\n"));
    }
    if let Some(b) = body {
        head.push_str(&format!("content-type: application/json\r\ncontent-length: {}\r\n", b.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    if let Some(b) = body {
        stream.write_all(b.as_bytes()).map_err(|e| e.to_string())?;
    }
    let mut reader = BufReader::with_capacity(1 << 16, stream);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    let first_byte = start.elapsed();
    let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or("bad status line")?;
    let mut chunked = false;
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).map_err(|e| e.to_string())?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((name, value)) = l.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            if name == "transfer-encoding" && value.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            }
            headers.push((name, value.trim().to_string()));
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line).map_err(|e| e.to_string())?;
            let size = usize::from_str_radix(line.trim_end().split(';').next().unwrap_or(""), 16).map_err(|e| e.to_string())?;
            if size == 0 {
                break;
            }
            let at = body.len();
            body.resize(at + size, 0);
            reader.read_exact(&mut body[at..]).map_err(|e| e.to_string())?;
            line.clear();
            reader.read_line(&mut line).map_err(|e| e.to_string())?;
        }
    } else {
        reader.read_to_end(&mut body).map_err(|e| e.to_string())?;
    }
    Ok(Response { status, headers, body, first_byte })
}

fn sign_in(accounts: &Path, port: u16) -> Result<String> {
    let text = std::fs::read_to_string(accounts).map_err(|e| format!("{}: {e}", accounts.display()))?;
    let list: Vec<serde_json::Value> = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let evaluator = list.iter().find(|a| a["role"] == "evaluator").ok_or("no evaluator in the demo accounts")?;
    let body = serde_json::json!({"email": evaluator["email"], "password": evaluator["password"]}).to_string();
    let r = request(port, "POST", "/auth/login", None, Some(&body))?;
    let v: serde_json::Value = serde_json::from_slice(&r.body).map_err(|e| e.to_string())?;
    v["token"].as_str().map(str::to_string).ok_or_else(|| format!("sign-in failed: {}", r.status))
}

fn measure(server: &mut Server, accounts: &Path, port: u16, runs: u64) -> Result<()> {
    let token = sign_in(accounts, port)?;
    let (rss, _) = server.memory();
    println!("service resident memory after start and sign-in: {rss:.1} MB");

    println!("\nevaluation extract, CSV, whole history (target: under 10 s, peak memory under 100 MB)");
    for run in 1..=runs {
        let start = Instant::now();
        let r = request(port, "GET", "/exports/evaluation?project=bench&format=csv", Some(&token), None)?;
        let took = start.elapsed();
        if r.status != 200 {
            return Err(format!("extract answered {}", r.status));
        }
        let rows = r.body.iter().filter(|&&b| b == b'\n').count().saturating_sub(1);
        let header = |name: &str| r.headers.iter().find(|(n, _)| n == name).map_or("-", |(_, v)| v.as_str());
        if run == 1 {
            println!(
                "  k = {}, generalised: {}, values suppressed: {}",
                header("trellis-k"),
                header("trellis-generalised"),
                header("trellis-suppressed-values")
            );
        }
        let (now, peak) = server.memory();
        println!(
            "  run {run}: {:.2} s (first byte {:.2} s), {rows} rows, {:.1} MB; service memory now {now:.1} MB, peak {peak:.1} MB",
            took.as_secs_f64(),
            r.first_byte.as_secs_f64(),
            r.body.len() as f64 / 1e6
        );
    }

    for format in ["json", "html"] {
        println!("\nprogramme report, whole programme, by quarter, {format} (target: under 2 s)");
        for run in 1..=runs {
            let start = Instant::now();
            let r = request(port, "GET", &format!("/reports/programme?format={format}"), Some(&token), None)?;
            let took = start.elapsed();
            if r.status != 200 {
                return Err(format!("report answered {}", r.status));
            }
            println!("  run {run}: {:.3} s, {:.1} kB", took.as_secs_f64(), r.body.len() as f64 / 1e3);
        }
    }

    println!("\ndisproportionality, by ethnicity");
    for run in 1..=runs {
        let start = Instant::now();
        let r = request(port, "GET", "/reports/disproportionality?by=ethnicity", Some(&token), None)?;
        if r.status != 200 {
            return Err(format!("disproportionality answered {}", r.status));
        }
        println!("  run {run}: {:.3} s", start.elapsed().as_secs_f64());
    }
    let (_, peak) = server.memory();
    println!("\nservice peak resident memory over the whole run: {peak:.1} MB");
    Ok(())
}

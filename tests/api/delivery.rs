//! Outbox delivery: alerts are e-mailed to a real SMTP listener on localhost (written here),
//! retried with backoff while the server is down and sent exactly once when it is back,
//! delivered by a restarted service, never sent twice by two workers, and delivered to the
//! log (without their content) when SMTP is not configured.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use chrono::Duration;
use sea_orm::{ActiveModelTrait, Set};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use trellis::config::{Smtp, SmtpTls};
use trellis::entities::user;
use trellis::organisations::dto::OrganisationKind;
use trellis::outbox::delivery::{Counts, Mailer, deliver_due};
use trellis::users::Role;

use crate::helpers::*;

const SUBJECT: &str = "Safeguarding concern raised: CSE, young person YP-0042";
const BODY: &str = "A concern (CSE) about YP-0042 was raised by Test coordinator. Sign in to read it.";

/// One message as the SMTP listener received it.
#[derive(Debug, Clone)]
struct Received {
    mail_from: String,
    rcpt_to: Vec<String>,
    data: String,
}

/// A minimal SMTP server on localhost that accepts everything and records it.
struct SmtpListener {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpListener {
    async fn start() -> Self {
        Self::on(TcpListener::bind("127.0.0.1:0").await.unwrap())
    }

    fn on(listener: TcpListener) -> Self {
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = serve_smtp(stream, store).await;
                });
            }
        });
        Self { addr, received, task }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    fn mailer(&self) -> Mailer {
        smtp_mailer(self.addr.port())
    }
}

impl Drop for SmtpListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn smtp_mailer(port: u16) -> Mailer {
    Mailer::smtp(&Smtp {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "Trellis <alerts@trellis.test>".into(),
    })
    .unwrap()
}

async fn serve_smtp(stream: tokio::net::TcpStream, store: Arc<Mutex<Vec<Received>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 localhost ESMTP test listener\r\n").await?;
    let mut current = Received { mail_from: String::new(), rcpt_to: Vec::new(), data: String::new() };
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            write.write_all(b"250 localhost\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            current = Received { mail_from: address_in(&command), rcpt_to: Vec::new(), data: String::new() };
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            current.rcpt_to.push(address_in(&command));
            write.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
            loop {
                let mut l = String::new();
                if lines.read_line(&mut l).await? == 0 {
                    return Ok(());
                }
                if l == ".\r\n" || l == ".\n" {
                    break;
                }
                current.data.push_str(&l);
            }
            store.lock().unwrap().push(current.clone());
            write.write_all(b"250 OK queued\r\n").await?;
        } else if upper == "QUIT" {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            write.write_all(b"250 OK\r\n").await?;
        } else {
            write.write_all(b"500 Unrecognised command\r\n").await?;
        }
    }
}

fn address_in(command: &str) -> String {
    let start = command.find('<').map(|i| i + 1).unwrap_or(0);
    let end = command.find('>').unwrap_or(command.len());
    command[start..end].to_string()
}

/// Everything logged while the guard lives (this test's thread only).
struct LogCapture {
    buf: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

#[derive(Clone)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    fn start() -> Self {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = SharedBuf(buf.clone());
        let subscriber =
            tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).with_max_level(tracing::Level::TRACE).finish();
        Self { buf, _guard: tracing::subscriber::set_default(subscriber) }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.buf.lock().unwrap()).into_owned()
    }
}

async fn recipient(app: &TestApp) -> TestUser {
    let lead = app.org("Lead Charity", OrganisationKind::Lead).await;
    app.user(lead, Role::SafeguardingLead).await
}

#[tokio::test]
async fn an_alert_is_sent_to_a_local_smtp_listener_and_marked_sent() {
    let app = TestApp::spawn().await;
    let dsl = recipient(&app).await;
    let smtp = SmtpListener::start().await;
    let id = app.enqueue_alert(&dsl, SUBJECT, BODY).await;

    let now = app.state.now();
    let counts = deliver_due(&app.state, &smtp.mailer(), now).await.unwrap();
    assert_eq!(counts, Counts { claimed: 1, sent: 1, logged: 0, failed: 0 });

    let got = smtp.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].mail_from, "alerts@trellis.test");
    assert_eq!(got[0].rcpt_to, vec![dsl.email.clone()]);
    assert!(got[0].data.contains(&format!("Subject: {SUBJECT}\r\n")), "{}", got[0].data);
    assert!(got[0].data.contains(&format!("To: {}\r\n", dsl.email)), "{}", got[0].data);
    assert!(got[0].data.contains("From: Trellis <alerts@trellis.test>\r\n"), "{}", got[0].data);
    // The Date header comes from the service's clock; the body may be quoted-printable.
    assert!(got[0].data.contains("Date: Mon, 23 Nov 2026 09:00:00 +0000\r\n"), "{}", got[0].data);
    assert!(got[0].data.replace("=\r\n", "").contains(BODY), "{}", got[0].data);

    let row = app.outbox_message(id).await;
    assert_eq!(row.sent_at, Some(now));
    assert_eq!(row.channel.as_deref(), Some("smtp"));
    assert_eq!(row.attempts, 0);
    assert_eq!(row.last_error, None);

    // Sent is sent: a later pass, even much later, sends nothing more.
    app.clock.advance(Duration::days(1));
    let counts = deliver_due(&app.state, &smtp.mailer(), app.state.now()).await.unwrap();
    assert_eq!(counts, Counts::default());
    assert_eq!(smtp.received().len(), 1);
    assert_eq!(app.state.metrics.outbox_sent_smtp.load(std::sync::atomic::Ordering::Relaxed), 1);
}

#[tokio::test]
async fn while_the_smtp_server_is_down_delivery_backs_off_and_then_sends_exactly_once() {
    let app = TestApp::spawn().await;
    let dsl = recipient(&app).await;
    let logs = LogCapture::start();
    // A port that refuses connections: bound, noted and closed again.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().port()
    };
    let mailer = smtp_mailer(port);
    let id = app.enqueue_alert(&dsl, SUBJECT, BODY).await;
    let t0 = app.state.now();

    let counts = deliver_due(&app.state, &mailer, t0).await.unwrap();
    assert_eq!(counts, Counts { claimed: 1, sent: 0, logged: 0, failed: 1 });
    let row = app.outbox_message(id).await;
    assert_eq!((row.attempts, row.sent_at, row.channel.clone()), (1, None, None));
    assert_eq!(row.next_attempt_at, t0 + Duration::seconds(30));
    assert_eq!(row.last_error.as_deref(), Some("smtp_connection"));

    // Not due again before its backoff runs out.
    app.clock.advance(Duration::seconds(29));
    assert_eq!(deliver_due(&app.state, &mailer, app.state.now()).await.unwrap(), Counts::default());

    // The second failure doubles the delay.
    app.clock.advance(Duration::seconds(1));
    let t1 = app.state.now();
    assert_eq!(deliver_due(&app.state, &mailer, t1).await.unwrap().failed, 1);
    let row = app.outbox_message(id).await;
    assert_eq!(row.attempts, 2);
    assert_eq!(row.next_attempt_at, t1 + Duration::seconds(60));
    assert_eq!(row.sent_at, None);

    // The server comes back on the same port; nothing is sent before the message is due.
    let smtp = SmtpListener::on(TcpListener::bind(("127.0.0.1", port)).await.unwrap());
    app.clock.advance(Duration::seconds(59));
    assert_eq!(deliver_due(&app.state, &mailer, app.state.now()).await.unwrap(), Counts::default());
    assert!(smtp.received().is_empty());

    app.clock.advance(Duration::seconds(1));
    let t2 = app.state.now();
    assert_eq!(deliver_due(&app.state, &mailer, t2).await.unwrap(), Counts { claimed: 1, sent: 1, logged: 0, failed: 0 });
    app.clock.advance(Duration::hours(2));
    assert_eq!(deliver_due(&app.state, &mailer, app.state.now()).await.unwrap(), Counts::default());

    let got = smtp.received();
    assert_eq!(got.len(), 1, "sent exactly once: {got:?}");
    assert_eq!(got[0].rcpt_to, vec![dsl.email.clone()]);
    let row = app.outbox_message(id).await;
    assert_eq!((row.sent_at, row.channel.as_deref(), row.attempts), (Some(t2), Some("smtp"), 2));

    // Neither the failures' log lines nor the recorded error carry the content or the address.
    let text = logs.text();
    assert!(text.contains("will retry") && text.contains(&id.to_string()), "{text}");
    for secret in [BODY, SUBJECT, "YP-0042", dsl.email.as_str()] {
        assert!(!text.contains(secret), "log leaks {secret:?}: {text}");
    }
}

#[tokio::test]
async fn a_message_written_before_a_restart_is_delivered_by_the_restarted_service() {
    let app = TestApp::spawn().await;
    let dsl = recipient(&app).await;
    let smtp = SmtpListener::start().await;
    let id = app.enqueue_alert(&dsl, SUBJECT, BODY).await;

    // The service stops before its worker ran; a new one starts over the same database.
    let restarted = app.restarted_state().await;
    let counts = deliver_due(&restarted, &smtp.mailer(), restarted.now()).await.unwrap();
    assert_eq!(counts.sent, 1);
    let got = smtp.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt_to, vec![dsl.email.clone()]);
    assert!(got[0].data.contains(&format!("Subject: {SUBJECT}\r\n")));
    assert_eq!(app.outbox_message(id).await.channel.as_deref(), Some("smtp"));
}

#[tokio::test]
async fn two_workers_at_once_never_send_a_message_twice() {
    let app = TestApp::spawn().await;
    let dsl = recipient(&app).await;
    let smtp = SmtpListener::start().await;
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(app.enqueue_alert(&dsl, &format!("Alert {n}"), BODY).await);
    }
    // Two replicas, each with its own connections, run a pass at the same moment.
    let other = app.restarted_state().await;
    let (m1, m2) = (smtp.mailer(), smtp.mailer());
    let now = app.state.now();
    let (a, b) = tokio::join!(deliver_due(&app.state, &m1, now), deliver_due(&other, &m2, now));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent + b.sent, 6, "{a:?} {b:?}");
    assert_eq!(a.claimed + b.claimed, 6, "{a:?} {b:?}");

    let mut subjects: Vec<String> =
        smtp.received().iter().map(|r| r.data.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap_or_default().to_string()).collect();
    subjects.sort();
    assert_eq!(subjects, (0..6).map(|n| format!("Alert {n}")).collect::<Vec<_>>());
    for id in ids {
        assert_eq!(app.outbox_message(id).await.channel.as_deref(), Some("smtp"));
    }
}

#[tokio::test]
async fn without_smtp_messages_are_delivered_to_the_log_without_their_content() {
    let app = TestApp::spawn().await;
    assert!(app.state.config.smtp.is_none());
    let dsl = recipient(&app).await;
    let mailer = Mailer::from_config(&app.state.config).unwrap();
    assert!(!mailer.is_smtp());
    let logs = LogCapture::start();
    let id = app.enqueue_alert(&dsl, SUBJECT, BODY).await;

    let now = app.state.now();
    assert_eq!(deliver_due(&app.state, &mailer, now).await.unwrap(), Counts { claimed: 1, sent: 0, logged: 1, failed: 0 });
    let row = app.outbox_message(id).await;
    assert_eq!((row.sent_at, row.channel.as_deref(), row.last_error), (Some(now), Some("log"), None));

    let text = logs.text();
    let line = text.lines().find(|l| l.contains("delivered to the log")).unwrap_or_default();
    assert!(line.contains(&id.to_string()), "{text}");
    assert!(line.contains(&dsl.id.to_string()), "{text}");
    assert!(line.contains("safeguarding.concern_raised"), "{text}");
    for secret in [BODY, SUBJECT, "YP-0042", dsl.email.as_str()] {
        assert!(!text.contains(secret), "log leaks {secret:?}: {text}");
    }
    assert_eq!(deliver_due(&app.state, &mailer, now).await.unwrap(), Counts::default());
}

#[tokio::test]
async fn an_inactive_recipient_or_one_without_an_address_gets_log_delivery_even_with_smtp() {
    let app = TestApp::spawn().await;
    let lead = app.org("Lead Charity", OrganisationKind::Lead).await;
    let gone = app.user(lead, Role::SafeguardingLead).await;
    let blank = app.user(lead, Role::SafeguardingLead).await;
    let smtp = SmtpListener::start().await;
    let logs = LogCapture::start();

    user::ActiveModel { id: Set(gone.id), active: Set(false), ..Default::default() }.update(&app.db).await.unwrap();
    user::ActiveModel { id: Set(blank.id), email: Set(String::new()), ..Default::default() }.update(&app.db).await.unwrap();
    let to_gone = app.enqueue_alert(&gone, SUBJECT, BODY).await;
    let to_blank = app.enqueue_alert(&blank, SUBJECT, BODY).await;

    let counts = deliver_due(&app.state, &smtp.mailer(), app.state.now()).await.unwrap();
    assert_eq!(counts, Counts { claimed: 2, sent: 0, logged: 2, failed: 0 });
    assert!(smtp.received().is_empty(), "nothing goes to a closed account or to no address");
    assert_eq!(app.outbox_message(to_gone).await.channel.as_deref(), Some("log:inactive"));
    assert_eq!(app.outbox_message(to_blank).await.channel.as_deref(), Some("log:no_address"));
    let text = logs.text();
    assert!(text.contains(&to_gone.to_string()) && text.contains(&to_blank.to_string()), "{text}");
    assert!(!text.contains(BODY) && !text.contains(&gone.email), "{text}");
}

#[tokio::test]
async fn the_background_worker_delivers_and_stops_when_told() {
    let app = TestApp::spawn().await;
    let dsl = recipient(&app).await;
    let smtp = SmtpListener::start().await;
    let id = app.enqueue_alert(&dsl, SUBJECT, BODY).await;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(trellis::outbox::delivery::run(app.state.clone(), Arc::new(smtp.mailer()), stop_rx));
    // Its first pass runs at once.
    for _ in 0..300 {
        if app.outbox_message(id).await.sent_at.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(smtp.received().len(), 1);
    assert_eq!(app.outbox_message(id).await.channel.as_deref(), Some("smtp"));

    stop_tx.send(true).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), worker).await.expect("the worker stops").unwrap();
    assert_eq!(smtp.received().len(), 1);
}

#[tokio::test]
async fn a_message_claimed_by_a_worker_that_died_mid_send_is_sent_when_its_claim_lapses() {
    let app = TestApp::spawn().await;
    let dsl = recipient(&app).await;
    // A server that accepts the connection and never answers: the send hangs, and the worker
    // is killed in the middle of it.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let id = app.enqueue_alert(&dsl, SUBJECT, BODY).await;
    let t0 = app.state.now();
    let dying = tokio::time::timeout(std::time::Duration::from_millis(300), deliver_due(&app.state, &smtp_mailer(silent_port), t0)).await;
    assert!(dying.is_err(), "the pass was cut off mid-send");
    hold.abort();
    let row = app.outbox_message(id).await;
    assert_eq!((row.sent_at, row.attempts), (None, 0));

    // The restarted service leaves it alone while the claim holds, then sends it once.
    let restarted = app.restarted_state().await;
    let smtp = SmtpListener::start().await;
    app.clock.advance(Duration::minutes(14));
    assert_eq!(deliver_due(&restarted, &smtp.mailer(), restarted.now()).await.unwrap(), Counts::default());
    app.clock.advance(Duration::minutes(1));
    assert_eq!(deliver_due(&restarted, &smtp.mailer(), restarted.now()).await.unwrap().sent, 1);
    assert_eq!(smtp.received().len(), 1);
    assert_eq!(app.outbox_message(id).await.channel.as_deref(), Some("smtp"));
}

//! Connection slots are shared between sources: one source that holds every connection it
//! can, re-opening each one the server closes, gets its share and no more, and other
//! sources keep being served at once.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use tempfile::TempDir;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

use crate::common::{Server, Setup, expect_token};

/// Connection slots of the server under attack; its sources get the default share.
const MAX: usize = 32;
const DEFAULT_SHARE: usize = MAX / 8;
/// Sockets the attacker keeps open: more than the server has slots.
const ATTACK: usize = MAX + 16;
const REQUESTS: usize = 50;
/// How long a legitimate request may take (generous: the machine is shared).
const BOUND: Duration = Duration::from_secs(1);
/// A socket the server has neither closed nor refused this long after the connect holds
/// a slot (or a place in the backlog).
const SETTLED: Duration = Duration::from_millis(250);

async fn server(dir: &TempDir, per_source: usize) -> Server {
    let setup = Setup {
        settings: Box::new(move |s| {
            s.limits.header_read_timeout = Duration::from_secs(2);
            s.limits.idle_timeout = Duration::from_secs(2);
            s.limits.max_connections = MAX;
            s.limits.max_connections_per_source = per_source;
        }),
        ..Setup::default()
    };
    Server::start_with(dir.path(), setup).await
}

fn addr(server: &Server) -> SocketAddr {
    server.base.trim_start_matches("http://").parse().unwrap()
}

/// A TCP connection from `ip` (any 127.0.0.0/8 address works on loopback).
async fn connect_from(ip: &str, server: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(format!("{ip}:0").parse().unwrap())?;
    socket.connect(server).await
}

/// Whether the server has closed `stream` (EOF, reset or bytes), without waiting.
fn closed_now(stream: &TcpStream) -> bool {
    let mut buf = [0u8; 64];
    !matches!(stream.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// Keeps [`ATTACK`] idle sockets from 127.0.0.2 open, re-opening each one the server
/// closes, until `stop` (at most 60 s). Returns the most sockets the server held open
/// at once for at least [`SETTLED`].
async fn attack(server: SocketAddr, stop: Arc<AtomicBool>) -> usize {
    let until = Instant::now() + Duration::from_secs(60);
    let mut sockets: Vec<(TcpStream, Instant)> = Vec::new();
    let mut most = 0;
    while !stop.load(Ordering::Relaxed) && Instant::now() < until {
        sockets.retain(|(stream, _)| !closed_now(stream));
        let held = sockets.iter().filter(|(_, at)| at.elapsed() >= SETTLED);
        most = most.max(held.count());
        while sockets.len() < ATTACK {
            let connect = connect_from("127.0.0.2", server);
            match tokio::time::timeout(Duration::from_millis(200), connect).await {
                Ok(Ok(stream)) => sockets.push((stream, Instant::now())),
                // A full backlog: try again on the next round.
                _ => break,
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    most
}

/// The refusal counter of the server's metrics.
fn refused(server: &Server) -> u64 {
    let text = server.state.metrics().render();
    let line = text
        .lines()
        .find(|l| l.starts_with("tollgate_connections_refused_per_source_total "))
        .unwrap_or_else(|| panic!("no refusal counter in {text}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

/// Token requests from 127.0.0.1, each on a new connection: the latency of those served
/// within [`BOUND`], and how many were not (the loop stops after three of those).
async fn legitimate_requests(server: &Server, id: &str, secret: &str) -> (Vec<Duration>, usize) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .local_address(Some("127.0.0.1".parse().unwrap()))
        .build()
        .unwrap();
    let (mut times, mut late) = (Vec::new(), 0);
    while times.len() < REQUESTS && late < 3 {
        let started = Instant::now();
        let request = server.token_via(&client, id, secret, &[]);
        match tokio::time::timeout(BOUND, request).await {
            Ok(response) => {
                expect_token(response).await;
                times.push(started.elapsed());
            }
            Err(_) => late += 1,
        }
    }
    (times, late)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_holding_every_connection_it_can_gets_its_share_and_others_are_served() {
    let dir = TempDir::new().unwrap();
    let server = server(&dir, 0).await;
    let (id, secret) = server.default_client().await;
    let stop = Arc::new(AtomicBool::new(false));
    let attacker = tokio::spawn(attack(addr(&server), Arc::clone(&stop)));
    // Let the attack take what it can, and the first idle sockets be closed and re-opened.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (mut times, late) = legitimate_requests(&server, &id, &secret).await;
    stop.store(true, Ordering::Relaxed);
    let most_held = attacker.await.unwrap();
    times.sort();
    let p50 = times.get(times.len() / 2).copied().unwrap_or(BOUND);
    let max = times.last().copied().unwrap_or(BOUND);
    let refused = refused(&server);
    eprintln!(
        "token latency from 127.0.0.1 while 127.0.0.2 holds every connection it can: \
         p50 {p50:.2?}, max {max:.2?}; {} served within {BOUND:?}, {late} not; the attacker \
         held at most {most_held} (share {DEFAULT_SHARE} of {MAX}); {refused} refused at accept",
        times.len()
    );
    assert_eq!((times.len(), late), (REQUESTS, 0));
    assert!(
        (1..=DEFAULT_SHARE).contains(&most_held),
        "the attacker held {most_held} connections"
    );
    assert!(refused > 0);
    server.stop().await;
}

#[tokio::test]
async fn a_connection_over_its_source_share_is_closed_unread_and_counted() {
    let dir = TempDir::new().unwrap();
    let server = server(&dir, 2).await;
    let (id, secret) = server.default_client().await;
    let held = [
        connect_from("127.0.0.2", addr(&server)).await.unwrap(),
        connect_from("127.0.0.2", addr(&server)).await.unwrap(),
    ];
    let mut third = connect_from("127.0.0.2", addr(&server)).await.unwrap();
    // The write may already meet the reset; either way no answer comes back.
    let _ = third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        .await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(2), third.read_to_end(&mut answer))
        .await
        .expect("the third connection was left open");
    assert!(read.is_err() || answer.is_empty(), "{answer:?}");
    assert_eq!(refused(&server), 1);
    // Other sources are served; the source gets its slots back once it closes them.
    expect_token(
        server
            .token_basic(&id, &secret, "grant_type=client_credentials")
            .await,
    )
    .await;
    drop(held);
    let again = crate::common::http_from("127.0.0.2");
    let mut status = 0;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        match again.get(server.url("/healthz")).send().await {
            Ok(response) => {
                status = response.status().as_u16();
                break;
            }
            Err(_) => continue,
        }
    }
    assert_eq!(status, 200);
    server.stop().await;
}

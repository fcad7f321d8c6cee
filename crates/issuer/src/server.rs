//! The accept loop: HTTP/1.1 on hyper with the connection limits of [`ConnectionLimits`].
//!
//! - At most `max_connections` are served at once. The loop takes a slot *before* it
//!   accepts, so excess connections wait in the kernel's listen backlog instead of being
//!   accepted and dropped.
//! - One source (an IPv4 address or IPv6 /64 of the TCP peer, as the lockout counts
//!   them) holds at most [`ConnectionLimits::per_source`] of those slots (see below).
//! - A watchdog closes a connection that takes longer than `header_read_timeout` to send a
//!   request's headers (counted from the accept, or from the first byte after an idle
//!   spell), or that stays idle longer than `idle_timeout` between requests. Trickling
//!   bytes does not extend either. Once the headers are in, `request_timeout` (a layer of
//!   [`crate::app`]) bounds the body read and the answer.
//! - Accept errors such as `EMFILE` back off (up to a second) instead of spinning, with
//!   one log line per burst.
//! - Every request carries the peer address as [`ConnectInfo<SocketAddr>`].
//!
//! # Fair shares of the slots
//!
//! The peer address is known only once a connection is accepted, so the per-source cap
//! is checked right after the accept: a connection whose source already holds its share
//! is closed at once with a reset, before a byte of it is read, and counted in
//! `tollgate_connections_refused_per_source`. Its global slot returns at the same
//! moment. So a source at its cap cannot take more slots by opening more connections:
//! each extra one costs the loop an accept and a close, and never waits for a slot,
//! while connections of other sources queued in the same backlog get the remaining
//! `max_connections - per_source` slots.
//!
//! Excess connections of a source are refused rather than left waiting: the listen
//! backlog is one queue for every source, and whatever waits in it makes the
//! connections behind it wait. Excess connections *overall* (every source under its
//! cap, all slots taken) still wait there, as before.
//!
//! What the cap does not do: sources that each stay under it can still take every slot
//! together (eight at the default cap); counting connections cannot tell a flood from
//! many addresses from load. Peers in `trusted_proxies` are exempt: they carry many
//! clients, whose addresses are only known from headers that are read after the accept,
//! and the proxy is expected to keep its own clients fair.

use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{Router, extract::ConnectInfo, http::Request};
use hyper::body::Incoming;
use hyper_util::{rt::TokioIo, server::graceful::GracefulShutdown};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore, watch},
    time::Instant,
};
use tower::Service as _;

pub(crate) use self::per_source::SourceSlots;
use crate::config::ConnectionLimits;

mod per_source;

/// Header count hyper parses before answering 431 itself (with an empty body); the
/// service's own, lower limit answers 431 in JSON (see [`crate::edges`]).
const HYPER_MAX_HEADERS: usize = 256;
/// Header bytes hyper buffers before answering 431 itself.
const HYPER_MAX_HEADER_BYTES: usize = 64 * 1024;
/// File descriptors kept free for the store, logs and the admin listener.
const RESERVED_FDS: u64 = 128;
/// Longest pause after a failing `accept`.
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Raises the soft open-file limit to the hard one and lowers `max_connections` to fit
/// below it, so the accept loop runs out of slots before the process runs out of fds.
pub(crate) fn fit_to_fd_limit(mut limits: ConnectionLimits) -> ConnectionLimits {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(fds) => {
            let room =
                usize::try_from(fds.saturating_sub(RESERVED_FDS).max(1)).unwrap_or(usize::MAX);
            if room < limits.max_connections {
                tracing::warn!(
                    "max_connections lowered from {} to {room}: the open-file limit is {fds}",
                    limits.max_connections
                );
                limits.max_connections = room;
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot read or raise the open-file limit"),
    }
    limits
}

/// Serves `app` on `listener` until `stop` turns true, then stops accepting and waits for
/// open requests to finish (at most one header-read plus one request timeout). Each
/// connection also takes a slot of its source in `sources`.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    sources: SourceSlots,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut backoff = Duration::ZERO;
    loop {
        let accepted = tokio::select! {
            biased;
            _ = stop.wait_for(|stop| *stop) => break,
            accepted = accept(&listener, &slots) => accepted,
        };
        match accepted {
            Ok((stream, peer, slot)) => {
                if !backoff.is_zero() {
                    tracing::info!("accepting connections again");
                    backoff = Duration::ZERO;
                }
                let Some(source_slot) = sources.take(peer.ip()) else {
                    refuse(stream, peer);
                    continue;
                };
                let conn = connection(stream, peer, app.clone(), limits, &graceful);
                tokio::spawn(async move {
                    conn.await;
                    drop((source_slot, slot));
                });
            }
            Err(e) if is_per_connection(&e) => {}
            Err(e) => {
                if backoff.is_zero() {
                    tracing::error!(error = %e, "accept failed; backing off");
                }
                backoff = (backoff * 2).clamp(Duration::from_millis(10), MAX_ACCEPT_BACKOFF);
                tokio::select! {
                    _ = stop.wait_for(|stop| *stop) => break,
                    () = tokio::time::sleep(backoff) => {}
                }
            }
        }
    }
    drop(listener);
    let drain = limits.header_read_timeout + limits.request_timeout;
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {drain:?}; closing them");
    }
}

/// Waits for a free slot, then for a connection.
async fn accept(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> io::Result<(TcpStream, SocketAddr, OwnedSemaphorePermit)> {
    // invariant: the semaphore is never closed.
    let slot = Arc::clone(slots)
        .acquire_owned()
        .await
        .expect("the connection semaphore is never closed");
    let (stream, peer) = listener.accept().await?;
    Ok((stream, peer, slot))
}

/// Closes a connection over its source's cap without reading it: a reset, so the peer
/// learns at once and no `TIME_WAIT` is left on our side.
fn refuse(stream: TcpStream, peer: SocketAddr) {
    let _ = stream.set_zero_linger();
    drop(stream);
    tracing::debug!(%peer, "closed a connection over its source's share of the slots");
}

/// Errors that concern one connection (the peer gave up), not the listener.
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    )
}

/// One connection: hyper HTTP/1.1 raced against its watchdog.
fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    graceful: &GracefulShutdown,
) -> impl Future<Output = ()> + Send + 'static {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(WatchedIo {
        inner: stream,
        activity: Arc::clone(&activity),
    });
    let service_activity = Arc::clone(&activity);
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let in_flight = InFlight::start(Arc::clone(&service_activity));
        let mut app = app.clone();
        async move {
            let response = app.call(request).await;
            drop(in_flight);
            response
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        // The watchdog times the headers: hyper's own timer would also cut idle
        // keep-alive connections at the header timeout.
        .header_read_timeout(None)
        .max_headers(HYPER_MAX_HEADERS)
        .max_header_size(HYPER_MAX_HEADER_BYTES)
        .serve_connection(io, service);
    let conn = graceful.watch(conn);
    async move {
        tokio::select! {
            served = conn => {
                if let Err(e) = served {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            }
            () = activity.expired(limits) => tracing::debug!(%peer, "closed a stalled connection"),
        }
    }
}

/// What a connection is doing, in milliseconds since it was accepted.
#[derive(Debug)]
struct Activity {
    accepted: Instant,
    /// Requests being answered (0 or 1 on HTTP/1.1).
    in_flight: AtomicU64,
    /// When the last answer was ready; [`NEVER`] before the first.
    idle_since: AtomicU64,
    /// First byte of the next request's head; [`NEVER`] when none arrived yet.
    head_since: AtomicU64,
}

const NEVER: u64 = u64::MAX;

impl Activity {
    fn new() -> Self {
        Self {
            accepted: Instant::now(),
            in_flight: AtomicU64::new(0),
            idle_since: AtomicU64::new(NEVER),
            head_since: AtomicU64::new(NEVER),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.accepted.elapsed().as_millis()).unwrap_or(NEVER - 1)
    }

    fn at(&self, ms: u64, plus: Duration) -> Instant {
        self.accepted + Duration::from_millis(ms) + plus
    }

    /// Bytes arrived: if no request is being answered they start the next head.
    fn read_bytes(&self) {
        if self.in_flight.load(Ordering::Acquire) == 0 {
            let now = self.now_ms();
            let _ =
                self.head_since
                    .compare_exchange(NEVER, now, Ordering::AcqRel, Ordering::Relaxed);
        }
    }

    /// When the connection must be closed as it stands; `None` while a request is being
    /// answered (the request timeout bounds that).
    fn deadline(&self, limits: ConnectionLimits) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let head = self.head_since.load(Ordering::Acquire);
        let idle = self.idle_since.load(Ordering::Acquire);
        let head_deadline = (head != NEVER).then(|| self.at(head, limits.header_read_timeout));
        let wait_deadline = if idle == NEVER {
            // A new connection gets the header timeout to send its first request.
            self.at(0, limits.header_read_timeout)
        } else {
            self.at(idle, limits.idle_timeout)
        };
        Some(head_deadline.map_or(wait_deadline, |head| head.min(wait_deadline)))
    }

    /// Resolves once the connection has stalled past its deadline.
    async fn expired(&self, limits: ConnectionLimits) {
        loop {
            match self.deadline(limits) {
                None => tokio::time::sleep(limits.request_timeout).await,
                Some(deadline) if deadline <= Instant::now() => return,
                Some(deadline) => tokio::time::sleep_until(deadline).await,
            }
        }
    }
}

/// Marks a request in flight for as long as it lives (also when the answer is dropped).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        activity.head_since.store(NEVER, Ordering::Release);
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let now = self.0.now_ms();
        self.0.idle_since.store(now, Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A socket that reports incoming bytes to its [`Activity`].
struct WatchedIo {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for WatchedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.read_bytes();
        }
        polled
    }
}

impl AsyncWrite for WatchedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

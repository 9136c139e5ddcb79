//! What bounds a connection, whoever sends on it: a deadline for a request's whole
//! body (from the first read), and a cap on the connections one network holds open at
//! once.
//!
//! hyper already closes a connection whose headers take longer than the header timeout
//! (`crate::HEADER_TIMEOUT`) or that sits idle as long; these two bound the rest.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// The error a body gives once its deadline passed.
#[derive(Debug, thiserror::Error)]
#[error("the body did not arrive within {0:?}")]
pub struct BodyDeadline(pub Duration);

/// A request body that fails once `within` has passed since the server began to read
/// it, however steadily its bytes trickle in (a timeout between frames never fires on
/// a byte every few seconds). The clock starts at the first read, not at the request's
/// arrival: a request waiting its account's turn is not the client's delay.
struct DeadlineBody {
    inner: Body,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    within: Duration,
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let within = self.within;
        let this = &mut *self;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(within)));
        let late = || Poll::Ready(Some(Err(axum::Error::new(BodyDeadline(within)))));
        match Pin::new(&mut this.inner).poll_frame(cx) {
            // A body that keeps coming (empty frames, say) is cut off all the same.
            Poll::Ready(Some(Ok(_))) if sleep.is_elapsed() => late(),
            Poll::Ready(frame) => Poll::Ready(frame),
            Poll::Pending if sleep.as_mut().poll(cx).is_ready() => late(),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Middleware: every request's body must arrive whole within `within` of the server
/// beginning to read it.
pub async fn body_deadline(
    axum::extract::State(within): axum::extract::State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    let request = request.map(|inner| {
        Body::new(DeadlineBody {
            inner,
            sleep: None,
            within,
        })
    });
    next.run(request).await
}

/// Whether `error` (a body's, or one it caused) is a passed [`BodyDeadline`].
pub fn is_deadline(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(e) = source {
        if e.is::<BodyDeadline>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// The connections each network (an IPv4 address, an IPv6 /64) holds open. A new
/// connection past the cap is closed as soon as it is accepted, before anything is read
/// from it; the network's open connections go on. Trusted proxies are exempt: every
/// client behind one shares its address.
#[derive(Clone)]
pub struct Connections {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    cap: usize,
    exempt: Arc<Vec<IpAddr>>,
}

impl Connections {
    pub fn new(cap: usize, exempt: Vec<IpAddr>) -> Connections {
        Connections {
            open: Arc::default(),
            cap,
            exempt: Arc::new(exempt.into_iter().map(|ip| ip.to_canonical()).collect()),
        }
    }

    /// A slot for a new connection from `peer`, held while the connection is open;
    /// `None` when its network is at the cap.
    pub fn open(&self, peer: IpAddr) -> Option<ConnectionSlot> {
        let peer = peer.to_canonical();
        if self.exempt.contains(&peer) {
            return Some(ConnectionSlot {
                net: None,
                open: self.open.clone(),
            });
        }
        let net = crate::api::network(peer);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(net).or_default();
        if *count >= self.cap {
            return None;
        }
        *count += 1;
        Some(ConnectionSlot {
            net: Some(net),
            open: self.open.clone(),
        })
    }
}

/// One open connection's place in its network's count.
pub struct ConnectionSlot {
    net: Option<IpAddr>,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let Some(net) = self.net else {
            return;
        };
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&net) {
            *count -= 1;
            if *count == 0 {
                open.remove(&net);
            }
        }
    }
}

/// A connection that holds its network's slot until it is dropped.
pub struct Counted<S> {
    inner: S,
    _slot: ConnectionSlot,
}

impl<S> Counted<S> {
    pub fn new(inner: S, slot: ConnectionSlot) -> Counted<S> {
        Counted { inner, _slot: slot }
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_count_by_network_and_free_their_slot_when_closed() {
        let connections = Connections::new(2, vec!["10.0.0.9".parse().unwrap()]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let a = connections.open(ip("192.0.2.1")).unwrap();
        let _b = connections.open(ip("::ffff:192.0.2.1")).unwrap();
        assert!(connections.open(ip("192.0.2.1")).is_none(), "at the cap");
        assert!(
            connections.open(ip("192.0.2.2")).is_some(),
            "another network"
        );
        drop(a);
        assert!(
            connections.open(ip("192.0.2.1")).is_some(),
            "a slot came back"
        );
        // One IPv6 /64 is one network; a trusted proxy has no cap.
        let _c = connections.open(ip("2001:db8:1:2::1")).unwrap();
        let _d = connections.open(ip("2001:db8:1:2::2")).unwrap();
        assert!(connections.open(ip("2001:db8:1:2:ffff::3")).is_none());
        let proxied: Vec<_> = (0..10).map(|_| connections.open(ip("10.0.0.9"))).collect();
        assert!(proxied.iter().all(Option::is_some));
    }
}

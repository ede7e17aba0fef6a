//! A TCP listener whose connections close when no byte moves for a while
//! (slow-loris protection for headers, bodies and stalled readers).

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

/// The peer address of a connection (axum `ConnectInfo`).
#[derive(Debug, Clone, Copy)]
pub struct RemoteAddr(pub SocketAddr);

/// Wraps a [`TcpListener`]; every accepted stream errors with `TimedOut`
/// after `idle` without progress in either direction while it is waiting.
#[derive(Debug)]
pub struct IdleTimeoutListener {
    inner: TcpListener,
    idle: Duration,
}

impl IdleTimeoutListener {
    /// Wrap `inner`.
    pub fn new(inner: TcpListener, idle: Duration) -> Self {
        IdleTimeoutListener { inner, idle }
    }
}

impl axum::serve::Listener for IdleTimeoutListener {
    type Io = IdleStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((s, a)) => {
                    let _ = s.set_nodelay(true);
                    return (
                        IdleStream {
                            inner: s,
                            idle: self.idle,
                            read: Deadline::new(self.idle),
                            write: Deadline::new(self.idle),
                        },
                        a,
                    );
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl Connected<IncomingStream<'_, IdleTimeoutListener>> for RemoteAddr {
    fn connect_info(stream: IncomingStream<'_, IdleTimeoutListener>) -> Self {
        RemoteAddr(*stream.remote_addr())
    }
}

/// A TCP stream with idle deadlines (see [`IdleTimeoutListener`]).
#[derive(Debug)]
pub struct IdleStream {
    inner: TcpStream,
    idle: Duration,
    read: Deadline,
    write: Deadline,
}

/// The idle deadline of one direction of an [`IdleStream`].
#[derive(Debug)]
struct Deadline {
    sleep: Pin<Box<Sleep>>,
    /// The inner stream returned `Pending` and has made no progress since.
    waiting: bool,
}

impl Deadline {
    fn new(idle: Duration) -> Self {
        Deadline {
            sleep: Box::pin(tokio::time::sleep(idle)),
            waiting: false,
        }
    }

    /// Passes on the inner stream's `poll`: progress ends the wait; the
    /// first `Pending` of a wait arms the deadline `idle` from now, and once
    /// it passes the operation fails with `TimedOut`.
    fn guard<T>(
        &mut self,
        idle: Duration,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match poll {
            Poll::Ready(r) => {
                self.waiting = false;
                Poll::Ready(r)
            }
            Poll::Pending => {
                if !self.waiting {
                    self.waiting = true;
                    self.sleep.as_mut().reset(Instant::now() + idle);
                }
                match self.sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(timed_out())),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "connection idle for too long")
}

impl AsyncRead for IdleStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let me = &mut *self;
        let poll = Pin::new(&mut me.inner).poll_read(cx, buf);
        me.read.guard(me.idle, cx, poll)
    }
}

impl AsyncWrite for IdleStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let me = &mut *self;
        let poll = Pin::new(&mut me.inner).poll_write(cx, buf);
        me.write.guard(me.idle, cx, poll)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let me = &mut *self;
        let poll = Pin::new(&mut me.inner).poll_write_vectored(cx, bufs);
        me.write.guard(me.idle, cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

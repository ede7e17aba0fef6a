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
                            read_deadline: Box::pin(tokio::time::sleep(self.idle)),
                            write_deadline: Box::pin(tokio::time::sleep(self.idle)),
                            reading: false,
                            writing: false,
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
    read_deadline: Pin<Box<Sleep>>,
    write_deadline: Pin<Box<Sleep>>,
    reading: bool,
    writing: bool,
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
        match Pin::new(&mut me.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                me.reading = false;
                Poll::Ready(r)
            }
            Poll::Pending => {
                if !me.reading {
                    me.reading = true;
                    let d = Instant::now() + me.idle;
                    me.read_deadline.as_mut().reset(d);
                }
                match me.read_deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(timed_out())),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncWrite for IdleStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let me = &mut *self;
        match Pin::new(&mut me.inner).poll_write(cx, buf) {
            Poll::Ready(r) => {
                me.writing = false;
                Poll::Ready(r)
            }
            Poll::Pending => {
                if !me.writing {
                    me.writing = true;
                    let d = Instant::now() + me.idle;
                    me.write_deadline.as_mut().reset(d);
                }
                match me.write_deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(timed_out())),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
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
        match Pin::new(&mut me.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(r) => {
                me.writing = false;
                Poll::Ready(r)
            }
            Poll::Pending => {
                if !me.writing {
                    me.writing = true;
                    let d = Instant::now() + me.idle;
                    me.write_deadline.as_mut().reset(d);
                }
                match me.write_deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(timed_out())),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

//! Starting and stopping the server: in the caller's runtime ([`MockServer::start`]) or on a
//! thread of its own ([`MockServer::start_background`]).

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

use crate::config::MockConfig;
use crate::faults::FaultRule;
use crate::routes::{self, ConnInfo};
use crate::state::{AppState, RecordedRequest, TicketRecord};

/// A running mock server. Dropping it stops the server.
pub struct MockServer {
    url: String,
    port: u16,
    state: Arc<AppState>,
    shutdown: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MockServer {
    /// Starts the server on the current tokio runtime (binds `config.host:config.port`,
    /// 127.0.0.1:0 by default).
    pub async fn start(config: MockConfig) -> io::Result<MockServer> {
        let state = Arc::new(AppState::new(&config).map_err(io::Error::other)?);
        let listener = TcpListener::bind((config.host, config.port)).await?;
        let (shutdown, stopped) = watch::channel(false);
        let server = MockServer::new(&listener, state.clone(), shutdown)?;
        tokio::spawn(serve(listener, state, stopped));
        Ok(server)
    }

    /// Starts the server on a thread with its own runtime (for tests without a runtime).
    pub fn start_background(config: MockConfig) -> io::Result<MockServer> {
        let state = Arc::new(AppState::new(&config).map_err(io::Error::other)?);
        let server_state = state.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("enjo-mock")
            .enable_all()
            .build()?;
        // Bound with std so that this works from inside another runtime too.
        let std_listener = std::net::TcpListener::bind((config.host, config.port))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (shutdown, stopped) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("enjo-mock-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    if let Ok(listener) = TcpListener::from_std(std_listener) {
                        serve(listener, state, stopped).await;
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(100));
            })?;
        Ok(MockServer {
            url: format!("http://{addr}"),
            port: addr.port(),
            state: server_state,
            shutdown,
            thread: Some(thread),
        })
    }

    fn new(
        listener: &TcpListener,
        state: Arc<AppState>,
        shutdown: watch::Sender<bool>,
    ) -> io::Result<MockServer> {
        let addr = listener.local_addr()?;
        Ok(MockServer {
            url: format!("http://{addr}"),
            port: addr.port(),
            state,
            shutdown,
            thread: None,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The request log (as `GET /_mock/requests`).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests(None)
    }

    /// The tickets created (as `GET /_mock/tickets`).
    pub fn tickets(&self) -> Vec<TicketRecord> {
        self.state.tickets()
    }

    /// Queues a fault (as `POST /_mock/faults`).
    pub fn add_fault(&self, rule: FaultRule) -> Result<(), String> {
        self.state.add_fault(rule)
    }

    /// Forgets everything (as `POST /_mock/reset`).
    pub fn reset(&self) {
        self.state.reset()
    }

    /// Stops the server (also done on drop).
    pub fn stop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Accepts connections until shutdown; each connection is served by hyper over the router.
async fn serve(listener: TcpListener, state: Arc<AppState>, mut stopped: watch::Receiver<bool>) {
    let router = routes::router(state);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => break,
        };
        let Ok((stream, peer)) = accepted else {
            // Out of file descriptors and the like: back off briefly rather than spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(
            stream,
            peer,
            router.clone(),
            stopped.clone(),
        ));
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: axum::Router,
    mut stopped: watch::Receiver<bool>,
) {
    let fd = stream.as_raw_fd();
    let reset = Arc::new(Notify::new());
    let info = ConnInfo {
        peer,
        reset: reset.clone(),
    };
    let service = hyper::service::service_fn(move |mut request: hyper::Request<_>| {
        request.extensions_mut().insert(info.clone());
        router.clone().oneshot(request)
    });
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let reset_requested = tokio::select! {
        _ = &mut connection => false,
        () = reset.notified() => true,
        _ = stopped.changed() => false,
    };
    if reset_requested {
        // SAFETY: the pinned `connection` still owns the socket, so `fd` is open here. The
        // socket is closed when `connection` is dropped at the end of this function, and
        // SO_LINGER(0) makes that close send an RST instead of a FIN.
        let socket = unsafe { BorrowedFd::borrow_raw(fd) };
        let _ = socket2::SockRef::from(&socket).set_linger(Some(Duration::ZERO));
    }
}

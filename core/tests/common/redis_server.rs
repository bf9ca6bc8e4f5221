//! A real `redis-server` (Debian's package) for tests: on a free loopback port or a unix socket
//! in a temp dir, `--save "" --appendonly no`, stopped by PID (its `Child`) on drop.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// Where the server listens.
#[derive(Debug, Clone)]
pub enum Listen {
    Tcp(u16),
    Unix(PathBuf),
}

/// A running `redis-server`.
pub struct RedisServer {
    child: Option<Child>,
    pub listen: Listen,
    pub dir: PathBuf,
    password: Option<String>,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

impl RedisServer {
    /// On a free loopback port.
    pub fn tcp() -> RedisServer {
        RedisServer::start(Listen::Tcp(free_port()), None)
    }

    /// On a unix socket in a fresh temp dir.
    pub fn unix() -> RedisServer {
        let dir = fresh_dir();
        RedisServer::start_in(Listen::Unix(dir.join("redis.sock")), None, dir)
    }

    /// On a free loopback port, requiring `password`.
    pub fn tcp_with_password(password: &str) -> RedisServer {
        RedisServer::start(Listen::Tcp(free_port()), Some(password.to_owned()))
    }

    fn start(listen: Listen, password: Option<String>) -> RedisServer {
        RedisServer::start_in(listen, password, fresh_dir())
    }

    fn start_in(listen: Listen, password: Option<String>, dir: PathBuf) -> RedisServer {
        let mut server = RedisServer {
            child: None,
            listen,
            dir,
            password,
        };
        server.restart();
        server
    }

    /// The URL clients use.
    pub fn url(&self) -> String {
        match (&self.listen, &self.password) {
            (Listen::Tcp(port), None) => format!("redis://127.0.0.1:{port}/0"),
            (Listen::Tcp(port), Some(pw)) => format!("redis://:{pw}@127.0.0.1:{port}/0"),
            (Listen::Unix(path), _) => format!("redis+unix://{}", path.display()),
        }
    }

    /// Kills the server (by PID) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops it if running and starts it again, empty, on the same port or socket.
    pub fn restart(&mut self) {
        self.stop();
        let mut cmd = Command::new("redis-server");
        cmd.args(["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&self.dir);
        match &self.listen {
            Listen::Tcp(port) => {
                cmd.args(["--port", &port.to_string()]);
            }
            Listen::Unix(path) => {
                cmd.args(["--port", "0", "--unixsocketperm", "700"])
                    .arg("--unixsocket")
                    .arg(path);
            }
        }
        if let Some(pw) = &self.password {
            cmd.args(["--requirepass", pw]);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .expect("redis-server starts (apt-get install redis-server)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.ping() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not answer PING on {:?}", self.listen);
    }

    fn ping(&self) -> bool {
        let auth = self
            .password
            .as_ref()
            .map(|pw| format!("AUTH {pw}\r\n"))
            .unwrap_or_default();
        let request = format!("{auth}PING\r\n");
        let mut reply = [0u8; 64];
        let answered =
            |n: usize, reply: &[u8]| String::from_utf8_lossy(&reply[..n]).contains("PONG");
        match &self.listen {
            Listen::Tcp(port) => TcpStream::connect(("127.0.0.1", *port))
                .and_then(|mut s| {
                    s.set_read_timeout(Some(Duration::from_secs(1)))?;
                    s.write_all(request.as_bytes())?;
                    let mut n = 0;
                    while n < reply.len() && !answered(n, &reply) {
                        let got = s.read(&mut reply[n..])?;
                        if got == 0 {
                            break;
                        }
                        n += got;
                    }
                    Ok(answered(n, &reply))
                })
                .unwrap_or(false),
            Listen::Unix(path) => UnixStream::connect(path)
                .and_then(|mut s| {
                    s.set_read_timeout(Some(Duration::from_secs(1)))?;
                    s.write_all(request.as_bytes())?;
                    let n = s.read(&mut reply)?;
                    Ok(answered(n, &reply))
                })
                .unwrap_or(false),
        }
    }

    /// A plain async connection for inspecting the store.
    pub async fn conn(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .expect("url")
            .get_multiplexed_async_connection()
            .await
            .expect("connects")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A new empty directory under the system temp dir.
pub fn fresh_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "enjo-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

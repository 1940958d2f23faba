//! TLS against a real TLS server on 127.0.0.1 (the stock `openssl s_server`
//! with a certificate made for the test): a certificate from an unknown
//! authority is refused; a private CA named with `tls_ca_file` is trusted.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use sotto::backend::ConnectFailure;

use super::*;

/// `openssl s_server -WWW` serving files from a temp dir over TLS, killed on drop.
struct TlsServer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the 'openssl' CLI is installed (apt-get install openssl)");
    assert!(status.success(), "openssl {args:?} failed");
}

fn tls_server() -> TlsServer {
    let dir = tempfile::tempdir().unwrap();
    // A test CA, and a server certificate it signs (webpki refuses a CA
    // certificate used as the server's own).
    let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    let run = |command: String| openssl(dir.path(), &command.split(' ').collect::<Vec<_>>());
    run(format!(
        "req -x509 {ec} -keyout ca.key -out ca.pem -days 1 -subj /CN=sotto-test-CA"
    ));
    run(format!("req {ec} -keyout key.pem -out leaf.csr -subj /CN=localhost"));
    std::fs::write(
        dir.path().join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(
        "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cert.pem -days 1 -extfile leaf.ext"
            .into(),
    );
    std::fs::create_dir(dir.path().join("v1")).unwrap();
    std::fs::write(dir.path().join("v1/models"), r#"{"data": [{"id": "tls-model"}]}"#).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-cert",
            "cert.pem",
            "-key",
            "key.pem",
            "-WWW",
            "-quiet",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "openssl s_server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    TlsServer { child, port, dir }
}

fn tls_settings(server: &TlsServer) -> OpenAiSettings {
    let mut settings = settings(&format!("https://127.0.0.1:{}/v1", server.port));
    settings.channel = Channel::Tls;
    settings
}

#[test]
fn a_certificate_from_an_unknown_authority_is_refused() {
    let server = tls_server();
    let err = OpenAiBackend::new(tls_settings(&server))
        .unwrap()
        .list_models()
        .unwrap_err();
    match &err {
        BackendError::Connect {
            reason: ConnectFailure::Tls(reason),
            ..
        } => assert!(reason.contains("not signed by a trusted authority"), "{err}"),
        other => panic!("expected a TLS failure, got {other}"),
    }
}

#[test]
fn a_private_ca_named_in_the_config_is_trusted() {
    let server = tls_server();
    let mut settings = tls_settings(&server);
    settings.extra_ca_pem = Some(std::fs::read(server.dir.path().join("ca.pem")).unwrap());
    let models = OpenAiBackend::new(settings).unwrap().list_models().unwrap();
    assert_eq!(models, Some(vec!["tls-model".to_owned()]));
}

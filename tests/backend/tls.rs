//! TLS against a real TLS server on 127.0.0.1 (the test HTTP server over
//! rustls, with certificates made for the test by rcgen): a certificate from
//! an unknown authority is refused; a private CA named with `tls_ca_file` is
//! trusted.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use sotto::backend::ConnectFailure;

use super::support::http::{TestServer, json};
use super::*;

/// A TLS server answering `/v1/models`, and the PEM of the test CA that
/// signed its certificate.
struct TlsServer {
    server: TestServer,
    ca_pem: String,
}

/// A test CA, and a server certificate it signs for 127.0.0.1 and localhost
/// (webpki refuses a CA certificate used as the server's own).
fn tls_server() -> TlsServer {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name.push(DnType::CommonName, "sotto-test-CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);

    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    leaf.distinguished_name.push(DnType::CommonName, "localhost");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();

    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf_cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    let server = TestServer::start_tls(Arc::new(config), |request| {
        assert_eq!(request.path, "/v1/models");
        json(200, serde_json::json!({"data": [{"id": "tls-model"}]}))
    });
    TlsServer { server, ca_pem }
}

fn tls_settings(server: &TlsServer) -> OpenAiSettings {
    let mut settings = settings(&server.server.base_url());
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
    settings.extra_ca_pem = Some(server.ca_pem.clone().into_bytes());
    let models = OpenAiBackend::new(settings).unwrap().list_models().unwrap();
    assert_eq!(models, Some(vec!["tls-model".to_owned()]));
}

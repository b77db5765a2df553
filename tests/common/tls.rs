//! Test certificates: a throwaway CA that issues server certificates, and
//! self-signed ones, made with rcgen when a test runs (nothing is checked
//! in, so nothing expires). Each comes as PEM (for the client's root store
//! and for nginx) and as a rustls server configuration (for servers on
//! test threads).

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate authority that exists only for one test.
pub struct TestCa {
    /// Its certificate, PEM-encoded: what a client adds as a root.
    pub pem: String,
    /// Its name and key, for signing.
    issuer: Issuer<'static, KeyPair>,
}

/// A server certificate and its private key.
pub struct TestCert {
    /// The certificate, PEM-encoded.
    pub cert_pem: String,
    /// The private key, PKCS#8 PEM.
    pub key_pem: String,
    /// The certificate, DER.
    cert_der: CertificateDer<'static>,
    /// The private key, PKCS#8 DER.
    key_der: Vec<u8>,
}

impl TestCa {
    /// A new CA whose certificate's common name is `name`.
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().expect("generate the CA key");
        let mut params = CertificateParams::new(Vec::new()).expect("CA parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let certificate = params.self_signed(&key).expect("self-sign the CA");
        TestCa { pem: certificate.pem(), issuer: Issuer::new(params, key) }
    }

    /// A certificate for `names` (DNS names or IP addresses), signed by this CA.
    pub fn issue(&self, names: &[&str]) -> TestCert {
        self.issue_with(leaf_params(names))
    }

    /// A certificate with `params` (see [`leaf_params`]), signed by this CA.
    pub fn issue_with(&self, params: CertificateParams) -> TestCert {
        let key = KeyPair::generate().expect("generate the leaf key");
        let certificate = params.signed_by(&key, &self.issuer).expect("sign the leaf");
        TestCert::new(certificate, key)
    }
}

impl TestCert {
    /// A certificate for `names` that signed itself.
    pub fn self_signed(names: &[&str]) -> TestCert {
        let key = KeyPair::generate().expect("generate the key");
        let certificate = leaf_params(names).self_signed(&key).expect("self-sign");
        TestCert::new(certificate, key)
    }

    /// Keeps both encodings of a certificate and its key.
    fn new(certificate: rcgen::Certificate, key: KeyPair) -> TestCert {
        TestCert {
            cert_pem: certificate.pem(),
            key_pem: key.serialize_pem(),
            cert_der: certificate.der().clone(),
            key_der: key.serialize_der(),
        }
    }

    /// A rustls server configuration presenting this certificate (ring
    /// provider, TLS 1.2 and 1.3, no client certificates, no ALPN).
    pub fn server_config(&self) -> ServerConfig {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![self.cert_der.clone()], key)
            .expect("a usable certificate and key")
    }
}

/// Parameters for a server certificate for `names`, its common name the
/// first of them (so that its subject differs from any CA's name: a client
/// tells "self-signed" from "unknown issuer" by comparing the two).
pub fn leaf_params(names: &[&str]) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
    let mut params = CertificateParams::new(names.clone()).expect("certificate parameters");
    params.distinguished_name.push(DnType::CommonName, names.first().cloned().unwrap_or_default());
    params
}

//! TLS for `https://`: the rustls client configuration a session shares, the
//! certificate verifier that tells "self-signed" apart from "unknown
//! issuer", and the mapping from rustls errors to [`TlsErrorKind`].
//!
//! In the path of a request this runs once per new connection, right after
//! TCP connects (or the proxy tunnel opens) and before the request is
//! written; `transport.rs` then drives the handshake on the loop.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::http::error::{Error, TlsErrorKind};

/// Builds the client configuration: webpki-roots (Mozilla's CA list) plus
/// `extra_roots`, hostname verification always on, ALPN `http/1.1`.
///
/// The crypto provider is `ring`, chosen over rustls's default aws-lc-rs
/// because it builds with only a C compiler (no cmake) and quickly.
pub(crate) fn client_config(extra_roots: &[CertificateDer<'static>]) -> Result<Arc<ClientConfig>, Error> {
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    for root in extra_roots {
        roots
            .add(root.clone())
            .map_err(|error| Error::InvalidRequest(format!("cannot use the extra root certificate: {error}")))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|error| Error::InvalidRequest(format!("cannot build the certificate verifier: {error}")))?;
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| Error::InvalidRequest(format!("cannot configure TLS: {error}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Verifier { webpki }))
        .with_no_client_auth();
    // We speak only HTTP/1.1; saying so lets an ALPN-aware server refuse
    // cleanly instead of answering in HTTP/2.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Parses every `CERTIFICATE` block of a PEM file.
pub(crate) fn parse_pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| Error::InvalidRequest(format!("cannot read the PEM certificate: {error}")))?;
    if certificates.is_empty() {
        return Err(Error::InvalidRequest("the PEM data holds no CERTIFICATE block".into()));
    }
    Ok(certificates)
}

/// The server name rustls checks the certificate against. For an IP literal
/// it is an IP address, and rustls then sends no SNI (RFC 6066 forbids
/// literal addresses there) but checks the certificate's IP SANs.
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, Error> {
    ServerName::try_from(host.to_owned())
        .map_err(|error| Error::InvalidRequest(format!("{host:?} is not a valid TLS server name: {error}")))
}

/// webpki's verifier, plus one question it does not ask: when a certificate
/// chains to no known root, did it sign itself? The answer only changes the
/// error's kind; nothing is accepted that webpki rejected.
#[derive(Debug)]
struct Verifier {
    /// The standard verifier doing all the real work.
    webpki: Arc<WebPkiServerVerifier>,
}

/// The marker error a [`Verifier`] returns for a self-signed certificate.
#[derive(Debug)]
struct SelfSigned;

impl std::fmt::Display for SelfSigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("self-signed certificate")
    }
}

impl std::error::Error for SelfSigned {}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        match verdict {
            Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) if is_self_issued(end_entity) => {
                Err(rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(
                    SelfSigned,
                )))))
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// Turns a handshake error into the client's error, sorting certificate
/// problems into the kinds a user can act on.
pub(crate) fn handshake_error(host: &str, error: rustls::Error) -> Error {
    use CertificateError as C;
    let kind = match &error {
        rustls::Error::InvalidCertificate(certificate) => match certificate {
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsErrorKind::WrongHost,
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. } => {
                TlsErrorKind::Expired
            }
            C::UnknownIssuer => TlsErrorKind::UnknownIssuer,
            C::Other(other) if other.0.downcast_ref::<SelfSigned>().is_some() => TlsErrorKind::SelfSigned,
            _ => TlsErrorKind::Other,
        },
        _ => TlsErrorKind::Other,
    };
    Error::Tls { kind, host: host.to_owned(), detail: error.to_string() }
}

/// True when a certificate's issuer and subject names are byte-for-byte
/// equal: it claims to have signed itself.
fn is_self_issued(certificate: &[u8]) -> bool {
    issuer_and_subject(certificate).is_some_and(|(issuer, subject)| issuer == subject)
}

/// Finds the issuer and subject `Name`s in an X.509 certificate by walking
/// just enough DER: Certificate ::= SEQUENCE { tbsCertificate SEQUENCE {
/// `[0] version` OPTIONAL, serialNumber, signature, issuer, validity, subject,
/// ... } ... }.
fn issuer_and_subject(certificate: &[u8]) -> Option<(&[u8], &[u8])> {
    let (certificate, _) = der_element(certificate)?;
    let (tbs, _) = der_element(der_contents(certificate)?)?;
    let mut fields = der_contents(tbs)?;
    // The version field is an explicit [0] tag (0xa0); it is absent in v1.
    if fields.first() == Some(&0xa0) {
        fields = der_element(fields)?.1;
    }
    let (_serial, rest) = der_element(fields)?;
    let (_algorithm, rest) = der_element(rest)?;
    let (issuer, rest) = der_element(rest)?;
    let (_validity, rest) = der_element(rest)?;
    let (subject, _) = der_element(rest)?;
    Some((issuer, subject))
}

/// Splits one DER element (tag, length, contents) off the front of `input`.
fn der_element(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let first_length_byte = *input.get(1)?;
    let (header, length) = if first_length_byte < 0x80 {
        (2, usize::from(first_length_byte))
    } else {
        // Long form: the low bits say how many length bytes follow.
        let count = usize::from(first_length_byte & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let bytes = input.get(2..2 + count)?;
        (2 + count, bytes.iter().fold(0usize, |length, byte| length << 8 | usize::from(*byte)))
    };
    let end = header.checked_add(length)?;
    Some((input.get(..end)?, input.get(end..)?))
}

/// The contents of one DER element (everything after its tag and length).
fn der_contents(element: &[u8]) -> Option<&[u8]> {
    let first_length_byte = *element.get(1)?;
    let header = if first_length_byte < 0x80 { 2 } else { 2 + usize::from(first_length_byte & 0x7f) };
    element.get(header..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_walk_finds_equal_names_in_a_self_signed_certificate() {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        let certificate = params.self_signed(&key).unwrap();
        let (issuer, subject) = issuer_and_subject(certificate.der()).unwrap();
        assert!(!issuer.is_empty());
        assert_eq!(issuer, subject);
    }

    #[test]
    fn der_walk_sees_different_names_in_a_ca_issued_certificate() {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let mut leaf_params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        leaf_params.distinguished_name.push(rcgen::DnType::CommonName, "leaf");
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
        assert!(!is_self_issued(leaf.der()));
        assert!(is_self_issued(ca.der()));
    }

    #[test]
    fn der_walk_rejects_truncated_input() {
        for input in [&[][..], &[0x30], &[0x30, 0x85, 1, 2, 3, 4, 5], &[0x30, 0x05, 1]] {
            assert_eq!(issuer_and_subject(input), None);
        }
    }
}

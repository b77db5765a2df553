//! Property tests for the response path and the URL parser: random bytes,
//! valid responses, and valid responses with bytes flipped, inserted,
//! deleted or repeated, each split at random points, through the checks in
//! `properties.rs` (no panic, the same result whatever the split, nothing
//! past its limit).
//!
//! The case counts keep the whole file to a few seconds in a debug build,
//! so it runs with every `cargo test`; the fuzz targets (`fuzz/`) run the
//! same checks for as long as one cares to wait. A failing case is saved
//! under `proptest-regressions/` and replayed first from then on: commit
//! that file with the fix.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use crate::http::proto::decode::tests::{brotli, gzip, zlib, zstd};
use crate::http::proto::framing::BodyLength;
use crate::http::proto::properties::{check_body, check_chunked, check_head, check_response, check_url, split_at_cuts};

/// Bytes that matter to the grammars here, for mutations to put in.
const INTERESTING: &[u8] = b"\r\n:; \t,0f9=\"\x00\x7f\xff/?#@[]%";

/// Edits to make to an input: (where, which edit, a byte for it).
fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    vec((any::<usize>(), 0u8..5, any::<u8>()), 1..5)
}

/// `bytes` with `edits` applied: flip a bit, insert a byte, delete one,
/// overwrite one with a byte from [`INTERESTING`], or repeat a short run.
fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(at, edit, byte) in edits {
        let at = at % (bytes.len() + 1);
        let inside = at < bytes.len();
        match edit {
            0 if inside => bytes[at] ^= 1 << (byte % 8),
            1 => bytes.insert(at, byte),
            2 if inside => {
                bytes.remove(at);
            }
            3 if inside => bytes[at] = INTERESTING[usize::from(byte) % INTERESTING.len()],
            4 => {
                let end = (at + usize::from(byte % 32)).min(bytes.len());
                let run = bytes[at..end].to_vec();
                bytes.splice(end..end, run);
            }
            _ => {}
        }
    }
    bytes
}

/// Where to split an input: up to 8 cuts, reduced modulo its length.
fn cuts() -> impl Strategy<Value = Vec<usize>> {
    vec(any::<usize>(), 0..8)
}

/// Body data: random bytes, or text from a small alphabet that compresses.
fn data() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![vec(any::<u8>(), 0..600), vec(select(b"ab \n<>".to_vec()), 0..3000)]
}

/// The content codings a body may carry, by header value.
const CODINGS: &[&str] = &["", "gzip", "deflate", "br", "zstd", "gzip, gzip", "br, zstd"];

/// `data` encoded as the `Content-Encoding` value `coding` says.
fn encode(coding: &str, data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    for name in coding.split(", ").filter(|name| !name.is_empty()) {
        out = match name {
            "gzip" => gzip(&out),
            "deflate" => zlib(&out),
            "br" => brotli(&out),
            "zstd" => zstd(&out),
            _ => unreachable!("{name} is not in CODINGS"),
        };
    }
    out
}

/// `data` in chunked framing, chunks of the sizes in `sizes` (cycled),
/// each size line with an extension when `extensions`, then `trailers`.
fn chunked(data: &[u8], sizes: &[usize], extensions: bool, trailers: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = data;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, after) = rest.split_at(size.clamp(1, rest.len()));
        out.extend_from_slice(format!("{:x}", chunk.len()).as_bytes());
        if extensions {
            out.extend_from_slice(b";name=\"v\"");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
        rest = after;
    }
    out.extend_from_slice(b"0\r\n");
    for (name, value) in trailers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Header fields a response may carry besides its framing.
fn fields() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = select(vec!["Server", "X-Token", "Set-Cookie", "Vary", "Connection", "Cache-Control"]);
    let value =
        vec(select(b"abc 09=;,-/\t".to_vec()), 0..24).prop_map(|v| String::from_utf8_lossy(&v).trim().to_owned());
    vec((name.prop_map(str::to_owned), value), 0..6)
}

/// A valid response: its bytes on the wire, the body it decodes to, and
/// how it is framed. Framing 0 is Content-Length, 1 chunked, 2 until close.
#[derive(Clone, Debug)]
struct Response {
    wire: Vec<u8>,
    body: Vec<u8>,
    framing: u8,
    coding: &'static str,
}

fn response() -> impl Strategy<Value = Response> {
    (data(), select(CODINGS), 0u8..3, fields(), vec(1usize..700, 1..6), any::<bool>(), fields(), any::<bool>())
        .prop_map(|(body, coding, framing, fields, sizes, extensions, trailers, bare_lf)| {
            let encoded = encode(coding, &body);
            let eol = if bare_lf { "\n" } else { "\r\n" };
            let mut head = format!("HTTP/1.1 200 OK{eol}");
            for (name, value) in &fields {
                head.push_str(&format!("{name}: {value}{eol}"));
            }
            if !coding.is_empty() {
                head.push_str(&format!("Content-Encoding: {coding}{eol}"));
            }
            let payload = match framing {
                0 => {
                    head.push_str(&format!("Content-Length: {}{eol}", encoded.len()));
                    encoded
                }
                1 => {
                    head.push_str(&format!("Transfer-Encoding: chunked{eol}"));
                    chunked(&encoded, &sizes, extensions, &trailers)
                }
                _ => encoded,
            };
            head.push_str(eol);
            let mut wire = head.into_bytes();
            wire.extend_from_slice(&payload);
            Response { wire, body, framing, coding }
        })
}

/// A URL in normal form, which must parse back to exactly its own text.
fn normal_url() -> impl Strategy<Value = String> {
    let label = vec(select(b"abcxyz019".to_vec()), 1..8).prop_map(|v| String::from_utf8(v).unwrap_or_default());
    let segment = vec(select(b"az09-._~!$&'()*+,;=:@".to_vec()), 0..8)
        .prop_map(|v| String::from_utf8(v).unwrap_or_default())
        .prop_filter("dot segments are removed", |s| s != "." && s != "..");
    let query = proptest::option::of(
        vec(select(b"az09=&/?:@-._~".to_vec()), 0..12).prop_map(|v| String::from_utf8(v).unwrap_or_default()),
    );
    (any::<bool>(), vec(label, 1..4), proptest::option::of(1u16..), vec(segment, 0..4), query).prop_map(
        |(https, labels, port, segments, query)| {
            let scheme = if https { "https" } else { "http" };
            // The last label must not be all digits, or the host reads as IPv4.
            let host = format!("{}.example", labels.join("."));
            let port = match port {
                Some(port) if port != if https { 443 } else { 80 } => format!(":{port}"),
                _ => String::new(),
            };
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            format!("{scheme}://{host}{port}/{}{query}", segments.join("/"))
        },
    )
}

// The cheap properties: small inputs, no compression to make.
proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_as_a_head_keep_every_property(input in vec(any::<u8>(), 0..300), cuts in cuts(), max_head in 1usize..400, max_headers in 0usize..8) {
        check_head(&input, &cuts, max_head, max_headers);
    }

    #[test]
    fn a_mutated_chunked_body_keeps_every_property(data in vec(any::<u8>(), 0..200), sizes in vec(1usize..40, 1..6), trailers in fields(), edits in edits(), cuts in cuts()) {
        check_chunked(&mutate(chunked(&data, &sizes, true, &trailers), &edits), &cuts);
    }

    #[test]
    fn random_bytes_as_a_chunked_body_keep_every_property(input in vec(select(b"0123456789abcdefABCDEF;=\"\r\n :x".to_vec()), 0..200), cuts in cuts()) {
        check_chunked(&input, &cuts);
    }

    #[test]
    fn random_bytes_as_a_compressed_body_keep_every_property(input in vec(any::<u8>(), 0..400), coding in select(CODINGS), cuts in cuts(), limit in 0u64..100_000) {
        check_body(&input, &cuts, BodyLength::UntilClose, coding, limit);
    }

    #[test]
    fn a_url_in_normal_form_round_trips_exactly(url in normal_url(), reference in normal_url()) {
        let parsed = check_url(&url, &reference);
        prop_assert_eq!(parsed.as_ref().map(|url| url.as_str()), Some(&url[..]));
    }

    #[test]
    fn a_mutated_url_reparses_to_itself(url in normal_url(), edits in edits(), reference in "[a-z./?#%:@\\[\\] 0-9]{0,20}") {
        let mutated = mutate(url.into_bytes(), &edits);
        check_url(&String::from_utf8_lossy(&mutated), &reference);
    }

    #[test]
    fn random_text_as_a_url_reparses_to_itself(input in "[a-zA-Z0-9:/?#\\[\\]@!$&'()*+,;=%. \t\u{e9}\u{ff21}\u{3002}-]{0,40}", reference in "[a-zA-Z0-9:/?#\\[\\]@%. -]{0,30}") {
        check_url(&input, &reference);
    }
}

// Whole bodies and responses, compressed every way: each case encodes a
// body of up to 3000 bytes.
proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_valid_chunked_body_decodes_to_its_data_split_anywhere(data in data(), sizes in vec(1usize..700, 1..6), extensions in any::<bool>(), trailers in fields(), cuts in cuts()) {
        let wire = chunked(&data, &sizes, extensions, &trailers);
        prop_assert!(check_chunked(&wire, &cuts) == Some(data));
    }

    #[test]
    fn a_valid_head_parses_the_same_split_anywhere(response in response(), cuts in cuts()) {
        let head = check_head(&response.wire, &cuts, 64 * 1024, 100);
        prop_assert_eq!(head.map(|head| head.status), Some(200));
    }

    #[test]
    fn a_mutated_head_keeps_every_property(response in response(), edits in edits(), cuts in cuts(), max_head in 16usize..2048, max_headers in 1usize..10) {
        let end = response.wire.len().min(400);
        check_head(&mutate(response.wire[..end].to_vec(), &edits), &cuts, max_head, max_headers);
    }

    #[test]
    fn a_valid_response_decodes_to_its_body_within_the_limit(response in response(), cuts in cuts(), room in -2i64..2) {
        // A limit at the body's size, just under it and just over it.
        let limit = (response.body.len() as i64 + room).max(0) as u64;
        let fits = limit >= response.body.len() as u64;
        let run = check_response(&response.wire, &cuts, false, 64 * 1024, 100, limit);
        match run.body() {
            Some(body) => prop_assert!(body == &response.body[..] && fits),
            None => prop_assert!(!fits, "{:?} framed {} failed to decode: {:?}", response.coding, response.framing, run),
        }
    }

    #[test]
    fn a_mutated_response_keeps_every_property(response in response(), edits in edits(), cuts in cuts(), head in any::<bool>(), limit in 0u64..5000) {
        check_response(&mutate(response.wire, &edits), &cuts, head, 64 * 1024, 100, limit);
    }

    #[test]
    fn a_mutated_compressed_body_keeps_every_property(data in data(), coding in select(CODINGS), edits in edits(), cuts in cuts(), framing in 0u8..3, limit in 0u64..5000) {
        let body = mutate(encode(coding, &data), &edits);
        let (body, length) = match framing {
            0 => (body.clone(), BodyLength::Length(body.len() as u64)),
            1 => (chunked(&body, &[97], false, &[]), BodyLength::Chunked),
            _ => (body, BodyLength::UntilClose),
        };
        check_body(&body, &cuts, length, coding, limit);
    }
}

#[test]
fn cuts_split_an_input_into_pieces_that_make_it_up() {
    assert_eq!(split_at_cuts(b"abcdef", &[2, 2, 0, 10]), vec![&b"ab"[..], b"abcdef"[2..3].as_ref(), b"def"]);
    assert_eq!(split_at_cuts(b"", &[3]), vec![&b""[..]]);
    assert_eq!(split_at_cuts(b"abc", &[]), vec![&b"abc"[..]]);
}

/// A zstd frame of `blocks` RLE blocks, each 128 KiB of `b'a'` from 4
/// bytes of input: the densest zstd there is.
fn zstd_rle_blocks(blocks: usize) -> Vec<u8> {
    // Magic number; frame header: no content size, a 128 KiB window.
    let mut frame = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38];
    for index in 0..blocks {
        let last = u32::from(index + 1 == blocks);
        // Block header: last flag, type 1 (RLE), size 128 KiB; then the byte.
        let header = (128 * 1024) << 3 | 1 << 1 | last;
        frame.extend_from_slice(&header.to_le_bytes()[..3]);
        frame.push(b'a');
    }
    frame
}

#[test]
fn one_decode_call_of_a_zstd_bomb_stays_near_the_output_budget() {
    // 512 RLE blocks in 2 KiB: 64 MiB. Fed 1 KiB at a time, one call
    // returned 32 MiB; check_body holds every call to the budget plus
    // STEP_EXPANSION.
    let bomb = zstd_rle_blocks(512);
    let run = check_body(&bomb, &[], BodyLength::UntilClose, "zstd", u64::MAX);
    assert!(run.is_ok());
    assert_eq!(run.data.len(), 512 * 128 * 1024);
}

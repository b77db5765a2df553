//! The Punycode encoder of RFC 3492: how a non-ASCII host label becomes ASCII.
//!
//! DNS and the TLS SNI extension only carry ASCII, so a host such as
//! `bücher.de` travels as `xn--bcher-kva.de`. [`Url::parse`](super::url::Url::parse)
//! lowercases the host, splits it into labels, and calls [`encode`] on each
//! label that holds a non-ASCII character; it adds the `xn--` prefix itself.
//! Only the encoder is here: a client never has to decode a host name.
//!
//! The algorithm writes the label's ASCII characters first, then a `-`, then
//! one variable-length base-36 number per non-ASCII character. Each number
//! is a "delta": how many (code point, position) insertion states to skip
//! from the previous insertion, so the decoder can replay them in order.

/// The number of digits: `a`-`z` are 0-25 and `0`-`9` are 26-35.
const BASE: u32 = 36;
/// The smallest threshold a digit position may have.
const T_MIN: u32 = 1;
/// The largest threshold a digit position may have.
const T_MAX: u32 = 26;
/// How strongly the bias adapts after the first delta (RFC 3492 section 5).
const SKEW: u32 = 38;
/// How much the first delta is scaled down, since it tends to be large.
const DAMP: u32 = 700;
/// The bias before any delta has been written.
const INITIAL_BIAS: u32 = 72;
/// The first code point that is not basic (ASCII).
const INITIAL_N: u32 = 0x80;

/// Appends the Punycode form of `label` (without the `xn--` prefix) to `out`.
///
/// Returns `None` if a delta overflows `u32`, which only a label far longer
/// than DNS allows (63 bytes) can cause; callers check the length first.
///
/// ```text
/// "bücher"   -> "bcher-kva"   (the host label is then "xn--bcher-kva")
/// "例え"     -> "r8jz45g"
/// ```
pub(crate) fn encode(label: &str, out: &mut String) -> Option<()> {
    // Step 1: copy the basic code points in order; a '-' ends them if any.
    out.extend(label.chars().filter(char::is_ascii));
    let basic = label.chars().filter(char::is_ascii).count() as u32;
    let total = label.chars().count() as u32;
    if basic > 0 {
        out.push('-');
    }

    let (mut n, mut delta, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    let mut handled = basic;
    while handled < total {
        // Step 2: the next code point to insert is the smallest not yet done.
        // This scan makes the encoder quadratic in the label length, which is
        // what the RFC does and is harmless for labels capped at 63 bytes.
        let m = label.chars().map(u32::from).filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;

        // Step 3: walk the label; every smaller code point is one more state
        // to skip, and every occurrence of `n` emits the delta accumulated.
        for c in label.chars().map(u32::from) {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                write_number(delta, bias, out);
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(())
}

/// Writes `q` as a generalized variable-length integer (RFC 3492 section 3.3).
fn write_number(mut q: u32, bias: u32, out: &mut String) {
    let mut k = BASE;
    loop {
        // Each position has a threshold `t`; a digit below it ends the number.
        let t = if k <= bias {
            T_MIN
        } else if k >= bias + T_MAX {
            T_MAX
        } else {
            k - bias
        };
        if q < t {
            out.push(digit(q));
            return;
        }
        out.push(digit(t + (q - t) % (BASE - t)));
        q = (q - t) / (BASE - t);
        k += BASE;
    }
}

/// The bias adaptation function of RFC 3492 section 6.1.
fn adapt(delta: u32, points: u32, first: bool) -> u32 {
    let mut delta = if first { delta / DAMP } else { delta / 2 };
    delta += delta / points;
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
}

/// The character for digit `d` (0-35): lowercase letters, then decimal digits.
fn digit(d: u32) -> char {
    // `d` is always below BASE here, so the byte stays in `a..=z` or `0..=9`.
    if d < 26 { (b'a' + d as u8) as char } else { (b'0' + (d - 26) as u8) as char }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(label: &str) -> String {
        let mut out = String::new();
        assert_eq!(encode(label, &mut out), Some(()));
        out
    }

    #[test]
    fn encodes_the_rfc_3492_samples_and_common_host_labels() {
        let cases = [
            ("bücher", "bcher-kva"),
            ("münchen", "mnchen-3ya"),
            ("例え", "r8jz45g"),
            ("テスト", "zckzah"),
            ("ü", "tda"),
            ("abc", "abc-"),
            // RFC 3492 section 7.1 (A): Arabic (Egyptian).
            ("ليهمابتكلموشعربي؟", "egbpdaj6bu4bxfgehfvwxn"),
            // (B) Chinese (simplified) and (C) Chinese (traditional).
            ("他们为什么不说中文", "ihqwcrb4cv8a8dqg056pqjye"),
            ("他們爲什麽不說中文", "ihqwctvzc91f659drss3x8bo0yb"),
            // (D) Czech: basic code points keep their case.
            ("Pročprostěnemluvíčesky", "Proprostnemluvesky-uyb24dma41a"),
            // (L) and (M): mixed Japanese and ASCII.
            ("3年B組金八先生", "3B-ww4c5e180e575a65lsy2b"),
            ("安室奈美恵-with-SUPER-MONKEYS", "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n"),
            // (S): all basic, so only the trailing delimiter is added.
            ("-> $1.00 <-", "-> $1.00 <--"),
        ];
        for (label, expected) in cases {
            assert_eq!(encoded(label), expected, "label {label:?}");
        }
    }

    #[test]
    fn encodes_astral_code_points() {
        // U+1F600 needs a delta far above the BMP; Python's codec agrees.
        assert_eq!(encoded("a😀"), "a-jv3s");
    }
}

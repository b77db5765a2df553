//! HTTP dates without a date crate: parse the three formats a `Date`,
//! `Last-Modified` or `Expires` header may use, parse the lenient dates of a
//! cookie's `Expires` attribute, and format the one preferred format.
//!
//! In the path of a request this sits beside the headers: the cookie jar
//! calls [`parse_cookie_date`] while storing a `Set-Cookie`. The other two
//! are public for users of the client: [`parse_http_date`] reads a
//! `Retry-After`, `Date` or `Last-Modified` value, and [`format_http_date`]
//! writes one (a server, or a test's). Nothing here reads a clock; every
//! function is a pure conversion between text and [`SystemTime`].
//!
//! The calendar arithmetic is Howard Hinnant's `days_from_civil` /
//! `civil_from_days` (<https://howardhinnant.github.io/date_algorithms.html>):
//! a proleptic Gregorian calendar counted in 400-year eras, so no table of
//! month lengths and no loop over years is needed.
//!
//! Dates before 1970 are clamped to [`UNIX_EPOCH`] rather than rejected. The
//! only use of such a date on the web is "long ago", typically a server
//! deleting a cookie with `Expires=... 1969`; returning `None` would turn
//! that deletion into a session cookie, while the epoch keeps its meaning.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds in a day; HTTP dates are UTC and ignore leap seconds.
const SECONDS_PER_DAY: u64 = 86_400;

/// Month abbreviations, January first; matched case-insensitively.
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Day-name abbreviations, Sunday first (the order `weekday` counts in).
const DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// Full day names of the obsolete RFC 850 format, Sunday first.
const LONG_DAY_NAMES: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// Parses an HTTP date in any of the three formats of RFC 9110 section 5.6.7:
/// IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850
/// `Sunday, 06-Nov-94 08:49:37 GMT` and C's asctime `Sun Nov  6 08:49:37 1994`.
///
/// Names are matched case-insensitively and the day name must be a real one,
/// but it is not checked against the date (a wrong weekday is a sender's
/// typo, not a different instant). RFC 850's two-digit year uses the cookie
/// rule, 70-99 is 19xx and 00-69 is 20xx: RFC 9110's "more than 50 years in
/// the future" rule needs the current time, which this pure function lacks.
/// Second 60 (a leap second) is accepted and lands on the next second.
///
/// ```
/// use corio::http::{format_http_date, parse_http_date};
/// let when = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
/// assert!(when.is_some());
/// assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), when);
/// assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), when);
/// assert_eq!(when.map(format_http_date).as_deref(), Some("Sun, 06 Nov 1994 08:49:37 GMT"));
/// ```
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    let s = s.trim_matches([' ', '\t']);
    // Each format is recognised by its shape, so trying them in turn costs
    // at most three short scans of a 30-byte string.
    let date = parse_imf_fixdate(s).or_else(|| parse_rfc850(s)).or_else(|| parse_asctime(s))?;
    date.to_system_time()
}

/// Formats `t` as an IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`.
///
/// Sub-second precision is dropped; a time before 1970 is formatted as the
/// epoch (the same clamp the parsers apply). Years past 9999 print with more
/// than four digits and will not parse back.
pub fn format_http_date(t: SystemTime) -> String {
    let seconds = t.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs());
    let (days, second_of_day) = (seconds / SECONDS_PER_DAY, seconds % SECONDS_PER_DAY);
    // `days` is at most u64::MAX / 86400, about 2^47, so it fits an i64.
    let (year, month, day) = civil_from_days(days as i64);
    // 1970-01-01 was a Thursday, index 4 when Sunday is 0.
    let weekday = DAY_NAMES[((days + 4) % 7) as usize];
    let month = MONTHS[(month - 1) as usize];
    let (hour, minute, second) = (second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
    format!("{weekday}, {day:02} {month} {year:04} {hour:02}:{minute:02}:{second:02} GMT")
}

/// Parses the `Expires` attribute of a `Set-Cookie` with the lenient
/// algorithm of RFC 6265 section 5.1.1.
///
/// The string is cut into tokens at delimiters (anything but digits,
/// letters, `:` and bytes outside printable ASCII). Each token fills the
/// first still-empty slot it fits, in the order time (`h:m:s`), day of month
/// (1-2 digits), month (a token starting with a month abbreviation), year
/// (2-4 digits); anything else is skipped. So `Wed, 09 Jun 2021 10:18:14 GMT`,
/// `Sunday, 06-Nov-94 08:49:37 GMT` and `Jun 9 10:18:14 2021` all parse.
/// A two-digit year 70-99 means 19xx and 00-69 means 20xx. The date is
/// rejected if a slot stays empty, a field is out of range, the year is
/// before 1601, or the day does not exist in that month (31 Feb).
pub(crate) fn parse_cookie_date(s: &str) -> Option<SystemTime> {
    let (mut time, mut day, mut month, mut year) = (None, None, None, None);
    let tokens = s.as_bytes().split(|&byte| is_cookie_delimiter(byte)).filter(|token| !token.is_empty());
    for token in tokens {
        // Step 2 of the algorithm: the first matching production that has
        // not been found yet takes the token, the others never see it.
        if time.is_none()
            && let Some(hms) = cookie_time(token)
        {
            time = Some(hms);
        } else if day.is_none()
            && let Some((value, _)) = leading_number(token, 1, 2)
        {
            day = Some(value);
        } else if month.is_none()
            && let Some(value) = token.get(..3).and_then(month_number)
        {
            month = Some(value);
        } else if year.is_none()
            && let Some((value, _)) = leading_number(token, 2, 4)
        {
            year = Some(value);
        }
    }
    let ((hour, minute, second), day, month, mut year) = (time?, day?, month?, year?);
    // Steps 3 and 4: the two-digit year rule.
    match year {
        70..=99 => year += 1900,
        0..=69 => year += 2000,
        _ => {}
    }
    // Step 5. Unlike HTTP dates a cookie date has no leap second.
    if year < 1601 || second > 59 {
        return None;
    }
    // Month, day and hour ranges and "the date exists" are checked here.
    Civil { year: i64::from(year), month, day, hour, minute, second }.to_system_time()
}

/// A broken-down UTC time as read from text, not yet validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Civil {
    /// Gregorian year, e.g. 1994.
    year: i64,
    /// Month, 1 = January.
    month: u32,
    /// Day of the month, from 1.
    day: u32,
    /// Hour of the day, 0-23.
    hour: u32,
    /// Minute, 0-59.
    minute: u32,
    /// Second, 0-60 (60 only for a leap second).
    second: u32,
}

impl Civil {
    /// Validates the fields and converts them to a `SystemTime`, clamping
    /// dates before 1970 to the epoch.
    fn to_system_time(self) -> Option<SystemTime> {
        let valid_day =
            (1..=12).contains(&self.month) && (1..=days_in_month(self.year, self.month)).contains(&self.day);
        if !valid_day || self.hour > 23 || self.minute > 59 || self.second > 60 {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        let seconds = days * SECONDS_PER_DAY as i64
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        match u64::try_from(seconds) {
            Ok(seconds) => UNIX_EPOCH.checked_add(Duration::from_secs(seconds)),
            // Negative: before 1970, clamped (see the module docs).
            Err(_) => Some(UNIX_EPOCH),
        }
    }
}

/// IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_imf_fixdate(s: &str) -> Option<Civil> {
    let [day_name, day, month, year, time, zone] = split_exact(s.split(' '))?;
    let day_name = day_name.strip_suffix(',')?;
    if !is_one_of(day_name, &DAY_NAMES) || zone != "GMT" {
        return None;
    }
    let (hour, minute, second) = time_of_day(time)?;
    let (year, month, day) = (i64::from(number(year, 4)?), month_number(month.as_bytes())?, number(day, 2)?);
    Some(Civil { year, month, day, hour, minute, second })
}

/// RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`.
fn parse_rfc850(s: &str) -> Option<Civil> {
    let [day_name, date, time, zone] = split_exact(s.split(' '))?;
    let day_name = day_name.strip_suffix(',')?;
    if !is_one_of(day_name, &LONG_DAY_NAMES) || zone != "GMT" {
        return None;
    }
    let [day, month, year] = split_exact(date.split('-'))?;
    let (hour, minute, second) = time_of_day(time)?;
    let year = number(year, 2)?;
    let year = i64::from(if year >= 70 { 1900 + year } else { 2000 + year });
    let (month, day) = (month_number(month.as_bytes())?, number(day, 2)?);
    Some(Civil { year, month, day, hour, minute, second })
}

/// asctime: `Sun Nov  6 08:49:37 1994`. The single-digit day is padded with
/// a space, so the fields are split at runs of whitespace.
fn parse_asctime(s: &str) -> Option<Civil> {
    let [day_name, month, day, time, year] = split_exact(s.split_ascii_whitespace())?;
    if !is_one_of(day_name, &DAY_NAMES) {
        return None;
    }
    let day = number(day, 1).or_else(|| number(day, 2))?;
    let (hour, minute, second) = time_of_day(time)?;
    let (year, month) = (i64::from(number(year, 4)?), month_number(month.as_bytes())?);
    Some(Civil { year, month, day, hour, minute, second })
}

/// Takes exactly `N` parts from `parts`, or `None` if there are fewer or more.
fn split_exact<'a, const N: usize>(mut parts: impl Iterator<Item = &'a str>) -> Option<[&'a str; N]> {
    let mut out = [""; N];
    for slot in &mut out {
        *slot = parts.next()?;
    }
    parts.next().is_none().then_some(out)
}

/// `hh:mm:ss` with exactly two digits each (ranges are checked later).
fn time_of_day(s: &str) -> Option<(u32, u32, u32)> {
    let [hour, minute, second] = split_exact(s.split(':'))?;
    Some((number(hour, 2)?, number(minute, 2)?, number(second, 2)?))
}

/// Exactly `len` ASCII digits as a number.
fn number(s: &str, len: usize) -> Option<u32> {
    match leading_number(s.as_bytes(), len, len)? {
        (value, []) => Some(value),
        _ => None,
    }
}

/// A run of `min..=max` digits at the start of `bytes` (the run must end
/// there: a longer run does not match) and the bytes after it.
fn leading_number(bytes: &[u8], min: usize, max: usize) -> Option<(u32, &[u8])> {
    let len = bytes.iter().take_while(|byte| byte.is_ascii_digit()).count();
    if len < min || len > max {
        return None;
    }
    // At most four digits are ever asked for, so this cannot overflow.
    let value = bytes[..len].iter().fold(0, |acc, &digit| acc * 10 + u32::from(digit - b'0'));
    Some((value, &bytes[len..]))
}

/// RFC 6265's `time` production: `1*2DIGIT ":" 1*2DIGIT ":" 1*2DIGIT`,
/// optionally followed by a non-digit and anything (`07:42:42.123`).
fn cookie_time(token: &[u8]) -> Option<(u32, u32, u32)> {
    let (hour, rest) = leading_number(token, 1, 2)?;
    let (minute, rest) = leading_number(rest.strip_prefix(b":")?, 1, 2)?;
    // `leading_number` stops only at a non-digit, so whatever follows the
    // seconds already satisfies "non-digit *OCTET".
    let (second, _) = leading_number(rest.strip_prefix(b":")?, 1, 2)?;
    Some((hour, minute, second))
}

/// RFC 6265's `delimiter`: tab, and printable ASCII except digits, letters
/// and `:`. Bytes 0x00-0x08, 0x0A-0x1F and 0x7F-0xFF are part of tokens.
fn is_cookie_delimiter(byte: u8) -> bool {
    matches!(byte, 0x09 | 0x20..=0x2F | 0x3B..=0x40 | 0x5B..=0x60 | 0x7B..=0x7E)
}

/// The month (1-12) whose abbreviation equals `name`, ignoring case.
fn month_number(name: &[u8]) -> Option<u32> {
    let index = MONTHS.iter().position(|month| month.as_bytes().eq_ignore_ascii_case(name))?;
    // `position` is below 12, so the cast is lossless.
    Some(index as u32 + 1)
}

/// True if `name` is one of `names`, ignoring case.
fn is_one_of(name: &str, names: &[&str]) -> bool {
    names.iter().any(|candidate| candidate.eq_ignore_ascii_case(name))
}

/// True for Gregorian leap years: every fourth, except centuries not
/// divisible by 400.
fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1-12) of `year`.
fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given date (negative before it).
///
/// Hinnant's trick: start the year in March so the leap day is the last day
/// of the year, then a month's first day is the linear formula
/// `(153 * m + 2) / 5` and a 400-year era always has 146097 days.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400; // 0..=399
    let month_from_march = i64::from((month + 9) % 12); // March = 0
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1; // 0..=365
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year; // 0..=146096
    // 719468 is the number of days from 0000-03-01 to 1970-01-01.
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day) of a day number.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097; // 0..=146096
    // Remove the leap days of the era so far before dividing by 365.
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // 0..=365
    let month_from_march = (5 * day_of_year + 2) / 153; // 0..=11
    // Both values are small and positive, so the casts are lossless.
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The instant `seconds` after the epoch.
    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn http_dates_parse_in_all_three_formats() {
        let table: [(&str, Option<u64>); 19] = [
            ("Sun, 06 Nov 1994 08:49:37 GMT", Some(784_111_777)),
            ("Sunday, 06-Nov-94 08:49:37 GMT", Some(784_111_777)),
            ("Sun Nov  6 08:49:37 1994", Some(784_111_777)),
            ("Sun Nov 06 08:49:37 1994", Some(784_111_777)),
            ("  Sun, 06 Nov 1994 08:49:37 GMT\t", Some(784_111_777)),
            ("sun, 06 nov 1994 08:49:37 GMT", Some(784_111_777)),
            // The weekday is checked to be a day name, not the right one.
            ("Mon, 06 Nov 1994 08:49:37 GMT", Some(784_111_777)),
            ("Thu, 29 Feb 2024 23:59:59 GMT", Some(1_709_251_199)),
            ("Fri, 31 Dec 9999 23:59:59 GMT", Some(253_402_300_799)),
            ("Thursday, 01-Jan-70 00:00:00 GMT", Some(0)),
            ("Tuesday, 01-Jan-69 00:00:00 GMT", Some(3_124_224_000)),
            // Before 1970: clamped to the epoch.
            ("Mon, 01 Jan 1601 00:00:00 GMT", Some(0)),
            // A leap second rolls over.
            ("Sun, 06 Nov 1994 08:49:60 GMT", Some(784_111_800)),
            ("Sun, 06 Nov 1994 08:49:37 UTC", None),
            ("Sun, 6 Nov 1994 08:49:37 GMT", None),
            ("Sun, 06 Nov 94 08:49:37 GMT", None),
            ("Sun 06 Nov 1994 08:49:37 GMT", None),
            ("Sunday, 06-Nov-1994 08:49:37 GMT", None),
            ("Sun Nov  6 08:49:37 1994 GMT", None),
        ];
        for (text, expected) in table {
            assert_eq!(parse_http_date(text), expected.map(at), "{text:?}");
        }
    }

    #[test]
    fn http_dates_reject_impossible_fields_and_garbage() {
        let table = [
            "",
            "GMT",
            "not a date at all",
            "Fri, 29 Feb 2023 00:00:00 GMT",
            "Fri, 29 Feb 2100 00:00:00 GMT",
            "Thu, 31 Apr 2024 00:00:00 GMT",
            "Thu, 00 Apr 2024 00:00:00 GMT",
            "Thu, 10 Abc 2024 00:00:00 GMT",
            "Thu, 10 Apr 2024 24:00:00 GMT",
            "Thu, 10 Apr 2024 23:60:00 GMT",
            "Thu, 10 Apr 2024 23:00:61 GMT",
            "Thu, 10 Apr 2024 1:00:00 GMT",
            "Thu, 10 Apr 2024 01:00 GMT",
            "Xyz, 10 Apr 2024 01:00:00 GMT",
            "Thu, +1 Apr 2024 01:00:00 GMT",
            "Thu, 10 Apr 2024 01:00:00 GMT extra",
            "Thu, 10 Apr 2024 01:00:00 GMT\u{e9}",
            "Thu,\u{e9}10 Apr 2024 01:00:00 GMT",
        ];
        for text in table {
            assert_eq!(parse_http_date(text), None, "{text:?}");
        }
    }

    #[test]
    fn format_writes_imf_fixdate() {
        let table = [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (1_709_251_199, "Thu, 29 Feb 2024 23:59:59 GMT"),
            (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"),
            (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
        ];
        for (seconds, expected) in table {
            assert_eq!(format_http_date(at(seconds)), expected);
        }
        // Sub-second precision is dropped and pre-epoch clamps.
        assert_eq!(format_http_date(at(0) + Duration::from_millis(999)), "Thu, 01 Jan 1970 00:00:00 GMT");
        if let Some(before) = UNIX_EPOCH.checked_sub(Duration::from_secs(1)) {
            assert_eq!(format_http_date(before), "Thu, 01 Jan 1970 00:00:00 GMT");
        }
    }

    #[test]
    fn format_then_parse_round_trips_every_leap_day_and_month_edge() {
        // Walk 1970..2400 in steps that hit every month boundary and leap
        // day, comparing both directions with the day arithmetic.
        let mut day = 0;
        while day < days_from_civil(2400, 1, 1) {
            let (year, month, day_of_month) = civil_from_days(day);
            assert_eq!(days_from_civil(year, month, day_of_month), day);
            let t = at(day as u64 * SECONDS_PER_DAY + 86_399);
            let text = format_http_date(t);
            assert_eq!(parse_http_date(&text), Some(t), "{text}");
            assert_eq!(parse_cookie_date(&text), Some(t), "{text}");
            day += if day_of_month >= 28 { 1 } else { 27 };
        }
    }

    #[test]
    fn day_arithmetic_matches_known_dates() {
        let table = [
            ((1970, 1, 1), 0),
            ((1969, 12, 31), -1),
            ((2000, 2, 29), 11_016),
            ((2000, 3, 1), 11_017),
            ((1601, 1, 1), -134_774),
            ((0, 3, 1), -719_468),
        ];
        for ((year, month, day), expected) in table {
            assert_eq!(days_from_civil(year, month, day), expected);
            assert_eq!(civil_from_days(expected), (year, month, day));
        }
        let leap_years: Vec<i64> =
            [1900, 2000, 2023, 2024, 2100, 2400].into_iter().filter(|&y| is_leap_year(y)).collect();
        assert_eq!(leap_years, [2000, 2024, 2400]);
    }

    #[test]
    fn cookie_dates_parse_leniently() {
        let table: [(&str, Option<u64>); 16] = [
            ("Sun, 06 Nov 1994 08:49:37 GMT", Some(784_111_777)),
            ("Sunday, 06-Nov-94 08:49:37 GMT", Some(784_111_777)),
            ("Sun Nov  6 08:49:37 1994", Some(784_111_777)),
            ("Wed, 9 Jun 2021 10:18:14 GMT", Some(1_623_233_894)),
            ("Jun 9 10:18:14 2021", Some(1_623_233_894)),
            ("09-jun-2021 10:18:14", Some(1_623_233_894)),
            ("Tue, 18 Oct 2011 07:42:42.123 GMT", Some(1_318_923_762)),
            ("Tue Oct 18 2011 07:42:42 GMT+0000 (GMT)", Some(1_318_923_762)),
            ("Tue, 18-October-11 07:42:42 GMT", Some(1_318_923_762)),
            ("8 Oct 2011 7:42:42 GMT", Some(1_318_059_762)),
            ("Thu, 10 Apr 1980 16:33:12", Some(324_232_392)),
            ("Thu, 01 Jan 70 00:00:00 GMT", Some(0)),
            ("Tue, 01 Jan 69 00:00:00 GMT", Some(3_124_224_000)),
            ("Thu, 01 Jan 1969 00:00:00 GMT", Some(0)),
            ("Mon, 01 Jan 1601 00:00:00 GMT", Some(0)),
            ("Thu, 29 Feb 2024 23:59:59 GMT", Some(1_709_251_199)),
        ];
        for (text, expected) in table {
            assert_eq!(parse_cookie_date(text), expected.map(at), "{text:?}");
        }
    }

    #[test]
    fn cookie_dates_reject_missing_or_invalid_fields() {
        let table = [
            "",
            ";;;",
            "Sun, 06 Nov 1994 GMT",
            "Sun, Nov 1994 08:49:37 GMT",
            "Sun, 06 1994 08:49:37 GMT",
            "Sun, 06 Nov 08:49:37 GMT",
            "99 Jix 3038 48:86:72 ZMT",
            "Sun, 06 Nov 1600 08:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Tue, 29 Feb 2100 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:49:37 GMT",
            "Sun, 06 Nov 1994 08:60:37 GMT",
            "Sun, 06 Nov 1994 08:49:60 GMT",
            "Sun, 06 Nov 1994 008:49:37 GMT",
            "Sun, 06 Nov 19940 08:49:37 GMT",
        ];
        for text in table {
            assert_eq!(parse_cookie_date(text), None, "{text:?}");
        }
    }

    #[test]
    fn cookie_date_tokens_fill_the_first_free_slot() {
        // "1994" cannot be a day (too long), so it is the year; the second
        // time-looking token is ignored once a time was found.
        assert_eq!(parse_cookie_date("1994 Nov 08:49:37 6 01:02:03"), Some(at(784_111_777)));
        // Non-ASCII bytes are part of a token, not delimiters.
        assert_eq!(parse_cookie_date("06 Nov\u{e9} 1994 08:49:37"), Some(at(784_111_777)));
        assert_eq!(parse_cookie_date("06\u{e9} Nov 1994 08:49:37"), Some(at(784_111_777)));
        assert_eq!(parse_cookie_date("\u{e9}06 Nov 1994 08:49:37"), None);
    }
}

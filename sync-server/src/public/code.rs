//! Tracking codes: what a voter gets for an opinion sent online, to follow it later.
//!
//! Sixteen digits read aloud in four groups (`4821 0937 5562 1184`), easy to say on the
//! phone and to type on any keypad. Fifteen are random (about 50 bits: with wrong codes
//! limited per network, guessing one of even a million live codes takes longer than
//! the codes matter); the last is a Luhn check digit, so a mistyped code is told apart
//! from an unknown one without asking the database. The server keeps only a hash.

use sha2::{Digest, Sha256};

/// Digits in a code.
pub const DIGITS: usize = 16;

/// A fresh random code (16 digits, no separators).
pub fn new_code() -> String {
    let mut digits = Vec::with_capacity(DIGITS);
    while digits.len() < DIGITS - 1 {
        let mut buf = [0u8; 32];
        getrandom::fill(&mut buf).expect("the system random generator works");
        // Bytes below 250 map evenly onto 0–9; the rest are dropped.
        digits.extend(
            buf.iter()
                .filter(|b| **b < 250)
                .map(|b| b % 10)
                .take(DIGITS - 1 - digits.len()),
        );
    }
    digits.push(luhn_check_digit(&digits));
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

/// The code in `input` as typed (spaces, dashes and full-width digits allowed), if it
/// has 16 digits and its check digit agrees.
pub fn normalize(input: &str) -> Option<String> {
    let mut digits = Vec::with_capacity(DIGITS);
    for c in input.chars() {
        match c {
            '0'..='9' => digits.push(c as u8 - b'0'),
            '０'..='９' => digits.push((c as u32 - '０' as u32) as u8),
            ' ' | '-' | '\u{3000}' | '－' => {}
            _ => return None,
        }
        if digits.len() > DIGITS {
            return None;
        }
    }
    if digits.len() != DIGITS || luhn_check_digit(&digits[..DIGITS - 1]) != digits[DIGITS - 1] {
        return None;
    }
    Some(digits.iter().map(|d| char::from(b'0' + d)).collect())
}

/// `code` in four groups of four.
pub fn grouped(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the server keeps of a code.
pub fn hash(code: &str) -> Vec<u8> {
    Sha256::digest(format!("jiazhan tracking code {code}")).to_vec()
}

/// The code of these fifteen digits and their check digit (`None` unless `payload` is
/// fifteen ASCII digits): a code that reads as one, for tests and tools.
pub fn with_check_digit(payload: &str) -> Option<String> {
    let digits: Vec<u8> = payload
        .bytes()
        .map(|b| b.is_ascii_digit().then(|| b - b'0'))
        .collect::<Option<_>>()?;
    (digits.len() == DIGITS - 1).then(|| format!("{payload}{}", luhn_check_digit(&digits)))
}

fn luhn_check_digit(payload: &[u8]) -> u8 {
    // From the right, every second digit of the payload is doubled (the check digit
    // will sit to its right).
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sixteen_digits_that_check_and_differ() {
        let a = new_code();
        assert_eq!(a.len(), DIGITS);
        assert!(a.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(normalize(&a).as_deref(), Some(a.as_str()));
        assert_eq!(normalize(&grouped(&a)).as_deref(), Some(a.as_str()));
        assert_ne!(new_code(), a);
        // A known Luhn number (a test card number).
        assert_eq!(
            normalize("4539 1488 0343 6467").as_deref(),
            Some("4539148803436467")
        );
        assert_eq!(
            normalize("４５３９－１４８８－０３４３－６４６７").as_deref(),
            Some("4539148803436467")
        );
        assert_eq!(
            with_check_digit("453914880343646").as_deref(),
            Some("4539148803436467")
        );
        assert_eq!(
            with_check_digit(&a[..DIGITS - 1]).as_deref(),
            Some(a.as_str())
        );
        assert_eq!(with_check_digit("45391488034364"), None);
        assert_eq!(with_check_digit("45391488034364x"), None);
    }

    #[test]
    fn a_mistyped_code_is_refused_without_a_lookup() {
        let code = new_code();
        // Any one digit changed, or two neighbours swapped, fails the check digit.
        for i in 0..DIGITS {
            let mut b = code.clone().into_bytes();
            b[i] = b'0' + (b[i] - b'0' + 1) % 10;
            assert_eq!(normalize(&String::from_utf8(b).unwrap()), None, "digit {i}");
        }
        for bad in [
            "",
            "1234",
            "4539148803436467 1",
            "4539a48803436467",
            "<script>",
        ] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
        assert_ne!(hash(&code), hash(&new_code()));
    }
}

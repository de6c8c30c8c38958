//! The verification code printed on a decision letter.
//!
//! Anyone holding a letter can check it on the public verification page by
//! its code, so the code must be unguessable: 26 symbols of Crockford's
//! base32 (130 random bits), which leaves no letter or digit a reader could
//! confuse (no I, L, O or U). It is printed in groups for people to type
//! (`7KQ2M-9XH4T-...`); when read back, case, spaces and dashes do not
//! matter, and the letters people mistake for digits are read as those
//! digits.

use std::fmt;
use std::str::FromStr;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A letter's verification code.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VerificationCode(String);

/// Why a text is not a verification code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a verification code")]
pub struct MalformedCode;

impl VerificationCode {
    /// Symbols in a code.
    pub const LEN: usize = 26;
    /// Random bytes a code is made of (the last 6 bits are unused).
    pub const RANDOM_BYTES: usize = 17;

    /// The code drawn from `random` bytes (a cryptographic source's).
    pub fn from_random(random: [u8; Self::RANDOM_BYTES]) -> Self {
        let mut bits: u32 = 0;
        let mut held = 0;
        let mut out = String::with_capacity(Self::LEN);
        for byte in random {
            bits = (bits << 8) | u32::from(byte);
            held += 8;
            while held >= 5 && out.len() < Self::LEN {
                held -= 5;
                out.push(char::from(ALPHABET[((bits >> held) & 31) as usize]));
            }
            bits &= (1 << held) - 1;
        }
        Self(out)
    }

    /// The code as stored: 26 symbols, no separators.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code in groups of five (the last of six) for people.
    pub fn grouped(&self) -> String {
        let mut out = String::with_capacity(Self::LEN + 5);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % 5 == 0 && i < 25 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }
}

impl fmt::Display for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.grouped())
    }
}

impl fmt::Debug for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerificationCode({})", self.0)
    }
}

impl FromStr for VerificationCode {
    type Err = MalformedCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = String::with_capacity(Self::LEN);
        for c in s.chars() {
            let c = match c.to_ascii_uppercase() {
                '-' | ' ' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
                _ => return Err(MalformedCode),
            };
            if out.len() == Self::LEN {
                return Err(MalformedCode);
            }
            out.push(c);
        }
        if out.len() == Self::LEN {
            Ok(Self(out))
        } else {
            Err(MalformedCode)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_print_in_groups_and_read_back_forgivingly() {
        let code = VerificationCode::from_random([0xA5; 17]);
        assert_eq!(code.as_str().len(), VerificationCode::LEN);
        let grouped = code.grouped();
        assert_eq!(grouped.len(), 26 + 4);
        assert_eq!(grouped.matches('-').count(), 4);
        assert_eq!(grouped.parse::<VerificationCode>(), Ok(code.clone()));
        assert_eq!(
            grouped.to_lowercase().replace('-', " ").parse(),
            Ok(code.clone())
        );
        let zero = VerificationCode::from_random([0; 17]);
        assert_eq!(zero.as_str(), "0".repeat(26));
        assert_eq!("o".repeat(26).parse(), Ok(zero));
        let all = VerificationCode::from_random([0xFF; 17]);
        assert_eq!(all.as_str(), "Z".repeat(26));
        for bad in ["", "ABC", &"Z".repeat(27), &"U".repeat(26), "ЖЖЖ"] {
            assert_eq!(bad.parse::<VerificationCode>(), Err(MalformedCode), "{bad}");
        }
    }

    #[test]
    fn different_random_bytes_give_different_codes() {
        let mut a = [0u8; 17];
        let b = a;
        a[16] = 0b0100_0000;
        assert_ne!(
            VerificationCode::from_random(a),
            VerificationCode::from_random(b)
        );
    }
}

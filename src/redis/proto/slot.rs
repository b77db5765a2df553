//! A key's Redis Cluster hash slot: CRC16 (XMODEM) of the key, or of its
//! `{hash tag}`, modulo 16384.

/// The number of slots a cluster divides the key space into.
pub const SLOTS: u16 = 16384;

/// The slot of `key`. If the key holds a `{...}` with at least one byte
/// between the braces, only those bytes are hashed, so `{user1}.name` and
/// `{user1}.mail` share a slot and a multi-key command may touch both.
pub fn key_slot(key: &[u8]) -> u16 {
    let hashed = match key.iter().position(|&b| b == b'{') {
        Some(open) => match key[open + 1..].iter().position(|&b| b == b'}') {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    crc16(hashed) % SLOTS
}

/// CRC-16/XMODEM (polynomial 0x1021, initial value 0), bit by bit: keys
/// are short, and a table would be 512 bytes of constants to check.
fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_matches_the_cluster_specs_check_value() {
        // The Redis Cluster specification: CRC16 of "123456789" is 0x31C3.
        assert_eq!(crc16(b"123456789"), 0x31C3);
    }

    #[test]
    fn slots_match_cluster_keyslot() {
        // Values from `CLUSTER KEYSLOT` on a real server.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b""), 0);
    }

    #[test]
    fn a_hash_tag_decides_the_slot_when_it_is_not_empty() {
        assert_eq!(key_slot(b"{user1}.name"), key_slot(b"user1"));
        assert_eq!(key_slot(b"x{user1}y{z}"), key_slot(b"user1"));
        assert_eq!(key_slot(b"{}user1"), key_slot(b"{}user1"));
        assert_ne!(key_slot(b"{}user1"), key_slot(b"user1"));
        assert_eq!(key_slot(b"{user1"), crc16(b"{user1") % SLOTS);
    }
}

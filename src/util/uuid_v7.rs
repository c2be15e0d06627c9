//! Time-ordered ids (UUID v7, RFC 9562) from a clock reading and random
//! bytes the caller supplies, so the edge can draw randomness in bulk
//! instead of crossing into JS for every id.
//!
//! Ids made by one sequence never go backwards: within one millisecond the
//! 12-bit `rand_a` field counts up from a random start (RFC 9562 §6.2,
//! method 1), and when it runs out the sequence borrows the next millisecond.

use uuid::{Builder, Uuid};

#[derive(Default)]
pub struct V7Sequence {
    last_ms: u64,
    counter: u16,
}

const COUNTER_MAX: u16 = 0x0FFF;

impl V7Sequence {
    /// The next id at `now_ms`, with 10 bytes of fresh randomness.
    pub fn next(&mut self, now_ms: u64, random: [u8; 10]) -> Uuid {
        if now_ms > self.last_ms {
            self.last_ms = now_ms;
            // Start low in the range so a burst has room to count up.
            self.counter = u16::from_be_bytes([random[0], random[1]]) & 0x07FF;
        } else if self.counter < COUNTER_MAX {
            self.counter += 1;
        } else {
            self.last_ms += 1;
            self.counter = 0;
        }
        let mut bytes = random;
        bytes[..2].copy_from_slice(&self.counter.to_be_bytes());
        Builder::from_unix_timestamp_millis(self.last_ms, &bytes).into_uuid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v7_and_never_go_backwards() {
        let mut seq = V7Sequence::default();
        let mut last = Uuid::nil();
        // One millisecond with more ids than the counter holds, then a
        // clock that steps back: order holds throughout.
        for i in 0..10_000u32 {
            let ms = if i < 9_000 { 1_700_000_000_000 } else { 1_699_999_999_000 };
            let id = seq.next(ms, [(i % 251) as u8; 10]);
            assert_eq!(id.get_version_num(), 7);
            assert!(id > last, "id {i} went backwards");
            last = id;
        }
    }

    #[test]
    fn the_timestamp_is_the_clock_reading() {
        let id = V7Sequence::default().next(1_700_000_000_123, [0xAB; 10]);
        let (secs, nanos) = id.get_timestamp().unwrap().to_unix();
        assert_eq!((secs, nanos / 1_000_000), (1_700_000_000, 123));
    }
}

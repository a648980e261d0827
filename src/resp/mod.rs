//! The wire protocol: `parse` turns bytes from a socket into commands, `reply` turns
//! results into RESP2 or RESP3 bytes.

pub mod parse;
pub mod reply;

//! Small helpers shared by many commands: number parsing and formatting the way Redis
//! does it, glob matching, and splitting a line into arguments (`sdssplitargs`).

pub mod clock;
pub mod glob;
pub mod histogram;
pub mod mem;
pub mod num;
pub mod split;

//! Small helpers shared by many commands: number parsing and formatting the way Redis
//! does it, and glob matching.

pub mod clock;
pub mod glob;
pub mod mem;
pub mod num;

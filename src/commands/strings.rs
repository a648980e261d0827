//! The strings family (placeholder until it lands).

use super::CommandDef;

pub const COMMANDS: &[CommandDef] = &[];

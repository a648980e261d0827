//! The persistence family: BGREWRITEAOF. (SAVE and BGSAVE come with RDB support.)

use super::flags::*;
use super::{cmd, Args, CommandDef, Ctx, Group};
use crate::error::{CmdResult, Error};

pub const COMMANDS: &[CommandDef] = &[cmd("bgrewriteaof", 1, ADMIN | NOSCRIPT, bgrewriteaof)
    .docs(&docs::BGREWRITEAOF)
    .group(Group::Server)];

/// BGREWRITEAOF
fn bgrewriteaof(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    let in_exec = ctx.client.in_exec;
    match ctx.srv.bgrewriteaof(ctx.store, in_exec) {
        Ok(text) => {
            ctx.reply.simple(text);
            Ok(())
        }
        Err(e) => Err(Error::msg(e.to_string())),
    }
}

// @generated begin: COMMAND DOCS of this family's rows, from redis-server 7.0.15
// by scripts/gen_command_docs.py. Do not edit: run the script after adding a row.
mod docs {
    use crate::commands::docs::Docs;

    pub const BGREWRITEAOF: Docs = Docs {
        name: "bgrewriteaof",
        summary: "Asynchronously rewrite the append-only file",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };
}
// @generated end: COMMAND DOCS

//! The persistence family: BGREWRITEAOF. (SAVE and BGSAVE come with RDB support.)

use super::flags::*;
use super::{cmd, Args, CommandDef, Ctx, Group};
use crate::error::{CmdResult, Error};

pub const COMMANDS: &[CommandDef] =
    &[cmd("bgrewriteaof", 1, ADMIN | NOSCRIPT, bgrewriteaof).group(Group::Server)];

/// BGREWRITEAOF
fn bgrewriteaof(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    let in_exec = ctx.client.in_exec;
    match crate::persistence::bgrewriteaof(ctx.store, &mut ctx.srv.aof, &ctx.srv.config, in_exec) {
        Ok(text) => {
            ctx.reply.simple(text);
            Ok(())
        }
        Err(e) => Err(Error::msg(e.to_string())),
    }
}

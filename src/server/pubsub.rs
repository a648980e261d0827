//! Pub/Sub delivery: who is subscribed to what, publishing a message to them, keyspace
//! notifications, and the output limit that disconnects slow subscribers.
//!
//! Subscribers are `ClientRef`s. A message to the client whose command is running
//! goes to that command's output buffer (`Current`), because its session is out of the
//! slab while it runs; every other subscriber's message goes to its own write buffer.

use super::client::{Client, ClientRef};
use super::Core;
use crate::resp::reply::Reply;
use crate::store::bytes::Sds;
use crate::store::{notify, KeyEvent};
use crate::util::glob::glob_match;
use std::collections::HashMap;

/// What a subscription is to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SubKind {
    Channel,
    Pattern,
    Shard,
}

#[derive(Default)]
pub struct PubSub {
    pub channels: HashMap<Sds, Vec<ClientRef>>,
    pub patterns: HashMap<Sds, Vec<ClientRef>>,
    pub shard_channels: HashMap<Sds, Vec<ClientRef>>,
}

/// The running client, when a publish happens inside its command.
pub struct Current<'a> {
    pub client: &'a Client,
    pub out: &'a mut Vec<u8>,
}

/// The kind of message a subscriber receives.
#[derive(Clone, Copy)]
enum Kind<'a> {
    Message,
    SMessage,
    PMessage(&'a [u8]),
}

fn write_message(out: &mut Vec<u8>, resp3: bool, kind: Kind, channel: &[u8], msg: &[u8]) {
    let mut r = Reply::new(out, resp3);
    match kind {
        Kind::Message | Kind::SMessage => {
            r.push(3);
            r.bulk(if matches!(kind, Kind::Message) {
                b"message"
            } else {
                b"smessage"
            });
        }
        Kind::PMessage(p) => {
            r.push(4);
            r.bulk(b"pmessage");
            r.bulk(p);
        }
    }
    r.bulk(channel);
    r.bulk(msg);
}

impl Core {
    /// Delivers one message to a subscriber.
    fn deliver(
        &mut self,
        to: ClientRef,
        kind: Kind,
        channel: &[u8],
        msg: &[u8],
        cur: &mut Option<Current>,
    ) {
        if let Some(c) = cur.as_mut() {
            if c.client.cref() == to {
                write_message(c.out, c.client.resp3, kind, channel, msg);
                return;
            }
        }
        let Some(conn) = self.conn_mut(to).filter(|c| !c.s.client.close_asap) else {
            return;
        };
        write_message(&mut conn.s.wbuf, conn.s.client.resp3, kind, channel, msg);
        self.enforce_output_limit_at(to.key);
        self.queue_write(to.key);
    }

    /// PUBLISH: sends `msg` to the subscribers of `channel` and of matching patterns;
    /// returns how many received it.
    pub fn publish(&mut self, channel: &[u8], msg: &[u8], mut cur: Option<Current>) -> usize {
        let mut n = 0;
        if let Some(subs) = self.pubsub.channels.get(channel) {
            for t in subs.clone() {
                self.deliver(t, Kind::Message, channel, msg, &mut cur);
                n += 1;
            }
        }
        if !self.pubsub.patterns.is_empty() {
            let matching: Vec<(Sds, Vec<ClientRef>)> = self
                .pubsub
                .patterns
                .iter()
                .filter(|(p, _)| glob_match(p, channel, false))
                .map(|(p, s)| (p.clone(), s.clone()))
                .collect();
            for (p, subs) in matching {
                for t in subs {
                    self.deliver(t, Kind::PMessage(&p), channel, msg, &mut cur);
                    n += 1;
                }
            }
        }
        n
    }

    /// SPUBLISH: sends to the subscribers of a shard channel.
    pub fn spublish(&mut self, channel: &[u8], msg: &[u8], mut cur: Option<Current>) -> usize {
        let subs = self
            .pubsub
            .shard_channels
            .get(channel)
            .cloned()
            .unwrap_or_default();
        for &t in &subs {
            self.deliver(t, Kind::SMessage, channel, msg, &mut cur);
        }
        subs.len()
    }

    /// Publishes queued keyspace events on `__keyspace@db__:key` and
    /// `__keyevent@db__:event`.
    pub(super) fn publish_events(&mut self, events: &mut Vec<KeyEvent>, mut cur: Option<Current>) {
        for e in events.drain(..) {
            let flags = self.notify_flags();
            if flags & notify::KEYSPACE != 0 {
                let mut ch = format!("__keyspace@{}__:", e.db).into_bytes();
                ch.extend_from_slice(&e.key);
                let c = cur.as_mut().map(|c| Current {
                    client: c.client,
                    out: &mut *c.out,
                });
                self.publish(&ch, e.event.as_bytes(), c);
            }
            if flags & notify::KEYEVENT != 0 {
                let ch = format!("__keyevent@{}__:{}", e.db, e.event).into_bytes();
                let c = cur.as_mut().map(|c| Current {
                    client: c.client,
                    out: &mut *c.out,
                });
                self.publish(&ch, &e.key, c);
            }
        }
    }

    fn notify_flags(&self) -> u32 {
        self.config.notify_keyspace_events
    }

    /// Subscribes a client to a channel (or pattern, or shard channel); false if it already was.
    pub fn subscribe(&mut self, client: &mut Client, kind: SubKind, name: &[u8]) -> bool {
        let t = client.cref();
        let (set_new, map) = match kind {
            SubKind::Channel => (
                client.channels.insert(Sds::from(name)),
                &mut self.pubsub.channels,
            ),
            SubKind::Shard => (
                client.shard_channels.insert(Sds::from(name)),
                &mut self.pubsub.shard_channels,
            ),
            SubKind::Pattern => {
                let new = !client.patterns.iter().any(|p| p.as_slice() == name);
                if new {
                    client.patterns.push(Sds::from(name));
                }
                (new, &mut self.pubsub.patterns)
            }
        };
        if set_new {
            map.entry(Sds::from(name)).or_default().push(t);
            if kind != SubKind::Shard {
                client.subscriptions += 1;
            }
        }
        set_new
    }

    /// Unsubscribes a client; false if it was not subscribed.
    pub fn unsubscribe(&mut self, client: &mut Client, kind: SubKind, name: &[u8]) -> bool {
        let t = client.cref();
        let (was, map) = match kind {
            SubKind::Channel => (client.channels.remove(name), &mut self.pubsub.channels),
            SubKind::Shard => (
                client.shard_channels.remove(name),
                &mut self.pubsub.shard_channels,
            ),
            SubKind::Pattern => {
                let before = client.patterns.len();
                client.patterns.retain(|p| p.as_slice() != name);
                (client.patterns.len() != before, &mut self.pubsub.patterns)
            }
        };
        if was {
            remove_sub(map, name, t);
            if kind != SubKind::Shard {
                client.subscriptions -= 1;
            }
        }
        was
    }

    /// Removes every subscription of a client that is going away.
    pub(super) fn pubsub_forget(&mut self, client: &Client) {
        let t = client.cref();
        for ch in &client.channels {
            remove_sub(&mut self.pubsub.channels, ch, t);
        }
        for p in &client.patterns {
            remove_sub(&mut self.pubsub.patterns, p, t);
        }
        for ch in &client.shard_channels {
            remove_sub(&mut self.pubsub.shard_channels, ch, t);
        }
    }
}

/// Removes `who` from the subscribers of `name`, dropping the entry when empty.
pub fn remove_sub(map: &mut HashMap<Sds, Vec<ClientRef>>, name: &[u8], who: ClientRef) {
    if let Some(v) = map.get_mut(name) {
        v.retain(|&x| x != who);
        if v.is_empty() {
            map.remove(name);
        }
    }
}

//! The GEO family: points stored as sorted-set members whose score is their 52-bit
//! geohash (`store::geohash`), and the searches over them.
//!
//! GEOADD is Redis's: the coordinates become scores and the work is ZADD's (same reply,
//! same "zadd" event), and it is fed to the AOF as that ZADD. GEODIST, GEOHASH and GEOPOS
//! decode scores. GEORADIUS, GEORADIUSBYMEMBER (and their _RO forms), GEOSEARCH and
//! GEOSEARCHSTORE share one search: the options are read in Redis's order and with its
//! errors, the nine cells around the centre are walked as score ranges (stopping early
//! for COUNT ANY), the points inside the shape are kept, sorted by distance when asked
//! (or when COUNT is given without ANY), and either replied (with WITHDIST, WITHHASH,
//! WITHCOORD) or stored as a new sorted set (scores: the hashes, or the distances for
//! STOREDIST), raising "georadiusstore" / "geosearchstore", or deleting the destination
//! when nothing matched. Distances print as "%.4f" in the request's unit, coordinates as
//! Redis's human long doubles.

#![deny(clippy::indexing_slicing)]

use super::flags::*;
use super::{cmd, Args, CommandDef, Ctx, Group, KeySpecDef, OwnedArgs};
use crate::error::{CmdResult, Error};
use crate::resp::reply::Reply;
use crate::store::bytes::Sds;
use crate::store::geohash::{self, Extent, Shape};
use crate::store::zset::ZSet;
use crate::store::{Store, Value};
use crate::util::num::{fmt_long_double_human, parse_f64, parse_i64};
use std::cmp::Ordering;

const G: Group = Group::Geo;

const RO_ACCESS: &[&str] = &["RO", "access"];
const OW_UPDATE: &[&str] = &["OW", "update"];

/// The source key of the read-only forms and of the searches.
const SRC_SPEC: &[KeySpecDef] = &[KeySpecDef::index(RO_ACCESS, 1)];

/// GEORADIUS and GEORADIUSBYMEMBER: the source, then STORE and STOREDIST destinations
/// found by keyword from the first optional argument on.
const fn radius_specs(from: i64) -> [KeySpecDef; 3] {
    [
        KeySpecDef::index(RO_ACCESS, 1),
        KeySpecDef::keyword(OW_UPDATE, "STORE", from),
        KeySpecDef::keyword(OW_UPDATE, "STOREDIST", from),
    ]
}
const GEORADIUS_SPECS: [KeySpecDef; 3] = radius_specs(6);
const GEORADIUSBYMEMBER_SPECS: [KeySpecDef; 3] = radius_specs(5);

pub const COMMANDS: &[CommandDef] = &[
    cmd("geoadd", -5, WRITE | DENYOOM, geoadd)
        .docs(&docs::GEOADD)
        .keys(1, 1, 1)
        .key_specs(&[KeySpecDef::index(&["RW", "update"], 1)])
        .group(G),
    cmd("geodist", -4, READONLY, geodist)
        .docs(&docs::GEODIST)
        .keys(1, 1, 1)
        .key_specs(SRC_SPEC)
        .group(G),
    cmd("geohash", -2, READONLY, geohash_cmd)
        .docs(&docs::GEOHASH)
        .keys(1, 1, 1)
        .key_specs(SRC_SPEC)
        .group(G),
    cmd("geopos", -2, READONLY, geopos)
        .docs(&docs::GEOPOS)
        .keys(1, 1, 1)
        .key_specs(SRC_SPEC)
        .group(G),
    cmd("georadius", -6, WRITE | DENYOOM, georadius)
        .docs(&docs::GEORADIUS)
        .keys(1, 1, 1)
        .keys_fn(georadius_keys)
        .key_specs(&GEORADIUS_SPECS)
        .group(G),
    cmd("georadius_ro", -6, READONLY, georadius_ro)
        .docs(&docs::GEORADIUS_RO)
        .keys(1, 1, 1)
        .key_specs(SRC_SPEC)
        .group(G),
    cmd("georadiusbymember", -5, WRITE | DENYOOM, georadiusbymember)
        .docs(&docs::GEORADIUSBYMEMBER)
        .keys(1, 1, 1)
        .keys_fn(georadiusbymember_keys)
        .key_specs(&GEORADIUSBYMEMBER_SPECS)
        .group(G),
    cmd("georadiusbymember_ro", -5, READONLY, georadiusbymember_ro)
        .docs(&docs::GEORADIUSBYMEMBER_RO)
        .keys(1, 1, 1)
        .key_specs(SRC_SPEC)
        .group(G),
    cmd("geosearch", -7, READONLY, geosearch)
        .docs(&docs::GEOSEARCH)
        .keys(1, 1, 1)
        .key_specs(SRC_SPEC)
        .group(G),
    cmd("geosearchstore", -8, WRITE | DENYOOM, geosearchstore)
        .docs(&docs::GEOSEARCHSTORE)
        .keys(1, 2, 1)
        .key_specs(&[
            KeySpecDef::index(OW_UPDATE, 1),
            KeySpecDef::index(RO_ACCESS, 2),
        ])
        .group(G),
];

/// The source, and the argument after the first STORE and the first STOREDIST from
/// `from` on (Redis's keyword key specs).
fn radius_keys(a: &Args, from: usize) -> Vec<usize> {
    let mut keys = vec![1];
    for word in ["store", "storedist"] {
        if let Some(i) = (from..a.len()).find(|&i| a.is(i, word)) {
            if i + 1 < a.len() {
                keys.push(i + 1);
            }
        }
    }
    keys
}

fn georadius_keys(a: &Args) -> Vec<usize> {
    radius_keys(a, 6)
}

fn georadiusbymember_keys(a: &Args) -> Vec<usize> {
    radius_keys(a, 5)
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The sorted set at `key` for reading, or WRONGTYPE.
fn read_zset<'s>(store: &'s mut Store, key: &[u8]) -> Result<Option<&'s ZSet>, Error> {
    match store.lookup_read(key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(Error::WrongType),
    }
}

/// A longitude and a latitude, as Redis's extractLongLatOrReply reads them.
fn lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), Error> {
    let lon = parse_f64(lon).ok_or(Error::NotFloat)?;
    let lat = parse_f64(lat).ok_or(Error::NotFloat)?;
    if !geohash::valid_lon_lat(lon, lat) {
        return Err(Error::msg(format!(
            "ERR invalid longitude,latitude pair {},{}",
            c_fixed(lon, 6),
            c_fixed(lat, 6)
        )));
    }
    Ok((lon, lat))
}

/// C's "%.Nf" (through the C library, so rounding and special values are the same).
fn c_fixed(d: f64, decimals: usize) -> String {
    let fmt: &std::ffi::CStr = if decimals == 4 { c"%.4f" } else { c"%.6f" };
    // Wide enough for the largest double in "%f" (309 digits and the decimals).
    let mut buf = [0u8; 400];
    // SAFETY: the buffer is writable for its full length, the format is NUL-terminated
    // and takes exactly one double.
    let n = unsafe {
        libc::snprintf(
            buf.as_mut_ptr().cast::<libc::c_char>(),
            buf.len(),
            fmt.as_ptr(),
            d,
        )
    };
    let n = usize::try_from(n).unwrap_or(0).min(buf.len() - 1);
    String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned()
}

/// Meters per unit, or Redis's error.
fn unit(u: &[u8]) -> Result<f64, Error> {
    const UNITS: &[(&str, f64)] = &[("m", 1.0), ("km", 1000.0), ("ft", 0.3048), ("mi", 1609.34)];
    UNITS
        .iter()
        .find(|(n, _)| u.eq_ignore_ascii_case(n.as_bytes()))
        .map(|&(_, f)| f)
        .ok_or_else(|| Error::msg("ERR unsupported unit provided. please use M, KM, FT, MI"))
}

/// `radius unit`: (radius, meters per unit).
fn radius_arg(r: &[u8], u: &[u8]) -> Result<(f64, f64), Error> {
    let r = parse_f64(r).ok_or_else(|| Error::msg("ERR need numeric radius"))?;
    if r < 0.0 {
        return Err(Error::msg("ERR radius cannot be negative"));
    }
    Ok((r, unit(u)?))
}

/// `width height unit`: (width, height, meters per unit).
fn box_arg(w: &[u8], h: &[u8], u: &[u8]) -> Result<(f64, f64, f64), Error> {
    let w = parse_f64(w).ok_or_else(|| Error::msg("ERR need numeric width"))?;
    let h = parse_f64(h).ok_or_else(|| Error::msg("ERR need numeric height"))?;
    if h < 0.0 || w < 0.0 {
        return Err(Error::msg("ERR height or width cannot be negative"));
    }
    Ok((w, h, unit(u)?))
}

/// The position of a member, or Redis's error when it is not in the set.
fn member_pos(z: &ZSet, m: &[u8]) -> Result<(f64, f64), Error> {
    z.score(m)
        .map(geohash::decode_score)
        .ok_or_else(|| Error::msg("ERR could not decode requested zset member"))
}

/// A distance in the request's unit, as a bulk "%.4f".
fn reply_distance(r: &mut Reply, d: f64) {
    r.bulk(c_fixed(d, 4).as_bytes());
}

/// A coordinate: Redis's human long double (a bulk in RESP2, a double in RESP3).
fn reply_coord(r: &mut Reply, d: f64) {
    let mut tmp = Vec::with_capacity(32);
    fmt_long_double_human(d, &mut tmp);
    if r.resp3 {
        r.buf.push(b',');
        r.buf.extend_from_slice(&tmp);
        r.buf.extend_from_slice(b"\r\n");
    } else {
        r.bulk(&tmp);
    }
}

// ---------------------------------------------------------------------------------------
// GEOADD GEODIST GEOHASH GEOPOS
// ---------------------------------------------------------------------------------------

/// GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]
fn geoadd(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let mut first = 2;
    let (mut nx, mut xx) = (false, false);
    while first < a.len() {
        if a.is(first, "nx") {
            nx = true;
        } else if a.is(first, "xx") {
            xx = true;
        } else if !a.is(first, "ch") {
            break;
        }
        first += 1;
    }
    let triples = a.len() - first;
    if !triples.is_multiple_of(3) || (nx && xx) {
        return Err(Error::Syntax);
    }
    // ZADD key [options] score member ...: the score is the 52-bit hash.
    let mut zadd = OwnedArgs::default();
    zadd.push(b"zadd");
    for opt in a.slice(1..first).iter() {
        zadd.push(opt);
    }
    let mut c = a.cursor(first);
    while !c.is_done() {
        let (lon, lat) = lon_lat(c.arg()?, c.arg()?)?;
        let member = c.arg()?;
        let bits = geohash::encode_wgs84(lon, lat).map_or(0, |h| h.align52());
        let mut num = itoa::Buffer::new();
        zadd.push(num.format(bits).as_bytes());
        zadd.push(member);
    }
    let zargs = zadd.args();
    super::zsets::zadd(ctx, &zargs)?;
    if ctx.propagates() {
        ctx.rewrite_as(vec![zargs.to_sds()]);
    }
    Ok(())
}

/// GEODIST key member1 member2 [M | KM | FT | MI]
fn geodist(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let to_meters = match a.len() {
        4 => 1.0,
        5 => unit(a.get(4))?,
        _ => return Err(Error::Syntax),
    };
    let Some(z) = read_zset(ctx.store, a.get(1))? else {
        ctx.reply.null();
        return Ok(());
    };
    match (z.score(a.get(2)), z.score(a.get(3))) {
        (Some(s1), Some(s2)) => {
            let (lon1, lat1) = geohash::decode_score(s1);
            let (lon2, lat2) = geohash::decode_score(s2);
            let d = geohash::distance(lon1, lat1, lon2, lat2) / to_meters;
            reply_distance(&mut ctx.reply, d);
        }
        _ => ctx.reply.null(),
    }
    Ok(())
}

/// GEOHASH key [member [member ...]]
fn geohash_cmd(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let z = read_zset(ctx.store, a.get(1))?;
    let r = &mut ctx.reply;
    r.array(a.len() - 2);
    for m in a.from(2) {
        let hash = z
            .and_then(|z| z.score(m))
            .map(geohash::decode_score)
            .and_then(|(lon, lat)| geohash::standard_string(lon, lat));
        match hash {
            Some(h) => r.bulk(&h),
            None => r.null(),
        }
    }
    Ok(())
}

/// GEOPOS key [member [member ...]]
fn geopos(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let z = read_zset(ctx.store, a.get(1))?;
    let r = &mut ctx.reply;
    r.array(a.len() - 2);
    for m in a.from(2) {
        match z.and_then(|z| z.score(m)) {
            Some(s) => {
                let (lon, lat) = geohash::decode_score(s);
                r.array(2);
                reply_coord(r, lon);
                reply_coord(r, lat);
            }
            None => r.null_array(),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The searches
// ---------------------------------------------------------------------------------------

/// Which command runs the search (Redis's RADIUS_COORDS / RADIUS_MEMBER / GEOSEARCH
/// flags, with NOSTORE for the _RO forms).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Radius { nostore: bool },
    ByMember { nostore: bool },
    Search,
    SearchStore,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// A point found.
struct Point<'z> {
    member: &'z [u8],
    score: f64,
    lon: f64,
    lat: f64,
    /// In meters until the reply converts it.
    dist: f64,
}

/// The points of `z` in the shape, visiting the cells as Redis does; with `limit`, stops
/// once that many are found.
fn search<'z>(z: &'z ZSet, shape: &Shape, limit: usize) -> Vec<Point<'z>> {
    let cells = shape.search_cells();
    let mut found: Vec<Point<'z>> = Vec::new();
    let full = |found: &Vec<Point>| limit > 0 && found.len() >= limit;
    let mut last: Option<usize> = None;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        // Huge radii give neighbours equal to the one just searched. (Redis compares
        // with the previous searched cell only once that is not the centre.)
        if let Some(l) = last.filter(|&l| l > 0) {
            if cells.get(l) == Some(cell) {
                continue;
            }
        }
        if full(&found) {
            break;
        }
        let (min, max) = cell.score_range();
        let start = z.count_while(|s, _| s < min);
        for (m, s) in z.iter_ranks(start, z.len().saturating_sub(start), false) {
            if s >= max {
                break;
            }
            let (lon, lat) = geohash::decode_score(s);
            if let Some(dist) = shape.contains(lon, lat) {
                found.push(Point {
                    member: m,
                    score: s,
                    lon,
                    lat,
                    dist,
                });
            }
            if full(&found) {
                break;
            }
        }
        last = Some(i);
    }
    found
}

/// What the options asked for.
struct Opts<'a> {
    withdist: bool,
    withhash: bool,
    withcoord: bool,
    sort: Sort,
    any: bool,
    count: i64,
    store: Option<&'a [u8]>,
    storedist: bool,
}

fn georadius(ctx: &mut Ctx, a: &Args) -> CmdResult {
    geo_search(ctx, a, Kind::Radius { nostore: false })
}

fn georadius_ro(ctx: &mut Ctx, a: &Args) -> CmdResult {
    geo_search(ctx, a, Kind::Radius { nostore: true })
}

fn georadiusbymember(ctx: &mut Ctx, a: &Args) -> CmdResult {
    geo_search(ctx, a, Kind::ByMember { nostore: false })
}

fn georadiusbymember_ro(ctx: &mut Ctx, a: &Args) -> CmdResult {
    geo_search(ctx, a, Kind::ByMember { nostore: true })
}

fn geosearch(ctx: &mut Ctx, a: &Args) -> CmdResult {
    geo_search(ctx, a, Kind::Search)
}

fn geosearchstore(ctx: &mut Ctx, a: &Args) -> CmdResult {
    geo_search(ctx, a, Kind::SearchStore)
}

/// GEORADIUS key longitude latitude radius unit [options...], GEORADIUSBYMEMBER key
/// member radius unit [options...], GEOSEARCH key FROMMEMBER m | FROMLONLAT lon lat
/// BYRADIUS r unit | BYBOX w h unit [options...], GEOSEARCHSTORE dst src ...: Redis's
/// georadiusGeneric.
fn geo_search(ctx: &mut Ctx, a: &Args, kind: Kind) -> CmdResult {
    let src_idx = if kind == Kind::SearchStore { 2 } else { 1 };
    let z = read_zset(ctx.store, a.get(src_idx))?;
    let mut center: Option<(f64, f64)> = None;
    let mut extent: Option<(Extent, f64)> = None;
    let mut o = Opts {
        withdist: false,
        withhash: false,
        withcoord: false,
        sort: Sort::None,
        any: false,
        count: 0,
        store: None,
        storedist: false,
    };
    let base = match kind {
        Kind::Radius { .. } => {
            center = Some(lon_lat(a.get(2), a.get(3))?);
            let (r, conv) = radius_arg(a.get(4), a.get(5))?;
            extent = Some((Extent::Radius(r), conv));
            6
        }
        Kind::ByMember { .. } => {
            if let Some(z) = z {
                center = Some(member_pos(z, a.get(2))?);
                let (r, conv) = radius_arg(a.get(3), a.get(4))?;
                extent = Some((Extent::Radius(r), conv));
            }
            5
        }
        Kind::Search => 2,
        Kind::SearchStore => {
            o.store = Some(a.get(1));
            3
        }
    };
    let nostore = matches!(
        kind,
        Kind::Radius { nostore: true } | Kind::ByMember { nostore: true }
    );
    let is_search = matches!(kind, Kind::Search | Kind::SearchStore);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut i = base;
    while i < a.len() {
        let arg = a.get(i);
        let left = a.len() - i - 1;
        let is = |w: &str| arg.eq_ignore_ascii_case(w.as_bytes());
        if is("withdist") {
            o.withdist = true;
        } else if is("withhash") {
            o.withhash = true;
        } else if is("withcoord") {
            o.withcoord = true;
        } else if is("any") {
            o.any = true;
        } else if is("asc") {
            o.sort = Sort::Asc;
        } else if is("desc") {
            o.sort = Sort::Desc;
        } else if is("count") && left >= 1 {
            i += 1;
            o.count = parse_i64(a.get(i)).ok_or(Error::NotInteger)?;
            if o.count <= 0 {
                return Err(Error::msg("ERR COUNT must be > 0"));
            }
        } else if (is("store") || is("storedist")) && left >= 1 && !nostore && !is_search {
            o.storedist = is("storedist");
            i += 1;
            o.store = Some(a.get(i));
        } else if is("storedist") && kind == Kind::SearchStore {
            o.storedist = true;
        } else if is("frommember") && left >= 1 && is_search && !fromloc {
            i += 1;
            if let Some(z) = z {
                center = Some(member_pos(z, a.get(i))?);
            }
            frommember = true;
        } else if is("fromlonlat") && left >= 2 && is_search && !frommember {
            center = Some(lon_lat(a.get(i + 1), a.get(i + 2))?);
            fromloc = true;
            i += 2;
        } else if is("byradius") && left >= 2 && is_search && !bybox {
            let (r, conv) = radius_arg(a.get(i + 1), a.get(i + 2))?;
            extent = Some((Extent::Radius(r), conv));
            byradius = true;
            i += 2;
        } else if is("bybox") && left >= 3 && is_search && !byradius {
            let (w, h, conv) = box_arg(a.get(i + 1), a.get(i + 2), a.get(i + 3))?;
            extent = Some((
                Extent::Box {
                    width: w,
                    height: h,
                },
                conv,
            ));
            bybox = true;
            i += 3;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    if o.store.is_some() && (o.withdist || o.withhash || o.withcoord) {
        return Err(Error::msg(format!(
            "ERR {} is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            if kind == Kind::SearchStore {
                "GEOSEARCHSTORE"
            } else {
                "STORE option in GEORADIUS"
            }
        )));
    }
    let name = String::from_utf8_lossy(a.get(0));
    if is_search && !(frommember || fromloc) {
        return Err(Error::msg(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if is_search && !(byradius || bybox) {
        return Err(Error::msg(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if o.any && o.count == 0 {
        return Err(Error::msg("ERR the ANY argument requires COUNT argument"));
    }
    let (Some(z), Some((lon, lat)), Some((extent, conversion))) = (z, center, extent) else {
        // No source key.
        match o.store {
            Some(dst) => super::zsets::store_result(ctx, dst, Vec::new(), "del", true),
            None => ctx.reply.array(0),
        }
        return Ok(());
    };
    if o.count != 0 && o.sort == Sort::None && !o.any {
        o.sort = Sort::Asc;
    }
    let shape = Shape {
        lon,
        lat,
        extent,
        conversion,
    };
    let limit = if o.any { o.count as usize } else { 0 };
    let mut found = search(z, &shape, limit);
    let returned = if o.count == 0 {
        found.len()
    } else {
        found.len().min(o.count as usize)
    };
    let asc = |x: &Point, y: &Point| x.dist.total_cmp(&y.dist);
    let desc = |x: &Point, y: &Point| y.dist.total_cmp(&x.dist);
    // Redis sorts everything with the C library's qsort (glibc's is a stable merge
    // sort), or only the first `returned` with its own partial quicksort, whose order of
    // equal distances is its own.
    match (o.sort, returned == found.len()) {
        (Sort::None, _) => {}
        (Sort::Asc, true) => found.sort_by(asc),
        (Sort::Desc, true) => found.sort_by(desc),
        (Sort::Asc, false) => partial_sort(&mut found, &asc, returned),
        (Sort::Desc, false) => partial_sort(&mut found, &desc, returned),
    }
    found.truncate(returned);
    let Some(dst) = o.store else {
        reply_points(&mut ctx.reply, &found, &o, conversion);
        return Ok(());
    };
    let mut items: Vec<(Sds, f64)> = found
        .iter()
        .map(|p| {
            let score = if o.storedist {
                p.dist / conversion
            } else {
                p.score
            };
            (Sds::from(p.member), score)
        })
        .collect();
    items.sort_by(|x, y| {
        x.1.total_cmp(&y.1)
            .then_with(|| x.0.as_slice().cmp(y.0.as_slice()))
    });
    let dst = Sds::from(dst);
    let event = if is_search {
        "geosearchstore"
    } else {
        "georadiusstore"
    };
    super::zsets::store_result(ctx, &dst, items, event, true);
    Ok(())
}

/// The points found, with what the options ask for.
fn reply_points(r: &mut Reply, found: &[Point], o: &Opts, conversion: f64) {
    let extra = usize::from(o.withdist) + usize::from(o.withhash) + usize::from(o.withcoord);
    r.array(found.len());
    for p in found {
        if extra > 0 {
            r.array(extra + 1);
        }
        r.bulk(p.member);
        if o.withdist {
            reply_distance(r, p.dist / conversion);
        }
        if o.withhash {
            r.int(p.score as i64);
        }
        if o.withcoord {
            r.array(2);
            reply_coord(r, p.lon);
            reply_coord(r, p.lat);
        }
    }
}

// @generated begin: COMMAND DOCS of this family's rows, from redis-server 7.0.15
// by scripts/gen_command_docs.py. Do not edit: run the script after adding a row.
mod docs {
    use crate::commands::docs::ArgType::*;
    use crate::commands::docs::{arg, Docs};

    pub const GEOADD: Docs = Docs {
        name: "geoadd",
        summary: "Add one or more geospatial items in the geospatial index represented using a sorted set",
        since: "3.2.0",
        complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("6.2.0", "Added the `CH`, `NX` and `XX` options."),
        ],
        args: &[
            arg("key", Key).key_spec(0),
            arg("condition", OneOf).since("6.2.0").opt().args(&[
                arg("nx", PureToken).token("NX"),
                arg("xx", PureToken).token("XX"),
            ]),
            arg("change", PureToken).token("CH").since("6.2.0").opt(),
            arg("longitude_latitude_member", Block).multi().args(&[
                arg("longitude", Double),
                arg("latitude", Double),
                arg("member", Str),
            ]),
        ],
    };

    pub const GEODIST: Docs = Docs {
        name: "geodist",
        summary: "Returns the distance between two members of a geospatial index",
        since: "3.2.0",
        complexity: "O(log(N))",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("member1", Str),
            arg("member2", Str),
            arg("unit", OneOf).opt().args(&[
                arg("m", PureToken).token("M"),
                arg("km", PureToken).token("KM"),
                arg("ft", PureToken).token("FT"),
                arg("mi", PureToken).token("MI"),
            ]),
        ],
    };

    pub const GEOHASH: Docs = Docs {
        name: "geohash",
        summary: "Returns members of a geospatial index as standard geohash strings",
        since: "3.2.0",
        complexity: "O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("member", Str).multi(),
        ],
    };

    pub const GEOPOS: Docs = Docs {
        name: "geopos",
        summary: "Returns longitude and latitude of members of a geospatial index",
        since: "3.2.0",
        complexity: "O(N) where N is the number of members requested.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0), arg("member", Str).multi()],
    };

    pub const GEORADIUS: Docs = Docs {
        name: "georadius",
        summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
        since: "3.2.0",
        complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument",
        history: &[
            ("6.2.0", "Added the `ANY` option for `COUNT`."),
            ("7.0.0", "Added support for uppercase unit names."),
        ],
        args: &[
            arg("key", Key).key_spec(0),
            arg("longitude", Double),
            arg("latitude", Double),
            arg("radius", Double),
            arg("unit", OneOf).args(&[
                arg("m", PureToken).token("M"),
                arg("km", PureToken).token("KM"),
                arg("ft", PureToken).token("FT"),
                arg("mi", PureToken).token("MI"),
            ]),
            arg("withcoord", PureToken).token("WITHCOORD").opt(),
            arg("withdist", PureToken).token("WITHDIST").opt(),
            arg("withhash", PureToken).token("WITHHASH").opt(),
            arg("count", Block).opt().args(&[
                arg("count", Int).token("COUNT"),
                arg("any", PureToken).token("ANY").since("6.2.0").opt(),
            ]),
            arg("order", OneOf).opt().args(&[
                arg("asc", PureToken).token("ASC"),
                arg("desc", PureToken).token("DESC"),
            ]),
            arg("key", Key).key_spec(1).token("STORE").opt(),
            arg("key", Key).key_spec(2).token("STOREDIST").opt(),
        ],
    };

    pub const GEORADIUS_RO: Docs = Docs {
        name: "georadius_ro",
        summary: "A read-only variant for GEORADIUS",
        since: "3.2.10",
        complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`GEOSEARCH` with the `BYRADIUS` argument",
        history: &[
            ("6.2.0", "Added the `ANY` option for `COUNT`."),
        ],
        args: &[
            arg("key", Key).key_spec(0),
            arg("longitude", Double),
            arg("latitude", Double),
            arg("radius", Double),
            arg("unit", OneOf).args(&[
                arg("m", PureToken).token("M"),
                arg("km", PureToken).token("KM"),
                arg("ft", PureToken).token("FT"),
                arg("mi", PureToken).token("MI"),
            ]),
            arg("withcoord", PureToken).token("WITHCOORD").opt(),
            arg("withdist", PureToken).token("WITHDIST").opt(),
            arg("withhash", PureToken).token("WITHHASH").opt(),
            arg("count", Block).opt().args(&[
                arg("count", Int).token("COUNT"),
                arg("any", PureToken).token("ANY").since("6.2.0").opt(),
            ]),
            arg("order", OneOf).opt().args(&[
                arg("asc", PureToken).token("ASC"),
                arg("desc", PureToken).token("DESC"),
            ]),
        ],
    };

    pub const GEORADIUSBYMEMBER: Docs = Docs {
        name: "georadiusbymember",
        summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
        since: "3.2.0",
        complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments",
        history: &[
            ("7.0.0", "Added support for uppercase unit names."),
        ],
        args: &[
            arg("key", Key).key_spec(0),
            arg("member", Str),
            arg("radius", Double),
            arg("unit", OneOf).args(&[
                arg("m", PureToken).token("M"),
                arg("km", PureToken).token("KM"),
                arg("ft", PureToken).token("FT"),
                arg("mi", PureToken).token("MI"),
            ]),
            arg("withcoord", PureToken).token("WITHCOORD").opt(),
            arg("withdist", PureToken).token("WITHDIST").opt(),
            arg("withhash", PureToken).token("WITHHASH").opt(),
            arg("count", Block).opt().args(&[
                arg("count", Int).token("COUNT"),
                arg("any", PureToken).token("ANY").opt(),
            ]),
            arg("order", OneOf).opt().args(&[
                arg("asc", PureToken).token("ASC"),
                arg("desc", PureToken).token("DESC"),
            ]),
            arg("key", Key).key_spec(1).token("STORE").opt(),
            arg("key", Key).key_spec(2).token("STOREDIST").opt(),
        ],
    };

    pub const GEORADIUSBYMEMBER_RO: Docs = Docs {
        name: "georadiusbymember_ro",
        summary: "A read-only variant for GEORADIUSBYMEMBER",
        since: "3.2.10",
        complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("member", Str),
            arg("radius", Double),
            arg("unit", OneOf).args(&[
                arg("m", PureToken).token("M"),
                arg("km", PureToken).token("KM"),
                arg("ft", PureToken).token("FT"),
                arg("mi", PureToken).token("MI"),
            ]),
            arg("withcoord", PureToken).token("WITHCOORD").opt(),
            arg("withdist", PureToken).token("WITHDIST").opt(),
            arg("withhash", PureToken).token("WITHHASH").opt(),
            arg("count", Block).opt().args(&[
                arg("count", Int).token("COUNT"),
                arg("any", PureToken).token("ANY").opt(),
            ]),
            arg("order", OneOf).opt().args(&[
                arg("asc", PureToken).token("ASC"),
                arg("desc", PureToken).token("DESC"),
            ]),
        ],
    };

    pub const GEOSEARCH: Docs = Docs {
        name: "geosearch",
        summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
        since: "6.2.0",
        complexity: "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("7.0.0", "Added support for uppercase unit names."),
        ],
        args: &[
            arg("key", Key).key_spec(0),
            arg("from", OneOf).args(&[
                arg("member", Str).token("FROMMEMBER"),
                arg("longitude_latitude", Block).token("FROMLONLAT").args(&[
                    arg("longitude", Double),
                    arg("latitude", Double),
                ]),
            ]),
            arg("by", OneOf).args(&[
                arg("circle", Block).args(&[
                    arg("radius", Double).token("BYRADIUS"),
                    arg("unit", OneOf).args(&[
                        arg("m", PureToken).token("M"),
                        arg("km", PureToken).token("KM"),
                        arg("ft", PureToken).token("FT"),
                        arg("mi", PureToken).token("MI"),
                    ]),
                ]),
                arg("box", Block).args(&[
                    arg("width", Double).token("BYBOX"),
                    arg("height", Double),
                    arg("unit", OneOf).args(&[
                        arg("m", PureToken).token("M"),
                        arg("km", PureToken).token("KM"),
                        arg("ft", PureToken).token("FT"),
                        arg("mi", PureToken).token("MI"),
                    ]),
                ]),
            ]),
            arg("order", OneOf).opt().args(&[
                arg("asc", PureToken).token("ASC"),
                arg("desc", PureToken).token("DESC"),
            ]),
            arg("count", Block).opt().args(&[
                arg("count", Int).token("COUNT"),
                arg("any", PureToken).token("ANY").opt(),
            ]),
            arg("withcoord", PureToken).token("WITHCOORD").opt(),
            arg("withdist", PureToken).token("WITHDIST").opt(),
            arg("withhash", PureToken).token("WITHHASH").opt(),
        ],
    };

    pub const GEOSEARCHSTORE: Docs = Docs {
        name: "geosearchstore",
        summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
        since: "6.2.0",
        complexity: "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("7.0.0", "Added support for uppercase unit names."),
        ],
        args: &[
            arg("destination", Key).key_spec(0),
            arg("source", Key).key_spec(1),
            arg("from", OneOf).args(&[
                arg("member", Str).token("FROMMEMBER"),
                arg("longitude_latitude", Block).token("FROMLONLAT").args(&[
                    arg("longitude", Double),
                    arg("latitude", Double),
                ]),
            ]),
            arg("by", OneOf).args(&[
                arg("circle", Block).args(&[
                    arg("radius", Double).token("BYRADIUS"),
                    arg("unit", OneOf).args(&[
                        arg("m", PureToken).token("M"),
                        arg("km", PureToken).token("KM"),
                        arg("ft", PureToken).token("FT"),
                        arg("mi", PureToken).token("MI"),
                    ]),
                ]),
                arg("box", Block).args(&[
                    arg("width", Double).token("BYBOX"),
                    arg("height", Double),
                    arg("unit", OneOf).args(&[
                        arg("m", PureToken).token("M"),
                        arg("km", PureToken).token("KM"),
                        arg("ft", PureToken).token("FT"),
                        arg("mi", PureToken).token("MI"),
                    ]),
                ]),
            ]),
            arg("order", OneOf).opt().args(&[
                arg("asc", PureToken).token("ASC"),
                arg("desc", PureToken).token("DESC"),
            ]),
            arg("count", Block).opt().args(&[
                arg("count", Int).token("COUNT"),
                arg("any", PureToken).token("ANY").opt(),
            ]),
            arg("storedist", PureToken).token("STOREDIST").opt(),
        ],
    };
}
// @generated end: COMMAND DOCS

// ---------------------------------------------------------------------------------------
// Redis's partial quicksort (pqsort.c, Bentley & McIlroy's qsort that only recurses into
// parts overlapping the wanted ranks, without the switch to insertion sort after a
// partition that swapped nothing): the order it leaves equal elements in is what
// GEORADIUS ... COUNT replies.
// ---------------------------------------------------------------------------------------

type Cmp<'c, T> = &'c dyn Fn(&T, &T) -> Ordering;

/// Sorts `v` enough for its first `k` elements to be the `k` smallest, in order.
fn partial_sort<T>(v: &mut [T], cmp: Cmp<T>, k: usize) {
    if k > 0 {
        pqsort(v, 0, v.len(), cmp, 0, k - 1);
    }
}

fn less<T>(v: &[T], cmp: Cmp<T>, i: usize, j: usize) -> Ordering {
    match (v.get(i), v.get(j)) {
        (Some(x), Some(y)) => cmp(x, y),
        _ => Ordering::Equal,
    }
}

fn med3<T>(v: &[T], cmp: Cmp<T>, a: usize, b: usize, c: usize) -> usize {
    let lt = |i, j| less(v, cmp, i, j) == Ordering::Less;
    let gt = |i, j| less(v, cmp, i, j) == Ordering::Greater;
    if lt(a, b) {
        if lt(b, c) {
            b
        } else if lt(a, c) {
            c
        } else {
            a
        }
    } else if gt(b, c) {
        b
    } else if lt(a, c) {
        a
    } else {
        c
    }
}

fn insertion<T>(v: &mut [T], cmp: Cmp<T>, a: usize, n: usize) {
    for m in a + 1..a + n {
        let mut l = m;
        while l > a && less(v, cmp, l - 1, l) == Ordering::Greater {
            v.swap(l, l - 1);
            l -= 1;
        }
    }
}

fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// Sorts `v[a..a + n]` as far as ranks `lr..=rr` need.
fn pqsort<T>(v: &mut [T], mut a: usize, mut n: usize, cmp: Cmp<T>, lr: usize, rr: usize) {
    use Ordering::*;
    loop {
        if n < 7 {
            insertion(v, cmp, a, n);
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, cmp, pl, pl + d, pl + 2 * d);
                pm = med3(v, cmp, pm - d, pm, pm + d);
                pn = med3(v, cmp, pn - 2 * d, pn - d, pn);
            }
            pm = med3(v, cmp, pl, pm, pn);
        }
        v.swap(a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let c = less(v, cmp, pb, a);
                if c == Greater {
                    break;
                }
                if c == Equal {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = less(v, cmp, pc, a);
                if c == Less {
                    break;
                }
                if c == Equal {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        vecswap(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - r, r);
        let overlaps = |start: usize, len: usize| !(rr < start || lr >= start + len);
        let r = pb - pa;
        if r > 1 && overlaps(a, r) {
            pqsort(v, a, r, cmp, lr, rr);
        }
        let r = pd - pc;
        if r > 1 {
            a = pn - r;
            n = r;
            if overlaps(a, n) {
                continue;
            }
        }
        return;
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::commands::test_kit::Kit;

    #[test]
    fn geoadd_is_fed_as_the_zadd_it_runs() {
        let mut k = Kit::new();
        k.expect(&[("geoadd k CH 1 2 a 3 4 b", ":2\r\n")]);
        assert_eq!(k.events(), ["zadd"]);
        assert_eq!(k.aof, ["zadd k CH 3378080408407459 a 3379626039612548 b"]);
        // Nothing changed: nothing fed.
        k.expect(&[("geoadd k nx 5 5 a", ":0\r\n")]);
        assert_eq!(k.aof.len(), 1);
        k.expect(&[(
            "geoadd k 200 1 c",
            "-ERR invalid longitude,latitude pair 200.000000,1.000000\r\n",
        )]);
        assert_eq!(k.aof.len(), 1);
    }

    #[test]
    fn stores_raise_their_events_and_replay_as_received() {
        let mut k = Kit::new();
        k.r("geoadd k 1 1 a 1.5 1.5 b");
        k.clear();
        k.expect(&[("georadius k 1 1 200 km store d", ":2\r\n")]);
        assert_eq!(k.events(), ["georadiusstore"]);
        assert_eq!(k.aof, ["georadius k 1 1 200 km store d"]);
        k.expect(&[(
            "geosearchstore d k fromlonlat 1 1 byradius 1 km storedist",
            ":1\r\n",
        )]);
        assert_eq!(k.events(), ["geosearchstore"]);
        k.expect(&[("zscore d a", "$22\r\n6.0521617125866494e-05\r\n")]);
        // No match: the destination goes.
        k.expect(&[("georadius k 50 50 1 m store d", ":0\r\n")]);
        assert_eq!(k.events(), ["del"]);
        assert!(!k.exists("d"));
        // Read-only forms change nothing.
        k.clear();
        k.r("georadius_ro k 1 1 200 km");
        k.r("geosearch k frommember a bybox 10 10 km");
        assert!(k.aof.is_empty());
    }

    #[test]
    fn partial_sort_orders_the_wanted_ranks() {
        let cmp = |x: &(u32, u32), y: &(u32, u32)| x.0.cmp(&y.0);
        for n in [0usize, 1, 6, 7, 8, 20, 41, 100] {
            for k in 1..=n {
                let mut v: Vec<(u32, u32)> =
                    (0..n as u32).map(|i| ((i * 7919 + 13) % 11, i)).collect();
                let mut want = v.clone();
                want.sort_by(cmp);
                partial_sort(&mut v, &cmp, k);
                let got: Vec<u32> = v[..k].iter().map(|p| p.0).collect();
                let exp: Vec<u32> = want[..k].iter().map(|p| p.0).collect();
                assert_eq!(got, exp, "n {n} k {k}");
            }
        }
        // A first partition that swaps nothing still recurses (no insertion-sort
        // shortcut, as in Redis's pqsort).
        let mut v = vec![
            (1, 0),
            (5, 1),
            (5, 2),
            (0, 3),
            (9, 4),
            (9, 5),
            (9, 6),
            (9, 7),
        ];
        partial_sort(&mut v, &cmp, 3);
        assert_eq!(v[..3].iter().map(|p| p.0).collect::<Vec<_>>(), [0, 1, 5]);
    }
}

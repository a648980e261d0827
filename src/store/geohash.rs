//! Geohashes as Redis 7.0's GEO commands compute them: 52-bit interleaved hashes of a
//! (longitude, latitude) pair, the cells they decode to, their neighbours, and the nine
//! cells a radius or box search walks.
//!
//! A point is stored as a sorted-set member whose score is its hash: 26 bits of latitude
//! (over -85.05112878..85.05112878, the Web Mercator limits) interleaved with 26 bits of
//! longitude (-180..180), the latitude in the even bits. Decoding gives the centre of the
//! cell, clamped to the limits. A search estimates a precision (`estimate_steps`) from the
//! radius, takes the cell of the centre at that precision and its eight neighbours,
//! drops the neighbours outside the shape's bounding box, and each remaining cell is a
//! score range of the set. Distances use the haversine formula with Redis's earth radius.
//! Every formula follows Redis's geohash.c / geohash_helper.c, so that the cells, and so
//! which points a search visits (it matters with COUNT ANY), are the same.

pub const STEP_MAX: u8 = 26;
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
pub const LON_MIN: f64 = -180.0;
pub const LON_MAX: f64 = 180.0;
/// Earth's quadratic mean radius for WGS-84, in meters.
pub const EARTH_RADIUS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

#[inline]
fn deg_rad(a: f64) -> f64 {
    a * D_R
}

#[inline]
fn rad_deg(a: f64) -> f64 {
    a / D_R
}

/// A hash of `step` bits per coordinate (2 * step bits in all).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Bits {
    pub bits: u64,
    pub step: u8,
}

impl Bits {
    /// A neighbour dropped from a search.
    pub const ZERO: Bits = Bits { bits: 0, step: 0 };

    pub fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The hash shifted to 52 bits: the lowest score of the cell.
    pub fn align52(self) -> u64 {
        self.bits << (52 - u32::from(self.step) * 2)
    }

    /// The score range [min, max) of the points in the cell.
    pub fn score_range(self) -> (f64, f64) {
        let next = Bits {
            bits: self.bits.wrapping_add(1),
            step: self.step,
        };
        (self.align52() as f64, next.align52() as f64)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The ranges Redis indexes over.
pub const LON_RANGE: Range = Range {
    min: LON_MIN,
    max: LON_MAX,
};
pub const LAT_RANGE: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// A decoded cell.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Area {
    pub lon: Range,
    pub lat: Range,
}

/// Spreads the 32 bits of `v` over the even bits of a u64.
#[inline]
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gathers the even bits of `x` into a u32.
#[inline]
fn squash(x: u64) -> u32 {
    let mut x = x & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF;
    x as u32
}

/// `lat` in the even bits, `lon` in the odd ones.
#[inline]
pub fn interleave(lat: u32, lon: u32) -> u64 {
    spread(lat) | (spread(lon) << 1)
}

/// (lat, lon) of an interleaved hash.
#[inline]
pub fn deinterleave(bits: u64) -> (u32, u32) {
    (squash(bits), squash(bits >> 1))
}

/// Whether a pair is inside the limits GEOADD accepts.
pub fn valid_lon_lat(lon: f64, lat: f64) -> bool {
    (LON_MIN..=LON_MAX).contains(&lon) && (LAT_MIN..=LAT_MAX).contains(&lat)
}

/// Redis's geohashEncode: the hash of (lon, lat) at `step` bits over the given ranges;
/// None outside the limits (even for the wider ranges GEOHASH uses) or the ranges.
pub fn encode(lon_range: Range, lat_range: Range, lon: f64, lat: f64, step: u8) -> Option<Bits> {
    if step == 0 || step > 32 || !valid_lon_lat(lon, lat) {
        return None;
    }
    if lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_off = (lat - lat_range.min) / (lat_range.max - lat_range.min) * scale;
    let lon_off = (lon - lon_range.min) / (lon_range.max - lon_range.min) * scale;
    // C's conversion of an in-range double to uint32_t truncates; both offsets are at
    // most 2^step.
    Some(Bits {
        bits: interleave(lat_off as u32, lon_off as u32),
        step,
    })
}

/// The hash GEOADD stores: 26 bits per coordinate over Redis's ranges.
pub fn encode_wgs84(lon: f64, lat: f64) -> Option<Bits> {
    encode(LON_RANGE, LAT_RANGE, lon, lat, STEP_MAX)
}

/// Redis's geohashDecode: the cell of a hash.
pub fn decode(lon_range: Range, lat_range: Range, h: Bits) -> Area {
    let (ilat, ilon) = deinterleave(h.bits);
    let div = (1u64 << h.step) as f64;
    let lat_scale = lat_range.max - lat_range.min;
    let lon_scale = lon_range.max - lon_range.min;
    // The C code adds 1 in uint32_t arithmetic.
    Area {
        lat: Range {
            min: lat_range.min + (f64::from(ilat) / div) * lat_scale,
            max: lat_range.min + (f64::from(ilat.wrapping_add(1)) / div) * lat_scale,
        },
        lon: Range {
            min: lon_range.min + (f64::from(ilon) / div) * lon_scale,
            max: lon_range.min + (f64::from(ilon.wrapping_add(1)) / div) * lon_scale,
        },
    }
}

/// The centre of a cell, clamped to the limits: (lon, lat).
pub fn area_center(a: &Area) -> (f64, f64) {
    let lon = ((a.lon.min + a.lon.max) / 2.0).clamp(LON_MIN, LON_MAX);
    let lat = ((a.lat.min + a.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// C's `(uint64_t)` of a double as x86-64 compilers emit it (what Redis does to a
/// score it decodes; only scores GEOADD wrote are meaningful).
fn score_bits(score: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if score >= TWO63 {
        ((score - TWO63) as i64 as u64) ^ (1 << 63)
    } else if score.is_nan() {
        1 << 63
    } else {
        score as i64 as u64
    }
}

/// Redis's decodeGeohash: the (lon, lat) a score stands for.
pub fn decode_score(score: f64) -> (f64, f64) {
    let h = Bits {
        bits: score_bits(score),
        step: STEP_MAX,
    };
    area_center(&decode(LON_RANGE, LAT_RANGE, h))
}

/// Moves a hash by one cell east (+1) or west (-1).
fn move_x(h: &mut Bits, d: i8) {
    if d == 0 {
        return;
    }
    let shift = 64 - u32::from(h.step) * 2;
    let mut x = h.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = h.bits & 0x5555_5555_5555_5555;
    let zz = 0x5555_5555_5555_5555u64.checked_shr(shift).unwrap_or(0);
    if d > 0 {
        x = x.wrapping_add(zz.wrapping_add(1));
    } else {
        x |= zz;
        x = x.wrapping_sub(zz.wrapping_add(1));
    }
    x &= 0xaaaa_aaaa_aaaa_aaaau64.checked_shr(shift).unwrap_or(0);
    h.bits = x | y;
}

/// Moves a hash by one cell north (+1) or south (-1).
fn move_y(h: &mut Bits, d: i8) {
    if d == 0 {
        return;
    }
    let shift = 64 - u32::from(h.step) * 2;
    let x = h.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let mut y = h.bits & 0x5555_5555_5555_5555;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64.checked_shr(shift).unwrap_or(0);
    if d > 0 {
        y = y.wrapping_add(zz.wrapping_add(1));
    } else {
        y |= zz;
        y = y.wrapping_sub(zz.wrapping_add(1));
    }
    y &= 0x5555_5555_5555_5555u64.checked_shr(shift).unwrap_or(0);
    h.bits = x | y;
}

fn moved(h: Bits, dx: i8, dy: i8) -> Bits {
    let mut n = h;
    move_x(&mut n, dx);
    move_y(&mut n, dy);
    n
}

/// The eight neighbours of a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Neighbors {
    pub north: Bits,
    pub east: Bits,
    pub west: Bits,
    pub south: Bits,
    pub north_east: Bits,
    pub south_east: Bits,
    pub north_west: Bits,
    pub south_west: Bits,
}

pub fn neighbors(h: Bits) -> Neighbors {
    Neighbors {
        east: moved(h, 1, 0),
        west: moved(h, -1, 0),
        south: moved(h, 0, -1),
        north: moved(h, 0, 1),
        north_west: moved(h, -1, 1),
        south_west: moved(h, -1, -1),
        north_east: moved(h, 1, 1),
        south_east: moved(h, 1, -1),
    }
}

/// Redis's geohashEstimateStepsByRadius: the precision of the nine search cells.
pub fn estimate_steps(range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut range = range_meters;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// The area of a search, in the request's unit (`conversion` meters each).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Extent {
    Radius(f64),
    Box { width: f64, height: f64 },
}

/// A search: centre (lon, lat), extent and unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    pub lon: f64,
    pub lat: f64,
    pub extent: Extent,
    /// Meters per unit.
    pub conversion: f64,
}

impl Shape {
    /// Redis's geohashBoundingBox: [min lon, min lat, max lon, max lat].
    pub fn bounding_box(&self) -> [f64; 4] {
        let (half_w, half_h) = match self.extent {
            Extent::Radius(r) => (r, r),
            Extent::Box { width, height } => (width / 2.0, height / 2.0),
        };
        let height = self.conversion * half_h;
        let width = self.conversion * half_w;
        let lat_delta = rad_deg(height / EARTH_RADIUS);
        let lon_delta_top = rad_deg(width / EARTH_RADIUS / deg_rad(self.lat + lat_delta).cos());
        let lon_delta_bottom = rad_deg(width / EARTH_RADIUS / deg_rad(self.lat - lat_delta).cos());
        let delta = if self.lat < 0.0 {
            lon_delta_bottom
        } else {
            lon_delta_top
        };
        [
            self.lon - delta,
            self.lat - lat_delta,
            self.lon + delta,
            self.lat + lat_delta,
        ]
    }

    /// Redis's geohashCalculateAreasByShapeWGS84: the cells to search, in Redis's order
    /// (centre, N, S, E, W, NE, NW, SE, SW), dropped ones as `Bits::ZERO`.
    pub fn search_cells(&self) -> [Bits; 9] {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounding_box();
        let radius_m = match self.extent {
            Extent::Radius(r) => r,
            Extent::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        } * self.conversion;
        let mut steps = estimate_steps(radius_m, self.lat);
        let cell = |steps| {
            // The centre is within the limits, so it encodes.
            let h = encode(LON_RANGE, LAT_RANGE, self.lon, self.lat, steps).unwrap_or_default();
            (h, neighbors(h), decode(LON_RANGE, LAT_RANGE, h))
        };
        let (mut hash, mut nb, mut area) = cell(steps);
        let north = decode(LON_RANGE, LAT_RANGE, nb.north);
        let south = decode(LON_RANGE, LAT_RANGE, nb.south);
        let east = decode(LON_RANGE, LAT_RANGE, nb.east);
        let west = decode(LON_RANGE, LAT_RANGE, nb.west);
        let decrease = north.lat.max < max_lat
            || south.lat.min > min_lat
            || east.lon.max < max_lon
            || west.lon.min > min_lon;
        if steps > 1 && decrease {
            steps -= 1;
            (hash, nb, area) = cell(steps);
        }
        if steps >= 2 {
            if area.lat.min < min_lat {
                nb.south = Bits::ZERO;
                nb.south_west = Bits::ZERO;
                nb.south_east = Bits::ZERO;
            }
            if area.lat.max > max_lat {
                nb.north = Bits::ZERO;
                nb.north_east = Bits::ZERO;
                nb.north_west = Bits::ZERO;
            }
            if area.lon.min < min_lon {
                nb.west = Bits::ZERO;
                nb.south_west = Bits::ZERO;
                nb.north_west = Bits::ZERO;
            }
            if area.lon.max > max_lon {
                nb.east = Bits::ZERO;
                nb.south_east = Bits::ZERO;
                nb.north_east = Bits::ZERO;
            }
        }
        [
            hash,
            nb.north,
            nb.south,
            nb.east,
            nb.west,
            nb.north_east,
            nb.north_west,
            nb.south_east,
            nb.south_west,
        ]
    }

    /// The distance in meters from the centre to (lon, lat) when the point is inside.
    pub fn contains(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.extent {
            Extent::Radius(r) => {
                let d = distance(self.lon, self.lat, lon, lat);
                (d <= r * self.conversion).then_some(d)
            }
            Extent::Box { width, height } => {
                let (w, h) = (width * self.conversion, height * self.conversion);
                if lat_distance(lat, self.lat) > h / 2.0 {
                    return None;
                }
                if distance(lon, lat, self.lon, lat) > w / 2.0 {
                    return None;
                }
                Some(distance(self.lon, self.lat, lon, lat))
            }
        }
    }
}

/// The distance in meters between two latitudes on a meridian.
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// The haversine distance in meters between two points.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = deg_rad(lon1);
    let lon2r = deg_rad(lon2);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS * a.sqrt().asin()
}

/// GEOHASH's 11-character string: the point re-encoded over the standard ranges
/// (latitude -90..90), five bits a character, the last one always '0'.
pub fn standard_string(lon: f64, lat: f64) -> Option<[u8; 11]> {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let h = encode(
        LON_RANGE,
        Range {
            min: -90.0,
            max: 90.0,
        },
        lon,
        lat,
        STEP_MAX,
    )?;
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().take(10).enumerate() {
        let idx = (h.bits >> (52 - (i + 1) * 5)) & 0x1f;
        *c = ALPHABET.get(idx as usize).copied().unwrap_or(b'0');
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn interleave_round_trips() {
        for (a, b) in [
            (0u32, 0u32),
            (1, 0),
            (0, 1),
            (0x3ff_ffff, 0x155_5555),
            (u32::MAX, 7),
        ] {
            let x = interleave(a, b);
            assert_eq!(deinterleave(x), (a, b));
        }
        assert_eq!(interleave(1, 0), 1);
        assert_eq!(interleave(0, 1), 2);
    }

    #[test]
    fn encodes_like_redis() {
        // GEOADD k 1 2 m -> ZSCORE 3378080408407459 (redis-server 7.0).
        let h = encode_wgs84(1.0, 2.0).expect("valid");
        assert_eq!(h.align52(), 3378080408407459);
        let (lon, lat) = decode_score(3378080408407459.0);
        assert_eq!(format!("{lon:.17}"), "0.99999994039535522");
        assert_eq!(format!("{lat:.17}"), "2.00000018564654880");
        assert!(encode_wgs84(180.1, 0.0).is_none());
        assert!(encode_wgs84(0.0, 85.06).is_none());
        // The upper limits encode (and decode back clamped).
        let h = encode_wgs84(180.0, LAT_MAX).expect("edge");
        let (lon, lat) = decode_score(h.align52() as f64);
        assert_eq!((lon, lat), (180.0, LAT_MAX));
    }

    #[test]
    fn geohash_strings() {
        assert_eq!(&standard_string(1.0, 2.0).expect("ok"), b"s02equ04ve0");
        assert_eq!(
            &standard_string(13.361389, 38.115556).expect("ok")[..10],
            b"sqc8b49rny"
        );
    }

    #[test]
    fn neighbours_are_adjacent_cells() {
        let h = encode_wgs84(13.361389, 38.115556).expect("ok");
        let h = Bits {
            bits: h.bits >> 30,
            step: 11,
        };
        let c = decode(LON_RANGE, LAT_RANGE, h);
        let n = neighbors(h);
        let e = decode(LON_RANGE, LAT_RANGE, n.east);
        assert_eq!(e.lon.min, c.lon.max);
        assert_eq!(e.lat, c.lat);
        let w = decode(LON_RANGE, LAT_RANGE, n.west);
        assert_eq!(w.lon.max, c.lon.min);
        let no = decode(LON_RANGE, LAT_RANGE, n.north);
        assert_eq!(no.lat.min, c.lat.max);
        assert_eq!(no.lon, c.lon);
        let s = decode(LON_RANGE, LAT_RANGE, n.south);
        assert_eq!(s.lat.max, c.lat.min);
        let sw = decode(LON_RANGE, LAT_RANGE, n.south_west);
        assert_eq!((sw.lat.max, sw.lon.max), (c.lat.min, c.lon.min));
        let ne = decode(LON_RANGE, LAT_RANGE, n.north_east);
        assert_eq!((ne.lat.min, ne.lon.min), (c.lat.max, c.lon.max));
        // West of the first column wraps to the last.
        let edge = Bits { bits: 0, step: 3 };
        let wrapped = decode(LON_RANGE, LAT_RANGE, neighbors(edge).west);
        assert_eq!(wrapped.lon.max, LON_MAX);
    }

    #[test]
    fn distances() {
        // Palermo - Catania, GEODIST 166274.1516 m in redis-server (between the stored
        // cells' centres).
        let pos = |lon, lat| decode_score(encode_wgs84(lon, lat).expect("ok").align52() as f64);
        let (p, c) = (pos(13.361389, 38.115556), pos(15.087269, 37.502669));
        let d = distance(p.0, p.1, c.0, c.1);
        assert_eq!(format!("{d:.4}"), "166274.1516");
        assert_eq!(lat_distance(0.0, 1.0), EARTH_RADIUS * D_R);
        assert_eq!(distance(5.0, 1.0, 5.0, 2.0), lat_distance(1.0, 2.0));
    }

    #[test]
    fn steps_and_cells() {
        assert_eq!(estimate_steps(0.0, 0.0), 26);
        assert_eq!(estimate_steps(1.0, 0.0), 24);
        assert_eq!(estimate_steps(1.0, 70.0), 23);
        assert_eq!(estimate_steps(1.0, -81.0), 22);
        assert_eq!(estimate_steps(5e7, 0.0), 1);
        let s = Shape {
            lon: 15.0,
            lat: 37.0,
            extent: Extent::Radius(200.0),
            conversion: 1000.0,
        };
        let cells = s.search_cells();
        assert!(!cells[0].is_zero());
        let (lo, hi) = cells[0].score_range();
        let p = encode_wgs84(15.0, 37.0).expect("ok").align52() as f64;
        assert!(lo <= p && p < hi);
        assert!(s.contains(13.361389, 38.115556).is_some());
        assert!(s.contains(10.0, 37.0).is_none());
    }
}

//! LOLWUT [VERSION v] [args...]: Redis's computer art.
//!
//! VERSION 5 draws Georg Nees's "Schotter" in Braille characters (LOLWUT VERSION 5
//! [columns] [squares per row] [squares per column]), with the same canvas, float
//! arithmetic and use of the C library's `rand()` as redis-server, so the same random
//! sequence gives the same picture. Any other version answers with the version line, as
//! Redis 7.0 does for its own (unstable) version. VERSION 6 draws a skyline
//! (LOLWUT VERSION 6 [columns] [rows]) in terminal colors, the same way.

#![deny(clippy::indexing_slicing)]

use crate::commands::{Args, Ctx};
use crate::config::REDIS_VERSION;
use crate::error::{CmdResult, Error};
use crate::util::num::parse_i64;

/// A canvas of colors (0 black to 3 white); drawing outside it is a no-op, reading
/// outside it gives 0.
struct Canvas {
    width: i32,
    height: i32,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: i32, height: i32, background: u8) -> Canvas {
        let n = width.max(0) as usize * height.max(0) as usize;
        Canvas {
            width,
            height,
            pixels: vec![background; n],
        }
    }

    fn index(&self, x: i32, y: i32) -> Option<usize> {
        if x < 0 || x >= self.width || y < 0 || y >= self.height {
            return None;
        }
        Some(x as usize + y as usize * self.width as usize)
    }

    fn set(&mut self, x: i32, y: i32, color: u8) {
        if let Some(p) = self.index(x, y).and_then(|i| self.pixels.get_mut(i)) {
            *p = color;
        }
    }

    fn get(&self, x: i32, y: i32) -> u8 {
        self.index(x, y)
            .and_then(|i| self.pixels.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// Bresenham's line from (x1, y1) to (x2, y2).
    fn line(&mut self, mut x1: i32, mut y1: i32, x2: i32, y2: i32) {
        let (dx, dy) = ((x2 - x1).abs(), (y2 - y1).abs());
        let sx = if x1 < x2 { 1 } else { -1 };
        let sy = if y1 < y2 { 1 } else { -1 };
        let mut err = dx - dy;
        loop {
            self.set(x1, y1, 1);
            if x1 == x2 && y1 == y2 {
                break;
            }
            let e2 = err * 2;
            if e2 > -dy {
                err -= dy;
                x1 += sx;
            }
            if e2 < dx {
                err += dx;
                y1 += sy;
            }
        }
    }

    /// A square centred on (x, y), `size` wide, turned by `angle` radians: its corners
    /// are points of the circumscribed circle, a quarter turn apart.
    // Redis divides by this truncated root of 2, not the exact constant: the same
    // divisor rounds the same sides.
    #[allow(clippy::approx_constant)]
    fn square(&mut self, x: i32, y: i32, size: f32, angle: f32) {
        let size = ((size as f64 / 1.4142135623) as f32).round();
        let mut k = (std::f64::consts::FRAC_PI_4 + angle as f64) as f32;
        let mut px = [0i32; 4];
        let mut py = [0i32; 4];
        for (px, py) in px.iter_mut().zip(py.iter_mut()) {
            *px = ((k as f64).sin() * size as f64 + x as f64).round() as i32;
            *py = ((k as f64).cos() * size as f64 + y as f64).round() as i32;
            k = (k as f64 + std::f64::consts::FRAC_PI_2) as f32;
        }
        let corners: Vec<(i32, i32)> = px.into_iter().zip(py).collect();
        for (a, b) in corners.iter().zip(corners.iter().cycle().skip(1)) {
            self.line(a.0, a.1, b.0, b.1);
        }
    }

    /// The canvas as Braille characters, each a 2x4 block of pixels.
    fn render(&self) -> String {
        // Bit of each pixel of a block, by (dx, dy).
        const BITS: [(i32, i32, u32); 8] = [
            (0, 0, 0),
            (0, 1, 1),
            (0, 2, 2),
            (1, 0, 3),
            (1, 1, 4),
            (1, 2, 5),
            (0, 3, 6),
            (1, 3, 7),
        ];
        let mut s = String::new();
        for y in (0..self.height).step_by(4) {
            for x in (0..self.width).step_by(2) {
                let byte = BITS
                    .iter()
                    .filter(|&&(dx, dy, _)| self.get(x + dx, y + dy) != 0)
                    .fold(0, |b, &(_, _, bit)| b | (1 << bit));
                s.push(char::from_u32(0x2800 + byte).unwrap_or(' '));
            }
            if y != self.height - 1 {
                s.push('\n');
            }
        }
        s
    }
}

/// The C library's `rand()`, seeded once from the time and the process id as
/// redis-server seeds it.
fn c_rand() -> i32 {
    static SEED: std::sync::Once = std::sync::Once::new();
    // SAFETY: srand/rand have no preconditions; the server loop is one thread.
    unsafe {
        SEED.call_once(|| {
            let t = libc::time(std::ptr::null_mut());
            libc::srand((t as u32) ^ (libc::getpid() as u32));
        });
        libc::rand()
    }
}

/// Schotter: rows of squares, more rotated and displaced the lower they are.
fn schotter(cols: i32, per_row: i32, per_col: i32, rand: &mut dyn FnMut() -> i32) -> Canvas {
    let width = cols * 2;
    let padding = if width > 4 { 2 } else { 0 };
    let side = (width - padding * 2) as f32 / per_row as f32;
    let height = (side * per_col as f32 + (padding * 2) as f32) as i32;
    let mut canvas = Canvas::new(width, height, 0);
    let max = libc::RAND_MAX as f32;
    for y in 0..per_col {
        for x in 0..per_row {
            let mut sx = (x as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut sy = (y as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut angle = 0.0f32;
            if y > 1 {
                let mut r = [0f32; 3];
                for v in r.iter_mut() {
                    *v = rand() as f32 / max / per_col as f32 * y as f32;
                }
                for v in r.iter_mut() {
                    if rand() % 2 != 0 {
                        *v = -*v;
                    }
                }
                let [r1, r2, r3] = r;
                angle = r1;
                sx = (sx as f32 + r2 * side / 3.0) as i32;
                sy = (sy as f32 + r3 * side / 3.0) as i32;
            }
            canvas.square(sx, sy, side, angle);
        }
    }
    canvas
}

/// LOLWUT VERSION 5 [columns] [squares per row] [squares per column]
fn lolwut5(args: &[&[u8]], rand: &mut dyn FnMut() -> i32) -> Result<String, Error> {
    let mut opts = [66i64, 8, 12];
    for (o, a) in opts.iter_mut().zip(args) {
        *o = parse_i64(a).ok_or(Error::NotInteger)?;
    }
    let [cols, per_row, per_col] = opts;
    let canvas = schotter(
        cols.clamp(1, 1000) as i32,
        per_row.clamp(1, 200) as i32,
        per_col.clamp(1, 200) as i32,
        rand,
    );
    Ok(format!(
        "{}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. {REDIS_VERSION}\n",
        canvas.render()
    ))
}

/// A skyscraper of LOLWUT 6: its left edge, size, color, and whether it has windows.
struct Skyscraper {
    xoff: i32,
    width: i32,
    height: i32,
    windows: bool,
    color: u8,
}

/// Draws a skyscraper standing on the bottom row; its windows are random grays.
fn skyscraper(c: &mut Canvas, s: &Skyscraper, rand: &mut dyn FnMut() -> i32) {
    let start = c.height - 1;
    let end = start - s.height + 1;
    for y in (end..=start).rev() {
        for x in s.xoff..s.xoff + s.width {
            // The roof is four pixels narrower.
            if y == end && (x <= s.xoff + 1 || x >= s.xoff + s.width - 2) {
                continue;
            }
            let mut color = s.color;
            if s.windows
                && x > s.xoff + 1
                && x < s.xoff + s.width - 2
                && y > end + 1
                && y < start - 1
            {
                let relx = x - (s.xoff + 1);
                let rely = y - (end + 1);
                // Windows two pixels wide, one tall (terminal cells are not square).
                if (relx / 2) % 2 != 0 && rely % 2 != 0 {
                    loop {
                        color = (1 + rand() % 2) as u8;
                        if color != s.color {
                            break;
                        }
                    }
                    if relx % 2 != 0 {
                        color = c.get(x - 1, y);
                    }
                }
            }
            c.set(x, y, color);
        }
    }
}

/// A skyline in the style of 8 bit games' parallax backgrounds: two rows of gray
/// buildings behind black ones with windows.
fn skyline(c: &mut Canvas, rand: &mut dyn FnMut() -> i32) {
    for color in [2u8, 1] {
        let mut offset = -10;
        while offset < c.width {
            offset += rand() % 8;
            let width = 10 + rand() % 9;
            let height = if color == 2 {
                c.height / 2 + (rand() % c.height) / 2
            } else {
                c.height / 2 + (rand() % c.height) / 3
            };
            let s = Skyscraper {
                xoff: offset,
                width,
                height,
                windows: false,
                color,
            };
            skyscraper(c, &s, rand);
            offset += if color == 2 { width / 2 } else { width + 1 };
        }
    }
    let mut offset = -10;
    while offset < c.width {
        offset += rand() % 8;
        let mut width = 5 + rand() % 14;
        if width % 4 != 0 {
            width += width % 3;
        }
        let height = c.height / 3 + (rand() % c.height) / 2;
        let s = Skyscraper {
            xoff: offset,
            width,
            height,
            windows: true,
            color: 0,
        };
        skyscraper(c, &s, rand);
        offset += width + 5;
    }
}

/// LOLWUT VERSION 6 [columns] [rows]
fn lolwut6(args: &[&[u8]], rand: &mut dyn FnMut() -> i32) -> Result<String, Error> {
    let mut opts = [80i64, 20];
    for (o, a) in opts.iter_mut().zip(args) {
        *o = parse_i64(a).ok_or(Error::NotInteger)?;
    }
    let [cols, rows] = opts;
    let mut c = Canvas::new(cols.clamp(1, 1000) as i32, rows.clamp(1, 1000) as i32, 3);
    skyline(&mut c, rand);
    let mut s = String::new();
    for y in 0..c.height {
        for x in 0..c.width {
            let esc = match c.get(x, y) {
                1 => "0;90;100m",
                2 => "0;37;47m",
                3 => "0;97;107m",
                _ => "0;30;40m",
            };
            s.push_str("\x1b[");
            s.push_str(esc);
            s.push_str(" \x1b[0m");
        }
        if y != c.height - 1 {
            s.push('\n');
        }
    }
    s.push_str("\nDedicated to the 8 bit game developers of past and present.\n");
    s.push_str("Original 8 bit image from Plaguemon by hikikomori. Redis ver. ");
    s.push_str(REDIS_VERSION);
    s.push('\n');
    Ok(s)
}

/// LOLWUT [VERSION v] [...]
pub fn lolwut(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let mut version = None;
    let mut first = 1;
    if a.len() >= 3 && a.is(1, "version") {
        let v = parse_i64(a.get(2)).ok_or(Error::NotInteger)?;
        // Redis prints the version as an unsigned int.
        version = Some(v as u32);
        first = 3;
    }
    let rest: Vec<&[u8]> = (first..a.len()).map(|i| a.get(i)).collect();
    let text = match version {
        Some(5) => lolwut5(&rest, &mut c_rand)?,
        Some(6) => lolwut6(&rest, &mut c_rand)?,
        _ => format!("Redis ver. {REDIS_VERSION}\n"),
    };
    ctx.reply.verbatim("txt", text.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testutil::Env;
    use super::*;

    #[test]
    fn small_schotters_like_redis() {
        let mut never = || 0;
        assert_eq!(
            lolwut5(&[b"1", b"1", b"1"], &mut never).unwrap(),
            "\u{280b}\n\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n"
        );
        assert_eq!(
            lolwut5(&[b"3", b"1", b"1"], &mut never).unwrap(),
            "\u{2800}\u{2864}\u{2844}\n\u{2800}\u{2809}\u{2801}\n\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n"
        );
        assert_eq!(
            lolwut5(&[b"10", b"2", b"2"], &mut never).unwrap(),
            "\u{2800}\u{2864}\u{2824}\u{2824}\u{2824}\u{2864}\u{2824}\u{2824}\u{2824}\u{2844}\n\
             \u{2800}\u{2847}\u{2800}\u{2800}\u{2800}\u{2847}\u{2800}\u{2800}\u{2800}\u{2847}\n\
             \u{2800}\u{2867}\u{2824}\u{2824}\u{2824}\u{2867}\u{2824}\u{2824}\u{2824}\u{2847}\n\
             \u{2800}\u{2847}\u{2800}\u{2800}\u{2800}\u{2847}\u{2800}\u{2800}\u{2800}\u{2847}\n\
             \u{2800}\u{2827}\u{2824}\u{2824}\u{2824}\u{2827}\u{2824}\u{2824}\u{2824}\u{2807}\n\n\
             Georg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n"
        );
        assert!(lolwut5(&[b"x"], &mut never).is_err());
    }

    #[test]
    fn skyline_frame() {
        let mut never = || 0;
        assert_eq!(
            lolwut6(&[b"2", b"1"], &mut never).unwrap(),
            "\x1b[0;97;107m \x1b[0m\x1b[0;97;107m \x1b[0m\n\
             Dedicated to the 8 bit game developers of past and present.\n\
             Original 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15\n"
        );
        let mut n = 0;
        let mut counter = move || {
            n += 1;
            n
        };
        let r = lolwut6(&[], &mut counter).unwrap();
        assert_eq!(r.lines().count(), 22);
        assert!(r.contains("\x1b[0;30;40m \x1b[0m"));
    }

    #[test]
    fn versions() {
        let mut e = Env::new();
        assert_eq!(e.run(&["lolwut"]), "$18\r\nRedis ver. 7.0.15\n\r\n");
        assert_eq!(
            e.run(&["lolwut", "version", "7", "1"]),
            "$18\r\nRedis ver. 7.0.15\n\r\n"
        );
        assert_eq!(
            e.run(&["lolwut", "version", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        let r = e.run(&["lolwut", "version", "5"]);
        assert!(r.ends_with("1968. Redis ver. 7.0.15\n\r\n"), "{r}");
        e.client.resp3 = true;
        assert_eq!(e.run(&["lolwut"]), "=22\r\ntxt:Redis ver. 7.0.15\n\r\n");
    }
}

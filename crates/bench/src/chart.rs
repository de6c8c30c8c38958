//! The scale curve as a small self-contained SVG: intake throughput and
//! read and list latency (p50 and p99) against the number of claims, both
//! on a logarithmic size axis, latency on a logarithmic axis too.

use crate::scale::Point;
use crate::server::Backend;
use std::fmt::Write as _;

const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 470.0;
const TOP: f64 = 50.0;
const PLOT_H: f64 = 300.0;
const PLOT_W: f64 = 380.0;
const LEFT: [f64; 2] = [80.0, 570.0];

fn size_label(n: f64) -> String {
    if n >= 1e6 {
        format!("{}M", n / 1e6)
    } else if n >= 1e3 {
        format!("{}k", n / 1e3)
    } else {
        format!("{n}")
    }
}

fn ms_label(ms: f64) -> String {
    if ms >= 1.0 {
        format!("{ms:.0}")
    } else {
        format!("{ms}")
    }
}

/// A logarithmic axis over whole decades covering `lo..=hi`.
struct LogAxis {
    lo: f64,
    hi: f64,
}

impl LogAxis {
    fn covering(lo: f64, hi: f64) -> Self {
        let lo = lo.max(1e-3).log10().floor();
        let mut hi = hi.max(1e-3).log10().ceil();
        if hi <= lo {
            hi = lo + 1.0;
        }
        Self { lo, hi }
    }

    /// 0 to 1 along the axis.
    fn at(&self, v: f64) -> f64 {
        (v.max(1e-9).log10() - self.lo) / (self.hi - self.lo)
    }

    fn decades(&self) -> Vec<f64> {
        let mut out = Vec::new();
        let mut e = self.lo;
        while e <= self.hi + 1e-9 {
            out.push(10f64.powf(e));
            e += 1.0;
        }
        out
    }
}

/// 1, 2 or 5 times a power of ten, at least `max / 5`.
fn nice_step(max: f64) -> f64 {
    let raw = (max / 5.0).max(1e-9);
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power)
}

fn marker(s: &mut String, backend: Backend, x: f64, y: f64, colour: &str) {
    match backend {
        Backend::Postgres => {
            let _ = write!(
                s,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{colour}"/>"#
            );
        }
        Backend::Sqlite => {
            let _ = write!(
                s,
                r#"<rect x="{:.1}" y="{:.1}" width="7" height="7" fill="{colour}"/>"#,
                x - 3.5,
                y - 3.5
            );
        }
    }
}

fn polyline(s: &mut String, points: &[(f64, f64)], colour: &str, dashed: bool) {
    if points.len() < 2 {
        return;
    }
    let path: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let dash = if dashed {
        r#" stroke-dasharray="6 4""#
    } else {
        ""
    };
    let _ = write!(
        s,
        r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>"#,
        path.join(" ")
    );
}

fn frame(s: &mut String, panel: usize, title: &str, x: &LogAxis) {
    let left = LEFT[panel];
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="15" font-weight="bold">{title}</text>"#,
        left + PLOT_W / 2.0,
        TOP - 18.0
    );
    let _ = write!(
        s,
        r##"<rect x="{left}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" fill="none" stroke="#444"/>"##
    );
    for d in x.decades() {
        let px = left + x.at(d) * PLOT_W;
        let _ = write!(
            s,
            r##"<line x1="{px:.1}" y1="{TOP}" x2="{px:.1}" y2="{:.1}" stroke="#ddd"/><text x="{px:.1}" y="{:.1}" text-anchor="middle" font-size="12">{}</text>"##,
            TOP + PLOT_H,
            TOP + PLOT_H + 16.0,
            size_label(d)
        );
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12">claims in the table (log scale)</text>"#,
        left + PLOT_W / 2.0,
        TOP + PLOT_H + 34.0
    );
}

#[allow(clippy::cast_precision_loss, reason = "claim counts fit an f64")]
pub(crate) fn scale_svg(points: &[Point]) -> String {
    let sizes = points.iter().map(|p| p.claims as f64);
    let (lo, hi) = sizes.fold((f64::MAX, 0f64), |(a, b), v| (a.min(v), b.max(v)));
    let x = LogAxis::covering(lo, hi);
    let backends: Vec<Backend> = [Backend::Postgres, Backend::Sqlite]
        .into_iter()
        .filter(|b| points.iter().any(|p| p.backend == *b))
        .collect();
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>"#
    );

    // Intake throughput, linear.
    let max = points
        .iter()
        .map(|p| p.intake_per_second)
        .fold(0f64, f64::max)
        .max(1.0);
    let step = nice_step(max * 1.1);
    let top = (max * 1.1 / step).ceil() * step;
    frame(&mut s, 0, "Intake throughput (claims/s)", &x);
    let left = LEFT[0];
    let decimals = usize::from(step < 1.0);
    let mut v = 0.0;
    while v <= top + 1e-9 {
        let py = TOP + PLOT_H - v / top * PLOT_H;
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="12">{v:.decimals$}</text>"##,
            left + PLOT_W,
            left - 6.0,
            py + 4.0
        );
        v += step;
    }
    for &backend in &backends {
        let colour = match backend {
            Backend::Postgres => "#1f77b4",
            Backend::Sqlite => "#ff7f0e",
        };
        let line: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.backend == backend)
            .map(|p| {
                (
                    left + x.at(p.claims as f64) * PLOT_W,
                    TOP + PLOT_H - p.intake_per_second / top * PLOT_H,
                )
            })
            .collect();
        polyline(&mut s, &line, colour, false);
        for (px, py) in line {
            marker(&mut s, backend, px, py, colour);
        }
    }

    // Latency, logarithmic.
    let all_ms: Vec<f64> = points
        .iter()
        .flat_map(|p| [p.reads.p50_ms, p.reads.p99_ms, p.list.p50_ms, p.list.p99_ms])
        .filter(|v| *v > 0.0)
        .collect();
    let y = LogAxis::covering(
        all_ms.iter().copied().fold(f64::MAX, f64::min).min(1.0),
        all_ms.iter().copied().fold(0f64, f64::max).max(10.0),
    );
    frame(&mut s, 1, "Read and list latency (ms, log scale)", &x);
    let left = LEFT[1];
    for d in y.decades() {
        let py = TOP + PLOT_H - y.at(d) * PLOT_H;
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="12">{}</text>"##,
            left + PLOT_W,
            left - 6.0,
            py + 4.0,
            ms_label(d)
        );
    }
    type Pick = fn(&Point) -> f64;
    let series: [(&str, &str, bool, Pick); 4] = [
        ("GET /v1/claims/{id} p50", "#1f77b4", false, |p| {
            p.reads.p50_ms
        }),
        ("GET /v1/claims/{id} p99", "#1f77b4", true, |p| {
            p.reads.p99_ms
        }),
        ("GET /v1/claims p50", "#d62728", false, |p| p.list.p50_ms),
        ("GET /v1/claims p99", "#d62728", true, |p| p.list.p99_ms),
    ];
    for &backend in &backends {
        for (_, colour, dashed, pick) in series {
            let line: Vec<(f64, f64)> = points
                .iter()
                .filter(|p| p.backend == backend && pick(p) > 0.0)
                .map(|p| {
                    (
                        left + x.at(p.claims as f64) * PLOT_W,
                        TOP + PLOT_H - y.at(pick(p)) * PLOT_H,
                    )
                })
                .collect();
            polyline(&mut s, &line, colour, dashed);
            for (px, py) in line {
                marker(&mut s, backend, px, py, colour);
            }
        }
    }

    // Legend.
    let mut ly = TOP + PLOT_H + 58.0;
    let mut lx = LEFT[0];
    for &backend in &backends {
        let colour = match backend {
            Backend::Postgres => "#1f77b4",
            Backend::Sqlite => "#ff7f0e",
        };
        polyline(&mut s, &[(lx, ly), (lx + 24.0, ly)], colour, false);
        marker(&mut s, backend, lx + 12.0, ly, colour);
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="12">intake, {}</text>"#,
            lx + 30.0,
            ly + 4.0,
            backend.as_str()
        );
        ly += 18.0;
    }
    ly = TOP + PLOT_H + 58.0;
    lx = LEFT[1];
    for (i, (name, colour, dashed, _)) in series.iter().enumerate() {
        let (cx, cy) = (lx + (i % 2) as f64 * 200.0, ly + (i / 2) as f64 * 18.0);
        polyline(&mut s, &[(cx, cy), (cx + 24.0, cy)], colour, *dashed);
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="12">{}</text>"#,
            cx + 30.0,
            cy + 4.0,
            name
        );
    }
    let shapes: Vec<&str> = backends
        .iter()
        .map(|b| match b {
            Backend::Postgres => "circles: PostgreSQL",
            Backend::Sqlite => "squares: SQLite",
        })
        .collect();
    let _ = write!(
        s,
        r#"<text x="{lx:.1}" y="{:.1}" font-size="12">{}</text>"#,
        ly + 40.0,
        shapes.join("; ")
    );
    s.push_str("</svg>\n");
    s
}

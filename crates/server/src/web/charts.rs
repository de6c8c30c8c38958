//! Charts drawn on the server as inline SVG: no script, no inline style
//! (colours come from classes in the stylesheet), readable without the
//! picture through `<title>` and `<desc>`, and always next to a table with
//! the same figures.

use std::fmt::Write as _;
use time::Date;

/// Escapes text for SVG (XML) content and attributes.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const WIDTH: f64 = 640.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 36.0;

/// A round step for the vertical axis.
fn step_for(max: f64) -> f64 {
    [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0]
        .into_iter()
        .find(|s| max / s <= 6.0)
        .unwrap_or_else(|| (max / 5.0).ceil())
}

/// What the consents chart shows.
pub(crate) struct Consents<'a> {
    pub(crate) id: &'a str,
    pub(crate) title: &'a str,
    pub(crate) desc: &'a str,
    /// Deposit dates of counted consents.
    pub(crate) dates: Vec<Date>,
    pub(crate) threshold: u32,
    pub(crate) start: Date,
    pub(crate) today: Date,
    /// Entry into force, past or projected.
    pub(crate) entry_into_force: Option<Date>,
    pub(crate) threshold_label: &'a str,
    pub(crate) today_label: &'a str,
}

/// Counted consents over time as a step line against the threshold.
pub(crate) fn consents(c: &Consents<'_>) -> String {
    let height = 240.0;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = height - TOP - BOTTOM;
    let mut dates = c.dates.clone();
    dates.sort();
    let end = [Some(c.today), c.entry_into_force, dates.last().copied()]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(c.today);
    let start = dates.first().copied().map_or(c.start, |d| d.min(c.start));
    let span = f64::from(
        i32::try_from((end - start).whole_days())
            .unwrap_or(i32::MAX)
            .max(1),
    );
    let x = |d: Date| {
        let days = f64::from(i32::try_from((d - start).whole_days()).unwrap_or(0));
        LEFT + plot_w * days / span
    };
    let count = u32::try_from(dates.len()).unwrap_or(u32::MAX);
    let top = f64::from(c.threshold.max(count).max(1));
    let step = step_for(top);
    let max = (top / step).ceil() * step;
    let y = |n: f64| TOP + plot_h - plot_h * n / max;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-t {id}-d" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>"#,
        id = esc(c.id),
        title = esc(c.title),
        desc = esc(c.desc),
    );
    let mut tick = 0.0;
    while tick <= max {
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" x2="{x2}" y1="{y0:.1}" y2="{y0:.1}"/><text class="axis" x="{lx}" y="{ly:.1}" text-anchor="end">{tick}</text>"#,
            x2 = WIDTH - RIGHT,
            y0 = y(tick),
            lx = LEFT - 6.0,
            ly = y(tick) + 4.0,
        );
        tick += step;
    }
    // The step line: flat until each deposit, then one up.
    let mut path = format!("M{:.1},{:.1}", x(start), y(0.0));
    for (i, d) in dates.iter().enumerate() {
        let n = f64::from(u32::try_from(i + 1).unwrap_or(u32::MAX));
        let _ = write!(path, " H{:.1} V{:.1}", x(*d), y(n));
    }
    let _ = write!(path, " H{:.1}", x(c.today.max(start)));
    let _ = write!(svg, r#"<path class="line" d="{path}"/>"#);
    let ty = y(f64::from(c.threshold));
    let _ = write!(
        svg,
        r#"<line class="threshold" x1="{LEFT}" x2="{x2}" y1="{ty:.1}" y2="{ty:.1}"/><text class="label" x="{lx}" y="{ly:.1}">{label} {n}</text>"#,
        x2 = WIDTH - RIGHT,
        lx = LEFT + 4.0,
        ly = ty - 5.0,
        label = esc(c.threshold_label),
        n = c.threshold,
    );
    let tx = x(c.today);
    let _ = write!(
        svg,
        r#"<line class="today" x1="{tx:.1}" x2="{tx:.1}" y1="{TOP}" y2="{b:.1}"/>"#,
        b = TOP + plot_h,
    );
    if let Some(eif) = c.entry_into_force {
        let ex = x(eif);
        let _ = write!(
            svg,
            r#"<circle class="marker" cx="{ex:.1}" cy="{ty:.1}" r="5"/>"#
        );
    }
    let base = TOP + plot_h + 16.0;
    let _ = write!(
        svg,
        r#"<text class="axis" x="{LEFT}" y="{base:.1}">{start}</text><text class="axis" x="{tx:.1}" y="{b2:.1}" text-anchor="{anchor}">{today} {tl}</text>"#,
        b2 = base + 14.0,
        // Near the right edge the label would be cut off: it ends there.
        anchor = if tx > WIDTH - RIGHT - 80.0 {
            "end"
        } else {
            "middle"
        },
        today = c.today,
        tl = esc(c.today_label),
    );
    if end > c.today {
        let _ = write!(
            svg,
            r#"<text class="axis" x="{ex}" y="{base:.1}" text-anchor="end">{end}</text>"#,
            ex = WIDTH - RIGHT,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One bar of a bar chart.
pub(crate) struct Bar {
    pub(crate) label: String,
    pub(crate) value: f64,
    /// The value as shown.
    pub(crate) text: String,
}

/// A horizontal bar chart, one row per item.
pub(crate) fn bars(id: &str, title: &str, items: &[Bar]) -> String {
    // Rows tall enough for 14-unit text at the chart's narrowest width.
    let row = 30.0;
    let label_w = 170.0;
    let count = u32::try_from(items.len()).unwrap_or(u32::MAX);
    let height = TOP + row * f64::from(count.max(1)) + 8.0;
    let max = items
        .iter()
        .map(|b| b.value)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let plot_w = WIDTH - label_w - 70.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-t" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{title}</title>"#,
        id = esc(id),
        title = esc(title),
    );
    for (i, bar) in items.iter().enumerate() {
        let top = TOP + row * f64::from(u32::try_from(i).unwrap_or(u32::MAX));
        let w = (plot_w * bar.value / max).max(if bar.value > 0.0 { 2.0 } else { 0.0 });
        let label: String = bar.label.chars().take(26).collect();
        let _ = write!(
            svg,
            r#"<text class="axis" x="{lx}" y="{ty:.1}" text-anchor="end">{label}</text><rect class="bar" x="{label_w}" y="{top:.1}" width="{w:.1}" height="{h}"/><text class="value" x="{vx:.1}" y="{ty:.1}">{text}</text>"#,
            lx = label_w - 8.0,
            ty = top + 16.0,
            label = esc(&label),
            h = row - 8.0,
            vx = label_w + w + 6.0,
            text = esc(&bar.text),
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_consents_chart_is_self_contained_svg() {
        let svg = consents(&Consents {
            id: "c",
            title: "Consents <over> time",
            desc: "d",
            dates: vec![date!(2026 - 03 - 01), date!(2026 - 01 - 10)],
            threshold: 25,
            start: date!(2025 - 12 - 16),
            today: date!(2026 - 06 - 01),
            entry_into_force: None,
            threshold_label: "threshold",
            today_label: "today",
        });
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Consents &lt;over&gt; time"));
        assert!(
            !svg.contains("style="),
            "no inline style: the CSP forbids it"
        );
        assert!(svg.contains("threshold 25"));
        assert_eq!(svg.matches(" V").count(), 2, "one step per consent");
    }

    #[test]
    fn bars_scale_to_the_largest() {
        let svg = bars(
            "b",
            "t",
            &[
                Bar {
                    label: "a".into(),
                    value: 10.0,
                    text: "10".into(),
                },
                Bar {
                    label: "b".into(),
                    value: 5.0,
                    text: "5".into(),
                },
            ],
        );
        assert!(svg.contains(r#"width="400.0""#), "{svg}");
        assert!(svg.contains(r#"width="200.0""#), "{svg}");
        assert!(!svg.contains("style="));
    }

    #[test]
    fn axis_steps_are_round() {
        assert!((step_for(25.0) - 5.0).abs() < f64::EPSILON);
        assert!((step_for(4.0) - 1.0).abs() < f64::EPSILON);
    }
}

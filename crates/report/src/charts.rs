//! Charts of the metrics dashboard as server-rendered SVG: incidents per
//! period, each response time per period (mean as a bar, median as a
//! tick), repeats per period, and action-item completion by horizon.
//!
//! Like the diagrams in [`crate::svg`], each chart is one self-contained
//! `<svg>` element to inline in a page: presentation attributes only (a
//! strict Content Security Policy forbids inline styles), no script, text
//! escaped with [`xml_escape`]. Each is sized by its `viewBox` and scales to
//! the width of its container, and carries `role="img"`, a `<title>` and an
//! `aria-label` that reads out every figure, so a screen reader gets the
//! numbers the picture shows.

use std::fmt::Write as _;

use chrono::Duration;
use debrief_core::Horizon;
use debrief_core::dashboard::{Dashboard, Measure, PeriodMetrics};

use crate::svg::xml_escape;

/// Font stack used for every text element.
const FONT: &str = "system-ui, sans-serif";
/// Height of every bar chart.
const HEIGHT: f64 = 240.0;
/// Room for the y-axis labels.
const LEFT: f64 = 56.0;
/// Right margin.
const RIGHT: f64 = 12.0;
/// Room above the plot for the value labels and the legend.
const TOP: f64 = 28.0;
/// Room below the plot for the period labels.
const BOTTOM: f64 = 36.0;
/// Horizontal room per bar.
const SLOT: f64 = 64.0;
/// Bar colour.
const BAR: &str = "#2b6cb0";
/// Axis and text colour.
const INK: &str = "#2d3748";
/// Grid line colour.
const GRID: &str = "#e2e8f0";

/// A duration as people read it on a dashboard: "45 min", "2.5 h",
/// "3 d"; seconds under a minute. One decimal at most, and none when the
/// value is whole.
pub fn human_duration(d: Duration) -> String {
    let secs = d.num_milliseconds() as f64 / 1000.0;
    let (value, unit) = if secs.abs() < 60.0 {
        (secs, "s")
    } else if secs.abs() < 120.0 * 60.0 {
        (secs / 60.0, "min")
    } else if secs.abs() < 48.0 * 3600.0 {
        (secs / 3600.0, "h")
    } else {
        (secs / 86_400.0, "d")
    };
    format!("{} {unit}", number(value))
}

/// A number with one decimal, or none when it rounds to a whole number.
fn number(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if (r - r.round()).abs() < f64::EPSILON {
        format!("{:.0}", r)
    } else {
        format!("{r:.1}")
    }
}

/// The unit a time chart is drawn in: minutes, hours or days, whichever
/// keeps its largest value readable.
fn time_unit(max_secs: f64) -> (f64, &'static str) {
    if max_secs < 120.0 * 60.0 {
        (60.0, "min")
    } else if max_secs < 48.0 * 3600.0 {
        (3600.0, "h")
    } else {
        (86_400.0, "d")
    }
}

/// The smallest "nice" number (1, 2 or 5 times a power of ten) at or above
/// `v`: the step between the y axis's grid lines.
fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let pow = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * pow >= v - f64::EPSILON * v {
            return m * pow;
        }
    }
    10.0 * pow
}

/// One bar of a bar chart.
struct Bar {
    /// Under the bar: the period.
    label: String,
    /// Height, in the chart's unit; `None` draws no bar and says so.
    value: Option<f64>,
    /// A tick across the bar at this height (the median).
    tick: Option<f64>,
}

/// What a bar chart shows.
struct Spec<'a> {
    /// `class` of the `<svg>`.
    class: &'a str,
    /// The `<title>`.
    title: &'a str,
    /// The unit, after each value ("min", "h") or empty.
    unit: &'a str,
    /// Whether the chart has median ticks (adds a legend).
    ticks: bool,
}

/// A value with its unit: "12", "45 min".
fn with_unit(v: f64, unit: &str) -> String {
    if unit.is_empty() {
        number(v)
    } else {
        format!("{} {unit}", number(v))
    }
}

/// Draws a vertical bar chart.
fn bar_chart(spec: &Spec<'_>, bars: &[Bar]) -> String {
    let n = bars.len().max(1) as f64;
    let width = (LEFT + RIGHT + n * SLOT).max(360.0);
    let slot = (width - LEFT - RIGHT) / n;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let base_y = TOP + plot_h;
    let max = bars
        .iter()
        .flat_map(|b| [b.value, b.tick])
        .flatten()
        .fold(0.0_f64, f64::max);
    // Round steps (1, 2 or 5 times a power of ten), about four of them.
    let step = nice_ceiling(max / 4.0);
    let steps = (max / step).ceil().max(1.0);
    let top = step * steps;
    let y_of = |v: f64| base_y - (v / top).clamp(0.0, 1.0) * plot_h;

    let summary: Vec<String> = bars
        .iter()
        .map(|b| {
            let value = b
                .value
                .map_or_else(|| "no data".to_owned(), |v| with_unit(v, spec.unit));
            match b.tick {
                Some(t) if spec.ticks => {
                    format!("{} {value} (median {})", b.label, with_unit(t, spec.unit))
                }
                _ => format!("{} {value}", b.label),
            }
        })
        .collect();
    let label = if bars.is_empty() {
        format!("{}: no periods", spec.title)
    } else {
        format!("{}: {}", spec.title, summary.join(", "))
    };

    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart {}" width="100%" viewBox="0 0 {width:.0} {HEIGHT:.0}" font-family="{FONT}" aria-label="{}"><title>{}</title>"##,
        xml_escape(spec.class),
        xml_escape(&label),
        xml_escape(spec.title)
    );
    // A grid line and a label at every step.
    for i in 0..=(steps as u32) {
        let v = step * f64::from(i);
        let y = y_of(v);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{GRID}"/><text x="{:.1}" y="{:.1}" font-size="11" fill="{INK}" text-anchor="end">{}</text>"##,
            width - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            xml_escape(&with_unit(v, spec.unit))
        );
    }
    let _ = write!(
        out,
        r##"<line x1="{LEFT}" y1="{base_y:.1}" x2="{:.1}" y2="{base_y:.1}" stroke="{INK}"/>"##,
        width - RIGHT
    );
    let bar_w = (slot * 0.6).min(48.0);
    for (i, b) in bars.iter().enumerate() {
        let cx = LEFT + slot * (i as f64 + 0.5);
        match b.value {
            Some(v) => {
                let y = y_of(v);
                let _ = write!(
                    out,
                    r##"<rect x="{:.1}" y="{y:.1}" width="{bar_w:.1}" height="{:.1}" fill="{BAR}"><title>{}</title></rect><text x="{cx:.1}" y="{:.1}" font-size="11" fill="{INK}" text-anchor="middle">{}</text>"##,
                    cx - bar_w / 2.0,
                    base_y - y,
                    xml_escape(summary.get(i).map_or("", String::as_str)),
                    y - 5.0,
                    xml_escape(&with_unit(v, spec.unit))
                );
            }
            None => {
                let _ = write!(
                    out,
                    r##"<text x="{cx:.1}" y="{:.1}" font-size="11" fill="#718096" text-anchor="middle">no data</text>"##,
                    base_y - 5.0
                );
            }
        }
        if let (Some(t), true) = (b.tick, spec.ticks) {
            let y = y_of(t);
            let _ = write!(
                out,
                r##"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#c05621" stroke-width="3"/>"##,
                cx - bar_w / 2.0 - 4.0,
                cx + bar_w / 2.0 + 4.0
            );
        }
        let _ = write!(
            out,
            r##"<text x="{cx:.1}" y="{:.1}" font-size="11" fill="{INK}" text-anchor="middle">{}</text>"##,
            base_y + 16.0,
            xml_escape(&b.label)
        );
    }
    if spec.ticks {
        let x = width - RIGHT - 150.0;
        let _ = write!(
            out,
            r##"<rect x="{x:.1}" y="6" width="12" height="10" fill="{BAR}"/><text x="{:.1}" y="15" font-size="11" fill="{INK}">mean</text><line x1="{:.1}" y1="11" x2="{:.1}" y2="11" stroke="#c05621" stroke-width="3"/><text x="{:.1}" y="15" font-size="11" fill="{INK}">median</text>"##,
            x + 16.0,
            x + 60.0,
            x + 76.0,
            x + 82.0
        );
    }
    out.push_str("</svg>");
    out
}

fn label_of(p: &PeriodMetrics) -> String {
    p.label.clone()
}

/// Incidents per period.
pub fn volume(d: &Dashboard) -> String {
    let bars: Vec<Bar> = d
        .periods
        .iter()
        .map(|p| Bar {
            label: label_of(p),
            value: Some(f64::from(p.incidents)),
            tick: None,
        })
        .collect();
    bar_chart(
        &Spec {
            class: "chart-volume",
            title: &format!("Incidents per {}", d.group.as_str()),
            unit: "",
            ticks: false,
        },
        &bars,
    )
}

/// Repeat incidents per period.
pub fn repeats(d: &Dashboard) -> String {
    let bars: Vec<Bar> = d
        .periods
        .iter()
        .map(|p| Bar {
            label: label_of(p),
            value: Some(f64::from(p.repeats)),
            tick: None,
        })
        .collect();
    bar_chart(
        &Spec {
            class: "chart-repeats",
            title: &format!("Repeat incidents per {}", d.group.as_str()),
            unit: "",
            ticks: false,
        },
        &bars,
    )
}

/// One time measure (MTTD, MTTR, MTTC or dwell time) per period: the mean
/// as a bar, the median as a tick across it. Drawn in minutes, hours or
/// days, whichever suits its largest value. Any other measure gives an
/// empty string.
pub fn time(d: &Dashboard, measure: Measure) -> String {
    if !matches!(
        measure,
        Measure::Mttd | Measure::Mttr | Measure::Mttc | Measure::Dwell
    ) {
        return String::new();
    }
    let stats: Vec<_> = d
        .periods
        .iter()
        .filter_map(|p| p.time(measure).map(|s| (p, s)))
        .collect();
    let secs = |v: Option<Duration>| v.map(|d| d.num_milliseconds() as f64 / 1000.0);
    let max = stats
        .iter()
        .flat_map(|(_, s)| [secs(s.mean), secs(s.median)])
        .flatten()
        .fold(0.0_f64, f64::max);
    let (per, unit) = time_unit(max);
    let bars: Vec<Bar> = stats
        .iter()
        .map(|(p, s)| Bar {
            label: label_of(p),
            value: secs(s.mean).map(|v| v / per),
            tick: secs(s.median).map(|v| v / per),
        })
        .collect();
    bar_chart(
        &Spec {
            class: &format!("chart-{}", measure.as_str()),
            title: &format!("{} per {}", measure.label(), d.group.as_str()),
            unit,
            ticks: true,
        },
        &bars,
    )
}

/// The horizon as the seed writes it: "0-7 days".
pub fn horizon_days(h: Horizon) -> &'static str {
    match h {
        Horizon::Immediate => "0-7 days",
        Horizon::ShortTerm => "7-30 days",
        Horizon::MediumTerm => "30-90 days",
        Horizon::LongTerm => "90+ days",
    }
}

/// Action-item completion by horizon over the whole range: one horizontal
/// bar per horizon, 0 to 100 %, with the rate and the counts.
pub fn completion(d: &Dashboard) -> String {
    let width = 480.0;
    let row = 34.0;
    let left = 88.0;
    let right = 120.0;
    let top = 10.0;
    let height = top * 2.0 + row * d.completion_by_horizon.len().max(1) as f64 + 14.0;
    let plot_w = width - left - right;
    let texts: Vec<String> = d
        .completion_by_horizon
        .iter()
        .map(|c| match c.rate_percent {
            Some(r) => format!("{r}% ({}/{})", c.done, c.total),
            None => "no items".to_owned(),
        })
        .collect();
    let label = d
        .completion_by_horizon
        .iter()
        .zip(&texts)
        .map(|(c, t)| format!("{} {t}", horizon_days(c.horizon)))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart chart-completion" width="100%" viewBox="0 0 {width:.0} {height:.0}" font-family="{FONT}" aria-label="{}"><title>Action-item completion by horizon</title>"##,
        xml_escape(&format!("Action-item completion by horizon: {label}"))
    );
    for (i, (c, text)) in d.completion_by_horizon.iter().zip(&texts).enumerate() {
        let y = top + row * i as f64;
        let rate = c.rate_percent.map_or(0.0, f64::from);
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" font-size="12" fill="{INK}" text-anchor="end">{}</text><rect x="{left}" y="{:.1}" width="{plot_w:.1}" height="20" fill="{GRID}"/><rect x="{left}" y="{:.1}" width="{:.1}" height="20" fill="#2f855a"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}" font-size="12" fill="{INK}">{}</text>"##,
            left - 8.0,
            y + 14.0,
            horizon_days(c.horizon),
            y,
            y,
            plot_w * rate / 100.0,
            horizon_days(c.horizon),
            xml_escape(text),
            left + plot_w + 8.0,
            y + 14.0,
            xml_escape(text)
        );
    }
    let axis_y = top + row * d.completion_by_horizon.len() as f64;
    for pct in [0.0, 50.0, 100.0] {
        let x = left + plot_w * pct / 100.0;
        let _ = write!(
            out,
            r##"<text x="{x:.1}" y="{:.1}" font-size="11" fill="{INK}" text-anchor="middle">{pct:.0}%</text>"##,
            axis_y + 10.0
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use debrief_core::dashboard::{Group, dashboard};

    fn demo(group: Group) -> Dashboard {
        let docs = debrief_core::demo::documents().unwrap();
        let today = NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
        dashboard(&docs, None, None, group, today)
    }

    fn well_formed(svg: &str) {
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("aria-label=\""));
        assert!(svg.contains("<title>"));
        assert!(svg.contains("viewBox=\"0 0 "));
        assert!(!svg.contains("<script") && !svg.contains("<style") && !svg.contains("style="));
        assert_eq!(svg.matches("<svg").count(), 1);
    }

    #[test]
    fn durations_read_in_the_seed_units() {
        assert_eq!(human_duration(Duration::minutes(45)), "45 min");
        assert_eq!(human_duration(Duration::minutes(8)), "8 min");
        assert_eq!(human_duration(Duration::minutes(150)), "2.5 h");
        assert_eq!(human_duration(Duration::hours(6)), "6 h");
        assert_eq!(human_duration(Duration::seconds(30)), "30 s");
        assert_eq!(human_duration(Duration::seconds(490)), "8.2 min");
        assert_eq!(human_duration(Duration::days(3)), "3 d");
    }

    #[test]
    fn axis_steps_are_round_numbers() {
        assert_eq!(nice_ceiling(15.0), 20.0);
        assert_eq!(nice_ceiling(45.0), 50.0);
        assert_eq!(nice_ceiling(6.0), 10.0);
        assert_eq!(nice_ceiling(5.0), 5.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
    }

    #[test]
    fn the_y_axis_is_labelled_in_round_steps() {
        let svg = time(&demo(Group::Quarter), Measure::Mttd);
        for label in [">0 min<", ">20 min<", ">40 min<", ">60 min<"] {
            assert!(svg.contains(label), "{label}");
        }
        assert!(!svg.contains(">12.5 min<"));
    }

    #[test]
    fn the_volume_chart_reads_out_every_period() {
        let svg = volume(&demo(Group::Quarter));
        well_formed(&svg);
        assert!(svg.contains("Incidents per quarter: 2025-Q2 15, 2025-Q3 8, 2025-Q4 12"));
        assert_eq!(svg.matches("<rect").count(), 3);
    }

    #[test]
    fn time_charts_show_means_and_medians_in_a_readable_unit() {
        let d = demo(Group::Quarter);
        let mttd = time(&d, Measure::Mttd);
        well_formed(&mttd);
        assert!(mttd.contains("2025-Q2 45 min (median 35 min)"), "{mttd}");
        assert!(mttd.contains(">median</text>"));
        let mttc = time(&d, Measure::Mttc);
        assert!(mttc.contains("2025-Q2 6 h"), "{mttc}");
        assert!(mttc.contains("2025-Q4 2.5 h"), "{mttc}");
        assert_eq!(time(&d, Measure::Repeats), "");
    }

    #[test]
    fn the_completion_chart_has_one_bar_per_horizon() {
        let svg = completion(&demo(Group::Quarter));
        well_formed(&svg);
        for want in [
            "0-7 days 95% (38/40)",
            "7-30 days 78% (39/50)",
            "30-90 days 62% (31/50)",
            "90+ days 45% (9/20)",
        ] {
            assert!(svg.contains(want), "{want}");
        }
    }

    #[test]
    fn months_get_a_wider_chart_and_empty_periods_say_no_data() {
        let d = demo(Group::Month);
        let svg = volume(&d);
        assert!(svg.contains("viewBox=\"0 0 580 240\""), "{svg}");
        let mut sparse = d.clone();
        sparse.periods[1].mttd.mean = None;
        sparse.periods[1].mttd.median = None;
        assert!(time(&sparse, Measure::Mttd).contains("no data"));
    }

    #[test]
    fn an_empty_dashboard_still_draws_an_accessible_chart() {
        let today = NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
        let d = dashboard(&[], None, None, Group::Quarter, today);
        let svg = volume(&d);
        well_formed(&svg);
        assert!(svg.contains("no periods"));
        well_formed(&completion(&d));
    }
}

//! `debrief metrics`: the metrics dashboard on the command line, as a table
//! for people or as the JSON body of `GET /api/v1/metrics`.
//!
//! Like the web service it counts every incident, restricted ones included
//! (the CLI runs with the database's own authority, and the dashboard names
//! no incident anyway).

use std::fmt::Write as _;
use std::io::Write;

use anyhow::bail;
use chrono::{Duration, Utc};
use debrief_core::Horizon;
use debrief_core::dashboard::{self, Dashboard, Measure, PeriodMetrics, Trend};
use debrief_core::metrics::HorizonCompletion;
use debrief_report::charts::{horizon_days, human_duration};
use debrief_store::{Store, Visibility};

use crate::cli::{MetricsArgs, MetricsFormat};
use crate::coach::wrap;

/// Text output is wrapped to this many columns.
const WIDTH: usize = 100;

/// `debrief metrics`: computes the dashboard and prints it.
pub async fn run(store: &Store, args: &MetricsArgs) -> anyhow::Result<()> {
    if let (Some(from), Some(to)) = (args.from, args.to)
        && to < from
    {
        bail!("--to ({to}) is before --from ({from})");
    }
    let docs = store.dashboard_inputs(&Visibility::All).await?;
    // The CLI is the edge where the clock may be read.
    let today = args.today.unwrap_or_else(|| Utc::now().date_naive());
    let d = dashboard::dashboard(&docs, args.from, args.to, args.group, today);
    let mut out = std::io::stdout().lock();
    match args.format {
        MetricsFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &d)?;
            writeln!(out)?;
        }
        MetricsFormat::Text => out.write_all(render(&d).as_bytes())?,
    }
    Ok(())
}

/// The dashboard for people: the figures per period with their trends,
/// completion by horizon, then what every measure means.
fn render(d: &Dashboard) -> String {
    let mut s = String::new();
    let range = match (d.from, d.to) {
        (None, None) => "all time".to_owned(),
        (Some(f), None) => format!("from {f}"),
        (None, Some(t)) => format!("to {t}"),
        (Some(f), Some(t)) => format!("{f} to {t}"),
    };
    let _ = writeln!(
        s,
        "Metrics by {} of detection (UTC), {range}; made on {}",
        d.group, d.today
    );
    let mut about = format!(
        "{} incident{}, restricted ones counted",
        d.incidents,
        if d.incidents == 1 { "" } else { "s" }
    );
    if d.undetected > 0 {
        let _ = write!(
            about,
            "; {} without a detection time not counted",
            d.undetected
        );
    }
    let _ = writeln!(s, "{about}");
    s.push('\n');
    if d.periods.is_empty() {
        s.push_str("No incidents were detected in this range.\n\n");
    } else {
        figures(&mut s, d);
        completion(&mut s, d);
    }
    definitions(&mut s, d);
    s
}

/// Rows of cells under one header, the first column left-aligned, the
/// figures right-aligned, the trend last.
fn table(s: &mut String, header: &[String], rows: &[Vec<String>]) {
    let cols = header.len();
    let widths: Vec<usize> = (0..cols)
        .map(|i| {
            std::iter::once(header)
                .chain(rows.iter().map(Vec::as_slice))
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            if i == 0 || i + 1 == cols {
                let _ = write!(line, "{cell:<w$}  ");
            } else {
                let _ = write!(line, "{cell:>w$}  ");
            }
        }
        let _ = writeln!(s, "  {}", line.trim_end());
    }
    s.push('\n');
}

fn trend(t: Option<&Trend>) -> String {
    t.map_or_else(|| "–".to_owned(), |t| format!("{} {}", t.arrow(), t.word()))
}

fn dur(d: Option<Duration>) -> String {
    d.map_or_else(|| "–".to_owned(), human_duration)
}

fn figures(s: &mut String, d: &Dashboard) {
    let _ = writeln!(s, "Figures per {}", d.group);
    let mut header = vec![String::new()];
    header.extend(d.periods.iter().map(|p| p.label.clone()));
    header.push("trend".into());
    let count = |name: &str, m: Measure, f: fn(&PeriodMetrics) -> u32| {
        let mut row = vec![name.to_owned()];
        row.extend(d.periods.iter().map(|p| f(p).to_string()));
        row.push(trend(d.trend(m)));
        row
    };
    let mut rows = vec![count("Incidents", Measure::Incidents, |p| p.incidents)];
    for (name, m) in [
        ("MTTD", Measure::Mttd),
        ("MTTR", Measure::Mttr),
        ("MTTC", Measure::Mttc),
        ("Dwell time", Measure::Dwell),
    ] {
        let mut mean = vec![format!("{name} mean")];
        let mut median = vec![format!("{name} median")];
        for p in &d.periods {
            let stat = p.time(m);
            mean.push(dur(stat.and_then(|t| t.mean)));
            median.push(dur(stat.and_then(|t| t.median)));
        }
        mean.push(trend(d.trend(m)));
        median.push(String::new());
        rows.push(mean);
        rows.push(median);
    }
    rows.push(count("Repeats", Measure::Repeats, |p| p.repeats));
    table(s, &header, &rows);
}

fn rate(c: Option<&HorizonCompletion>) -> String {
    c.and_then(|c| {
        c.rate_percent
            .map(|r| format!("{r}% ({}/{})", c.done, c.total))
    })
    .unwrap_or_else(|| "–".to_owned())
}

fn completion(s: &mut String, d: &Dashboard) {
    let _ = writeln!(
        s,
        "Action-item completion by horizon (per period: all items; the trend: items due by {})",
        d.today
    );
    let mut header = vec![String::new()];
    header.extend(d.periods.iter().map(|p| p.label.clone()));
    header.push("whole range".into());
    header.push("trend".into());
    let find =
        |list: &[HorizonCompletion], h: Horizon| list.iter().find(|c| c.horizon == h).cloned();
    let rows: Vec<Vec<String>> = Horizon::ALL
        .iter()
        .map(|h| {
            let mut row = vec![horizon_days(*h).to_owned()];
            row.extend(
                d.periods
                    .iter()
                    .map(|p| rate(find(&p.completion, *h).as_ref())),
            );
            row.push(rate(find(&d.completion_by_horizon, *h).as_ref()));
            row.push(trend(d.completion_trend(*h)));
            row
        })
        .collect();
    table(s, &header, &rows);
}

fn definitions(s: &mut String, d: &Dashboard) {
    let _ = writeln!(s, "Definitions");
    let entries = d
        .definitions
        .iter()
        .map(|x| (x.name.as_str(), x.definition.as_str()))
        .chain(std::iter::once(("Trend", d.trend_rule.as_str())));
    for (name, text) in entries {
        let _ = writeln!(s, "  {name}");
        for line in wrap(text, WIDTH - 6) {
            let _ = writeln!(s, "      {line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use debrief_core::dashboard::Group;

    fn demo(group: Group) -> Dashboard {
        let docs = debrief_core::demo::documents().unwrap();
        let today = NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
        dashboard::dashboard(&docs, None, None, group, today)
    }

    #[test]
    fn the_text_table_has_the_seed_figures_in_aligned_columns() {
        let text = render(&demo(Group::Quarter));
        let line = |start: &str| {
            text.lines()
                .find(|l| l.trim_start().starts_with(start))
                .unwrap_or_else(|| panic!("no {start} line in\n{text}"))
                .to_owned()
        };
        let incidents = line("Incidents");
        assert!(
            incidents.contains("15") && incidents.ends_with("↓ fewer"),
            "{incidents}"
        );
        let mttd = line("MTTD mean");
        assert!(mttd.contains("45 min") && mttd.contains("8 min"), "{mttd}");
        assert!(mttd.ends_with("↓ improving"), "{mttd}");
        assert!(line("MTTC mean").contains("2.5 h"));
        assert!(line("0-7 days").contains("95% (38/40)"));
        assert!(line("90+ days").contains("45% (9/20)"));
        // The header's period labels sit right above their figures.
        let header = text.lines().find(|l| l.contains("2025-Q2")).unwrap();
        let q4 = header.find("2025-Q4").unwrap() + "2025-Q4".len();
        assert_eq!(&incidents[q4 - 2..q4], "12");
        assert!(text.contains("Definitions\n  Incident volume\n"));
        assert!(text.lines().all(|l| l.chars().count() <= WIDTH + 20));
    }

    #[test]
    fn an_empty_range_says_so_and_still_defines_the_measures() {
        let today = NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
        let d = dashboard::dashboard(&[], None, None, Group::Month, today);
        let text = render(&d);
        assert!(text.contains("No incidents were detected in this range."));
        assert!(text.contains("Mean time to detect (MTTD)"));
    }
}

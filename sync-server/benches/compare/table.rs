//! Results and the table.

use super::*;

// ---------------------------------------------------------------------------------------
// Results and the table.

/// What one side measured in one scenario.
#[derive(Clone, Debug, Default)]
pub struct Run {
    pub up: u64,
    pub down: u64,
    pub messages_up: u64,
    pub messages_down: u64,
    pub secs: f64,
    pub cpu: f64,
    pub peak_mib: f64,
    /// Records a second, for a bootstrap.
    pub records_per_sec: Option<f64>,
    /// The 99th percentile of clients' times, for many clients.
    pub p99_secs: Option<f64>,
}

#[derive(Clone, Debug)]
pub enum Outcome {
    Done(Run),
    /// Stopped at the time limit; what had passed by then.
    Stopped(Run),
    Failed(String),
    Skipped(String),
}

impl Outcome {
    pub fn run(&self) -> Option<&Run> {
        match self {
            Outcome::Done(r) | Outcome::Stopped(r) => Some(r),
            _ => None,
        }
    }
}

pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn bytes(n: u64) -> String {
    match n {
        0..10_000 => format!("{} B", thousands(n)),
        10_000..10_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        _ => format!("{:.2} MB", n as f64 / 1e6),
    }
}

pub fn secs(s: f64) -> String {
    if s < 0.01 {
        format!("{:.1} ms", s * 1e3)
    } else if s < 1.0 {
        format!("{:.0} ms", s * 1e3)
    } else {
        format!("{s:.1} s")
    }
}

/// A measure: how to show it, and its value in a run (None: not measured there).
pub struct Measure {
    pub name: &'static str,
    pub show: fn(&Run) -> Option<(String, f64)>,
}

pub fn measures() -> Vec<Measure> {
    vec![
        Measure {
            name: "bytes, device → server",
            show: |r| Some((bytes(r.up), r.up as f64)),
        },
        Measure {
            name: "bytes, server → device",
            show: |r| Some((bytes(r.down), r.down as f64)),
        },
        Measure {
            name: "round trips / messages each way",
            show: |r| {
                Some((
                    format!(
                        "{} / {}",
                        thousands(r.messages_up),
                        thousands(r.messages_down)
                    ),
                    (r.messages_up + r.messages_down) as f64,
                ))
            },
        },
        Measure {
            name: "time",
            show: |r| Some((secs(r.secs), r.secs)),
        },
        Measure {
            name: "  records a second",
            show: |r| r.records_per_sec.map(|v| (thousands(v.round() as u64), v)),
        },
        Measure {
            name: "  p99 of a client's time",
            show: |r| r.p99_secs.map(|v| (secs(v), v)),
        },
        Measure {
            name: "server CPU (user + system)",
            show: |r| Some((format!("{:.2} s", r.cpu), r.cpu)),
        },
        Measure {
            name: "server peak memory (RSS)",
            show: |r| Some((format!("{:.0} MiB", r.peak_mib), r.peak_mib)),
        },
    ]
}

pub struct Scenario {
    pub name: String,
    pub ours: Outcome,
    pub theirs: Outcome,
}

pub fn cell(outcome: &Outcome, m: &Measure, first: bool, limit: Duration) -> (String, Option<f64>) {
    match outcome {
        Outcome::Done(r) => match (m.show)(r) {
            Some((text, v)) => (text, Some(v)),
            None => (String::new(), None),
        },
        Outcome::Stopped(r) => {
            if m.name == "time" {
                (format!("did not finish in {} s", limit.as_secs()), None)
            } else {
                match (m.show)(r) {
                    Some((text, _))
                        if m.name.starts_with("bytes") || m.name.starts_with("round") =>
                    {
                        (format!("≥ {text} (by then)"), None)
                    }
                    Some((text, _)) if m.name.starts_with("server") => {
                        (format!("{text} (by then)"), None)
                    }
                    _ => (String::new(), None),
                }
            }
        }
        Outcome::Failed(why) | Outcome::Skipped(why) => {
            if first {
                (why.clone(), None)
            } else {
                ("—".into(), None)
            }
        }
    }
}

pub fn print_table(scenarios: &[Scenario], limit: Duration) {
    let mut rows: Vec<[String; 5]> = vec![[
        "scenario".into(),
        "measure".into(),
        "Jiazhan".into(),
        "automerge-repo".into(),
        "ratio (automerge-repo ÷ Jiazhan)".into(),
    ]];
    for s in scenarios {
        let mut first = true;
        for m in measures() {
            let shown = [&s.ours, &s.theirs]
                .iter()
                .any(|o| o.run().is_some_and(|r| (m.show)(r).is_some()));
            if !shown {
                continue;
            }
            let (ours, a) = cell(&s.ours, &m, first, limit);
            let (theirs, b) = cell(&s.theirs, &m, first, limit);
            // A ratio only where both sides finished with a measured value: never of a
            // side that stopped, failed or measured nothing.
            let ratio = match (a, b) {
                (Some(a), Some(b)) if a > 0.0 && b > 0.0 && (b / a).is_finite() => {
                    ratio_text(b / a)
                }
                _ => String::new(),
            };
            rows.push([
                if first { s.name.clone() } else { String::new() },
                m.name.into(),
                ours,
                theirs,
                ratio,
            ]);
            first = false;
        }
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, text)| {
                let pad = widths[c] - text.chars().count();
                if c >= 2 && i > 0 {
                    format!("{}{text}", " ".repeat(pad))
                } else {
                    format!("{text}{}", " ".repeat(pad))
                }
            })
            .collect();
        println!("| {} |", cells.join(" | "));
        if i == 0 {
            let rule: Vec<String> = widths
                .iter()
                .enumerate()
                .map(|(c, w)| {
                    if c >= 2 {
                        format!("{}:", "-".repeat(w + 1))
                    } else {
                        "-".repeat(w + 2)
                    }
                })
                .collect();
            println!("|{}|", rule.join("|"));
        }
    }
}

/// A ratio with one decimal, or two significant digits below 1 (records a second:
/// 0.027×, not 0.0×).
fn ratio_text(r: f64) -> String {
    if r >= 1.0 {
        format!("{r:.1}×")
    } else {
        let digits = (1 - r.log10().floor() as i32).max(1) as usize;
        format!("{r:.digits$}×")
    }
}

//! Small charts as inline SVG, no JavaScript: horizontal bars, a line over months, and a
//! 100% share bar with its legend. Each is a `<figure>` with a caption; the SVG has a
//! `<title>` and an aria-label, and every number is also written as text (beside the bar,
//! in the legend, or in the data table under the line). A bar, point or segment with an
//! `href` opens the records behind it (through the router, without reloading).
//!
//! The SVGs scale to their width (`viewBox` and `width: 100%`); the geometry is laid out
//! for a 360-unit width, the width of a phone's content at 390 px, so the 12-unit labels
//! read at about 12 px there. On wider screens the charts sit two to a row (style.css).

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::go;
use crate::i18n::{t, tf};

/// Width of every chart's viewBox.
const W: f64 = 360.0;
/// The font size of labels, in viewBox units.
const FONT: f64 = 12.0;

/// Colours of the series and segments, in order (distinct on white, and for the common
/// kinds of colour blindness the legend's labels carry the meaning anyway).
pub const PALETTE: [&str; 13] = [
    "#c8102e", "#1f4fa8", "#1a7f37", "#d4820f", "#6f42c1", "#0b7a8a", "#b0306a", "#5f6670",
    "#8a5a00", "#3d8bd4", "#7fb04f", "#e35d6a", "#9b8a2e",
];

/// Roughly how wide `s` is at `font` units: a CJK character is as wide as the font size,
/// an ASCII character a bit over half of it.
pub fn text_width(s: &str, font: f64) -> f64 {
    s.chars()
        .map(|c| if c.is_ascii() { 0.6 } else { 1.0 })
        .sum::<f64>()
        * font
}

/// `s` cut to fit `width` at `font`, with an ellipsis when cut; and whether it was.
pub fn fit(s: &str, width: f64, font: f64) -> (String, bool) {
    if text_width(s, font) <= width {
        return (s.to_owned(), false);
    }
    let mut out = String::new();
    let budget = width - text_width("\u{2026}", font);
    for c in s.chars() {
        let next = format!("{out}{c}");
        if text_width(&next, font) > budget {
            break;
        }
        out = next;
    }
    out.push('\u{2026}');
    (out, true)
}

/// The top of a value axis for `max`: 1, 2 or 5 times a power of ten, at least `max`.
pub fn nice_max(max: u64) -> u64 {
    if max <= 5 {
        return max.max(1);
    }
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if m * step >= max {
                return m * step;
            }
        }
        step *= 10;
    }
}

/// Every how many labels one is drawn, so that `n` labels of `label_width` fit in
/// `width` without touching.
pub fn label_step(n: usize, label_width: f64, width: f64) -> usize {
    if n == 0 {
        return 1;
    }
    let fits = ((width / (label_width + 6.0)).floor() as usize).max(1);
    n.div_ceil(fits).max(1)
}

/// An `on:click` for a link inside an SVG: the router does not take SVG anchors, so the
/// click navigates here, without reloading the app.
fn svg_link_click(href: String) -> impl Fn(leptos::ev::MouseEvent) + 'static {
    let navigate = StoredValue::new_local(use_navigate());
    move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        navigate.with_value(|n| go(n, &href));
    }
}

/// One bar: a place and its figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: u64,
    pub href: Option<String>,
}

/// Horizontal bars, largest first, each with its label (cut to fit, the full name in a
/// tooltip) and its number.
#[component]
pub fn BarChart(
    id: &'static str,
    /// What the bars show ("活动次数（按站点）").
    title: String,
    bars: Vec<Bar>,
) -> impl IntoView {
    let mut bars = bars;
    bars.sort_by_key(|b| std::cmp::Reverse(b.value));
    // Each place's whole name on its own line above its bar: names of one street's
    // stations differ only at the end ("…人大代表之家", "…联络站"), so none is cut short.
    const ROW: f64 = 36.0;
    const BAR: f64 = 14.0;
    const NAME: f64 = 13.0;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let value_width = text_width(&max.to_string(), FONT) + 8.0;
    let span = W - value_width - 4.0;
    let height = (bars.len() as f64 * ROW).max(ROW);
    let rows = bars
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let y = i as f64 * ROW;
            let w = if b.value == 0 {
                0.0
            } else {
                (b.value as f64 / max as f64 * span).max(2.0)
            };
            let (label, _) = fit(&b.label, W, FONT);
            let tip = tf(
                "chart.tip",
                &[("label", &b.label), ("value", &b.value.to_string())],
            );
            let body = view! {
                <title>{tip.clone()}</title>
                <rect class="hit" x="0" y=y width=W height=ROW></rect>
                <text class="label" x="0" y=y + NAME>
                    {label}
                </text>
                <rect class="bar" x="0" y=y + NAME + 4.0 width=w height=BAR rx="3"></rect>
                <text class="value" x=w + 4.0 y=y + NAME + 4.0 + BAR - 3.0>
                    {b.value.to_string()}
                </text>
            };
            match b.href {
                Some(href) => view! {
                    <g class="row">
                        <a href=href.clone() aria-label=tip on:click=svg_link_click(href)>
                            {body}
                        </a>
                    </g>
                }
                .into_any(),
                None => view! { <g class="row">{body}</g> }.into_any(),
            }
        })
        .collect_view();
    let label = title.clone();
    view! {
        <figure class="chart bars" id=id>
            <figcaption>{title.clone()}</figcaption>
            <svg
                viewBox=format!("0 0 {W} {height}")
                width="100%"
                role="group"
                aria-label=label
                font-size=FONT
            >
                <title>{title}</title>
                {rows}
            </svg>
        </figure>
    }
}

/// One point of a line: a month and its figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Under the axis ("1月").
    pub short: String,
    /// In the tooltip and the data table ("2022年1月").
    pub label: String,
    pub value: u64,
    pub href: Option<String>,
}

/// A line over months (or any ordered labels), with a grid, the axis labels that fit,
/// and a table of the numbers under it.
#[component]
pub fn LineChart(id: &'static str, title: String, points: Vec<Point>) -> impl IntoView {
    const H: f64 = 180.0;
    const LEFT: f64 = 36.0;
    const RIGHT: f64 = 12.0;
    const TOP: f64 = 12.0;
    const BOTTOM: f64 = 24.0;
    let small = FONT - 1.0;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let top = nice_max(points.iter().map(|p| p.value).max().unwrap_or(0));
    let n = points.len();
    let x = move |i: usize| {
        if n <= 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = move |v: u64| TOP + plot_h - plot_h * v as f64 / top as f64;
    let widest = points
        .iter()
        .map(|p| text_width(&p.short, small))
        .fold(0.0, f64::max);
    let step = label_step(n, widest, plot_w);
    let path = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "{}{:.1},{:.1}",
                if i == 0 { "M" } else { "L" },
                x(i),
                y(p.value)
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mut marks = vec![0, top / 2, top];
    marks.dedup();
    let grid = marks
        .into_iter()
        .map(|v| {
            view! {
                <g class="grid">
                    <line x1=LEFT x2=W - RIGHT y1=y(v) y2=y(v)></line>
                    <text x=LEFT - 4.0 y=y(v) + 4.0 text-anchor="end" font-size=small>
                        {v.to_string()}
                    </text>
                </g>
            }
        })
        .collect_view();
    let labels = points
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0)
        .map(|(i, p)| {
            view! {
                <g class="axis">
                    <text x=x(i) y=H - 6.0 text-anchor="middle" font-size=small>
                        {p.short.clone()}
                    </text>
                </g>
            }
        })
        .collect_view();
    let dots = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let tip = tf(
                "chart.tip",
                &[("label", &p.label), ("value", &p.value.to_string())],
            );
            let body = view! {
                <title>{tip.clone()}</title>
                <circle class="hit" cx=x(i) cy=y(p.value) r="10"></circle>
                <circle class="dot" cx=x(i) cy=y(p.value) r="3.5"></circle>
            };
            match p.href.clone() {
                // Named for screen readers (a link with only shapes in it has no name).
                Some(href) => view! {
                    <g class="point">
                        <a href=href.clone() aria-label=tip on:click=svg_link_click(href)>
                            {body}
                        </a>
                    </g>
                }
                .into_any(),
                None => view! { <g class="point">{body}</g> }.into_any(),
            }
        })
        .collect_view();
    let rows = points
        .into_iter()
        .map(|p| {
            let value = p.value.to_string();
            let cell = match p.href {
                Some(href) => view! { <a href=href>{value}</a> }.into_any(),
                None => view! { <span>{value}</span> }.into_any(),
            };
            view! {
                <tr>
                    <th scope="row">{p.label}</th>
                    <td>{cell}</td>
                </tr>
            }
        })
        .collect_view();
    let label = title.clone();
    view! {
        <figure class="chart line" id=id>
            <figcaption>{title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {W} {H}") width="100%" role="group" aria-label=label font-size=FONT>
                <title>{title}</title>
                {grid}
                {labels}
                <path class="line" d=path fill="none"></path>
                {dots}
            </svg>
            <details class="chart-data">
                <summary>{t("chart.data")}</summary>
                <table>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        </figure>
    }
}

/// One part of a whole: a category, a status…
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub label: String,
    pub value: u64,
    pub color: &'static str,
    pub href: Option<String>,
}

/// A 100% bar of the parts of a whole, and its legend with each part's number and share.
/// Parts of zero are left out; with nothing at all, a sentence says so.
#[component]
pub fn ShareBar(
    id: &'static str,
    title: String,
    segments: Vec<Segment>,
    /// How the parts are counted, where it is not plain ("一件意见可有几个类别").
    #[prop(optional)]
    note: Option<String>,
) -> impl IntoView {
    const H: f64 = 28.0;
    let segments: Vec<Segment> = segments.into_iter().filter(|s| s.value > 0).collect();
    let total: u64 = segments.iter().map(|s| s.value).sum();
    if total == 0 {
        return view! {
            <figure class="chart share" id=id>
                <figcaption>{title}</figcaption>
                <p class="empty">{t("chart.none")}</p>
            </figure>
        }
        .into_any();
    }
    let percent = |v: u64| (v as f64 * 100.0 / total as f64).round() as u64;
    let mut at = 0.0;
    let parts = segments
        .iter()
        .map(|s| {
            let w = s.value as f64 / total as f64 * W;
            let x = at;
            at += w;
            let tip = tf(
                "chart.share_tip",
                &[
                    ("label", &s.label),
                    ("value", &s.value.to_string()),
                    ("percent", &percent(s.value).to_string()),
                ],
            );
            let body = view! {
                <title>{tip.clone()}</title>
                <rect x=x y="0" width=w height=H fill=s.color></rect>
            };
            match s.href.clone() {
                Some(href) => view! {
                    <g class="segment">
                        <a href=href.clone() aria-label=tip on:click=svg_link_click(href)>
                            {body}
                        </a>
                    </g>
                }
                .into_any(),
                None => view! { <g class="segment">{body}</g> }.into_any(),
            }
        })
        .collect_view();
    let legend = segments
        .into_iter()
        .map(|s| {
            let text = tf(
                "chart.share_item",
                &[
                    ("value", &s.value.to_string()),
                    ("percent", &percent(s.value).to_string()),
                ],
            );
            let inner = view! {
                <span class="swatch" style=format!("background:{}", s.color)></span>
                <span class="what">{s.label.clone()}</span>
                <span class="n">{text}</span>
            };
            match s.href {
                Some(href) => view! {
                    <li>
                        <a href=href>{inner}</a>
                    </li>
                }
                .into_any(),
                None => view! { <li>{inner}</li> }.into_any(),
            }
        })
        .collect_view();
    let label = title.clone();
    view! {
        <figure class="chart share" id=id>
            <figcaption>{title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {W} {H}") width="100%" role="group" aria-label=label preserveAspectRatio="none">
                <title>{title}</title>
                {parts}
            </svg>
            <ul class="legend">{legend}</ul>
            {note.map(|n| view! { <p class="hint chart-note">{n}</p> })}
        </figure>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_to_fit() {
        let (s, cut) = fit("紫竹院街道万寿寺社区人大代表联络站", 100.0, 12.0);
        assert!(cut);
        assert!(s.ends_with('\u{2026}'));
        assert!(text_width(&s, 12.0) <= 100.0);
        assert_eq!(fit("站点", 100.0, 12.0), ("站点".to_owned(), false));
    }

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(4), 4);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(11), 20);
        assert_eq!(nice_max(4655), 5000);
        assert_eq!(nice_max(100), 100);
    }

    #[test]
    fn axis_labels_do_not_overlap() {
        // 12 months of "12月" (about 28 units) in 312 units: every other one.
        assert_eq!(label_step(12, 28.0, 312.0), 2);
        assert_eq!(label_step(3, 28.0, 312.0), 1);
        assert_eq!(label_step(36, 50.0, 312.0), 8);
    }
}

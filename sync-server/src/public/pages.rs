//! The public pages' HTML (maud: every value is escaped unless marked otherwise, and
//! nothing here marks one). No script: every page works as plain forms and links.

use maud::{DOCTYPE, Markup, html};
use shared::model::{DeputyLevel, OpinionCategory, StationKind};

use super::store::{
    MAX_PUBLIC_CONTENT_CHARS, PublicContact, PublicStatus, StationPage, Submission,
};
use super::{category_label, category_name, code, t};

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · " (t("title_suffix")) }
                link rel="stylesheet" href="/p/style.css";
            }
            body {
                main { (body) }
                footer { p { (t("footer")) } }
            }
        }
    }
}

fn kind(k: StationKind) -> &'static str {
    match k {
        StationKind::Home => t("kind_home"),
        StationKind::LiaisonPoint => t("kind_liaison_point"),
    }
}

fn level(l: DeputyLevel) -> &'static str {
    match l {
        DeputyLevel::City => t("level_city"),
        DeputyLevel::District => t("level_district"),
        DeputyLevel::Town => t("level_town"),
    }
}

/// A station's page: who it is, its deputies, the opinion form (with `typed` and the
/// `problems` of a refused attempt), and the code lookup.
pub fn station(page: &StationPage, typed: &Submission, problems: &[&str]) -> Markup {
    let categories = OpinionCategory::ALL
        .into_iter()
        .filter(|c| *c != OpinionCategory::Legislation);
    layout(
        &page.name,
        html! {
            header.station {
                p.kind { (page.subdistrict) " · " (kind(page.kind)) }
                h1 { (page.name) }
            }
            section.deputies aria-labelledby="deputies-title" {
                h2 #deputies-title { (t("deputies")) }
                @if page.deputies.is_empty() {
                    p { (t("no_deputies")) }
                }
                @for (l, names) in &page.deputies {
                    h3 { (level(*l)) }
                    ul.names { @for n in names { li { (n) } } }
                }
            }
            section.form aria-labelledby="form-title" {
                h2 #form-title { (t("form_title")) }
                p { (t("form_intro")) }
                @if !problems.is_empty() {
                    div.errors role="alert" {
                        p { (t("errors")) }
                        ul { @for p in problems { li { (t(&format!("error_{p}"))) } } }
                    }
                }
                form method="post" action={ "/s/" (page.id) } accept-charset="utf-8" {
                    label for="content" { (t("content")) }
                    textarea #content name="content" rows="6" maxlength=(MAX_PUBLIC_CONTENT_CHARS)
                        required aria-describedby="content-hint" { (typed.content) }
                    p.hint #content-hint { (t("content_hint")) }
                    fieldset.chips {
                        legend { (t("categories")) }
                        @for c in categories {
                            @let name = category_name(c);
                            label.chip {
                                input type="checkbox" name="category" value=(name)
                                    checked[typed.categories.contains(&name)];
                                span { (category_label(c)) }
                            }
                        }
                    }
                    label for="name" { (t("name")) }
                    input #name name="name" maxlength="100" autocomplete="name" value=(typed.name);
                    label for="phone" { (t("phone")) }
                    input #phone name="phone" type="tel" inputmode="tel" maxlength="20"
                        autocomplete="tel" value=(typed.phone);
                    div.consent {
                        p #consent-text { (t("consent")) }
                        label {
                            input type="checkbox" name="consent" value="1"
                                aria-describedby="consent-text" checked[typed.consent];
                            " " (t("consent_label"))
                        }
                    }
                    // Hidden from people (CSS and the accessibility tree); bots fill it.
                    div.hp aria-hidden="true" {
                        label for="website" { (t("honeypot")) }
                        input #website name="website" tabindex="-1" autocomplete="off";
                    }
                    button type="submit" { (t("submit")) }
                }
            }
            (lookup_form())
        },
    )
}

fn lookup_form() -> Markup {
    html! {
        section.lookup aria-labelledby="lookup-title" {
            h2 #lookup-title { (t("lookup_title")) }
            form method="get" action="/t" {
                label for="code" { (t("lookup_code")) }
                input #code name="code" inputmode="numeric" autocomplete="off"
                    maxlength="32" placeholder="0000 0000 0000 0000";
                button type="submit" { (t("lookup_submit")) }
            }
        }
    }
}

/// The status of an opinion; `fresh` right after it was sent (the code shown large).
pub fn status(code_text: &str, s: &PublicStatus, fresh: bool, flash: Option<&str>) -> Markup {
    let steps = [
        ("status_received", Some(s.received)),
        ("status_referred", s.referred),
        ("status_in_progress", s.in_progress),
        ("status_answered", s.answered),
        ("status_fed_back", s.fed_back),
    ];
    let now = steps
        .iter()
        .rev()
        .find(|(_, d)| d.is_some())
        .map_or("status_received", |(k, _)| k);
    // A step passed over (answered without an "in progress" first) is not shown.
    let last_done = steps.iter().rposition(|(_, d)| d.is_some()).unwrap_or(0);
    let steps: Vec<_> = steps
        .iter()
        .enumerate()
        .filter(|(i, (_, d))| d.is_some() || *i > last_done)
        .map(|(_, s)| *s)
        .collect();
    let grouped = code::grouped(code_text);
    layout(
        t("status_title"),
        html! {
            @if fresh {
                section.thanks role="status" {
                    h1 { (t("thanks_title")) }
                    p { (t("thanks")) }
                    p.code { (grouped) }
                    p { (t("thanks_keep")) }
                }
            } @else {
                h1 { (t("status_title")) }
            }
            @if let Some(f) = flash { p.flash role="status" { (f) } }
            dl.facts {
                dt { (t("status_station")) } dd { (s.station_name) }
                dt { (t("status_code")) } dd.code-small { (grouped) }
                dt { (t("status_now")) } dd.now { (t(now)) }
            }
            ol.steps {
                @for (key, date) in steps {
                    li class=(if date.is_some() { "done" } else { "todo" }) {
                        span.step { (t(key)) }
                        @if let Some(d) = date { " " time datetime=(d) { (d.format("%Y-%m-%d")) } }
                    }
                }
            }
            @if !s.feedback.is_empty() {
                section.feedback {
                    h2 { (t("feedback")) }
                    p { (s.feedback) }
                }
            }
            @match s.contact {
                PublicContact::None => {},
                PublicContact::Erased => { p.contact { (t("contact_erased")) } },
                PublicContact::Kept => {
                    p.contact { (t("contact_kept")) }
                    section.withdraw aria-labelledby="withdraw-title" {
                        h2 #withdraw-title { (t("withdraw_title")) }
                        p { (t("withdraw_intro")) }
                        form method="post" action={ "/t/" (code_text) "/withdraw" } {
                            label {
                                input type="checkbox" name="confirm" value="1";
                                " " (t("withdraw_confirm"))
                            }
                            button.danger type="submit" { (t("withdraw_submit")) }
                        }
                    }
                },
            }
        },
    )
}

/// A page with one message (no such station or code, too many attempts, an error).
pub fn message(title: &str, text: &str, with_lookup: bool) -> Markup {
    layout(
        title,
        html! {
            h1 { (title) }
            p { (text) }
            @if with_lookup { (lookup_form()) }
        },
    )
}

/// The stylesheet (served from `/p/style.css`: the CSP allows no inline style).
pub const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:17px/1.6 system-ui,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1f1f1f;background:#faf7f2}
main{max-width:40rem;margin:0 auto;padding:1rem}
header.station{background:#b71c1c;color:#fff;margin:-1rem -1rem 1rem;padding:1.25rem 1rem}
header.station h1{margin:.2rem 0 0;font-size:1.5rem;line-height:1.3}
.kind{margin:0;opacity:.9;font-size:.95rem}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}h3{font-size:1rem;margin:.75rem 0 .25rem;color:#8a1414}
section{background:#fff;border-radius:.75rem;padding:1rem;margin:0 0 1rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
section>h2:first-child{margin-top:0}
ul.names{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:.25rem .75rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
textarea,input[type=text],input:not([type]),input[type=tel]{width:100%;font:inherit;padding:.6rem;border:1px solid #bbb;border-radius:.5rem;background:#fff}
textarea:focus,input:focus{outline:3px solid #f0a500;border-color:#b71c1c}
.hint{margin:.25rem 0 0;color:#666;font-size:.9rem}
fieldset.chips{border:0;padding:0;margin:.75rem 0 0;display:flex;flex-wrap:wrap;gap:.5rem}
fieldset.chips legend{font-weight:600;margin-bottom:.4rem;padding:0}
label.chip{display:inline-block;margin:0;font-weight:400}
label.chip input{position:absolute;opacity:0;width:1px;height:1px}
label.chip span{display:inline-block;padding:.4rem .8rem;border:1px solid #b71c1c;border-radius:999px;color:#b71c1c;background:#fff;min-height:2.5rem;line-height:1.6}
label.chip input:checked+span{background:#b71c1c;color:#fff}
label.chip input:focus-visible+span{outline:3px solid #f0a500}
.consent{margin-top:1rem;padding:.75rem;border:1px solid #e0c9a6;border-radius:.5rem;background:#fff8ec}
.consent p{margin:0 0 .25rem;font-size:.95rem}
.consent label{font-weight:600;margin:0}
input[type=checkbox]{width:1.25rem;height:1.25rem;vertical-align:-.2rem}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
button{display:block;width:100%;margin-top:1.25rem;padding:.8rem;font:inherit;font-weight:700;color:#fff;background:#b71c1c;border:0;border-radius:.5rem;min-height:3rem}
button.danger{background:#5f1010}
.errors{border:2px solid #b71c1c;border-radius:.5rem;padding:.5rem .75rem;background:#fdecec;margin-bottom:.75rem}
.errors p{margin:0;font-weight:700}
.thanks{border:2px solid #2e7d32}
.code{font-size:1.45rem;font-weight:700;letter-spacing:.04em;white-space:nowrap;text-align:center;font-variant-numeric:tabular-nums;margin:.5rem 0}
dl.facts{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;background:#fff;padding:1rem;border-radius:.75rem}
dl.facts dt{color:#666}dl.facts dd{margin:0;font-weight:600}
.now{color:#b71c1c}
ol.steps{list-style:none;padding:0;margin:1rem 0}
ol.steps li{padding:.5rem .75rem;border-left:4px solid #ccc;margin-bottom:.25rem;background:#fff}
ol.steps li.done{border-color:#2e7d32}
ol.steps li.todo{color:#888}
.step{font-weight:700}
.flash{padding:.75rem;background:#e8f5e9;border-radius:.5rem}
footer{max-width:40rem;margin:0 auto;padding:0 1rem 2rem;color:#666;font-size:.85rem}
@media (min-width:48rem){main{padding:2rem}header.station{margin:-2rem -2rem 1.5rem;padding:2rem}}
"#;

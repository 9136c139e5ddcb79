//! A record's change history.

use leptos::prelude::*;
use shared::{Field, HistoryEntry};

use crate::i18n::{field_label, join, t, tf};

/// `YYYY-MM-DD HH:MM` in the device's time zone, from seconds since the epoch.
fn local_time(secs: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(secs as f64 * 1000.0));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// A record's change history, newest first.
#[component]
pub fn History(entries: RwSignal<Vec<HistoryEntry>>) -> impl IntoView {
    view! {
        <section class="history" aria-labelledby="history-title">
            <h3 id="history-title">{t("history.title")}</h3>
            <ol id="history">
                {move || {
                    entries
                        .get()
                        .into_iter()
                        .map(|h| {
                            let who = if h.by_this_device {
                                t("history.this_device")
                            } else {
                                t("history.other_device")
                            };
                            let lines: Vec<String> = if h.created {
                                vec![t("history.created")]
                            } else {
                                h.changes
                                    .iter()
                                    .map(|c| {
                                        if c.hidden {
                                            return tf(
                                                "history.hidden",
                                                &[("field", &field_label(c.field))],
                                            );
                                        }
                                        // Kinds are stored by name; show them in the UI's language.
                                        let show = |values: &[String]| {
                                            if values.iter().all(String::is_empty) {
                                                return t("history.empty");
                                            }
                                            let shown: Vec<String> = values
                                                .iter()
                                                .map(|v| {
                                                    if c.field == Field::Kind {
                                                        t(&format!("kind.{v}"))
                                                    } else {
                                                        v.clone()
                                                    }
                                                })
                                                .collect();
                                            join(&shown)
                                        };
                                        let old = c
                                            .old
                                            .as_deref()
                                            .map_or_else(|| t("history.empty"), show);
                                        let new = show(&c.new);
                                        tf(
                                            "history.change",
                                            &[
                                                ("field", &field_label(c.field)),
                                                ("old", &old),
                                                ("new", &new),
                                            ],
                                        )
                                    })
                                    .collect()
                            };
                            view! {
                                <li>
                                    <p class="when">{local_time(h.time)} " · " {who}</p>
                                    {lines.into_iter().map(|l| view! { <p>{l}</p> }).collect_view()}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ol>
        </section>
    }
}

//! Filters that come in the address (`/activities?station=…&from=…`: the statistics and
//! the duty record open the records behind a figure that way), shown as chips the user
//! can remove; and the buttons that export a list as it is filtered.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::params::ParamsMap;
use shared::AppError;

use crate::api::ExportFormat;
use crate::i18n::{app_error, t, tf};

/// Query parameter `key`, or "" without one.
pub fn param(q: &ParamsMap, key: &str) -> String {
    q.get(key).unwrap_or_default()
}

/// An enum value from its snake_case name (`city`, `fed_back`…).
pub fn parse_enum<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    if s.is_empty() {
        return None;
    }
    serde_plain::from_str(s).ok()
}

/// `true`/`1` or `false`/`0`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// `Some(s)` unless empty.
pub fn some(s: String) -> Option<String> {
    Some(s).filter(|s| !s.is_empty())
}

/// One filter in force, as a chip: the parameter it came from and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chip {
    pub key: &'static str,
    pub text: String,
}

/// The chips of the filters in force ("已筛选：站点：… ×"); a chip's button removes its
/// filter, and one more removes them all.
#[component]
pub fn Chips(
    chips: Signal<Vec<Chip>>,
    on_remove: Callback<&'static str>,
    /// A button that removes them all, where the screen has none of its own.
    #[prop(optional)]
    on_clear: Option<Callback<()>>,
) -> impl IntoView {
    view! {
        <Show when=move || !chips.get().is_empty()>
            <div class="active-filters" id="active-filters" role="group" aria-label=t("chip.filtered")>
                <span class="label">{t("chip.filtered")}</span>
                {move || {
                    chips
                        .get()
                        .into_iter()
                        .map(|c| {
                            let key = c.key;
                            view! {
                                <button
                                    type="button"
                                    class="filter-chip"
                                    id=format!("chip-{key}")
                                    aria-label=tf("chip.remove", &[("what", &c.text)])
                                    title=tf("chip.remove", &[("what", &c.text)])
                                    on:click=move |_| on_remove.run(key)
                                >
                                    <span>{c.text.clone()}</span>
                                    <span class="x" aria-hidden="true">"×"</span>
                                </button>
                            }
                        })
                        .collect_view()
                }}
                {on_clear
                    .map(|clear| {
                        view! {
                            <button type="button" class="link" id="chips-clear" on:click=move |_| clear.run(())>
                                {t("filter.clear")}
                            </button>
                        }
                    })}
            </div>
        </Show>
    }
}

/// An export under way and how the last one ended.
#[derive(Clone, Copy)]
pub struct Exporter {
    running: RwSignal<Option<ExportFormat>>,
    message: RwSignal<Option<(bool, String)>>,
}

impl Exporter {
    pub fn new() -> Exporter {
        Exporter {
            running: RwSignal::new(None),
            message: RwSignal::new(None),
        }
    }

    /// Whether an export is under way (tracked).
    pub fn busy(self) -> bool {
        self.running.get().is_some()
    }

    /// Runs `export` (one at a time): busy meanwhile, then the saved path, nothing if
    /// the user cancelled the save dialog, or the error.
    pub fn run(
        self,
        format: ExportFormat,
        export: impl std::future::Future<Output = Result<Option<String>, AppError>> + 'static,
    ) {
        if self.running.get_untracked().is_some() {
            return;
        }
        self.running.set(Some(format));
        self.message.set(None);
        spawn_local(async move {
            let outcome = match export.await {
                Ok(Some(path)) => Some((true, tf("export.saved", &[("path", &path)]))),
                Ok(None) => Some((true, t("export.cancelled"))),
                Err(e) => Some((false, app_error(&e))),
            };
            self.message.set(outcome);
            self.running.set(None);
        });
    }

    /// Forgets how the last export ended (the figures it was of are no longer shown).
    pub fn forget(self) {
        if self.running.get_untracked().is_none() {
            self.message.set(None);
        }
    }

    /// The label of a button exporting `format`: "正在导出…" while it runs.
    pub fn label(self, format: ExportFormat, key: &'static str) -> impl Fn() -> String {
        move || {
            if self.running.get() == Some(format) {
                t("export.running")
            } else {
                t(key)
            }
        }
    }
}

/// How the last export ended.
#[component]
pub fn ExportMessage(exporter: Exporter, id: &'static str) -> impl IntoView {
    move || {
        exporter.message.get().map(|(ok, m)| {
            view! {
                <p class=if ok { "message ok export-message" } else { "message error export-message" } role="status" id=id>
                    {m}
                </p>
            }
        })
    }
}

/// 「导出 Excel」 and 「导出 CSV」 for a list: `export` runs with the format chosen.
#[component]
pub fn ExportButtons(exporter: Exporter, export: Callback<ExportFormat>) -> impl IntoView {
    let disabled = move || exporter.busy();
    view! {
        <div class="export-buttons" aria-busy=move || exporter.busy().to_string()>
            <button
                type="button"
                id="export-xlsx"
                class="secondary"
                disabled=disabled
                on:click=move |_| export.run(ExportFormat::Xlsx)
            >
                {exporter.label(ExportFormat::Xlsx, "export.xlsx")}
            </button>
            <button
                type="button"
                id="export-csv"
                class="secondary"
                disabled=disabled
                on:click=move |_| export.run(ExportFormat::Csv)
            >
                {exporter.label(ExportFormat::Csv, "export.csv")}
            </button>
        </div>
        <ExportMessage exporter=exporter id="export-message"/>
    }
}

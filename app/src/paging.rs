//! Lists load a page at a time: the first [`PAGE`] rows, and a "more" button that asks
//! again with the limit one page higher. No screen loads a whole table.

use leptos::prelude::*;

use crate::i18n::t;

/// Rows per page.
pub const PAGE: u32 = 50;

/// How much of a list is shown, and whether there is more.
#[derive(Clone, Copy)]
pub struct Pager {
    shown: RwSignal<u32>,
    more: RwSignal<bool>,
}

impl Pager {
    pub fn new() -> Pager {
        Pager {
            shown: RwSignal::new(PAGE),
            more: RwSignal::new(false),
        }
    }

    /// How many rows to show (tracked: a reload follows "more").
    pub fn shown(self) -> u32 {
        self.shown.get()
    }

    /// The limit to ask the store for: one row past what is shown, which tells whether
    /// there is more.
    pub fn limit(shown: u32) -> Option<u32> {
        Some(shown + 1)
    }

    /// The rows to show of `rows` (loaded with [`Pager::limit`] of `shown`).
    pub fn page<T>(self, mut rows: Vec<T>, shown: u32) -> Vec<T> {
        self.more.set(rows.len() > shown as usize);
        rows.truncate(shown as usize);
        rows
    }

    /// Whether the store holds more rows than are shown.
    pub fn has_more(self) -> bool {
        self.more.get()
    }

    /// Back to the first page (the filters changed).
    pub fn reset(self) {
        if self.shown.get_untracked() != PAGE {
            self.shown.set(PAGE);
        }
    }
}

/// The button under a list that shows the next page, while there is one.
#[component]
pub fn MoreButton(id: &'static str, pager: Pager) -> impl IntoView {
    view! {
        <Show when=move || pager.has_more()>
            <button
                type="button"
                id=id
                class="secondary more"
                on:click=move |_| pager.shown.update(|n| *n += PAGE)
            >
                {t("list.more")}
            </button>
        </Show>
    }
}

/// The record a save just made or changed: marked in its list (`just-saved`), and
/// brought into view once the list holds it (once: later reloads leave the scroll alone).
#[derive(Clone, Copy)]
pub struct JustSaved {
    id: RwSignal<Option<String>>,
    brought: StoredValue<bool>,
}

impl JustSaved {
    /// Follows the list `list_id` (its rows `li[data-id]`), whose rows `holds` tells.
    pub fn new(
        id: Option<String>,
        list_id: &'static str,
        holds: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> JustSaved {
        let saved = JustSaved {
            id: RwSignal::new(id),
            brought: StoredValue::new(false),
        };
        Effect::new(move |_| {
            let Some(id) = saved.id.get() else {
                return;
            };
            if saved.brought.get_value() || !holds(&id) {
                return;
            }
            saved.brought.set_value(true);
            // Once the row is drawn.
            set_timeout(
                move || {
                    let row = format!("#{list_id} li[data-id='{id}']");
                    if let Some(el) = web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.query_selector(&row).ok().flatten())
                    {
                        let options = web_sys::ScrollIntoViewOptions::new();
                        options.set_block(web_sys::ScrollLogicalPosition::Center);
                        el.scroll_into_view_with_scroll_into_view_options(&options);
                    }
                },
                std::time::Duration::ZERO,
            );
        });
        saved
    }

    /// `id` was just saved.
    pub fn set(self, id: String) {
        self.brought.set_value(false);
        self.id.set(Some(id));
    }

    pub fn clear(self) {
        self.id.set(None);
    }

    /// Whether a save was just made (tracked).
    pub fn any(self) -> bool {
        self.id.with(Option::is_some)
    }

    /// Whether `id` is the record just saved (tracked).
    pub fn is(self, id: &str) -> bool {
        self.id.with(|j| j.as_deref() == Some(id))
    }
}

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

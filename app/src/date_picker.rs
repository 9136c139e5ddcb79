//! The desktop webview's calendar (WebKitGTK's, for `<input type="date">`) sets the date
//! when a day is clicked and stays open until it is closed by hand. Here a date field lets
//! go of its focus once a day was chosen in it, which closes the calendar (WebKit closes a
//! date field's chooser when the field loses focus): its day changed while its month did
//! not, and no key was pressed in it just before. Paging through the months (which moves
//! the chosen day with it) keeps the calendar open, and typing a date is left alone.
//! Phones' pickers close by themselves: nothing is installed there.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::JsCast as _;
use wasm_bindgen::closure::Closure;

/// A key pressed in a date field this recently (ms) means the change was typed.
const TYPED_WITHIN_MS: f64 = 1000.0;

/// Where the field's value before the change is kept.
const WAS: &str = "data-was";

/// Installs the listeners on the document, once, for every date field of every screen.
pub fn close_calendar_when_a_day_is_chosen() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let agent = window.navigator().user_agent().unwrap_or_default();
    if ["Android", "iPhone", "iPad"]
        .iter()
        .any(|p| agent.contains(p))
    {
        return;
    }
    let Some(document) = window.document() else {
        return;
    };
    let last_key = Rc::new(Cell::new(f64::NEG_INFINITY));
    let typed = last_key.clone();
    let listen = |event: &str, f: Box<dyn FnMut(web_sys::Event)>| {
        let f = Closure::wrap(f);
        let _ = document.add_event_listener_with_callback_and_bool(
            event,
            f.as_ref().unchecked_ref(),
            true,
        );
        // Listens as long as the page lives.
        f.forget();
    };
    // A press on the field opens its calendar: the value it opens on. (Not on focus:
    // WebKit moves the focus inside a date field when its value is set, after it.)
    listen(
        "mousedown",
        Box::new(|ev| {
            if let Some(field) = date_field(&ev) {
                let _ = field.set_attribute(WAS, &field.value());
            }
        }),
    );
    listen(
        "keydown",
        Box::new(move |ev| {
            if date_field(&ev).is_some() {
                typed.set(js_sys::Date::now());
            }
        }),
    );
    listen(
        "input",
        Box::new(move |ev| {
            let Some(field) = date_field(&ev) else {
                return;
            };
            let now = field.value();
            // An empty field's calendar opens on this month.
            let was = field
                .get_attribute(WAS)
                .filter(|w| !w.is_empty())
                .unwrap_or_else(crate::today);
            let _ = field.set_attribute(WAS, &now);
            if js_sys::Date::now() - last_key.get() < TYPED_WITHIN_MS {
                return;
            }
            if day_chosen(&was, &now) {
                // After the event (a blur inside its dispatch does not take).
                leptos::prelude::set_timeout(
                    move || {
                        let _ = field.blur();
                    },
                    std::time::Duration::ZERO,
                );
            }
        }),
    );
}

/// The `<input type="date">` an event happened in.
fn date_field(ev: &web_sys::Event) -> Option<web_sys::HtmlInputElement> {
    ev.target()?
        .dyn_into::<web_sys::HtmlInputElement>()
        .ok()
        .filter(|f| f.type_() == "date")
}

/// Whether going from date `was` to `now` (`YYYY-MM-DD`) chose another day of the same
/// month, as a click on a day does (paging to another month keeps the day's number).
fn day_chosen(was: &str, now: &str) -> bool {
    now.len() == 10 && was.len() == 10 && now.get(..7) == was.get(..7) && now != was
}

#[cfg(test)]
mod tests {
    use super::day_chosen;

    #[test]
    fn a_day_of_the_same_month_is_a_choice_and_another_month_is_paging() {
        assert!(day_chosen("2026-12-08", "2026-12-03"));
        assert!(!day_chosen("2026-12-08", "2026-11-08"));
        assert!(!day_chosen("2026-12-08", "2025-12-08"));
        assert!(!day_chosen("2026-12-08", "2026-12-08"));
        assert!(!day_chosen("2026-12-08", ""));
    }
}

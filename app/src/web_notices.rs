//! What the web app tells its user that the desktop app need not: a new version has
//! arrived and waits (it takes over when the app next starts, or now if the user asks;
//! the records are in the store, which no update touches), and a browser that did not
//! promise to keep the store through storage pressure. `static/main.js` finds both out
//! and raises `jiazhan-update` and `jiazhan-storage` on the window.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::i18n::t;
use crate::transport;

/// The window's `name` property, if set.
fn window_value(name: &str) -> Option<JsValue> {
    let w = web_sys::window()?;
    js_sys::Reflect::get(&w, &name.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// Calls `f` whenever the window raises event `name` (for the app's life).
fn on_window_event(name: &str, f: impl Fn() + 'static) {
    let Some(w) = web_sys::window() else { return };
    let closure = Closure::<dyn Fn()>::new(f);
    let _ = w.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
    closure.forget();
}

/// "A new version is ready", with a button to take it now.
#[component]
pub fn UpdateNotice() -> impl IntoView {
    let ready =
        RwSignal::new(transport::in_browser() && window_value("jiazhanUpdateWaiting").is_some());
    if transport::in_browser() {
        on_window_event("jiazhan-update", move || ready.set(true));
    }
    let take = move |_| {
        if let Some(f) =
            window_value("jiazhanTakeUpdate").and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        {
            let _ = f.call0(&JsValue::NULL);
        }
    };
    view! {
        <Show when=move || ready.get()>
            <p class="message ok notice" role="status" id="update-ready">
                {t("web.update.ready")} " "
                <button type="button" class="link" id="update-now" on:click=take>
                    {t("web.update.now")}
                </button>
            </p>
        </Show>
    }
}

/// "This browser may clear the device's records": where the browser did not promise to
/// keep the store.
#[component]
pub fn StorageNotice() -> impl IntoView {
    let not_kept =
        move || window_value("jiazhanStorageKept").and_then(|v| v.as_bool()) == Some(false);
    let shown = RwSignal::new(transport::in_browser() && not_kept());
    if transport::in_browser() {
        on_window_event("jiazhan-storage", move || shown.set(not_kept()));
    }
    view! {
        <Show when=move || shown.get()>
            <p class="message error" role="note" id="storage-not-kept">{t("web.storage.not_kept")}</p>
        </Show>
    }
}

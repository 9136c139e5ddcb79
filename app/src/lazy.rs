//! The screens most accounts open rarely (statistics, duty records, yearly reports,
//! suggestions and leads, campaigns, the poster, consultations), each split out of the
//! main wasm into a chunk fetched the first time it is opened (Leptos's `#[lazy]` over
//! `wasm_split`; `.ci/build-ui.sh` runs `wasm-split-cli` before wasm-bindgen). The start
//! of the app loads and compiles only what home, the register, the forms and sync need.
//!
//! Each function builds its screen's view; the route shows nothing until the chunk is
//! there (it is embedded in the app, so that is a moment), then the screen.

use std::future::Future;

use leptos::lazy;
use leptos::prelude::*;
use send_wrapper::SendWrapper;

use crate::{campaigns, consultation, duty, poster, report, stats, suggestions};

#[lazy]
fn stats_view() -> AnyView {
    view! { <stats::StatsPage/> }.into_any()
}

#[lazy]
fn duty_view() -> AnyView {
    view! { <duty::DutyPage/> }.into_any()
}

#[lazy]
fn report_view() -> AnyView {
    view! { <report::ReportPage/> }.into_any()
}

#[lazy]
fn suggestions_view() -> AnyView {
    view! { <suggestions::SuggestionsPage/> }.into_any()
}

#[lazy]
fn campaigns_view() -> AnyView {
    view! { <campaigns::CampaignsPage/> }.into_any()
}

#[lazy]
fn poster_view() -> AnyView {
    view! { <poster::PosterPage/> }.into_any()
}

#[lazy]
fn consultation_view() -> AnyView {
    view! { <consultation::ConsultationPage/> }.into_any()
}

/// A screen whose code is loaded on first use: empty until its chunk has arrived.
fn screen<F: Future<Output = AnyView> + 'static>(load: fn() -> F) -> impl IntoView {
    // The loader's future is not Send; the browser runs it on its one thread.
    let loaded = SendWrapper::new(async move { load().await });
    view! { <Suspense>{Suspend::new(loaded)}</Suspense> }
}

#[component]
pub fn StatsScreen() -> impl IntoView {
    screen(stats_view)
}

#[component]
pub fn DutyScreen() -> impl IntoView {
    screen(duty_view)
}

#[component]
pub fn ReportScreen() -> impl IntoView {
    screen(report_view)
}

#[component]
pub fn SuggestionsScreen() -> impl IntoView {
    screen(suggestions_view)
}

#[component]
pub fn CampaignsScreen() -> impl IntoView {
    screen(campaigns_view)
}

#[component]
pub fn PosterScreen() -> impl IntoView {
    screen(poster_view)
}

#[component]
pub fn ConsultationScreen() -> impl IntoView {
    screen(consultation_view)
}

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

/// A screen whose code is loaded on first use: empty until its chunk has arrived.
fn screen<F: Future<Output = AnyView> + 'static>(load: fn() -> F) -> impl IntoView {
    // The loader's future is not Send; the browser runs it on its one thread.
    let loaded = SendWrapper::new(async move { load().await });
    view! { <Suspense>{Suspend::new(loaded)}</Suspense> }
}

/// For each screen: the function its chunk holds (its view) and the component the route
/// shows, which loads that chunk.
macro_rules! lazy_screens {
    ($($route:ident: $view:ident => $module:ident::$page:ident;)*) => {$(
        #[lazy]
        fn $view() -> AnyView {
            view! { <$module::$page/> }.into_any()
        }

        #[component]
        pub fn $route() -> impl IntoView {
            screen($view)
        }
    )*};
}

lazy_screens! {
    StatsScreen: stats_view => stats::StatsPage;
    DutyScreen: duty_view => duty::DutyPage;
    ReportScreen: report_view => report::ReportPage;
    SuggestionsScreen: suggestions_view => suggestions::SuggestionsPage;
    CampaignsScreen: campaigns_view => campaigns::CampaignsPage;
    PosterScreen: poster_view => poster::PosterPage;
    ConsultationScreen: consultation_view => consultation::ConsultationPage;
}

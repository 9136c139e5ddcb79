//! The 家站通 UI: Leptos (client-side rendered) in the Tauri webview, phone layout first.
//!
//! Screens (tabs): the activity register (activities of every kind), the activity form
//! (new or edit, with the record's history), and sync; from home (or, for the district
//! office, a tab): the statistics, the deputies' duty records and yearly reports, and
//! the deputy suggestions and livelihood leads. All data comes through [`api`]; all
//! text through [`i18n`].

mod activity_form;
mod activity_list;
mod api;
mod campaigns;
mod charts;
mod consultation;
mod ctx;
mod date_picker;
mod department;
mod duty;
mod filters;
mod form;
mod history;
mod home;
mod i18n;
mod lazy;
mod links;
mod opinion_detail;
mod opinions;
mod paging;
mod photos;
mod poster;
mod report;
mod settings;
mod sign_in;
mod stats;
mod suggestions;
mod sync_page;
mod transport;
mod web_notices;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::path;
use shared::Role;

use activity_form::ActivityForm;
use activity_list::ActivityList;
use ctx::Ctx;
use i18n::{t, tf, tn};
use sign_in::SignInForm;
use sync_page::SyncPage;

/// How often the app tries to sync by itself while open (the core backs off after
/// failures, up to 10 minutes).
const SYNC_EVERY_SECS: u64 = 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Home,
    List,
    Form,
    Opinions,
    Inbox,
    Campaigns,
    Consultation,
    Settings,
    Sync,
    Stats,
    /// A deputy's duty record and yearly report.
    Deputy,
    Suggestions,
}

impl Tab {
    /// Where the tab lives (leptos_router paths; the phone's back button walks them).
    fn path(self) -> &'static str {
        match self {
            Tab::Home => "/",
            Tab::List => "/activities",
            Tab::Form => "/activities/new",
            Tab::Opinions => "/opinions",
            Tab::Inbox => "/inbox",
            Tab::Campaigns => "/campaigns",
            Tab::Consultation => "/consultation",
            Tab::Settings => "/settings",
            Tab::Sync => "/sync",
            Tab::Stats => "/stats",
            // Not a tab of its own: opened from home and the statistics.
            Tab::Deputy => "/stats",
            Tab::Suggestions => "/suggestions",
        }
    }

    /// The tab a path belongs to (an activity being edited is the form's).
    fn of_path(path: &str) -> Tab {
        match path.trim_end_matches('/') {
            "/activities" => Tab::List,
            p if p.starts_with("/activities/") => Tab::Form,
            "/opinions" => Tab::Opinions,
            "/inbox" => Tab::Inbox,
            "/campaigns" => Tab::Campaigns,
            "/consultation" => Tab::Consultation,
            "/settings" => Tab::Settings,
            "/sync" => Tab::Sync,
            "/stats" => Tab::Stats,
            "/suggestions" => Tab::Suggestions,
            p if p.starts_with("/deputy/") || p.starts_with("/report/") => Tab::Deputy,
            _ => Tab::Home,
        }
    }
}

/// Navigates to `path` (from a handler; `navigate` comes from `use_navigate` in the
/// component).
fn go(navigate: &(impl Fn(&str, leptos_router::NavigateOptions) + Clone), path: &str) {
    // The address is whole (under the web app's base): not resolved against it again.
    let options = leptos_router::NavigateOptions {
        resolve: false,
        ..Default::default()
    };
    navigate(&links::href(path), options);
}

/// The account (by its role) works with `tab`.
fn has_tab(role: Option<Role>, tab: Tab) -> bool {
    tabs_for(role).iter().any(|(t, ..)| *t == tab)
}

/// The tabs an account works with: stations record; a street's or town's coordinator
/// records and follows its figures; a department answers what was referred to it; the
/// district administrator reads.
fn tabs_for(role: Option<Role>) -> Vec<(Tab, &'static str, &'static str)> {
    let home = (Tab::Home, "tab.home", "tab-home");
    let list = (Tab::List, "tab.list", "tab-list");
    let form = (Tab::Form, "tab.new", "tab-new");
    let opinions = (Tab::Opinions, "tab.opinions", "tab-opinions");
    let inbox = (Tab::Inbox, "tab.inbox", "tab-inbox");
    let campaigns = (Tab::Campaigns, "tab.campaigns", "tab-campaigns");
    let consultation = (Tab::Consultation, "tab.consultation", "tab-consultation");
    let sync = (Tab::Sync, "tab.sync", "tab-sync");
    let stats = (Tab::Stats, "tab.stats", "tab-stats");
    match role {
        Some(Role::Department) => vec![inbox, sync],
        Some(Role::DistrictAdmin) => vec![list, stats, opinions, campaigns, consultation, sync],
        Some(Role::SubdistrictCoordinator) => vec![home, list, form, stats, opinions, sync],
        _ => vec![home, list, form, opinions, sync],
    }
}

fn main() {
    console_error_panic_hook::set_once();
    // The device's language and its texts first, so every text is drawn in it. (Leptos's
    // own executor starts with the mount.)
    wasm_bindgen_futures::spawn_local(async {
        // A phone's browser that cannot run the app, or a store that would not open
        // (open in another tab, storage refused): say so and what to do, not a blank page.
        if transport::in_browser() && transport::browser_lacks_features() {
            i18n::load(shared::Language::ZhCn).await;
            mount_to_body(|| view! { <CannotStart problem=None/> });
            return;
        }
        let language = match api::language().await {
            Ok(language) => language,
            Err(e) if transport::in_browser() => {
                i18n::load(shared::Language::ZhCn).await;
                mount_to_body(move || view! { <CannotStart problem=Some(e.clone())/> });
                return;
            }
            Err(_) => shared::Language::ZhCn,
        };
        i18n::load(language).await;
        date_picker::close_calendar_when_a_day_is_chosen();
        mount_to_body(App);
    });
}

/// Why the web app cannot start here: a browser without what it needs (`problem` is
/// `None`), or a store that would not open.
#[component]
fn CannotStart(problem: Option<shared::AppError>) -> impl IntoView {
    let (title, body) = match &problem {
        None => (t("web.unsupported.title"), t("web.unsupported.body")),
        Some(_) => (t("web.cannot_start.title"), t("web.cannot_start.body")),
    };
    let wechat = (problem.is_none() && transport::in_wechat()).then(|| t("web.unsupported.wechat"));
    let detail = problem.map(|e| i18n::app_error(&e));
    view! {
        <main class="content sign-in-page" id="cannot-start">
            <h1 class="brand">{t("app.title")}</h1>
            <h2>{title}</h2>
            <p>{body}</p>
            {wechat.map(|w| view! { <p class="hint" id="cannot-start-wechat">{w}</p> })}
            {detail.map(|d| view! { <p class="hint" id="cannot-start-detail">{d}</p> })}
        </main>
    }
}

fn today() -> String {
    let d = js_sys::Date::new_0();
    format!(
        "{:04}-{:02}-{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date()
    )
}

#[component]
fn App() -> impl IntoView {
    let ctx = Ctx::new();
    provide_context(ctx);
    ctx.refresh();
    // Sync at start (a fresh device gets the station directory), then every few minutes.
    ctx.sync_in_background();
    set_interval(
        move || {
            spawn_local(async move {
                if let Ok(Some(_)) = api::sync_background().await {
                    ctx.refresh();
                }
            })
        },
        std::time::Duration::from_secs(SYNC_EVERY_SECS),
    );

    // Before the first sign-in there is nothing to work with (the directory comes from the
    // server): the sign-in screen. After it, the app works offline, signed in or not.
    let signed_in = move || ctx.status.get().map(|s| s.account.is_some());
    view! {
        <Router base=links::base()>
            <Show when=move || signed_in() == Some(false)>
                <main class="content sign-in-page">
                    <h1 class="brand">{t("app.title")}</h1>
                    <SignInForm/>
                    <p class="hint">{t("signin.hint")}</p>
                </main>
            </Show>
            <Show when=move || signed_in() == Some(true)>
                <Shell/>
            </Show>
        </Router>
    }
}

/// The signed-in app: header, the tabs of the account's role, and the screen of the
/// current path.
#[component]
fn Shell() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let location = use_location();
    let navigate = use_navigate();
    let current = Memo::new(move |_| Tab::of_path(links::app_path(&location.pathname.get())));
    let role = Memo::new(move |_| ctx.status.get().and_then(|s| s.account).map(|a| a.role));
    // A screen the account does not have (after signing in as someone else): its first.
    Effect::new(move |_| {
        let tabs = tabs_for(role.get());
        // Settings from the header, for everyone; stations reach campaigns, statistics,
        // duty records and suggestions from home.
        let reachable = current.get() == Tab::Settings
            || (matches!(
                current.get(),
                Tab::Campaigns | Tab::Consultation | Tab::Stats | Tab::Deputy | Tab::Suggestions
            ) && role.get() != Some(Role::Department));
        if !reachable && !tabs.iter().any(|(tab, ..)| *tab == current.get()) {
            go(&navigate, tabs[0].0.path());
        }
    });
    let tab_link = move |tab: Tab, key: &'static str, id: &'static str| {
        view! {
            <a
                href=links::href(tab.path())
                id=id
                class="tab"
                class:active=move || current.get() == tab
                aria-current=move || (current.get() == tab).then_some("page")
            >
                {t(key)}
            </a>
        }
    };
    view! {
        <div class="shell">
            <header class="top">
                <h1>{t("app.title")}</h1>
                <a
                    href=crate::links::href("/settings")
                    id="open-settings"
                    class="settings-link"
                    aria-label=t("settings.title")
                    title=t("settings.title")
                >
                    "⚙"
                </a>
                <span class="pending" id="pending-count">
                    {move || {
                        ctx.status
                            .get()
                            .filter(|s| s.pending_records > 0)
                            .map(|s| format!("{} {}", t("list.pending"), s.pending_records))
                    }}
                </span>
            </header>
            <web_notices::UpdateNotice/>
            <nav class="tabs" aria-label=t("app.title")>
                {move || {
                    tabs_for(role.get())
                        .into_iter()
                        .map(|(tab, key, id)| tab_link(tab, key, id))
                        .collect_view()
                }}
            </nav>
            <main class="content">
                // A new device's first sync (a district's year takes a while): how far
                // it has come, on whichever screen is open.
                {move || {
                    ctx.progress
                        .get()
                        .filter(|_| ctx.never_synced())
                        .map(|p| {
                            view! {
                                <p class="message first-sync" role="status" id="first-sync">
                                    {tf(
                                        "sync.first",
                                        &[
                                            ("documents", &tn("sync.documents", p.received_documents, &[])),
                                            ("kb", &(p.received_bytes / 1024).to_string()),
                                        ],
                                    )}
                                </p>
                            }
                        })
                }}
                <Routes fallback=|| view! { <home::HomePage/> }>
                    <Route path=path!("/") view=home::HomePage/>
                    <Route path=path!("/activities") view=ActivityList/>
                    <Route path=path!("/activities/new") view=ActivityForm/>
                    <Route path=path!("/activities/:id") view=ActivityForm/>
                    <Route path=path!("/opinions") view=opinions::OpinionsPage/>
                    <Route path=path!("/inbox") view=department::InboxPage/>
                    <Route path=path!("/campaigns") view=lazy::CampaignsScreen/>
                    <Route path=path!("/poster") view=lazy::PosterScreen/>
                    <Route path=path!("/consultation") view=lazy::ConsultationScreen/>
                    <Route path=path!("/settings") view=settings::SettingsPage/>
                    <Route path=path!("/sync") view=SyncPage/>
                    <Route path=path!("/stats") view=lazy::StatsScreen/>
                    <Route path=path!("/deputy/:id/:year") view=lazy::DutyScreen/>
                    <Route path=path!("/report/:deputy/:year") view=lazy::ReportScreen/>
                    <Route path=path!("/suggestions") view=lazy::SuggestionsScreen/>
                </Routes>
            </main>
        </div>
    }
}

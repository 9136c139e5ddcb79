//! The 家站通 UI: Leptos (client-side rendered) in the Tauri webview, phone layout first.
//!
//! Screens (tabs): the activity register (activities of every kind), the activity form
//! (new or edit, with the record's history), and sync. All data comes through [`api`]; all text through [`i18n`].

mod api;
mod campaigns;
mod consultation;
mod department;
mod form;
mod home;
mod i18n;
mod opinions;
mod photos;
mod settings;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::{use_location, use_navigate, use_params_map};
use leptos_router::path;
use shared::{
    ActivityFilter, ActivityInput, ActivityKind, ActivitySummary, AppError, Deputy, Field,
    FieldError, HistoryEntry, MAX_SUMMARY_CHARS, Role, Station, SyncProgress, SyncStatus,
};

use i18n::{app_error, enum_label, field_label, kind_label, t, tf};

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
            _ => Tab::Home,
        }
    }
}

/// Navigates to `path` (from a handler; `navigate` comes from `use_navigate` in the
/// component).
fn go(navigate: &(impl Fn(&str, leptos_router::NavigateOptions) + Clone), path: &str) {
    navigate(path, leptos_router::NavigateOptions::default());
}

/// The tabs an account works with: stations record; a department answers what was
/// referred to it; the district administrator reads.
fn tabs_for(role: Option<Role>) -> Vec<(Tab, &'static str, &'static str)> {
    let home = (Tab::Home, "tab.home", "tab-home");
    let list = (Tab::List, "tab.list", "tab-list");
    let form = (Tab::Form, "tab.new", "tab-new");
    let opinions = (Tab::Opinions, "tab.opinions", "tab-opinions");
    let inbox = (Tab::Inbox, "tab.inbox", "tab-inbox");
    let campaigns = (Tab::Campaigns, "tab.campaigns", "tab-campaigns");
    let consultation = (Tab::Consultation, "tab.consultation", "tab-consultation");
    let sync = (Tab::Sync, "tab.sync", "tab-sync");
    match role {
        Some(Role::Department) => vec![inbox, sync],
        Some(Role::DistrictAdmin) => vec![list, opinions, campaigns, consultation, sync],
        _ => vec![home, list, form, opinions, sync],
    }
}

/// State shared by the screens.
#[derive(Clone, Copy)]
struct Ctx {
    activities: RwSignal<Vec<ActivitySummary>>,
    stations: RwSignal<Vec<Station>>,
    status: RwSignal<Option<SyncStatus>>,
}

impl Ctx {
    /// Syncs in the background and reloads. Offline is normal: the record stays pending
    /// and the sync page shows why.
    fn sync_in_background(self) {
        spawn_local(async move {
            let _ = api::sync_now().await;
            self.refresh();
        });
    }

    /// Reloads everything the screens list from the local store.
    fn refresh(self) {
        spawn_local(async move {
            if let Ok(m) = api::list_activities(&ActivityFilter::default()).await {
                self.activities.set(m);
            }
            if let Ok(s) = api::stations().await {
                self.stations.set(s);
            }
            if let Ok(s) = api::sync_status().await {
                self.status.set(Some(s));
            }
        });
    }
}

fn main() {
    console_error_panic_hook::set_once();
    // The device's language first, so every text is drawn in it. (Leptos's own executor
    // starts with the mount.)
    wasm_bindgen_futures::spawn_local(async {
        if let Ok(language) = api::language().await {
            i18n::set_language(language);
        }
        mount_to_body(App);
    });
}

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
    let ctx = Ctx {
        activities: RwSignal::new(vec![]),
        stations: RwSignal::new(vec![]),
        status: RwSignal::new(None),
    };
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
        <Router>
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
    let current = Memo::new(move |_| Tab::of_path(&location.pathname.get()));
    let role = Memo::new(move |_| ctx.status.get().and_then(|s| s.account).map(|a| a.role));
    // A screen the account does not have (after signing in as someone else): its first.
    Effect::new(move |_| {
        let tabs = tabs_for(role.get());
        // Settings from the header, for everyone; stations reach campaigns from home.
        let reachable = current.get() == Tab::Settings
            || (matches!(current.get(), Tab::Campaigns | Tab::Consultation)
                && role.get() != Some(Role::Department));
        if !reachable && !tabs.iter().any(|(tab, ..)| *tab == current.get()) {
            go(&navigate, tabs[0].0.path());
        }
    });
    let tab_link = move |tab: Tab, key: &'static str, id: &'static str| {
        view! {
            <a
                href=tab.path()
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
                    href="/settings"
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
            <nav class="tabs" aria-label=t("app.title")>
                {move || {
                    tabs_for(role.get())
                        .into_iter()
                        .map(|(tab, key, id)| tab_link(tab, key, id))
                        .collect_view()
                }}
            </nav>
            <main class="content">
                <Routes fallback=|| view! { <home::HomePage/> }>
                    <Route path=path!("/") view=home::HomePage/>
                    <Route path=path!("/activities") view=ActivityList/>
                    <Route path=path!("/activities/new") view=ActivityForm/>
                    <Route path=path!("/activities/:id") view=ActivityForm/>
                    <Route path=path!("/opinions") view=opinions::OpinionsPage/>
                    <Route path=path!("/inbox") view=department::InboxPage/>
                    <Route path=path!("/campaigns") view=campaigns::CampaignsPage/>
                    <Route path=path!("/consultation") view=consultation::ConsultationPage/>
                    <Route path=path!("/settings") view=settings::SettingsPage/>
                    <Route path=path!("/sync") view=SyncPage/>
                </Routes>
            </main>
        </div>
    }
}

/// Server address, user name and password. Used on first start and, after a session
/// ends, on the sync page.
#[component]
fn SignInForm() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let server = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let running = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    spawn_local(async move {
        if let Ok(url) = api::default_server().await {
            server.set(url);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if running.get_untracked() {
            return;
        }
        if username.get_untracked().trim().is_empty() || password.get_untracked().is_empty() {
            error.set(Some(t("signin.missing")));
            return;
        }
        running.set(true);
        error.set(None);
        spawn_local(async move {
            let r = api::sign_in(
                &server.get_untracked(),
                &username.get_untracked(),
                &password.get_untracked(),
            )
            .await;
            running.set(false);
            match r {
                Ok(_) => {
                    password.set(String::new());
                    ctx.refresh();
                    ctx.sync_in_background();
                }
                Err(e) => error.set(Some(app_error(&e))),
            }
        });
    };
    // A labelled input bound to `value`.
    let field = |id: &'static str,
                 label: &'static str,
                 kind: &'static str,
                 autocomplete: &'static str,
                 value: RwSignal<String>| {
        view! {
            <label for=id>{t(label)}</label>
            <input
                id=id
                type=kind
                autocomplete=autocomplete
                autocapitalize="none"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        }
    };
    view! {
        <form class="sign-in" on:submit=submit aria-labelledby="sign-in-title" novalidate>
            <h2 id="sign-in-title">{t("signin.title")}</h2>
            {field("server-address", "signin.server", "url", "url", server)}
            {field("username", "signin.username", "text", "username", username)}
            {field("password", "signin.password", "password", "current-password", password)}
            {move || {
                error
                    .get()
                    .map(|e| view! { <p class="message error" role="alert" id="sign-in-error">{e}</p> })
            }}
            <button id="sign-in" type="submit" class="primary" disabled=move || running.get()>
                {move || if running.get() { t("signin.running") } else { t("signin.submit") }}
            </button>
        </form>
    }
}

#[component]
fn ActivityList() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let navigate = StoredValue::new_local(use_navigate());
    let edit = move |id: String| navigate.with_value(|n| go(n, &format!("/activities/{id}")));
    // Filters: kind, station, a date range. Empty means all.
    let kind = RwSignal::new(String::new());
    let station = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let stations = RwSignal::new(Vec::<Station>::new());
    spawn_local(async move {
        if let Ok(s) = api::all_stations().await {
            stations.set(s);
        }
    });
    let list = RwSignal::new(Vec::<ActivitySummary>::new());
    let filtered = move || {
        !(kind.get().is_empty()
            && station.get().is_empty()
            && from.get().is_empty()
            && to.get().is_empty())
    };
    // Again whenever a filter changes, or the records do (a save, a sync).
    Effect::new(move |_| {
        ctx.activities.track();
        let filter = ActivityFilter {
            kind: serde_json::from_value(serde_json::Value::String(kind.get())).ok(),
            station_id: Some(station.get()).filter(|s| !s.is_empty()),
            from: from.get().parse().ok(),
            to: to.get().parse().ok(),
            limit: None,
        };
        spawn_local(async move {
            if let Ok(l) = api::list_activities(&filter).await {
                list.set(l);
            }
        });
    });
    let clear = move |_| {
        kind.set(String::new());
        station.set(String::new());
        from.set(String::new());
        to.set(String::new());
    };
    view! {
        <section aria-labelledby="list-title">
            <h2 id="list-title">{t("list.title")}</h2>
            <div class="filters" id="filters">
                <label>
                    <span>{t("filter.kind")}</span>
                    <select id="filter-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                        <option value="" selected=move || kind.get().is_empty()>{t("filter.all")}</option>
                        {ActivityKind::ALL
                            .into_iter()
                            .map(|k| {
                                let value = i18n::snake(&k);
                                let v = value.clone();
                                view! {
                                    <option value=value selected=move || kind.get() == v>
                                        {kind_label(k)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    <span>{t("filter.station")}</span>
                    <select id="filter-station" on:change=move |ev| station.set(event_target_value(&ev))>
                        <option value="" selected=move || station.get().is_empty()>{t("filter.all")}</option>
                        <For
                            each=move || stations.get()
                            key=|s| s.id.clone()
                            children=move |s: Station| {
                                let id = s.id.clone();
                                view! {
                                    <option value=s.id.clone() selected=move || station.get() == id>
                                        {s.name.clone()}
                                    </option>
                                }
                            }
                        />
                    </select>
                </label>
                <label>
                    <span>{t("filter.from")}</span>
                    <input
                        id="filter-from"
                        type="date"
                        prop:value=move || from.get()
                        on:input=move |ev| from.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    <span>{t("filter.to")}</span>
                    <input
                        id="filter-to"
                        type="date"
                        prop:value=move || to.get()
                        on:input=move |ev| to.set(event_target_value(&ev))
                    />
                </label>
                <Show when=filtered>
                    <button type="button" id="filter-clear" class="link" on:click=clear>
                        {t("filter.clear")}
                    </button>
                </Show>
            </div>
            <p class="totals" id="list-totals">
                {move || {
                    let l = list.get();
                    let voters: u32 = l.iter().map(|m| m.voters_received).sum();
                    tf("list.totals", &[("n", &l.len().to_string()), ("voters", &voters.to_string())])
                }}
            </p>
            <Show
                when=move || !list.get().is_empty()
                fallback=move || {
                    let key = if filtered() { "list.none_match" } else { "list.empty" };
                    view! { <p class="empty">{t(key)}</p> }
                }
            >
                <ul class="records" id="meeting-list">
                    <For
                        each=move || list.get()
                        key=|m| (m.id.clone(), m.voters_received, m.summary.clone(), m.pending_sync)
                        children=move |m: ActivitySummary| {
                            let id = m.id.clone();
                            view! {
                                <li class="record" data-id=m.id.clone()>
                                    <div class="record-head">
                                        <span class="date">{m.date.to_string()}</span>
                                        <span class="kind">{kind_label(m.kind)}</span>
                                        <span class="station">{m.station_name.clone()}</span>
                                        {m.pending_sync
                                            .then(|| view! { <span class="badge">{t("list.pending")}</span> })}
                                    </div>
                                    <p class="voters">
                                        {tf("list.voters", &[("n", &m.voters_received.to_string())])}
                                    </p>
                                    <p class="deputies">
                                        {tf("list.deputies", &[("names", &m.deputy_names.join("、"))])}
                                    </p>
                                    <p class="summary">{m.summary.clone()}</p>
                                    <button class="link" on:click=move |_| edit(id.clone())>
                                        {t("list.edit")}
                                    </button>
                                </li>
                            }
                        }
                    />
                </ul>
            </Show>
        </section>
    }
}

#[component]
fn ActivityForm() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let navigate = use_navigate();
    // The activity being edited (`/activities/:id`); `None` for a new one.
    let params = use_params_map();
    let editing = Memo::new(move |_| params.with(|p| p.get("id")));
    let kind = RwSignal::new(ActivityKind::VoterMeeting);
    let online = RwSignal::new(false);
    let location = RwSignal::new(String::new());
    // Fields this form does not edit (guests, campaign, draft) ride along, so saving an
    // edit never clears them.
    let rest = RwSignal::new(ActivityInput::default());
    let photos = RwSignal::new(Vec::<String>::new());
    let station_id = RwSignal::new(String::new());
    // The roster follows the chosen station.
    let roster = form::roster_of(station_id);
    let date = RwSignal::new(today());
    let deputy_ids = RwSignal::new(Vec::<String>::new());
    let voters = RwSignal::new(String::new());
    let summary = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let message = RwSignal::new(None::<(bool, String)>);
    let saving = RwSignal::new(false);
    let history = RwSignal::new(Vec::<HistoryEntry>::new());
    // True once a new form holds its draft (or defaults), so keeping drafts can start.
    let draft_ready = RwSignal::new(false);

    // Puts a stored record or a draft into the form's fields.
    let fill = move |input: ActivityInput| {
        kind.set(input.kind);
        online.set(input.online);
        location.set(input.location.clone());
        station_id.set(input.station_id.clone());
        date.set(input.date.clone());
        deputy_ids.set(input.deputy_ids.clone());
        voters.set(input.voters_received.clone());
        summary.set(input.summary.clone());
        photos.set(input.photos.clone());
        rest.set(input);
    };
    // Load the record being edited, or pre-fill a new one.
    Effect::new(move |_| {
        let editing = editing.get();
        errors.set(vec![]);
        message.set(None);
        match editing {
            Some(id) => spawn_local(async move {
                history.set(api::history("activity", &id).await.unwrap_or_default());
                match api::get_activity(&id).await {
                    Ok(m) => fill(m),
                    Err(e) => message.set(Some((false, app_error(&e)))),
                }
            }),
            None => {
                history.set(vec![]);
                draft_ready.set(false);
                spawn_local(async move {
                    // What was typed before the app closed comes back; else defaults.
                    let draft =
                        api::load_draft()
                            .await
                            .ok()
                            .flatten()
                            .unwrap_or_else(|| ActivityInput {
                                station_id: ctx
                                    .stations
                                    .get_untracked()
                                    .first()
                                    .map(|s| s.id.clone())
                                    .unwrap_or_default(),
                                date: today(),
                                // A deputy records their own meeting: "me" is ticked.
                                deputy_ids: ctx
                                    .status
                                    .get_untracked()
                                    .and_then(|s| s.account)
                                    .and_then(|a| a.deputy_id)
                                    .into_iter()
                                    .collect(),
                                ..ActivityInput::default()
                            });
                    fill(draft);
                    draft_ready.set(true);
                });
            }
        }
    });
    // Every change to a new form is kept as its draft, so closing the app loses nothing.
    Effect::new(move |_| {
        let input = ActivityInput {
            kind: kind.get(),
            station_id: station_id.get(),
            date: date.get(),
            deputy_ids: deputy_ids.get(),
            voters_received: voters.get(),
            online: online.get(),
            location: location.get(),
            summary: summary.get(),
            photos: photos.get(),
            ..rest.get()
        };
        if draft_ready.get() && editing.get_untracked().is_none() {
            spawn_local(async move {
                let _ = api::save_draft(&input).await;
            });
        }
    });
    // A new device learns its stations on first sync: pick one when they arrive.
    Effect::new(move |_| {
        let stations = ctx.stations.get();
        if station_id.get_untracked().is_empty()
            && let Some(s) = stations.first()
        {
            station_id.set(s.id.clone());
        }
    });

    let error_for = move |field: Field| crate::form::error_for(errors, field);
    let invalid = move |field: Field| crate::form::invalid(errors, field);

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = ActivityInput {
            kind: kind.get_untracked(),
            station_id: station_id.get_untracked(),
            date: date.get_untracked(),
            deputy_ids: deputy_ids.get_untracked(),
            voters_received: voters.get_untracked(),
            online: online.get_untracked(),
            location: location.get_untracked(),
            summary: summary.get_untracked(),
            photos: photos.get_untracked(),
            ..rest.get_untracked()
        };
        let editing = editing.get_untracked();
        let navigate = navigate.clone();
        form::submit(
            saving,
            errors,
            move |m| {
                message.set(Some((false, m)));
                // The summary of what to fix sits at the top of the form.
                if let Some(w) = web_sys::window() {
                    w.scroll_to_with_x_and_y(0.0, 0.0);
                }
            },
            async move { api::save_activity(editing.as_deref(), &input).await },
            move |_| {
                ctx.refresh();
                go(&navigate, Tab::List.path());
                ctx.sync_in_background();
            },
        );
    };

    let title = move || {
        if editing.get().is_some() {
            t("form.title.edit")
        } else {
            t("form.title.new")
        }
    };
    let required = crate::form::required;

    view! {
        <form class="form" on:submit=save novalidate aria-labelledby="form-title">
            <h2 id="form-title">{title}</h2>
            {move || {
                message
                    .get()
                    .map(|(ok, text)| {
                        view! {
                            <p class="message" class:ok=ok class:error=!ok role="status" id="form-message">
                                {text}
                            </p>
                        }
                    })
            }}
            <div class="field">
                <label for="kind">{t("form.kind")} {required()}</label>
                <select
                    id="kind"
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if let Some(k) = ActivityKind::ALL.into_iter().find(|k| kind_key(*k) == v) {
                            kind.set(k);
                        }
                    }
                >
                    {ActivityKind::ALL
                        .into_iter()
                        .map(|k| {
                            view! {
                                <option value=kind_key(k) selected=move || kind.get() == k>
                                    {kind_label(k)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field" class:invalid=invalid(Field::Station)>
                <label for="station">{t("form.station")} {required()}</label>
                <Show
                    when=move || !ctx.stations.get().is_empty()
                    fallback=|| view! { <p class="hint">{t("form.station.none")}</p> }
                >
                    <select
                        id="station"
                        prop:value=move || station_id.get()
                        on:change=move |ev| {
                            station_id.set(event_target_value(&ev));
                            deputy_ids.set(vec![]);
                        }
                    >
                        <option value="">{t("form.station.choose")}</option>
                        <For
                            each=move || ctx.stations.get()
                            key=|s| s.id.clone()
                            children=move |s: Station| {
                                let id = s.id.clone();
                                view! {
                                    <option
                                        value=s.id.clone()
                                        selected=move || station_id.get() == id
                                    >
                                        {s.name.clone()}
                                    </option>
                                }
                            }
                        />
                    </select>
                </Show>
                {error_for(Field::Station)}
            </div>
            <div class="field" class:invalid=invalid(Field::Date)>
                <label for="date">{t("form.date")} {required()}</label>
                <input
                    id="date"
                    type="date"
                    prop:value=move || date.get()
                    on:input=move |ev| date.set(event_target_value(&ev))
                />
                {error_for(Field::Date)}
            </div>
            <fieldset class="field" class:invalid=invalid(Field::Deputies)>
                <legend>{t("form.deputies")} {required()}</legend>
                <Show
                    when=move || !roster.get().is_empty()
                    fallback=|| view! { <p class="hint">{t("form.deputies.none")}</p> }
                >
                    <div class="chips" id="deputies">
                        <For
                            each=move || roster.get()
                            key=|d| d.id.clone()
                            children=move |d: Deputy| {
                                let id = d.id.clone();
                                let id2 = d.id.clone();
                                view! {
                                    <label class="chip">
                                        <input
                                            type="checkbox"
                                            name="deputy"
                                            value=d.id.clone()
                                            prop:checked=move || deputy_ids.get().contains(&id)
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                let id = id2.clone();
                                                deputy_ids.update(|ids| {
                                                    ids.retain(|x| *x != id);
                                                    if on {
                                                        ids.push(id);
                                                    }
                                                });
                                            }
                                        />
                                        <span>{d.name.clone()}</span>
                                    </label>
                                }
                            }
                        />
                    </div>
                </Show>
                {error_for(Field::Deputies)}
            </fieldset>
            <div class="field" class:invalid=invalid(Field::VotersReceived)>
                <label for="voters">{t("form.voters")} {required()}</label>
                <input
                    id="voters"
                    type="text"
                    inputmode="numeric"
                    autocomplete="off"
                    prop:value=move || voters.get()
                    on:input=move |ev| voters.set(event_target_value(&ev))
                />
                // Counting heads at the door: one tap per few voters.
                <div class="quick-count" role="group" aria-label=t("form.voters")>
                    {[1u32, 5, 10]
                        .into_iter()
                        .map(|n| {
                            view! {
                                <button
                                    type="button"
                                    class="chip-button"
                                    id=format!("voters-plus-{n}")
                                    on:click=move |_| {
                                        voters.update(|v| {
                                            let now: u32 = v.trim().parse().unwrap_or(0);
                                            *v = now.saturating_add(n).to_string();
                                        })
                                    }
                                >
                                    {format!("+{n}")}
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
                {error_for(Field::VotersReceived)}
            </div>
            <div class="field check">
                <label>
                    <input
                        id="online"
                        type="checkbox"
                        prop:checked=move || online.get()
                        on:change=move |ev| online.set(event_target_checked(&ev))
                    />
                    {t("form.online")}
                </label>
            </div>
            <div class="field" class:invalid=invalid(Field::Location)>
                <label for="location">{t("form.location")}</label>
                <input
                    id="location"
                    type="text"
                    autocomplete="off"
                    prop:value=move || location.get()
                    on:input=move |ev| location.set(event_target_value(&ev))
                />
                {error_for(Field::Location)}
            </div>
            <div class="field" class:invalid=invalid(Field::Summary)>
                <label for="summary">{t("form.summary")} {required()}</label>
                <textarea
                    id="summary"
                    rows="4"
                    placeholder=t("form.summary.placeholder")
                    prop:value=move || summary.get()
                    on:input=move |ev| summary.set(event_target_value(&ev))
                ></textarea>
                <p class="counter">
                    {move || {
                        tf(
                            "form.summary.count",
                            &[
                                ("n", &summary.get().trim().chars().count().to_string()),
                                ("max", &MAX_SUMMARY_CHARS.to_string()),
                            ],
                        )
                    }}
                </p>
                {error_for(Field::Summary)}
            </div>
            <photos::PhotoField
                photos=photos
                activity_id=Signal::derive(move || editing.get())
                errors=errors
            />
            <div class="actions">
                <button type="submit" id="save" class="primary" disabled=move || saving.get()>
                    {move || if editing.get().is_some() { t("form.save_edit") } else { t("form.save") }}
                </button>
            </div>
            <Show when=move || !history.get().is_empty()>
                <History entries=history/>
            </Show>
        </form>
    }
}

/// The stable key of an activity kind (its snake_case name), for `<option value>`.
fn kind_key(k: ActivityKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A record's change history, newest first.
#[component]
fn History(entries: RwSignal<Vec<HistoryEntry>>) -> impl IntoView {
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
                                            let label = |v: &String| {
                                                if c.field == Field::Kind {
                                                    t(&format!("kind.{v}"))
                                                } else {
                                                    v.clone()
                                                }
                                            };
                                            values
                                                .iter()
                                                .map(label)
                                                .collect::<Vec<_>>()
                                                .join(&t("history.separator"))
                                        };
                                        let old = c.old.as_deref().map_or_else(|| t("history.empty"), show);
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

#[component]
fn SyncPage() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let running = RwSignal::new(false);
    let result = RwSignal::new(None::<(bool, String)>);
    let progress = RwSignal::new(None::<SyncProgress>);
    let sync = move |_| {
        if running.get_untracked() {
            return;
        }
        running.set(true);
        result.set(None);
        progress.set(None);
        // While it runs, what has arrived so far (a large catch-up takes a while).
        let poll = set_interval_with_handle(
            move || {
                spawn_local(async move {
                    if let Ok(p) = api::sync_progress().await
                        && p.running
                    {
                        progress.set(Some(p));
                    }
                })
            },
            std::time::Duration::from_millis(300),
        )
        .ok();
        spawn_local(async move {
            let r = api::sync_now().await;
            if let Some(poll) = poll {
                poll.clear();
            }
            progress.set(None);
            result.set(Some(match r {
                Ok(r) => (
                    r.refused_changes == 0,
                    tf(
                        if r.refused_changes == 0 {
                            "sync.done"
                        } else {
                            "sync.done_refused"
                        },
                        &[
                            ("sent", &r.sent_changes.to_string()),
                            ("received", &r.received_changes.to_string()),
                            ("refused", &r.refused_changes.to_string()),
                        ],
                    ),
                ),
                Err(e) => (false, app_error(&e)),
            }));
            running.set(false);
            ctx.refresh();
        });
    };
    let sign_out = move |_| {
        spawn_local(async move {
            let _ = api::sign_out().await;
            ctx.refresh();
        });
    };
    let session_ended = move || {
        ctx.status
            .get()
            .is_some_and(|s| s.last_error == Some(AppError::SessionExpired))
    };
    view! {
        <section class="sync" aria-labelledby="sync-title">
            <h2 id="sync-title">{t("sync.title")}</h2>
            <dl>
                <dt>{t("sync.account")}</dt>
                <dd id="account">
                    {move || {
                        ctx.status
                            .get()
                            .and_then(|s| s.account)
                            .map(|a| format!("{}（{}）", a.display_name, enum_label("role", &a.role)))
                            .unwrap_or_else(|| t("sync.signed_out"))
                    }}
                </dd>
                <dt>{t("sync.server")}</dt>
                <dd id="server-url">{move || ctx.status.get().map(|s| s.server_url)}</dd>
                <dt>{t("sync.last")}</dt>
                <dd id="last-sync">
                    {move || {
                        ctx.status
                            .get()
                            .and_then(|s| s.last_success)
                            .map(|s| s.replace('T', " ").chars().take(19).collect::<String>())
                            .unwrap_or_else(|| t("sync.never"))
                    }}
                </dd>
                <dt>{t("sync.pending")}</dt>
                <dd id="pending-records">
                    {move || ctx.status.get().map(|s| s.pending_records).unwrap_or(0)}
                </dd>
                {move || {
                    ctx.status
                        .get()
                        .map(|s| s.refused_records)
                        .filter(|n| *n > 0)
                        .map(|n| {
                            view! {
                                <dt>{t("sync.refused")}</dt>
                                <dd id="refused-records" class="error">{n}</dd>
                            }
                        })
                }}
            </dl>
            {move || {
                ctx.status
                    .get()
                    .is_some_and(|s| s.refused_records > 0)
                    .then(|| {
                        view! {
                            <p class="message error" id="refused-hint">{t("sync.refused_hint")}</p>
                            <button
                                id="discard-refused"
                                class="link"
                                on:click=move |_| {
                                    let sure = web_sys::window()
                                        .and_then(|w| w.confirm_with_message(&t("sync.discard_confirm")).ok())
                                        .unwrap_or(false);
                                    if sure {
                                        spawn_local(async move {
                                            let _ = api::discard_refused().await;
                                            ctx.refresh();
                                        });
                                    }
                                }
                            >
                                {t("sync.discard")}
                            </button>
                        }
                    })
            }}
            {move || {
                ctx.status
                    .get()
                    .and_then(|s| s.last_error)
                    .filter(|_| result.get().is_none())
                    .map(|e| {
                        view! {
                            <p class="message error">{t("sync.last_error")} "：" {app_error(&e)}</p>
                        }
                    })
            }}
            {move || {
                result
                    .get()
                    .map(|(ok, text)| {
                        view! {
                            <p class="message" class:ok=ok class:error=!ok role="status" id="sync-message">
                                {text}
                            </p>
                        }
                    })
            }}
            {move || {
                progress
                    .get()
                    .map(|p| {
                        view! {
                            <p class="message" role="status" id="sync-progress">
                                {tf(
                                    "sync.progress",
                                    &[
                                        ("trips", &p.round_trips.to_string()),
                                        ("changes", &p.received_changes.to_string()),
                                        ("documents", &p.received_documents.to_string()),
                                        ("kb", &(p.received_bytes / 1024).to_string()),
                                    ],
                                )}
                            </p>
                        }
                    })
            }}
            <button id="sync-now" class="primary" on:click=sync disabled=move || running.get()>
                {move || if running.get() { t("sync.running") } else { t("sync.now") }}
            </button>
            <Show when=session_ended>
                <SignInForm/>
            </Show>
            <button id="sign-out" class="link" on:click=sign_out>{t("sync.sign_out")}</button>
        </section>
    }
}

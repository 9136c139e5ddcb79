//! The home screen: what the account should do now. The deputies' rhythm
//! ("月进站、季回家、年述职") for this month, quarter and year, each deputy opening their
//! duty record; opinions waiting on the station (to refer, to feed back, overdue); what
//! has not been sent; the latest records; links to the statistics and the suggestions
//! (and, for a deputy, to their own duty record).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{ActivityFilter, ActivitySummary, DeputyRhythm, Home};

use crate::i18n::{kind_label, t, tf, tn};
use leptos_router::hooks::use_navigate;

use crate::links::ymd;
use crate::{Ctx, Tab, api, go, today};

#[component]
pub fn HomePage() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let navigate = use_navigate();
    let to_form = navigate.clone();
    let home = RwSignal::new(None::<Home>);
    // Again whenever the data may have changed (a save, a sync).
    Effect::new(move |_| {
        ctx.data_version.track();
        spawn_local(async move {
            if let Ok(h) = api::home().await {
                home.set(Some(h));
            }
        });
    });
    let tile = move |id: &'static str,
                     key: &'static str,
                     n: fn(&Home) -> u64,
                     to: Tab,
                     alert: bool| {
        let navigate = navigate.clone();
        view! {
            <button
                id=id
                class="tile"
                class:alert=move || alert && home.get().as_ref().is_some_and(|h| n(h) > 0)
                on:click=move |_| go(&navigate, to.path())
            >
                <span class="count">{move || home.get().as_ref().map_or(0, n)}</span>
                <span class="what">{move || tn(key, home.get().as_ref().map_or(0, n), &[])}</span>
            </button>
        }
    };
    let (this_year, _, _) = ymd(&today()).unwrap_or((2022, 1, 1));
    // A deputy's own account: their duty record, of the year of their newest activity
    // (this year's once they have one).
    let own_id = move || {
        ctx.status
            .get()
            .and_then(|s| s.account)
            .and_then(|a| a.deputy_id)
    };
    // Known once the newest activity was looked up (the link waits for it).
    let record_year = RwSignal::new(None::<i32>);
    Effect::new(move |_| {
        ctx.data_version.track();
        let Some(id) = own_id() else {
            return;
        };
        spawn_local(async move {
            let newest = api::list_activities(&ActivityFilter {
                deputy_id: Some(id),
                limit: Some(1),
                ..ActivityFilter::default()
            })
            .await
            .ok()
            .and_then(|l| l.first().and_then(|a| ymd(&a.date.to_string())))
            .map(|(y, _, _)| y);
            record_year.set(Some(newest.map_or(this_year, |y| y.min(this_year))));
        });
    });
    let own_record = move || {
        let year = record_year.get()?;
        own_id().map(|id| crate::links::href(&format!("/deputy/{id}/{year}")))
    };
    let mark = |done: bool, key: &'static str| {
        view! {
            <td class=if done { "done" } else { "missing" } title=t(key) aria-label=t(key)>
                {if done { "✓" } else { "—" }}
            </td>
        }
    };
    view! {
        <section aria-labelledby="home-title" id="home">
            <h2 id="home-title">{t("home.title")}</h2>
            <div class="tiles">
                {tile("home-to-refer", "home.to_refer", |h| h.to_refer, Tab::Opinions, false)}
                {tile("home-to-feed-back", "home.to_feed_back", |h| h.to_feed_back, Tab::Opinions, false)}
                {tile("home-overdue", "home.overdue", |h| h.overdue, Tab::Opinions, true)}
                {tile("home-pending", "home.pending", |h| h.pending_records, Tab::Sync, false)}
            </div>
            <p class="home-links">
                <a href=crate::links::href("/campaigns") id="home-campaigns" class="link">{t("home.campaigns")} " →"</a>
                <a href=crate::links::href("/consultation") id="home-consultation" class="link">
                    {t("home.consultation")} " →"
                </a>
                // A station's own account, or its street's or town's, prints its poster.
                <Show when=move || !ctx.stations.get().is_empty()>
                    <a href=crate::links::href("/poster") id="home-poster" class="link">{t("home.poster")} " →"</a>
                </Show>
                <a href=crate::links::href("/stats") id="home-stats" class="link">{t("home.stats")} " →"</a>
                <a href=crate::links::href("/suggestions") id="home-suggestions" class="link">
                    {t("home.suggestions")} " →"
                </a>
                {move || {
                    own_record()
                        .map(|href| {
                            view! {
                                <a href=href id="home-my-record" class="link">
                                    {t("home.my_record")} " →"
                                </a>
                            }
                        })
                }}
            </p>
            <h3>{t("home.rhythm")}</h3>
            <Show
                when=move || home.get().is_some_and(|h| !h.rhythm.is_empty())
                fallback=|| view! { <p class="empty">{t("home.no_deputies")}</p> }
            >
                <table class="rhythm" id="rhythm">
                    <thead>
                        <tr>
                            <th scope="col">{t("home.deputy")}</th>
                            <th scope="col">{t("home.month")}</th>
                            <th scope="col">{t("home.quarter")}</th>
                            <th scope="col">{t("home.year")}</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || home.get().map(|h| h.rhythm).unwrap_or_default()
                            key=|r| (r.deputy_id.clone(), r.month, r.quarter, r.year)
                            children=move |r: DeputyRhythm| {
                                view! {
                                    <tr data-deputy=r.deputy_id.clone()>
                                        <th scope="row">
                                            <a
                                                href=crate::links::href(&format!("/deputy/{}/{this_year}", r.deputy_id))
                                                class="deputy-link"
                                                title=t("home.open_record")
                                            >
                                                {r.name.clone()}
                                            </a>
                                            <span class="station">{r.station_name.clone()}</span>
                                        </th>
                                        {mark(r.month, if r.month { "home.month_done" } else { "home.month_missing" })}
                                        {mark(r.quarter, if r.quarter { "home.quarter_done" } else { "home.quarter_missing" })}
                                        {mark(r.year, if r.year { "home.year_done" } else { "home.year_missing" })}
                                    </tr>
                                }
                            }
                        />
                    </tbody>
                </table>
            </Show>
            <div class="section-head">
                <h3>{t("home.recent")}</h3>
                <button id="home-new" class="secondary" on:click=move |_| go(&to_form, Tab::Form.path())>
                    {t("tab.new")}
                </button>
            </div>
            <Show
                when=move || home.get().is_some_and(|h| !h.recent.is_empty())
                fallback=|| view! { <p class="empty">{t("list.empty")}</p> }
            >
                <ul class="recent" id="recent">
                    <For
                        each=move || home.get().map(|h| h.recent).unwrap_or_default()
                        key=|m| (m.id.clone(), m.summary.clone(), m.pending_sync)
                        children=move |m: ActivitySummary| {
                            view! {
                                <li>
                                    <span class="date">{m.date.to_string()}</span>
                                    " "
                                    <span class="kind">{kind_label(m.kind)}</span>
                                    " · "
                                    <span class="station">{m.station_name.clone()}</span>
                                    {m.pending_sync
                                        .then(|| view! { <span class="badge">{t("list.pending")}</span> })}
                                    <p class="summary">{m.summary.clone()}</p>
                                    <p class="voters">
                                        {tf("list.voters", &[("n", &m.voters_received.to_string())])}
                                    </p>
                                </li>
                            }
                        }
                    />
                </ul>
            </Show>
        </section>
    }
}

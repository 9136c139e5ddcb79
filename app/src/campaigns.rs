//! Campaigns (专题活动, e.g. 回家站听意见): each one's window and the progress of every
//! station it covers — activities, voters received, deputy attendances, opinions.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{Campaign, CampaignProgress};

use crate::i18n::{kind_label, t, tn};
use crate::{Ctx, api};

#[component]
pub fn CampaignsPage() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let campaigns = RwSignal::new(Vec::<Campaign>::new());
    let loaded = RwSignal::new(false);
    // Again whenever the data may have changed (a save, a sync).
    Effect::new(move |_| {
        ctx.data_version.track();
        spawn_local(async move {
            if let Ok(c) = api::campaigns().await {
                campaigns.set(c);
            }
            loaded.set(true);
        });
    });
    view! {
        <section aria-labelledby="campaigns-title">
            <h2 id="campaigns-title">{t("campaigns.title")}</h2>
            <Show
                when=move || !campaigns.get().is_empty()
                fallback=move || {
                    loaded.get().then(|| view! { <p class="empty">{t("campaigns.empty")}</p> })
                }
            >
                <For
                    each=move || campaigns.get()
                    key=|c| c.id.clone()
                    children=move |c: Campaign| view! { <CampaignCard campaign=c/> }
                />
            </Show>
        </section>
    }
}

#[component]
fn CampaignCard(campaign: Campaign) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let progress = RwSignal::new(Vec::<CampaignProgress>::new());
    let id = StoredValue::new(campaign.id.clone());
    Effect::new(move |_| {
        ctx.data_version.track();
        spawn_local(async move {
            if let Ok(p) = api::campaign_progress(&id.get_value()).await {
                progress.set(p);
            }
        });
    });
    let done = move || progress.get().iter().filter(|p| p.activities > 0).count();
    let total = move || progress.get().len();
    view! {
        <article class="card campaign" data-id=campaign.id.clone()>
            <h3>{campaign.name.clone()}</h3>
            <p class="window">
                {kind_label(campaign.activity_kind)} " · " {campaign.starts.to_string()} " — "
                {campaign.ends.to_string()}
            </p>
            <p class="campaign-done">
                {move || {
                    tn(
                        "campaigns.done",
                        total() as u64,
                        &[("done", &done().to_string()), ("total", &total().to_string())],
                    )
                }}
            </p>
            <table class="progress">
                <thead>
                    <tr>
                        <th scope="col">{t("field.station")}</th>
                        <th scope="col">{t("campaigns.activities")}</th>
                        <th scope="col">{t("campaigns.voters")}</th>
                        <th scope="col">{t("campaigns.attendances")}</th>
                        <th scope="col">{t("campaigns.opinions")}</th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || progress.get()
                        key=|p| (p.station_id.clone(), p.activities, p.voters_received, p.opinions)
                        children=move |p: CampaignProgress| {
                            view! {
                                <tr data-station=p.station_id.clone() class:missing=p.activities == 0>
                                    <th scope="row">{p.station_name.clone()}</th>
                                    <td>{p.activities}</td>
                                    <td>{p.voters_received}</td>
                                    <td>{p.attendances}</td>
                                    <td>{p.opinions}</td>
                                </tr>
                            }
                        }
                    />
                </tbody>
            </table>
        </article>
    }
}

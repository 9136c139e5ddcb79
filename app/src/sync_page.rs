//! The sync page: account, server, last sync, pending and refused records, a sync's
//! progress, sign out (and the sign-in form again when the session has ended).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{AppError, SyncProgress};

use crate::i18n::{app_error, labelled, t, tf, tn};
use crate::sign_in::SignInForm;
use crate::{Ctx, api};

#[component]
pub fn SyncPage() -> impl IntoView {
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
        spawn_local(async move {
            // While it runs, what has arrived so far (a large catch-up takes a while).
            let r = crate::ctx::sync_watched(progress).await;
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
            <crate::web_notices::StorageNotice/>
            <dl>
                <dt>{t("sync.account")}</dt>
                <dd id="account">
                    {move || {
                        ctx.account_line()
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
                            <p class="message error">{labelled("sync.last_error", &app_error(&e))}</p>
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
                                        ("changes", &tn("sync.changes", p.received_changes, &[])),
                                        ("documents", &tn("sync.documents", p.received_documents, &[])),
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

//! The core as the app's screens call it: a store, its sync client, and the answer to
//! each [`Command`]. The desktop shell (Tauri) and the core's worker in a phone's browser
//! both hold one [`Core`] and pass it what the UI sends; neither has a command of its
//! own beyond handing bytes over (a save dialog, a download).

use std::sync::{Mutex, MutexGuard};

use serde::Serialize;

use crate::command::Command;
use crate::model::AppError;
use crate::{Store, SyncClient, local_today};

/// What a command answers: a value (as JSON) or a file's bytes (a photo, a poster, an
/// export), which travel as they are.
#[derive(Debug)]
pub enum Answer {
    Value(serde_json::Value),
    Bytes(Vec<u8>),
}

/// A store and the client that syncs it, behind one lock the sync client takes only
/// between network waits.
#[derive(Debug)]
pub struct Core {
    store: Mutex<Store>,
    sync: SyncClient,
    /// The server address the sign-in form offers when none is signed in.
    default_server_url: String,
    /// How this device is named to the server at sign-in.
    device_name: String,
}

fn value<T: Serialize>(result: Result<T, crate::Error>) -> Result<Answer, AppError> {
    let v = result.map_err(|e| AppError::from(&e))?;
    serde_json::to_value(v)
        .map(Answer::Value)
        .map_err(|e| AppError::Storage {
            detail: e.to_string(),
        })
}

fn bytes(result: Result<Vec<u8>, crate::Error>) -> Result<Answer, AppError> {
    result.map(Answer::Bytes).map_err(|e| AppError::from(&e))
}

impl Core {
    pub fn new(
        store: Store,
        sync: SyncClient,
        default_server_url: &str,
        device_name: &str,
    ) -> Core {
        Core {
            store: Mutex::new(store),
            sync,
            default_server_url: default_server_url.to_owned(),
            device_name: device_name.to_owned(),
        }
    }

    /// The store, for the few things a shell does with it directly (its language at
    /// start).
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps a photo just chosen; its hash, for the record's `photos`.
    pub fn stage_photo(&self, photo: &[u8]) -> Result<String, AppError> {
        Ok(self.store().stage_photo(photo)?)
    }

    /// Answers `command`.
    pub async fn call(&self, command: Command) -> Result<Answer, AppError> {
        use Command as C;
        let today = local_today();
        match command {
            C::Language => value(self.store().language()),
            C::SetLanguage { language } => value(self.store().set_language(language)),
            C::Home => value(self.store().home(today)),
            C::AllStations => value(self.store().stations()),
            C::Stations => value(self.store().writable_stations()),
            C::Subdistricts => value(self.store().subdistricts()),
            C::Deputies { station_id } => value(self.store().deputies(&station_id)),
            C::Departments => value(self.store().departments()),
            C::Campaigns => value(self.store().campaigns()),
            C::Drafts => value(self.store().drafts()),
            C::ListActivities { filter } => value(self.store().list_activities(&filter)),
            C::ActivityTotals { filter } => value(self.store().activity_totals(&filter)),
            C::GetActivity { id } => value(self.store().activity(&id)),
            C::SaveActivity { id, input } => {
                let mut store = self.store();
                value(match id {
                    Some(id) => store.update_activity(&id, &input, today).map(|()| id),
                    None => store.create_activity(&input, today),
                })
            }
            C::SaveDraft { input } => value(self.store().save_draft(&input)),
            C::LoadDraft => value(self.store().draft()),
            C::SaveFormDraft { form, draft } => value(self.store().save_form_draft(&form, &draft)),
            C::FormDraft { form } => value(self.store().form_draft(&form)),
            C::History { kind, id } => value(self.store().history(&kind, &id)),
            C::ListOpinions { filter } => value(self.store().list_opinions(&filter, today)),
            C::OpinionTotals { filter } => value(self.store().opinion_totals(&filter, today)),
            C::GetOpinion { id } => value(self.store().opinion(&id)),
            C::SaveOpinion { id, input, form } => {
                value(self.store().saving_form(form.as_deref(), |store| match id {
                    Some(id) => store.update_opinion(&id, &input, today).map(|()| id),
                    None => store.create_opinion(&input, today),
                }))
            }
            C::VoterContact { id } => value(self.store().voter_contact(&id)),
            C::WithdrawConsent { id } => value(self.store().withdraw_consent(&id)),
            C::OpinionTimeline { id } => value(self.store().opinion_timeline(&id)),
            C::ReferOpinion { input, form } => value(
                self.store()
                    .saving_form(form.as_deref(), |s| s.refer_opinion(&input, today)),
            ),
            C::AnswerReferral { input, form } => value(
                self.store()
                    .saving_form(form.as_deref(), |s| s.answer_referral(&input, today)),
            ),
            C::RecordFeedback { input, form } => value(
                self.store()
                    .saving_form(form.as_deref(), |s| s.record_feedback(&input, today)),
            ),
            C::DepartmentInbox { department_id } => {
                value(self.store().department_inbox(&department_id, today))
            }
            C::CreateRecord { kind, input, form } => {
                value(self.store().saving_form(form.as_deref(), |s| {
                    crate::registry::create_record(s, &kind, input, today)
                }))
            }
            C::Records { kind } => value(self.store().records(&kind)),
            C::Statistics { query } => value(self.store().statistics(&query, today)),
            C::DutyRecord { deputy_id, year } => value(self.store().duty_record(&deputy_id, year)),
            C::YearReport { deputy_id, year } => value(self.store().year_report(&deputy_id, year)),
            C::SaveReport { input } => value(self.store().save_report(&input, today)),
            C::ArticleCounts { draft_id } => value(self.store().article_counts(&draft_id)),
            C::CampaignProgress { id } => value(self.store().campaign_progress(&id)),
            C::SyncNow => value(self.sync.sync(&self.store).await),
            C::SyncBackground => value(self.sync.sync_if_due(&self.store).await.transpose()),
            C::SyncProgress => value(Ok(self.sync.progress())),
            C::SyncStatus => value(self.store().sync_status()),
            C::DiscardRefused => value(self.store().discard_refused()),
            C::DefaultServer => value(
                self.store()
                    .session()
                    .map(|s| s.map_or_else(|| self.default_server_url.clone(), |s| s.server_url)),
            ),
            C::SignIn {
                server_url,
                username,
                password,
            } => value(
                self.sync
                    .sign_in(
                        &self.store,
                        &server_url,
                        &username,
                        &password,
                        &self.device_name,
                    )
                    .await,
            ),
            C::SetUp {
                server_url,
                code,
                password,
            } => value(
                self.sync
                    .set_up(
                        &self.store,
                        &server_url,
                        &code,
                        &password,
                        &self.device_name,
                    )
                    .await,
            ),
            C::SignOut => value(self.sync.sign_out(&self.store).await),
            C::Photo { activity_id, hash } => {
                let local = self.store().photo(&hash);
                bytes(match (local, activity_id) {
                    (Ok(Some(photo)), _) => Ok(photo),
                    (Ok(None), Some(id)) => self.sync.fetch_photo(&self.store, &id, &hash).await,
                    (Ok(None), None) => Err(crate::Error::NotFound),
                    (Err(e), _) => Err(e),
                })
            }
            C::StationPoster { station_id, pdf } => {
                bytes(self.sync.fetch_poster(&self.store, &station_id, pdf).await)
            }
            C::RegisterFile { .. }
            | C::LedgerFile { .. }
            | C::StatisticsFile { .. }
            | C::ReportFile { .. } => self.file(command, today),
        }
    }

    /// The files coordinators hand over (xlsx, CSV, PDF), where this build makes them:
    /// the desktop's; a phone's browser leaves them to the desktop (the fonts a PDF needs
    /// and the writers' size stay out of the phone's download).
    #[cfg(feature = "export")]
    fn file(&self, command: Command, today: chrono::NaiveDate) -> Result<Answer, AppError> {
        use Command as C;
        match command {
            C::RegisterFile { filter, format } => bytes(
                self.store()
                    .register_table(&filter)
                    .and_then(|t| crate::export::table_file(t, format)),
            ),
            C::LedgerFile { filter, format } => bytes(
                self.store()
                    .ledger_table(&filter, today)
                    .and_then(|t| crate::export::table_file(t, format)),
            ),
            C::StatisticsFile { query, period } => {
                bytes(self.store().statistics(&query, today).and_then(|s| {
                    crate::export::xlsx(&crate::store::statistics_tables(&s, &period))
                }))
            }
            C::ReportFile { deputy_id, year } => {
                // Laid out outside the lock: a PDF takes a moment.
                let report = self.store().report_document(&deputy_id, year);
                bytes(
                    report.and_then(|r| {
                        crate::export::report_pdf(&r, &crate::export::CjkFont::find()?)
                    }),
                )
            }
            _ => Err(AppError::NotFound),
        }
    }

    #[cfg(not(feature = "export"))]
    fn file(&self, _: Command, _: chrono::NaiveDate) -> Result<Answer, AppError> {
        Err(AppError::NotOnThisDevice)
    }
}

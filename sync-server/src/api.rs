//! HTTP: the routes, and the single place where storage errors become statuses.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::protocol::{SYNC_PATH, SyncRequest, SyncResponse};

use crate::storage::{Storage, StorageError};

/// The largest sync request body accepted.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

pub fn router<S: Storage>(storage: S) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(SYNC_PATH, post(sync::<S>))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Bodies travel gzipped both ways when the client says so (the limit above
        // applies to the body as decompressed, so a small bomb is still refused).
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Default)
                .compress_when(tower_http::compression::predicate::SizeAbove::new(1024)),
        )
        .with_state(storage)
}

async fn sync<S: Storage>(
    State(storage): State<S>,
    Json(req): Json<SyncRequest>,
) -> Result<Json<SyncResponse>, StorageError> {
    let changes = req.changes.len();
    let response = tokio::task::spawn_blocking(move || storage.sync(&req))
        .await
        .map_err(|e| StorageError::from(shared::Error::Protocol(e.to_string())))??;
    tracing::debug!(
        pushed = changes,
        pulled = response.changes.len(),
        "sync request"
    );
    Ok(Json(response))
}

impl IntoResponse for StorageError {
    fn into_response(self) -> Response {
        let status = match &self {
            StorageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            StorageError::Forbidden(_) => StatusCode::FORBIDDEN,
            StorageError::Sqlite(_)
            | StorageError::Migration(_)
            | StorageError::Core(_)
            | StorageError::BackupTargetExists(_) => {
                tracing::error!(error = %self, "sync failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (status, self.to_string()).into_response()
    }
}

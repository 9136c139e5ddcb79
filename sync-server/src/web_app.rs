//! The web app: the same UI and core as the desktop app, for phones, served at `/app`
//! from the folder `.ci/build-ui.sh` writes (`app/web-dist`). Its service worker keeps it
//! offline after the first visit; the server only hands out files (gzipped where the
//! browser takes it, `<file>.gz` written at build) and checks nothing: the core in the
//! page signs in and syncs through the API like any device.
//!
//! `/setup` (a set-up code's QR) opens the app's set-up screen; the code travels after
//! `#`, which browsers keep across the redirect and never send to a server.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower::ServiceExt as _;
use tower_http::services::{ServeDir, ServeFile};

/// Where the web app is served.
pub const PATH: &str = "/app";

/// The policy of every web app answer: its own script, wasm and worker, its styles
/// (the UI sets some inline), images it makes (`blob:`, `data:`), requests to this
/// server only; no plugins, no framing, no forms posted anywhere.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    worker-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
    connect-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'self'; \
    frame-ancestors 'none'; form-action 'none'";

/// The web app's routes, serving `dir`.
pub fn router(dir: &Path) -> Router {
    let index = dir.join("index.html");
    let screens = {
        let index = index.clone();
        get(move |request: Request| screen(index.clone(), request))
    };
    let files = ServeDir::new(dir)
        .precompressed_gzip()
        .append_index_html_on_directories(true)
        .fallback(screens);
    Router::new()
        .route("/setup", get(|| async { Redirect::to("/app/setup") }))
        .nest_service(PATH, files)
        .layer(axum::middleware::map_response(headers))
        .layer(axum::middleware::map_request(with_slash))
}

/// `/app` as `/app/`, so that the page's relative addresses (its script, styles,
/// worker) resolve under it: a redirect before the files are looked at.
async fn with_slash(request: Request) -> Result<Request, Redirect> {
    if request.uri().path() == PATH {
        return Err(Redirect::permanent("/app/"));
    }
    Ok(request)
}

/// An address that is not a file: the app's page when it names one of its screens (no
/// file extension, like `/app/opinions`), so that a reload or a shared link opens it;
/// a missing file otherwise.
async fn screen(index: PathBuf, request: Request) -> Response {
    let last = request.uri().path().rsplit('/').next().unwrap_or_default();
    if last.contains('.') {
        return StatusCode::NOT_FOUND.into_response();
    }
    match ServeFile::new(index)
        .precompressed_gzip()
        .oneshot(request)
        .await
    {
        Ok(r) => r.into_response(),
        Err(e) => match e {},
    }
}

/// The CSP, and `no-cache`: the files keep their names from build to build, so the
/// browser asks again each time (a 304 when unchanged); the service worker answers
/// offline from its own cache.
async fn headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

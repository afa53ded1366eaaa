//! The one error shape of the API: `{"error": {"code", "message", "field"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lookout_engine::outputs::OutputError;
use lookout_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An error answer. Client mistakes are 4xx and name the field at fault; a 500 is only
/// ever the server's own failure (the store), and says no more than that.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

/// `{"error": {...}}`: the body of every error answer.
#[derive(Serialize, ToSchema)]
#[schema(as = ErrorBody)]
pub(crate) struct Body<'a> {
    error: Inner<'a>,
}

/// What went wrong and, for a client mistake, the field (query parameter, body field,
/// path segment or header) at fault.
#[derive(Serialize, ToSchema)]
#[schema(as = ErrorDetail)]
pub(crate) struct Inner<'a> {
    /// Machine-readable: `bad_request`, `invalid_field`, `not_found`, `unauthorized`, ...
    code: &'a str,
    message: &'a str,
    field: Option<&'a str>,
}

/// The error body's name in the OpenAPI document.
pub(crate) type ErrorBody = Body<'static>;

impl ApiError {
    pub fn bad_request(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    pub fn not_found(field: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::CONFLICT, code: "conflict", message: message.into(), field: None }
    }

    pub fn internal(message: impl std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {message}");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error (see the server log)".into(),
            field: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body { error: Inner { code: self.code, message: &self.message, field: self.field.as_deref() } };
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            // A change the data does not allow is the caller's to fix.
            StoreError::Conflict { message, .. } => ApiError::conflict(message),
            other => ApiError::internal(other),
        }
    }
}

impl From<OutputError> for ApiError {
    fn from(e: OutputError) -> Self {
        match e {
            OutputError::NoSuchEvent(id) => ApiError::not_found("id", format!("no event with id '{id}'")),
            OutputError::Pipeline(p) => ApiError::conflict(p.to_string()),
            OutputError::Store(s) => s.into(),
        }
    }
}

/// The field a serde message names (`unknown field `x``, `missing field `x``), if any.
pub fn field_of(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

impl From<lookout_engine::EngineError> for ApiError {
    fn from(e: lookout_engine::EngineError) -> Self {
        use lookout_engine::EngineError;
        match e {
            EngineError::Store(s) => s.into(),
            EngineError::Rules(r) => ApiError::internal(r),
            EngineError::Model(m) if m.starts_with("unknown model") => ApiError::not_found("model", m),
            EngineError::Model(m) if m.contains("has no version") => ApiError::not_found("version", m),
            EngineError::Model(m) if m.contains("has no") => ApiError::conflict(m),
            EngineError::Model(m) | EngineError::Params(m) => ApiError {
                status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_field",
                message: m,
                field: Some("params".into()),
            },
            other => ApiError::internal(other),
        }
    }
}

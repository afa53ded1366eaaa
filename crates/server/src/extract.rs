//! Extractors whose rejections are [`ApiError`]s (JSON, naming the field).

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::{field_of, ApiError};

/// A JSON body; unknown fields are refused by the target types (`deny_unknown_fields`).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(r) => Err(json_rejection(r)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    let message = r.body_text();
    match r {
        JsonRejection::JsonDataError(_) => ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_field",
            field: Some(if array_at_root(&message) {
                "body".into()
            } else {
                json_path(&message).or_else(|| field_of(&message)).unwrap_or_else(|| "body".into())
            }),
            message,
        },
        JsonRejection::MissingJsonContentType(_) => ApiError {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            field: Some("content-type".into()),
            message,
        },
        r if r.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "body_too_large",
            field: Some("body".into()),
            message,
        },
        _ => ApiError { status: StatusCode::BAD_REQUEST, code: "malformed_json", field: Some("body".into()), message },
    }
}

/// The path axum puts before a data error (`...target type: actor: invalid type ...`);
/// at the root (`.`) there is none and the field is the one serde names in backticks.
fn json_path(message: &str) -> Option<String> {
    let rest = &message[message.find("target type: ")? + "target type: ".len()..];
    let path = &rest[..rest.find(": ")?];
    let plain = path.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'));
    (plain && path != "." && !path.is_empty()).then(|| path.to_string())
}

/// An array where an object belongs: serde reads it by position (`[0]: ...`).
fn array_at_root(message: &str) -> bool {
    message.contains("target type: [")
}

/// Query parameters; unknown parameters are refused by the target types.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(r) => Err(query_rejection(r)),
        }
    }
}

fn query_rejection(r: QueryRejection) -> ApiError {
    let message = r.body_text();
    let field = query_field(&message).unwrap_or_else(|| "query".into());
    ApiError::bad_request(field, message)
}

/// serde_urlencoded names unknown/missing fields in backticks; a bad value is reported
/// as `field: message` by `serde_path_to_error`-less axum only in its text, so the
/// parameter name is taken from the backticks when present.
fn query_field(message: &str) -> Option<String> {
    field_of(message)
}

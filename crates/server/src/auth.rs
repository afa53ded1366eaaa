//! Bearer tokens with roles: viewer (read) < analyst (event actions, enforcement,
//! silences) < admin (models, rules, tokens, cycles, ingest).

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use lookout_store::{ApiToken, Store, StoreError};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::AppState;

/// Roles in increasing order of what they may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Analyst,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "analyst" => Some(Role::Analyst),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no random bytes from the operating system: {0}")]
    Random(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The SHA-256 of a token, hex: what the store keeps.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates a token: 32 random bytes, returned once as `lk_<hex>`; only its hash is stored.
pub fn create_token(
    store: &mut dyn Store,
    role: Role,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(String, ApiToken), TokenError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| TokenError::Random(e.to_string()))?;
    let token = format!("lk_{}", hex(&secret));
    let hash = token_hash(&token);
    let row = ApiToken {
        id: hash[..12].to_string(),
        name: name.to_string(),
        role: role.as_str().to_string(),
        hash,
        created_at: now,
        revoked_at: None,
    };
    store.create_token(&row)?;
    Ok((token, row))
}

/// The role a request needs: reads are the viewer's; event steps and silences the
/// analyst's; everything else that changes state (models, cycles, ingest) the admin's.
pub fn required_role(method: &Method, route: &str) -> Role {
    if method == Method::GET || method == Method::HEAD {
        return Role::Viewer;
    }
    // Scoring a posted series reads and writes nothing: an analyst's tool.
    if route.starts_with("/api/v1/events/") || route.starts_with("/api/v1/silences") || route == "/api/v1/anomaly" {
        return Role::Analyst;
    }
    Role::Admin
}

/// Routes anyone may call: liveness and readiness probes and the API's description.
fn is_open(route: &str) -> bool {
    matches!(route, "/healthz" | "/readyz" | "/openapi.json")
}

/// Checks the bearer token against the route's role, unless the server runs without auth.
pub async fn require(State(state): State<AppState>, req: Request, next: Next) -> Result<Response, ApiError> {
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string());
    let Some(route) = route else {
        return Ok(next.run(req).await);
    };
    if !state.auth_enabled() || is_open(&route) {
        return Ok(next.run(req).await);
    }
    let needed = required_role(req.method(), &route);
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .ok_or_else(|| unauthorized("a bearer token is required (Authorization: Bearer <token>)"))?;
    let hash = token_hash(&token);
    let found = state.with_store(move |s| Ok(s.token_by_hash(&hash)?)).await?;
    let role = found
        .filter(|t| t.revoked_at.is_none())
        .and_then(|t| Role::parse(&t.role))
        .ok_or_else(|| unauthorized("unknown or revoked token"))?;
    if role < needed {
        return Err(ApiError {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: format!("this needs the {} role; the token has {}", needed.as_str(), role.as_str()),
            field: Some("authorization".into()),
        });
    }
    Ok(next.run(req).await)
}

fn unauthorized(message: &str) -> ApiError {
    ApiError {
        status: StatusCode::UNAUTHORIZED,
        code: "unauthorized",
        message: message.into(),
        field: Some("authorization".into()),
    }
}

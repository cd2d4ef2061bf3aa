//! The in-app inbox (消息): every event that needs the reader to act, newest first; opening one
//! marks it read and goes to its record.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use wangqian_store::lifecycle::messages::{self, MessageRow};
use wangqian_store::{Page, Paging};

use super::error::PageResult;
use super::{bar, render, UserBar};
use crate::auth::PageAuth;
use crate::AppState;

#[derive(Template)]
#[template(path = "messages.html")]
struct InboxPage {
    user: Option<UserBar>,
    csrf: String,
    unread_only: bool,
    page: Page<MessageRow>,
    pages: i64,
}

#[derive(Deserialize)]
pub(super) struct InboxQuery {
    unread: Option<String>,
    page: Option<i64>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<InboxQuery>,
) -> PageResult {
    let unread_only = q.unread.as_deref() == Some("1");
    let paging = Paging::new(q.page, Some(20));
    let page = messages::list(&state.store, &s.actor, unread_only, paging).await?;
    Ok(render(&InboxPage {
        user: bar(&s),
        csrf: s.csrf_token.clone(),
        unread_only,
        pages: page.pages().max(1),
        page,
    }))
}

pub(super) async fn open(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
) -> PageResult {
    let (kind, record) = messages::mark_read(&state.store, &s.actor, &id).await?;
    let to = if kind == "destination" {
        format!("/destinations/{record}")
    } else {
        format!("/agreements/{record}")
    };
    Ok(Redirect::to(&to).into_response())
}

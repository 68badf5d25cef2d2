//! The bodies of deliveries: debrief's generic JSON event, and a message
//! for Slack incoming webhooks.
//!
//! Both are built from the [`ActionEvent`] stored in the outbox, at send
//! time, so the format of a webhook can change without rewriting events.
//! Links are absolute only when the server knows its public base URL;
//! otherwise the generic payload carries the path and Slack gets no link.

use debrief_core::notify::{ActionEvent, EventKind};
use debrief_store::WebhookFormat;
use serde_json::{Value, json};

/// The item's link: `base` + path, or the bare path without a base.
pub fn item_url(event: &ActionEvent, base: Option<&str>) -> String {
    match base {
        Some(b) => format!("{}{}", b.trim_end_matches('/'), event.item.path),
        None => event.item.path.clone(),
    }
}

/// The generic JSON event:
///
/// ```json
/// {"id": "...", "kind": "overdue", "occurred_at": "2026-01-10T08:00:00Z",
///  "incident": {"key": "INC-2025-1128", "title": "...", "restricted": false},
///  "action_item": {"id": "...", "number": 3, "title": "...", "owner": "...",
///                  "team": "...", "due": "2026-01-09", "status": "in_progress",
///                  "url": "https://debrief.example/incidents/INC-2025-1128#actions"}}
/// ```
///
/// Titles, owner and team are `null` for a restricted incident.
pub fn generic(event: &ActionEvent, base: Option<&str>) -> Value {
    json!({
        "id": event.id,
        "kind": event.kind,
        "occurred_at": event.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "incident": {
            "key": event.incident.key,
            "title": event.incident.title,
            "restricted": event.incident.restricted,
        },
        "action_item": {
            "id": event.item.id,
            "number": event.item.number,
            "title": event.item.title,
            "owner": event.item.owner,
            "team": event.item.team,
            "due": event.item.due.map(|d| d.to_string()),
            "status": event.item.status,
            "url": item_url(event, base),
        },
    })
}

/// Escapes text for Slack: `&`, `<` and `>` become `&amp;`, `&lt;` and
/// `&gt;`, which is all Slack asks; anything else would show literally.
/// Without it, user text such as `<!channel>` or `<https://evil|click>`
/// would ping a channel or render a disguised link.
pub fn slack_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn phrase(kind: EventKind) -> &'static str {
    match kind {
        EventKind::DueSoon => "is due soon",
        EventKind::Overdue => "is overdue",
        EventKind::Completed => "was completed",
        EventKind::Reopened => "was reopened",
        EventKind::Test => "is a test event",
    }
}

/// A Slack incoming-webhook message: `text` (the notification line, also
/// the fallback) and `blocks` (the line, with a link when the base URL is
/// known, and a context line with owner, team, due date and status). All
/// user text is escaped with [`slack_escape`].
pub fn slack(event: &ActionEvent, base: Option<&str>) -> Value {
    let e = &event.item;
    let title = e
        .title
        .as_deref()
        .map_or_else(|| "(restricted)".to_owned(), slack_escape);
    let key = slack_escape(&event.incident.key);
    let reference = format!("{key} #{}", e.number);
    let text = format!("Action item {reference} {}: {title}", phrase(event.kind));
    let linked = match base {
        Some(_) => format!(
            "Action item <{}|{reference}> {}: *{title}*",
            item_url(event, base),
            phrase(event.kind)
        ),
        None => format!("Action item {reference} {}: *{title}*", phrase(event.kind)),
    };
    let mut context = Vec::new();
    if let Some(o) = &e.owner {
        context.push(format!("Owner: {}", slack_escape(o)));
    }
    if let Some(t) = &e.team {
        context.push(format!("Team: {}", slack_escape(t)));
    }
    if let Some(d) = e.due {
        context.push(format!("Due: {d}"));
    }
    context.push(format!("Status: {}", e.status.label()));
    json!({
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": linked}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context.join(" · ")}]},
        ],
    })
}

/// The body bytes of `event` in `format`.
pub fn body(format: WebhookFormat, event: &ActionEvent, base: Option<&str>) -> Vec<u8> {
    let v = match format {
        WebhookFormat::Generic => generic(event, base),
        WebhookFormat::Slack => slack(event, base),
    };
    // Serializing a `Value` cannot fail.
    serde_json::to_vec(&v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use debrief_core::ActionStatus;
    use debrief_core::notify::{EventIncident, EventItem};
    use uuid::Uuid;

    fn event(title: &str) -> ActionEvent {
        ActionEvent {
            id: Uuid::nil(),
            kind: EventKind::Overdue,
            occurred_at: Utc
                .with_ymd_and_hms(2026, 1, 10, 8, 0, 0)
                .single()
                .unwrap_or_default(),
            incident: EventIncident {
                key: "INC-2025-1128".into(),
                title: Some("Admin <compromise>".into()),
                restricted: false,
            },
            item: EventItem {
                id: Uuid::nil(),
                number: 3,
                title: Some(title.into()),
                owner: Some("Ana & Bo".into()),
                team: None,
                due: "2026-01-09".parse().ok(),
                status: ActionStatus::InProgress,
                path: "/incidents/INC-2025-1128#actions".into(),
            },
        }
    }

    #[test]
    fn slack_text_escapes_user_text_so_it_cannot_ping_or_link() {
        let v = slack(&event("<!channel> see <https://evil|here> & more"), None);
        let text = v["text"].as_str().unwrap_or_default();
        assert_eq!(
            text,
            "Action item INC-2025-1128 #3 is overdue: &lt;!channel&gt; see &lt;https://evil|here&gt; &amp; more"
        );
        let all = v.to_string();
        assert!(!all.contains("<!channel>"));
        assert!(all.contains("Owner: Ana &amp; Bo"));
    }

    #[test]
    fn slack_links_to_the_item_only_with_a_base_url() {
        let v = slack(&event("Rotate keys"), Some("https://debrief.example/"));
        let line = v["blocks"][0]["text"]["text"].as_str().unwrap_or_default();
        assert_eq!(
            line,
            "Action item <https://debrief.example/incidents/INC-2025-1128#actions|INC-2025-1128 #3> is overdue: *Rotate keys*"
        );
    }

    #[test]
    fn the_generic_payload_has_the_event_and_item_fields() {
        let v = generic(&event("Rotate keys"), Some("https://d.example"));
        assert_eq!(v["kind"], "overdue");
        assert_eq!(v["occurred_at"], "2026-01-10T08:00:00Z");
        assert_eq!(v["incident"]["key"], "INC-2025-1128");
        assert_eq!(v["action_item"]["number"], 3);
        assert_eq!(v["action_item"]["due"], "2026-01-09");
        assert_eq!(v["action_item"]["status"], "in_progress");
        assert_eq!(v["action_item"]["owner"], "Ana & Bo");
        assert_eq!(
            v["action_item"]["url"],
            "https://d.example/incidents/INC-2025-1128#actions"
        );
    }
}

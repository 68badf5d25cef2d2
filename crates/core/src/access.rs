//! Who may do what: roles, token scopes and restricted incidents.
//!
//! One pure function, [`decide`], answers every access question, so the web
//! layer, the CLI and the tests all share one policy. Least privilege is
//! the default: a viewer reads unrestricted incidents and nothing else.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::vocabulary;

vocabulary! {
    /// A user's role in the whole installation.
    pub enum UserRole {
        /// Everything, including users, membership and the audit trail.
        Admin => "admin" / "Admin",
        /// Runs incidents: creates, edits and deletes them, manages who may see restricted ones.
        IncidentCommander => "incident_commander" / "Incident commander",
        /// Creates and edits incidents.
        Contributor => "contributor" / "Contributor",
        /// Reads unrestricted incidents.
        Viewer => "viewer" / "Viewer",
        /// Reads everything, including restricted incidents and the audit trail; writes nothing.
        Auditor => "auditor" / "Auditor",
    }
}

vocabulary! {
    /// What an API token may do, on top of its user's role.
    pub enum Scope {
        /// Reads only.
        Read => "read" / "Read",
        /// Reads and edits incidents.
        Write => "write" / "Write",
        /// Everything the user's role allows.
        Admin => "admin" / "Admin",
    }
}

/// Someone acting: a logged-in user, or a user through an API token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Principal {
    /// The user's id.
    pub user_id: Uuid,
    /// The user's name.
    pub name: String,
    /// The user's role.
    pub role: UserRole,
    /// The token's scope, when acting through a token; `None` for a session.
    pub scope: Option<Scope>,
}

/// The things one can ask to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// List, read and export incidents.
    ReadIncident,
    /// Create an incident.
    CreateIncident,
    /// Change an incident's header or sections.
    EditIncident,
    /// Delete an incident.
    DeleteIncident,
    /// Restrict an incident and manage its members.
    ManageMembers,
    /// Add categories to the managed list.
    ManageCategories,
    /// Read the audit trail.
    ReadAudit,
    /// Create, change and disable users.
    ManageUsers,
    /// Register and remove outbound webhooks and read their delivery log
    /// (webhook secrets and target URLs are admin business).
    ManageIntegrations,
}

impl Action {
    /// True for actions that change nothing.
    pub fn is_read(self) -> bool {
        matches!(self, Action::ReadIncident | Action::ReadAudit)
    }

    /// True for actions that only an admin-scoped token may take.
    fn needs_admin_scope(self) -> bool {
        matches!(
            self,
            Action::ManageMembers
                | Action::ManageUsers
                | Action::ManageCategories
                | Action::ManageIntegrations
        )
    }
}

/// What the caller is to one incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentAccess {
    /// The incident is restricted to its members.
    pub restricted: bool,
    /// The caller is one of its members.
    pub member: bool,
}

/// The answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Known to the caller but not theirs to do: 403.
    Deny,
    /// Not to be known by the caller at all: 404, exactly as if it did not exist.
    Hide,
}

impl UserRole {
    /// Whether the role, ignoring incident restrictions, may take `action`.
    pub fn permits(self, action: Action) -> bool {
        use Action::*;
        match self {
            UserRole::Admin => true,
            UserRole::Auditor => matches!(action, ReadIncident | ReadAudit),
            UserRole::IncidentCommander => {
                matches!(
                    action,
                    ReadIncident
                        | CreateIncident
                        | EditIncident
                        | DeleteIncident
                        | ManageMembers
                        | ManageCategories
                )
            }
            UserRole::Contributor => matches!(action, ReadIncident | CreateIncident | EditIncident),
            UserRole::Viewer => matches!(action, ReadIncident),
        }
    }

    /// Whether the role sees restricted incidents it is not a member of.
    pub fn sees_all_incidents(self) -> bool {
        matches!(self, UserRole::Admin | UserRole::Auditor)
    }
}

impl Principal {
    /// Whether this principal sees an incident at all.
    pub fn sees(&self, incident: IncidentAccess) -> bool {
        !incident.restricted || incident.member || self.role.sees_all_incidents()
    }
}

/// Decides whether `p` may take `action`, on `incident` when the action is
/// about one. A restricted incident is hidden (404) from non-members before
/// anything else is considered, so its existence does not leak.
pub fn decide(p: &Principal, action: Action, incident: Option<IncidentAccess>) -> Decision {
    if let Some(i) = incident
        && !p.sees(i)
    {
        return Decision::Hide;
    }
    let scope_ok = match p.scope {
        None | Some(Scope::Admin) => true,
        Some(Scope::Read) => action.is_read(),
        Some(Scope::Write) => !action.needs_admin_scope(),
    };
    if scope_ok && p.role.permits(action) {
        Decision::Allow
    } else {
        Decision::Deny
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(role: UserRole, scope: Option<Scope>) -> Principal {
        Principal {
            user_id: Uuid::nil(),
            name: "x".into(),
            role,
            scope,
        }
    }

    const OPEN: Option<IncidentAccess> = Some(IncidentAccess {
        restricted: false,
        member: false,
    });
    const RESTRICTED: Option<IncidentAccess> = Some(IncidentAccess {
        restricted: true,
        member: false,
    });
    const MEMBER: Option<IncidentAccess> = Some(IncidentAccess {
        restricted: true,
        member: true,
    });

    #[test]
    fn a_viewer_reads_open_incidents_and_nothing_more() {
        let v = who(UserRole::Viewer, None);
        assert_eq!(decide(&v, Action::ReadIncident, OPEN), Decision::Allow);
        assert_eq!(decide(&v, Action::EditIncident, OPEN), Decision::Deny);
        assert_eq!(decide(&v, Action::ReadAudit, None), Decision::Deny);
    }

    #[test]
    fn a_restricted_incident_is_hidden_from_non_members_even_for_edits() {
        let c = who(UserRole::IncidentCommander, None);
        assert_eq!(decide(&c, Action::ReadIncident, RESTRICTED), Decision::Hide);
        assert_eq!(decide(&c, Action::EditIncident, RESTRICTED), Decision::Hide);
        assert_eq!(decide(&c, Action::EditIncident, MEMBER), Decision::Allow);
    }

    #[test]
    fn an_auditor_reads_everything_and_writes_nothing() {
        let a = who(UserRole::Auditor, None);
        assert_eq!(
            decide(&a, Action::ReadIncident, RESTRICTED),
            Decision::Allow
        );
        assert_eq!(decide(&a, Action::ReadAudit, None), Decision::Allow);
        assert_eq!(decide(&a, Action::EditIncident, RESTRICTED), Decision::Deny);
        assert_eq!(decide(&a, Action::ManageUsers, None), Decision::Deny);
    }

    #[test]
    fn only_an_admin_with_an_admin_scope_manages_integrations() {
        let m = Action::ManageIntegrations;
        assert_eq!(
            decide(&who(UserRole::Admin, None), m, None),
            Decision::Allow
        );
        let admin_token = who(UserRole::Admin, Some(Scope::Admin));
        assert_eq!(decide(&admin_token, m, None), Decision::Allow);
        let write_token = who(UserRole::Admin, Some(Scope::Write));
        assert_eq!(decide(&write_token, m, None), Decision::Deny);
        for role in [
            UserRole::IncidentCommander,
            UserRole::Contributor,
            UserRole::Viewer,
            UserRole::Auditor,
        ] {
            assert_eq!(
                decide(&who(role, None), m, None),
                Decision::Deny,
                "{role:?}"
            );
        }
    }

    #[test]
    fn a_token_scope_caps_what_its_user_may_do() {
        let read = who(UserRole::Admin, Some(Scope::Read));
        assert_eq!(decide(&read, Action::EditIncident, OPEN), Decision::Deny);
        let write = who(UserRole::Admin, Some(Scope::Write));
        assert_eq!(decide(&write, Action::EditIncident, OPEN), Decision::Allow);
        assert_eq!(decide(&write, Action::ManageUsers, None), Decision::Deny);
        let admin = who(UserRole::Viewer, Some(Scope::Admin));
        assert_eq!(
            decide(&admin, Action::EditIncident, OPEN),
            Decision::Deny,
            "a scope never raises a role"
        );
    }
}

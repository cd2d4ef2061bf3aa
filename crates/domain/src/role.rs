//! Roles (SPEC §2) and the authenticated actor that every service call carries.

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, DepartmentId, EmployerId, GraduateId, SchoolId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Graduate,
    EmployerMember,
    DepartmentReviewer,
    SchoolAdmin,
    ProvincialAdmin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Graduate,
        Role::EmployerMember,
        Role::DepartmentReviewer,
        Role::SchoolAdmin,
        Role::ProvincialAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Graduate => "graduate",
            Role::EmployerMember => "employer_member",
            Role::DepartmentReviewer => "department_reviewer",
            Role::SchoolAdmin => "school_admin",
            Role::ProvincialAdmin => "provincial_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Graduate => "毕业生",
            Role::EmployerMember => "用人单位",
            Role::DepartmentReviewer => "院系审核员",
            Role::SchoolAdmin => "学校管理员",
            Role::ProvincialAdmin => "省级管理员",
        }
    }
}

/// An employer account is either the company's manager (approves colleagues, edits
/// certification data) or an ordinary HR handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmployerRole {
    Manager,
    Hr,
}

impl EmployerRole {
    pub fn as_str(self) -> &'static str {
        match self {
            EmployerRole::Manager => "manager",
            EmployerRole::Hr => "hr",
        }
    }

    pub fn parse(s: &str) -> Option<EmployerRole> {
        match s {
            "manager" => Some(EmployerRole::Manager),
            "hr" => Some(EmployerRole::Hr),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EmployerRole::Manager => "管理员",
            EmployerRole::Hr => "经办人",
        }
    }
}

/// Who is acting, with the scope their account is tied to. Built by the web layer from the
/// session; services never trust scope ids from request bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub account_id: AccountId,
    pub role: Role,
    pub school_id: Option<SchoolId>,
    pub department_id: Option<DepartmentId>,
    pub employer_id: Option<EmployerId>,
    pub employer_role: Option<EmployerRole>,
    pub graduate_id: Option<GraduateId>,
}

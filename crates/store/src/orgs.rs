//! The organisation tree: schools, departments, majors, classes.

use crate::Millis;
use crate::{ServiceResult, Store};

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SchoolRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub province: String,
}

/// Public school search for binding (by name fragment or school code).
pub async fn search_schools(store: &Store, keyword: &str) -> ServiceResult<Vec<SchoolRow>> {
    let k = keyword.trim();
    let pattern = format!("%{}%", k.replace(['%', '_'], ""));
    Ok(sqlx::query_as::<_, SchoolRow>(
        "SELECT id, code, name, province FROM schools WHERE name LIKE $1 OR code = $2 ORDER BY code LIMIT 50",
    )
    .bind(pattern)
    .bind(k.to_string())
    .fetch_all(store.reader())
    .await?)
}

pub async fn get_school(store: &Store, id: &str) -> ServiceResult<Option<SchoolRow>> {
    Ok(
        sqlx::query_as::<_, SchoolRow>(
            "SELECT id, code, name, province FROM schools WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(store.reader())
        .await?,
    )
}

pub async fn school_by_code(store: &Store, code: &str) -> ServiceResult<Option<SchoolRow>> {
    Ok(sqlx::query_as::<_, SchoolRow>(
        "SELECT id, code, name, province FROM schools WHERE code = $1",
    )
    .bind(code.to_string())
    .fetch_optional(store.reader())
    .await?)
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DepartmentRow {
    pub id: String,
    pub school_id: String,
    pub name: String,
}

pub async fn departments(store: &Store, school_id: &str) -> ServiceResult<Vec<DepartmentRow>> {
    Ok(sqlx::query_as::<_, DepartmentRow>(
        "SELECT id, school_id, name FROM departments WHERE school_id = $1 ORDER BY name",
    )
    .bind(school_id.to_string())
    .fetch_all(store.reader())
    .await?)
}

/// Creates a school (provincial setup and demo data).
pub async fn insert_school(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    code: &str,
    name: &str,
    province: &str,
    now: Millis,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO schools (id, code, name, province, contact_department, created_at, updated_at) VALUES ($1, $2, $3, $4, '就业指导中心', $5, $5)",
    )
    .bind(id.to_string())
    .bind(code.to_string())
    .bind(name.to_string())
    .bind(province.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

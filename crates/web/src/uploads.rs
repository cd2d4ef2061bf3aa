//! Reading multipart bodies: text fields into a map, files checked by their bytes.

use std::collections::HashMap;

use axum::extract::multipart::{Multipart, MultipartError};
use wangqian_store::employers::UploadedFile;

use crate::error::ApiError;

/// Largest image or PDF accepted for certificates and letters.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

#[derive(Default)]
pub struct Form {
    pub fields: HashMap<String, Vec<String>>,
    pub files: HashMap<String, (String, Vec<u8>)>,
}

impl Form {
    pub fn text(&self, name: &str) -> String {
        self.fields
            .get(name)
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default()
    }
    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields.get(name).cloned().unwrap_or_default()
    }
}

fn multipart_error(e: MultipartError, max_mib: usize) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large(max_mib)
    } else {
        ApiError::bad_request(format!("上传内容无法解析：{}", e.body_text()))
    }
}

pub async fn read_form(mut mp: Multipart, max_mib: usize) -> Result<Form, ApiError> {
    let mut form = Form::default();
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| multipart_error(e, max_mib))?
    {
        let name = field.name().unwrap_or("").to_string();
        if let Some(file_name) = field.file_name().map(str::to_string) {
            let bytes = field
                .bytes()
                .await
                .map_err(|e| multipart_error(e, max_mib))?;
            if !bytes.is_empty() {
                form.files.insert(name, (file_name, bytes.to_vec()));
            }
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| multipart_error(e, max_mib))?;
            form.fields.entry(name).or_default().push(text);
        }
    }
    Ok(form)
}

/// An image (JPEG/PNG) or PDF, judged from its bytes, not its name, and size-limited.
pub fn certificate(
    form: &mut Form,
    name: &str,
    label: &str,
) -> Result<Option<UploadedFile>, ApiError> {
    let Some((file_name, bytes)) = form.files.remove(name) else {
        return Ok(None);
    };
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ApiError::payload_too_large(MAX_IMAGE_BYTES / 1024 / 1024)
            .with_field(name, format!("{label}不能超过 5 MB")));
    }
    let kind = infer::get(&bytes).map(|k| k.mime_type());
    let content_type = match kind {
        Some(m @ ("image/jpeg" | "image/png" | "application/pdf")) => m.to_string(),
        _ => {
            return Err(ApiError::bad_request(format!(
                "{label}须为 JPG、PNG 图片或 PDF 文件（按文件内容判断）"
            ))
            .with_field(name, format!("{label}文件类型不正确")))
        }
    };
    Ok(Some(UploadedFile {
        content_type,
        original_name: file_name.chars().take(200).collect(),
        bytes,
    }))
}

/// Largest proof image for an other-destination registration (seed 002: 2 MB, JPG/PNG).
pub const MAX_PROOF_BYTES: usize = 2 * 1024 * 1024;

/// A JPG or PNG proof image ≤ 2 MB, judged from its bytes.
pub fn proof_image(
    form: &mut Form,
    name: &str,
    label: &str,
) -> Result<Option<UploadedFile>, ApiError> {
    let Some((file_name, bytes)) = form.files.remove(name) else {
        return Ok(None);
    };
    if bytes.len() > MAX_PROOF_BYTES {
        return Err(
            ApiError::payload_too_large(2).with_field(name, format!("{label}不能超过 2 MB"))
        );
    }
    let content_type = match infer::get(&bytes).map(|k| k.mime_type()) {
        Some(m @ ("image/jpeg" | "image/png")) => m.to_string(),
        _ => {
            return Err(
                ApiError::bad_request(format!("{label}须为 JPG 或 PNG 图片"))
                    .with_field(name, format!("{label}文件类型不正确")),
            )
        }
    };
    Ok(Some(UploadedFile {
        content_type,
        original_name: file_name.chars().take(200).collect(),
        bytes,
    }))
}

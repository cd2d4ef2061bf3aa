//! Background job runner: polls the jobs table (so any node can pick up work queued by another)
//! and wakes at once when this node queues something.

use std::time::Duration;

use wangqian_store::{jobs, roster_import};

use crate::AppState;

pub async fn run(state: AppState) {
    let worker_id = format!("node-{}", wangqian_store::new_id());
    // In the past, so that the first round (with its sweep) runs at start.
    let mut last_sweep = std::time::Instant::now()
        .checked_sub(Duration::from_secs(61))
        .unwrap_or_else(std::time::Instant::now);
    let mut sweeps: u64 = 0;
    loop {
        if last_sweep.elapsed() > Duration::from_secs(60) {
            last_sweep = std::time::Instant::now();
            sweeps += 1;
            // Every ten minutes (and at start): what would otherwise grow forever.
            if sweeps % 10 == 1 {
                let root = state.config.uploads_dir();
                match wangqian_store::system::sweep(&state.store, Some(&root), state.store.now())
                    .await
                {
                    Ok(r) if r == wangqian_store::system::SweepReport::default() => {}
                    Ok(r) => tracing::info!(report = ?r, "swept"),
                    Err(e) => tracing::warn!(error = ?e, "sweep failed"),
                }
            }
            if let Err(e) = jobs::requeue_stale(&state.store, 10 * 60 * 1000).await {
                tracing::warn!(error = ?e, "could not requeue stale jobs");
            }
            // Reads already treat past-deadline invitations as expired; this writes it down.
            match wangqian_store::lifecycle::invitations::expire_due(&state.store, 500).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(expired = n, "invitations expired"),
                Err(e) => tracing::warn!(error = ?e, "could not expire invitations"),
            }
            match wangqian_store::lifecycle::invitations::remind_due(&state.store, 500).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminded = n, "expiry reminders sent"),
                Err(e) => tracing::warn!(error = ?e, "could not send expiry reminders"),
            }
        }
        match jobs::claim_next(&state.store, &worker_id).await {
            Ok(Some(job)) => {
                let span = tracing::info_span!("job", job.id = %job.id, job.kind = %job.kind);
                let _enter = span.enter();
                let result = match job.kind.as_str() {
                    roster_import::JOB_KIND => {
                        roster_import::run_job(&state.store, state.blobs.as_ref(), &job).await
                    }
                    other => Err(anyhow::anyhow!("unknown job kind {other}")),
                };
                if let Err(e) = result {
                    tracing::error!(error = ?e, "job failed");
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = ?e, "could not poll jobs"),
        }
        tokio::select! {
            _ = state.jobs_wakeup.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(1000)) => {}
        }
    }
}

/* The seed's decision rules (fv_export_decide) and the transitions of a
 * chain (fv_export_apply_*): pure, unit tested with fixed times. */
#include <fv/exports.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *fv_export_decision_kind_str(enum fv_export_decision_kind k)
{
    switch (k) {
    case FV_EXPORT_DO_FULL: return "FULL";
    case FV_EXPORT_DO_INCREMENTAL: return "INCREMENTAL";
    case FV_EXPORT_DO_PITR_GAP: return "PITR_GAP";
    default: return "NOTHING";
    }
}

static void s_full(struct fv_export_decision *out, int64_t t, const char *reason)
{
    out->kind = FV_EXPORT_DO_FULL;
    out->export_time_ms = t;
    out->reason = reason;
}

static void s_gap(struct fv_export_decision *out, const struct fv_export_state *s,
                  const char *reason, bool enable_pitr)
{
    out->kind = FV_EXPORT_DO_PITR_GAP;
    out->reason = reason;
    const char *table = s->table ? s->table : "T";
    struct fv_buf r = {0};
    if (enable_pitr)
        fv_buf_printf(&r,
                      "enable point-in-time recovery on table %s (aws dynamodb "
                      "update-continuous-backups)",
                      table);
    if (enable_pitr && s->initiated != FV_EXPORT_INITIATED) {
        fv_buf_append_str(&r, "; the full export then starts by itself");
    } else {
        fv_buf_printf(
            &r,
            "%srun `fleetvault exports reset --config <file> --job %s --table %s --account %s "
            "--region %s`: a full export re-initialises the chain after the gap (downstream "
            "readers start again from it)",
            enable_pitr ? ", then " : "", s->job ? s->job : "J", table,
            s->account ? s->account : "A", s->region ? s->region : "R");
    }
    snprintf(out->remedy, sizeof(out->remedy), "%s", fv_buf_str(&r));
    fv_buf_clean_up(&r);
}

static int64_t s_behind(int64_t to_ms, int64_t window_ms, int64_t now_ms)
{
    return now_ms > to_ms ? (now_ms - to_ms) / window_ms : 0;
}

int64_t fv_export_windows_due(const struct fv_export_state *s, int64_t window_ms, int64_t now_ms)
{
    if (s->initiated != FV_EXPORT_INITIATED || window_ms <= 0 ||
        now_ms < s->last_incremental_export_time_ms)
        return 0;
    return (now_ms - s->last_incremental_export_time_ms) / window_ms;
}

fv_status fv_export_decide(const struct fv_export_state *s,
                           const struct fv_dynamodb_continuous_backups *pitr, int64_t window_ms,
                           int64_t now_ms, struct fv_export_decision *out, struct fv_error *err)
{
    memset(out, 0, sizeof(*out));
    out->reason = "not due";
    if (window_ms < FV_EXPORT_WINDOW_MIN_MS || window_ms > FV_EXPORT_WINDOW_MAX_MS)
        return fv_error_set(err, FV_E_INVALID,
                            "exports: a window of %lld ms is outside 15 minutes .. 24 hours",
                            (long long)window_ms);
    if (s->workflow_action == FV_EXPORT_PAUSE) {
        out->reason = "paused";
        return FV_OK;
    }
    if (!pitr->pitr_enabled) {
        s_gap(out, s, "point-in-time recovery is disabled", true);
        return FV_OK;
    }
    if (s->workflow_action == FV_EXPORT_RESET) {
        s_full(out, now_ms, "reset: a full export re-initialises the chain");
        return FV_OK;
    }
    if (s->initiated == FV_EXPORT_INITIATING) {
        s_full(out, s->full_export_time_ms, "the chain's full export is under way");
        return FV_OK;
    }
    if (s->workflow_state == FV_EXPORT_PITR_GAP) {
        s_gap(out, s, "the chain has a point-in-time recovery gap", false);
        return FV_OK;
    }
    if (s->initiated == FV_EXPORT_NOT_INITIATED) {
        s_full(out, now_ms, "first run: a full export starts the chain");
        return FV_OK;
    }
    int64_t from = s->last_incremental_export_time_ms;
    if (pitr->earliest_restorable_ms > from) {
        s_gap(out, s, "the earliest restorable time is after the last export's end", false);
        return FV_OK;
    }
    if (from > now_ms - window_ms)
        return FV_OK; /* the window [from, from + window) would end in the future */
    out->kind = FV_EXPORT_DO_INCREMENTAL;
    out->from_ms = from;
    out->to_ms = from + window_ms;
    out->blocks_behind = s_behind(out->to_ms, window_ms, now_ms);
    out->reason = out->blocks_behind ? "catching up" : "the next window is due";
    return FV_OK;
}

bool fv_export_renew(const struct fv_export_state *s, int64_t full_every_ms, int64_t window_ms,
                     int64_t now_ms, struct fv_export_decision *d)
{
    if (full_every_ms <= 0 || d->kind != FV_EXPORT_DO_NOTHING ||
        s->initiated != FV_EXPORT_INITIATED || s->workflow_state != FV_EXPORT_NORMAL ||
        s->workflow_action != FV_EXPORT_RUN || fv_export_windows_due(s, window_ms, now_ms) > 0 ||
        s->last_incremental_export_time_ms <= s->full_export_time_ms ||
        now_ms - s->full_export_time_ms < full_every_ms)
        return false;
    s_full(d, s->last_incremental_export_time_ms,
           "the chain's full export is full_export_every_days old: a full export at its last "
           "window end starts a new chain");
    return true;
}

/* --- Transitions --- */

static void s_set(char **field, const char *value)
{
    free(*field);
    *field = value ? fv_strdup(value) : NULL;
}

enum fv_export_outcome fv_export_apply_begin_full(struct fv_export_state *s, int64_t export_time_ms,
                                                  int64_t now_ms)
{
    if (s->initiated == FV_EXPORT_INITIATING && s->full_export_time_ms == export_time_ms &&
        s->workflow_action != FV_EXPORT_RESET)
        return FV_EXPORT_ALREADY;
    /* A renewal (fv_export_renew): a full export at the last window end of
     * a chain that has moved past its own full export. */
    bool renewal = s->initiated == FV_EXPORT_INITIATED && s->workflow_state == FV_EXPORT_NORMAL &&
                   s->workflow_action == FV_EXPORT_RUN &&
                   export_time_ms == s->last_incremental_export_time_ms &&
                   export_time_ms > s->full_export_time_ms;
    if (s->initiated != FV_EXPORT_NOT_INITIATED && s->workflow_action != FV_EXPORT_RESET &&
        !renewal)
        return FV_EXPORT_STALE;
    s->initiated = FV_EXPORT_INITIATING;
    s->full_export_time_ms = export_time_ms;
    s->workflow_state = FV_EXPORT_NORMAL; /* as the seed does when its full export starts */
    s->workflow_action = FV_EXPORT_RUN;
    s->updated_ms = now_ms;
    return FV_EXPORT_APPLIED;
}

/* Whether d is the chain's next step in s (the full export it started, or
 * the window after its last end). */
static bool s_is_next(const struct fv_export_state *s, const struct fv_export_decision *d)
{
    if (d->kind == FV_EXPORT_DO_FULL)
        return s->initiated == FV_EXPORT_INITIATING && s->full_export_time_ms == d->export_time_ms;
    if (d->kind == FV_EXPORT_DO_INCREMENTAL)
        return s->initiated == FV_EXPORT_INITIATED && s->workflow_state == FV_EXPORT_NORMAL &&
               s->last_incremental_export_time_ms == d->from_ms;
    return false;
}

enum fv_export_outcome fv_export_apply_completed(struct fv_export_state *s,
                                                 const struct fv_export_decision *d,
                                                 const char *export_arn, int64_t now_ms)
{
    if (!s_is_next(s, d)) {
        bool done = d->kind == FV_EXPORT_DO_FULL
                        ? s->initiated == FV_EXPORT_INITIATED &&
                              s->full_export_time_ms == d->export_time_ms && export_arn &&
                              s->chain_id && strcmp(s->chain_id, export_arn) == 0
                        : d->kind == FV_EXPORT_DO_INCREMENTAL &&
                              s->last_incremental_export_time_ms == d->to_ms && export_arn &&
                              s->last_export_arn && strcmp(s->last_export_arn, export_arn) == 0;
        return done ? FV_EXPORT_ALREADY : FV_EXPORT_STALE;
    }
    if (d->kind == FV_EXPORT_DO_FULL) {
        s->initiated = FV_EXPORT_INITIATED;
        s->workflow_state = FV_EXPORT_NORMAL;
        s->last_incremental_export_time_ms = d->export_time_ms;
        s_set(&s->chain_id, export_arn);
    } else {
        s->last_incremental_export_time_ms = d->to_ms;
    }
    s_set(&s->last_export_arn, export_arn);
    s_set(&s->last_error, NULL);
    s->updated_ms = now_ms;
    return FV_EXPORT_APPLIED;
}

enum fv_export_outcome fv_export_apply_failed(struct fv_export_state *s,
                                              const struct fv_export_decision *d, const char *code,
                                              const char *message, int64_t now_ms)
{
    bool gap = d->kind == FV_EXPORT_DO_PITR_GAP || fv_dynamodb_export_is_pitr_gap(code, message);
    if (d->kind != FV_EXPORT_DO_PITR_GAP && !s_is_next(s, d))
        return FV_EXPORT_STALE;
    char text[640];
    if (code && message)
        snprintf(text, sizeof(text), "%s: %s", code, message);
    else
        snprintf(text, sizeof(text), "%s", code ? code : message ? message : d->reason);
    enum fv_export_workflow_state state = s->workflow_state;
    enum fv_export_initiated initiated = s->initiated;
    if (d->kind == FV_EXPORT_DO_FULL)
        initiated = FV_EXPORT_NOT_INITIATED;
    else if (gap && s->initiated == FV_EXPORT_INITIATED)
        state = FV_EXPORT_PITR_GAP;
    if (state == s->workflow_state && initiated == s->initiated && s->last_error &&
        strcmp(s->last_error, text) == 0)
        return FV_EXPORT_ALREADY;
    s->workflow_state = state;
    s->initiated = initiated;
    s_set(&s->last_error, text);
    s->updated_ms = now_ms;
    return FV_EXPORT_APPLIED;
}

enum fv_export_outcome fv_export_apply_action(struct fv_export_state *s,
                                              enum fv_export_workflow_action action, int64_t now_ms)
{
    if (s->workflow_action == action)
        return FV_EXPORT_ALREADY;
    s->workflow_action = action;
    s->updated_ms = now_ms;
    return FV_EXPORT_APPLIED;
}

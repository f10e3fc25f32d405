/* Continuous incremental exports of DynamoDB tables (seed 003), per table:
 * the durable state of a table's export chain in the control table, the
 * seed's decision rules as a pure function, and the conditional writes that
 * move a chain on.
 *
 * A chain is one FULL_EXPORT at full_export_time followed by consecutive
 * INCREMENTAL_EXPORT windows [t, t + window): no overlap, no gap, none
 * ending in the future. The state keeps the seed's names and meanings
 * (docs/EXPORTS.md):
 *   full-export-time              the chain's full export time
 *   last-incremental-export-time  the end of the last exported window (the
 *                                 next window's start)
 *   workflow-initiated            "false" | "NULL" (a full export started,
 *                                 not finished) | "true"
 *   workflow-state                NORMAL | PITR_GAP
 *   workflow-action               RUN | PAUSE | RESET_WITH_FULL_EXPORT_AGAIN
 *
 * The item is `export#<job>#<account>#<region>#<table>` in the control table
 * (central account), and never carries a TTL attribute: a chain's state
 * lives as long as the job. Every write is conditional on the item's
 * version (the version read + 1), so two workers never advance a chain
 * twice and an operator's pause is never lost under a worker's advance.
 *
 * Who calls what: the planner fv_export_state_get + fv_export_decide per
 * table; the task for a FULL decision fv_export_state_begin_full before
 * ExportTableToPointInTime; the task once DescribeExport says COMPLETED
 * fv_export_state_advance, FAILED (or a refused start)
 * fv_export_state_fail; a PITR_GAP decision fv_export_state_fail too (it
 * marks the chain); `fleetvault exports pause|resume|reset`
 * fv_export_state_set_action. The PITR check is
 * fv_dynamodb_describe_continuous_backups (fv/dynamodb.h). */
#ifndef FV_EXPORTS_H
#define FV_EXPORTS_H

#include <fv/aws.h>
#include <fv/dynamodb.h>

/* The window bounds of incremental exports (the service's). */
#define FV_EXPORT_WINDOW_MIN_MS INT64_C(900000)   /* 15 min */
#define FV_EXPORT_WINDOW_MAX_MS INT64_C(86400000) /* 24 h */

enum fv_export_initiated {
    FV_EXPORT_NOT_INITIATED = 0, /* "false" or absent: a full export starts the chain */
    FV_EXPORT_INITIATING,        /* "NULL": a full export at full_export_time started */
    FV_EXPORT_INITIATED,         /* "true": the full export COMPLETED; incrementals follow */
};
enum fv_export_workflow_state {
    FV_EXPORT_NORMAL = 0,
    FV_EXPORT_PITR_GAP, /* the history since the last window end is lost: reset */
};
enum fv_export_workflow_action {
    FV_EXPORT_RUN = 0,
    FV_EXPORT_PAUSE, /* nothing is exported */
    FV_EXPORT_RESET, /* RESET_WITH_FULL_EXPORT_AGAIN: a full export re-initialises the chain */
};

/* The seed's values ("false", "NULL", "true"; "NORMAL", "PITR_GAP"; "RUN",
 * "PAUSE", "RESET_WITH_FULL_EXPORT_AGAIN"); static strings. */
const char *fv_export_initiated_str(enum fv_export_initiated v);
const char *fv_export_workflow_state_str(enum fv_export_workflow_state v);
const char *fv_export_workflow_action_str(enum fv_export_workflow_action v);
/* The inverses; false (and *out untouched) for anything else. */
bool fv_export_initiated_parse(const char *s, enum fv_export_initiated *out);
bool fv_export_workflow_state_parse(const char *s, enum fv_export_workflow_state *out);
bool fv_export_workflow_action_parse(const char *s, enum fv_export_workflow_action *out);

/* Which table's chain; all borrowed. */
struct fv_export_key {
    const char *job;
    const char *account;
    const char *region;
    const char *table;
};

/* One table's chain. Strings owned (clean up with fv_export_state_clean_up);
 * times Unix ms, 0 when unset. */
struct fv_export_state {
    char *job, *account, *region, *table;
    enum fv_export_initiated initiated;
    int64_t full_export_time_ms;             /* full-export-time */
    int64_t last_incremental_export_time_ms; /* last-incremental-export-time: the
                                              * full export's time once it COMPLETED,
                                              * then the end of each window */
    enum fv_export_workflow_state workflow_state;
    enum fv_export_workflow_action workflow_action;
    char *chain_id;        /* ARN of the COMPLETED full export the chain starts from */
    char *last_export_arn; /* the export that last advanced the chain */
    char *last_error;      /* the last failure ("code: message"); NULL after a success */
    int64_t updated_ms;    /* the last write */
    int64_t version;       /* 0: no item yet; every write makes it version + 1 */
};
void fv_export_state_clean_up(struct fv_export_state *s);
/* A chain never written (version 0, not initiated, NORMAL, RUN) of key
 * (copied). out is overwritten. */
void fv_export_state_init(struct fv_export_state *out, const struct fv_export_key *key);

/* The control-table key of key: "export#<job>#<account>#<region>#<table>"
 * (caller frees). */
char *fv_export_state_pk(const struct fv_export_key *key);

/* The chain of key, read consistently from control_table (central). No item
 * (or no control table yet) is FV_OK with a fresh state (version 0). out is caller's (clean up). */
fv_status fv_export_state_get(struct fv_aws_client *central, const char *control_table,
                              const struct fv_export_key *key, struct fv_export_state *out,
                              struct fv_error *err);
/* Writes s as version s->version + 1 if the stored item is still at
 * s->version (absent when 0); then s->version is the new one. Another write
 * in between: FV_E_AWS with fv_dynamodb_is_conditional_failure(err), and
 * nothing written. */
fv_status fv_export_state_put_if_version(struct fv_aws_client *central, const char *control_table,
                                         struct fv_export_state *s, struct fv_error *err);

struct fv_export_states {
    struct fv_export_state *items;
    size_t n;
};
void fv_export_states_clean_up(struct fv_export_states *l);
/* Every chain of job (NULL: of every job) in control_table (a Scan), sorted
 * by job, account, region, table; none without a control table. out is caller's (clean up). */
fv_status fv_export_state_list(struct fv_aws_client *central, const char *control_table,
                               const char *job, struct fv_export_states *out, struct fv_error *err);

/* --- The seed's decision rules (pure) --- */

enum fv_export_decision_kind {
    FV_EXPORT_DO_NOTHING = 0, /* paused, a window not yet due, or no PITR before a chain */
    FV_EXPORT_DO_FULL,        /* a FULL_EXPORT at export_time_ms */
    FV_EXPORT_DO_INCREMENTAL, /* an INCREMENTAL_EXPORT of [from_ms, to_ms) */
    FV_EXPORT_DO_PITR_GAP,    /* the chain cannot go on: a person must act (remedy) */
};
/* "NOTHING", "FULL", "INCREMENTAL", "PITR_GAP". */
const char *fv_export_decision_kind_str(enum fv_export_decision_kind k);

struct fv_export_decision {
    enum fv_export_decision_kind kind;
    int64_t export_time_ms; /* FULL */
    int64_t from_ms, to_ms; /* INCREMENTAL */
    int64_t blocks_behind;  /* incrementalBlocksBehind: whole windows due after this one */
    const char *reason;     /* why, always set (static text) */
    char remedy[1024];      /* what a person must do; "" when nothing */
};

/* What to export now for a chain in state s, PITR as
 * DescribeContinuousBackups tells it, incremental windows of window_ms.
 * The seed's rules, in order:
 *   PAUSE → nothing.
 *   PITR off → PITR_GAP (remedy: enable PITR; then, for an initiated chain,
 *     reset).
 *   RESET → FULL at now (re-initialises the chain; even in PITR_GAP).
 *   a full export started (INITIATING) → FULL at its full_export_time
 *     again (the same export: its ClientToken makes the start idempotent).
 *   PITR_GAP → PITR_GAP (remedy: reset).
 *   not initiated → FULL at now.
 *   earliest restorable time after the last window end → PITR_GAP.
 *   last end + window <= now → INCREMENTAL [last end, last end + window),
 *     blocks_behind the whole windows due after it.
 *   otherwise nothing (not due).
 * FV_E_INVALID when window_ms is outside [15 min, 24 h]. */
fv_status fv_export_decide(const struct fv_export_state *s,
                           const struct fv_dynamodb_continuous_backups *pitr, int64_t window_ms,
                           int64_t now_ms, struct fv_export_decision *out, struct fv_error *err);

/* A new chain for a chain whose full export is full_every_ms old
 * (jobs[].full_export_every_days; 0 or less: never): when d (what
 * fv_export_decide said) is nothing, the chain is initiated, NORMAL and RUN,
 * no window is due and it moved past its full export, d becomes a FULL
 * export at the chain's last window end (so the new chain starts where the
 * old one ends: no gap), and true. The old chain is untouched until that
 * full export COMPLETED (fv_export_apply_completed); retention removes it
 * later (fv/export_retention.h). Pure. */
bool fv_export_renew(const struct fv_export_state *s, int64_t full_every_ms, int64_t window_ms,
                     int64_t now_ms, struct fv_export_decision *d);

/* Whole windows of window_ms due now for s (every window ending at or
 * before now_ms after the last end); 0 for a chain not yet initiated. The
 * status's "blocks behind". Pure. */
int64_t fv_export_windows_due(const struct fv_export_state *s, int64_t window_ms, int64_t now_ms);

/* --- Moving a chain on: pure transitions, and their conditional writes --- */

enum fv_export_outcome {
    FV_EXPORT_APPLIED = 0, /* the state changed (and, through the I/O calls, was written) */
    FV_EXPORT_ALREADY,     /* the state already says so: nothing to write (a redelivery) */
    FV_EXPORT_STALE,       /* the chain moved elsewhere: the caller's export is not the
                            * chain's next step; nothing written */
};

/* A full export at export_time_ms starts: INITIATING at that time, action
 * RUN (a reset is consumed). Applies when the chain is not initiated or is
 * RESET, or for a renewal (fv_export_renew: the chain initiated, NORMAL,
 * RUN, export_time_ms its last window end and after its full export time);
 * ALREADY when it is INITIATING at export_time_ms; STALE otherwise. */
enum fv_export_outcome fv_export_apply_begin_full(struct fv_export_state *s, int64_t export_time_ms,
                                                  int64_t now_ms);
/* The export of decision d (FULL or INCREMENTAL) COMPLETED as export_arn.
 * FULL at the chain's INITIATING time: INITIATED, NORMAL, the window start
 * at export_time, chain_id export_arn. INCREMENTAL from the chain's last
 * end: the last end becomes d->to_ms. ALREADY when the chain is exactly
 * where this export left it; STALE otherwise. last_error is cleared. */
enum fv_export_outcome fv_export_apply_completed(struct fv_export_state *s,
                                                 const struct fv_export_decision *d,
                                                 const char *export_arn, int64_t now_ms);
/* The export of decision d failed (code/message: DescribeExport's failure
 * or the refused start's fv_error; either may be NULL), or d is a PITR_GAP
 * decision. last_error records it. A failed FULL at the chain's INITIATING
 * time: not initiated (the next run starts a new full export). A PITR gap
 * (d PITR_GAP, or fv_dynamodb_export_is_pitr_gap(code, message)) of an
 * initiated chain: PITR_GAP. Any other failure leaves the chain where it
 * was (the same window is due again). STALE when d's export is not the
 * chain's next step (nothing recorded). */
enum fv_export_outcome fv_export_apply_failed(struct fv_export_state *s,
                                              const struct fv_export_decision *d, const char *code,
                                              const char *message, int64_t now_ms);
/* An operator's action (pause, resume = RUN, reset). ALREADY when it is set. */
enum fv_export_outcome fv_export_apply_action(struct fv_export_state *s,
                                              enum fv_export_workflow_action action,
                                              int64_t now_ms);

/* Each: reads key's chain (consistently), applies the transition above and
 * writes it conditionally on the version read; a concurrent write makes it
 * read and apply again (a few times, then FV_E_AWS conditional failure).
 * *outcome (may be NULL) says what happened; out (may be NULL; caller
 * cleans up) is the chain after the call. */
fv_status fv_export_state_begin_full(struct fv_aws_client *central, const char *control_table,
                                     const struct fv_export_key *key, int64_t export_time_ms,
                                     int64_t now_ms, enum fv_export_outcome *outcome,
                                     struct fv_export_state *out, struct fv_error *err);
fv_status fv_export_state_advance(struct fv_aws_client *central, const char *control_table,
                                  const struct fv_export_key *key,
                                  const struct fv_export_decision *d, const char *export_arn,
                                  int64_t now_ms, enum fv_export_outcome *outcome,
                                  struct fv_export_state *out, struct fv_error *err);
fv_status fv_export_state_fail(struct fv_aws_client *central, const char *control_table,
                               const struct fv_export_key *key, const struct fv_export_decision *d,
                               const char *code, const char *message, int64_t now_ms,
                               enum fv_export_outcome *outcome, struct fv_export_state *out,
                               struct fv_error *err);
fv_status fv_export_state_set_action(struct fv_aws_client *central, const char *control_table,
                                     const struct fv_export_key *key,
                                     enum fv_export_workflow_action action, int64_t now_ms,
                                     enum fv_export_outcome *outcome, struct fv_export_state *out,
                                     struct fv_error *err);

/* --- Moving over from seed 003 (its SSM parameters) --- */

/* The seed's parameter of name ("full-export-time", ...) for a deployment
 * alias: "/incremental-export/<alias>/<name>" (caller frees). */
char *fv_export_seed_parameter(const char *alias, const char *name);
/* The five parameter names of alias, in the order above the state struct
 * (each caller frees; out has 5 entries). */
void fv_export_seed_parameters(const char *alias, char *out[5]);

struct fv_ssm_parameters;
/* The chain of key as the seed's parameters of alias describe it (pure):
 * times as the seed wrote them (ISO 8601 with an optional fraction, or
 * epoch seconds), workflow-initiated "true" | "false" | "NULL" (any case;
 * empty is "NULL"), absent parameters as the seed reads them (no
 * last-incremental-export-time: the chain continues from the full export).
 * out is overwritten (version 0). FV_E_PARSE naming the parameter for a
 * value the seed never writes; FV_E_NOTFOUND when none of them exists. */
fv_status fv_export_state_from_seed(const struct fv_ssm_parameters *params, const char *alias,
                                    const struct fv_export_key *key, int64_t now_ms,
                                    struct fv_export_state *out, struct fv_error *err);
/* Reads alias's parameters with member (GetParameters in the seed's
 * account and region) and writes the chain of key into control_table with
 * central: only where fleetvault has no chain yet, or over it with
 * overwrite (conditional on the version read either way). out (may be
 * NULL; caller cleans up) is the chain written. A chain already there
 * without overwrite: FV_E_AWS with fv_dynamodb_is_conditional_failure. */
fv_status fv_export_import_seed(struct fv_aws_client *member, struct fv_aws_client *central,
                                const char *control_table, const struct fv_export_key *key,
                                const char *alias, bool overwrite, int64_t now_ms,
                                struct fv_export_state *out, struct fv_error *err);

#endif

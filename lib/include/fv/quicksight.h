/* QuickSight (rest-json, 2018-04-01): what a backup needs — identities
 * (users, groups, memberships; registering them again on restore), the asset
 * inventory (data sources, data sets, analyses, dashboards) and asset-bundle
 * export/import jobs, plus the download of an exported bundle.
 *
 * Every call takes the account id and (for identities) the namespace; path
 * segments are URI-encoded here, so names are passed raw. List functions
 * follow NextToken through every page and append to their out list (on an
 * error it keeps what was read: clean it up either way).
 *
 * Errors by value. A missing user, group, data set or job is FV_E_NOTFOUND
 * (err->code keeps ResourceNotFoundException). Other service errors are
 * FV_E_AWS with err->code: LimitExceededException (a 6th concurrent export
 * job), ConflictException (a job id still running), ValidationException,
 * AccessDeniedException, ... Note that the client's retry policy treats
 * LimitExceededException as a throttle: it is retried with throttle backoff
 * before it reaches the caller. */
#ifndef FV_QUICKSIGHT_H
#define FV_QUICKSIGHT_H

#include <fv/aws.h>

struct json_object;

#define FV_QUICKSIGHT_PAGE_MAX 100                        /* MaxResults of every List call */
#define FV_QUICKSIGHT_BUNDLE_ARNS_MAX 100                 /* ResourceArns of one export job */
#define FV_QUICKSIGHT_EXPORT_JOBS_MAX 5                   /* concurrent export jobs per account */
#define FV_QUICKSIGHT_IMPORT_BODY_MAX (20u * 1024 * 1024) /* Body bytes; larger: S3Uri */
/* err->code of a download whose presigned URL was refused (403): it expired
 * (DownloadUrl lives 5 minutes) — describe the job again for a fresh one. */
#define FV_QUICKSIGHT_EXPIRED_URL "ExpiredDownloadUrl"

/* Paging of a List call; NULL or zeroed → 100 a page, every page.
 * With next_token_out, one page only: the one after start_token (NULL: the
 * first), and *next_token_out the token of the next (caller frees; NULL
 * after the last page) — a caller holds one page at a time. */
struct fv_quicksight_list_options {
    int page_size;           /* MaxResults 1..100; 0 → 100 */
    bool no_file_check;      /* ListDataSets only: skip the FILE classification */
    const char *start_token; /* borrowed; only with next_token_out */
    char **next_token_out;
};

/* --- Identities --- */

struct fv_quicksight_user {
    char *user_name;
    char *arn;
    char *email;
    char *role;          /* UserRole: ADMIN, AUTHOR, READER, ADMIN_PRO, ... */
    char *identity_type; /* QUICKSIGHT, IAM, IAM_IDENTITY_CENTER */
    char *principal_id;
    char *custom_permissions_name; /* NULL when none */
    bool active;
};
void fv_quicksight_user_clean_up(struct fv_quicksight_user *u);

struct fv_quicksight_users {
    struct fv_quicksight_user *items;
    size_t n, cap;
    size_t pages; /* calls made into this list */
};
void fv_quicksight_users_clean_up(struct fv_quicksight_users *l);

/* ListUsers, every page. out is caller's (zeroed or a list to append to). */
fv_status fv_quicksight_list_users(struct fv_aws_client *c, const char *account_id, const char *ns,
                                   const struct fv_quicksight_list_options *opt,
                                   struct fv_quicksight_users *out, struct fv_error *err);
/* FV_E_NOTFOUND when the user does not exist. */
fv_status fv_quicksight_describe_user(struct fv_aws_client *c, const char *account_id,
                                      const char *ns, const char *user_name,
                                      struct fv_quicksight_user *out, struct fv_error *err);

struct fv_quicksight_group {
    char *group_name;
    char *arn;
    char *description; /* NULL when none */
    char *principal_id;
};
void fv_quicksight_group_clean_up(struct fv_quicksight_group *g);

struct fv_quicksight_groups {
    struct fv_quicksight_group *items;
    size_t n, cap;
    size_t pages;
};
void fv_quicksight_groups_clean_up(struct fv_quicksight_groups *l);

fv_status fv_quicksight_list_groups(struct fv_aws_client *c, const char *account_id, const char *ns,
                                    const struct fv_quicksight_list_options *opt,
                                    struct fv_quicksight_groups *out, struct fv_error *err);
/* FV_E_NOTFOUND when the group does not exist. */
fv_status fv_quicksight_describe_group(struct fv_aws_client *c, const char *account_id,
                                       const char *ns, const char *group_name,
                                       struct fv_quicksight_group *out, struct fv_error *err);

struct fv_quicksight_member {
    char *member_name; /* the user's name */
    char *arn;         /* ...:group/<ns>/<group>/<member> */
};
struct fv_quicksight_members {
    struct fv_quicksight_member *items;
    size_t n, cap;
    size_t pages;
};
void fv_quicksight_members_clean_up(struct fv_quicksight_members *l);

/* ListGroupMemberships of one group, every page. FV_E_NOTFOUND when the
 * group does not exist. */
fv_status fv_quicksight_list_group_memberships(struct fv_aws_client *c, const char *account_id,
                                               const char *ns, const char *group_name,
                                               const struct fv_quicksight_list_options *opt,
                                               struct fv_quicksight_members *out,
                                               struct fv_error *err);

/* RegisterUser. All borrowed. */
struct fv_quicksight_register_user {
    const char *identity_type; /* "QUICKSIGHT" (needs user_name) or "IAM" (needs iam_arn) */
    const char *email;         /* required */
    const char *user_role;     /* required: ADMIN, AUTHOR, READER, ... */
    const char *user_name;     /* required for QUICKSIGHT; for IAM optional (AWS names the user
                                  after the IAM identity; moto needs it) */
    const char *iam_arn;       /* IAM users and roles */
    const char *session_name;  /* IAM role sessions; may be NULL */
    const char *custom_permissions_name; /* may be NULL */
};

/* Registers a user; one that exists already (ResourceExistsException) is
 * FV_OK with *created false — it is left as it is, not updated. created may
 * be NULL. FV_E_INVALID (nothing sent) when a required field is missing. */
fv_status fv_quicksight_register_user(struct fv_aws_client *c, const char *account_id,
                                      const char *ns, const struct fv_quicksight_register_user *req,
                                      bool *created, struct fv_error *err);
/* CreateGroup; an existing group (ResourceExistsException) is FV_OK with
 * *created false (left as it is). description and created may be NULL. */
fv_status fv_quicksight_create_group(struct fv_aws_client *c, const char *account_id,
                                     const char *ns, const char *group_name,
                                     const char *description, bool *created, struct fv_error *err);
/* CreateGroupMembership (a PUT: adding a member twice is FV_OK).
 * FV_E_NOTFOUND when the group (or, on AWS, the user) does not exist. */
fv_status fv_quicksight_create_group_membership(struct fv_aws_client *c, const char *account_id,
                                                const char *ns, const char *group_name,
                                                const char *member_name, struct fv_error *err);

/* --- Assets --- */

/* A data source, data set, analysis or dashboard from its List call. */
struct fv_quicksight_asset {
    char *id; /* DataSourceId, DataSetId, AnalysisId, DashboardId */
    char *arn;
    char *name;
    char *type;        /* data sources: Type (ATHENA, S3, ...); else NULL */
    char *import_mode; /* data sets: SPICE or DIRECT_QUERY; else NULL */
    char *status;      /* data sources, analyses: Status; else NULL */
    int64_t created_ms;
    int64_t updated_ms;
    /* Data sets: a FILE data set (an uploaded file), which asset bundles
     * cannot carry. The rule: ListDataSets' summary has only ImportMode
     * (SPICE or DIRECT_QUERY, never a source type), and an uploaded file is
     * always imported into SPICE, so a DIRECT_QUERY data set is not FILE and
     * costs nothing more; a SPICE one (or one without ImportMode) is
     * described once (DescribeDataSet) and is FILE when any entry of its
     * PhysicalTableMap is an S3Source, or when DescribeDataSet refuses it
     * with InvalidParameterValueException (AWS's answer for data set types
     * its API does not support, as for some uploads). Caveat: a data set on
     * an S3 data source with a manifest is an S3Source too, so it counts as
     * FILE. A data set deleted between list and describe stays, not FILE.
     * described says whether DescribeDataSet was called for it. */
    bool is_file;
    bool described;
};
void fv_quicksight_asset_clean_up(struct fv_quicksight_asset *a);

struct fv_quicksight_assets {
    struct fv_quicksight_asset *items;
    size_t n, cap;
    size_t pages;     /* List calls made into this list */
    size_t describes; /* DescribeDataSet calls made for the FILE check */
};
void fv_quicksight_assets_clean_up(struct fv_quicksight_assets *l);

/* Every page of ListDataSources / ListDataSets / ListAnalyses /
 * ListDashboards, appended to out (caller's). ListDataSets classifies FILE
 * data sets (see is_file) unless opt->no_file_check. */
fv_status fv_quicksight_list_data_sources(struct fv_aws_client *c, const char *account_id,
                                          const struct fv_quicksight_list_options *opt,
                                          struct fv_quicksight_assets *out, struct fv_error *err);
fv_status fv_quicksight_list_data_sets(struct fv_aws_client *c, const char *account_id,
                                       const struct fv_quicksight_list_options *opt,
                                       struct fv_quicksight_assets *out, struct fv_error *err);
fv_status fv_quicksight_list_analyses(struct fv_aws_client *c, const char *account_id,
                                      const struct fv_quicksight_list_options *opt,
                                      struct fv_quicksight_assets *out, struct fv_error *err);
fv_status fv_quicksight_list_dashboards(struct fv_aws_client *c, const char *account_id,
                                        const struct fv_quicksight_list_options *opt,
                                        struct fv_quicksight_assets *out, struct fv_error *err);

/* DescribeDataSet of one data set and the FILE rule above applied to it.
 * FV_E_NOTFOUND when the data set does not exist. */
fv_status fv_quicksight_data_set_is_file(struct fv_aws_client *c, const char *account_id,
                                         const char *data_set_id, bool *is_file,
                                         struct fv_error *err);
/* The FILE rule on a DescribeDataSet "DataSet" object (borrowed). */
bool fv_quicksight_data_set_json_is_file(struct json_object *data_set);

/* --- Asset bundles --- */

enum fv_quicksight_job_status {
    FV_QS_JOB_UNKNOWN = 0,
    FV_QS_JOB_QUEUED, /* QUEUED_FOR_IMMEDIATE_EXECUTION */
    FV_QS_JOB_IN_PROGRESS,
    FV_QS_JOB_SUCCESSFUL,
    FV_QS_JOB_FAILED,
    FV_QS_JOB_FAILED_ROLLBACK_IN_PROGRESS, /* imports only */
    FV_QS_JOB_FAILED_ROLLBACK_COMPLETED,
    FV_QS_JOB_FAILED_ROLLBACK_ERROR,
};
/* The service's spelling ("QUEUED_FOR_IMMEDIATE_EXECUTION", ...); "UNKNOWN"
 * for anything else. */
const char *fv_quicksight_job_status_str(enum fv_quicksight_job_status s);
/* True once the job has ended (SUCCESSFUL, FAILED, FAILED_ROLLBACK_COMPLETED,
 * FAILED_ROLLBACK_ERROR): its id may then be reused. */
bool fv_quicksight_job_status_done(enum fv_quicksight_job_status s);

/* An error or a warning of a job. */
struct fv_quicksight_job_issue {
    char *arn;
    char *type; /* NULL for warnings */
    char *message;
};
struct fv_quicksight_job_issues {
    struct fv_quicksight_job_issue *items;
    size_t n;
};
void fv_quicksight_job_issues_clean_up(struct fv_quicksight_job_issues *l);

/* StartAssetBundleExportJob. All borrowed. */
struct fv_quicksight_export_request {
    const char *job_id;               /* [A-Za-z0-9_-]{1,512}; unique while running */
    const char *const *resource_arns; /* 1..100 ARNs */
    size_t n_resource_arns;
    bool include_all_dependencies; /* IncludeAllDependencies */
    bool include_permissions;      /* IncludePermissions */
    bool include_tags;             /* IncludeTags */
    const char *export_format;     /* NULL → "QUICKSIGHT_JSON" (the only format import takes);
                                      or "CLOUDFORMATION_JSON" */
};

/* Starts an export job. *job_arn_out (may be NULL; caller owns, free())
 * is the job's ARN. FV_E_INVALID (nothing sent) for 0 or more than 100 ARNs.
 * LimitExceededException: 5 export jobs are running; ConflictException: a
 * job with this id is running. */
fv_status fv_quicksight_start_export(struct fv_aws_client *c, const char *account_id,
                                     const struct fv_quicksight_export_request *req,
                                     char **job_arn_out, struct fv_error *err);

struct fv_quicksight_export_job {
    char *job_id;
    char *arn;
    enum fv_quicksight_job_status status;
    char *status_text; /* JobStatus as the service spelled it */
    /* SUCCESSFUL only: a presigned URL valid about 5 minutes. It is a
     * bearer credential: never log it. */
    char *download_url;
    char *export_format;
    int64_t created_ms;
    struct fv_quicksight_job_issues errors;   /* FAILED: Arn, Type, Message */
    struct fv_quicksight_job_issues warnings; /* Arn, Message */
};
void fv_quicksight_export_job_clean_up(struct fv_quicksight_export_job *j);

/* DescribeAssetBundleExportJob (each call on a SUCCESSFUL job gives a fresh
 * DownloadUrl). FV_E_NOTFOUND when there is no such job. */
fv_status fv_quicksight_describe_export(struct fv_aws_client *c, const char *account_id,
                                        const char *job_id, struct fv_quicksight_export_job *out,
                                        struct fv_error *err);

/* StartAssetBundleImportJob. All borrowed. */
struct fv_quicksight_import_request {
    const char *job_id;
    /* The source: exactly one of body (the bundle's zip bytes, at most
     * 20 MiB, sent base64-encoded) and s3_uri ("s3://bucket/key"). */
    struct fv_cur body;
    const char *s3_uri;
    /* OverrideParameters as JSON text ({"ResourceIdOverrideConfiguration":
     * {"PrefixForAllResources": "x-"}, "DataSources": [...]}), passed through
     * as it is; NULL: none. Must be a JSON object (else FV_E_INVALID). */
    const char *override_parameters_json;
    const char *failure_action; /* NULL → the service's default (ROLLBACK); "DO_NOTHING" */
};

/* Starts an import job; *job_arn_out as for exports. FV_E_INVALID (nothing
 * sent) when the source is not exactly one of body and s3_uri, the body is
 * larger than 20 MiB or the overrides are not a JSON object. */
fv_status fv_quicksight_start_import(struct fv_aws_client *c, const char *account_id,
                                     const struct fv_quicksight_import_request *req,
                                     char **job_arn_out, struct fv_error *err);

struct fv_quicksight_import_job {
    char *job_id;
    char *arn;
    enum fv_quicksight_job_status status;
    char *status_text;
    char *failure_action;
    int64_t created_ms;
    struct fv_quicksight_job_issues errors;
    struct fv_quicksight_job_issues rollback_errors;
    struct fv_quicksight_job_issues warnings;
};
void fv_quicksight_import_job_clean_up(struct fv_quicksight_import_job *j);

/* DescribeAssetBundleImportJob. FV_E_NOTFOUND when there is no such job. */
fv_status fv_quicksight_describe_import(struct fv_aws_client *c, const char *account_id,
                                        const char *job_id, struct fv_quicksight_import_job *out,
                                        struct fv_error *err);

/* --- Bundle download --- */

/* Receives the bundle's bytes in order; return n to go on, anything else
 * stops the download (FV_E_IO). */
typedef size_t fv_quicksight_sink_fn(void *ud, const char *data, size_t n);

/* GETs a DownloadUrl (presigned: sent unsigned) on the client's HTTP engine
 * and streams the 2xx body into sink; nothing is buffered here. *bytes_out
 * (may be NULL) is the byte count delivered. A 403 is FV_E_AWS with
 * err->code FV_QUICKSIGHT_EXPIRED_URL (err->message keeps the service's
 * text, e.g. "Request has expired"): describe the job again and retry with
 * the fresh URL. Other HTTP errors are FV_E_AWS with the decoded S3 code;
 * transport failures FV_E_NET / FV_E_TIMEOUT (err->retryable). A failed
 * download may have fed the sink part of the body: start over. A URL that is
 * not https to an S3 host of the client's region (or the overridden
 * endpoint) is never fetched: FV_E_INVALID, err->code "DownloadUrlRefused",
 * not retryable (fv_endpoint_check_download_url). Error messages never
 * contain the URL's query (its signature). */
fv_status fv_quicksight_download_bundle(struct fv_aws_client *c, const char *download_url,
                                        fv_quicksight_sink_fn *sink, void *ud, int64_t *bytes_out,
                                        struct fv_error *err);

#endif

/* QuickSight asset inventory: data sources, data sets (with the FILE
 * classification asset bundles need), analyses, dashboards. */
#include "quicksight_internal.h"

#include <stdlib.h>
#include <string.h>

void fv_quicksight_asset_clean_up(struct fv_quicksight_asset *a)
{
    if (!a)
        return;
    free(a->id);
    free(a->arn);
    free(a->name);
    free(a->type);
    free(a->import_mode);
    free(a->status);
    memset(a, 0, sizeof(*a));
}

void fv_quicksight_assets_clean_up(struct fv_quicksight_assets *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        fv_quicksight_asset_clean_up(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

/* How one List call names its items. */
struct s_kind {
    const char *op;
    const char *collection; /* path after /accounts/<id> */
    const char *list_field;
    const char *id_field;
};

static const struct s_kind s_data_sources = {"ListDataSources", "/data-sources", "DataSources",
                                             "DataSourceId"};
static const struct s_kind s_data_sets = {"ListDataSets", "/data-sets", "DataSetSummaries",
                                          "DataSetId"};
static const struct s_kind s_analyses = {"ListAnalyses", "/analyses", "AnalysisSummaryList",
                                         "AnalysisId"};
static const struct s_kind s_dashboards = {"ListDashboards", "/dashboards", "DashboardSummaryList",
                                           "DashboardId"};

struct s_collect {
    const struct s_kind *kind;
    struct fv_quicksight_assets *out;
};

static fv_status s_add_asset(void *ud, struct json_object *item, struct fv_error *err)
{
    struct s_collect *col = ud;
    char *id = fv_json_str(item, col->kind->id_field);
    char *arn = fv_json_str(item, "Arn");
    if (!id || !arn) {
        free(id);
        free(arn);
        return fv_error_set(err, FV_E_PARSE, "quicksight %s: an item without %s or Arn",
                            col->kind->op, col->kind->id_field);
    }
    int64_t created, updated;
    fv_status st = fv_json_time_ms(item, "CreatedTime", "quicksight", col->kind->op, &created, err);
    if (st == FV_OK)
        st = fv_json_time_ms(item, "LastUpdatedTime", "quicksight", col->kind->op, &updated, err);
    if (st != FV_OK) {
        free(id);
        free(arn);
        return st;
    }
    struct fv_quicksight_assets *l = col->out;
    struct fv_quicksight_asset *a =
        fv_qs_push((void **)&l->items, &l->n, &l->cap, sizeof(*l->items));
    a->id = id;
    a->arn = arn;
    a->name = fv_json_str(item, "Name");
    a->created_ms = created;
    a->updated_ms = updated;
    if (col->kind == &s_data_sources) {
        a->type = fv_json_str(item, "Type");
        a->status = fv_json_str(item, "Status");
    } else if (col->kind == &s_data_sets) {
        a->import_mode = fv_json_str(item, "ImportMode");
    } else if (col->kind == &s_analyses) {
        a->status = fv_json_str(item, "Status");
    }
    return FV_OK;
}

static fv_status s_list(struct fv_aws_client *c, const struct s_kind *kind, const char *account_id,
                        const struct fv_quicksight_list_options *opt,
                        struct fv_quicksight_assets *out, struct fv_error *err)
{
    struct fv_buf path = {0};
    fv_qs_path(&path, account_id, kind->collection, NULL);
    struct s_collect col = {kind, out};
    fv_status st = fv_qs_list(c, kind->op, path.ptr, opt, kind->list_field, s_add_asset, &col,
                              &out->pages, err);
    fv_buf_clean_up(&path);
    return st;
}

fv_status fv_quicksight_list_data_sources(struct fv_aws_client *c, const char *account_id,
                                          const struct fv_quicksight_list_options *opt,
                                          struct fv_quicksight_assets *out, struct fv_error *err)
{
    return s_list(c, &s_data_sources, account_id, opt, out, err);
}

fv_status fv_quicksight_list_analyses(struct fv_aws_client *c, const char *account_id,
                                      const struct fv_quicksight_list_options *opt,
                                      struct fv_quicksight_assets *out, struct fv_error *err)
{
    return s_list(c, &s_analyses, account_id, opt, out, err);
}

fv_status fv_quicksight_list_dashboards(struct fv_aws_client *c, const char *account_id,
                                        const struct fv_quicksight_list_options *opt,
                                        struct fv_quicksight_assets *out, struct fv_error *err)
{
    return s_list(c, &s_dashboards, account_id, opt, out, err);
}

/* --- FILE data sets --- */

bool fv_quicksight_data_set_json_is_file(struct json_object *data_set)
{
    struct json_object *tables = fv_json_get(data_set, "PhysicalTableMap");
    if (!tables || !json_object_is_type(tables, json_type_object))
        return false;
    json_object_object_foreach(tables, key, table)
    {
        (void)key;
        if (fv_json_get(table, "S3Source"))
            return true;
    }
    return false;
}

fv_status fv_quicksight_data_set_is_file(struct fv_aws_client *c, const char *account_id,
                                         const char *data_set_id, bool *is_file,
                                         struct fv_error *err)
{
    struct fv_error local;
    struct fv_error *e = err ? err : &local;
    *is_file = false;
    struct fv_buf path = {0};
    fv_qs_path(&path, account_id, "/data-sets", data_set_id, NULL);
    struct json_object *resp = NULL;
    fv_status st = fv_qs_call(c, "DescribeDataSet", "GET", path.ptr, NULL, NULL, &resp, e);
    fv_buf_clean_up(&path);
    if (st == FV_E_AWS && fv_qs_is_code(e, "InvalidParameterValueException")) {
        /* AWS refuses to describe some uploaded-file data sets ("The data set
         * type is not supported through API yet"): not exportable either. */
        fv_error_clear(e);
        *is_file = true;
        return FV_OK;
    }
    if (st != FV_OK)
        return st;
    struct json_object *ds = fv_json_get(resp, "DataSet");
    if (!ds)
        st = fv_error_set(err, FV_E_PARSE, "quicksight DescribeDataSet: no DataSet in response");
    else
        *is_file = fv_quicksight_data_set_json_is_file(ds);
    json_object_put(resp);
    return st;
}

fv_status fv_quicksight_list_data_sets(struct fv_aws_client *c, const char *account_id,
                                       const struct fv_quicksight_list_options *opt,
                                       struct fv_quicksight_assets *out, struct fv_error *err)
{
    size_t first = out->n;
    fv_status st = s_list(c, &s_data_sets, account_id, opt, out, err);
    if (st != FV_OK || (opt && opt->no_file_check))
        return st;
    /* Only SPICE can hold an uploaded file: DIRECT_QUERY needs no call. */
    for (size_t i = first; i < out->n && st == FV_OK; i++) {
        struct fv_quicksight_asset *a = &out->items[i];
        if (a->import_mode && strcmp(a->import_mode, "DIRECT_QUERY") == 0)
            continue;
        st = fv_quicksight_data_set_is_file(c, account_id, a->id, &a->is_file, err);
        out->describes++;
        a->described = true;
        if (st == FV_E_NOTFOUND) /* deleted since it was listed */
            st = FV_OK;
    }
    return st;
}

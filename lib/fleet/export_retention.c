/* Retention of DynamoDB export chains (fv/export_retention.h). */
#include <fv/export_retention.h>

#include <string.h>

/* The base of table: its newest completed full export at or before
 * horizon (on a tie the smaller ARN); n when there is none. */
static size_t s_base(const struct fv_export_retention_item *it, size_t n, const char *table,
                     int64_t horizon)
{
    size_t base = n;
    for (size_t i = 0; i < n; i++) {
        if (it[i].incremental || it[i].status != FV_DDB_EXPORT_COMPLETED ||
            it[i].time_ms > horizon || strcmp(it[i].table_arn, table) != 0)
            continue;
        if (base == n || it[i].time_ms > it[base].time_ms ||
            (it[i].time_ms == it[base].time_ms &&
             strcmp(it[i].export_arn, it[base].export_arn) < 0))
            base = i;
    }
    return base;
}

size_t fv_export_retention_select(const struct fv_export_retention_item *items, size_t n,
                                  int64_t now_ms, int64_t keep_ms, bool *del)
{
    int64_t horizon = now_ms - (keep_ms > 0 ? keep_ms : 0);
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        del[i] = false;
        if (items[i].status != FV_DDB_EXPORT_COMPLETED && items[i].status != FV_DDB_EXPORT_FAILED)
            continue; /* running, or not known: kept */
        size_t base = s_base(items, n, items[i].table_arn, horizon);
        if (base == n || base == i || items[i].time_ms > items[base].time_ms)
            continue;
        del[i] = true;
        count++;
    }
    return count;
}

/* libFuzzer target: the small text formats fleetvault reads from outside —
 * ISO 8601 times (STS and credential-endpoint expirations, S3
 * LastModified), epoch-seconds numbers (DynamoDB, QuickSight), the
 * credential JSON of the container and IMDS endpoints, the AWS shared
 * config and credentials files (the INI parser, then profile resolution
 * over both files), schedule expressions, and run manifests (what verify
 * and restore read back from the bucket).
 *
 * Input: byte 0 picks the format; the rest is the text. For the shared
 * files, "\n--\n" separates the config file from the credentials file. */
#include "fuzz_input.h"

#include "aws/creds_internal.h"
#include "aws/ini.h"
#include "schedule.h"

#include <fv/clock.h>
#include <fv/manifest.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void s_iso8601(struct fv_cur in)
{
    char *s = fv_strndup(in.ptr, in.len);
    int64_t t = fv_time_parse_iso8601(s);
    free(s);
    if (t == -1)
        return;
    if (t < 0 || t > FV_TIME_MAX_MS / 1000)
        abort();
    /* What parses is a time we can write and read back. */
    char back[21];
    fv_time_iso8601(t, back);
    if (fv_time_parse_iso8601(back) != t)
        abort();
}

static void s_epoch(struct fv_cur in)
{
    double d;
    if (in.len < sizeof(d))
        return;
    memcpy(&d, in.ptr, sizeof(d));
    int64_t ms = -7;
    if (fv_time_epoch_s_to_ms(d, &ms) ? ms < 0 || ms > FV_TIME_MAX_MS : ms != -7)
        abort();
}

static void s_creds_json(struct fv_cur in)
{
    struct fv_credentials c = {0};
    struct fv_error err = {0};
    if (fv_creds_parse_json(in.ptr, in.len, "the fuzzer", &c, &err) == FV_OK) {
        if (!c.access_key_id || !*c.access_key_id || !c.secret_access_key || c.expiration < 0)
            abort();
    }
    fuzz_check_error(&err);
    fv_credentials_clean_up(&c);
}

static void s_ini(struct fv_cur in)
{
    struct fv_ini ini = {0};
    struct fv_error err = {0};
    if (fv_ini_parse(in.ptr, in.len, "fuzz.ini", &ini, &err) == FV_OK) {
        for (size_t i = 0; i < ini.n; i++) {
            const struct fv_ini_section *s = fv_ini_section(&ini, ini.sections[i].name);
            for (size_t j = 0; s && j < ini.sections[i].n; j++)
                if (!fv_ini_get(s, ini.sections[i].props[j].key))
                    abort(); /* every key read is found again */
        }
    }
    fuzz_check_error(&err);
    fv_ini_clean_up(&ini);
}

/* The shared files live in a directory of this process. */
static char s_dir[64];
static char s_config_path[96], s_creds_path[96];

static const char *s_getenv(void *ud, const char *name)
{
    (void)ud;
    if (strcmp(name, "AWS_CONFIG_FILE") == 0)
        return s_config_path;
    if (strcmp(name, "AWS_SHARED_CREDENTIALS_FILE") == 0)
        return s_creds_path;
    return NULL;
}

static void s_remove_files(void)
{
    unlink(s_config_path);
    unlink(s_creds_path);
    rmdir(s_dir);
}

static void s_write(const char *path, struct fv_cur bytes)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes.ptr, 1, bytes.len, f) != bytes.len || fclose(f) != 0)
        abort();
}

static void s_profile(struct fv_cur in, bool explicit_profile)
{
    if (!s_dir[0]) {
        snprintf(s_dir, sizeof(s_dir), "/tmp/fv-fuzz-formats-%d", (int)getpid());
        mkdir(s_dir, 0700);
        snprintf(s_config_path, sizeof(s_config_path), "%s/config", s_dir);
        snprintf(s_creds_path, sizeof(s_creds_path), "%s/credentials", s_dir);
        atexit(s_remove_files);
    }
    struct fv_cur config, creds;
    if (!fuzz_split(in, "\n--\n", &config, &creds)) {
        config = in;
        creds = (struct fv_cur){"", 0};
    }
    s_write(s_config_path, config);
    s_write(s_creds_path, creds);
    struct fv_creds_env env;
    fv_creds_env_fill(&env, &(struct fv_creds_env){.getenv = s_getenv});
    struct fv_creds_provider *p = NULL;
    struct fv_buf where = {0};
    struct fv_error err = {0};
    /* Resolution only: fetching could call STS or read a token file. */
    if (fv_creds_profile_resolve(explicit_profile ? "p" : "default", explicit_profile, "us-east-1",
                                 &env, &p, &where, &err) == FV_OK &&
        p && !fv_creds_source(p))
        abort();
    fuzz_check_error(&err);
    fv_creds_unref(p);
    fv_buf_clean_up(&where);
}

static void s_schedule(struct fv_cur in)
{
    char *expr = fv_strndup(in.ptr, in.len);
    struct fv_schedule *s = NULL;
    struct fv_error err = {0};
    if (fv_schedule_parse(expr, &s, &err) == FV_OK) {
        /* From a time the input picks, three fire times: whole minutes,
         * strictly increasing. */
        int64_t after = (int64_t)(in.len * 7919 % 4102444800);
        for (int i = 0; i < 3; i++) {
            int64_t next;
            if (fv_schedule_next(s, after, &next, &err) != FV_OK)
                break;
            if (next <= after || next % 60 != 0)
                abort();
            after = next;
        }
    }
    fuzz_check_error(&err);
    fv_schedule_destroy(s);
    free(expr);
}

static void s_manifest(struct fv_cur in)
{
    struct fv_manifest m;
    struct fv_error err = {0};
    if (fv_manifest_parse("fuzz.json", in.ptr, in.len, &m, &err) == FV_OK)
        fv_manifest_clean_up(&m);
    fuzz_check_error(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 16384)
        return 0;
    struct fv_cur in = {(const char *)data + 1, size - 1};
    switch (data[0] % 8) {
    case 0: s_iso8601(in); break;
    case 1: s_epoch(in); break;
    case 2: s_creds_json(in); break;
    case 3: s_ini(in); break;
    case 4: s_profile(in, false); break;
    case 5: s_profile(in, true); break;
    case 6: s_schedule(in); break;
    default: s_manifest(in); break;
    }
    return 0;
}

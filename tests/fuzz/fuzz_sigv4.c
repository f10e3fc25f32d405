/* libFuzzer target: the SigV4 canonicaliser and signer over fuzzed request
 * parts. Nothing may crash, and the canonical form must be stable: the same
 * request twice gives the same bytes, so do distinct headers in another
 * order; the canonical query read back as a query canonicalises to itself;
 * signed headers are lower-case and sorted; and whatever canonicalises can
 * be signed and presigned.
 *
 * Input: byte 0 flags (bit 0 S3 path rules, bit 1 a session token, bit 2
 * UNSIGNED-PAYLOAD, bit 3 no Host of our own), bytes 1-4 the time; then
 * "METHOD\nPATH\nQUERY\n", header lines, an empty line and the body. */
#include "fuzz_input.h"

#include <fv/sigv4.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Line n (0-based) of a canonical request, borrowed. */
static struct fv_cur s_line(const struct fv_buf *b, int n)
{
    struct fv_cur in = {b->ptr, b->len}, line = {0};
    for (int i = 0; i <= n; i++)
        line = fuzz_take(&in, "\n");
    return line;
}

static void s_check_signed_headers(const struct fv_buf *sh)
{
    struct fv_cur in = {sh->ptr, sh->len}, prev = {0};
    while (in.len) {
        struct fv_cur name = fuzz_take(&in, ";");
        for (size_t i = 0; i < name.len; i++)
            if (name.ptr[i] >= 'A' && name.ptr[i] <= 'Z')
                abort(); /* lower-case */
        if (prev.ptr) {
            size_t n = prev.len < name.len ? prev.len : name.len;
            int c = memcmp(prev.ptr, name.ptr, n);
            if (c > 0 || (c == 0 && prev.len > name.len))
                abort(); /* sorted */
        }
        prev = name;
    }
}

/* No two headers share a name (case aside). */
static bool s_distinct(const struct fv_headers *h)
{
    for (size_t i = 0; i < h->n; i++)
        for (size_t j = i + 1; j < h->n; j++)
            if (strcasecmp(h->items[i].name, h->items[j].name) == 0)
                return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5 || size > 16384)
        return 0;
    uint8_t flags = data[0];
    uint32_t t =
        (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 8 | data[4];
    struct fv_cur in = {(const char *)data + 5, size - 5};
    struct fv_cur m = fuzz_take(&in, "\n"), pa = fuzz_take(&in, "\n"), q = fuzz_take(&in, "\n");
    char *method = fv_strndup(m.ptr, m.len);
    char *path = fv_strndup(pa.ptr, pa.len), *query = fv_strndup(q.ptr, q.len);
    struct fv_headers h = {0};
    struct fv_cur body;
    if (!(flags & 8))
        fv_headers_add(&h, "Host", "dynamodb.us-east-1.amazonaws.com");
    fuzz_answer(in, &h, &body);

    struct fv_credentials creds = {.access_key_id = "AKIDEXAMPLE",
                                   .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                   .session_token = flags & 2 ? "token/with+odd=chars " : NULL};
    struct fv_sigv4_params p = {.region = "us-east-1",
                                .service = flags & 1 ? "s3" : "dynamodb",
                                .time = t,
                                .creds = &creds,
                                .s3_path_rules = flags & 1,
                                .payload_hash = flags & 4 ? FV_SIGV4_UNSIGNED_PAYLOAD : NULL,
                                .add_content_sha256 = true,
                                .expires = 300};
    struct fv_sigv4_request req = {method, path, query, &h, body};
    struct fv_buf c1 = {0}, c2 = {0}, sh1 = {0}, sh2 = {0}, c3 = {0}, out = {0};
    struct fv_error err = {0};
    fv_status st = fv_sigv4_canonical_request(&p, &req, &c1, &sh1, &err);
    fuzz_check_error(&err);
    if (st == FV_OK) {
        if (fv_sigv4_canonical_request(&p, &req, &c2, &sh2, &err) != FV_OK || c1.len != c2.len ||
            memcmp(c1.ptr, c2.ptr, c1.len) != 0 || sh1.len != sh2.len ||
            memcmp(sh1.ptr, sh2.ptr, sh1.len) != 0)
            abort(); /* the same request, the same canonical form */
        s_check_signed_headers(&sh1);
        /* Distinct headers in another order: the same canonical request. */
        if (s_distinct(&h)) {
            struct fv_headers rev = {0};
            for (size_t i = h.n; i-- > 0;)
                fv_headers_add(&rev, h.items[i].name, h.items[i].value);
            struct fv_sigv4_request rreq = {method, path, query, &rev, body};
            if (fv_sigv4_canonical_request(&p, &rreq, &c3, NULL, &err) != FV_OK ||
                c3.len != c1.len || memcmp(c3.ptr, c1.ptr, c1.len) != 0)
                abort();
            fv_headers_clean_up(&rev);
        }
        /* The canonical query is its own canonical form. */
        struct fv_cur cq = s_line(&c1, 2);
        char *again = fv_strndup(cq.ptr, cq.len);
        struct fv_sigv4_request req2 = {method, path, again, &h, body};
        if (fv_sigv4_canonical_request(&p, &req2, &c3, NULL, &err) != FV_OK)
            abort();
        struct fv_cur cq3 = s_line(&c3, 2);
        if (cq3.len != cq.len || memcmp(cq3.ptr, cq.ptr, cq.len) != 0)
            abort();
        free(again);
        /* What canonicalises signs, in both forms. */
        struct fv_headers signed_h = {0};
        for (size_t i = 0; i < h.n; i++)
            fv_headers_add(&signed_h, h.items[i].name, h.items[i].value);
        struct fv_sigv4_request sreq = {method, path, query, &signed_h, body};
        const char *auth;
        if (fv_sigv4_sign(&p, &sreq, &err) != FV_OK ||
            !(auth = fv_headers_get(&signed_h, "Authorization")) || !strstr(auth, "Signature="))
            abort();
        if (fv_sigv4_presign(&p, &req, &out, &err) != FV_OK ||
            !strstr(fv_buf_str(&out), "X-Amz-Signature="))
            abort();
        fv_headers_clean_up(&signed_h);
    }
    fv_buf_clean_up(&c1);
    fv_buf_clean_up(&c2);
    fv_buf_clean_up(&c3);
    fv_buf_clean_up(&sh1);
    fv_buf_clean_up(&sh2);
    fv_buf_clean_up(&out);
    fv_headers_clean_up(&h);
    free(method);
    free(path);
    free(query);
    return 0;
}

/* AWS Signature Version 4, header and presigned-URL forms (see fv/sigv4.h).
 *
 * One path builds the canonical request for both forms: the canonical path,
 * the canonical query (the request's own parameters, plus the X-Amz-* ones
 * in the presigned form), the canonical headers (the request's headers, plus
 * those the header form adds) and the payload hash. fv_sigv4_sign and
 * fv_sigv4_canonical_request build it from the same pieces, so the exposed
 * canonical request is exactly what gets signed.
 *
 * Secrets: nothing here logs. The secret key only ever sits in one exactly
 * sized buffer that is wiped, as are the derived keys (kDate, kRegion,
 * kService, kSigning) and the buffers that held a canonical request (it
 * carries the session token) or a signature. */
#include <fv/sigv4.h>

#include <fv/clock.h>

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define S_ALGORITHM "AWS4-HMAC-SHA256"
#define S_TERMINATOR "aws4_request"
#define S_MAX_EXPIRES 604800 /* seven days: the SigV4 limit for presigned URLs */

/* Headers that the HTTP layer or a proxy may add, drop or rewrite (hop-by-hop
 * headers, User-Agent, trace ids), and Authorization itself: never signed.
 * botocore's SIGNED_HEADERS_BLACKLIST plus aws-c-auth's skipped headers. */
static const char *const s_unsigned_headers[] = {
    "authorization",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "sec-websocket-key",
    "sec-websocket-protocol",
    "sec-websocket-version",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
};

/* Query parameters the presigned form writes. A request presigned again
 * loses its old ones rather than carrying two signatures. */
static const char *const s_presign_params[] = {
    "X-Amz-Algorithm",     "X-Amz-Credential",     "X-Amz-Date",      "X-Amz-Expires",
    "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature",
};

/* One signing: the parameters, which form, and what follows from them. */
struct s_ctx {
    const struct fv_sigv4_params *p;
    bool presign;
    bool sign_token; /* the session token goes into the canonical request */
    char amz_date[17];
    char ymd[9];
    const char *payload_hash; /* p->payload_hash or body_hash */
    char body_hash[65];
};

/* A name/value pair: a query parameter (both URI-encoded) or a header
 * (lowercase name, canonical value). order keeps repeated headers in the
 * order the request has them. */
struct s_pair {
    char *name;
    char *value;
    size_t order;
};

struct s_pairs {
    struct s_pair *items;
    size_t n;
    size_t cap;
};

static void s_crypto_failed(const char *what)
{
    /* Only a broken OpenSSL installation gets here; like out-of-memory, there
     * is nothing sensible a caller could do with an error. */
    fprintf(stderr, "fleetvault: OpenSSL %s failed\n", what);
    abort();
}

static void s_sha256(const void *data, size_t n, unsigned char out[32])
{
    unsigned int len = 0;
    if (!EVP_Digest(data ? data : "", n, out, &len, EVP_sha256(), NULL) || len != 32)
        s_crypto_failed("SHA-256");
}

static void s_hmac(const void *key, size_t key_len, const void *data, size_t n,
                   unsigned char out[32])
{
    unsigned int len = 0;
    if (key_len > INT_MAX ||
        !HMAC(EVP_sha256(), key, (int)key_len, data ? data : (const void *)"", n, out, &len) ||
        len != 32)
        s_crypto_failed("HMAC-SHA256");
}

/* Wipes the whole allocation, then frees it. Safe on zeroed buffers. */
static void s_buf_wipe(struct fv_buf *b)
{
    if (b->ptr)
        OPENSSL_cleanse(b->ptr, b->cap);
    fv_buf_clean_up(b);
}

static void s_str_wipe(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

static void s_pairs_add(struct s_pairs *ps, char *name, char *value, size_t order)
{
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 16;
        ps->items = fv_realloc(ps->items, ps->cap * sizeof(*ps->items));
    }
    ps->items[ps->n++] = (struct s_pair){name, value, order};
}

static void s_pairs_clean_up(struct s_pairs *ps)
{
    for (size_t i = 0; i < ps->n; i++) {
        free(ps->items[i].name);
        s_str_wipe(ps->items[i].value); /* may be the session token */
    }
    free(ps->items);
    memset(ps, 0, sizeof(*ps));
}

static int s_pair_cmp(const void *a, const void *b)
{
    const struct s_pair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c == 0)
        c = strcmp(x->value, y->value);
    return c;
}

static int s_pair_cmp_order(const void *a, const void *b)
{
    const struct s_pair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c == 0)
        c = x->order < y->order ? -1 : x->order > y->order;
    return c;
}

static bool s_is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

void fv_uri_encode(struct fv_buf *out, const char *s, size_t n, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0; /* bytes copied through unchanged, not yet appended */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (s_is_unreserved(c) || (keep_slash && c == '/')) {
            run++;
            continue;
        }
        if (run)
            fv_buf_append(out, s + i - run, run);
        run = 0;
        char esc[3] = {'%', hex[c >> 4], hex[c & 0xf]};
        fv_buf_append(out, esc, sizeof(esc));
    }
    if (run)
        fv_buf_append(out, s + n - run, run);
    if (!out->ptr)
        fv_buf_append(out, "", 0); /* an empty result is still a string */
}

static int s_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool fv_uri_decode(struct fv_buf *out, const char *s, size_t n)
{
    size_t start = out->len;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            fv_buf_append_char(out, s[i]);
            continue;
        }
        int hi = i + 2 < n ? s_hex_value(s[i + 1]) : -1;
        int lo = hi >= 0 ? s_hex_value(s[i + 2]) : -1;
        if (lo < 0) {
            /* Leave out as it was. */
            out->len = start;
            if (out->ptr)
                out->ptr[start] = '\0';
            return false;
        }
        fv_buf_append_char(out, (char)(hi << 4 | lo));
        i += 2;
    }
    if (!out->ptr)
        fv_buf_append(out, "", 0);
    return true;
}

void fv_sha256_hex(const void *data, size_t n, char out[65])
{
    unsigned char md[32];
    s_sha256(data, n, md);
    fv_hex_encode(md, sizeof(md), out);
}

/* The signing key: HMAC chain over "AWS4"+secret, date, region, service and
 * "aws4_request". Every intermediate is wiped; the caller wipes key. */
static void s_signing_key(const struct fv_sigv4_params *p, const char *ymd, unsigned char key[32])
{
    const char *secret = p->creds->secret_access_key;
    size_t n = strlen(secret);
    unsigned char *k_secret = fv_malloc(4 + n); /* exact size: never reallocated */
    unsigned char k_date[32], k_region[32], k_service[32];

    memcpy(k_secret, "AWS4", 4);
    memcpy(k_secret + 4, secret, n);
    s_hmac(k_secret, 4 + n, ymd, strlen(ymd), k_date);
    s_hmac(k_date, sizeof(k_date), p->region, strlen(p->region), k_region);
    s_hmac(k_region, sizeof(k_region), p->service, strlen(p->service), k_service);
    s_hmac(k_service, sizeof(k_service), S_TERMINATOR, strlen(S_TERMINATOR), key);

    OPENSSL_cleanse(k_secret, 4 + n);
    free(k_secret);
    OPENSSL_cleanse(k_date, sizeof(k_date));
    OPENSSL_cleanse(k_region, sizeof(k_region));
    OPENSSL_cleanse(k_service, sizeof(k_service));
}

static bool s_has_creds(const struct fv_sigv4_params *p)
{
    return p && p->creds && p->creds->access_key_id && *p->creds->access_key_id &&
           p->creds->secret_access_key && *p->creds->secret_access_key;
}

static void s_scope(const struct fv_sigv4_params *p, const char *ymd, struct fv_buf *out)
{
    fv_buf_printf(out, "%s/%s/%s/" S_TERMINATOR, ymd, p->region ? p->region : "",
                  p->service ? p->service : "");
}

/* Checks the parameters and fills the per-signing context. */
static fv_status s_ctx_init(struct s_ctx *c, const struct fv_sigv4_params *p,
                            const struct fv_sigv4_request *req, bool presign, struct fv_error *err)
{
    memset(c, 0, sizeof(*c));
    c->p = p;
    c->presign = presign;
    if (!p || !req)
        return fv_error_set(err, FV_E_INVALID, "sigv4: no parameters or request");
    if (!s_has_creds(p))
        return fv_error_set(err, FV_E_AUTH, "sigv4: no credentials to sign with");
    if (!p->region || !*p->region || !p->service || !*p->service)
        return fv_error_set(err, FV_E_INVALID, "sigv4: region and service are required");
    if (!req->method || !*req->method)
        return fv_error_set(err, FV_E_INVALID, "sigv4: request has no method");
    if (!req->headers || !fv_headers_get(req->headers, "host"))
        return fv_error_set(err, FV_E_INVALID, "sigv4: request has no Host header");
    if (presign && (p->expires < 1 || p->expires > S_MAX_EXPIRES))
        return fv_error_set(err, FV_E_INVALID,
                            "sigv4: presign expiry %" PRId64 " s is outside 1..%d", p->expires,
                            S_MAX_EXPIRES);

    const char *token = p->creds->session_token;
    c->sign_token = token && *token && !p->omit_session_token;
    fv_time_amz(p->time, c->amz_date);
    fv_time_ymd(p->time, c->ymd);
    if (p->payload_hash) {
        c->payload_hash = p->payload_hash;
    } else {
        fv_sha256_hex(req->body.ptr, req->body.len, c->body_hash);
        c->payload_hash = c->body_hash;
    }
    return FV_OK;
}

static bool s_in_list(const char *const *list, size_t n, const char *s, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && strncasecmp(list[i], s, len) == 0)
            return true;
    return false;
}

#define S_IN_LIST(list, s, len) s_in_list((list), sizeof(list) / sizeof((list)[0]), (s), (len))

/* Headers the signer writes itself: whatever the request has under these
 * names (from an earlier attempt, say) is replaced, never signed twice. */
static bool s_signer_owned(const struct s_ctx *c, const char *lname)
{
    return strcmp(lname, "x-amz-date") == 0 || strcmp(lname, "x-amz-security-token") == 0 ||
           (!c->presign && c->p->add_content_sha256 && strcmp(lname, "x-amz-content-sha256") == 0);
}

/* Canonical value: trimmed, inner runs of whitespace (including the line
 * breaks of a folded multi-line value) collapsed to one space. */
static char *s_header_value(const char *v)
{
    struct fv_buf b = {0};
    bool gap = false;
    for (; *v; v++) {
        if (isspace((unsigned char)*v)) {
            gap = b.len > 0;
            continue;
        }
        if (gap)
            fv_buf_append_char(&b, ' ');
        gap = false;
        fv_buf_append_char(&b, *v);
    }
    return fv_buf_detach(&b);
}

/* The headers to sign, sorted by name (repeated ones in request order). */
static void s_collect_headers(const struct s_ctx *c, const struct fv_headers *h,
                              struct s_pairs *out)
{
    size_t i;
    for (i = 0; i < h->n; i++) {
        const char *name = h->items[i].name;
        if (!name || !*name || S_IN_LIST(s_unsigned_headers, name, strlen(name)))
            continue;
        char *lname = fv_strdup(name);
        for (char *q = lname; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        if (s_signer_owned(c, lname)) {
            free(lname);
            continue;
        }
        s_pairs_add(out, lname, s_header_value(h->items[i].value ? h->items[i].value : ""), i);
    }
    if (!c->presign) {
        s_pairs_add(out, fv_strdup("x-amz-date"), fv_strdup(c->amz_date), i++);
        if (c->sign_token)
            s_pairs_add(out, fv_strdup("x-amz-security-token"),
                        s_header_value(c->p->creds->session_token), i++);
        if (c->p->add_content_sha256)
            s_pairs_add(out, fv_strdup("x-amz-content-sha256"), fv_strdup(c->payload_hash), i++);
    }
    if (out->n)
        qsort(out->items, out->n, sizeof(*out->items), s_pair_cmp_order);
}

/* The request's own query parameters, decoded and encoded again (RFC 3986).
 * Empty pieces ("a&&b") are dropped; "a" alone is "a=". */
static fv_status s_collect_query(const struct s_ctx *c, const char *query, struct s_pairs *out,
                                 struct fv_error *err)
{
    fv_status st = FV_OK;
    struct fv_buf key = {0}, value = {0};
    const char *s = query ? query : "";
    size_t index = 0;

    while (*s) {
        const char *end = strchr(s, '&');
        if (!end)
            end = s + strlen(s);
        if (end > s) {
            const char *eq = memchr(s, '=', (size_t)(end - s));
            const char *key_end = eq ? eq : end;
            const char *value_start = eq ? eq + 1 : end;
            fv_buf_reset(&key);
            fv_buf_reset(&value);
            if (!fv_uri_decode(&key, s, (size_t)(key_end - s)) ||
                !fv_uri_decode(&value, value_start, (size_t)(end - value_start))) {
                /* The query is not quoted: it may hold a session token. */
                st = fv_error_set(err, FV_E_INVALID,
                                  "sigv4: malformed %%-escape in query parameter %zu", index + 1);
                goto out;
            }
            if (!(c->presign && S_IN_LIST(s_presign_params, key.ptr, key.len))) {
                struct fv_buf ek = {0}, ev = {0};
                fv_uri_encode(&ek, key.ptr, key.len, false);
                fv_uri_encode(&ev, value.ptr, value.len, false);
                s_pairs_add(out, fv_buf_detach(&ek), fv_buf_detach(&ev), index);
            }
            index++;
        }
        s = *end ? end + 1 : end;
    }
out:
    s_buf_wipe(&key);
    s_buf_wipe(&value);
    return st;
}

static void s_add_param(struct s_pairs *ps, const char *name, const char *value)
{
    struct fv_buf ev = {0};
    fv_uri_encode(&ev, value, strlen(value), false);
    s_pairs_add(ps, fv_strdup(name), fv_buf_detach(&ev), ps->n);
}

/* The presigned form's own parameters (all but the signature). */
static void s_add_presign_params(const struct s_ctx *c, const char *signed_headers,
                                 struct s_pairs *ps)
{
    const struct fv_sigv4_params *p = c->p;
    struct fv_buf v = {0};

    s_add_param(ps, "X-Amz-Algorithm", S_ALGORITHM);
    fv_buf_printf(&v, "%s/", p->creds->access_key_id);
    s_scope(p, c->ymd, &v);
    s_add_param(ps, "X-Amz-Credential", v.ptr);
    s_add_param(ps, "X-Amz-Date", c->amz_date);
    fv_buf_reset(&v);
    fv_buf_printf(&v, "%" PRId64, p->expires);
    s_add_param(ps, "X-Amz-Expires", v.ptr);
    s_add_param(ps, "X-Amz-SignedHeaders", signed_headers);
    if (c->sign_token)
        s_add_param(ps, "X-Amz-Security-Token", p->creds->session_token);
    fv_buf_clean_up(&v);
}

/* Non-S3 canonical path: the wire path with dot segments and empty segments
 * removed (botocore's remove_dot_segments; a trailing slash stays), then
 * URI-encoded again. S3: the wire path exactly as sent. */
static void s_canonical_path(const char *path, bool s3_rules, struct fv_buf *out)
{
    if (!path || !*path) {
        fv_buf_append_char(out, '/');
        return;
    }
    if (s3_rules) {
        fv_buf_append_str(out, path);
        return;
    }

    size_t n = strlen(path), nseg = 0;
    struct fv_cur *seg = fv_calloc(n / 2 + 2, sizeof(*seg)); /* at most n/2+1 segments */
    struct fv_buf norm = {0};
    const char *s = path, *end = path + n;

    while (s < end) {
        const char *slash = memchr(s, '/', (size_t)(end - s));
        const char *seg_end = slash ? slash : end;
        size_t len = (size_t)(seg_end - s);
        if (len == 2 && s[0] == '.' && s[1] == '.') {
            if (nseg)
                nseg--;
        } else if (len && !(len == 1 && s[0] == '.')) {
            seg[nseg++] = (struct fv_cur){s, len};
        }
        s = slash ? slash + 1 : end;
    }
    fv_buf_append_char(&norm, '/');
    for (size_t i = 0; i < nseg; i++) {
        if (i)
            fv_buf_append_char(&norm, '/');
        fv_buf_append(&norm, seg[i].ptr, seg[i].len);
    }
    if (nseg && path[n - 1] == '/')
        fv_buf_append_char(&norm, '/');
    fv_uri_encode(out, norm.ptr, norm.len, true);
    fv_buf_clean_up(&norm);
    free(seg);
}

/* Builds the canonical request into creq and the signed header list into
 * signed_headers; in the presigned form, also the canonical query (which is
 * the query to send, less the signature) into cquery. */
static fv_status s_build(const struct s_ctx *c, const struct fv_sigv4_request *req,
                         struct fv_buf *creq, struct fv_buf *signed_headers, struct fv_buf *cquery,
                         struct fv_error *err)
{
    fv_status st;
    struct s_pairs headers = {0}, params = {0};
    struct fv_buf header_block = {0}, query = {0};

    s_collect_headers(c, req->headers, &headers);
    for (size_t i = 0; i < headers.n; i++) {
        const struct s_pair *h = &headers.items[i];
        bool first = i == 0 || strcmp(h->name, headers.items[i - 1].name) != 0;
        bool last = i + 1 == headers.n || strcmp(h->name, headers.items[i + 1].name) != 0;
        if (first) {
            if (signed_headers->len)
                fv_buf_append_char(signed_headers, ';');
            fv_buf_append_str(signed_headers, h->name);
            fv_buf_printf(&header_block, "%s:", h->name);
        } else {
            fv_buf_append_char(&header_block, ','); /* repeated header */
        }
        fv_buf_append_str(&header_block, h->value);
        if (last)
            fv_buf_append_char(&header_block, '\n');
    }

    st = s_collect_query(c, req->query, &params, err);
    if (st != FV_OK)
        goto out;
    if (c->presign)
        s_add_presign_params(c, fv_buf_str(signed_headers), &params);
    if (params.n)
        qsort(params.items, params.n, sizeof(*params.items), s_pair_cmp);
    for (size_t i = 0; i < params.n; i++)
        fv_buf_printf(&query, "%s%s=%s", i ? "&" : "", params.items[i].name, params.items[i].value);

    fv_buf_printf(creq, "%s\n", req->method);
    s_canonical_path(req->path, c->p->s3_path_rules, creq);
    fv_buf_printf(creq, "\n%s\n%s\n%s\n%s", fv_buf_str(&query), fv_buf_str(&header_block),
                  fv_buf_str(signed_headers), c->payload_hash);
    if (cquery)
        fv_buf_append(cquery, fv_buf_str(&query), query.len);
out:
    s_pairs_clean_up(&headers);
    s_pairs_clean_up(&params);
    s_buf_wipe(&header_block);
    s_buf_wipe(&query);
    return st;
}

static void s_string_to_sign(const struct fv_sigv4_params *p, const char *amz_date, const char *ymd,
                             const char *canonical_request, struct fv_buf *out)
{
    char hash[65];
    fv_sha256_hex(canonical_request, strlen(canonical_request), hash);
    fv_buf_printf(out, S_ALGORITHM "\n%s\n", amz_date);
    s_scope(p, ymd, out);
    fv_buf_printf(out, "\n%s", hash);
}

static void s_signature(const struct fv_sigv4_params *p, const char *ymd,
                        const char *string_to_sign, char out[65])
{
    unsigned char key[32], mac[32];
    s_signing_key(p, ymd, key);
    s_hmac(key, sizeof(key), string_to_sign, strlen(string_to_sign), mac);
    fv_hex_encode(mac, sizeof(mac), out);
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(mac, sizeof(mac));
}

/* The canonical request fv_sigv4_sign would sign (X-Amz-Date, the token and
 * x-amz-content-sha256 included as it would add them). out and
 * signed_headers_out (may be NULL) are replaced, not appended to. */
fv_status fv_sigv4_canonical_request(const struct fv_sigv4_params *p,
                                     const struct fv_sigv4_request *req, struct fv_buf *out,
                                     struct fv_buf *signed_headers_out, struct fv_error *err)
{
    fv_status st;
    struct s_ctx c;
    struct fv_buf signed_headers = {0};

    fv_buf_reset(out);
    st = s_ctx_init(&c, p, req, false, err);
    if (st != FV_OK)
        goto out;
    st = s_build(&c, req, out, &signed_headers, NULL, err);
    if (st == FV_OK && signed_headers_out) {
        fv_buf_reset(signed_headers_out);
        fv_buf_append(signed_headers_out, fv_buf_str(&signed_headers), signed_headers.len);
    }
out:
    fv_buf_clean_up(&signed_headers);
    return st;
}

/* out is replaced, not appended to. */
void fv_sigv4_string_to_sign(const struct fv_sigv4_params *p, const char *canonical_request,
                             struct fv_buf *out)
{
    char amz_date[17], ymd[9];
    fv_time_amz(p->time, amz_date);
    fv_time_ymd(p->time, ymd);
    fv_buf_reset(out);
    s_string_to_sign(p, amz_date, ymd, canonical_request ? canonical_request : "", out);
}

/* "" when there are no credentials to sign with. */
void fv_sigv4_signature(const struct fv_sigv4_params *p, const char *string_to_sign, char out[65])
{
    char ymd[9];
    out[0] = '\0';
    if (!s_has_creds(p) || !p->region || !p->service || !string_to_sign)
        return;
    fv_time_ymd(p->time, ymd);
    s_signature(p, ymd, string_to_sign, out);
}

fv_status fv_sigv4_sign(const struct fv_sigv4_params *p, struct fv_sigv4_request *req,
                        struct fv_error *err)
{
    fv_status st;
    struct s_ctx c;
    struct fv_buf creq = {0}, signed_headers = {0}, sts = {0}, auth = {0};
    char signature[65] = "";

    st = s_ctx_init(&c, p, req, false, err);
    if (st != FV_OK)
        goto out;
    st = s_build(&c, req, &creq, &signed_headers, NULL, err);
    if (st != FV_OK)
        goto out;
    s_string_to_sign(p, c.amz_date, c.ymd, creq.ptr, &sts);
    s_signature(p, c.ymd, sts.ptr, signature);

    /* The request changes only once signing has succeeded. */
    const char *token = p->creds->session_token;
    fv_headers_set(req->headers, "X-Amz-Date", c.amz_date);
    fv_headers_remove(req->headers, "X-Amz-Security-Token");
    if (token && *token)
        fv_headers_add(req->headers, "X-Amz-Security-Token", token); /* signed unless omitted */
    if (p->add_content_sha256)
        fv_headers_set(req->headers, "x-amz-content-sha256", c.payload_hash);
    fv_buf_printf(&auth, S_ALGORITHM " Credential=%s/", p->creds->access_key_id);
    s_scope(p, c.ymd, &auth);
    fv_buf_printf(&auth, ", SignedHeaders=%s, Signature=%s", signed_headers.ptr, signature);
    fv_headers_set(req->headers, "Authorization", auth.ptr);
out:
    s_buf_wipe(&creq);
    fv_buf_clean_up(&signed_headers);
    fv_buf_clean_up(&sts);
    s_buf_wipe(&auth);
    OPENSSL_cleanse(signature, sizeof(signature));
    return st;
}

fv_status fv_sigv4_presign(const struct fv_sigv4_params *p, const struct fv_sigv4_request *req,
                           struct fv_buf *query_out, struct fv_error *err)
{
    fv_status st;
    struct s_ctx c;
    struct fv_buf creq = {0}, signed_headers = {0}, cquery = {0}, sts = {0};
    char signature[65] = "";

    st = s_ctx_init(&c, p, req, true, err);
    if (st != FV_OK)
        goto out;
    st = s_build(&c, req, &creq, &signed_headers, &cquery, err);
    if (st != FV_OK)
        goto out;
    s_string_to_sign(p, c.amz_date, c.ymd, creq.ptr, &sts);
    s_signature(p, c.ymd, sts.ptr, signature);

    /* The canonical query is a valid wire query: send it as it was signed. */
    fv_buf_reset(query_out);
    fv_buf_append(query_out, cquery.ptr, cquery.len);
    const char *token = p->creds->session_token;
    if (token && *token && !c.sign_token) {
        fv_buf_append_str(query_out, "&X-Amz-Security-Token=");
        fv_uri_encode(query_out, token, strlen(token), false);
    }
    fv_buf_printf(query_out, "&X-Amz-Signature=%s", signature);
out:
    s_buf_wipe(&creq);
    fv_buf_clean_up(&signed_headers);
    s_buf_wipe(&cquery);
    fv_buf_clean_up(&sts);
    OPENSSL_cleanse(signature, sizeof(signature));
    return st;
}

/* A local HTTP stub for unit tests: a libmicrohttpd server on 127.0.0.1 (an
 * ephemeral port) that answers from a table of routes and logs every request
 * it receives.
 *
 * Use: in a test program, `#include "stub_http.c"` (tests/CMakeLists.txt
 * makes every tests/unit/test_*.c its own program, so the stub is compiled
 * into each test that includes it rather than linked as a library).
 *
 *     struct stub_http *s = stub_http_start();
 *     stub_http_add(s, &(struct stub_http_route){
 *         .method = "GET", .path = "/creds", .status = 200, .body = "{...}",
 *         .headers = (const char *const[]){"Content-Type", "application/json", NULL}});
 *     ... point the code under test at stub_http_url(s) ...
 *     assert_int_equal(stub_http_count(s), 1);
 *     assert_string_equal(fv_headers_get(&stub_http_req(s, 0)->headers, "Authorization"), "t");
 *     stub_http_stop(s);
 *
 * Routes are tried in the order added; the first whose method and path match
 * and that is not used up answers. An unmatched request gets 404 with body
 * "no stub route for <METHOD> <path>". Thread-safe: the server runs a thread
 * per connection; the log and route table are locked. */
#ifndef FV_TEST_STUB_HTTP_H
#define FV_TEST_STUB_HTTP_H

#include <fv/common.h>

struct stub_http_route {
    const char *method; /* NULL matches any */
    const char *path;   /* exact path without the query; NULL matches any */
    const char *target; /* the X-Amz-Target header's exact value (JSON protocols); NULL: any */
    int status;         /* 0 → 200 */
    const char *body;   /* NULL → empty */
    const char *const *headers; /* name, value, name, value, ..., NULL; may be NULL */
    /* When set and the request lacks this header, answer 401 instead (and
     * count the route as used). */
    const char *require_header;
    int times;    /* answer this many requests, then stand aside; 0 = forever */
    int delay_ms; /* wait this long before answering */
    /* Send the body in pieces of chunk_bytes, waiting chunk_delay_ms before
     * each piece but the first (a slow link, or with a long delay a stalled
     * one). 0: all at once. Waits end early when the stub stops. */
    int chunk_bytes;
    int chunk_delay_ms;
};

/* One request as received. */
struct stub_http_req {
    char *method;
    char *path;  /* without the query */
    char *query; /* decoded "k=v&k2=v2" as MHD parsed it; "" when none */
    struct fv_headers headers;
    struct fv_buf body;
    int route; /* index of the route that answered, -1 when none */
};

struct stub_http;

/* Starts the server; aborts the test program on failure. */
struct stub_http *stub_http_start(void);
/* Stops the server and frees everything. NULL-safe. */
void stub_http_stop(struct stub_http *s);

/* "http://127.0.0.1:<port>" (borrowed). */
const char *stub_http_url(const struct stub_http *s);
int stub_http_port(const struct stub_http *s);

/* Adds a route (copied); returns its index. */
int stub_http_add(struct stub_http *s, const struct stub_http_route *r);
/* Forgets all routes and logged requests. */
void stub_http_reset(struct stub_http *s);

/* The log. Pointers stay valid until stub_http_reset or stub_http_stop. */
size_t stub_http_count(struct stub_http *s);
const struct stub_http_req *stub_http_req(struct stub_http *s, size_t i);
/* How many logged requests matched method and path (NULL = any). */
size_t stub_http_count_matching(struct stub_http *s, const char *method, const char *path);

/* A parameter of an application/x-www-form-urlencoded body (STS and other
 * Query-protocol calls), decoded; caller frees. NULL when absent. */
char *stub_http_form_get(const struct stub_http_req *r, const char *name);

#endif

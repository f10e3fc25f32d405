/* AWS schedule expressions: parsing and next fire times (see schedule.h). */
#include "schedule.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_YEAR_MIN 1970
#define S_YEAR_MAX 2199
/* 2200-01-01T00:00:00Z: nothing fires at or after it. */
#define S_TIME_END INT64_C(7258118400)

enum s_dom_kind {
    S_DOM_ANY,             /* '?' */
    S_DOM_SET,             /* values, ranges, steps */
    S_DOM_LAST,            /* L */
    S_DOM_LAST_WEEKDAY,    /* LW */
    S_DOM_NEAREST_WEEKDAY, /* nW */
};

enum s_dow_kind {
    S_DOW_ANY,     /* '?' */
    S_DOW_SET,     /* values, ranges (and a bare L = 7) */
    S_DOW_LAST_OF, /* nL */
    S_DOW_NTH,     /* n#k */
};

struct fv_schedule {
    enum fv_schedule_kind kind;
    char *expr;
    int64_t rate_secs;
    /* cron: one bit per allowed value */
    uint64_t minutes;  /* bits 0-59 */
    uint32_t hours;    /* bits 0-23 */
    uint32_t doms;     /* bits 1-31 (S_DOM_SET) */
    uint16_t months;   /* bits 1-12 */
    uint8_t dows;      /* bits 1-7, 1 = SUN (S_DOW_SET) */
    uint64_t years[4]; /* bit y - 1970 */
    enum s_dom_kind dom_kind;
    int dom_day; /* nW */
    enum s_dow_kind dow_kind;
    int dow_day; /* nL, n#k: 1-7 */
    int dow_nth; /* n#k: 1-5 */
};

/* ---- calendar (proleptic Gregorian, UTC) ---- */

/* Days since 1970-01-01 (H. Hinnant's days_from_civil). */
static int64_t s_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void s_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static bool s_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int s_days_in_month(int y, int m)
{
    static const int dim[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && s_leap(y) ? 29 : dim[m];
}

/* 1 = Sunday ... 7 = Saturday (the cron numbering). 1970-01-01 was a Thursday. */
static int s_weekday(int y, int m, int d)
{
    int64_t z = s_days_from_civil(y, m, d);
    int64_t w = (z + 4) % 7;
    if (w < 0)
        w += 7;
    return (int)w + 1;
}

static int64_t s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* ---- parsing ---- */

struct s_field {
    const char *name;
    int min, max;
    const char *const *names; /* names[i] is value min + i; NULL when none */
    int n_names;
    bool step; /* '/' allowed */
};

static const char *const s_month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const s_day_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

enum { S_F_MIN, S_F_HOUR, S_F_DOM, S_F_MON, S_F_DOW, S_F_YEAR, S_N_FIELDS };

static const struct s_field s_fields[S_N_FIELDS] = {
    {"minutes", 0, 59, NULL, 0, true},
    {"hours", 0, 23, NULL, 0, true},
    {"day-of-month", 1, 31, NULL, 0, true},
    {"month", 1, 12, s_month_names, 12, true},
    /* AWS lists no '/' for day-of-week. */
    {"day-of-week", 1, 7, s_day_names, 7, false},
    {"year", S_YEAR_MIN, S_YEAR_MAX, NULL, 0, true},
};

/* Parse state: the expression (for messages) and the error sink. */
struct s_parse {
    const char *expr;
    struct fv_error *err;
};

static fv_status s_fail(const struct s_parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static fv_status s_fail(const struct s_parse *p, const char *fmt, ...)
{
    char what[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return fv_error_set(p->err, FV_E_INVALID, "%.120s: %s", p->expr, what);
}

/* A field's text, for messages: at most 40 bytes of it. */
struct s_tok {
    const char *ptr;
    size_t len;
};

static bool s_tok_eq_nocase(struct s_tok t, const char *s)
{
    size_t n = strlen(s);
    if (t.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (toupper((unsigned char)t.ptr[i]) != s[i])
            return false;
    return true;
}

/* Parses one value (a number or, where the field has them, a name) at *pp,
 * advancing it. */
static fv_status s_parse_value(const struct s_parse *p, const struct s_field *f, struct s_tok field,
                               const char **pp, const char *end, int *out)
{
    const char *q = *pp;
    if (q < end && isdigit((unsigned char)*q)) {
        int v = 0;
        const char *start = q;
        while (q < end && isdigit((unsigned char)*q)) {
            if (q - start >= 4)
                return s_fail(p, "%s: number too large in '%.*s'", f->name, (int)field.len,
                              field.ptr);
            v = v * 10 + (*q - '0');
            q++;
        }
        if (v < f->min || v > f->max)
            return s_fail(p, "%s: %d is out of range %d-%d", f->name, v, f->min, f->max);
        *out = v;
        *pp = q;
        return FV_OK;
    }
    if (q < end && isalpha((unsigned char)*q) && f->names) {
        struct s_tok name = {q, 0};
        while (q < end && isalpha((unsigned char)*q)) {
            q++;
            name.len++;
        }
        for (int i = 0; i < f->n_names; i++) {
            if (s_tok_eq_nocase(name, f->names[i])) {
                *out = f->min + i;
                *pp = q;
                return FV_OK;
            }
        }
        return s_fail(p, "%s: unknown name '%.*s'", f->name, (int)name.len, name.ptr);
    }
    if (q >= end)
        return s_fail(p, "%s: value missing in '%.*s'", f->name, (int)field.len, field.ptr);
    return s_fail(p, "%s: unexpected '%c' in '%.*s'", f->name, *q, (int)field.len, field.ptr);
}

/* Parses a list of values, ranges and steps into bits (bit v for value v). */
static fv_status s_parse_list(const struct s_parse *p, const struct s_field *f, struct s_tok field,
                              uint64_t bits[4], int bit_base)
{
    const char *q = field.ptr, *end = field.ptr + field.len;
    fv_status st;
    for (;;) {
        int lo, hi, step = 1;
        bool star = false, ranged = false;
        if (q < end && *q == '*') {
            lo = f->min;
            hi = f->max;
            star = true;
            q++;
        } else {
            if (q < end && *q == ',')
                return s_fail(p, "%s: empty list element in '%.*s'", f->name, (int)field.len,
                              field.ptr);
            st = s_parse_value(p, f, field, &q, end, &lo);
            if (st != FV_OK)
                return st;
            hi = lo;
            if (q < end && *q == '-') {
                q++;
                st = s_parse_value(p, f, field, &q, end, &hi);
                if (st != FV_OK)
                    return st;
                if (hi < lo)
                    return s_fail(p, "%s: range %d-%d runs backwards", f->name, lo, hi);
                ranged = true;
            }
        }
        if (q < end && *q == '/') {
            if (!f->step)
                return s_fail(p, "%s: '/' is not allowed here", f->name);
            q++;
            if (q >= end || !isdigit((unsigned char)*q))
                return s_fail(p, "%s: '/' needs a number after it in '%.*s'", f->name,
                              (int)field.len, field.ptr);
            step = 0;
            while (q < end && isdigit((unsigned char)*q)) {
                step = step * 10 + (*q - '0');
                if (step > 10000)
                    break;
                q++;
            }
            if (step < 1 || step > f->max - f->min + 1)
                return s_fail(p, "%s: step must be 1-%d in '%.*s'", f->name, f->max - f->min + 1,
                              (int)field.len, field.ptr);
            if (!star && !ranged)
                hi = f->max; /* a/b: from a to the end of the field */
        }
        for (int v = lo; v <= hi; v += step)
            bits[(v - bit_base) / 64] |= UINT64_C(1) << ((v - bit_base) % 64);
        if (q >= end)
            return FV_OK;
        if (*q != ',')
            return s_fail(p, "%s: unexpected '%c' in '%.*s'", f->name, *q, (int)field.len,
                          field.ptr);
        q++;
        if (q >= end)
            return s_fail(p, "%s: empty list element in '%.*s'", f->name, (int)field.len,
                          field.ptr);
    }
}

static bool s_tok_has(struct s_tok t, const char *chars)
{
    for (size_t i = 0; i < t.len; i++)
        if (strchr(chars, t.ptr[i]))
            return true;
    return false;
}

static fv_status s_parse_dom(const struct s_parse *p, struct s_tok t, struct fv_schedule *s)
{
    const struct s_field *f = &s_fields[S_F_DOM];
    if (s_tok_eq_nocase(t, "?")) {
        s->dom_kind = S_DOM_ANY;
        return FV_OK;
    }
    if (s_tok_eq_nocase(t, "L")) {
        s->dom_kind = S_DOM_LAST;
        return FV_OK;
    }
    if (s_tok_eq_nocase(t, "LW")) {
        s->dom_kind = S_DOM_LAST_WEEKDAY;
        return FV_OK;
    }
    char lastc = (char)toupper((unsigned char)t.ptr[t.len - 1]);
    if (lastc == 'W') {
        const char *q = t.ptr;
        int day;
        fv_status st = s_parse_value(p, f, t, &q, t.ptr + t.len - 1, &day);
        if (st != FV_OK)
            return st;
        if (q != t.ptr + t.len - 1)
            return s_fail(p, "%s: 'W' needs a single day before it, as in 15W (got '%.*s')",
                          f->name, (int)t.len, t.ptr);
        s->dom_kind = S_DOM_NEAREST_WEEKDAY;
        s->dom_day = day;
        return FV_OK;
    }
    if (s_tok_has(t, "?LlWw"))
        return s_fail(p, "%s: '?', 'L' and 'W' stand alone (?, L, LW, or nW), got '%.*s'", f->name,
                      (int)t.len, t.ptr);
    if (s_tok_has(t, "#"))
        return s_fail(p, "%s: '#' is only allowed in day-of-week", f->name);
    uint64_t bits[4] = {0};
    fv_status st = s_parse_list(p, f, t, bits, 0);
    if (st != FV_OK)
        return st;
    s->dom_kind = S_DOM_SET;
    s->doms = (uint32_t)bits[0];
    return FV_OK;
}

static fv_status s_parse_dow(const struct s_parse *p, struct s_tok t, struct fv_schedule *s)
{
    const struct s_field *f = &s_fields[S_F_DOW];
    fv_status st;
    if (s_tok_eq_nocase(t, "?")) {
        s->dow_kind = S_DOW_ANY;
        return FV_OK;
    }
    if (s_tok_eq_nocase(t, "L")) {
        s->dow_kind = S_DOW_SET;
        s->dows = 1u << 7; /* L alone: the last day of the week, Saturday */
        return FV_OK;
    }
    const char *hash = memchr(t.ptr, '#', t.len);
    if (hash) {
        const char *q = t.ptr;
        int day;
        st = s_parse_value(p, f, t, &q, hash, &day);
        if (st != FV_OK)
            return st;
        if (q != hash)
            return s_fail(p, "%s: '#' needs a single day before it, as in 3#2 (got '%.*s')",
                          f->name, (int)t.len, t.ptr);
        const char *end = t.ptr + t.len;
        if (end - hash != 2 || hash[1] < '1' || hash[1] > '5')
            return s_fail(p, "%s: '#' needs an instance 1-5 after it, as in 3#2 (got '%.*s')",
                          f->name, (int)t.len, t.ptr);
        s->dow_kind = S_DOW_NTH;
        s->dow_day = day;
        s->dow_nth = hash[1] - '0';
        return FV_OK;
    }
    char lastc = (char)toupper((unsigned char)t.ptr[t.len - 1]);
    if (lastc == 'L') {
        const char *q = t.ptr;
        int day;
        st = s_parse_value(p, f, t, &q, t.ptr + t.len - 1, &day);
        if (st != FV_OK)
            return st;
        if (q != t.ptr + t.len - 1)
            return s_fail(p, "%s: 'L' needs a single day before it, as in 6L (got '%.*s')", f->name,
                          (int)t.len, t.ptr);
        s->dow_kind = S_DOW_LAST_OF;
        s->dow_day = day;
        return FV_OK;
    }
    if (s_tok_has(t, "?"))
        return s_fail(p, "%s: '?' stands alone, got '%.*s'", f->name, (int)t.len, t.ptr);
    for (size_t i = 1; i < t.len; i++)
        if (isdigit((unsigned char)t.ptr[i - 1]) && toupper((unsigned char)t.ptr[i]) == 'W')
            return s_fail(p, "%s: 'W' is only allowed in day-of-month", f->name);
    uint64_t bits[4] = {0};
    st = s_parse_list(p, f, t, bits, 0);
    if (st != FV_OK)
        return st;
    s->dow_kind = S_DOW_SET;
    s->dows = (uint8_t)bits[0];
    return FV_OK;
}

static fv_status s_parse_plain(const struct s_parse *p, int which, struct s_tok t, uint64_t bits[4],
                               int bit_base)
{
    const struct s_field *f = &s_fields[which];
    if (s_tok_has(t, "?"))
        return s_fail(p, "%s: '?' is only allowed in day-of-month and day-of-week", f->name);
    if (s_tok_has(t, "#"))
        return s_fail(p, "%s: '#' is only allowed in day-of-week", f->name);
    if (!f->names && s_tok_has(t, "Ll"))
        return s_fail(p, "%s: 'L' is only allowed in day-of-month and day-of-week", f->name);
    if (!f->names && s_tok_has(t, "Ww"))
        return s_fail(p, "%s: 'W' is only allowed in day-of-month", f->name);
    return s_parse_list(p, f, t, bits, bit_base);
}

static fv_status s_parse_cron(const struct s_parse *p, const char *body, size_t len,
                              struct fv_schedule *s)
{
    struct s_tok tok[S_N_FIELDS + 1];
    int n = 0;
    const char *q = body, *end = body + len;
    while (q < end) {
        while (q < end && isspace((unsigned char)*q))
            q++;
        if (q >= end)
            break;
        const char *start = q;
        while (q < end && !isspace((unsigned char)*q))
            q++;
        if (n < S_N_FIELDS + 1)
            tok[n] = (struct s_tok){start, (size_t)(q - start)};
        n++;
    }
    if (n != S_N_FIELDS)
        return s_fail(p,
                      "cron needs 6 fields (minutes hours day-of-month month day-of-week year), "
                      "got %d",
                      n);

    fv_status st;
    uint64_t bits[4] = {0};
    if ((st = s_parse_plain(p, S_F_MIN, tok[S_F_MIN], bits, 0)) != FV_OK)
        return st;
    s->minutes = bits[0];
    memset(bits, 0, sizeof(bits));
    if ((st = s_parse_plain(p, S_F_HOUR, tok[S_F_HOUR], bits, 0)) != FV_OK)
        return st;
    s->hours = (uint32_t)bits[0];
    if ((st = s_parse_dom(p, tok[S_F_DOM], s)) != FV_OK)
        return st;
    memset(bits, 0, sizeof(bits));
    if ((st = s_parse_plain(p, S_F_MON, tok[S_F_MON], bits, 0)) != FV_OK)
        return st;
    s->months = (uint16_t)bits[0];
    if ((st = s_parse_dow(p, tok[S_F_DOW], s)) != FV_OK)
        return st;
    if ((st = s_parse_plain(p, S_F_YEAR, tok[S_F_YEAR], s->years, S_YEAR_MIN)) != FV_OK)
        return st;

    if (s->dom_kind == S_DOM_ANY && s->dow_kind == S_DOW_ANY)
        return s_fail(p, "day-of-month and day-of-week cannot both be '?'");
    if (s->dom_kind != S_DOM_ANY && s->dow_kind != S_DOW_ANY)
        return s_fail(p, "one of day-of-month and day-of-week must be '?'");
    return FV_OK;
}

static fv_status s_parse_rate(const struct s_parse *p, const char *body, size_t len,
                              struct fv_schedule *s)
{
    const char *q = body, *end = body + len;
    while (q < end && isspace((unsigned char)*q))
        q++;
    if (q >= end || !isdigit((unsigned char)*q))
        return s_fail(p, "rate needs a positive whole number and a unit, as in rate(5 minutes)");
    int64_t value = 0;
    while (q < end && isdigit((unsigned char)*q)) {
        value = value * 10 + (*q - '0');
        if (value > INT32_MAX)
            return s_fail(p, "rate value is too large");
        q++;
    }
    if (q >= end || !isspace((unsigned char)*q))
        return s_fail(p, "rate needs a positive whole number and a unit, as in rate(5 minutes)");
    while (q < end && isspace((unsigned char)*q))
        q++;
    const char *unit = q;
    while (q < end && !isspace((unsigned char)*q))
        q++;
    size_t unit_len = (size_t)(q - unit);
    while (q < end && isspace((unsigned char)*q))
        q++;
    if (q != end)
        return s_fail(p, "rate takes two fields: a value and a unit");
    if (value == 0)
        return s_fail(p, "rate value must be a positive whole number");

    static const struct {
        const char *singular, *plural;
        int64_t secs;
    } units[] = {{"minute", "minutes", 60}, {"hour", "hours", 3600}, {"day", "days", 86400}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        bool one =
            unit_len == strlen(units[i].singular) && memcmp(unit, units[i].singular, unit_len) == 0;
        bool many =
            unit_len == strlen(units[i].plural) && memcmp(unit, units[i].plural, unit_len) == 0;
        if (!one && !many)
            continue;
        if (value == 1 && many)
            return s_fail(p, "a rate of 1 takes a singular unit: rate(1 %s)", units[i].singular);
        if (value > 1 && one)
            return s_fail(p, "a rate over 1 takes a plural unit: rate(%lld %s)", (long long)value,
                          units[i].plural);
        s->rate_secs = value * units[i].secs;
        return FV_OK;
    }
    return s_fail(p, "unknown rate unit '%.*s' (minute(s), hour(s) or day(s))", (int)unit_len,
                  unit);
}

fv_status fv_schedule_parse(const char *expr, struct fv_schedule **out, struct fv_error *err)
{
    fv_status st;
    struct fv_schedule *s = NULL;

    *out = NULL;
    if (!expr)
        return fv_error_set(err, FV_E_INVALID, "schedule expression missing");
    while (isspace((unsigned char)*expr))
        expr++;
    size_t len = strlen(expr);
    while (len && isspace((unsigned char)expr[len - 1]))
        len--;

    s = fv_calloc(1, sizeof(*s));
    s->expr = fv_strndup(expr, len);
    struct s_parse p = {s->expr, err};

    if (len == 0) {
        st = fv_error_set(err, FV_E_INVALID, "schedule expression is empty");
        goto out;
    }
    bool is_rate = fv_str_starts_with(s->expr, "rate(");
    bool is_cron = fv_str_starts_with(s->expr, "cron(");
    if ((!is_rate && !is_cron) || s->expr[len - 1] != ')') {
        st = s_fail(&p, "expected rate(value unit) or cron(minutes hours day-of-month month "
                        "day-of-week year)");
        goto out;
    }
    const char *body = s->expr + 5;
    size_t body_len = len - 6;
    if (memchr(body, '(', body_len) || memchr(body, ')', body_len)) {
        st = s_fail(&p, "unexpected parenthesis inside the expression");
        goto out;
    }
    if (is_rate) {
        s->kind = FV_SCHEDULE_RATE;
        st = s_parse_rate(&p, body, body_len, s);
    } else {
        s->kind = FV_SCHEDULE_CRON;
        st = s_parse_cron(&p, body, body_len, s);
    }
out:
    if (st != FV_OK) {
        fv_schedule_destroy(s);
        return st;
    }
    *out = s;
    return FV_OK;
}

void fv_schedule_destroy(struct fv_schedule *s)
{
    if (!s)
        return;
    free(s->expr);
    free(s);
}

enum fv_schedule_kind fv_schedule_kind(const struct fv_schedule *s)
{
    return s->kind;
}

int64_t fv_schedule_rate_seconds(const struct fv_schedule *s)
{
    return s->kind == FV_SCHEDULE_RATE ? s->rate_secs : 0;
}

const char *fv_schedule_expression(const struct fv_schedule *s)
{
    return s->expr;
}

/* ---- evaluation ---- */

/* The days of month m of year y that match (bit d for day d). */
static uint32_t s_month_days(const struct fv_schedule *s, int y, int m)
{
    int dim = s_days_in_month(y, m);
    int wd1 = s_weekday(y, m, 1);
    uint32_t days = 0;
    int d, wd;

    switch (s->dom_kind) {
    case S_DOM_ANY: break;
    case S_DOM_SET:
        days = s->doms & (uint32_t)(((UINT64_C(1) << (dim + 1)) - 1) & ~UINT64_C(1));
        break;
    case S_DOM_LAST: days = 1u << dim; break;
    case S_DOM_LAST_WEEKDAY:
        d = dim;
        wd = (wd1 - 1 + d - 1) % 7 + 1;
        if (wd == 7)
            d -= 1;
        else if (wd == 1)
            d -= 2;
        days = 1u << d;
        break;
    case S_DOM_NEAREST_WEEKDAY:
        d = s->dom_day;
        if (d > dim)
            break; /* this month has no such day */
        wd = (wd1 - 1 + d - 1) % 7 + 1;
        if (wd == 7) /* Saturday: Friday before, or Monday after the 1st */
            d = d == 1 ? 3 : d - 1;
        else if (wd == 1) /* Sunday: Monday after, or Friday before the last day */
            d = d == dim ? d - 2 : d + 1;
        days = 1u << d;
        break;
    }

    switch (s->dow_kind) {
    case S_DOW_ANY: break;
    case S_DOW_SET:
        for (d = 1; d <= dim; d++)
            if (s->dows & (1u << ((wd1 - 1 + d - 1) % 7 + 1)))
                days |= 1u << d;
        break;
    case S_DOW_LAST_OF:
        wd = (wd1 - 1 + dim - 1) % 7 + 1; /* weekday of the last day */
        days = 1u << (dim - (wd - s->dow_day + 7) % 7);
        break;
    case S_DOW_NTH:
        d = 1 + (s->dow_day - wd1 + 7) % 7 + 7 * (s->dow_nth - 1);
        if (d <= dim)
            days = 1u << d;
        break;
    }
    return days;
}

static bool s_year_ok(const struct fv_schedule *s, int y)
{
    int i = y - S_YEAR_MIN;
    return (s->years[i / 64] >> (i % 64)) & 1;
}

/* The lowest set bit at or above lo, or -1. */
static int s_first_bit(uint64_t bits, int lo)
{
    if (lo >= 64)
        return -1;
    bits &= ~UINT64_C(0) << lo;
    return bits ? __builtin_ctzll(bits) : -1;
}

static fv_status s_cron_next(const struct fv_schedule *s, int64_t after, int64_t *out)
{
    if (after >= S_TIME_END)
        return FV_E_NOTFOUND;
    int64_t start = s_floor_div(after, 60) * 60 + 60;
    if (start < 0)
        start = 0;

    int64_t day0 = s_floor_div(start, 86400);
    int64_t sod = start - day0 * 86400;
    int y0, m0, d0;
    s_civil_from_days(day0, &y0, &m0, &d0);
    int h0 = (int)(sod / 3600), mi0 = (int)(sod % 3600 / 60);

    /* Each level starts at the start time's component while every level above
     * it is still at the start time's (tight), else at its first value. */
    for (int y = y0; y <= S_YEAR_MAX; y++) {
        bool ty = y == y0;
        if (!s_year_ok(s, y))
            continue;
        for (int m = ty ? m0 : 1; m <= 12; m++) {
            bool tm = ty && m == m0;
            if (!(s->months & (1u << m)))
                continue;
            uint32_t days = s_month_days(s, y, m);
            for (int d = s_first_bit(days, tm ? d0 : 1); d >= 0; d = s_first_bit(days, d + 1)) {
                bool td = tm && d == d0;
                for (int h = s_first_bit(s->hours, td ? h0 : 0); h >= 0;
                     h = s_first_bit(s->hours, h + 1)) {
                    bool th = td && h == h0;
                    int mi = s_first_bit(s->minutes, th ? mi0 : 0);
                    if (mi < 0)
                        continue;
                    *out = s_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60;
                    return FV_OK;
                }
            }
        }
    }
    return FV_E_NOTFOUND;
}

fv_status fv_schedule_next(const struct fv_schedule *s, int64_t after, int64_t *out,
                           struct fv_error *err)
{
    if (s->kind == FV_SCHEDULE_RATE) {
        int64_t p = s->rate_secs;
        if (after > INT64_MAX - p)
            return fv_error_set(err, FV_E_NOTFOUND, "%.120s: no fire time after %lld", s->expr,
                                (long long)after);
        *out = (s_floor_div(after, p) + 1) * p;
        return FV_OK;
    }
    if (s_cron_next(s, after, out) != FV_OK)
        return fv_error_set(err, FV_E_NOTFOUND, "%.120s: no fire time after %lld (up to year %d)",
                            s->expr, (long long)after, S_YEAR_MAX);
    return FV_OK;
}

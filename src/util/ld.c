/* Long double arithmetic for INCRBYFLOAT / HINCRBYFLOAT and long double formatting.
 *
 * Redis keeps these values in C `long double` (80-bit x87 extended precision on
 * x86_64), parses them with strtold() and prints them with "%.17Lf" and the trailing
 * zeros trimmed. Rust has no such type, so the few operations that need it live here
 * and are wrapped by src/util/num.rs. Everything goes through caller-owned buffers;
 * nothing here allocates or keeps state. The process is expected to run in the "C"
 * numeric locale (a Rust program does unless it calls setlocale itself). */

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Redis' MAX_LONG_DOUBLE_CHARS: inputs of this length or longer are rejected, and it is
 * the size of the output buffer Redis formats into. */
#define FERROKV_LD_CHARS (5 * 1024)

/* Status codes shared with num.rs. */
#define FERROKV_LD_OK 0
#define FERROKV_LD_NOT_FLOAT 1
#define FERROKV_LD_NAN_OR_INF 2
#define FERROKV_LD_NO_ROOM 3

/* The bytes isspace() accepts in the C locale. */
static int c_space(unsigned char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Strict long double parsing: the whole input must be consumed by strtold(), no leading
 * white space, no NaN, and an overflow to infinity or an underflow to zero is an error
 * (an underflow to a subnormal value is accepted). Returns 1 on success. */
static int parse_strict(const unsigned char *s, size_t len, long double *out) {
    char text[FERROKV_LD_CHARS];
    char *end;
    long double v;

    if (len == 0 || len >= sizeof(text)) return 0;
    memcpy(text, s, len);
    text[len] = '\0';
    if (c_space((unsigned char)text[0])) return 0;

    errno = 0;
    v = strtold(text, &end);
    if ((size_t)(end - text) != len) return 0;
    if (errno == EINVAL) return 0;
    if (errno == ERANGE && (isinf(v) || v == 0)) return 0;
    if (isnan(v)) return 0;
    *out = v;
    return 1;
}

/* "%.17Lf", then zeros after the decimal point dropped (and the point itself when
 * nothing is left after it); a lone "-0" becomes "0". Returns the length written, or
 * 0 when `cap` is too small. Infinity and NaN are never passed in. */
static size_t format_human(long double v, char *out, size_t cap) {
    int n = snprintf(out, cap, "%.17Lf", v);
    size_t len;

    if (n < 0 || (size_t)n + 1 > cap) return 0;
    len = (size_t)n;
    if (memchr(out, '.', len) != NULL) {
        while (out[len - 1] == '0') len--;
        if (out[len - 1] == '.') len--;
    }
    if (len == 2 && out[0] == '-' && out[1] == '0') {
        out[0] = '0';
        len = 1;
    }
    return len;
}

/* current (absent when has_current is 0, meaning 0) plus incr, in long double.
 * On FERROKV_LD_OK the formatted sum is in out[0..*out_len]. */
int ferrokv_ld_incr(const unsigned char *current, size_t current_len, int has_current,
                    const unsigned char *incr, size_t incr_len,
                    char *out, size_t out_cap, size_t *out_len) {
    long double value = 0, delta, sum;
    size_t n;

    *out_len = 0;
    if (has_current && !parse_strict(current, current_len, &value))
        return FERROKV_LD_NOT_FLOAT;
    if (!parse_strict(incr, incr_len, &delta)) return FERROKV_LD_NOT_FLOAT;

    sum = value + delta;
    if (isnan(sum) || isinf(sum)) return FERROKV_LD_NAN_OR_INF;

    n = format_human(sum, out, out_cap);
    if (n == 0) return FERROKV_LD_NO_ROOM;
    *out_len = n;
    return FERROKV_LD_OK;
}

/* A double widened to long double and printed like ferrokv_ld_incr prints its result.
 * Infinities print as "inf" / "-inf" and NaN as "nan". Returns the length, 0 if no room. */
size_t ferrokv_ld_fmt_human(double d, char *out, size_t out_cap) {
    const char *word = NULL;

    if (isinf(d)) word = d > 0 ? "inf" : "-inf";
    else if (isnan(d)) word = "nan";
    if (word != NULL) {
        size_t n = strlen(word);
        if (n + 1 > out_cap) return 0;
        memcpy(out, word, n + 1);
        return n;
    }
    return format_human((long double)d, out, out_cap);
}

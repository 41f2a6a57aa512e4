/* mix.c - benchmark: a CoreMark-like mix of linked-list, matrix, state-
 * machine and CRC work, written for wharf's wasmrt benchmark
 * (tests/bench/wasm.sh).  Not CoreMark itself: the same kinds of work,
 * written from scratch.
 *
 * Each iteration, seeded by its number:
 *   list    build a 256-node list, search it while reversing it, sort it
 *           by value and back by index (bottom-up merge sort of links);
 *   matrix  32x32 16-bit matrices: product, scaling, bit-field sums;
 *   state   classify the comma-separated tokens of a generated text as
 *           integers, decimals, exponent numbers or invalid;
 * and everything produced is folded into a CRC-16 (CCITT, bitwise).
 * Prints the final CRC.  Usage: mix [ITERATIONS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint16_t crc16(uint16_t crc, uint32_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        crc ^= (uint16_t)(((v >> (8 * i)) & 0xff) << 8);
        for (int b = 0; b < 8; b++)
            crc = crc & 0x8000 ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

static uint32_t next_rand(uint32_t *seed)
{
    *seed = *seed * 1664525u + 1013904223u;
    return *seed >> 8;
}

/* --- list --- */

typedef struct node {
    struct node *next;
    int16_t value, index;
} node;

#define LIST_N 256
static node pool[LIST_N];

static node *list_build(uint32_t *seed)
{
    for (int i = 0; i < LIST_N; i++) {
        pool[i].next = i + 1 < LIST_N ? &pool[i + 1] : NULL;
        pool[i].value = (int16_t)(next_rand(seed) & 0x3ff);
        pool[i].index = (int16_t)i;
    }
    return &pool[0];
}

static node *list_reverse(node *l)
{
    node *r = NULL;
    while (l) {
        node *n = l->next;
        l->next = r;
        r = l;
        l = n;
    }
    return r;
}

static node *list_find(node *l, int16_t v)
{
    while (l && l->value != v)
        l = l->next;
    return l;
}

static int before(const node *a, const node *b, int by_index)
{
    return by_index ? a->index <= b->index : a->value <= b->value;
}

/* Bottom-up merge sort: merge runs of width 1, 2, 4, ... until one run. */
static node *list_sort(node *l, int by_index)
{
    for (int width = 1;; width *= 2) {
        node *head = NULL, **tail = &head, *p = l;
        int merges = 0;
        while (p) {
            node *q = p;
            int np = 0, nq = width;
            merges++;
            while (q && np < width) {
                q = q->next;
                np++;
            }
            while (np > 0 || (nq > 0 && q)) {
                node *e;
                if (np == 0 || (nq > 0 && q && !before(p, q, by_index))) {
                    e = q;
                    q = q->next;
                    nq--;
                } else {
                    e = p;
                    p = p->next;
                    np--;
                }
                *tail = e;
                tail = &e->next;
            }
            p = q;
        }
        *tail = NULL;
        l = head;
        if (merges <= 1)
            return l;
    }
}

static uint16_t list_work(uint32_t seed, uint16_t crc)
{
    node *l = list_build(&seed);
    for (int f = 0; f < 64; f++) {
        node *n = list_find(l, (int16_t)((f * 37) & 0x3ff));
        crc = crc16(crc, n ? (uint32_t)n->index : 0xffffu, 2);
        l = list_reverse(l);
    }
    l = list_sort(l, 0);
    for (node *n = l; n; n = n->next)
        crc = crc16(crc, (uint32_t)n->value, 2);
    l = list_sort(l, 1);
    for (int i = 0; i < 16 && l; i++, l = l->next)
        crc = crc16(crc, (uint32_t)(l->value ^ l->index), 2);
    return crc;
}

/* --- matrix --- */

#define MAT_N 32
static int16_t ma[MAT_N][MAT_N], mb[MAT_N][MAT_N];
static int32_t mc[MAT_N][MAT_N];

static uint16_t matrix_work(uint32_t seed, uint16_t crc)
{
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            ma[i][j] = (int16_t)((next_rand(&seed) & 0xff) - 128);
            mb[i][j] = (int16_t)(next_rand(&seed) & 0x7f);
        }
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            int32_t s = 0;
            for (int k = 0; k < MAT_N; k++)
                s += ma[i][k] * mb[k][j];
            mc[i][j] = s;
        }
    int32_t sum = 0, bits = 0;
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            mc[i][j] = mc[i][j] * 3 + ma[i][j];
            sum += mc[i][j];
            bits += (mc[i][j] >> 3) & 0xf;
            if (mc[i][j] > 20000)
                bits ^= i * j;
        }
    crc = crc16(crc, (uint32_t)sum, 4);
    return crc16(crc, (uint32_t)bits, 4);
}

/* --- state machine --- */

enum { S_START, S_INT, S_SIGN, S_DOT, S_FRAC, S_EXP, S_EXPSIGN, S_EXPNUM,
       S_INVALID, S_NSTATES };

#define TEXT_N 2048
static char text[TEXT_N];

static int step(int s, char c)
{
    int digit = c >= '0' && c <= '9';
    switch (s) {
    case S_START:
        return digit ? S_INT : c == '-' || c == '+' ? S_SIGN : c == '.' ? S_DOT : S_INVALID;
    case S_SIGN:
        return digit ? S_INT : c == '.' ? S_DOT : S_INVALID;
    case S_INT:
        return digit ? S_INT : c == '.' ? S_FRAC : c == 'e' ? S_EXP : S_INVALID;
    case S_DOT:
        return digit ? S_FRAC : S_INVALID;
    case S_FRAC:
        return digit ? S_FRAC : c == 'e' ? S_EXP : S_INVALID;
    case S_EXP:
        return digit ? S_EXPNUM : c == '-' || c == '+' ? S_EXPSIGN : S_INVALID;
    case S_EXPSIGN:
    case S_EXPNUM:
        return digit ? S_EXPNUM : S_INVALID;
    }
    return S_INVALID;
}

static uint16_t state_work(uint32_t seed, uint16_t crc)
{
    static const char alphabet[] = "0123456789012345678901234567.e-+,,,x";
    int counts[S_NSTATES] = {0};
    for (int i = 0; i < TEXT_N; i++)
        text[i] = alphabet[next_rand(&seed) % (sizeof alphabet - 1)];
    for (int pass = 0; pass < 4; pass++) {
        int s = S_START;
        for (int i = 0; i < TEXT_N; i++) {
            char c = text[i];
            if (c == ',') {
                counts[s]++;
                s = S_START;
            } else {
                s = step(s, c);
            }
        }
        counts[s]++;
        text[(seed >> pass) % TEXT_N] = ',';
    }
    for (int s = 0; s < S_NSTATES; s++)
        crc = crc16(crc, (uint32_t)counts[s], 2);
    return crc;
}

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 8000;
    uint16_t crc = 0;
    for (long i = 0; i < iterations; i++) {
        uint32_t seed = (uint32_t)i * 2654435761u;
        crc = list_work(seed, crc);
        crc = matrix_work(seed ^ 0x5a5a5a5au, crc);
        crc = state_work(seed ^ 0x3c3c3c3cu, crc);
    }
    printf("crc 0x%04x after %ld iterations\n", crc, iterations);
    return 0;
}

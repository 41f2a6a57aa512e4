/* host.c - a stand-in wharf-index plugin host, linked into a plugin to
 * test its logic in plain wasmrt: a WASI command that provides the
 * "wharf" imports itself and calls one plugin function the way the ABI
 * says, printing what it returns.
 *
 *     clang --target=wasm32-wasi --sysroot=/usr -O2 -DWP_HOSTED \
 *         -o policy-host.wasm examples/plugins/host.c examples/plugins/policy/policy.c
 *     wasmrt --dir . policy-host.wasm [-c CONFIG-JSON] FUNC INPUT...
 *
 * Each INPUT is copied to memory the plugin's alloc gave (an INPUT
 * "@PATH" is the bytes of that file) and FUNC is called with their (ptr,
 * len) pairs; the JSON at the returned (ptr << 32) | len is printed on a
 * line, or "no result" for 0.  wharf.log prints `log LEVEL "MESSAGE"`
 * before it; wharf.config gives CONFIG-JSON (default none: length 0).
 *
 * The definitions here take the place of the imports the plugin declares
 * (wasm-ld resolves an import_module symbol to a definition when there is
 * one); the functions a plugin lacks are weak and null.  This is not
 * wharf-index: no limits; it checks the plugins, not the host.
 *
 * Tests: tests/cli/t2026-example-plugins.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int64_t (*fn1)(int32_t, int32_t);
typedef int64_t (*fn2)(int32_t, int32_t, int32_t, int32_t);
#define WEAK1(f) __attribute__((weak)) int64_t f(int32_t, int32_t);
#define WEAK2(f) __attribute__((weak)) int64_t f(int32_t, int32_t, int32_t, int32_t);
WEAK2(validate_upload) WEAK2(extract) WEAK2(process)
WEAK1(parse_metadata) WEAK1(validate) WEAK1(extract_dependencies)
int32_t alloc(int32_t len);

static const char *config = "";

void wharf_log(int32_t level, const char *msg, int32_t len);
int32_t wharf_config(char *buf, int32_t cap);

void wharf_log(int32_t level, const char *msg, int32_t len)
{
    printf("log %d \"%.*s\"\n", (int)level, (int)len, msg);
}

int32_t wharf_config(char *buf, int32_t cap)
{
    int32_t n = (int32_t)strlen(config);
    if (n <= cap)
        memcpy(buf, config, (size_t)n);
    return n;
}

/* An input in plugin memory: the argument's text, or @PATH's bytes. */
static void input(const char *arg, int32_t *ptr, int32_t *len)
{
    static char file[1 << 20];
    size_t n = strlen(arg);
    const char *src = arg;
    if (arg[0] == '@') {
        FILE *f = fopen(arg + 1, "rb");
        if (!f) {
            perror(arg + 1);
            exit(2);
        }
        n = fread(file, 1, sizeof file, f);
        fclose(f);
        src = file;
    }
    *ptr = alloc((int32_t)n);
    memcpy((char *)(uintptr_t)*ptr, src, n);
    *len = (int32_t)n;
}

static int64_t call(const char *func, char **args, int nargs)
{
    static const struct { const char *name; fn1 f1; fn2 f2; } tab[] = {
        { "validate_upload", 0, validate_upload }, { "extract", 0, extract },
        { "process", 0, process }, { "parse_metadata", parse_metadata, 0 },
        { "validate", validate, 0 },
        { "extract_dependencies", extract_dependencies, 0 },
    };
    int32_t p[2] = { 0, 0 }, l[2] = { 0, 0 };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        if (strcmp(tab[i].name, func) != 0 || (!tab[i].f1 && !tab[i].f2))
            continue;
        int want = tab[i].f1 ? 1 : 2;
        if (nargs != want) {
            fprintf(stderr, "host: %s takes %d inputs\n", func, want);
            exit(2);
        }
        for (int k = 0; k < want; k++)
            input(args[k], &p[k], &l[k]);
        return tab[i].f1 ? tab[i].f1(p[0], l[0]) : tab[i].f2(p[0], l[0], p[1], l[1]);
    }
    fprintf(stderr, "host: the plugin has no %s\n", func);
    exit(2);
}

int main(int argc, char **argv)
{
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
        config = argv[i + 1];
        i += 2;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: host [-c CONFIG] FUNC INPUT...\n");
        return 2;
    }
    int64_t r = call(argv[i], argv + i + 1, argc - i - 1);
    if (!r)
        printf("no result\n");
    else
        printf("%.*s\n", (int)(uint32_t)r, (const char *)(uintptr_t)((uint64_t)r >> 32));
    return 0;
}

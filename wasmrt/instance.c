/* instance.c - stores, host objects, linking, instantiation and the call
 * API of wasmrt.
 *
 * This is the implementation of everything in wasmrt.h that is neither
 * decoding (decode.c) nor running code (exec.c): wr_store and the
 * objects it owns, the import list, wr_instantiate (spec §4.5.4 in the
 * 2.0 order: link, allocate, evaluate globals and segments, apply active
 * segments, run start), calls with typed values, growth of memories and
 * tables, and the helpers host functions use (wr_caller_*).
 *
 * Design.
 *   - A store owns every object: a list of tagged entries (host objects
 *     and instances).  An instance owns what it defines (functions in one
 *     block, tables, memories, globals); imported ones belong to someone
 *     else in the same store.  Nothing is freed before wr_store_free, so
 *     references between instances (a function of A in B's table) stay
 *     valid; that is also why an instance whose start function or segment
 *     initialisation trapped stays in the store: its functions may already
 *     sit in an imported table, as the spec requires.
 *   - Function types are interned per store (hash of the parameter and
 *     result lists), so equal types have equal ids and call_indirect and
 *     linking compare one integer.  Interned copies never move.
 *   - Linear memory is reserved once (mmap PROT_NONE) up to the largest
 *     size it may reach (the type's max capped by max_memory) and made
 *     accessible as it grows: data never moves, only size changes.
 *   - Spare mappings.  A host that makes a fresh instance per call (the
 *     plugin runner does, thousands of times a build) would otherwise pay
 *     an mmap, a munmap and a page fault per touched page every time:
 *     most of the cost of a small call.  So a freed memory that used at
 *     most 8 MiB is zeroed (memset of its used bytes; the rest was never
 *     written) and kept as its thread's spare, and the next memory made
 *     on that thread that fits in its reservation takes it, pages already
 *     mapped.  Bytes past size may then be readable, which changes
 *     nothing: every access is bounds-checked against size (exec.c), and
 *     they are zero, as new pages must be.  One spare per thread
 *     (pthread key), unmapped when the thread ends.
 *   - Tables hold cells (wr_func * or host pointers, 0 = null) and are
 *     reallocated on growth; exec.c reads t->elems afresh each time.
 *   - Segments are read again from the module's bytes (decode.c's
 *     wr_elem_segment, wr_data_segment): a module keeps no decoded copy
 *     of them (its memory bound, internal.h).  A module's functions get
 *     the store's interned copy of their type.
 *
 * Tests: tests/unit/wasmrt_decode_test.c (linking, growth, limits), the
 * spec suite (linking.wast, imports.wast, ...) through tests/spec/.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#define WR_DEFAULT_CALL_DEPTH 10000u
#define WR_DEFAULT_STACK      (1u << 20)
#define WR_DEFAULT_MAX_MEMORY ((uint64_t)WR_MAX_PAGES * WR_PAGE_SIZE)
#define WR_MAX_INLINE_CELLS   16

enum { OBJ_INSTANCE, OBJ_FUNC, OBJ_TABLE, OBJ_MEMORY, OBJ_GLOBAL };

typedef struct wr_obj {
    int   kind;                  /* OBJ_* */
    void *ptr;
} wr_obj;

typedef struct wr_type_entry {
    wr_functype type;            /* params/results in one owned block */
    uint64_t    hash;
} wr_type_entry;

struct wr_store {
    wr_obj   *objs;
    uint32_t  nobjs, cap_objs;
    wr_type_entry **types;       /* by id; entries never move */
    uint32_t  ntypes, cap_types;
    uint32_t *slots;             /* open addressing: id + 1, 0 = empty */
    uint32_t  nslots;            /* a power of two, or 0 */
};

typedef struct wr_import_entry {
    char     *module, *name;
    wr_extern ext;
} wr_import_entry;

struct wr_imports {
    wr_import_entry *v;
    uint32_t n, cap;
};

static int nomem(wr_error *err)
{
    return wr_fail(err, WR_ERR_NOMEM, -1, "out of memory");
}

/* --- memories and tables ------------------------------------------------- */

/* Spare mappings: one per thread (see the head comment). */
#define SPARE_MAX_ZERO ((uint64_t)8 << 20)     /* bytes zeroed to keep one */

static pthread_key_t  spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;
static int            spare_ok;

static void memory_unmap(wr_memory *mem)
{
    if (mem->data)
        munmap(mem->data, mem->reserved ? mem->reserved : WR_PAGE_SIZE);
    free(mem);
}

static void spare_init(void)
{
    spare_ok = pthread_key_create(&spare_key, (void (*)(void *))memory_unmap) == 0;
}

/* A freed memory whose used bytes are few enough to zero becomes its
 * thread's spare (replacing the older one), else it is unmapped. */
static void memory_free(wr_memory *mem)
{
    if (!mem)
        return;
    pthread_once(&spare_once, spare_init);
    if (!spare_ok || !mem->data || !mem->reserved || mem->size > SPARE_MAX_ZERO) {
        memory_unmap(mem);
        return;
    }
    memset(mem->data, 0, (size_t)mem->size);   /* beyond size: never written */
    wr_memory *old = pthread_getspecific(spare_key);
    if (pthread_setspecific(spare_key, mem) != 0) {
        memory_unmap(mem);
        return;
    }
    if (old)
        memory_unmap(old);
}

/* This thread's spare, when it reserves at least `reserve` bytes. */
static wr_memory *spare_take(uint64_t reserve)
{
    pthread_once(&spare_once, spare_init);
    wr_memory *mem = spare_ok ? pthread_getspecific(spare_key) : NULL;
    if (!mem || mem->reserved < reserve)
        return NULL;
    pthread_setspecific(spare_key, NULL);
    return mem;
}

/* Make [0, size) of mem readable and writable. */
static int memory_open(wr_memory *mem, uint64_t size)
{
    if (size <= mem->accessible)
        return 0;
    if (mprotect(mem->data + mem->accessible, (size_t)(size - mem->accessible),
                 PROT_READ | PROT_WRITE))
        return -1;
    mem->accessible = size;
    return 0;
}

/* A memory of `pages` pages that may grow to max_pages: the whole range
 * is reserved now so that data never moves. */
static wr_memory *memory_alloc(uint64_t pages, uint64_t max_pages,
                               const wr_limits_range *type, wr_error *err)
{
    uint64_t reserve = max_pages * WR_PAGE_SIZE;
    wr_memory *mem = reserve ? spare_take(reserve) : NULL;
    if (!mem) {
        if (!(mem = calloc(1, sizeof *mem)))
            return nomem(err), NULL;
        mem->reserved = reserve;
        size_t map = reserve ? (size_t)reserve : WR_PAGE_SIZE;
        void *p = mmap(NULL, map, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            free(mem);
            return nomem(err), NULL;
        }
        mem->data = p;
    }
    mem->has_max = type->has_max;
    mem->type_max = type->max;
    mem->pages = pages;
    mem->max_pages = max_pages;
    mem->size = pages * WR_PAGE_SIZE;
    if (memory_open(mem, mem->size)) {
        memory_unmap(mem);
        return nomem(err), NULL;
    }
    return mem;
}

int64_t wr_memory_grow(wr_memory *mem, uint64_t delta)
{
    uint64_t old = mem->pages;
    if (delta > mem->max_pages - old)
        return -1;
    if (delta == 0)
        return (int64_t)old;
    uint64_t size = (old + delta) * WR_PAGE_SIZE;
    if (memory_open(mem, size))
        return -1;
    mem->pages = old + delta;
    mem->size = size;
    return (int64_t)old;
}

static void table_free(wr_table *t)
{
    if (t) {
        free(t->elems);
        free(t);
    }
}

/* Table limits: the type's max, never above WR_MAX_TABLE_SIZE. */
static uint64_t table_max(const wr_limits_range *lim)
{
    if (lim->has_max && lim->max < WR_MAX_TABLE_SIZE)
        return lim->max;
    return WR_MAX_TABLE_SIZE;
}

/* A table of the type elem, lim (lim->min <= WR_MAX_TABLE_SIZE). */
static wr_table *table_alloc(wr_type elem, const wr_limits_range *lim,
                             wr_cell init, wr_error *err)
{
    uint64_t size = lim->min;
    wr_table *t = calloc(1, sizeof *t);
    if (!t || !(t->elems = malloc(size ? size * sizeof *t->elems : 1))) {
        free(t);
        return nomem(err), NULL;
    }
    t->elem = elem;
    t->size = size;
    t->max = table_max(lim);
    t->has_max = lim->has_max;
    t->type_max = lim->max;
    for (uint64_t i = 0; i < size; i++)
        t->elems[i] = init;
    return t;
}

int64_t wr_table_grow(wr_table *t, uint64_t delta, wr_cell init)
{
    uint64_t old = t->size;
    if (delta > t->max - old)
        return -1;
    if (delta == 0)
        return (int64_t)old;
    wr_cell *e = realloc(t->elems, (size_t)(old + delta) * sizeof *e);
    if (!e)
        return -1;
    for (uint64_t i = old; i < old + delta; i++)
        e[i] = init;
    t->elems = e;
    t->size = old + delta;
    return (int64_t)old;
}

/* --- the store ------------------------------------------------------------ */

static int store_keep(wr_store *s, int kind, void *ptr)
{
    if (s->nobjs == s->cap_objs) {
        uint32_t cap = s->cap_objs ? s->cap_objs * 2 : 16;
        wr_obj *v = realloc(s->objs, cap * sizeof *v);
        if (!v)
            return -1;
        s->objs = v;
        s->cap_objs = cap;
    }
    s->objs[s->nobjs].kind = kind;
    s->objs[s->nobjs++].ptr = ptr;
    return 0;
}

wr_store *wr_store_new(void)
{
    return calloc(1, sizeof(wr_store));
}

static void instance_free(wr_instance *inst)
{
    wr_module *m = inst->module;
    if (inst->funcs && m->nfuncs > m->nfunc_imports)
        free(inst->funcs[m->nfunc_imports]);
    if (inst->tables)
        for (uint32_t i = m->ntable_imports; i < m->ntables; i++)
            table_free(inst->tables[i]);
    if (inst->mems)
        for (uint32_t i = m->nmem_imports; i < m->nmems; i++)
            memory_free(inst->mems[i]);
    if (inst->globals)
        for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++)
            free(inst->globals[i]);
    if (inst->elems)
        for (uint32_t i = 0; i < m->nelems; i++)
            free(inst->elems[i].cells);
    free(inst->funcs);
    free(inst->tables);
    free(inst->mems);
    free(inst->globals);
    free(inst->type_ids);
    free(inst->elems);
    free(inst->datas);
    wr_module_free(m);
    free(inst);
}

static void obj_free(wr_obj *o)
{
    switch (o->kind) {
    case OBJ_INSTANCE: instance_free(o->ptr); break;
    case OBJ_TABLE:    table_free(o->ptr); break;
    case OBJ_MEMORY:   memory_free(o->ptr); break;
    default:           free(o->ptr); break;
    }
}

void wr_store_free(wr_store *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->nobjs; i++)
        obj_free(&s->objs[i]);
    for (uint32_t i = 0; i < s->ntypes; i++)
        free(s->types[i]);
    free(s->objs);
    free(s->types);
    free(s->slots);
    free(s);
}

/* --- function type interning ---------------------------------------------- */

static uint64_t type_hash(const wr_functype *t)
{
    uint64_t h = 1469598103934665603ull;           /* FNV-1a */
    h = (h ^ t->nparams) * 1099511628211ull;
    for (uint32_t i = 0; i < t->nparams; i++)
        h = (h ^ (uint8_t)t->params[i]) * 1099511628211ull;
    h = (h ^ 0x100 ^ t->nresults) * 1099511628211ull;
    for (uint32_t i = 0; i < t->nresults; i++)
        h = (h ^ (uint8_t)t->results[i]) * 1099511628211ull;
    return h;
}

static int type_equal(const wr_functype *a, const wr_functype *b)
{
    if (a->nparams != b->nparams || a->nresults != b->nresults)
        return 0;
    for (uint32_t i = 0; i < a->nparams; i++)
        if (a->params[i] != b->params[i])
            return 0;
    for (uint32_t i = 0; i < a->nresults; i++)
        if (a->results[i] != b->results[i])
            return 0;
    return 1;
}

/* Double the hash table and put every id back. */
static int rehash(wr_store *s)
{
    uint32_t n = s->nslots ? s->nslots * 2 : 64;
    uint32_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return -1;
    for (uint32_t id = 0; id < s->ntypes; id++) {
        uint32_t i = (uint32_t)s->types[id]->hash & (n - 1);
        while (slots[i])
            i = (i + 1) & (n - 1);
        slots[i] = id + 1;
    }
    free(s->slots);
    s->slots = slots;
    s->nslots = n;
    return 0;
}

/* A store-owned copy of t. */
static wr_type_entry *type_copy(const wr_functype *t, uint64_t hash)
{
    size_t n = (size_t)t->nparams + t->nresults;
    wr_type_entry *e = malloc(sizeof *e + n * sizeof(wr_type));
    if (!e)
        return NULL;
    wr_type *pool = (wr_type *)(e + 1);
    if (t->nparams)
        memcpy(pool, t->params, t->nparams * sizeof *pool);
    if (t->nresults)
        memcpy(pool + t->nparams, t->results, t->nresults * sizeof *pool);
    e->type.nparams = t->nparams;
    e->type.nresults = t->nresults;
    e->type.params = pool;
    e->type.results = pool + t->nparams;
    e->hash = hash;
    return e;
}

/* Returns the id, or UINT32_MAX when memory ran out. */
uint32_t wr_store_type_id(wr_store *s, const wr_functype *t)
{
    uint64_t h = type_hash(t);
    if (s->nslots) {
        for (uint32_t i = (uint32_t)h & (s->nslots - 1); s->slots[i];
             i = (i + 1) & (s->nslots - 1)) {
            const wr_type_entry *e = s->types[s->slots[i] - 1];
            if (e->hash == h && type_equal(&e->type, t))
                return s->slots[i] - 1;
        }
    }
    if ((uint64_t)(s->ntypes + 1) * 2 > s->nslots && rehash(s))
        return UINT32_MAX;
    if (s->ntypes == s->cap_types) {
        uint32_t cap = s->cap_types ? s->cap_types * 2 : 16;
        wr_type_entry **v = realloc(s->types, cap * sizeof *v);
        if (!v)
            return UINT32_MAX;
        s->types = v;
        s->cap_types = cap;
    }
    wr_type_entry *e = type_copy(t, h);
    if (!e)
        return UINT32_MAX;
    uint32_t id = s->ntypes++;
    s->types[id] = e;
    uint32_t i = (uint32_t)h & (s->nslots - 1);
    while (s->slots[i])
        i = (i + 1) & (s->nslots - 1);
    s->slots[i] = id + 1;
    return id;
}

/* --- values ----------------------------------------------------------------- */

static wr_cell value_to_cell(const wr_value *v)
{
    switch (v->type) {
    case WR_I32:       return (uint32_t)v->of.i32;
    case WR_I64:       return (uint64_t)v->of.i64;
    case WR_F32:       return v->of.f32;
    case WR_F64:       return v->of.f64;
    case WR_FUNCREF:
    case WR_EXTERNREF: return (uintptr_t)v->of.ref;
    }
    return 0;
}

static wr_value cell_to_value(wr_type t, wr_cell c)
{
    wr_value v;
    memset(&v, 0, sizeof v);
    v.type = t;
    switch (t) {
    case WR_I32:       v.of.i32 = (int32_t)(uint32_t)c; break;
    case WR_I64:       v.of.i64 = (int64_t)c; break;
    case WR_F32:       v.of.f32 = (uint32_t)c; break;
    case WR_F64:       v.of.f64 = c; break;
    case WR_FUNCREF:
    case WR_EXTERNREF: v.of.ref = (void *)(uintptr_t)c; break;
    }
    return v;
}

static int valid_type(wr_type t)
{
    return t == WR_I32 || t == WR_I64 || t == WR_F32 || t == WR_F64
           || t == WR_FUNCREF || t == WR_EXTERNREF;
}

/* --- host objects ------------------------------------------------------------ */

static int keep_or_free(wr_store *s, int kind, void *obj, wr_extern *out,
                        wr_kind ek, wr_error *err)
{
    if (store_keep(s, kind, obj)) {
        wr_obj o = { kind, obj };
        obj_free(&o);
        return nomem(err);
    }
    out->kind = ek;
    out->obj = obj;
    return 0;
}

int wr_func_new(wr_store *s, const wr_functype *type, wr_host_fn fn,
                void *user, wr_extern *out, wr_error *err)
{
    if (!s || !type || !fn || !out)
        return wr_fail(err, WR_ERR_USAGE, -1, "wr_func_new: missing argument");
    for (uint32_t i = 0; i < type->nparams; i++)
        if (!valid_type(type->params[i]))
            return wr_fail(err, WR_ERR_USAGE, -1, "malformed value type");
    for (uint32_t i = 0; i < type->nresults; i++)
        if (!valid_type(type->results[i]))
            return wr_fail(err, WR_ERR_USAGE, -1, "malformed value type");
    uint32_t id = wr_store_type_id(s, type);
    wr_func *f = calloc(1, sizeof *f);
    if (id == UINT32_MAX || !f) {
        free(f);
        return nomem(err);
    }
    f->type = &s->types[id]->type;
    f->type_id = id;
    f->host = fn;
    f->user = user;
    return keep_or_free(s, OBJ_FUNC, f, out, WR_EXTERN_FUNC, err);
}

int wr_global_new(wr_store *s, wr_type type, int mutable_, wr_value init,
                  wr_extern *out, wr_error *err)
{
    if (!s || !out || !valid_type(type) || init.type != type)
        return wr_fail(err, WR_ERR_USAGE, -1, "type mismatch");
    wr_global *g = calloc(1, sizeof *g);
    if (!g)
        return nomem(err);
    g->type = type;
    g->mutable_ = mutable_ != 0;
    g->value = value_to_cell(&init);
    return keep_or_free(s, OBJ_GLOBAL, g, out, WR_EXTERN_GLOBAL, err);
}

int wr_memory_new(wr_store *s, wr_limits_range pages, wr_extern *out,
                  wr_error *err)
{
    if (!s || !out)
        return wr_fail(err, WR_ERR_USAGE, -1, "wr_memory_new: missing argument");
    if (pages.min > WR_MAX_PAGES || (pages.has_max && pages.max > WR_MAX_PAGES))
        return wr_fail(err, WR_ERR_USAGE, -1,
                       "memory size must be at most 65536 pages (4GiB)");
    if (pages.has_max && pages.min > pages.max)
        return wr_fail(err, WR_ERR_USAGE, -1,
                       "size minimum must not be greater than maximum");
    wr_memory *mem = memory_alloc(pages.min,
                                  pages.has_max ? pages.max : WR_MAX_PAGES,
                                  &pages, err);
    if (!mem)
        return -1;
    return keep_or_free(s, OBJ_MEMORY, mem, out, WR_EXTERN_MEMORY, err);
}

int wr_table_new(wr_store *s, wr_type elem, wr_limits_range size,
                 wr_extern *out, wr_error *err)
{
    if (!s || !out || (elem != WR_FUNCREF && elem != WR_EXTERNREF))
        return wr_fail(err, WR_ERR_USAGE, -1, "malformed reference type");
    if (size.has_max && size.min > size.max)
        return wr_fail(err, WR_ERR_USAGE, -1,
                       "size minimum must not be greater than maximum");
    if (size.min > WR_MAX_TABLE_SIZE)
        return wr_fail(err, WR_ERR_USAGE, -1, "table limit exceeded");
    wr_table *t = table_alloc(elem, &size, 0, err);
    if (!t)
        return -1;
    return keep_or_free(s, OBJ_TABLE, t, out, WR_EXTERN_TABLE, err);
}

wr_value wr_global_get(wr_extern g)
{
    const wr_global *gl = g.obj;
    if (g.kind != WR_EXTERN_GLOBAL || !gl) {
        wr_value v;
        memset(&v, 0, sizeof v);
        v.type = WR_I32;
        return v;
    }
    return cell_to_value(gl->type, gl->value);
}

const wr_functype *wr_func_type(wr_extern func)
{
    if (func.kind != WR_EXTERN_FUNC || !func.obj)
        return NULL;
    return ((const wr_func *)func.obj)->type;
}

/* --- import lists ------------------------------------------------------------ */

wr_imports *wr_imports_new(void)
{
    return calloc(1, sizeof(wr_imports));
}

void wr_imports_free(wr_imports *imp)
{
    if (!imp)
        return;
    for (uint32_t i = 0; i < imp->n; i++) {
        free(imp->v[i].module);
        free(imp->v[i].name);
    }
    free(imp->v);
    free(imp);
}

int wr_imports_add(wr_imports *imp, const char *module, const char *name,
                   wr_extern ext, wr_error *err)
{
    if (!imp || !module || !name || !ext.obj)
        return wr_fail(err, WR_ERR_USAGE, -1, "wr_imports_add: missing argument");
    if (imp->n == imp->cap) {
        uint32_t cap = imp->cap ? imp->cap * 2 : 16;
        wr_import_entry *v = realloc(imp->v, cap * sizeof *v);
        if (!v)
            return nomem(err);
        imp->v = v;
        imp->cap = cap;
    }
    wr_import_entry *e = &imp->v[imp->n];
    e->module = strdup(module);
    e->name = strdup(name);
    if (!e->module || !e->name) {
        free(e->module);
        free(e->name);
        return nomem(err);
    }
    e->ext = ext;
    imp->n++;
    return 0;
}

/* The latest entry for (module, name), or NULL. */
static const wr_extern *imports_find(const wr_imports *imp, wr_name module,
                                     wr_name name)
{
    if (!imp)
        return NULL;
    for (uint32_t k = imp->n; k-- > 0;) {
        const wr_import_entry *e = &imp->v[k];
        if (strlen(e->module) == module.len && strlen(e->name) == name.len
            && !memcmp(e->module, module.s, module.len)
            && !memcmp(e->name, name.s, name.len))
            return &e->ext;
    }
    return NULL;
}

/* --- linking ---------------------------------------------------------------- */

/* Limits subtyping (spec §4.5.2): actual within expected. */
static int limits_match(uint64_t min, uint64_t max, int has_max,
                        const wr_limits_range *want)
{
    if (min < want->min)
        return 0;
    if (!want->has_max)
        return 1;
    return has_max && max <= want->max;
}

static int extern_matches(wr_instance *inst, const wr_import *imp,
                          const wr_extern *ext)
{
    const wr_module *m = inst->module;
    if (ext->kind != imp->kind || !ext->obj)
        return 0;
    switch (imp->kind) {
    case WR_EXTERN_FUNC: {
        const wr_func *f = ext->obj;
        return f->type_id == inst->type_ids[m->funcs[imp->index].type];
    }
    case WR_EXTERN_TABLE: {
        const wr_table *t = ext->obj;
        const wr_table_def *d = &m->tables[imp->index];
        wr_limits_range lim = { d->min, d->max, d->has_max };
        return t->elem == d->elem
               && limits_match(t->size, t->type_max, t->has_max, &lim);
    }
    case WR_EXTERN_MEMORY: {
        const wr_memory *mem = ext->obj;
        const wr_memory_def *d = &m->mems[imp->index];
        wr_limits_range lim = { d->min, d->max, d->has_max };
        return limits_match(mem->pages, mem->type_max, mem->has_max, &lim);
    }
    case WR_EXTERN_GLOBAL: {
        const wr_global *g = ext->obj;
        const wr_global_def *d = &m->globals[imp->index];
        return g->type == d->type && g->mutable_ == d->mutable_;
    }
    }
    return 0;
}

static int link_imports(wr_instance *inst, const wr_imports *imps,
                        wr_error *err)
{
    const wr_module *m = inst->module;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wr_import *imp = &m->imports[i];
        wr_name module, name;
        wr_import_names(m, imp, &module, &name);
        const wr_extern *ext = imports_find(imps, module, name);
        if (!ext)
            return wr_fail(err, WR_ERR_LINK, -1, "unknown import: %s.%s",
                           module.s, name.s);
        if (!extern_matches(inst, imp, ext))
            return wr_fail(err, WR_ERR_LINK, -1, "incompatible import type");
        switch (imp->kind) {
        case WR_EXTERN_FUNC:   inst->funcs[imp->index] = ext->obj; break;
        case WR_EXTERN_TABLE:  inst->tables[imp->index] = ext->obj; break;
        case WR_EXTERN_MEMORY: inst->mems[imp->index] = ext->obj; break;
        case WR_EXTERN_GLOBAL: inst->globals[imp->index] = ext->obj; break;
        }
    }
    return 0;
}

/* --- instantiation ------------------------------------------------------------ */

static void limits_defaults(wr_limits *l, const wr_limits *given)
{
    if (given)
        *l = *given;
    else
        memset(l, 0, sizeof *l);
    if (!l->max_memory || l->max_memory > WR_DEFAULT_MAX_MEMORY)
        l->max_memory = WR_DEFAULT_MAX_MEMORY;
    if (!l->max_call_depth)
        l->max_call_depth = WR_DEFAULT_CALL_DEPTH;
    if (!l->max_stack)
        l->max_stack = WR_DEFAULT_STACK;
}

#define ALLOC_N(p, n) ((p) = calloc((n) ? (n) : 1, sizeof *(p)))

/* The instance's arrays, and the store ids of its module's types. */
static int instance_arrays(wr_instance *inst, wr_error *err)
{
    wr_module *m = inst->module;
    if (!ALLOC_N(inst->funcs, m->nfuncs) || !ALLOC_N(inst->tables, m->ntables)
        || !ALLOC_N(inst->mems, m->nmems)
        || !ALLOC_N(inst->globals, m->nglobals)
        || !ALLOC_N(inst->type_ids, m->ntypes)
        || !ALLOC_N(inst->elems, m->nelems) || !ALLOC_N(inst->datas, m->ndatas))
        return nomem(err);
    for (uint32_t i = 0; i < m->ntypes; i++) {
        wr_functype t = wr_module_functype(m, i);
        inst->type_ids[i] = wr_store_type_id(inst->store, &t);
        if (inst->type_ids[i] == UINT32_MAX)
            return nomem(err);
    }
    return 0;
}

static int alloc_funcs(wr_instance *inst, wr_error *err)
{
    wr_module *m = inst->module;
    uint32_t n = m->nfuncs - m->nfunc_imports;
    if (!n)
        return 0;
    wr_func *f = calloc(n, sizeof *f);
    if (!f)
        return nomem(err);
    for (uint32_t i = 0; i < n; i++) {
        const wr_func_def *def = &m->funcs[m->nfunc_imports + i];
        f[i].type_id = inst->type_ids[def->type];
        f[i].type = &inst->store->types[f[i].type_id]->type;
        f[i].inst = inst;
        f[i].code = m->code[i];
        inst->funcs[m->nfunc_imports + i] = &f[i];
    }
    return 0;
}

static int alloc_tables(wr_instance *inst, wr_error *err)
{
    wr_module *m = inst->module;
    for (uint32_t i = m->ntable_imports; i < m->ntables; i++) {
        const wr_table_def *d = &m->tables[i];
        wr_limits_range lim = { d->min, d->max, d->has_max };
        if (lim.min > WR_MAX_TABLE_SIZE)
            return wr_fail(err, WR_ERR_LINK, -1, "table limit exceeded");
        inst->tables[i] = table_alloc((wr_type)d->elem, &lim, 0, err);
        if (!inst->tables[i])
            return -1;
    }
    return 0;
}

static int alloc_memories(wr_instance *inst, wr_error *err)
{
    wr_module *m = inst->module;
    uint64_t limit = inst->limits.max_memory / WR_PAGE_SIZE;
    for (uint32_t i = m->nmem_imports; i < m->nmems; i++) {
        const wr_memory_def *d = &m->mems[i];
        wr_limits_range lim = { d->min, d->max, d->has_max };
        uint64_t max = lim.has_max ? lim.max : WR_MAX_PAGES;
        /* A limit of wasmrt's, not a property of the imports: reported as
         * the trap wasmrt.h names, like a failed start function. */
        if (lim.min > limit)
            return wr_fail(err, WR_ERR_TRAP, -1, "memory limit exceeded");
        inst->mems[i] = memory_alloc(lim.min, max < limit ? max : limit,
                                     &lim, err);
        if (!inst->mems[i])
            return -1;
    }
    return 0;
}

wr_cell wr_constexpr_eval(const wr_instance *inst, const wr_constexpr *e)
{
    switch (e->op) {
    case OP_GLOBAL_GET: return inst->globals[e->value]->value;
    case OP_REF_FUNC:   return (uintptr_t)inst->funcs[e->value];
    case OP_REF_NULL:   return 0;
    default:   return e->value;                 /* the constants */
    }
}

static int alloc_globals(wr_instance *inst, wr_error *err)
{
    wr_module *m = inst->module;
    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
        const wr_global_def *d = &m->globals[i];
        wr_global *g = calloc(1, sizeof *g);
        if (!g)
            return nomem(err);
        g->type = (wr_type)d->type;
        g->mutable_ = d->mutable_;
        g->value = wr_constexpr_eval(inst,
                                     &m->global_inits[i - m->nglobal_imports]);
        inst->globals[i] = g;
    }
    return 0;
}

/* Evaluate every element segment's references (read again from the
 * module's bytes, decode.c); point data at bytes. */
static int eval_segments(wr_instance *inst, wr_error *err)
{
    wr_module *m = inst->module;
    wr_segment seg;
    for (uint32_t i = 0; i < m->nelems; i++) {
        wr_elem_inst *e = &inst->elems[i];
        wr_elem_segment(m, i, &seg);
        if (!(e->cells = malloc(seg.count ? seg.count * sizeof *e->cells : 1)))
            return nomem(err);
        for (uint32_t k = 0, at = seg.at; k < seg.count; k++) {
            wr_constexpr item = wr_elem_item(m, &seg, &at);
            e->cells[k] = wr_constexpr_eval(inst, &item);
        }
        e->count = seg.count;
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        wr_data_segment(m, i, &seg);
        inst->datas[i].len = seg.count;
        inst->datas[i].bytes = m->bytes + seg.at;
    }
    return 0;
}

static void elem_drop(wr_elem_inst *e)
{
    free(e->cells);
    e->cells = NULL;
    e->count = 0;
}

/* Active and declarative element segments, in order (spec 2.0: table.init
 * then elem.drop for each active one). */
static int init_tables(wr_instance *inst, wr_error *err)
{
    wr_module *m = inst->module;
    for (uint32_t i = 0; i < m->nelems; i++) {
        wr_elem_inst *e = &inst->elems[i];
        wr_segment d;
        wr_elem_segment(m, i, &d);
        if (d.mode == WR_SEG_PASSIVE)
            continue;
        if (d.mode == WR_SEG_ACTIVE) {
            wr_table *t = inst->tables[d.index];
            uint64_t off = (uint32_t)wr_constexpr_eval(inst, &d.offset);
            if (off + e->count > t->size)
                return wr_fail(err, WR_ERR_TRAP, -1,
                               "out of bounds table access");
            if (e->count)
                memcpy(t->elems + off, e->cells, e->count * sizeof *e->cells);
        }
        elem_drop(e);
    }
    return 0;
}

/* Active data segments, in order, then dropped. */
static int init_memories(wr_instance *inst, wr_error *err)
{
    wr_module *m = inst->module;
    for (uint32_t i = 0; i < m->ndatas; i++) {
        wr_data_inst *di = &inst->datas[i];
        wr_segment d;
        wr_data_segment(m, i, &d);
        if (d.mode != WR_SEG_ACTIVE)
            continue;
        wr_memory *mem = inst->mems[d.index];
        uint64_t off = (uint32_t)wr_constexpr_eval(inst, &d.offset);
        if (off + di->len > mem->size)
            return wr_fail(err, WR_ERR_TRAP, -1, "out of bounds memory access");
        if (di->len)
            memcpy(mem->data + off, di->bytes, di->len);
        di->len = 0;
        di->bytes = NULL;
    }
    return 0;
}

static int run_start(wr_instance *inst, wr_error *err)
{
    wr_module *m = inst->module;
    if (!m->has_start)
        return 0;
    wr_cell cell[1] = { 0 };
    return wr_exec_call(inst, inst->funcs[m->start], cell, err) ? -1 : 0;
}

/* Everything after linking; a failure leaves the instance in the store
 * (see the design notes). */
static int instance_init(wr_instance *inst, wr_error *err)
{
    if (alloc_funcs(inst, err) || alloc_tables(inst, err)
        || alloc_memories(inst, err) || alloc_globals(inst, err)
        || eval_segments(inst, err))
        return -1;
    if (init_tables(inst, err) || init_memories(inst, err))
        return -1;
    return run_start(inst, err);
}

wr_instance *wr_instantiate(wr_store *s, wr_module *m, const wr_imports *imp,
                            const wr_limits *limits, wr_error *err)
{
    if (!s || !m) {
        wr_fail(err, WR_ERR_USAGE, -1, "wr_instantiate: missing argument");
        return NULL;
    }
    if (m->inspect_only) {
        wr_fail(err, WR_ERR_USAGE, -1, "module loaded for inspection only");
        return NULL;
    }
    wr_instance *inst = calloc(1, sizeof *inst);
    if (!inst) {
        nomem(err);
        return NULL;
    }
    inst->store = s;
    inst->module = m;
    __atomic_fetch_add(&m->refcount, 1, __ATOMIC_RELAXED);
    limits_defaults(&inst->limits, limits);
    inst->fuel = inst->limits.fuel ? inst->limits.fuel : UINT64_MAX;
    if (instance_arrays(inst, err) || link_imports(inst, imp, err)) {
        instance_free(inst);
        return NULL;
    }
    if (store_keep(s, OBJ_INSTANCE, inst)) {
        instance_free(inst);
        nomem(err);
        return NULL;
    }
    if (instance_init(inst, err))
        return NULL;
    return inst;
}

/* --- exports and calls ----------------------------------------------------------- */

static void export_extern(wr_instance *inst, const wr_export *e, wr_extern *out)
{
    out->kind = (wr_kind)e->kind;
    switch (e->kind) {
    case WR_EXTERN_FUNC:   out->obj = inst->funcs[e->index]; break;
    case WR_EXTERN_TABLE:  out->obj = inst->tables[e->index]; break;
    case WR_EXTERN_MEMORY: out->obj = inst->mems[e->index]; break;
    case WR_EXTERN_GLOBAL: out->obj = inst->globals[e->index]; break;
    }
}

int wr_instance_export_n(wr_instance *inst, const char *name, size_t len,
                         wr_extern *out)
{
    if (!inst || !name || !out)
        return -1;
    const wr_module *m = inst->module;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wr_export *e = &m->exports[i];
        wr_name n = wr_pool_name(m, e->name);
        if (n.len == len && !memcmp(n.s, name, len)) {
            export_extern(inst, e, out);
            return 0;
        }
    }
    return -1;
}

int wr_instance_export(wr_instance *inst, const char *name, wr_extern *out)
{
    return wr_instance_export_n(inst, name, name ? strlen(name) : 0, out);
}

int wr_call(wr_instance *inst, const char *name, const wr_value *args,
            size_t nargs, wr_value *results, size_t nresults, wr_error *err)
{
    wr_extern f;
    if (wr_instance_export(inst, name, &f) || f.kind != WR_EXTERN_FUNC)
        return wr_fail(err, WR_ERR_USAGE, -1, "unknown export: %s",
                       name ? name : "(null)");
    return wr_call_func(inst, f, args, nargs, results, nresults, err);
}

static int check_args(const wr_functype *t, const wr_value *args,
                      size_t nargs, wr_error *err)
{
    if (nargs != t->nparams)
        return wr_fail(err, WR_ERR_USAGE, -1,
                       "wrong number of arguments: %zu for %u", nargs,
                       t->nparams);
    for (uint32_t i = 0; i < t->nparams; i++)
        if (args[i].type != t->params[i])
            return wr_fail(err, WR_ERR_USAGE, -1,
                           "argument %u: %s expected, got %s", i + 1,
                           wr_type_name(t->params[i]),
                           wr_type_name(args[i].type));
    return 0;
}

int wr_call_func(wr_instance *inst, wr_extern func, const wr_value *args,
                 size_t nargs, wr_value *results, size_t nresults,
                 wr_error *err)
{
    wr_error local;
    if (!err)
        err = &local;
    if (!inst || func.kind != WR_EXTERN_FUNC || !func.obj)
        return wr_fail(err, WR_ERR_USAGE, -1, "not a function");
    wr_func *f = func.obj;
    const wr_functype *t = f->type;
    if (check_args(t, args, nargs, err))
        return -1;
    size_t n = t->nparams > t->nresults ? t->nparams : t->nresults;
    wr_cell inline_cells[WR_MAX_INLINE_CELLS];
    wr_cell *cells = inline_cells;
    if (n > WR_MAX_INLINE_CELLS && !(cells = malloc(n * sizeof *cells)))
        return nomem(err);
    for (uint32_t i = 0; i < t->nparams; i++)
        cells[i] = value_to_cell(&args[i]);
    memset(err, 0, sizeof *err);
    err->offset = -1;
    int rc = wr_exec_call(inst, f, cells, err);
    if (rc == 0)
        for (uint32_t i = 0; i < t->nresults && i < nresults; i++)
            results[i] = cell_to_value(t->results[i], cells[i]);
    if (cells != inline_cells)
        free(cells);
    return rc ? -1 : 0;
}

uint64_t wr_instance_fuel(const wr_instance *inst)
{
    return inst ? inst->fuel : 0;
}

void wr_instance_set_fuel(wr_instance *inst, uint64_t fuel)
{
    if (inst)
        inst->fuel = fuel;
}

/* Memory 0 of an instance, or NULL. */
static wr_memory *memory0(const wr_instance *inst)
{
    if (!inst || !inst->module->nmems)
        return NULL;
    return inst->mems[0];
}

uint8_t *wr_instance_memory(wr_instance *inst, uint64_t *size)
{
    wr_memory *mem = memory0(inst);
    if (size)
        *size = mem ? mem->size : 0;
    return mem ? mem->data : NULL;
}

/* --- what host functions use ---------------------------------------------------- */

int wr_trap(wr_caller *c, const char *msg)
{
    if (c)
        wr_fail(c->err, WR_ERR_TRAP, -1, "%s", msg ? msg : "trap");
    return -1;
}

int wr_exit(wr_caller *c, int code)
{
    if (c && c->err) {
        wr_fail(c->err, WR_ERR_EXIT, -1, "exit %d", code);
        c->err->exit_code = code;
    }
    return -1;
}

/* [addr, addr + n) inside memory 0 of the caller, or NULL. */
static uint8_t *caller_span(wr_caller *c, uint64_t addr, size_t n)
{
    wr_memory *mem = c ? memory0(c->inst) : NULL;
    if (!mem || addr > mem->size || n > mem->size - addr)
        return NULL;
    return mem->data + addr;
}

int wr_caller_read(wr_caller *c, uint64_t addr, void *dst, size_t n)
{
    uint8_t *p = caller_span(c, addr, n);
    if (!p)
        return -1;
    if (n)
        memcpy(dst, p, n);
    return 0;
}

int wr_caller_write(wr_caller *c, uint64_t addr, const void *src, size_t n)
{
    uint8_t *p = caller_span(c, addr, n);
    if (!p)
        return -1;
    if (n)
        memmove(p, src, n);
    return 0;
}

uint8_t *wr_caller_memory(wr_caller *c, uint64_t *size)
{
    return wr_instance_memory(c ? c->inst : NULL, size);
}

// ref.mjs - the reference side of the differential tests: runs every
// module of a pack in node's WebAssembly (V8) and prints the same lines
// as dt_run.c (whose head comment describes them).
//
//   node tests/diff/ref.mjs [-v] PACK
//
// JavaScript does not say what type an export has, so the type, import,
// function, global and export sections are read here (a few lines of
// the binary format) to know how to pass arguments and print results.
// The argument tables are copies of dt.h's.  V8's trap messages are
// mapped to dt_run.c's trap kinds by TRAPS below.
//
// Tests: tests/diff/diff.sh (docs/testing.md, "Differential testing").
import { readFileSync } from 'node:fs';

const ARGS = {
    0x7f: [0, 1, -1, 0x7fffffff, -0x80000000, 42, 0xffff, 0x10000],
    0x7e: [0n, 1n, -1n, 0x7fffffffffffffffn, -0x8000000000000000n, 42n,
           0xffffffffn, 0x100000000n],
    0x7d: [0x00000000, 0x3f800000, 0xbf800000, 0x80000000, 0x7f800000,
           0x4f000000, 0x7fc00000, 0x3fc00000],
    0x7c: [0x0000000000000000n, 0x3ff0000000000000n, 0xbff0000000000000n,
           0x8000000000000000n, 0x7ff0000000000000n, 0x41e0000000000000n,
           0x7ff8000000000000n, 0x3ff8000000000000n],
};
const argIndex = (e, j) => (e * 3 + j * 5 + 1) % 8;

const TRAPS = [
    ['unreachable', 'unreachable'],
    ['divide by zero', 'div0'],
    ['remainder by zero', 'div0'],
    ['divide result unrepresentable', 'overflow'],
    ['float unrepresentable in integer range', 'conversion'],
    ['memory access out of bounds', 'memory'],
    ['data segment out of bounds', 'memory'],
    ['table index is out of bounds', 'table'],
    ['element segment out of bounds', 'table'],
    ['table access out of bounds', 'table'],
    ['null function or function signature mismatch', 'indirect'],
    ['function signature mismatch', 'indirect'],
    ['Maximum call stack size exceeded', 'exhausted'],
];

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1), u64 = new BigUint64Array(f64.buffer);

function argValue(t, e, j) {
    const k = argIndex(e, j);
    switch (t) {
    case 0x7f: case 0x7e: return ARGS[t][k];
    case 0x7d: u32[0] = ARGS[t][k]; return f32[0];
    case 0x7c: u64[0] = ARGS[t][k]; return f64[0];
    default: return null;
    }
}

function show(t, v) {
    switch (t) {
    case 0x7f: return 'i32:' + (v >>> 0);
    case 0x7e: return 'i64:' + BigInt.asUintN(64, v);
    case 0x7d:
        if (Number.isNaN(v)) return 'f32:nan';
        f32[0] = v;
        return 'f32:0x' + u32[0].toString(16).padStart(8, '0');
    case 0x7c:
        if (Number.isNaN(v)) return 'f64:nan';
        f64[0] = v;
        return 'f64:0x' + u64[0].toString(16).padStart(16, '0');
    case 0x70: return v === null ? 'ref:null' : 'ref:func';
    case 0x6f: return v === null ? 'ref:null' : 'ref:extern';
    }
    return '?';
}

// --- the few sections we need ---------------------------------------------

const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

class Reader {
    constructor(b, p, end) { this.b = b; this.p = p; this.end = end; }
    byte() {
        if (this.p >= this.end) throw new Error('truncated');
        return this.b[this.p++];
    }
    uleb() {
        let v = 0, shift = 0, c;
        do {
            c = this.byte();
            v += (c & 0x7f) * 2 ** shift;
            shift += 7;
        } while (c & 0x80);
        return v;
    }
    skipLimits() { const f = this.byte(); this.uleb(); if (f & 1) this.uleb(); }
    name() {
        const n = this.uleb();
        // ignoreBOM: a name may start with U+FEFF (names.wast has one)
        const s = UTF8.decode(this.b.subarray(this.p, this.p + n));
        this.p += n;
        return s;
    }
    // a constant expression, up to and including its end
    skipExpr() {
        for (;;) {
            const op = this.byte();
            if (op === 0x0b) return;
            if (op === 0x43) this.p += 4;
            else if (op === 0x44) this.p += 8;
            else if (op === 0xd0) this.byte();
            else if (op !== 0xd1) this.uleb();   // consts (as unsigned), indices
        }
    }
}

function describe(b) {
    const types = [], funcs = [], globals = [], exports = [];
    const r = new Reader(b, 8, b.length);
    while (r.p < r.end) {
        const id = r.byte(), size = r.uleb(), end = r.p + size;
        const s = new Reader(b, r.p, end);
        if (id === 1) {
            for (let n = s.uleb(); n > 0; n--) {
                s.byte();
                const params = [], results = [];
                for (let k = s.uleb(); k > 0; k--) params.push(s.byte());
                for (let k = s.uleb(); k > 0; k--) results.push(s.byte());
                types.push({ params, results });
            }
        } else if (id === 2) {
            for (let n = s.uleb(); n > 0; n--) {
                s.name(); s.name();
                const kind = s.byte();
                if (kind === 0) funcs.push(types[s.uleb()]);
                else if (kind === 1) { s.byte(); s.skipLimits(); }
                else if (kind === 2) s.skipLimits();
                else { globals.push(s.byte()); s.byte(); }
            }
        } else if (id === 3) {
            for (let n = s.uleb(); n > 0; n--) funcs.push(types[s.uleb()]);
        } else if (id === 6) {
            for (let n = s.uleb(); n > 0; n--) {
                globals.push(s.byte()); s.byte(); s.skipExpr();
            }
        } else if (id === 7) {
            for (let n = s.uleb(); n > 0; n--) {
                const name = s.name(), kind = s.byte(), idx = s.uleb();
                exports.push({ name, kind, idx });
            }
        }
        r.p = end;
    }
    return { funcs, globals, exports };
}

// --- running ----------------------------------------------------------------

function spectest() {
    const g = (value, v) => new WebAssembly.Global({ value, mutable: false }, v);
    const print = () => {};
    return {
        spectest: {
            print, print_i32: print, print_i64: print, print_f32: print,
            print_f64: print, print_i32_f32: print, print_f64_f64: print,
            global_i32: g('i32', 666), global_i64: g('i64', 666n),
            global_f32: g('f32', 666.6), global_f64: g('f64', 666.6),
            table: new WebAssembly.Table({ element: 'anyfunc', initial: 10, maximum: 20 }),
            memory: new WebAssembly.Memory({ initial: 1, maximum: 2 }),
        },
    };
}

function trap(e, verbose) {
    const msg = String(e && e.message);
    let word = null;
    if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError)
        for (const [m, k] of TRAPS) if (msg === m) { word = 'trap:' + k; break; }
    if (!word) word = 'error:' + (e && e.constructor ? e.constructor.name : '?');
    return { word: verbose ? `${word}(${msg})` : word,
             stop: !word.startsWith('trap:') || word === 'trap:exhausted' };
}

function memHash(buf) {
    const w = new Uint32Array(buf);
    let h = 0x811c9dc5;
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i], 0x01000193);
    return (h >>> 0).toString(16).padStart(8, '0');
}

function runExports(d, inst, out, verbose) {
    for (let i = 0; i < d.exports.length; i++) {
        const x = d.exports[i];
        if (x.kind !== 0) continue;
        const t = d.funcs[x.idx];
        const args = t.params.map((p, j) => argValue(p, i, j));
        let res;
        try {
            res = inst.exports[x.name](...args);
        } catch (e) {
            const tr = trap(e, verbose);
            out.push(`e${i}=${tr.word}`);
            if (tr.stop) { out.push('stop'); return; }
            continue;
        }
        const vals = t.results.length === 1 ? [res] : t.results.length ? [...res] : [];
        out.push(`e${i}=` + vals.map((v, j) => show(t.results[j], v)).join(','));
    }
    for (let i = 0; i < d.exports.length; i++) {
        const x = d.exports[i], e = inst.exports[x.name];
        if (x.kind === 3) out.push(`g${i}=` + show(d.globals[x.idx], e.value));
        if (x.kind === 2)
            out.push(`m${i}=${e.buffer.byteLength / 65536}:${memHash(e.buffer)}`);
    }
}

function runModule(k, bytes, verbose) {
    const out = [String(k)];
    let mod, inst;
    try {
        mod = new WebAssembly.Module(bytes);
    } catch (e) {
        out.push(verbose ? `invalid(${e.message})` : 'invalid');
        return out.join(' ');
    }
    try {
        inst = new WebAssembly.Instance(mod, spectest());
    } catch (e) {
        if (e instanceof WebAssembly.LinkError)
            out.push(verbose ? `link(${e.message})` : 'link');
        else
            out.push('start=' + trap(e, verbose).word);
        return out.join(' ');
    }
    runExports(describe(bytes), inst, out, verbose);
    return out.join(' ');
}

function main() {
    let argv = process.argv.slice(2), verbose = false;
    if (argv[0] === '-v') { verbose = true; argv = argv.slice(1); }
    if (argv.length !== 1) {
        process.stderr.write('usage: node ref.mjs [-v] PACK\n');
        process.exit(2);
    }
    const pack = readFileSync(argv[0]);
    const lines = [];
    for (let p = 0, k = 0; p + 4 <= pack.length; k++) {
        const n = pack.readUInt32LE(p);
        const bytes = pack.subarray(p + 4, p + 4 + n);
        p += 4 + n;
        lines.push(runModule(k, bytes, verbose));
    }
    process.stdout.write(lines.join('\n') + (lines.length ? '\n' : ''));
}

main();

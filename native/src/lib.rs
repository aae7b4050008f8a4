//! faultline's compiled search core: the same Wing-Gong/Lowe search as
//! `checkers/wgl.py`, over entries given as plain numbers.
//!
//! The model is either one of the built-in kinds (`register`, `kv`, `set`, `multi`, see
//! `NativeModel`), stepped here over ops whose values Python interned to integers once,
//! or a model written in Python: its states are interned there as small integers, and the
//! core asks `step(state_id, entry) -> new_state_id | -1` once per distinct (state, entry)
//! pair, memoizing the answer. The search itself (bitsets of linearized entries, the cache
//! of configurations, the depth-first stack) never touches Python objects.
//!
//! Contract (mirrors `checkers.wgl.Search`): entries sorted by invocation; an entry may be
//! linearized when invoked before the earliest completion among pending entries and when
//! all its predecessors are linearized; read-only entries that succeed are linearized at
//! once without branching; the search is resumable in slices (`run(max_nodes)`).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A small multiply-rotate hasher: the keys are our own integers, not attacker input.
#[derive(Default)]
struct FastHasher(u64);

impl FastHasher {
    #[inline]
    fn add(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.add(*b as u64);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.add(x);
    }
    fn write_u32(&mut self, x: u32) {
        self.add(x as u64);
    }
    fn write_usize(&mut self, x: usize) {
        self.add(x as u64);
    }
}

type Fast = BuildHasherDefault<FastHasher>;

/// A configuration seen: two independent 64-bit Zobrist hashes of the set of linearized
/// entries (kept up to date in O(1) per entry lifted or dropped) and the model state. A
/// false "seen" needs both hashes to collide, about n^2 / 2^129 for n configurations: the
/// price of a cache entry that does not grow with the history (TLC keeps 64 bits).
type Seen = (u64, u64, u32);

/// Deterministic pseudo-random keys (splitmix64) for the Zobrist hashes.
fn splitmix(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Entries that must be linearized before one entry: those with an unknown outcome
/// (never forced by the horizon, so always checked) and the others as a bitset trimmed to
/// its nonzero words, `first` being the index of its first word.
struct Preds {
    unknown: Box<[u32]>,
    first: usize,
    words: Box<[u64]>,
}

// Op codes of the built-in models (`faultline/checkers/native_ops.py` writes them).
const NOP: u32 = 0; // always succeeds, changes nothing (an unconstrained read)
const NEVER: u32 = 1; // never succeeds (a set read that returned no list)
const REG_READ: u32 = 2; // [v]: state == v
const REG_WRITE: u32 = 3; // [v]: state := v
const REG_CAS: u32 = 4; // [e, v]: state == e, then state := v
const REG_MISMATCH: u32 = 5; // [e]: state != e (a cas that observed a different value)
const SEQ_READ: u32 = 6; // [c...]: state == c (kv strings as code points, set elements sorted)
const SEQ_PUT: u32 = 7; // [c...]: state := c
const SEQ_APPEND: u32 = 8; // [c...]: state := state ++ c
const SET_ADD: u32 = 9; // [v]: state := state | {v}, kept sorted
const TXN: u32 = 10; // [r/w, k, v]*: reads (r=0) check k's value, writes (r=1) set it

/// A built-in model, stepped without Python. `Register`: the state id is the value id
/// itself. `Table`: states are integer sequences (a kv string, a sorted set, a sorted map
/// of key/value pairs with value 0 (None) meaning absent) interned in `states`.
enum NativeModel {
    Register,
    Table { states: Vec<Vec<u32>>, ids: HashMap<Vec<u32>, u32, Fast> },
}

enum Stepper {
    Native { model: NativeModel, ops: Vec<Vec<u32>> },
    Python(PyObject),
}

fn txn(state: &[u32], micro: &[u32]) -> Option<Vec<u32>> {
    let mut regs: Vec<(u32, u32)> = state.chunks_exact(2).map(|p| (p[0], p[1])).collect();
    for m in micro.chunks_exact(3) {
        let found = regs.binary_search_by_key(&m[1], |p| p.0);
        if m[0] == 0 {
            let held = found.map_or(0, |at| regs[at].1);
            if held != m[2] {
                return None;
            }
        } else {
            match (found, m[2]) {
                (Ok(at), 0) => {
                    regs.remove(at);
                }
                (Ok(at), v) => regs[at].1 = v,
                (Err(_), 0) => {}
                (Err(at), v) => regs.insert(at, (m[1], v)),
            }
        }
    }
    Some(regs.into_iter().flat_map(|(k, v)| [k, v]).collect())
}

/// One step of a table model: the new state, or None when the op cannot happen here.
fn table_step(state: &[u32], op: &[u32]) -> Option<Vec<u32>> {
    let (code, args) = (op[0], &op[1..]);
    match code {
        NOP => Some(state.to_vec()),
        SEQ_READ => (state == args).then(|| state.to_vec()),
        SEQ_PUT => Some(args.to_vec()),
        SEQ_APPEND => Some([state, args].concat()),
        SET_ADD => {
            let mut next = state.to_vec();
            if let Err(at) = next.binary_search(&args[0]) {
                next.insert(at, args[0]);
            }
            Some(next)
        }
        TXN => txn(state, args),
        _ => None,
    }
}

fn register_step(state: u32, op: &[u32]) -> Option<u32> {
    match op[0] {
        NOP => Some(state),
        REG_READ => (state == op[1]).then_some(state),
        REG_WRITE => Some(op[1]),
        REG_CAS => (state == op[1]).then_some(op[2]),
        REG_MISMATCH => (state != op[1]).then_some(state),
        _ => None,
    }
}

/// For a register whose values are written at most once: per value, how many ok reads
/// and ok cas ops that observe it are still pending. In a state whose value has a pending
/// observer, every move but that observer's is a dead end (the value never comes back),
/// so the search does not branch on them.
struct Observers {
    of: Vec<(u8, u32)>, // per entry: (0 none | 1 read | 2 cas, value observed)
    unique: Vec<bool>,  // per value id
    reads: Vec<u32>,
    cases: Vec<u32>,
}

impl Observers {
    fn new(ops: &[Vec<u32>], required: &[bool], init: u32) -> Observers {
        let values = ops.iter().flat_map(|op| op[1..].iter()).chain([&init]).max().map_or(0, |m| *m as usize + 1);
        let mut writes = vec![0u32; values];
        writes[init as usize] += 1;
        let (mut reads, mut cases) = (vec![0u32; values], vec![0u32; values]);
        let mut of = Vec::with_capacity(ops.len());
        for (op, req) in ops.iter().zip(required) {
            match op[0] {
                REG_WRITE => writes[op[1] as usize] += 1,
                REG_CAS => writes[op[2] as usize] += 1,
                _ => {}
            }
            of.push(match (op[0], req) {
                (REG_READ, true) => (1, op[1]),
                (REG_CAS, true) => (2, op[1]),
                _ => (0, 0),
            });
            match of.last().unwrap() {
                (1, v) => reads[*v as usize] += 1,
                (2, v) => cases[*v as usize] += 1,
                _ => {}
            }
        }
        Observers { of, unique: writes.iter().map(|w| *w <= 1).collect(), reads, cases }
    }

    fn count(&mut self, i: usize, delta: i32) {
        match self.of[i] {
            (1, v) => self.reads[v as usize] = (self.reads[v as usize] as i32 + delta) as u32,
            (2, v) => self.cases[v as usize] = (self.cases[v as usize] as i32 + delta) as u32,
            _ => {}
        }
    }

    /// Keep only the successors that do not strand a pending observer of `state`.
    fn prune(&self, state: u32, succ: &mut Vec<(u32, u32)>) {
        let v = state as usize;
        if !self.unique[v] {
        } else if self.reads[v] > 0 {
            succ.clear();
        } else if self.cases[v] > 0 {
            succ.retain(|(i, _)| self.of[*i as usize] == (2, state));
        }
    }
}

/// A configuration on the depth-first stack: its successors still to try. The
/// linearized set is not copied: it is the one bitset `lin`, rolled back along `path` to
/// `path_len` entries before the next successor is lifted.
struct Frame {
    succ: Vec<(u32, u32)>,
    pos: usize,
    path_len: usize,
}

const RUNNING: u8 = 0;
const OK: u8 = 1;
const ILLEGAL: u8 = 2;

#[pyclass(unsendable)]
struct Core {
    words: usize,
    call: Vec<i64>,
    ret: Vec<i64>,
    read_only: Vec<bool>,
    preds: Vec<Option<Preds>>,
    required: Box<[u64]>,
    all: Box<[u64]>,
    required_count: u32,
    stepper: Stepper,
    memo: HashMap<u64, i32, Fast>,
    cache: HashSet<Seen, Fast>,
    stack: Vec<Frame>,
    zobrist: Vec<(u64, u64)>,
    lin: Box<[u64]>,
    hash: (u64, u64),
    done: u32,
    path: Vec<u32>,
    nodes: u64,
    status: u8,
    started: bool,
    init_state: u32,
    best_done: i64,
    best_path: Vec<u32>,
    best_state: u32,
    observers: Option<Observers>,
    stable: usize, // best_path[..stable] == path[..stable]: a new best copies only the rest
}

#[inline]
fn bit(set: &[u64], i: usize) -> bool {
    set[i >> 6] >> (i & 63) & 1 == 1
}


impl Core {
    fn step(&mut self, py: Python<'_>, state: u32, entry: usize) -> PyResult<Option<u32>> {
        if let Stepper::Native { model: NativeModel::Register, ops } = &self.stepper {
            return Ok(register_step(state, &ops[entry]));
        }
        let key = (state as u64) << 32 | entry as u64;
        if let Some(&r) = self.memo.get(&key) {
            return Ok(if r < 0 { None } else { Some(r as u32) });
        }
        let answer: i64 = match &mut self.stepper {
            Stepper::Python(f) => f.call1(py, (state, entry))?.extract(py)?,
            Stepper::Native { model: NativeModel::Table { states, ids }, ops } => {
                match table_step(&states[state as usize], &ops[entry]) {
                    None => -1,
                    Some(next) => match ids.get(&next) {
                        Some(&id) => id as i64,
                        None => {
                            let id = states.len() as u32;
                            ids.insert(next.clone(), id);
                            states.push(next);
                            id as i64
                        }
                    },
                }
            }
            Stepper::Native { model: NativeModel::Register, .. } => unreachable!(),
        };
        self.memo.insert(key, answer as i32);
        Ok(if answer < 0 { None } else { Some(answer as u32) })
    }

    fn lift(&mut self, i: usize) {
        self.lin[i >> 6] |= 1 << (i & 63);
        let (z1, z2) = self.zobrist[i];
        self.hash = (self.hash.0 ^ z1, self.hash.1 ^ z2);
        self.done += bit(&self.required, i) as u32;
        self.path.push(i as u32);
        if let Some(o) = &mut self.observers {
            o.count(i, -1);
        }
    }

    /// Back to the configuration reached after the first `len` entries of the path.
    fn roll_back(&mut self, len: usize) {
        while self.path.len() > len {
            let i = self.path.pop().unwrap() as usize;
            self.lin[i >> 6] &= !(1 << (i & 63));
            let (z1, z2) = self.zobrist[i];
            self.hash = (self.hash.0 ^ z1, self.hash.1 ^ z2);
            self.done -= bit(&self.required, i) as u32;
            if let Some(o) = &mut self.observers {
                o.count(i, 1);
            }
        }
        self.stable = self.stable.min(len);
    }

    /// Every required entry below the returned index is linearized.
    fn low_required(&self) -> usize {
        for w in 0..self.words {
            let open = !self.lin[w] & self.required[w];
            if open != 0 {
                return w * 64 + open.trailing_zeros() as usize;
            }
        }
        self.words * 64
    }

    fn enabled(&self, i: usize, low: usize) -> bool {
        let Some(p) = &self.preds[i] else { return true };
        if p.unknown.iter().any(|&u| !bit(&self.lin, u as usize)) {
            return false;
        }
        let from = (low >> 6).max(p.first);
        (from..p.first + p.words.len()).all(|w| p.words[w - p.first] & !self.lin[w] == 0)
    }

    /// Linearize read-only successes greedily; return the successors to branch on.
    fn expand(&mut self, py: Python<'_>, state: u32) -> PyResult<Vec<(u32, u32)>> {
        let mut succ = Vec::new();
        loop {
            succ.clear();
            let mut horizon = i64::MAX;
            let mut forced = usize::MAX;
            let low = self.low_required();
            // Pending entries in invocation order, a word of the bitset at a time.
            'scan: for w in 0..self.words {
                let mut pending = !self.lin[w] & self.all[w];
                while pending != 0 {
                    let i = w * 64 + pending.trailing_zeros() as usize;
                    pending &= pending - 1;
                    if self.call[i] > horizon {
                        break 'scan;
                    }
                    horizon = horizon.min(self.ret[i]);
                    if self.enabled(i, low) {
                        if let Some(next) = self.step(py, state, i)? {
                            if self.read_only[i] {
                                forced = i;
                                break 'scan;
                            }
                            succ.push((i as u32, next));
                        }
                    }
                }
            }
            if forced == usize::MAX {
                if let Some(o) = &self.observers {
                    o.prune(state, &mut succ);
                }
                return Ok(succ);
            }
            self.lift(forced);
        }
    }

    fn visit(&mut self, py: Python<'_>, state: u32) -> PyResult<Option<Frame>> {
        let succ = self.expand(py, state)?;
        if !self.cache.insert((self.hash.0, self.hash.1, state)) {
            return Ok(None);
        }
        self.nodes += 1;
        if self.done as i64 > self.best_done {
            self.best_done = self.done as i64;
            self.best_path.truncate(self.stable);
            self.best_path.extend_from_slice(&self.path[self.stable..]);
            self.stable = self.path.len();
            self.best_state = state;
        }
        if self.done == self.required_count {
            self.status = OK;
        }
        Ok(Some(Frame { succ, pos: 0, path_len: self.path.len() }))
    }
}

fn status_name(s: u8) -> &'static str {
    match s {
        OK => "ok",
        ILLEGAL => "illegal",
        _ => "running",
    }
}

#[pymethods]
impl Core {
    /// `Core(call, ret, required, read_only, preds, init_state, step, native)`; `preds[i]` is the
    /// set of entries that must be linearized before entry i, as (byte offset, the
    /// little-endian bytes of a Python int bitmask from that byte on; empty: none); `ret`
    /// is -1 for "never". Exactly one of
    /// `step` (a Python model, states interned by the caller, `init_state` its id) and
    /// `native = (kind, init, ops)`: kind "register" (init `[value id]`, ops
    /// `[code, args...]` with the REG_ codes) or "table" (init the state sequence; SEQ_,
    /// SET_ADD, TXN codes); the state ids `best` returns are then the core's own.
    /// `guard`: for a register, do not branch on moves that strand a pending observer of
    /// a value written once (`Observers`); the verdict is the same, the deepest
    /// configuration reached (`best`) may be shallower.
    #[new]
    #[pyo3(signature = (call, ret, required, read_only, preds, init_state, step=None, native=None, guard=true))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        call: Vec<i64>,
        ret: Vec<i64>,
        required: Vec<bool>,
        read_only: Vec<bool>,
        preds: Vec<(usize, Vec<u8>)>,
        init_state: u32,
        step: Option<PyObject>,
        native: Option<(String, Vec<u32>, Vec<Vec<u32>>)>,
        guard: bool,
    ) -> PyResult<Self> {
        let n = call.len();
        let (stepper, init_state) = match (step, native) {
            (Some(f), None) => (Stepper::Python(f), init_state),
            (None, Some((kind, init, ops))) => {
                if ops.len() != n || ops.iter().any(|op| op.is_empty()) {
                    return Err(PyValueError::new_err("one non-empty op per entry"));
                }
                match kind.as_str() {
                    "register" => {
                        let bad = |op: &Vec<u32>| match op[0] {
                            NOP | NEVER => false,
                            REG_READ | REG_WRITE | REG_MISMATCH => op.len() != 2,
                            REG_CAS => op.len() != 3,
                            _ => true,
                        };
                        if init.len() != 1 || ops.iter().any(bad) {
                            return Err(PyValueError::new_err("bad register ops"));
                        }
                        (Stepper::Native { model: NativeModel::Register, ops }, init[0])
                    }
                    "table" => {
                        let bad = |op: &Vec<u32>| match op[0] {
                            NOP | NEVER | SEQ_READ | SEQ_PUT | SEQ_APPEND => false,
                            SET_ADD => op.len() != 2,
                            TXN => !(op.len() - 1).is_multiple_of(3),
                            _ => true,
                        };
                        if ops.iter().any(bad) {
                            return Err(PyValueError::new_err("bad table ops"));
                        }
                        let mut ids = HashMap::default();
                        ids.insert(init.clone(), 0);
                        let model = NativeModel::Table { states: vec![init], ids };
                        (Stepper::Native { model, ops }, 0)
                    }
                    _ => return Err(PyValueError::new_err(format!("unknown native model {kind}"))),
                }
            }
            _ => return Err(PyValueError::new_err("give either step or native")),
        };
        if ret.len() != n || required.len() != n || read_only.len() != n || preds.len() != n {
            return Err(PyValueError::new_err("entry arrays differ in length"));
        }
        let words = n.div_ceil(64).max(1);
        let mut req = vec![0u64; words].into_boxed_slice();
        for (i, r) in required.iter().enumerate() {
            if *r {
                req[i >> 6] |= 1 << (i & 63);
            }
        }
        let mut all = vec![0u64; words].into_boxed_slice();
        for i in 0..n {
            all[i >> 6] |= 1 << (i & 63);
        }
        let mut pred_sets = Vec::with_capacity(n);
        for (offset, p) in preds {
            if offset + p.len() > words * 8 {
                return Err(PyValueError::new_err("predecessor out of range"));
            }
            // Only the words the bytes cover: `base` is the first one's index.
            let base = offset >> 3;
            let mut set = vec![0u64; (offset + p.len()).div_ceil(8) - base];
            for (k, byte) in p.iter().enumerate() {
                let k = k + offset;
                set[(k >> 3) - base] |= (*byte as u64) << ((k & 7) * 8);
            }
            let mut unknown = Vec::new();
            for (w, word) in set.iter_mut().enumerate() {
                let mut open = *word & !req[w + base];
                *word &= req[w + base];
                while open != 0 {
                    unknown.push(((w + base) * 64 + open.trailing_zeros() as usize) as u32);
                    open &= open - 1;
                }
            }
            let first = set.iter().position(|w| *w != 0).unwrap_or(set.len());
            let last = set.iter().rposition(|w| *w != 0).map_or(first, |l| l + 1);
            pred_sets.push((first < last || !unknown.is_empty()).then(|| Preds {
                unknown: unknown.into_boxed_slice(),
                first: first + base,
                words: set[first..last].into(),
            }));
        }
        let observers = match &stepper {
            Stepper::Native { model: NativeModel::Register, ops } if guard => {
                Some(Observers::new(ops, &required, init_state))
            }
            _ => None,
        };
        let mut seed = 0x5eed_u64;
        let zobrist = (0..n).map(|_| (splitmix(&mut seed), splitmix(&mut seed))).collect();
        Ok(Core {
            words,
            call,
            ret: ret.into_iter().map(|r| if r < 0 { i64::MAX } else { r }).collect(),
            read_only,
            preds: pred_sets,
            required_count: required.iter().filter(|r| **r).count() as u32,
            required: req,
            all,
            stepper,
            memo: HashMap::default(),
            cache: HashSet::default(),
            stack: Vec::new(),
            zobrist,
            lin: vec![0u64; words].into_boxed_slice(),
            hash: (0, 0),
            done: 0,
            path: Vec::new(),
            nodes: 0,
            status: RUNNING,
            started: false,
            init_state,
            best_done: -1,
            best_path: Vec::new(),
            best_state: init_state,
            stable: 0,
            observers,
        })
    }

    /// Explore up to `max_nodes` more configurations; "ok", "illegal" or "running".
    fn run(&mut self, py: Python<'_>, max_nodes: u64) -> PyResult<&'static str> {
        if self.status != RUNNING {
            return Ok(status_name(self.status));
        }
        if !self.started {
            self.started = true;
            if let Some(frame) = self.visit(py, self.init_state)? {
                self.stack.push(frame);
            }
            if self.status == OK {
                return Ok("ok");
            }
        }
        let limit = self.nodes + max_nodes;
        while let Some(frame) = self.stack.last_mut() {
            if self.nodes >= limit {
                return Ok("running");
            }
            if frame.pos == frame.succ.len() {
                self.stack.pop();
                continue;
            }
            let (i, next) = frame.succ[frame.pos];
            frame.pos += 1;
            let path_len = frame.path_len;
            self.roll_back(path_len);
            self.lift(i as usize);
            let child = self.visit(py, next)?;
            if self.status == OK {
                return Ok("ok");
            }
            if let Some(child) = child {
                self.stack.push(child);
            }
        }
        self.status = ILLEGAL;
        Ok("illegal")
    }

    #[getter]
    fn nodes(&self) -> u64 {
        self.nodes
    }

    /// Bytes held by the configuration cache, the memo and the stack (an estimate).
    fn approx_bytes(&self) -> usize {
        let stack: usize = self.stack.iter().map(|f| 40 + f.succ.len() * 8).sum();
        self.cache.len() * 40 + self.memo.len() * 24 + stack
    }

    /// The deepest configuration reached: (path of entries, state id, linearized entries).
    fn best(&self) -> (Vec<u32>, u32, Vec<usize>) {
        let mut linearized: Vec<usize> = self.best_path.iter().map(|i| *i as usize).collect();
        linearized.sort_unstable();
        (self.best_path.clone(), self.best_state, linearized)
    }
}

#[pymodule]
fn _wgl(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Core>()?;
    Ok(())
}

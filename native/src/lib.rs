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

mod prepare;

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

pub(crate) type Fast = BuildHasherDefault<FastHasher>;

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
#[derive(Clone)]
pub(crate) struct Preds {
    unknown: Box<[u32]>,
    first: usize,
    words: Box<[u64]>,
}

impl Preds {
    /// From the sorted entry indices that must precede one entry (None: no constraint).
    pub(crate) fn from_indices(preds: &[u32], req: &[u64]) -> Option<Preds> {
        let mut unknown = Vec::new();
        let mut known = Vec::new();
        for &i in preds {
            if bit(req, i as usize) {
                known.push(i as usize);
            } else {
                unknown.push(i);
            }
        }
        if known.is_empty() && unknown.is_empty() {
            return None;
        }
        let (first, words) = match (known.first(), known.last()) {
            (Some(lo), Some(hi)) => {
                let first = lo >> 6;
                let mut words = vec![0u64; (hi >> 6) - first + 1];
                for i in known {
                    words[(i >> 6) - first] |= 1 << (i & 63);
                }
                (first, words)
            }
            _ => (0, Vec::new()),
        };
        Some(Preds { unknown: unknown.into_boxed_slice(), first, words: words.into_boxed_slice() })
    }
}

// Op codes of the built-in models (`faultline/checkers/native_ops.py` writes them).
pub(crate) const NOP: u32 = 0; // always succeeds, changes nothing (an unconstrained read)
const NEVER: u32 = 1; // never succeeds (a set read that returned no list)
pub(crate) const REG_READ: u32 = 2; // [v]: state == v
pub(crate) const REG_WRITE: u32 = 3; // [v]: state := v
pub(crate) const REG_CAS: u32 = 4; // [e, v]: state == e, then state := v
pub(crate) const REG_MISMATCH: u32 = 5; // [e]: state != e (a cas that observed a different value)
const SEQ_READ: u32 = 6; // [c...]: state == c (kv strings as code points, set elements sorted)
const SEQ_PUT: u32 = 7; // [c...]: state := c
const SEQ_APPEND: u32 = 8; // [c...]: state := state ++ c
const SET_ADD: u32 = 9; // [v]: state := state | {v}, kept sorted
const TXN: u32 = 10; // [r/w, k, v]*: reads (r=0) check k's value, writes (r=1) set it

/// A built-in model, stepped without Python. `Register`: the state id is the value id
/// itself. `Table`: states are integer sequences (a kv string, a sorted set, a sorted map
/// of key/value pairs with value 0 (None) meaning absent) interned in `states`.
#[derive(Clone)]
pub(crate) enum NativeModel {
    Register,
    Table { states: Vec<Vec<u32>>, ids: HashMap<Vec<u32>, u32, Fast> },
}

pub(crate) enum Stepper {
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
pub(crate) struct Core {
    words: usize,
    call: Vec<i64>,
    ret: Vec<i64>,
    read_only: Vec<bool>,
    preds: Vec<Option<Preds>>,
    required: Box<[u64]>,
    all: Box<[u64]>,
    required_count: u32,
    stepper: Stepper,
    guard: bool,
    memo: HashMap<u64, i32, Fast>,
    cache: HashSet<Seen, Fast>,
    stack: Vec<Frame>,
    zobrist: Vec<(u64, u64)>,
    lin: Box<[u64]>,
    // Every word of `lin` below `first_pending` covers all its entries, below
    // `first_open_required` all its required ones: the scans start there, so a node costs
    // what is pending, not the history's length.
    first_pending: usize,
    first_open_required: usize,
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
    spans: Vec<(u32, i64)>, // per entry (invocation index, completion index | -1), when prepared here
    sources: Vec<i64>,      // per entry the producer of the value it observed (-1: none), likewise
}

#[inline]
fn bit(set: &[u64], i: usize) -> bool {
    set[i >> 6] >> (i & 63) & 1 == 1
}

fn bitset(n: usize, words: usize, member: impl Fn(usize) -> bool) -> Box<[u64]> {
    let mut set = vec![0u64; words].into_boxed_slice();
    for i in (0..n).filter(|i| member(*i)) {
        set[i >> 6] |= 1 << (i & 63);
    }
    set
}

impl Core {
    /// A search over entries whose predecessor sets are already built; `ret` -1 = never.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn build(
        call: Vec<i64>,
        ret: Vec<i64>,
        required: &[bool],
        read_only: Vec<bool>,
        preds: Vec<Option<Preds>>,
        stepper: Stepper,
        init_state: u32,
        guard: bool,
    ) -> Core {
        let n = call.len();
        let words = n.div_ceil(64).max(1);
        let observers = match &stepper {
            Stepper::Native { model: NativeModel::Register, ops } if guard => {
                Some(Observers::new(ops, required, init_state))
            }
            _ => None,
        };
        let mut seed = 0x5eed_u64;
        let zobrist = (0..n).map(|_| (splitmix(&mut seed), splitmix(&mut seed))).collect();
        Core {
            words,
            call,
            ret: ret.into_iter().map(|r| if r < 0 { i64::MAX } else { r }).collect(),
            read_only,
            preds,
            required_count: required.iter().filter(|r| **r).count() as u32,
            required: bitset(n, words, |i| required[i]),
            all: bitset(n, words, |_| true),
            stepper,
            guard,
            memo: HashMap::default(),
            cache: HashSet::default(),
            stack: Vec::new(),
            zobrist,
            lin: vec![0u64; words].into_boxed_slice(),
            first_pending: 0,
            first_open_required: 0,
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
            spans: Vec::new(),
            sources: Vec::new(),
        }
    }

    pub(crate) fn with_spans(mut self, spans: Vec<(u32, i64)>, sources: Vec<i64>) -> Core {
        self.spans = spans;
        self.sources = sources;
        self
    }

    /// `checkers.wgl.stuck` for the deepest configuration: the pending required entry
    /// that completes first (`blocked`) and the pending entries invoked before that.
    fn blocked(&self, path: &[u32]) -> (Option<u32>, Vec<u32>) {
        let mut lin = vec![false; self.call.len()];
        for &i in path {
            lin[i as usize] = true;
        }
        let pending = || (0..self.call.len()).filter(|i| !lin[*i]);
        let blocked = pending().filter(|i| bit(&self.required, *i)).min_by_key(|i| self.ret[*i]);
        let horizon = blocked.map_or(i64::MAX, |b| self.ret[b]);
        let concurrent =
            pending().filter(|i| Some(*i) != blocked && self.call[*i] < horizon).map(|i| i as u32).collect();
        (blocked.map(|b| b as u32), concurrent)
    }

    /// The same search from its start, with or without the observer guard (natively
    /// stepped models only: a Python `step` is not cloned).
    fn fresh(&self, guard: bool) -> Option<Core> {
        let Stepper::Native { model, ops } = &self.stepper else { return None };
        let stepper = Stepper::Native { model: model.clone(), ops: ops.clone() };
        let required: Vec<bool> = (0..self.call.len()).map(|i| bit(&self.required, i)).collect();
        let ret = self.ret.iter().map(|r| if *r == i64::MAX { -1 } else { *r }).collect();
        let init = match model {
            NativeModel::Register => self.init_state,
            NativeModel::Table { .. } => 0,
        };
        Some(Core::build(self.call.clone(), ret, &required, self.read_only.clone(),
                         self.preds.clone(), stepper, init, guard))
    }

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
        let w = i >> 6;
        if w == self.first_pending {
            while self.first_pending < self.words
                && self.all[self.first_pending] & !self.lin[self.first_pending] == 0
            {
                self.first_pending += 1;
            }
        }
        if w == self.first_open_required {
            while self.first_open_required < self.words
                && self.required[self.first_open_required] & !self.lin[self.first_open_required] == 0
            {
                self.first_open_required += 1;
            }
        }
    }

    /// Back to the configuration reached after the first `len` entries of the path.
    fn roll_back(&mut self, len: usize) {
        while self.path.len() > len {
            let i = self.path.pop().unwrap() as usize;
            self.lin[i >> 6] &= !(1 << (i & 63));
            let (z1, z2) = self.zobrist[i];
            self.hash = (self.hash.0 ^ z1, self.hash.1 ^ z2);
            let req = bit(&self.required, i);
            self.done -= req as u32;
            if let Some(o) = &mut self.observers {
                o.count(i, 1);
            }
            self.first_pending = self.first_pending.min(i >> 6);
            if req {
                self.first_open_required = self.first_open_required.min(i >> 6);
            }
        }
        self.stable = self.stable.min(len);
    }

    /// Every required entry below the returned index is linearized.
    fn low_required(&self) -> usize {
        let w = self.first_open_required;
        if w == self.words {
            return w * 64;
        }
        w * 64 + (!self.lin[w] & self.required[w]).trailing_zeros() as usize
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
    ///
    /// One pass in invocation order: after a read-only entry is linearized the scan goes
    /// on from the next entry (the state is the same, so what came before stands), unless
    /// an entry before it was held back by its predecessors (the new one may be among
    /// them): then it starts over.
    fn expand(&mut self, py: Python<'_>, state: u32) -> PyResult<Vec<(u32, u32)>> {
        let mut succ = Vec::new();
        'restart: loop {
            succ.clear();
            let mut horizon = i64::MAX;
            let mut held_back = false;
            let low = self.low_required();
            // Pending entries in invocation order, a word of the bitset at a time.
            'scan: for w in self.first_pending..self.words {
                let mut pending = !self.lin[w] & self.all[w];
                while pending != 0 {
                    let i = w * 64 + pending.trailing_zeros() as usize;
                    pending &= pending - 1;
                    if self.call[i] > horizon {
                        break 'scan;
                    }
                    if !self.enabled(i, low) {
                        held_back = true;
                        horizon = horizon.min(self.ret[i]);
                        continue;
                    }
                    let Some(next) = self.step(py, state, i)? else {
                        horizon = horizon.min(self.ret[i]);
                        continue;
                    };
                    if !self.read_only[i] {
                        horizon = horizon.min(self.ret[i]);
                        succ.push((i as u32, next));
                        continue;
                    }
                    self.lift(i); // a read-only success: taken, without branching
                    if held_back {
                        continue 'restart;
                    }
                }
            }
            if let Some(o) = &self.observers {
                o.prune(state, &mut succ);
            }
            return Ok(succ);
        }
    }

    fn visit(&mut self, py: Python<'_>, state: u32) -> PyResult<Option<Frame>> {
        // The configuration as entered and as the greedy reads leave it are both cached:
        // one seen as entered was expanded already, so the expansion is skipped.
        let entered = (self.hash.0, self.hash.1, state);
        if self.cache.contains(&entered) {
            return Ok(None);
        }
        let succ = self.expand(py, state)?;
        let expanded = (self.hash.0, self.hash.1, state);
        if expanded != entered {
            self.cache.insert(entered);
        }
        if !self.cache.insert(expanded) {
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

    fn search(&mut self, py: Python<'_>, max_nodes: u64) -> PyResult<u8> {
        if self.status != RUNNING {
            return Ok(self.status);
        }
        if !self.started {
            self.started = true;
            if let Some(frame) = self.visit(py, self.init_state)? {
                self.stack.push(frame);
            }
            if self.status == OK {
                return Ok(OK);
            }
        }
        let limit = self.nodes + max_nodes;
        while let Some(frame) = self.stack.last_mut() {
            if self.nodes >= limit {
                return Ok(RUNNING);
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
                return Ok(OK);
            }
            if let Some(child) = child {
                self.stack.push(child);
            }
        }
        self.status = ILLEGAL;
        Ok(ILLEGAL)
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
            (None, Some((kind, init, ops))) => native_stepper(&kind, init, ops, n)?,
            _ => return Err(PyValueError::new_err("give either step or native")),
        };
        if ret.len() != n || required.len() != n || read_only.len() != n || preds.len() != n {
            return Err(PyValueError::new_err("entry arrays differ in length"));
        }
        let words = n.div_ceil(64).max(1);
        let req = bitset(n, words, |i| required[i]);
        let mut pred_sets = Vec::with_capacity(n);
        for (offset, p) in preds {
            if offset + p.len() > words * 8 {
                return Err(PyValueError::new_err("predecessor out of range"));
            }
            let mut indices = Vec::new();
            for (k, byte) in p.iter().enumerate() {
                for b in 0..8 {
                    if byte >> b & 1 == 1 {
                        indices.push(((offset + k) * 8 + b) as u32);
                    }
                }
            }
            pred_sets.push(Preds::from_indices(&indices, &req));
        }
        Ok(Core::build(call, ret, &required, read_only, pred_sets, stepper, init_state, guard))
    }

    /// Explore up to `max_nodes` more configurations; "ok", "illegal" or "running".
    fn run(&mut self, py: Python<'_>, max_nodes: u64) -> PyResult<&'static str> {
        Ok(status_name(self.search(py, max_nodes)?))
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

    /// For an illegal search: `(path, state id, blocked, concurrent, source)` of its
    /// deepest configuration, as `checkers.wgl.stuck` gives them, and the producer of the
    /// value `blocked` observed (when this core prepared its entries, with hints). The
    /// observer guard stops short of the configurations a person reads best (the write
    /// done, the read then impossible), so the same search runs unguarded for at most
    /// `budget` configurations, and its deepest is given when it too proves the history
    /// illegal; else this one's.
    #[allow(clippy::type_complexity)]
    fn stuck(&self, py: Python<'_>, budget: u64) -> PyResult<(Vec<u32>, u32, Option<u32>, Vec<u32>, Option<u32>)> {
        let mut deepest = (self.best_path.clone(), self.best_state);
        if self.guard && self.observers.is_some() {
            if let Some(mut unguarded) = self.fresh(false) {
                if unguarded.search(py, budget)? == ILLEGAL {
                    deepest = (unguarded.best_path, unguarded.best_state);
                }
            }
        }
        let (blocked, concurrent) = self.blocked(&deepest.0);
        let source = blocked.and_then(|b| self.sources.get(b as usize)).filter(|s| **s >= 0);
        Ok((deepest.0, deepest.1, blocked, concurrent, source.map(|s| *s as u32)))
    }

    /// Per entry (invocation index, completion index or -1): set when this core prepared
    /// the entries itself (`prepare_registers`), empty otherwise.
    fn spans(&self) -> Vec<(u32, i64)> {
        self.spans.clone()
    }

    /// Per entry, the entries that must be linearized before it (sorted): for tests.
    fn predecessors(&self) -> Vec<Vec<u32>> {
        self.preds
            .iter()
            .map(|p| match p {
                None => Vec::new(),
                Some(p) => {
                    let mut out: Vec<u32> = p.unknown.to_vec();
                    for (w, word) in p.words.iter().enumerate() {
                        let mut bits = *word;
                        while bits != 0 {
                            out.push(((p.first + w) * 64 + bits.trailing_zeros() as usize) as u32);
                            bits &= bits - 1;
                        }
                    }
                    out.sort_unstable();
                    out
                }
            })
            .collect()
    }
}

fn native_stepper(kind: &str, init: Vec<u32>, ops: Vec<Vec<u32>>, n: usize) -> PyResult<(Stepper, u32)> {
    if ops.len() != n || ops.iter().any(|op| op.is_empty()) {
        return Err(PyValueError::new_err("one non-empty op per entry"));
    }
    match kind {
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
            Ok((Stepper::Native { model: NativeModel::Register, ops }, init[0]))
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
            Ok((Stepper::Native { model, ops }, 0))
        }
        _ => Err(PyValueError::new_err(format!("unknown native model {kind}"))),
    }
}

#[pymodule]
fn _wgl(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Core>()?;
    m.add_function(wrap_pyfunction!(prepare::prepare_registers, m)?)?;
    Ok(())
}

//! faultline's compiled search core: the same Wing-Gong/Lowe search as
//! `checkers/wgl.py`, over entries given as plain numbers.
//!
//! The model stays in Python. States are interned there as small integers, and the core
//! asks `step(state_id, entry) -> new_state_id | -1` once per distinct (state, entry)
//! pair, memoizing the answer; the search itself (bitsets of linearized entries, the
//! cache of configurations, the depth-first stack) runs without touching Python objects.
//!
//! Contract (mirrors `checkers.wgl.Search`): entries sorted by invocation; an entry may be
//! linearized when invoked before the earliest completion among pending entries and when
//! all its predecessors are linearized; read-only entries that succeed are linearized at
//! once without branching; the search is resumable in slices (`run(max_nodes)`).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};

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

/// A configuration: which entries are linearized, and the model state (interned).
#[derive(PartialEq, Eq, Clone)]
struct Config {
    lin: Box<[u64]>,
    state: u32,
}

impl Hash for Config {
    fn hash<H: Hasher>(&self, h: &mut H) {
        for w in self.lin.iter() {
            h.write_u64(*w);
        }
        h.write_u32(self.state);
    }
}

struct Frame {
    config: Config,
    succ: Vec<(u32, u32)>,
    pos: usize,
    path_len: usize,
}

const RUNNING: u8 = 0;
const OK: u8 = 1;
const ILLEGAL: u8 = 2;

#[pyclass(unsendable)]
struct Core {
    n: usize,
    words: usize,
    call: Vec<i64>,
    ret: Vec<i64>,
    read_only: Vec<bool>,
    preds: Vec<Option<Box<[u64]>>>,
    required: Box<[u64]>,
    all: Box<[u64]>,
    required_count: u32,
    step_fn: PyObject,
    memo: HashMap<u64, i32, Fast>,
    cache: HashSet<Config, Fast>,
    stack: Vec<Frame>,
    path: Vec<u32>,
    nodes: u64,
    status: u8,
    started: bool,
    init_state: u32,
    best_done: i64,
    best_path: Vec<u32>,
    best_config: Option<Config>,
}

#[inline]
fn bit(set: &[u64], i: usize) -> bool {
    set[i >> 6] >> (i & 63) & 1 == 1
}

#[inline]
fn subset(a: &[u64], b: &[u64]) -> bool {
    a.iter().zip(b.iter()).all(|(x, y)| x & !y == 0)
}

impl Core {
    fn step(&mut self, py: Python<'_>, state: u32, entry: usize) -> PyResult<Option<u32>> {
        let key = (state as u64) << 32 | entry as u64;
        let answer = match self.memo.get(&key) {
            Some(&r) => r,
            None => {
                let r: i64 = self.step_fn.call1(py, (state, entry))?.extract(py)?;
                let r = r as i32;
                self.memo.insert(key, r);
                r
            }
        };
        Ok(if answer < 0 { None } else { Some(answer as u32) })
    }

    /// Linearize read-only successes greedily; return the successors to branch on.
    fn expand(&mut self, py: Python<'_>, lin: &mut [u64], state: u32) -> PyResult<Vec<(u32, u32)>> {
        let mut succ = Vec::new();
        loop {
            succ.clear();
            let mut horizon = i64::MAX;
            let mut forced = usize::MAX;
            // Pending entries in invocation order, a word of the bitset at a time.
            'scan: for w in 0..self.words {
                let mut pending = !lin[w] & self.all[w];
                while pending != 0 {
                    let i = w * 64 + pending.trailing_zeros() as usize;
                    pending &= pending - 1;
                    if self.call[i] > horizon {
                        break 'scan;
                    }
                    horizon = horizon.min(self.ret[i]);
                    let enabled = match &self.preds[i] {
                        Some(p) => subset(p, lin),
                        None => true,
                    };
                    if enabled {
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
                return Ok(succ);
            }
            lin[forced >> 6] |= 1 << (forced & 63);
            self.path.push(forced as u32);
        }
    }

    fn visit(&mut self, py: Python<'_>, mut lin: Box<[u64]>, state: u32) -> PyResult<Option<Frame>> {
        let succ = self.expand(py, &mut lin, state)?;
        let config = Config { lin, state };
        if !self.cache.insert(config.clone()) {
            return Ok(None);
        }
        self.nodes += 1;
        let done: u32 = config
            .lin
            .iter()
            .zip(self.required.iter())
            .map(|(a, b)| (a & b).count_ones())
            .sum();
        if done as i64 > self.best_done {
            self.best_done = done as i64;
            self.best_path = self.path.clone();
            self.best_config = Some(config.clone());
        }
        if done == self.required_count {
            self.status = OK;
        }
        Ok(Some(Frame { config, succ, pos: 0, path_len: self.path.len() }))
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
    /// `Core(call, ret, required, read_only, preds, init_state, step)`; `preds[i]` is the
    /// set of entries that must be linearized before entry i, as the little-endian bytes
    /// of a Python int bitmask (empty: none); `ret` is -1 for "never".
    #[new]
    fn new(
        call: Vec<i64>,
        ret: Vec<i64>,
        required: Vec<bool>,
        read_only: Vec<bool>,
        preds: Vec<Vec<u8>>,
        init_state: u32,
        step: PyObject,
    ) -> PyResult<Self> {
        let n = call.len();
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
        for p in preds {
            if p.is_empty() {
                pred_sets.push(None);
                continue;
            }
            if p.len() > words * 8 {
                return Err(PyValueError::new_err("predecessor out of range"));
            }
            let mut set = vec![0u64; words].into_boxed_slice();
            for (k, byte) in p.iter().enumerate() {
                set[k >> 3] |= (*byte as u64) << ((k & 7) * 8);
            }
            pred_sets.push(Some(set));
        }
        Ok(Core {
            n,
            words,
            call,
            ret: ret.into_iter().map(|r| if r < 0 { i64::MAX } else { r }).collect(),
            read_only,
            preds: pred_sets,
            required_count: required.iter().filter(|r| **r).count() as u32,
            required: req,
            all,
            step_fn: step,
            memo: HashMap::default(),
            cache: HashSet::default(),
            stack: Vec::new(),
            path: Vec::new(),
            nodes: 0,
            status: RUNNING,
            started: false,
            init_state,
            best_done: -1,
            best_path: Vec::new(),
            best_config: None,
        })
    }

    /// Explore up to `max_nodes` more configurations; "ok", "illegal" or "running".
    fn run(&mut self, py: Python<'_>, max_nodes: u64) -> PyResult<&'static str> {
        if self.status != RUNNING {
            return Ok(status_name(self.status));
        }
        if !self.started {
            self.started = true;
            let lin = vec![0u64; self.words].into_boxed_slice();
            if let Some(frame) = self.visit(py, lin, self.init_state)? {
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
            let mut lin = frame.config.lin.clone();
            let path_len = frame.path_len;
            lin[(i as usize) >> 6] |= 1 << (i & 63);
            self.path.truncate(path_len);
            self.path.push(i);
            let child = self.visit(py, lin, next)?;
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

    /// Bytes held by the configuration cache and the memo (an estimate).
    fn approx_bytes(&self) -> usize {
        self.cache.len() * (self.words * 8 + 48) + self.memo.len() * 24
    }

    /// The deepest configuration reached: (path of entries, state id, linearized entries).
    fn best(&self) -> (Vec<u32>, u32, Vec<usize>) {
        match &self.best_config {
            None => (Vec::new(), self.init_state, Vec::new()),
            Some(c) => (
                self.best_path.clone(),
                c.state,
                (0..self.n).filter(|i| bit(&c.lin, *i)).collect(),
            ),
        }
    }
}

#[pymodule]
fn _wgl(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Core>()?;
    Ok(())
}

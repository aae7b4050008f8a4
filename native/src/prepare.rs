//! A register history prepared in one pass, for the built-in register models.
//!
//! `faultline/checkers/{prepare,order,native_ops}.py` turn a history into searches in
//! Python, one op at a time; for the register models this does the same from columns of
//! the history (one list per op field, built in Python with list comprehensions), so a
//! check costs about what its search costs. Semantics, mirrored exactly (the Python code is
//! the reference, and tests compare the two on random histories):
//!
//! - pairing (`History.pairs`): an invocation pairs with the next non-invoke op of its
//!   process; a second invocation leaves the first unknown;
//! - per key (`partition_by_key`, keys in order of first invocation; nemesis ops are no
//!   key's), outcomes (`prepare._outcome_op`): ok, or fail with cas-mismatch, is known;
//!   info or no completion is unknown (then a read-only op is dropped); other fails drop;
//! - the register model's views and codes (`RegisterModel.order_views`, `native_ops`,
//!   `native_ops.register_codes`);
//! - the write-order constraints (`order.register_order` then `_drop_real_time`), built
//!   directly in their final form: each entry's predecessors are the ops concurrent with
//!   it, found by sorted sweeps and a segment tree instead of masks over the whole
//!   history, so the preparation is O(n log n + constraints);
//! - the first contradiction of those constraints with real time (`order.contradiction`).
//!
//! Values are interned here when they are None, ints, or strings (Python's `==` on those
//! is plain equality); any other value, an op the model does not know or a malformed cas
//! makes `prepare_registers` return None, and the caller takes the Python path, which
//! reports the error or handles the value.

use crate::{Core, Fast, NativeModel, Preds, Stepper, NOP, REG_CAS, REG_MISMATCH, REG_READ, REG_WRITE};
use pyo3::prelude::*;
use pyo3::types::{PyInt, PyList, PyString, PyTuple};
use std::collections::HashMap;

// Codes of the columns' types and functions.
const INVOKE: u8 = 0;
const OK: u8 = 1;
const FAIL: u8 = 2;
const INFO: u8 = 3;
const F_READ: u8 = 0;
const F_WRITE: u8 = 1;
const F_CAS: u8 = 2;
const F_OTHER: u8 = 3;

#[derive(Hash, PartialEq, Eq)]
enum Value {
    None,
    Int(i64),
    Str(String),
}

/// Python values as small integers; None when a value is of a type not interned here.
#[derive(Default)]
struct Interner(HashMap<Value, u32, Fast>);

impl Interner {
    fn id(&mut self, v: &Bound<'_, PyAny>) -> Option<u32> {
        let key = if v.is_none() {
            Value::None
        } else if v.is_exact_instance_of::<PyInt>() {
            Value::Int(v.extract::<i64>().ok()?)
        } else if v.is_exact_instance_of::<PyString>() {
            Value::Str(v.downcast::<PyString>().ok()?.to_str().ok()?.to_owned())
        } else {
            return None;
        };
        let next = self.0.len() as u32;
        Some(*self.0.entry(key).or_insert(next))
    }

    /// A cas value `[expected, new]` (a list or tuple of two).
    fn pair(&mut self, v: &Bound<'_, PyAny>) -> Option<(u32, u32)> {
        let items: Vec<Bound<'_, PyAny>> = if let Ok(list) = v.downcast::<PyList>() {
            list.iter().collect()
        } else if let Ok(tuple) = v.downcast::<PyTuple>() {
            tuple.iter().collect()
        } else {
            return None;
        };
        if items.len() != 2 {
            return None;
        }
        Some((self.id(&items[0])?, self.id(&items[1])?))
    }
}

/// What an entry reads and writes, in raw value ids (`RegisterModel._view`).
#[derive(Clone, Copy)]
enum View {
    Unconstrained,
    Read(u32),
    Write(u32),
    Cas(u32, u32),
    Mismatch(u32),
}

struct Entries {
    call: Vec<i64>,
    ret: Vec<i64>, // -1: unknown outcome
    required: Vec<bool>,
    read_only: Vec<bool>,
    views: Vec<View>,
    spans: Vec<(u32, i64)>,
}

/// Entry i must follow every entry of `preds[i]`; None: no hints (values repeat).
/// With them, per entry the producer of the value it observed (-1: none), as
/// `order.producer_of` names it.
fn order_constraints(e: &Entries, initial: u32, values: usize) -> Option<(Vec<Vec<u32>>, Vec<i64>)> {
    let n = e.call.len();
    let ret = |i: usize| if e.ret[i] < 0 { i64::MAX } else { e.ret[i] };
    let mut producer: Vec<Option<usize>> = vec![None; values];
    let mut written: Vec<(u32, usize)> = Vec::new();
    for (i, view) in e.views.iter().enumerate() {
        if let View::Write(v) | View::Cas(_, v) = *view {
            if producer[v as usize].is_some() || v == initial {
                return None; // a repeated value: reads no longer name their write
            }
            producer[v as usize] = Some(i);
            written.push((v, i));
        }
    }
    if written.is_empty() {
        return None;
    }
    let mut preds: Vec<Vec<u32>> = vec![Vec::new(); n];
    // "i before j" is dropped when i completed before j was invoked (real time has it).
    let keep = |i: usize, j: usize| !(e.required[i] && ret(i) < e.call[j]);
    let mut observers: Vec<Vec<usize>> = vec![Vec::new(); values];
    let mut sources = vec![-1i64; n];
    for (i, view) in e.views.iter().enumerate() {
        if let View::Read(v) | View::Cas(v, _) = *view {
            if let Some(p) = producer[v as usize] {
                if p != i {
                    sources[i] = p as i64;
                    if keep(p, i) {
                        preds[i].push(p as u32); // rule 1
                    }
                }
            }
            if e.required[i] {
                observers[v as usize].push(i);
            }
        }
    }
    for (i, view) in e.views.iter().enumerate() {
        if let View::Cas(v, _) = *view {
            for &o in &observers[v as usize] {
                if o != i && keep(o, i) {
                    preds[i].push(o as u32); // rule 3 for a cas
                }
            }
        }
    }
    // Completed writers by completion; an observer's rank: 0 for the initial value, k + 1
    // for the value of the k-th completed writer (observers of other values take no part).
    let mut done: Vec<(i64, usize, u32)> =
        written.iter().filter(|(_, p)| e.required[*p]).map(|&(v, p)| (ret(p), p, v)).collect();
    done.sort_unstable();
    let rets: Vec<i64> = done.iter().map(|d| d.0).collect();
    let mut rank: Vec<u32> = vec![u32::MAX; values];
    rank[initial as usize] = 0;
    for (k, &(_, _, v)) in done.iter().enumerate() {
        rank[v as usize] = k as u32 + 1;
    }
    let mut ranked: Vec<(i64, u32, usize, u32)> = Vec::new(); // (ret, rank, observer, value)
    for (v, obs) in observers.iter().enumerate() {
        if rank[v] != u32::MAX {
            ranked.extend(obs.iter().map(|&o| (ret(o), rank[v], o, v as u32)));
        }
    }
    ranked.sort_unstable();
    let ranked_rets: Vec<i64> = ranked.iter().map(|r| r.0).collect();
    let tree = MinTree::new(ranked.iter().map(|r| r.1).collect());
    let mut found = Vec::new();
    for &(v, p) in &written {
        let own = &observers[v as usize];
        let horizon = own.iter().map(|&o| e.call[o]).fold(e.call[p], i64::max);
        let k = rets.partition_point(|&r| r < horizon); // writers done before the horizon
        let lo = rets.partition_point(|&r| r < e.call[p]);
        for d in &done[lo.min(k)..k] {
            if d.1 != p {
                preds[p].push(d.1 as u32); // rule 2
            }
        }
        // Rule 3: ok observers of the values those writers (and the initial value) wrote.
        found.clear();
        tree.at_most(ranked_rets.partition_point(|&r| r < e.call[p]), k as u32, &mut found);
        for &at in &found {
            let (_, _, o, value) = ranked[at];
            if value != v && o != p {
                preds[p].push(o as u32);
            }
        }
    }
    for p in preds.iter_mut() {
        p.sort_unstable();
        p.dedup();
    }
    Some((preds, sources))
}

/// Minimum over ranges of a fixed array, to list the positions from `from` on whose
/// value is at most `limit` in O((found + 1) log n).
struct MinTree {
    size: usize,
    min: Vec<u32>,
}

impl MinTree {
    fn new(values: Vec<u32>) -> MinTree {
        let size = values.len().next_power_of_two().max(1);
        let mut min = vec![u32::MAX; 2 * size];
        min[size..size + values.len()].copy_from_slice(&values);
        for i in (1..size).rev() {
            min[i] = min[2 * i].min(min[2 * i + 1]);
        }
        MinTree { size, min }
    }

    fn at_most(&self, from: usize, limit: u32, out: &mut Vec<usize>) {
        self.walk(1, 0, self.size, from, limit, out);
    }

    fn walk(&self, node: usize, lo: usize, hi: usize, from: usize, limit: u32, out: &mut Vec<usize>) {
        if hi <= from || self.min[node] > limit {
            return;
        }
        if hi - lo == 1 {
            out.push(lo);
            return;
        }
        let mid = (lo + hi) / 2;
        self.walk(2 * node, lo, mid, from, limit, out);
        self.walk(2 * node + 1, mid, hi, from, limit, out);
    }
}

/// The first (by entry) required entry j with a predecessor invoked after j completed,
/// and that predecessor (the lowest): the constraints contradict real time.
fn contradiction(e: &Entries, preds: &[Vec<u32>]) -> Option<(u32, u32)> {
    (0..e.call.len()).filter(|&j| e.required[j]).find_map(|j| {
        preds[j].iter().find(|&&i| e.call[i as usize] > e.ret[j]).map(|&i| (i, j as u32))
    })
}

fn text<'a>(v: &'a Bound<'_, PyAny>) -> Option<&'a str> {
    v.downcast::<PyString>().ok()?.to_str().ok()
}

/// `prepare_registers(types, processes, fs, keys, values, errors, read_fs, mismatch,
/// nemesis, keyed, initial, none_is_value, cas, hints)`: the history's ops as columns (per
/// op its type, process, f, key, value and error, as Python objects), the functions that
/// read, the error of a cas-mismatch, the nemesis' process, `keyed` (true: per key;
/// None: per key when a client op names a key, as `independent.per_key_if_keyed`) and the
/// model's parameters. Returns `(keyed, keys)`, `keys` per key in order of first
/// invocation `(key, invocations, core, clash)`: the key's number of invocations, its
/// search (not started) and the constraints' contradiction `(i, j)` when there is one
/// (see `order.contradiction`); None when the history needs the Python path (see the
/// module's doc).
#[pyfunction]
#[pyo3(signature = (types, processes, fs, keys, values, errors, read_fs, mismatch, nemesis, keyed, initial_value, none_is_value, cas, hints))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub(crate) fn prepare_registers<'py>(
    py: Python<'py>,
    types: &Bound<'py, PyList>,
    processes: &Bound<'py, PyList>,
    fs: &Bound<'py, PyList>,
    keys: &Bound<'py, PyList>,
    values: &Bound<'py, PyList>,
    errors: &Bound<'py, PyList>,
    read_fs: Vec<String>,
    mismatch: &str,
    nemesis: &Bound<'py, PyAny>,
    keyed: Option<bool>,
    initial_value: &Bound<'py, PyAny>,
    none_is_value: bool,
    cas: bool,
    hints: bool,
) -> PyResult<Option<(bool, Vec<(Bound<'py, PyAny>, usize, Py<Core>, Option<(u32, u32)>)>)>> {
    let n = types.len();
    if [processes.len(), fs.len(), keys.len(), values.len(), errors.len()].iter().any(|l| *l != n) {
        return Err(pyo3::exceptions::PyValueError::new_err("columns differ in length"));
    }
    let mut type_of = Vec::with_capacity(n);
    let mut f_of = Vec::with_capacity(n);
    let mut process_of = Vec::with_capacity(n);
    let mut process_ids = Interner::default();
    let Some(nemesis) = process_ids.id(nemesis) else { return Ok(None) };
    for i in 0..n {
        type_of.push(match text(&types.get_item(i)?) {
            Some("invoke") => INVOKE,
            Some("ok") => OK,
            Some("fail") => FAIL,
            Some("info") => INFO,
            _ => return Ok(None),
        });
        let f = fs.get_item(i)?;
        f_of.push(match text(&f) {
            Some(f) if read_fs.iter().any(|r| r == f) => F_READ,
            Some("write") => F_WRITE,
            Some("cas") => F_CAS,
            _ => F_OTHER,
        });
        match process_ids.id(&processes.get_item(i)?) {
            Some(p) => process_of.push(p as usize),
            None => return Ok(None),
        }
    }
    // Pairing.
    let mut open = vec![usize::MAX; process_ids.0.len()];
    let mut pairs: Vec<(u32, i64)> = Vec::new();
    for i in 0..n {
        let p = process_of[i];
        if type_of[i] == INVOKE {
            open[p] = pairs.len();
            pairs.push((i as u32, -1));
        } else if open[p] != usize::MAX {
            pairs[open[p]].1 = i as i64;
            open[p] = usize::MAX;
        }
    }
    // Keys (`independent.partition_by_key`): by the invocation's key, nemesis ops apart.
    let mut key_ids = Interner::default();
    let mut key_of = Vec::with_capacity(pairs.len());
    let mut named = false; // a client op names a key (`independent.has_keys`)
    for i in 0..n {
        if process_of[i] as u32 != nemesis && !keys.get_item(i)?.is_none() {
            named = true;
            break;
        }
    }
    for &(inv, _) in &pairs {
        let key = keys.get_item(inv as usize)?;
        match key_ids.id(&key) {
            Some(k) => key_of.push(k),
            None => return Ok(None),
        }
    }
    let keyed = keyed.unwrap_or(named);
    let mut groups: Vec<(u32, usize, Vec<usize>)> = Vec::new(); // (key, pairs, client pairs)
    let mut group_of: HashMap<u32, usize, Fast> = HashMap::default();
    let mut first_key: Vec<u32> = Vec::new(); // per group, the invocation naming its key first
    for (at, &(inv, _)) in pairs.iter().enumerate() {
        let client = process_of[inv as usize] as u32 != nemesis;
        if keyed && !client {
            continue;
        }
        let key = if keyed { key_of[at] } else { 0 };
        let g = *group_of.entry(key).or_insert_with(|| {
            groups.push((key, 0, Vec::new()));
            first_key.push(inv);
            groups.len() - 1
        });
        groups[g].1 += 1;
        if client {
            groups[g].2.push(at);
        }
    }
    if !keyed && groups.is_empty() {
        groups.push((0, 0, Vec::new()));
        first_key.push(u32::MAX);
    }
    let is_mismatch_error = |i: usize| -> PyResult<bool> {
        Ok(text(&errors.get_item(i)?) == Some(mismatch))
    };
    let mut out = Vec::with_capacity(groups.len());
    for ((_, count, members), first) in groups.into_iter().zip(first_key) {
        let mut ids = Interner::default(); // per key: a key's vectors span its own values
        let Some(initial) = ids.id(initial_value) else { return Ok(None) };
        let mut e = Entries {
            call: Vec::with_capacity(members.len()),
            ret: Vec::with_capacity(members.len()),
            required: Vec::with_capacity(members.len()),
            read_only: Vec::with_capacity(members.len()),
            views: Vec::with_capacity(members.len()),
            spans: Vec::with_capacity(members.len()),
        };
        for at in members {
            let (inv, comp) = pairs[at];
            let inv = inv as usize;
            let known = comp >= 0 && {
                let c = comp as usize;
                type_of[c] == OK || type_of[c] == FAIL && is_mismatch_error(c)?
            };
            if comp >= 0 && !known && type_of[comp as usize] != INFO {
                continue; // failed: did not happen
            }
            let is_mismatch = known && type_of[comp as usize] == FAIL;
            let f = f_of[inv];
            let read_only = f == F_READ || is_mismatch;
            if !known && read_only {
                continue; // an unknown read constrains nothing
            }
            let value = if known {
                let v = values.get_item(comp as usize)?;
                if v.is_none() { values.get_item(inv)? } else { v }
            } else {
                values.get_item(inv)?
            };
            let view = match f {
                F_READ => {
                    let Some(v) = ids.id(&value) else { return Ok(None) };
                    if value.is_none() && !none_is_value { View::Unconstrained } else { View::Read(v) }
                }
                F_WRITE => match ids.id(&value) {
                    Some(v) => View::Write(v),
                    None => return Ok(None),
                },
                F_CAS if cas => match ids.pair(&value) {
                    Some((x, _)) if is_mismatch => View::Mismatch(x),
                    Some((x, y)) => View::Cas(x, y),
                    None => return Ok(None),
                },
                _ => return Ok(None), // an op the model does not know: Python says so
            };
            e.call.push(inv as i64);
            e.ret.push(if known { comp } else { -1 });
            e.required.push(known);
            e.read_only.push(read_only);
            e.views.push(view);
            e.spans.push((inv as u32, comp));
        }
        let values_seen = ids.0.len();
        let (preds, sources) = match hints.then(|| order_constraints(&e, initial, values_seen)) {
            Some(Some((preds, sources))) => (Some(preds), sources),
            _ => (None, Vec::new()),
        };
        let clash = preds.as_ref().and_then(|p| contradiction(&e, p));
        // The codes (`register_codes`): values no op observes become one, id 0.
        let mut observed = vec![false; values_seen];
        for view in &e.views {
            if let View::Read(v) | View::Cas(v, _) | View::Mismatch(v) = *view {
                observed[v as usize] = true;
            }
        }
        let code = |v: u32| if observed[v as usize] { v + 1 } else { 0 };
        let ops: Vec<Vec<u32>> = e
            .views
            .iter()
            .map(|view| match *view {
                View::Unconstrained => vec![NOP],
                View::Read(v) => vec![REG_READ, v + 1],
                View::Write(v) => vec![REG_WRITE, code(v)],
                View::Cas(x, y) => vec![REG_CAS, x + 1, code(y)],
                View::Mismatch(x) => vec![REG_MISMATCH, x + 1],
            })
            .collect();
        let req: Vec<u64> = {
            let mut words = vec![0u64; e.call.len().div_ceil(64).max(1)];
            for (i, r) in e.required.iter().enumerate() {
                if *r {
                    words[i >> 6] |= 1 << (i & 63);
                }
            }
            words
        };
        let pred_sets = match &preds {
            Some(p) => p.iter().map(|p| Preds::from_indices(p, &req)).collect(),
            None => vec![None; e.call.len()],
        };
        let stepper = Stepper::Native { model: NativeModel::Register, ops };
        let core = Core::build(e.call, e.ret, &e.required, e.read_only, pred_sets, stepper,
                               code(initial), true)
            .with_spans(e.spans, sources);
        let key = if first == u32::MAX || !keyed { py.None().into_bound(py) } else { keys.get_item(first as usize)? };
        out.push((key, count, Py::new(py, core)?, clash));
    }
    Ok(Some((keyed, out)))
}

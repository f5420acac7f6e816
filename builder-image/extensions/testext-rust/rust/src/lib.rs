//! In-tree PyO3 test extension: exercises what a real PyO3 crate needs on python.wasm. Functions with
//! argument extraction, errors raised as Python exceptions, a #[pyclass] with methods and getters,
//! callbacks into Python, std's HashMap (its RandomState asks WASI random_get for keys), std::time
//! (WASI clock_time_get), heap allocation through python.wasm's malloc, and eprintln! (WASI fd_write).
use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::collections::HashMap;

#[pyfunction]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

#[pyfunction]
fn word_counts(text: &str) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for w in text.split_whitespace() {
        *m.entry(w.to_lowercase()).or_insert(0) += 1;
    }
    m
}

#[pyfunction]
fn checked_div(a: i64, b: i64) -> PyResult<i64> {
    if b == 0 {
        return Err(PyValueError::new_err("division by zero (raised in Rust)"));
    }
    Ok(a / b)
}

#[pyfunction]
fn apply(f: &Bound<'_, PyAny>, items: Vec<i64>) -> PyResult<Vec<PyObject>> {
    items.into_iter().map(|x| f.call1((x,)).map(|r| r.unbind())).collect()
}

#[pyfunction]
fn lookup(d: &Bound<'_, PyDict>, key: &str) -> PyResult<PyObject> {
    match d.get_item(key)? {
        Some(v) => Ok(v.unbind()),
        None => Err(PyKeyError::new_err(key.to_string())),
    }
}

#[pyfunction]
fn monotonic_ns() -> u128 {
    use std::time::{Instant, SystemTime, UNIX_EPOCH};
    let t0 = Instant::now();
    let wall = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let _ = t0.elapsed();
    wall
}

#[pyfunction]
fn big_string(n: usize) -> String {
    "ab".repeat(n)
}

#[pyfunction]
fn say(msg: &str) {
    eprintln!("rust says: {msg}");
}

#[pyfunction]
fn sorted_unique(py: Python<'_>, values: Vec<i64>) -> PyResult<Py<PyList>> {
    let mut v = values;
    v.sort_unstable();
    v.dedup();
    Ok(PyList::new(py, v)?.unbind())
}

/// panic=abort: a Rust panic cannot become PyO3's PanicException; the message goes to stderr and the
/// instance aborts (the tests check exactly that).
#[pyfunction]
fn boom(msg: &str) {
    panic!("boom: {msg}");
}

#[pyclass(module = "pymode_testext_rust._native")]
struct Counter {
    n: u64,
    step: u64,
}

#[pymethods]
impl Counter {
    #[new]
    #[pyo3(signature = (start=0, step=1))]
    fn new(start: u64, step: u64) -> Self {
        Counter { n: start, step }
    }
    fn incr(&mut self) -> u64 {
        self.n += self.step;
        self.n
    }
    #[getter]
    fn value(&self) -> u64 {
        self.n
    }
    #[setter]
    fn set_value(&mut self, v: u64) {
        self.n = v;
    }
    fn __repr__(&self) -> String {
        format!("Counter(n={}, step={})", self.n, self.step)
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(add, m)?)?;
    m.add_function(wrap_pyfunction!(word_counts, m)?)?;
    m.add_function(wrap_pyfunction!(checked_div, m)?)?;
    m.add_function(wrap_pyfunction!(apply, m)?)?;
    m.add_function(wrap_pyfunction!(lookup, m)?)?;
    m.add_function(wrap_pyfunction!(monotonic_ns, m)?)?;
    m.add_function(wrap_pyfunction!(big_string, m)?)?;
    m.add_function(wrap_pyfunction!(say, m)?)?;
    m.add_function(wrap_pyfunction!(sorted_unique, m)?)?;
    m.add_function(wrap_pyfunction!(boom, m)?)?;
    m.add_class::<Counter>()?;
    m.add("RUST", "pyo3")?;
    Ok(())
}

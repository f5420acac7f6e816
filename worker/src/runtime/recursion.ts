// Deep recursion must end in Python's RecursionError, never in V8's "Maximum call stack size
// exceeded" (which unwinds through the wasm frames and kills the instance).
//
// CPython 3.13 bounds recursion through C (repr/json/pickle of nested data, __getattr__ chains,
// every call back into the eval loop) by a compile-time budget, Py_C_RECURSION_LIMIT = 5000 on
// WASI, sized for wasmtime's stack. Wasm frames live on the engine's native stack, and in workerd
// about 3000 nested repr levels or 500 nested __getattr__ levels fit, so 5000 traps. There is no
// API to change that budget at run time; it is `tstate->c_recursion_remaining`, which the host
// lowers once after pymode_init, when no C frames are active (the counter is then at rest and every
// call gives back what it took). The field's place is checked against the values it must hold.

/** C-recursion units allowed (one per nested C call, two per eval-loop entry); see above. */
export const DEFAULT_C_RECURSION_LIMIT = 1000;

// wasm32 layout of PyThreadState in CPython 3.13 (Include/cpython/pystate.h): prev, next, interp,
// eval_breaker, _status, _whence, state, py_recursion_remaining, py_recursion_limit, c_recursion_remaining.
const PY_RECURSION_LIMIT_OFFSET = 32;
const C_RECURSION_REMAINING_OFFSET = 36;
const PY_C_RECURSION_LIMIT_WASI = 5000;

export interface RecursionExports {
  memory: WebAssembly.Memory;
  PyThreadState_GetUnchecked?: () => number;
  Py_GetRecursionLimit?: () => number;
}

/** Lower the C-recursion budget of the current thread state; returns why not, if it could not. */
export function capCRecursion(ex: RecursionExports, limit: number): string | undefined {
  if (!ex.PyThreadState_GetUnchecked || !ex.Py_GetRecursionLimit) return "python.wasm does not export PyThreadState_GetUnchecked / Py_GetRecursionLimit";
  const tstate = ex.PyThreadState_GetUnchecked() >>> 0;
  if (!tstate) return "no current thread state";
  const v = new DataView(ex.memory.buffer);
  const pyLimit = v.getInt32(tstate + PY_RECURSION_LIMIT_OFFSET, true);
  const cRemaining = v.getInt32(tstate + C_RECURSION_REMAINING_OFFSET, true);
  if (pyLimit !== ex.Py_GetRecursionLimit() || cRemaining !== PY_C_RECURSION_LIMIT_WASI) {
    return `unexpected PyThreadState layout (py_recursion_limit ${pyLimit}, c_recursion_remaining ${cRemaining})`;
  }
  v.setInt32(tstate + C_RECURSION_REMAINING_OFFSET, Math.min(limit, cRemaining), true);
  return undefined;
}

// The time budget of one request (PYMODE_REQUEST_TIMEOUT_MS).
//
// A synchronous wasm loop cannot be interrupted from JavaScript here: workerd runs the Worker on
// one thread, with no other agent to set a flag in linear memory, and its clocks stand still while
// code runs. So the budget is enforced where control comes back to the host: before and while an
// async host call (kv/r2/d1/http/tcp) is awaited, and at time.sleep. A loop that never calls the
// host is stopped by the interpreter's own step budget instead (StepBudgetExceeded below).

/**
 * The request ran out of its step budget (PYMODE_MAX_PYTHON_STEPS): the interpreter counts steps
 * (backward jumps and calls) itself and raised _pymode.StepBudgetExceeded in the Python code, which is
 * how a pure-CPU loop is stopped (builder-image/runtime/pymode/patches/README.md). The instance is
 * replaced: the handler's state after the interruption is not trusted.
 */
export class StepBudgetExceeded extends Error {
  constructor(readonly steps: number) {
    super(`request exceeded its budget of ${steps} Python steps (PYMODE_MAX_PYTHON_STEPS)`);
    this.name = "StepBudgetExceeded";
  }
}

/** The request ran past its budget; the instance was abandoned mid-call and must be replaced. */
export class BudgetExceeded extends Error {
  constructor(readonly budgetMs: number) {
    super(`request exceeded its time budget of ${budgetMs} ms (PYMODE_REQUEST_TIMEOUT_MS)`);
    this.name = "BudgetExceeded";
  }
}

export class Budget {
  private readonly start = Date.now();
  /** Guest time that passed without real time passing: sleeps where the host cannot block (workerd). */
  private virtualMs = 0;

  constructor(readonly ms: number) {}

  spent(): number {
    return Date.now() - this.start + this.virtualMs;
  }

  /** Throws BudgetExceeded if `more` ms from now would be past the budget. */
  check(more = 0): void {
    if (this.spent() + more > this.ms) throw new BudgetExceeded(this.ms);
  }

  /** A guest sleep of `ms`: refused if it would end past the budget; counted when it does not block. */
  sleep(ms: number, blocks: boolean): void {
    this.check(ms);
    if (!blocks) this.virtualMs += ms;
  }

  /** `p`, or BudgetExceeded when the budget runs out first. */
  race<T>(p: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BudgetExceeded(this.ms)), Math.max(0, this.ms - this.spent()));
    });
    return Promise.race([p, expired]).finally(() => clearTimeout(timer));
  }
}

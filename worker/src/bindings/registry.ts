// The binding-kind registry of the JavaScript hosts: one descriptor per kind, one module per
// descriptor. To add a kind, write its module and list it here (worker/README.md "Adding a binding
// kind"); python.wasm, the ABI's import list and the build keys stay as they are.

import { BindingKind } from "./kind";
import { kv } from "./kv";
import { r2 } from "./r2";
import { d1 } from "./d1";
import { http } from "./http";
import { tcp } from "./tcp";
import { doStorage } from "./storage";
import { tasks } from "./tasks";
import { queue } from "./queue";
import { service } from "./service";

export const BINDING_KINDS: readonly BindingKind[] = [kv, r2, d1, http, tcp, doStorage, tasks, queue, service];

const BY_NAME = new Map<string, BindingKind>(BINDING_KINDS.map((k) => [k.name, k]));
if (BY_NAME.size !== BINDING_KINDS.length) throw new Error("binding kind registry: duplicate kind name");

export function bindingKind(name: string): BindingKind | undefined {
  return BY_NAME.get(name);
}

/** The kinds a worker declares in PYMODE_BINDINGS_DECL (objects on env). */
export const DECLARED_KINDS: readonly string[] = BINDING_KINDS.filter((k) => k.scope === "declared").map((k) => k.name);

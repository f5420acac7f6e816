declare module "*.wasm" {
  const m: WebAssembly.Module;
  export default m;
}
declare module "*.zip" {
  const d: ArrayBuffer;
  export default d;
}
declare module "*.pvfs" {
  const d: ArrayBuffer;
  export default d;
}
declare module "sql.js";
declare module "pymode:side-modules" {
  const modules: Record<string, WebAssembly.Module>;
  export default modules;
}

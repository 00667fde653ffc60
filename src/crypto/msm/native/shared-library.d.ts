/** Bun's file loader: importing a shared library `with { type: "file" }` gives its path (embedded in compiled binaries). */
declare module "*.so" {
  const path: string;
  export default path;
}

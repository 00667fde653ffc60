/** /docs: Swagger UI (swagger-ui-dist, served by the binary) on the coordinator's own /openapi.json. */
interface SwaggerGlobal {
  SwaggerUIBundle?: (options: Record<string, unknown>) => unknown;
}

const ui = (globalThis as SwaggerGlobal).SwaggerUIBundle;
const root = document.getElementById("swagger-ui");
if (!ui || !root) {
  if (root) root.textContent = "The API reference could not load; the document itself is at /openapi.json.";
} else {
  ui({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, tryItOutEnabled: false, validatorUrl: null });
}

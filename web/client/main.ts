// The browser entry: hydrates the islands the server rendered on this page.
import { hydrateIslands } from "../islands.tsx";
import { registry } from "./registry.ts";

hydrateIslands(registry).catch((err) => console.error("island hydration failed:", err));

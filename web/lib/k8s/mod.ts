// The Kubernetes helpers of the resource explorer, in one import: paths and page URLs,
// discovery, the sidebar's kinds, the Table format and watch events, object helpers.
export * from "./paths.ts";
export * from "./discovery.ts";
export * from "./navigation.ts";
export * from "./table.ts";
export * from "./objects.ts";

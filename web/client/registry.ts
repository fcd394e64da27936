// Island name → module. Each entry becomes its own chunk in the browser bundle, so a page loads
// only the islands it renders. The key must equal the file name (islands_test.tsx checks).
import type { IslandRegistry } from "../islands.tsx";

export const registry: IslandRegistry = {
  AddCluster: () => import("../islands/AddCluster.tsx"),
  ApiTokens: () => import("../islands/ApiTokens.tsx"),
  ApplyYaml: () => import("../islands/ApplyYaml.tsx"),
  ClusterList: () => import("../islands/ClusterList.tsx"),
  ClusterOverview: () => import("../islands/ClusterOverview.tsx"),
  ClusterRoles: () => import("../islands/ClusterRoles.tsx"),
  ClusterSettings: () => import("../islands/ClusterSettings.tsx"),
  ChangePassword: () => import("../islands/ChangePassword.tsx"),
  EventList: () => import("../islands/EventList.tsx"),
  DeleteObject: () => import("../islands/DeleteObject.tsx"),
  LoginForm: () => import("../islands/LoginForm.tsx"),
  LogViewer: () => import("../islands/LogViewer.tsx"),
  MobileNav: () => import("../islands/MobileNav.tsx"),
  NamespacePicker: () => import("../islands/NamespacePicker.tsx"),
  PauseDeployment: () => import("../islands/PauseDeployment.tsx"),
  PodMetrics: () => import("../islands/PodMetrics.tsx"),
  ResourceTable: () => import("../islands/ResourceTable.tsx"),
  RestartWorkload: () => import("../islands/RestartWorkload.tsx"),
  RollbackDeployment: () => import("../islands/RollbackDeployment.tsx"),
  ScaleWorkload: () => import("../islands/ScaleWorkload.tsx"),
  SearchPalette: () => import("../islands/SearchPalette.tsx"),
  Terminal: () => import("../islands/Terminal.tsx"),
  ThemeToggle: () => import("../islands/ThemeToggle.tsx"),
  UserAdmin: () => import("../islands/UserAdmin.tsx"),
  UserMenu: () => import("../islands/UserMenu.tsx"),
  WorkloadLogs: () => import("../islands/WorkloadLogs.tsx"),
  YamlEditor: () => import("../islands/YamlEditor.tsx"),
};

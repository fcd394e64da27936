DROP INDEX clusters_kubeconfig_idx;
DROP INDEX clusters_reconnecting_idx;

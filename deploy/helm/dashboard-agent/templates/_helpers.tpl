{{/* Shared names and labels of the dashboard-agent chart. */}}

{{- define "dashboard-agent.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name: the release name when it contains the chart name. */}}
{{- define "dashboard-agent.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Cluster-scoped names include the namespace: one release per namespace never collides. */}}
{{- define "dashboard-agent.clusterRoleName" -}}
{{- printf "%s:%s" .Release.Namespace (include "dashboard-agent.fullname" .) -}}
{{- end -}}

{{- define "dashboard-agent.serviceAccountName" -}}
{{- default (include "dashboard-agent.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "dashboard-agent.tokenSecretName" -}}
{{- default (printf "%s-token" (include "dashboard-agent.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{- define "dashboard-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dashboard-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "dashboard-agent.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "dashboard-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: agent
app.kubernetes.io/part-of: kube-dashboard
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/*
The non-core API groups the read-only preset reads in full (resources "*"): the built-in groups
of current Kubernetes, every group the API server serves when the chart is installed or upgraded
(its APIService objects: CRD groups and aggregated APIs included; `helm template` sees none) and
rbac.extraApiGroups. The core group "" is never in this list: it is enumerated resource by
resource in clusterrole.yaml so that Secrets stay out.
*/}}
{{- define "dashboard-agent.readApiGroups" -}}
{{- $groups := list
  "admissionregistration.k8s.io" "apiextensions.k8s.io" "apiregistration.k8s.io" "apps"
  "authentication.k8s.io" "authorization.k8s.io" "autoscaling" "batch" "certificates.k8s.io"
  "coordination.k8s.io" "discovery.k8s.io" "events.k8s.io" "flowcontrol.apiserver.k8s.io"
  "gateway.networking.k8s.io" "internal.apiserver.k8s.io" "metrics.k8s.io" "networking.k8s.io"
  "node.k8s.io" "policy" "rbac.authorization.k8s.io" "resource.k8s.io" "scheduling.k8s.io"
  "snapshot.storage.k8s.io" "storage.k8s.io" "storagemigration.k8s.io" -}}
{{- $served := lookup "apiregistration.k8s.io/v1" "APIService" "" "" -}}
{{- range ($served.items | default (list)) -}}
{{- if .spec.group -}}
{{- $groups = append $groups .spec.group -}}
{{- end -}}
{{- end -}}
{{- range .Values.rbac.extraApiGroups -}}
{{- $groups = append $groups . -}}
{{- end -}}
{{- $groups | uniq | sortAlpha | toJson -}}
{{- end -}}

{{/*
The agent's image: <repository>:<tag, default the appVersion>, or by digest
<repository>[:<tag>]@<digest> (the tag, if any, is then only informative).
*/}}
{{- define "dashboard-agent.image" -}}
{{- $repo := .Values.image.repository -}}
{{- $tag := .Values.image.tag | default "" -}}
{{- with .Values.image.digest -}}
{{- if $tag -}}
{{- printf "%s:%s@%s" $repo $tag . -}}
{{- else -}}
{{- printf "%s@%s" $repo . -}}
{{- end -}}
{{- else -}}
{{- printf "%s:%s" $repo ($tag | default $.Chart.AppVersion) -}}
{{- end -}}
{{- end -}}
